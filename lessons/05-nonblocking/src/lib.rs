//! Lesson 05: the confirmation server of lesson 03, every client on one thread.
//!
//! No read or write here may ever wait. The sockets are non-blocking; one call,
//! [`mio::Poll::poll`], waits for all of them at once and says which are
//! ready. Each connection keeps its own state between events: the bytes read
//! but not yet framed, the bytes waiting to be written, whether it is closing.
//!
//! Given: `framing.rs` (the header rules, as in lesson 03), the constants, the
//! [`Connection`] struct and [`Status`]. Yours: [`parse_frame`],
//! [`Connection::on_ready`], [`Connection::interest`] and [`serve`], each a
//! `todo!()` below. Then run `just check 05`.
//!
//! Book: "Non-blocking I/O".

use std::io;
use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::Interest;
// You will also need `std::collections::HashMap`, `std::io::{ErrorKind, Read, Write}`,
// `std::net::Shutdown`, `mio::net::TcpListener` and `mio::{Events, Poll, Token}`.

pub mod framing;

pub use framing::{
    parse_header, FrameError, CONFIRMATION, DISCONNECT, HEADER_LEN, MAX_BODY,
};

/// Where `mio-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5005";

/// Backpressure: once this many bytes wait to be written to a client, stop
/// reading from it until it has taken some.
pub const MAX_PENDING_OUTPUT: usize = 64 * 1024;

/// The next whole message at the start of `buf`, and how many bytes of `buf`
/// it used (header and body); `Ok(None)` when `buf` does not hold a whole
/// message yet.
///
/// This is lesson 03's `read_message`, reshaped: there it *waited* for the
/// bytes it needed; here it looks at the bytes there are and says "not yet".
///
/// - Fewer than [`HEADER_LEN`] bytes: `Ok(None)`.
/// - Otherwise check the header at once with [`parse_header`] (given), even if
///   the body has not arrived: a bad header is an error now, not later.
///   `buf.first_chunk::<HEADER_LEN>()` gives the `&[u8; 64]` it wants.
/// - Not all of the body there yet: `Ok(None)`.
/// - The body must be UTF-8 (`std::str::from_utf8`), or `FrameError::NotUtf8`.
/// - Bytes after the message belong to the next one: leave them alone, just
///   report how many bytes this message used.
///
/// Book: Non-blocking I/O › Connection state and buffers.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(String, usize)>, FrameError> {
    todo!("find one whole message at the start of {} buffered bytes, or say Ok(None)", buf.len())
}

/// One client and everything the server remembers about it between events.
pub struct Connection {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    /// Bytes read but not yet framed: the start of a message still arriving.
    pub input: Vec<u8>,
    /// Bytes waiting to be written: confirmations the socket has not taken yet.
    pub output: Vec<u8>,
    /// No more messages will be answered (after `!DISCONNECT` or an error, or
    /// after the client's end of stream): write what is left, then close.
    pub closing: bool,
    /// The client has closed its side: `read` returned 0.
    pub eof: bool,
}

/// What the event loop should do with a connection after its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Done,
}

impl Connection {
    pub fn new(stream: TcpStream, peer: SocketAddr) -> Connection {
        Connection {
            stream,
            peer,
            input: Vec::new(),
            output: Vec::new(),
            closing: false,
            eof: false,
        }
    }

    /// Does everything that can be done now without waiting, then returns
    /// `Status::Open` (wait for the next event) or `Status::Done` (drop it).
    ///
    /// Loop, until there is nothing more to do now:
    /// 1. Write as much of `output` as the socket takes (`stream.write`); keep
    ///    the rest. `WouldBlock` means "full for now", not an error.
    /// 2. Closing and nothing left to write? If `eof`, you are `Done`. If not,
    ///    `stream.shutdown(Shutdown::Write)` (our end of stream), and keep
    ///    reading (and ignoring) until the client closes: closing a socket
    ///    with unread bytes makes the kernel send a reset.
    /// 3. Backpressure: if `output` holds [`MAX_PENDING_OUTPUT`] bytes or
    ///    more, stop reading for now and return `Open`; the WRITABLE event that
    ///    comes when the client reads brings you back here.
    /// 4. `read` into a buffer. `Ok(0)`: end of stream (set `eof` and
    ///    `closing`). Bytes: append them to `input`, then answer every whole
    ///    message with [`parse_frame`] (a confirmation each, `ERROR <reason>\n`
    ///    and closing on an error, closing after `!DISCONNECT`) and remove the
    ///    bytes used from `input`. `WouldBlock`: return `Open`.
    ///
    /// mio's readiness is edge-triggered: a socket is reported once when bytes
    /// arrive, not again while some remain unread. Read until `WouldBlock`.
    ///
    /// Book: Non-blocking I/O › Connection state and buffers.
    pub fn on_ready(&mut self) -> io::Result<Status> {
        todo!("write what {} can take, read until WouldBlock, answer each whole message", self.peer)
    }

    /// What to be woken for: always `Interest::READABLE`, plus
    /// `Interest::WRITABLE` only while `output` is not empty.
    ///
    /// Book: Non-blocking I/O › Readiness: select, poll, epoll, kqueue.
    pub fn interest(&self) -> Interest {
        todo!(
            "READABLE, and WRITABLE only while {} bytes wait to be written",
            self.output.len()
        )
    }
}

/// Serves every client on the calling thread, forever.
///
/// 1. `listener.set_nonblocking(true)`, then `mio::net::TcpListener::from_std`.
/// 2. A `Poll`; register the listener with a `Token` of its own, READABLE.
/// 3. Loop: `poll.poll(&mut events, None)` waits until something is ready.
///    For each event:
///    - the listener's token: `accept` until `WouldBlock`; register each new
///      stream (READABLE, a new token) and keep a [`Connection`] for it, e.g.
///      in a `HashMap<Token, Connection>`;
///    - a client's token: call its `on_ready`. `Done` or an error: remove it
///      from the map, `deregister` its stream (mio asks for that), and drop it
///      (that closes it). `Open`: if its `interest()` changed, `reregister` it.
/// 4. Never block, never `sleep`, never spawn a thread; a problem with one
///    client is printed and ends that client only.
///
/// Book: Non-blocking I/O › The event loop.
pub fn serve(listener: std::net::TcpListener) -> io::Result<()> {
    todo!("run the event loop for {listener:?} on this thread")
}
