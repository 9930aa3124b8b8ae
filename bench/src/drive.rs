//! The clients: each sends messages one after another and times each
//! confirmation. Every wait has a deadline.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::children::{status, ServerChild};

const CONFIRMATION: &[u8] = b"Msg received\n";
/// A 32-byte body, like a short chat line.
const BODY: &[u8; 32] = b"load test: thirty-two bytes, ok.";

/// What a run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Messages sent and confirmed, over all clients.
    pub confirmed: usize,
    /// Messages the run meant to send.
    pub expected: usize,
    /// Round-trip time of each confirmed message, sorted.
    pub latencies: Vec<Duration>,
    pub wall: Duration,
    /// The run's deadline passed before every client was done.
    pub deadline_hit: bool,
    /// Errors other than the deadline, one per client at most.
    pub errors: Vec<String>,
    /// The longest any client waited, from the start of the run, for its
    /// first confirmation: how long a client queues before it is served.
    pub slowest_first_reply: Option<Duration>,
}

impl Outcome {
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let at = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        Some(self.latencies[at])
    }

    pub fn rate(&self) -> f64 {
        self.confirmed as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

// ANCHOR: scoped
/// `clients` clients at once, each sending `messages` messages; all must be
/// done within `deadline`.
///
/// Scoped threads: every client thread borrows `frame` from this function,
/// with no `Arc` and no copy, because `thread::scope` joins them all before
/// it returns, so `frame` outlives them.
pub fn load_run(
    addr: SocketAddr,
    clients: usize,
    messages: usize,
    deadline: Duration,
) -> Outcome {
    let mut frame = format!("{:<64}", BODY.len()).into_bytes();
    frame.extend_from_slice(BODY);
    let started = Instant::now();
    let until = started + deadline;
    let results: Vec<ClientResult> = thread::scope(|scope| {
        let running: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    one_client(addr, &frame, messages, started, until)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|client| client.join().unwrap_or_else(|_| panicked()))
            .collect()
    });
    let mut outcome = Outcome {
        expected: clients * messages,
        wall: started.elapsed(),
        ..Outcome::default()
    };
    for ClientResult { latencies, first_reply, error } in results {
        outcome.confirmed += latencies.len();
        outcome.latencies.extend(latencies);
        outcome.slowest_first_reply =
            outcome.slowest_first_reply.max(first_reply);
        match error {
            Some(e) if is_timeout_text(&e) => outcome.deadline_hit = true,
            Some(e) => outcome.errors.push(e),
            None => {}
        }
    }
    outcome.latencies.sort();
    outcome
}
// ANCHOR_END: scoped

/// What one client saw.
struct ClientResult {
    /// The round-trip time of each confirmed message.
    latencies: Vec<Duration>,
    /// From the start of the run to the first confirmation.
    first_reply: Option<Duration>,
    /// Why the client stopped early, if it did.
    error: Option<String>,
}

fn panicked() -> ClientResult {
    ClientResult {
        latencies: Vec::new(),
        first_reply: None,
        error: Some("client thread panicked".into()),
    }
}

/// One client: sends `frame` `messages` times, each time waiting for the confirmation.
fn one_client(
    addr: SocketAddr,
    frame: &[u8],
    messages: usize,
    started: Instant,
    until: Instant,
) -> ClientResult {
    let mut latencies = Vec::with_capacity(messages);
    let mut first_reply = None;
    let result = (|| -> io::Result<()> {
        let mut stream = TcpStream::connect_timeout(&addr, left(until)?)?;
        stream.set_nodelay(true)?;
        let mut reply = [0u8; CONFIRMATION.len()];
        for _ in 0..messages {
            stream.set_read_timeout(Some(left(until)?))?;
            stream.set_write_timeout(Some(left(until)?))?;
            let sent = Instant::now();
            stream.write_all(frame)?;
            stream.read_exact(&mut reply)?;
            if reply != CONFIRMATION {
                return Err(io::Error::other(format!(
                    "unexpected reply {:?}",
                    String::from_utf8_lossy(&reply)
                )));
            }
            latencies.push(sent.elapsed());
            first_reply.get_or_insert_with(|| started.elapsed());
        }
        // Say goodbye politely; not timed.
        stream.set_read_timeout(Some(Duration::from_millis(500)))?;
        stream.write_all(format!("{:<64}!DISCONNECT", 11).as_bytes())?;
        let _ = stream.read_exact(&mut reply);
        Ok(())
    })();
    ClientResult {
        latencies,
        first_reply,
        error: result.err().map(|e| e.to_string()),
    }
}

/// Time left before `until`, or a timeout error.
fn left(until: Instant) -> io::Result<Duration> {
    let left = until.saturating_duration_since(Instant::now());
    if left < Duration::from_millis(1) {
        return Err(io::Error::new(ErrorKind::TimedOut, "deadline"));
    }
    Ok(left)
}

fn is_timeout_text(e: &str) -> bool {
    e.contains("deadline")
        || e.contains("timed out")
        || e.contains("Resource temporarily unavailable")
}

/// The idle run's results.
#[derive(Debug, Default)]
pub struct IdleOutcome {
    pub opened: usize,
    /// Why fewer idle connections than asked were opened.
    pub open_note: Option<String>,
    pub active: Outcome,
    pub rss_start_kb: u64,
    pub rss_peak_kb: u64,
    pub threads_peak: u64,
    /// The server's memory as the idle connections were opened: (held,
    /// VmRSS in kB), one point per fifth of them, for the plot.
    pub memory_steps: Vec<(usize, u64)>,
}

/// The idle connections are opened in this many steps, with the server's
/// memory read after each.
const STEPS: usize = 5;

/// Opens `idle` connections that say nothing, then runs `active` clients
/// beside them, sampling the server's memory and threads every 5 ms. The
/// peaks are sampled peaks: the active clients do not all overlap (a client
/// may finish before the last one connects), so a thread-per-client server
/// may show fewer than `1 + idle + active` threads.
pub fn idle_run(
    server: &ServerChild,
    idle: usize,
    active: usize,
    messages: usize,
    deadline: Duration,
) -> IdleOutcome {
    let addr = server.addr();
    let pid = server.pid();
    let mut outcome = IdleOutcome::default();
    if let Some((rss, _)) = status(pid) {
        outcome.rss_start_kb = rss;
    }

    let peaks = Arc::new(Mutex::new((0u64, 0u64)));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peaks, stop) = (Arc::clone(&peaks), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some((rss, threads)) = status(pid) {
                    let mut peak =
                        peaks.lock().unwrap_or_else(|p| p.into_inner());
                    peak.0 = peak.0.max(rss);
                    peak.1 = peak.1.max(threads);
                }
                // Often, but still a sample: a server thread that lives for
                // less than this (an active client's, say) may be missed.
                thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let mut held = Vec::with_capacity(idle);
    outcome.memory_steps.push((0, outcome.rss_start_kb));
    let base_fds = open_fds(pid).unwrap_or(0);
    for step in 1..=STEPS {
        let (more, note) = open_idle(addr, idle * step / STEPS - held.len());
        held.extend(more);
        settle(pid, base_fds + held.len());
        if let Some((rss, _)) = status(pid) {
            outcome.memory_steps.push((held.len(), rss));
        }
        if note.is_some() {
            outcome.open_note = note;
            break;
        }
    }
    outcome.opened = held.len();

    outcome.active = load_run(addr, active, messages, deadline);

    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (rss, threads) = *peaks.lock().unwrap_or_else(|p| p.into_inner());
    outcome.rss_peak_kb = rss;
    outcome.threads_peak = threads;
    drop(held);
    outcome
}

/// Waits until the server holds `fds` descriptors (it has accepted what we
/// opened), or until their number has not changed for 200 ms (a server that
/// does not accept them all), and at most 2 s.
fn settle(pid: u32, fds: usize) {
    let until = Instant::now() + Duration::from_secs(2);
    let (mut last, mut since) = (open_fds(pid), Instant::now());
    while Instant::now() < until && since.elapsed() < Duration::from_millis(200)
    {
        let now = open_fds(pid);
        if now.is_none_or(|n| n >= fds) {
            return;
        }
        if now != last {
            (last, since) = (now, Instant::now());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// How many descriptors a process has open, from /proc/<pid>/fd.
fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Opens `idle` connections that will say nothing, from a few threads at once:
/// when a busy server's backlog overflows, the kernel drops a SYN and `connect`
/// waits a second to try again, and those waits should overlap.
///
/// A server that stops accepting fills its backlog, and then `connect` times
/// out: an opener gives up at its first failed connect, and everyone after 30 s.
fn open_idle(
    addr: SocketAddr,
    idle: usize,
) -> (Vec<TcpStream>, Option<String>) {
    const OPENERS: usize = 8;
    let until = Instant::now() + Duration::from_secs(30);
    let results: Vec<(Vec<TcpStream>, Option<String>)> =
        thread::scope(|scope| {
            let openers: Vec<_> = (0..OPENERS)
                .map(|i| {
                    let share =
                        idle / OPENERS + usize::from(i < idle % OPENERS);
                    scope.spawn(move || {
                        let mut held = Vec::with_capacity(share);
                        while held.len() < share {
                            if Instant::now() > until {
                                return (
                                    held,
                                    Some(
                                        "gave up opening after 30 s"
                                            .to_string(),
                                    ),
                                );
                            }
                            match TcpStream::connect_timeout(
                                &addr,
                                Duration::from_secs(2),
                            ) {
                                Ok(stream) => held.push(stream),
                                Err(e) => {
                                    return (
                                        held,
                                        Some(format!("connect: {e}")),
                                    )
                                }
                            }
                        }
                        (held, None)
                    })
                })
                .collect();
            openers
                .into_iter()
                .map(|o| {
                    o.join().unwrap_or_else(|_| {
                        (Vec::new(), Some("panicked".into()))
                    })
                })
                .collect()
        });
    let mut all = Vec::with_capacity(idle);
    let mut note = None;
    for (held, why) in results {
        all.extend(held);
        note = note.or(why);
    }
    (all, note)
}
