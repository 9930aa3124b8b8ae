//! Lesson 04: one confirmation server, many clients at once.
//!
//! Lesson 03's server talks to one client at a time: while it waits for that
//! client's next message, everyone else waits too. Here every client gets a
//! thread of its own, the threads share a count of who is connected, and then
//! a fixed pool of worker threads serves the clients, with a clean shutdown.
//!
//! Given: the framing ([`framing`]) and one client's conversation
//! ([`handle_client`]), finished in lesson 03.
//! Book: "Threads".

pub mod client;
pub mod framing;

pub use client::handle_client;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// Where `threads-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5004";

/// What a server runs for each client: [`handle_client`], or another function
/// with the same signature (the checks pass one that panics on purpose).
pub type Handler = fn(TcpStream);

// ANCHOR: stats
/// What the server counts, shared by the accept loop and every client thread.
///
/// An atomic integer can be changed by many threads at once without a lock:
/// `fetch_add` reads, adds and writes back in one indivisible step.
#[derive(Debug, Default)]
pub struct Stats {
    active: AtomicUsize,
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    /// How many clients are connected right now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Counts a client in; returns the new count.
    pub fn connected(&self) -> usize {
        self.active.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Counts a client out; returns the new count.
    pub fn left(&self) -> usize {
        self.active.fetch_sub(1, Ordering::SeqCst) - 1
    }
}
// ANCHOR_END: stats

/// Serves every client on a thread of its own, forever, with
/// [`handle_client`]. Used by `threads-server`.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    serve_with(listener, handle_client, Arc::new(Stats::new()))
}

// ANCHOR: serve_with
/// Accepts clients forever and runs `handler` for each on a new thread,
/// counting them in `stats` as they come and go.
pub fn serve_with(
    listener: TcpListener,
    handler: Handler,
    stats: Arc<Stats>,
) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(client) => client,
            // One failed accept (the client gave up, too many open files) is
            // not the end of the server.
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        println!("{peer} connected ({} active)", stats.connected());
        // The guard counts the client out when it is dropped: at the end of
        // the thread, even when the handler panics, or right here if the
        // thread cannot be started.
        let departure = Departure { stats: Arc::clone(&stats), peer };
        let spawned = thread::Builder::new().spawn(move || {
            let _departure = departure;
            handler(stream);
        });
        if let Err(e) = spawned {
            eprintln!("{peer}: cannot start a thread: {e}");
        }
    }
}

/// Counts a client out when dropped, and says so.
struct Departure {
    stats: Arc<Stats>,
    peer: SocketAddr,
}

impl Drop for Departure {
    fn drop(&mut self) {
        let how =
            if thread::panicking() { "'s handler panicked" } else { " left" };
        println!("{}{how} ({} active)", self.peer, self.stats.left());
    }
}
// ANCHOR_END: serve_with

// ANCHOR: pool_handle
/// A running pool, returned by [`start_pool`]; [`PoolHandle::shutdown`] stops it.
#[derive(Debug)]
pub struct PoolHandle {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}
// ANCHOR_END: pool_handle

// ANCHOR: start_pool
/// Serves clients with `workers` threads and no more. One more thread accepts
/// clients and hands them to the workers through a queue of `workers` places;
/// when the queue is full, new clients wait in the kernel's backlog.
///
/// The threads are named `<name>-accept` and `<name>-<i>`.
pub fn start_pool(
    listener: TcpListener,
    workers: usize,
    name: &str,
    handler: Handler,
) -> io::Result<PoolHandle> {
    let addr = listener.local_addr()?;
    let (queue, waiting) = mpsc::sync_channel::<TcpStream>(workers);
    // One receiver, many workers: each locks it just long enough to take one client.
    let waiting = Arc::new(Mutex::new(waiting));
    let mut handles = Vec::with_capacity(workers);
    for i in 0..workers {
        let waiting = Arc::clone(&waiting);
        let worker = thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || work(&waiting, handler))?;
        handles.push(worker);
    }
    let stopping = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&stopping);
    let acceptor = thread::Builder::new()
        .name(format!("{name}-accept"))
        .spawn(move || accept_into(&listener, &queue, &stop))?;
    Ok(PoolHandle { addr, stopping, acceptor, workers: handles })
}

/// A worker: takes the next client from the queue, serves it, and again,
/// until the queue is closed and empty.
fn work(waiting: &Mutex<Receiver<TcpStream>>, handler: Handler) {
    loop {
        // The lock is a temporary of this statement: it is released before
        // the client is served, so the other workers can take the next one.
        let next = waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok(stream) = next else { return };
        // A panic in one client's handler ends that client, not the worker.
        if panic::catch_unwind(AssertUnwindSafe(|| handler(stream))).is_err() {
            eprintln!("a handler panicked; the worker goes on");
        }
    }
}

/// The acceptor: hands each new client to the queue (waiting while it is full)
/// until `stop` is set. Returning drops the queue's sender, which tells the
/// workers to finish, and the listener, which refuses new clients.
fn accept_into(
    listener: &TcpListener,
    queue: &SyncSender<TcpStream>,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return; // That was the wake-up call from `shutdown`.
        }
        match stream {
            Ok(stream) => {
                if queue.send(stream).is_err() {
                    return; // Every worker is gone.
                }
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}
// ANCHOR_END: start_pool

// ANCHOR: shutdown
impl PoolHandle {
    /// Stops accepting, lets the clients in progress (and those already
    /// queued) finish, and returns once every thread of the pool has ended.
    pub fn shutdown(self) {
        self.stopping.store(true, Ordering::SeqCst);
        // `accept` blocks until a client comes: be that client, to wake it.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(if wake.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let _ = TcpStream::connect(wake);
        let _ = self.acceptor.join();
        for worker in self.workers {
            let _ = worker.join();
        }
    }
}
// ANCHOR_END: shutdown
