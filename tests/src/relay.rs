//! A lossy network in a box, for the datagram checks (lesson 07).
//!
//! A [`Relay`] sits between a client and a UDP server: the client sends to
//! the relay's address, and the relay passes each datagram on, both ways. On
//! the way it drops some, sends some twice, and holds some back so that later
//! ones overtake them, the way a real network can.
//!
//! **Deterministic.** What happens to a datagram depends only on the seed, its
//! direction, its bytes and how many times those same bytes went that way
//! before: the third copy of `"3 three"` towards the server meets the same
//! fate on every run, whatever the timing. So a client that resends and a
//! server that delivers once are put through the same trials every run, and a
//! failure can be replayed and read.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::failure::show_bytes;

/// What the relay does to the datagrams it carries, in percent, each way.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// Chooses which datagrams meet which fate; another seed, other trials.
    pub seed: u64,
    /// Lost on the way.
    pub drop: u8,
    /// Delivered twice: once now, once more later (after a delay).
    pub duplicate: u8,
    /// Held back, then delivered: the datagrams behind it overtake it.
    pub delay: u8,
    /// How long a delayed datagram (or a duplicate's second copy) is held, in ms.
    pub delay_ms: (u64, u64),
    /// The most copies of one datagram lost in all, each way (0: no limit).
    /// With 2, a request and its ACK lose at most 4 round trips together, so
    /// a client that resends as it should always gets through within its 5
    /// sends, however the seed falls and however late a busy machine makes
    /// an ACK: the check is about resending, not about luck.
    pub max_losses: u64,
}

impl Faults {
    /// A perfect network: everything passes at once.
    pub fn none() -> Faults {
        Faults { seed: 0, drop: 0, duplicate: 0, delay: 0, delay_ms: (0, 0), max_losses: 0 }
    }
}

/// Which way a datagram travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    ToServer,
    ToClient,
}

/// What the relay did with one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Passed,
    Dropped,
    /// Passed, and a second copy this many ms later.
    Duplicated(u64),
    /// Held back this many ms.
    Delayed(u64),
}

/// One datagram the relay carried, and its fate.
#[derive(Debug, Clone)]
pub struct Event {
    pub way: Way,
    pub payload: Vec<u8>,
    pub fate: Fate,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let way = match self.way {
            Way::ToServer => "client -> server",
            Way::ToClient => "server -> client",
        };
        let fate = match self.fate {
            Fate::Passed => "passed".to_string(),
            Fate::Dropped => "LOST".to_string(),
            Fate::Duplicated(ms) => format!("passed, and again {ms} ms later"),
            Fate::Delayed(ms) => format!("held back {ms} ms"),
        };
        write!(f, "{way} {}: {fate}", show_bytes(&self.payload))
    }
}

/// A lossy relay in front of the UDP server at `server`; see the module's doc.
/// Its threads stop when it is dropped.
pub struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    faults: Faults,
    stop: AtomicBool,
    events: Mutex<Vec<Event>>,
    /// How many times each payload went each way (the "occurrence" of a
    /// fate), and how many of its copies were lost.
    seen: Mutex<HashMap<(Way, Vec<u8>), Tally>>,
    /// Datagrams scheduled and not yet sent.
    pending: Mutex<usize>,
    idle: Condvar,
}

/// For one payload one way: how many copies went, and how many were lost.
type Tally = (u64, u64);

/// A datagram to send at `due`.
struct Job {
    due: Instant,
    order: u64,
    socket: Arc<UdpSocket>,
    /// `None`: the socket is connected (towards the server).
    to: Option<SocketAddr>,
    payload: Vec<u8>,
}

/// How long a relay thread blocks before it looks at the stop flag.
const TICK: Duration = Duration::from_millis(50);

impl Relay {
    /// Starts a relay on `127.0.0.1:0` in front of `server`.
    pub fn start(server: SocketAddr, faults: Faults) -> Relay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("the relay could not bind 127.0.0.1:0"));
        let _ = front.set_read_timeout(Some(TICK));
        let addr = front.local_addr().expect("a bound socket has an address");
        let shared = Arc::new(Shared {
            faults,
            stop: AtomicBool::new(false),
            events: Mutex::new(Vec::new()),
            seen: Mutex::new(HashMap::new()),
            pending: Mutex::new(0),
            idle: Condvar::new(),
        });
        let (jobs, queue) = mpsc::channel::<Job>();
        let scheduler = Arc::clone(&shared);
        thread::Builder::new()
            .name("relay-scheduler".into())
            .spawn(move || schedule(queue, &scheduler))
            .expect("the relay could not start a thread");
        let reader = Arc::clone(&shared);
        thread::Builder::new()
            .name("relay-front".into())
            .spawn(move || from_clients(front, server, jobs, reader))
            .expect("the relay could not start a thread");
        Relay { addr, shared }
    }

    /// Where clients send: the relay's own address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every datagram carried so far, in the order they came.
    pub fn events(&self) -> Vec<Event> {
        self.shared.events.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// How many times a client sent exactly `payload` towards the server.
    pub fn sends_of(&self, payload: &[u8]) -> u64 {
        let seen = self.shared.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&(Way::ToServer, payload.to_vec())).map_or(0, |&(count, _)| count)
    }

    /// The last `n` events, one per line, for a failure message.
    pub fn tail(&self, n: usize) -> String {
        let events = self.events();
        let skipped = events.len().saturating_sub(n);
        let mut lines: Vec<String> = events[skipped..].iter().map(Event::to_string).collect();
        if skipped > 0 {
            lines.insert(0, format!("({skipped} earlier datagrams not shown)"));
        }
        if lines.is_empty() {
            lines.push("(nothing went through the relay)".into());
        }
        lines.join("\n")
    }

    /// Waits until every datagram held back has been sent on (at most
    /// `deadline`); false if some are still held then.
    pub fn wait_idle(&self, deadline: Duration) -> bool {
        let pending = self.shared.pending.lock().unwrap_or_else(|p| p.into_inner());
        let (pending, _) =
            self.shared.idle.wait_timeout_while(pending, deadline, |n| *n > 0).unwrap_or_else(|p| p.into_inner());
        *pending == 0
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl Shared {
    /// Decides the fate of one datagram and records it.
    fn decide(&self, way: Way, payload: &[u8]) -> Fate {
        let f = self.faults;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let (occurrence, lost) = seen.entry((way, payload.to_vec())).or_insert((0, 0));
        *occurrence += 1;
        let roll = mix(f.seed, way, payload, *occurrence);
        let percent = |shift: u32| (roll >> shift) % 100;
        let (low, high) = (f.delay_ms.0, f.delay_ms.1.max(f.delay_ms.0));
        let hold = low + (roll >> 32) % (high - low + 1);
        let spared = f.max_losses > 0 && *lost >= f.max_losses;
        let fate = if percent(0) < u64::from(f.drop) && !spared {
            Fate::Dropped
        } else if percent(8) < u64::from(f.duplicate) {
            Fate::Duplicated(hold)
        } else if percent(16) < u64::from(f.delay) {
            Fate::Delayed(hold)
        } else {
            Fate::Passed
        };
        if fate == Fate::Dropped {
            *lost += 1;
        }
        drop(seen);
        let event = Event { way, payload: payload.to_vec(), fate };
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
        fate
    }

    fn add_pending(&self, n: usize) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) += n;
    }

    fn sent_one(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *pending = pending.saturating_sub(1);
        if *pending == 0 {
            self.idle.notify_all();
        }
    }
}

/// Hands one datagram to the scheduler according to its fate.
fn carry(
    shared: &Shared,
    jobs: &Sender<Job>,
    way: Way,
    socket: &Arc<UdpSocket>,
    to: Option<SocketAddr>,
    payload: &[u8],
) {
    let now = Instant::now();
    let delays: Vec<u64> = match shared.decide(way, payload) {
        Fate::Dropped => vec![],
        Fate::Passed => vec![0],
        Fate::Duplicated(ms) => vec![0, ms],
        Fate::Delayed(ms) => vec![ms],
    };
    shared.add_pending(delays.len());
    for ms in delays {
        let job = Job {
            due: now + Duration::from_millis(ms),
            order: 0,
            socket: Arc::clone(socket),
            to,
            payload: payload.to_vec(),
        };
        if jobs.send(job).is_err() {
            shared.sent_one();
        }
    }
}

/// Reads what clients send; each new client gets a socket of its own towards
/// the server (as a NAT would), so the server sees one address per client.
fn from_clients(front: Arc<UdpSocket>, server: SocketAddr, jobs: Sender<Job>, shared: Arc<Shared>) {
    let mut backs: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::SeqCst) {
        let (n, client) = match front.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                continue
            }
            Err(_) => continue, // an ICMP error for a client that left: not ours to stop on
        };
        let back = match backs.get(&client) {
            Some(back) => Arc::clone(back),
            None => {
                let Ok(back) = UdpSocket::bind("127.0.0.1:0").and_then(|s| s.connect(server).map(|()| s)) else {
                    continue;
                };
                let _ = back.set_read_timeout(Some(TICK));
                let back = Arc::new(back);
                backs.insert(client, Arc::clone(&back));
                let (reader, front, jobs, shared) =
                    (Arc::clone(&back), Arc::clone(&front), jobs.clone(), Arc::clone(&shared));
                let spawned = thread::Builder::new()
                    .name("relay-back".into())
                    .spawn(move || from_server(reader, front, client, jobs, shared));
                if spawned.is_err() {
                    continue;
                }
                back
            }
        };
        carry(&shared, &jobs, Way::ToServer, &back, None, &buf[..n]);
    }
}

/// Reads the server's replies to one client and carries them back.
fn from_server(
    back: Arc<UdpSocket>,
    front: Arc<UdpSocket>,
    client: SocketAddr,
    jobs: Sender<Job>,
    shared: Arc<Shared>,
) {
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::SeqCst) {
        match back.recv(&mut buf) {
            Ok(n) => carry(&shared, &jobs, Way::ToClient, &front, Some(client), &buf[..n]),
            Err(_) => continue, // a timeout, or "port unreachable" while the server is not there
        }
    }
}

/// Sends each job when it is due; jobs due at the same time keep their order.
fn schedule(queue: Receiver<Job>, shared: &Shared) {
    let mut heap: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut waiting: HashMap<u64, Job> = HashMap::new();
    let mut next_order = 0u64;
    loop {
        let wait = match heap.peek() {
            Some(Reverse((due, _))) => due.saturating_duration_since(Instant::now()),
            None => TICK,
        };
        match queue.recv_timeout(wait) {
            Ok(mut job) => {
                job.order = next_order;
                next_order += 1;
                heap.push(Reverse((job.due, job.order)));
                waiting.insert(job.order, job);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) if heap.is_empty() => return,
            Err(RecvTimeoutError::Disconnected) => thread::sleep(wait),
        }
        while let Some(Reverse((due, order))) = heap.peek().copied() {
            if due > Instant::now() {
                break;
            }
            heap.pop();
            if let Some(job) = waiting.remove(&order) {
                // A send that fails is a datagram lost: exactly what UDP allows.
                let _ = match job.to {
                    Some(to) => job.socket.send_to(&job.payload, to),
                    None => job.socket.send(&job.payload),
                };
                shared.sent_one();
            }
        }
        if shared.stop.load(Ordering::SeqCst) && heap.is_empty() {
            return;
        }
    }
}

/// A well-mixed 64-bit number from the seed, the direction, the bytes and
/// the occurrence (FNV-1a, then SplitMix64's finaliser).
fn mix(seed: u64, way: Way, payload: &[u8], occurrence: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    let way = [way as u8];
    for &b in way.iter().chain(payload).chain(&occurrence.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_datagram_meets_the_same_fate_on_every_run() {
        let faults = Faults { seed: 7, drop: 30, duplicate: 10, delay: 10, delay_ms: (100, 300), max_losses: 0 };
        let fates = || {
            let shared = Shared {
                faults,
                stop: AtomicBool::new(false),
                events: Mutex::new(Vec::new()),
                seen: Mutex::new(HashMap::new()),
                pending: Mutex::new(0),
                idle: Condvar::new(),
            };
            (0..200).map(|i| shared.decide(Way::ToServer, format!("{} x", i % 50).as_bytes())).collect::<Vec<_>>()
        };
        let first = fates();
        assert_eq!(first, fates());
        let lost = first.iter().filter(|f| **f == Fate::Dropped).count();
        assert!((40..80).contains(&lost), "about 30% of 200 should be lost, not {lost}");
    }

    #[test]
    fn never_loses_more_copies_than_allowed() {
        let faults = Faults { seed: 3, drop: 90, max_losses: 2, ..Faults::none() };
        let shared = Shared {
            faults,
            stop: AtomicBool::new(false),
            events: Mutex::new(Vec::new()),
            seen: Mutex::new(HashMap::new()),
            pending: Mutex::new(0),
            idle: Condvar::new(),
        };
        let fates: Vec<Fate> = (0..30).map(|_| shared.decide(Way::ToServer, b"1 again")).collect();
        assert_eq!(fates.iter().filter(|f| **f == Fate::Dropped).count(), 2, "{fates:?}");
    }

    #[test]
    fn carries_both_ways() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let relay = Relay::start(server.local_addr().unwrap(), Faults::none());
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        client.send_to(b"1 hi", relay.addr()).unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"1 hi");
        server.send_to(b"ACK 1", from).unwrap();
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"ACK 1"[..], relay.addr()));
        assert!(relay.wait_idle(Duration::from_secs(1)));
        assert_eq!(relay.sends_of(b"1 hi"), 1);
    }
}
