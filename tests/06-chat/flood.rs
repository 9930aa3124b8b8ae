//! Fairness under flood, measured from outside with real clients: one user
//! floods the room as fast as loopback takes it, one reads steadily but far
//! slower, one never reads. The contract (lesson 06): the flooder is slowed
//! down, the steady reader stays and misses nothing, the reader who never
//! reads is disconnected within seconds, and the server's memory stays bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::{Failure, IO_DEADLINE};

/// The most the flooder sends: 24,000 lines of 900 bytes (about 21 MB). A
/// server that slows nobody takes it all in a second or two.
pub const MAX_LINES: usize = 24_000;
/// The bytes of each flood line, `\n` included.
pub const LINE_BYTES: usize = 900;
/// How fast the steady reader reads: far slower than loopback, and steady.
pub const READER_BYTES_PER_SEC: usize = 2 * 1024 * 1024;
/// The longest the flood goes on; it stops earlier, once the user who never
/// reads has been disconnected and the flood has gone on a second more.
pub const FLOOD_FOR: Duration = Duration::from_secs(8);

/// What one flood did, as the clients saw it.
#[derive(Debug, Default)]
pub struct Flood {
    /// Lines the flooder got out (whole writes only).
    pub sent: usize,
    /// Flood lines the steady reader received, in order.
    pub delivered: usize,
    /// What went wrong for the steady reader, if anything: it was
    /// disconnected, a line was missing, or nothing came for a while.
    pub reader_trouble: Option<String>,
    /// What went wrong for the flooder: a write failed (it was disconnected).
    pub flooder_trouble: Option<String>,
    /// When the others heard `* stuck left`, from the start of the flood.
    pub stuck_left_after: Option<Duration>,
    /// How long the flood lasted.
    pub lasted: Duration,
    /// The total time the flooder's writes were blocked (writes of more than
    /// 20 ms): how long the server stopped reading from it.
    pub paused: Duration,
    /// The longest single blocked write of the flooder.
    pub longest_pause: Duration,
    /// How much the server's peak memory grew during the flood, in KiB;
    /// `None` when it could not be read after the flood (the server had
    /// ended, say): `judge` says so once the other promises were kept.
    pub memory_growth_kib: Option<u64>,
}

/// The most memory a process has used so far, in KiB (see
/// `harness::measure::peak_memory`: its peak resident set on Linux, peak
/// footprint on macOS, peak working set on Windows).
pub fn peak_memory_kib(pid: u32) -> u64 {
    let bytes = harness::measure::peak_memory(pid).unwrap_or_else(|e| {
        Failure::new("could not read the server's memory").field("process", pid).field("error", e).fail()
    });
    bytes / 1024
}

/// Connects, reads the prompt, joins as `name` and reads the room list.
fn join(addr: SocketAddr, name: &str) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect_timeout(&addr, IO_DEADLINE).unwrap_or_else(|e| {
        Failure::new(format!("{name} could not connect to chat-server at {addr}")).field("error", e).fail()
    });
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IO_DEADLINE));
    let _ = stream.set_write_timeout(Some(IO_DEADLINE));
    let mut pending = Vec::new();
    read_line(&mut stream, &mut pending, name, "the prompt");
    if let Err(e) = stream.write_all(format!("{name}\n").as_bytes()) {
        Failure::new(format!("{name} could not send its nickname")).field("error", e).fail()
    }
    read_line(&mut stream, &mut pending, name, "the room list");
    (stream, pending)
}

/// Reads one line (buffering what comes after it in `pending`); fails when none comes.
fn read_line(stream: &mut TcpStream, pending: &mut Vec<u8>, who: &str, what: &str) -> String {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            return String::from_utf8_lossy(&line[..end]).into_owned();
        }
        match stream.read(&mut buf) {
            Ok(n @ 1..) => pending.extend_from_slice(&buf[..n]),
            Ok(0) => Failure::new(format!("{who} expected {what}, but the server closed the connection")).fail(),
            Err(e) => Failure::new(format!("{who} expected {what}, but none came")).field("error", e).fail(),
        }
    }
}

/// The flooder's lines: `flood <n> ` then `x`s, 900 bytes with the `\n`.
fn flood_line(n: usize) -> String {
    let head = format!("flood {n} ");
    format!("{head}{}\n", "x".repeat(LINE_BYTES - 1 - head.len()))
}

/// Runs the flood against a running `chat-server` (pid `pid`, at `addr`).
pub fn run(addr: SocketAddr, pid: u32) -> Flood {
    let (mut reader, mut pending) = join(addr, "reader");
    let (stuck, _) = join(addr, "stuck");
    let (flooder, _) = join(addr, "flood");
    for who in ["stuck", "flood"] {
        let line = read_line(&mut reader, &mut pending, "reader", &format!("`* {who} joined`"));
        if line != format!("* {who} joined") {
            Failure::new(format!("reader expected `* {who} joined`")).field("got", format!("{line:?}")).fail()
        }
    }
    let memory_before = peak_memory_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let pauses = Arc::new(Mutex::new((Duration::ZERO, Duration::ZERO, None::<String>)));
    let started = Instant::now();
    let flooding = {
        let (stop, sent, pauses) = (Arc::clone(&stop), Arc::clone(&sent), Arc::clone(&pauses));
        let mut flooder = flooder;
        thread::spawn(move || {
            // A write may wait for the slowest reader, but not for ever.
            let _ = flooder.set_write_timeout(Some(Duration::from_secs(4)));
            let mut n = 0;
            while n < MAX_LINES && !stop.load(Ordering::SeqCst) {
                let batch: String = (n..(n + 16).min(MAX_LINES)).map(flood_line).collect();
                let t = Instant::now();
                let outcome = flooder.write_all(batch.as_bytes());
                let took = t.elapsed();
                let mut p = pauses.lock().unwrap_or_else(|e| e.into_inner());
                if took > Duration::from_millis(20) {
                    p.0 += took;
                    p.1 = p.1.max(took);
                }
                if let Err(e) = outcome {
                    p.2 = Some(format!("after {n} lines, a write failed: {e}"));
                    break;
                }
                n = (n + 16).min(MAX_LINES);
                sent.store(n, Ordering::SeqCst);
            }
            // Kept open until the reader has everything: closing a socket with
            // unread bytes (the notices the flooder never reads) resets the
            // connection, and the server would lose the last lines sent.
            flooder
        })
    };

    let mut flood = Flood::default();
    let mut received = 0usize; // bytes, for the reader's pace
    let mut buf = vec![0u8; 16 * 1024];
    let mut stopped_at = None;
    let _ = reader.set_read_timeout(Some(IO_DEADLINE));
    'reading: loop {
        // Every whole line received so far.
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if line == "* stuck left" {
                flood.stuck_left_after.get_or_insert(started.elapsed());
                continue;
            }
            if line == "* flood left" {
                let cut = format!(
                    "the server disconnected it after {} lines (the others heard `* flood left`)",
                    flood.delivered
                );
                pauses.lock().unwrap_or_else(|e| e.into_inner()).2.get_or_insert(cut);
                break 'reading;
            }
            let expected = format!("[flood] flood {} ", flood.delivered);
            if !line.starts_with(&expected) {
                let shown: String = line.chars().take(40).collect();
                flood.reader_trouble = Some(format!(
                    "after {} flood lines in order, it got {shown:?}… where {expected:?}… was next: lines were lost",
                    flood.delivered
                ));
                break 'reading;
            }
            flood.delivered += 1;
        }
        let elapsed = started.elapsed();
        let sent_now = sent.load(Ordering::SeqCst);
        let flood_over = flooding.is_finished();
        if stopped_at.is_none()
            && (flood_over
                || elapsed >= FLOOD_FOR
                || flood.stuck_left_after.is_some_and(|t| elapsed > t + Duration::from_secs(1)))
        {
            stop.store(true, Ordering::SeqCst);
            stopped_at = Some(elapsed);
        }
        if flood_over && flood.delivered >= sent_now {
            break;
        }
        if elapsed > FLOOD_FOR + Duration::from_secs(6) {
            flood.reader_trouble = Some(format!(
                "it had {} of the {sent_now} lines sent, {} s after the flood began",
                flood.delivered,
                elapsed.as_secs()
            ));
            break;
        }
        // Steady and slow while the flood lasts; as fast as it can after.
        if stopped_at.is_none() {
            let due = Duration::from_secs_f64(received as f64 / READER_BYTES_PER_SEC as f64);
            if let Some(wait) = due.checked_sub(elapsed) {
                thread::sleep(wait);
            }
        }
        match reader.read(&mut buf) {
            Ok(0) => {
                flood.reader_trouble =
                    Some(format!("the server closed its connection after {} of the flood lines", flood.delivered));
                break;
            }
            Ok(n) => {
                received += n;
                pending.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                flood.reader_trouble = Some(format!(
                    "nothing came for {} s, after {} of the flood lines (the room stalled)",
                    IO_DEADLINE.as_secs(),
                    flood.delivered
                ));
                break;
            }
            Err(e) => {
                flood.reader_trouble =
                    Some(format!("its connection failed after {} of the flood lines: {e}", flood.delivered));
                break;
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    let lasted = stopped_at.unwrap_or_else(|| started.elapsed());
    let flooder = flooding.join();
    drop(stuck);
    drop(flooder);
    let p = pauses.lock().unwrap_or_else(|e| e.into_inner());
    flood.sent = sent.load(Ordering::SeqCst);
    flood.lasted = lasted;
    flood.paused = p.0;
    flood.longest_pause = p.1;
    flood.flooder_trouble = p.2.clone();
    let memory_after = harness::measure::peak_memory(pid).ok().map(|bytes| bytes / 1024);
    flood.memory_growth_kib = memory_after.map(|after| after.saturating_sub(memory_before));
    flood
}

/// Fails, naming the first broken promise, unless the flood was fair.
pub fn judge(flood: &Flood) {
    let numbers = format!(
        "{} lines of {LINE_BYTES} bytes sent in {:.2} s, {} received by reader",
        flood.sent,
        flood.lasted.as_secs_f64(),
        flood.delivered
    );
    if let Some(trouble) = &flood.flooder_trouble {
        Failure::new("the user who flooded the room was cut off")
            .field("flooder", trouble)
            .field("flood", numbers)
            .field(
                "expected",
                "slow them down (stop reading from them while a reader's queue is full), not disconnect them",
            )
            .fail()
    }
    if let Some(trouble) = &flood.reader_trouble {
        let stalled = trouble.contains("stalled") || trouble.contains("s after the flood began");
        let likely = if stalled {
            "the flooder waits for the user who never reads, for ever: that one is stuck, and must be \
             disconnected (write each line with `write_within(…, STUCK)`); or someone waits while holding \
             the room's lock"
        } else {
            "a full queue disconnects its reader (or drops the line): that punishes the reader for the \
             flooder's speed. Hand the line back instead, and let the sender's thread wait for room \
             (`deliver`, after the lock is released)"
        };
        Failure::new(
            "a user who kept reading, steadily but slower than loopback, was not served fairly while another \
             user flooded the room",
        )
        .field("reader", trouble)
        .field("flood", numbers)
        .field("likely", likely)
        .fail()
    }
    if flood.sent == MAX_LINES && flood.paused < Duration::from_millis(500) {
        Failure::new("the user who flooded the room was never slowed down")
            .field("flood", numbers)
            .field("meanwhile", "one reader read 2 MiB/s and another read nothing: neither could keep up")
            .field(
                "likely",
                "the lines for readers who are behind pile up in the server: a queue without a bound \
                 (`mpsc::channel()`). With `sync_channel(QUEUE_LEN)`, a full queue hands the line back and the \
                 sender waits in `deliver`: the flooder goes at the pace of the readers",
            )
            .fail()
    }
    if flood.stuck_left_after.is_none() {
        Failure::new("a user who never read a byte was not disconnected while another user flooded the room")
            .field("flood", numbers)
            .field("heard", "no `* stuck left` during the flood")
            .field(
                "likely",
                "a reader who takes no line for STUCK (2 s) is stuck: write each line with \
                 `write_within(&mut stream, line, STUCK)` and end the writer when it fails",
            )
            .fail()
    }
    let Some(grown) = flood.memory_growth_kib else {
        Failure::new("could not read chat-server's memory after the flood").field("flood", numbers).fail()
    };
    if grown >= 16 * 1024 {
        Failure::new(format!("chat-server's memory grew by {} MiB during the flood", grown / 1024))
            .field("flood", numbers)
            .field(
                "likely",
                "a queue without a bound (`mpsc::channel`): lines for readers who are behind pile up in memory. \
                 Use `sync_channel(QUEUE_LEN)`, and let the sender wait when it is full",
            )
            .fail()
    }
}
