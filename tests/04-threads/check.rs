//! Checks for lesson 04, threads. Run them with `just check 04`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - counting: `Stats` on its own, then from many threads at once (every server
//!   below uses it, so a count that deadlocks or loses updates is named here);
//! - basics: two clients at once, fifty clients at once, the binary;
//! - sharing: the count of active clients, and no lock held while a client is served;
//! - robustness: a stalled client delays nobody, a panicking handler ends only its client;
//! - pool: a fixed number of workers, clients beyond it wait, a clean shutdown.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use harness::confirm::frame;
use harness::{check, check_within, run_within, run_within_or, show_bytes, Client, Failure, Server, IO_DEADLINE};
use support::{expect_count, threads_left, threads_named, waiting_in_backlog, Gate};
use threads::{PoolHandle, Stats};

/// How long a client that should be served at once may wait for its confirmation.
const PROMPTLY: Duration = Duration::from_secs(2);

/// What a server that serves one client at a time does to the next client.
const ONE_AT_A_TIME: &str = "the server is busy with another client, so this one waits its turn. Most likely:\n\
     1. the accept loop serves the client itself, or `join`s the client's thread right after spawning it: \
     give each client a thread of its own and go straight back to `accept`;\n\
     2. each client has a thread, but they take turns on a lock held while a client is served (a `MutexGuard` \
     lives until the end of its scope: take what you need and let it go before the handler runs)";

/// What a pool whose workers take turns does.
const POOL_IN_TURN: &str = "the workers take turns: one holds the queue's lock while it serves its client. \
     `while let Ok(s) = queue.lock().unwrap().recv()` keeps the guard for the whole loop body; \
     take the client in a `let` statement of its own";

/// Sends `body` from `client` and fails, explaining `situation` and what is
/// `likely` wrong, unless its confirmation arrives within [`PROMPTLY`].
fn expect_served_while(client: &mut Client, body: &str, situation: &str, likely: &str) {
    let Err(got) = confirmed_within(client, body, PROMPTLY) else { return };
    Failure::new(format!("a client sent a message and got no confirmation within {} s", PROMPTLY.as_secs()))
        .field("meanwhile", situation)
        .field("it sent", format!("the message {body:?} (its 64-byte header, then {} bytes)", body.len()))
        .field("it got", got)
        .field("likely", likely)
        .fail()
}

/// Sends `body` and waits at most `deadline` for `Msg received\n`; on failure,
/// says what came instead.
fn confirmed_within(client: &mut Client, body: &str, deadline: Duration) -> Result<(), String> {
    // Written on the raw stream so that a refused or reset connection is an
    // `Err` like any other: a panic here would leave the other clients of a
    // check waiting at their gate for one that never comes.
    let mut stream = client.stream();
    if let Err(e) = stream.write_all(&frame(body.as_bytes())) {
        return Err(format!("sending failed: {e}"));
    }
    let _ = stream.set_read_timeout(Some(deadline));
    let started = Instant::now();
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\n") && started.elapsed() < deadline {
        match stream.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    match got.as_slice() {
        b"Msg received\n" => Ok(()),
        [] => Err("nothing came".to_string()),
        _ => Err(show_bytes(&got)),
    }
}

/// Starts the learner's thread-per-client server.
fn threads_server() -> Server {
    Server::start("threads::serve", threads::serve)
}

/// Starts `serve_with` with `handler` and a fresh count, which the check keeps.
fn counting_server(handler: threads::Handler) -> (Server, Arc<Stats>) {
    let stats = Arc::new(Stats::new());
    let shared = Arc::clone(&stats);
    let server = Server::start("threads::serve_with", move |listener| threads::serve_with(listener, handler, shared));
    (server, stats)
}

/// Reads the count; fails if that takes longer than a second (a lock held elsewhere).
fn active_now(stats: &Arc<Stats>) -> usize {
    let stats = Arc::clone(stats);
    run_within_or(
        "`stats.active()`",
        Duration::from_secs(1),
        "a client is connected and the server is waiting for its bytes, and a lock is held while that \
         client is served: a MutexGuard lives until the end of its scope, so a guard taken before the \
         client's read keeps everyone else waiting",
        move || stats.active(),
    )
}

mod counting {
    use super::*;

    /// What keeps a call to the count from returning.
    const LOCKED: &str = "a lock taken twice on one thread: std's `Mutex` is not re-entrant, so calling \
         `self.active()` (which locks) while holding a guard of the same lock waits for ever. Change and read \
         the count through the one guard you hold, or use an `AtomicUsize` (no lock at all)";

    #[test]
    fn the_count_goes_up_and_down() {
        check(
            "`connected` adds one and returns the new count, `left` takes one away and returns the new count, \
             `active` reads it. `fetch_add` and `fetch_sub` return the value *before* the change: add (or take) \
             one to what they return. Book: Threads › Sharing state: Arc, Mutex and atomics",
            || {
                let stats = Arc::new(Stats::new());
                type Step = (&'static str, fn(&Stats) -> usize, usize);
                let steps: [Step; 6] = [
                    ("active()", Stats::active, 0),
                    ("connected()", Stats::connected, 1),
                    ("connected()", Stats::connected, 2),
                    ("left()", Stats::left, 1),
                    ("active()", Stats::active, 1),
                    ("left()", Stats::left, 0),
                ];
                let mut calls = Vec::new();
                for (name, step, expected) in steps {
                    let shared = Arc::clone(&stats);
                    calls.push(format!("stats.{name}"));
                    let got = run_within_or(&format!("`stats.{name}`"), Duration::from_secs(1), LOCKED, move || {
                        step(&shared)
                    });
                    if got != expected {
                        let before = expected.abs_diff(got) == 1 && name != "active()";
                        let mut failure = Failure::new(format!("`stats.{name}` returned {got}, expected {expected}"))
                            .field("calls", calls.join(", "));
                        if before {
                            failure = failure.field(
                                "likely",
                                "it returns the count before the change: that is what `fetch_add` and \
                                 `fetch_sub` return",
                            );
                        }
                        failure.fail();
                    }
                }
            },
        );
    }

    #[test]
    fn the_count_is_right_when_threads_change_it_at_once() {
        check(
            "many threads change the count at the same moment: each change must be one indivisible step. \
             `fetch_add(1, …)` and `fetch_sub(1, …)` on an `AtomicUsize` are; a `load` followed by a `store` is \
             not (another thread's change in between is lost). Book: Threads › Sharing state: Arc, Mutex and atomics",
            || {
                const THREADS: usize = 4;
                let stats = Arc::new(Stats::new());
                let broken = Arc::new(std::sync::Mutex::new(None::<String>));
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let pairs = Arc::new(AtomicUsize::new(0));
                let start = Arc::new(std::sync::Barrier::new(THREADS));
                let workers: Vec<_> = (0..THREADS)
                    .map(|i| {
                        let (stats, broken, stop, pairs, start) = (
                            Arc::clone(&stats),
                            Arc::clone(&broken),
                            Arc::clone(&stop),
                            Arc::clone(&pairs),
                            Arc::clone(&start),
                        );
                        thread::Builder::new()
                            .name(format!("course:counter-{i}"))
                            .spawn(move || {
                                start.wait();
                                // With at most THREADS clients in at once, the count
                                // stays between 0 and THREADS; a lost update makes
                                // it drift out (or below zero, a panic on usize).
                                let outcome = std::panic::catch_unwind(|| {
                                    while !stop.load(Ordering::Relaxed) {
                                        let up = stats.connected();
                                        let down = stats.left();
                                        pairs.fetch_add(1, Ordering::Relaxed);
                                        if up == 0 || up > THREADS || down >= THREADS {
                                            return Some(format!(
                                                "`connected()` returned {up}, then `left()` returned {down}, with \
                                                 only {THREADS} threads counting"
                                            ));
                                        }
                                    }
                                    None
                                });
                                let problem = outcome.unwrap_or_else(|_| {
                                    Some(
                                        "`left()` panicked (the count went below zero): another thread's \
                                         `connected()` had been lost"
                                            .to_string(),
                                    )
                                });
                                if let Some(problem) = problem {
                                    broken.lock().unwrap().get_or_insert(problem);
                                    stop.store(true, Ordering::Relaxed);
                                }
                            })
                            .expect("start a thread")
                    })
                    .collect();
                // Up to half a second of contention, or until an update is lost.
                let started = Instant::now();
                while started.elapsed() < Duration::from_millis(500) && !stop.load(Ordering::Relaxed) {
                    thread::sleep(Duration::from_millis(10));
                }
                stop.store(true, Ordering::Relaxed);
                // A thread stuck in a lock would hang the join: wait for them with a deadline.
                run_within_or("the counting threads", Duration::from_secs(5), LOCKED, move || {
                    for worker in workers {
                        let _ = worker.join();
                    }
                });
                let pairs = pairs.load(Ordering::Relaxed);
                let now = stats.active();
                if now != 0 {
                    broken.lock().unwrap().get_or_insert(format!("`stats.active()` is {now} at the end, not 0"));
                }
                let what = broken.lock().unwrap().take();
                if let Some(what) = what {
                    Failure::new("the count lost updates when threads changed it at the same time")
                        .field(
                            "did",
                            format!("{THREADS} threads at once, each calling `connected()` then `left()`, {pairs} pairs in all"),
                        )
                        .field("got", what)
                        .field(
                            "likely",
                            "each change is a `load` then a `store` (or a read and a write of a plain number): \
                             two threads read the same value and one change is lost. Use `fetch_add` / `fetch_sub`",
                        )
                        .fail();
                }
            },
        );
    }
}

mod basics {
    use super::*;

    #[test]
    fn serves_two_clients_at_once() {
        check(
            "give each client a thread of its own: after `accept`, `thread::spawn(move || …)` with the \
             stream moved into the thread, and go straight back to `accept` (do not `join` it). \
             Book: Threads › One thread per client",
            || {
                let server = threads_server();
                let mut a = server.connect();
                a.send_and_confirm("A: hello");
                let mut b = server.connect();
                expect_served_while(
                    &mut b,
                    "B: hello",
                    "client A is connected too: it sent a message and waits",
                    ONE_AT_A_TIME,
                );
                a.send_and_confirm("A: still here");
                b.disconnect();
                a.disconnect();
            },
        );
    }

    #[test]
    fn serves_fifty_clients_at_once() {
        check_within(
            Duration::from_secs(20),
            "fifty clients are connected at the same time and each waits for its confirmation: each \
             needs its own thread. Book: Threads › One thread per client",
            || {
                let server = threads_server();
                let clients: Vec<Client> = (0..50).map(|_| server.connect()).collect();
                let gate = Gate::new(clients.len());
                let unserved = Arc::new(AtomicUsize::new(0));
                let running: Vec<_> = clients
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut client)| {
                        let (gate, unserved) = (gate.clone(), Arc::clone(&unserved));
                        thread::Builder::new()
                            .name(format!("course:client-{i}"))
                            .spawn(move || {
                                if confirmed_within(&mut client, &format!("client {i}: hello"), IO_DEADLINE).is_err() {
                                    unserved.fetch_add(1, Ordering::SeqCst);
                                }
                                // Every client has had its answer, or given up, before any leaves.
                                gate.arrive_and_wait(Duration::from_secs(6));
                                if unserved.load(Ordering::SeqCst) == 0 {
                                    client.send_and_confirm(&format!("client {i}: everyone is here"));
                                    client.disconnect();
                                }
                            })
                            .expect("start a client thread")
                    })
                    .collect();
                let mut first_failure = None;
                for client in running {
                    if let Err(failure) = client.join() {
                        first_failure.get_or_insert(failure);
                    }
                }
                let unserved = unserved.load(Ordering::SeqCst);
                if unserved > 0 {
                    Failure::new(format!(
                        "{unserved} of 50 clients, all connected at the same time, got no confirmation \
                         within {} s",
                        IO_DEADLINE.as_secs()
                    ))
                    .field("each sent", "one message, \"client N: hello\", then waited for its confirmation")
                    .field("served", format!("{} of them", 50 - unserved))
                    .field("likely", ONE_AT_A_TIME)
                    .fail();
                }
                if let Some(failure) = first_failure {
                    std::panic::resume_unwind(failure);
                }
            },
        );
    }

    #[test]
    fn the_server_binary_serves_two_clients_at_once() {
        check(
            "`threads-server` prints `listening on IP:PORT` and calls your `serve`. Try it: \
             `just run 04 server`, then lesson 03's client from two terminals. Book: Threads › Your turn",
            || {
                let server = harness::ServerProcess::start(env!("CARGO_BIN_EXE_threads-server"));
                let mut a = server.connect();
                a.send_and_confirm("A: hello");
                let mut b = server.connect();
                expect_served_while(&mut b, "B: hello", "client A is connected too", ONE_AT_A_TIME);
                a.disconnect();
                b.disconnect();
            },
        );
    }
}

mod sharing {
    use super::*;

    #[test]
    fn counts_clients_as_they_come_and_go() {
        check(
            "count a client in when it is accepted and out when its thread ends, however it ends: \
             an `Arc<Stats>` cloned into each thread, with an `AtomicUsize` inside. \
             Book: Threads › Sharing state: Arc, Mutex and atomics",
            || {
                let (server, stats) = counting_server(threads::handle_client);
                let count = || active_now(&stats);
                expect_count(count, 0, "the server started; no client yet");
                let mut a = server.connect();
                a.send_and_confirm("A: hello");
                expect_count(count, 1, "client A connected and got a confirmation");
                let mut b = server.connect();
                b.send_and_confirm("B: hello");
                expect_count(count, 2, "client B connected too and got a confirmation");
                a.disconnect();
                expect_count(count, 1, "client A sent !DISCONNECT and the server closed it");
                drop(b);
                expect_count(count, 0, "client B closed its socket without a word (no !DISCONNECT)");
                let mut c = server.connect();
                c.send_and_confirm("C: hello");
                expect_count(count, 1, "client C connected and got a confirmation");
            },
        );
    }

    #[test]
    fn no_lock_is_held_while_a_client_is_served() {
        check(
            "take a lock only for the moment you change the shared value, never around a read or a \
             write on a socket: a client that sends nothing would hold it for ever. An atomic needs no lock. \
             Book: Threads › Sharing state: Arc, Mutex and atomics",
            || {
                let (server, stats) = counting_server(threads::handle_client);
                let mut stalled = server.connect();
                let rest = "I will finish, later";
                let message = frame(rest.as_bytes());
                stalled.send(&message[..70]); // the header and 6 bytes of the body, then nothing
                expect_count(|| active_now(&stats), 1, "a client connected and sent half a message");
                let mut other = server.connect();
                expect_served_while(
                    &mut other,
                    "not stalled",
                    "another client is stalled in the middle of a message",
                    ONE_AT_A_TIME,
                );
                expect_count(|| active_now(&stats), 2, "a second client connected and got a confirmation");
                other.disconnect();
                stalled.send(&message[70..]);
                stalled.expect_confirmation();
                stalled.disconnect();
            },
        );
    }
}

mod robustness {
    use super::*;

    /// A handler that panics for the first client it is given, and serves the others.
    fn panics_for_the_first_client(stream: TcpStream) {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the check's handler panics on purpose, for the first client");
        }
        threads::handle_client(stream);
    }

    /// The same, with a counter of its own (each check gets its own handler).
    fn also_panics_for_the_first_client(stream: TcpStream) {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the check's handler panics on purpose, for the first client");
        }
        threads::handle_client(stream);
    }

    #[test]
    fn a_client_stalled_mid_header_delays_nobody() {
        check(
            "a client that sends half a header and stops only blocks its own thread's read; \
             the others have threads of their own. Book: Threads › One thread per client",
            || {
                let server = threads_server();
                let body = "sorry, I was stalled";
                let message = frame(body.as_bytes());
                let mut stalled = server.connect();
                stalled.send(&message[..5]);
                for i in 1..=3 {
                    let mut other = server.connect();
                    expect_served_while(
                        &mut other,
                        &format!("client {i}: hello"),
                        "another client has sent 5 bytes of a 64-byte header, and then nothing",
                        ONE_AT_A_TIME,
                    );
                    other.disconnect();
                }
                stalled.send(&message[5..]);
                stalled.expect_confirmation();
                stalled.disconnect();
            },
        );
    }

    #[test]
    fn a_panic_in_one_handler_does_not_take_the_server_down() {
        check(
            "a panic ends the thread it happens on. Run each client's handler on its own thread \
             and the accept loop never sees it. Book: Threads › When a handler panics",
            || {
                let (server, _stats) = counting_server(panics_for_the_first_client);
                let mut unlucky = server.connect();
                unlucky.expect_closed();
                let mut next = server.connect();
                next.send_and_confirm("the next client: hello");
                next.disconnect();
                server.assert_running("a client's handler panicked");
            },
        );
    }

    #[test]
    fn the_count_goes_down_when_a_handler_panics() {
        check(
            "a panic skips the rest of the thread's code, so a count-out written after the handler never \
             runs. Put it in the `Drop` of a guard that the thread owns: drops run while a panic unwinds. \
             Book: Threads › When a handler panics",
            || {
                let (server, stats) = counting_server(also_panics_for_the_first_client);
                let mut unlucky = server.connect();
                unlucky.expect_closed();
                expect_count(|| active_now(&stats), 0, "the only client's handler panicked and its connection closed");
                let mut next = server.connect();
                next.send_and_confirm("the next client: hello");
                expect_count(|| active_now(&stats), 1, "a new client connected and got a confirmation");
            },
        );
    }
}

mod pool {
    use super::*;

    /// Starts the learner's pool on a free port; `start_pool` must return at once.
    fn start_pool(workers: usize, name: &'static str, handler: threads::Handler) -> (PoolHandle, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let started = run_within("`start_pool`", Duration::from_secs(2), move || {
            threads::start_pool(listener, workers, name, handler)
        });
        match started {
            Ok(pool) => (pool, addr),
            Err(e) => Failure::new("`start_pool` returned an error").field("error", e).fail(),
        }
    }

    /// The listener's backlog once the pool's acceptor has had a moment to
    /// take what it will (it takes connections in microseconds; 300 ms is
    /// plenty even on a busy machine). `Err` where it cannot be measured.
    fn backlog_after_a_moment(addr: SocketAddr) -> Result<usize, String> {
        let started = Instant::now();
        loop {
            let now = waiting_in_backlog(addr)?;
            if now == 0 || started.elapsed() > Duration::from_millis(300) {
                return Ok(now);
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Panics for the first two clients, serves the others.
    fn panics_for_two_clients(stream: TcpStream) {
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        if CALLS.fetch_add(1, Ordering::SeqCst) < 2 {
            panic!("the check's handler panics on purpose, for the first two clients");
        }
        threads::handle_client(stream);
    }

    #[test]
    fn the_pool_serves_as_many_clients_at_once_as_it_has_workers() {
        check(
            "start `workers` threads that each take the next client from a shared queue and serve it; \
             take the queue's lock only to receive, not while serving. Book: Threads › A pool of workers",
            || {
                let (_pool, addr) = start_pool(3, "q4once", threads::handle_client);
                let mut a = Client::connect(addr);
                a.send_and_confirm("A: hello");
                let mut b = Client::connect(addr);
                expect_served_while(&mut b, "B: hello", "client A is connected to the pool of 3 workers", POOL_IN_TURN);
                let mut c = Client::connect(addr);
                expect_served_while(
                    &mut c,
                    "C: hello",
                    "clients A and B are connected to the pool of 3 workers",
                    POOL_IN_TURN,
                );
                for mut client in [a, b, c] {
                    client.disconnect();
                }
            },
        );
    }

    #[test]
    fn clients_beyond_the_pool_wait_their_turn() {
        check(
            "a pool has a fixed number of workers and no more threads: a client beyond them waits (in the \
             bounded queue, then in the listener's backlog) until a worker is free, then it is served. \
             Book: Threads › A pool of workers",
            || {
                let (_pool, addr) = start_pool(2, "q4wait", threads::handle_client);
                let mut a = Client::connect(addr);
                a.send_and_confirm("A: hello");
                let mut b = Client::connect(addr);
                expect_served_while(&mut b, "B: hello", "client A is connected to the pool of 2 workers", POOL_IN_TURN);
                let mut c = Client::connect(addr);
                let early = frame(b"C: my turn yet?");
                c.send(&early);
                let _ = c.stream().set_read_timeout(Some(Duration::from_millis(300)));
                let mut buf = [0u8; 64];
                if let Ok(n @ 1..) = c.stream().read(&mut buf) {
                    Failure::new("a pool of 2 busy workers served a third client at once")
                        .field("meanwhile", "clients A and B are connected and each holds a worker")
                        .field("it sent", "the message \"C: my turn yet?\"")
                        .field("it got", show_bytes(&buf[..n]))
                        .field("likely", "the pool starts a thread per client: it is not bounded")
                        .fail();
                }
                if let n @ 4.. = threads_named("q4wait") {
                    Failure::new(format!("{n} threads named q4wait… run for a pool of 2 workers"))
                        .field("expected", "the 2 workers and at most one thread that accepts")
                        .fail();
                }
                // Eight more: a bounded queue takes a few, and the rest must stay
                // in the listener's backlog, where the kernel keeps them for free.
                let more: Vec<Client> = (0..8).map(|_| Client::connect(addr)).collect();
                let waiting = backlog_after_a_moment(addr);
                if waiting == Ok(0) {
                    Failure::new("a pool of 2 busy workers accepted every client that came, 9 more than it can serve")
                        .field("meanwhile", "clients A and B hold the 2 workers; C and 8 more clients connected")
                        .field("listener's backlog", "0 connections: the pool took them all out of it")
                        .field(
                            "likely",
                            "the queue between the acceptor and the workers is unbounded (`mpsc::channel()`): use \
                             `mpsc::sync_channel(workers)`. When it is full, `send` waits, the acceptor stops \
                             accepting, and new clients wait in the listener's backlog",
                        )
                        .fail();
                }
                drop(more);
                a.disconnect();
                c.expect_confirmation(); // A's worker is free: now C is served.
                c.send_and_confirm("C: thanks for having me");
                c.disconnect();
                b.disconnect();
                if let Err(reason) = waiting {
                    harness::not_measured(&reason);
                }
            },
        );
    }

    #[test]
    fn a_panic_does_not_shrink_the_pool() {
        check(
            "a panic ends the thread it happens on, and a worker is a thread: catch it with \
             `std::panic::catch_unwind` around the handler, so the worker lives on. \
             Book: Threads › When a handler panics",
            || {
                let (_pool, addr) = start_pool(2, "q4panic", panics_for_two_clients);
                for _ in 0..2 {
                    let mut unlucky = Client::connect(addr);
                    unlucky.expect_closed();
                }
                for i in 1..=2 {
                    let mut next = Client::connect(addr);
                    next.send_and_confirm(&format!("client {i} after the panics: hello"));
                    next.disconnect();
                }
            },
        );
    }

    #[test]
    fn shutdown_lets_clients_finish_and_joins_every_thread() {
        check(
            "`shutdown`: set a flag, wake the blocked `accept` by connecting to the listener's own \
             address, close the queue (drop the sender) so idle workers stop, then `join` every thread. \
             Book: Threads › Graceful shutdown",
            || {
                let (pool, addr) = start_pool(2, "q4shut", threads::handle_client);
                // A thread takes its name itself, as it starts: give them a moment.
                let started = Instant::now();
                while threads_named("q4shut") == 0 && started.elapsed() < Duration::from_secs(1) {
                    thread::sleep(Duration::from_millis(5));
                }
                if threads_named("q4shut") == 0 {
                    Failure::new("no thread named q4shut… is running after `start_pool(listener, 2, \"q4shut\", …)`")
                        .field("expected", "the pool's threads named `q4shut-0`, `q4shut-1`, `q4shut-accept`")
                        .field("why", "the check counts them by name to see that `shutdown` joins them all")
                        .fail();
                }
                let mut a = Client::connect(addr);
                a.send_and_confirm("A: before the shutdown");

                let (done, returned) = std::sync::mpsc::channel();
                let stopping = thread::Builder::new()
                    .name("course:shutdown".into())
                    .spawn(move || {
                        pool.shutdown();
                        let _ = done.send(());
                    })
                    .expect("start a thread");
                if returned.recv_timeout(Duration::from_millis(300)).is_ok() {
                    Failure::new("`shutdown` returned while client A was still being served")
                        .field("expected", "shutdown waits for the clients in progress: it joins every worker")
                        .fail();
                }
                a.send_and_confirm("A: while the pool shuts down");
                a.disconnect();
                match returned.recv_timeout(Duration::from_secs(3)) {
                    Ok(()) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match stopping.join() {
                        Err(panic) => std::panic::resume_unwind(panic),
                        Ok(()) => unreachable!("the thread sends before it ends"),
                    },
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        Failure::new("`shutdown` did not return within 3 s after the last client left")
                            .field(
                                "likely",
                                "a thread never ends: `accept` still blocked (wake it by connecting to \
                                 the pool's own address), or a worker waiting on a queue nobody closed",
                            )
                            .fail()
                    }
                }
                let left = threads_left("q4shut", Duration::from_millis(500));
                if left > 0 {
                    Failure::new(format!("{left} of the pool's threads still run after `shutdown` returned"))
                        .field("expected", "none: `shutdown` joins every thread it started")
                        .fail();
                }
                if let Ok(late) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                    drop(late);
                    Failure::new("a new client could still connect after `shutdown` returned")
                        .field("expected", "the listener is closed (dropped) when the pool stops")
                        .fail();
                }
            },
        );
    }
}
