//! Lesson 07: datagrams, the confirmation service of lesson 03 over UDP.
//!
//! A client sends each message as one datagram, `<seq> <text>` (see
//! [`request`]); the server answers `ACK <seq>` to every valid request, to
//! the address it came from, and `ERR <reason>` to anything else. Datagrams
//! may be lost, duplicated or reordered: the client resends until it is
//! acknowledged, and the server remembers what each address has sent (see
//! [`memory`]) so that it delivers every message once.
//!
//! Book: "Datagrams".

pub mod memory;
pub mod request;

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;
// You will also need `std::io::ErrorKind` and `std::time::Instant`.

#[allow(unused_imports)] // `Seen` is yours to use
use memory::{Memory, Seen};
#[allow(unused_imports)] // they are yours to use
use request::{
    ack, encode_request, parse_request, RequestError, DISCONNECT, MAX_DATAGRAM,
};

/// Where `datagram-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5007";
/// How long the client waits for an acknowledgement before it sends again.
pub const RESEND_AFTER: Duration = Duration::from_millis(200);
/// How many times the client sends one message before it gives up.
pub const MAX_SENDS: u32 = 5;

/// What the server did with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new message: the server prints its text, once.
    Delivered(String),
    /// A number this address had sent before: acknowledged again, not delivered.
    Repeat,
    /// `!DISCONNECT`: acknowledged, and the address forgotten.
    Disconnected,
    /// Not a valid request: refused with `ERR <reason>`, nothing remembered.
    Refused(RequestError),
}

/// The reply to one datagram, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Exactly what goes back: `ACK <seq>` or `ERR <reason>`.
    pub reply: String,
    pub outcome: Outcome,
}

/// Decides the reply to one datagram from `from`, and remembers what it must.
/// No sockets here: [`serve`] receives, calls this, and sends `reply`.
///
/// - [`parse_request`] fails: reply `ERR <reason>` (the error's `Display`),
///   outcome `Refused(problem)`, and remember nothing: a bad datagram
///   changes nothing.
/// - The text is [`DISCONNECT`]: `memory.forget(from)`, reply `ACK <seq>`,
///   outcome `Disconnected`.
/// - Otherwise `memory.record(from, seq)`: `Seen::First` is `Delivered(text)`,
///   `Seen::Again` is `Repeat`. Both get `ACK <seq>` ([`ack`]): the first
///   ACK of a repeat may have been lost on the way, so say it again.
///
/// Book: Datagrams › Once only: remembering what was delivered.
pub fn answer(
    memory: &mut Memory,
    datagram: &[u8],
    from: SocketAddr,
) -> Answer {
    todo!(
        "answer the {}-byte datagram from {from} ({:?} in memory)",
        datagram.len(),
        memory.size()
    )
}

/// Serves every client from one socket, forever.
///
/// Create a [`Memory`] and a receive buffer once, then loop:
/// 1. `socket.recv_from(&mut buf)` gives the datagram's length and the
///    address it came from. Make the buffer bigger than [`MAX_DATAGRAM`]
///    (64 KiB holds any datagram): with room for exactly 1200 bytes, Linux
///    cuts a longer datagram to fit without a word, and it looks valid.
/// 2. [`answer`] it.
/// 3. A `Delivered(text)` is one line on `log`: `writeln!(log, "{from} says
///    {text:?}")`; a `Disconnected` may log a line too; a `Repeat`, none.
///    A `Refused(problem)` is worth a line on standard error for whoever
///    runs the server: `eprintln!("{from} refused: {problem}")`.
/// 4. `socket.send_to(reply, from)`: to the address *this* datagram came
///    from; every client has its own.
///
/// An error from `recv_from` or `send_to` concerns one datagram: print it
/// and go on, never end the server with `?` or `unwrap`. On Linux they are
/// rare, but on Windows, after a reply reaches a port where nothing listens
/// (a client that left), the next `recv_from` fails with `WSAECONNRESET`.
///
/// Book: Datagrams › UDP in Rust.
pub fn serve(socket: UdpSocket, log: impl Write) -> io::Result<()> {
    let _ = log;
    todo!("receive datagrams on {socket:?} in a loop, answer each one to the address it came from")
}

/// The client's side: a socket connected to one server, and the next number.
pub struct Sender {
    socket: UdpSocket,
    server: SocketAddr,
    next_seq: u64,
}

impl Sender {
    /// Binds a socket on a free port and connects it to `server`: from now on
    /// it sends there by default and receives only what comes from there.
    pub fn connect(server: SocketAddr) -> io::Result<Sender> {
        let any: SocketAddr = if server.is_ipv4() {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(any)?;
        socket.connect(server)?;
        Ok(Sender { socket, server, next_seq: 1 })
    }

    /// The number the next message will carry (the first is 1).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Sends `text` as the next message until the server acknowledges it:
    /// returns how many sends it took (1 to [`MAX_SENDS`]).
    ///
    /// 1. Take `seq = self.next_seq` and add one to `next_seq` at once: even
    ///    if this message fails, a copy of it may reach the server later.
    /// 2. The request is [`encode_request`]`(seq, text)`; over [`MAX_DATAGRAM`]
    ///    bytes, fail with an `io::Error` of kind `ErrorKind::InvalidInput`.
    /// 3. Up to [`MAX_SENDS`] times: `self.socket.send(&request)`, then wait
    ///    at most [`RESEND_AFTER`] for exactly [`ack`]`(seq)`:
    ///    `self.socket.set_read_timeout(Some(time left))` before each
    ///    `self.socket.recv(&mut buf)`, since other replies may come first:
    ///    an ACK for an earlier message (a late copy), a duplicate. Ignore
    ///    those, without making the wait longer. A reply starting `ERR ` is
    ///    an error (`ErrorKind::InvalidData`). A timeout (`WouldBlock` or
    ///    `TimedOut`) means: send again.
    /// 4. After the last send's wait, give up: an `io::Error` of kind
    ///    `ErrorKind::TimedOut` that says what happened.
    ///
    /// The socket is connected: when nothing listens at the server's address,
    /// `send` or `recv` fails with `ErrorKind::ConnectionRefused`. That is the
    /// end, not a reason to try again: return it (`self.explain(e)` says what
    /// it means).
    ///
    /// Book: Datagrams › Sequence numbers and resending.
    pub fn send(&mut self, text: &str) -> io::Result<u32> {
        todo!(
            "send {text:?} as message {} to {} on {:?} until it is acknowledged",
            self.next_seq,
            self.server,
            self.socket
        )
    }

    /// Says what a refused connection means on a socket without a connection.
    #[allow(dead_code)] // until `send` uses it
    fn explain(&self, e: io::Error) -> io::Error {
        if e.kind() != io::ErrorKind::ConnectionRefused {
            return e;
        }
        let why = format!(
            "nothing is listening at {} \
             (the kernel answered \"port unreachable\"): {e}",
            self.server
        );
        io::Error::new(io::ErrorKind::ConnectionRefused, why)
    }
}
