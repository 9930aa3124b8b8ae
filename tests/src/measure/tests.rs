//! The measurements, tried on the system the tests run on (Linux in CI; the
//! same tests compile for macOS and Windows and run there unchanged).

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::*;

/// Spins on the calling thread for `how_long` of wall time.
fn spin(how_long: Duration) {
    let started = Instant::now();
    let mut x = 0u64;
    while started.elapsed() < how_long {
        x = black_box(x.wrapping_mul(31).wrapping_add(7));
    }
}

/// Starts a thread that runs `work`, and reads that thread's clock from this
/// one before and after: what the work cost in CPU time.
fn thread_doing(work: impl FnOnce(&ThreadClock) + Send + 'static) -> Duration {
    let (clock_tx, clock_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        clock_tx.send(ThreadClock::of_current_thread()).unwrap();
        go_rx.recv().unwrap();
        work(&ThreadClock::of_current_thread());
        done_tx.send(()).unwrap();
        // Stay alive until measured: on Linux and macOS an ended thread has no clock.
        go_rx.recv().unwrap();
    });
    let clock = clock_rx.recv().unwrap();
    let before = clock.cpu_time().expect("the clock of a live thread");
    go_tx.send(()).unwrap();
    done_rx.recv().unwrap();
    let after = clock.cpu_time().expect("the clock of a live thread");
    go_tx.send(()).unwrap();
    worker.join().unwrap();
    after - before
}

#[test]
fn a_spinning_thread_uses_cpu_and_an_idle_one_does_not() {
    // Spins until its own clock says 100 ms (a crowded machine gives it only
    // part of a CPU, so wall time says little), at most 10 s.
    let busy = thread_doing(|own| {
        let started = Instant::now();
        while own.cpu_time().unwrap() < Duration::from_millis(100) && started.elapsed() < Duration::from_secs(10) {
            spin(Duration::from_millis(5));
        }
    });
    let idle = thread_doing(|_| thread::sleep(Duration::from_millis(250)));
    assert!(busy >= Duration::from_millis(90), "a spinning thread used {busy:?} of CPU, read from another");
    assert!(idle <= Duration::from_millis(20), "sleeping for 250 ms used {idle:?} of CPU");
}

/// This test binary again, running only the ignored test `name`, so that
/// another process can be measured from outside; killed when dropped.
struct Child(std::process::Child);

impl Child {
    /// Starts the child and waits until its test says "ready" (starting a
    /// process takes a while, longer under Wine).
    fn run(name: &str) -> Child {
        use std::io::BufRead as _;
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut child = std::process::Command::new(exe)
            .args(["--exact", name, "--ignored", "--test-threads=1", "--nocapture", "--quiet"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the test binary again");
        let stdout = child.stdout.take().expect("a piped stdout");
        let child = Child(child);
        let ready = std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|line| line == "ready");
        assert!(ready, "the child {name} never said it was ready");
        child
    }

    /// How busy the child is over a window of 400 ms.
    fn busy_over_a_window(&self) -> Duration {
        let pid = self.0.id();
        let before = busy_time(pid).expect("busy time of the child");
        thread::sleep(Duration::from_millis(400));
        busy_time(pid).expect("busy time of the child") - before
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "a child process for other tests"]
fn child_spins() {
    println!("ready");
    spin(Duration::from_secs(5));
}

#[test]
#[ignore = "a child process for other tests"]
fn child_sleeps() {
    println!("ready");
    thread::sleep(Duration::from_secs(5));
}

#[test]
fn another_process_is_busy_when_it_spins_and_not_when_it_sleeps() {
    let spinner = Child::run("measure::tests::child_spins");
    let sleeper = Child::run("measure::tests::child_sleeps");
    let busy = spinner.busy_over_a_window();
    let idle = sleeper.busy_over_a_window();
    // On Linux waiting for a CPU counts too, so a crowded machine changes little.
    assert!(busy >= Duration::from_millis(100), "a spinning process was busy {busy:?} of 400 ms");
    assert!(idle <= Duration::from_millis(40), "a sleeping process was busy {idle:?} of 400 ms");
    // libtest's main thread and the thread that runs the test.
    for child in [&spinner, &sleeper] {
        let threads = thread_count(child.0.id()).expect("threads of the child");
        assert!((1..=3).contains(&threads), "{threads} threads");
    }
    let peak = peak_memory(spinner.0.id()).expect("peak memory of the child");
    assert!(peak > 100 * 1024, "a process uses more than {peak} bytes");
}

#[test]
fn a_new_named_thread_is_counted() {
    let me = std::process::id();
    assert_eq!(threads_named("m13named"), 0);
    let (started, has_started) = mpsc::channel::<()>();
    let (release, wait) = mpsc::channel::<()>();
    let holder = thread::Builder::new()
        .name("m13named-held".into())
        .spawn(move || {
            started.send(()).unwrap();
            let _ = wait.recv();
        })
        .unwrap();
    has_started.recv().unwrap();
    assert_eq!(threads_named("m13named"), 1, "one thread named m13named… is running");
    // Other tests start and end threads meanwhile: the main thread and this
    // one are certain.
    let during = thread_count(me).unwrap();
    drop(release);
    holder.join().unwrap();
    assert!(during >= 2, "{during} threads");
}

#[test]
fn memory_grows_after_a_large_allocation() {
    const SIZE: usize = 64 * 1024 * 1024;
    let me = std::process::id();
    let before = peak_memory(me).expect("peak memory of this process");
    // Written to, so the pages are really there.
    let big = black_box(vec![1u8; SIZE]);
    let after = peak_memory(me).expect("peak memory of this process");
    drop(big);
    assert!(after >= before + (SIZE as u64) / 2, "peak {before} then {after} bytes after {SIZE} bytes");
}

#[test]
fn the_open_files_limit_can_be_raised() {
    allow_open_files(512);
    #[cfg(unix)]
    assert!(rlimit::Resource::NOFILE.get().unwrap().0 >= 512);
}

#[test]
fn not_measured_says_so_first() {
    let payload = std::panic::catch_unwind(|| not_measured("the weather (no window)")).unwrap_err();
    let message = payload.downcast_ref::<String>().expect("a text message");
    assert!(message.starts_with("not measured on this system: the weather (no window)\n"), "{message}");
}

#[test]
#[ignore = "a child process for other tests"]
fn child_holds_sockets() {
    let held: Vec<std::net::TcpListener> =
        (0..50).map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind")).collect();
    println!("ready");
    thread::sleep(Duration::from_secs(5));
    drop(held);
}

#[test]
fn a_process_holding_fifty_sockets_has_fifty_more_descriptors() {
    let holder = Child::run("measure::tests::child_holds_sockets");
    let sleeper = Child::run("measure::tests::child_sleeps");
    let holding = open_descriptors(holder.0.id()).expect("descriptors of the holder");
    let plain = open_descriptors(sleeper.0.id()).expect("descriptors of the sleeper");
    // The same program otherwise: on Windows, where every handle counts,
    // their other handles may differ by a few.
    assert!(holding >= plain + 45, "{holding} descriptors with 50 sockets, {plain} without");
    assert!(plain >= 3, "{plain} descriptors, but stdin, stdout and stderr are open");
}

/// Waits up to 2 s for the accept queue of `at` to hold `expected`
/// connections (a connection joins it once its handshake is done).
fn accept_queue_becomes(at: std::net::SocketAddr, expected: usize) {
    let started = Instant::now();
    loop {
        let now = accept_queue(at).expect("the listener's accept queue");
        if now == expected {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{now} connections wait at {at}, not {expected}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[rstest::rstest]
#[case::ipv4("127.0.0.1:0")]
#[case::ipv6("[::1]:0")]
fn the_accept_queue_holds_connections_not_yet_accepted(#[case] bind: &str) {
    let Ok(listener) = std::net::TcpListener::bind(bind) else { return }; // no IPv6 here
    let at = listener.local_addr().unwrap();
    if cfg!(windows) {
        let e = accept_queue(at).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported, "{e}");
        return;
    }
    accept_queue_becomes(at, 0);
    let clients: Vec<_> = (0..3).map(|_| std::net::TcpStream::connect(at).unwrap()).collect();
    accept_queue_becomes(at, 3);
    let (_served, _) = listener.accept().unwrap();
    accept_queue_becomes(at, 2);
    drop((clients, listener));
    let gone = accept_queue(at).unwrap_err();
    assert_eq!(gone.kind(), std::io::ErrorKind::NotFound, "{gone}");
}
