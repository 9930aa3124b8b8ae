//! Lesson 03: the confirmation server.
//!
//! A client sends messages, each framed by a 64-byte header that holds the
//! body's length (see [`framing`]); the server answers `Msg received\n` to
//! each one. `!DISCONNECT` is confirmed and ends the conversation. A client
//! that breaks the protocol gets `ERROR <reason>\n` and is disconnected.
//!
//! Book: "The confirmation server".

pub mod framing;

use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;
// You will also need `std::io::{BufRead, ErrorKind, Read, Write}`,
// `std::net::Shutdown` and `std::time::Instant`.

#[allow(unused_imports)] // they are yours to use
use framing::{
    read_message, write_message, FrameError, CONFIRMATION, DISCONNECT,
};

/// Where `confirm-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5003";

/// How a conversation with one client ended, for the server's log.
#[derive(Debug)]
pub enum Goodbye {
    /// The client sent `!DISCONNECT`; it was confirmed and the connection closed.
    Disconnected,
    /// The client closed the connection between two messages, without `!DISCONNECT`.
    Left,
    /// The client broke the protocol (or left mid-message): it got `ERROR <reason>`.
    Refused(FrameError),
}

/// Serves clients one after another, forever: accept a connection, talk to
/// it with [`handle_client`] until it is done, then accept the next.
///
/// - Print a line when a client connects (`127.0.0.1:40312 connected`) and
///   one when it is done, saying how (the [`Goodbye`], or the error).
/// - A client's error is that client's problem: print it and go on. Do not
///   end the server with `?` on a client's error.
/// - A second client waits in the listener's queue until the first is done;
///   lesson 04 serves many at once.
///
/// Book: The confirmation server › One client at a time.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("accept clients on {listener:?} one after another and talk to each with handle_client")
}

/// Talks to one client until it says `!DISCONNECT`, leaves, or breaks the
/// protocol.
///
/// In a loop, [`read_message`] from the stream, then:
/// - `Ok(Some(body))`: print `<peer> says "<body>"` (`{body:?}` adds the
///   quotes), send [`CONFIRMATION`]; if the body is [`DISCONNECT`], shut down
///   writing and return `Goodbye::Disconnected`.
/// - `Ok(None)`: the client left between two messages: `Goodbye::Left`.
/// - `Err(FrameError::Io(e))`: the connection failed: return `Err(e)`.
/// - any other `Err(problem)`: [`refuse`] the client, return `Goodbye::Refused(problem)`.
///
/// `read_message` takes a `&mut impl Read`. `&TcpStream` implements `Read`
/// and `Write`, so read through `BufReader::new(&stream)` and write through
/// `&stream`. The `BufReader` saves system calls and keeps the bytes of the
/// next message that one read brought along: create it once, before the loop.
///
/// Book: The confirmation server › End of stream or !DISCONNECT.
pub fn handle_client(stream: TcpStream) -> io::Result<Goodbye> {
    todo!("read messages from {stream:?}, confirm each one, stop at !DISCONNECT or the end")
}

/// How long, and how much, [`refuse`] reads from a client it is closing on.
pub const DRAIN_TIME: Duration = Duration::from_secs(1);
pub const DRAIN_BYTES: usize = 1 << 20;

/// Sends `ERROR <reason>\n` (the reason is `problem`'s `Display`) and closes
/// the connection gracefully.
///
/// The client may have sent more bytes after the bad ones. Closing a socket
/// whose input has not all been read makes the kernel send a reset (RST), and
/// a reset can destroy the ERROR line before the client reads it. So:
/// 1. write the line;
/// 2. `stream.shutdown(Shutdown::Write)`: "nothing more from me";
/// 3. read and throw away what the client still sends, until `read` returns 0
///    (it closed too), fails, or [`DRAIN_TIME`] has passed or [`DRAIN_BYTES`]
///    have been read (`stream.set_read_timeout` with the time left).
///
/// Book: The confirmation server › Closing gracefully.
pub fn refuse(stream: &TcpStream, problem: &FrameError) -> io::Result<()> {
    todo!("send `ERROR {problem}` to {stream:?}, shut down writing, then drain")
}

/// The client's side of a conversation.
pub struct Connection {
    stream: TcpStream,
    /// The server's replies are lines: a buffered reader finds their ends.
    replies: BufReader<TcpStream>,
}

impl Connection {
    /// Connects to the server at `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr)?;
        let replies = BufReader::new(stream.try_clone()?);
        Ok(Connection { stream, replies })
    }

    /// Sends one message ([`write_message`] on `self.stream`) and returns the
    /// server's reply line without its `\n`: `Msg received`, or `ERROR <reason>`.
    ///
    /// `self.replies.read_line(&mut line)` reads up to and including the `\n`;
    /// it returns `Ok(0)` when the server has closed: return an error of kind
    /// `ErrorKind::UnexpectedEof` then (and when the line has no `\n`).
    ///
    /// Book: The confirmation server › Your turn.
    pub fn send(&mut self, body: &str) -> io::Result<String> {
        todo!(
            "send a message of {} bytes on {:?} with write_message, then read the server's reply line from \
             self.replies ({} bytes already buffered)",
            body.len(),
            self.stream,
            self.replies.buffer().len()
        )
    }
}

/// Connects to `addr`, sends each message and collects the server's replies,
/// then sends `!DISCONNECT` (its reply must be the confirmation; it is not
/// returned) and waits for the server to close the connection (read to the end).
///
/// Book: The confirmation server › Your turn.
pub fn send_messages(
    addr: SocketAddr,
    messages: &[&str],
) -> io::Result<Vec<String>> {
    todo!("connect to {addr}, send {} messages and !DISCONNECT, collect the replies", messages.len())
}
