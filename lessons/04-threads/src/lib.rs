//! Lesson 04: one confirmation server, many clients at once.
//!
//! Lesson 03's server talks to one client at a time: while it waits for that
//! client's next message, everyone else waits too. Here every client gets a
//! thread of its own, the threads share a count of who is connected, and then
//! a fixed pool of worker threads serves the clients, with a clean shutdown.
//!
//! Given: the framing ([`framing`]) and one client's conversation
//! ([`handle_client`]), finished in lesson 03.
//!
//! Your turn: replace each `todo!()` below, then run `just check 04`.
//! Book: "Threads".

pub mod client;
pub mod framing;

pub use client::handle_client;

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
// You will also need some of `std::thread`, `std::sync::atomic`,
// `std::sync::mpsc`, `std::sync::Mutex` and `std::panic`.

/// Where `threads-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5004";

/// What a server runs for each client: [`handle_client`], or another function
/// with the same signature (the checks pass one that panics on purpose).
pub type Handler = fn(TcpStream);

/// What the server counts, shared by the accept loop and every client thread.
///
/// Add the fields you need. Many threads change them at the same time, so
/// they cannot be plain numbers: an `AtomicUsize` (no lock), or a
/// `Mutex<usize>` (a lock, held only for the moment of the change).
///
/// Book: Threads › Sharing state: Arc, Mutex and atomics.
#[derive(Debug, Default)]
pub struct Stats {}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    /// How many clients are connected right now.
    pub fn active(&self) -> usize {
        todo!("read the count of {self:?}")
    }

    /// Counts a client in; returns the new count.
    pub fn connected(&self) -> usize {
        todo!("add one to the count of {self:?} and return the new value")
    }

    /// Counts a client out; returns the new count.
    pub fn left(&self) -> usize {
        todo!("take one from the count of {self:?} and return the new value")
    }
}

/// Serves every client on a thread of its own, forever, with
/// [`handle_client`]. Used by `threads-server`. (Given: it calls yours.)
pub fn serve(listener: TcpListener) -> io::Result<()> {
    serve_with(listener, handle_client, Arc::new(Stats::new()))
}

/// Accepts clients forever and runs `handler` for each on a new thread,
/// counting them in `stats` as they come and go.
///
/// 1. `listener.accept()` gives the next client. A failed accept is logged,
///    not returned: the server goes on.
/// 2. `stats.connected()`, and print `<peer> connected (<n> active)`.
/// 3. `thread::spawn(move || …)`: the closure takes ownership of the stream
///    (and of a clone of the `Arc`) and runs `handler(stream)`. Do not join
///    it: go straight back to `accept`.
/// 4. When the handler is done, `stats.left()` and print `<peer> left (<n> active)`.
///    A handler may panic, and a panic skips the code after it: count the
///    client out in the `Drop` of a small guard struct the thread owns.
///
/// Book: Threads › One thread per client, and › When a handler panics.
pub fn serve_with(
    listener: TcpListener,
    handler: Handler,
    stats: Arc<Stats>,
) -> io::Result<()> {
    todo!(
        "accept clients on {listener:?}, run `handler` ({}) for each on its own thread, count them in {stats:?}",
        std::any::type_name_of_val(&handler)
    )
}

/// A running pool, returned by [`start_pool`]; [`PoolHandle::shutdown`] stops it.
///
/// Add the fields `shutdown` needs: the listener's address, a stop flag
/// (`Arc<AtomicBool>`), and the `JoinHandle` of every thread you started.
#[derive(Debug)]
pub struct PoolHandle {}

/// Serves clients with `workers` threads and no more, and returns at once.
///
/// - One thread accepts clients and sends each into a bounded queue,
///   `mpsc::sync_channel(workers)`; when the queue is full, `send` waits, and
///   new clients wait in the listener's backlog.
/// - `workers` threads share the receiving end (`Arc<Mutex<Receiver<_>>>`):
///   each takes the next client, serves it with `handler`, and again; when
///   `recv` fails (the queue is closed and empty) the worker ends. Hold the
///   lock only to receive, never while serving.
/// - A panic in `handler` must not end its worker: `std::panic::catch_unwind`.
/// - Name the threads `<name>-accept` and `<name>-<i>`, with
///   `thread::Builder::new().name(…)`: the checks count them by name.
///
/// Book: Threads › A pool of workers.
pub fn start_pool(
    listener: TcpListener,
    workers: usize,
    name: &str,
    handler: Handler,
) -> io::Result<PoolHandle> {
    todo!(
        "start {workers} workers named {name}-0, {name}-1, … each running `handler` ({}), and {name}-accept accepting on {listener:?}",
        std::any::type_name_of_val(&handler)
    )
}

impl PoolHandle {
    /// Stops accepting, lets the clients in progress (and those already
    /// queued) finish, and returns once every thread of the pool has ended.
    ///
    /// The accepting thread is blocked in `accept`: set the stop flag, then
    /// wake it by connecting to the listener's own address. When it sees the
    /// flag it returns, which drops the queue's sender (idle workers' `recv`
    /// then fails) and the listener. Then `join` every thread.
    ///
    /// Book: Threads › Graceful shutdown.
    pub fn shutdown(self) {
        todo!("stop {self:?}: set the flag, wake accept, join every thread")
    }
}
