//! Lesson 03: the confirmation server.
//!
//! A client sends messages, each framed by a 64-byte header that holds the
//! body's length (see [`framing`]); the server answers `Msg received\n` to
//! each one. `!DISCONNECT` is confirmed and ends the conversation. A client
//! that breaks the protocol gets `ERROR <reason>\n` and is disconnected.
//!
//! Book: "The confirmation server".

pub mod framing;

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

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

// ANCHOR: serve
/// Serves clients one after another, forever. A second client waits in the
/// listener's queue until the first is done: lesson 04 fixes that.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        println!("{peer} connected");
        match handle_client(stream) {
            Ok(Goodbye::Disconnected) => println!("{peer} disconnected"),
            Ok(Goodbye::Left) => println!("{peer} left without {DISCONNECT}"),
            Ok(Goodbye::Refused(why)) => println!("{peer} refused: {why}"),
            // A client's failure ends that client, never the server.
            Err(e) => println!("{peer} gone: {e}"),
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: handle_client
/// Talks to one client until it says `!DISCONNECT`, leaves, or breaks the
/// protocol; confirms every message and logs what it says.
pub fn handle_client(stream: TcpStream) -> io::Result<Goodbye> {
    let peer = stream.peer_addr()?;
    // The reader keeps what one `read` brought beyond the current message:
    // the start of the next one stays in its buffer for the next call.
    let mut reader = BufReader::new(&stream);
    let mut writer = &stream;
    loop {
        let body = match read_message(&mut reader) {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(Goodbye::Left),
            Err(FrameError::Io(e)) => return Err(e),
            Err(problem) => {
                refuse(&stream, &problem)?;
                return Ok(Goodbye::Refused(problem));
            }
        };
        println!("{peer} says {body:?}");
        writer.write_all(CONFIRMATION)?;
        if body == DISCONNECT {
            stream.shutdown(Shutdown::Write)?;
            return Ok(Goodbye::Disconnected);
        }
    }
}
// ANCHOR_END: handle_client

// ANCHOR: refuse
/// How long, and how much, [`refuse`] reads from a client it is closing on.
pub const DRAIN_TIME: Duration = Duration::from_secs(1);
pub const DRAIN_BYTES: usize = 1 << 20;

/// Sends `ERROR <reason>\n` and closes the connection gracefully.
///
/// The client may have sent more bytes after the bad ones. Closing a socket
/// whose input has not all been read makes the kernel send a reset (RST)
/// instead of an orderly end of stream, and a reset can destroy the ERROR
/// line before the client reads it. So: send the line, say "nothing more from
/// me" (`shutdown(Write)`), then read and discard what the client still
/// sends, until it closes too or a short deadline passes.
pub fn refuse(stream: &TcpStream, problem: &FrameError) -> io::Result<()> {
    let mut writer = stream;
    writer.write_all(format!("ERROR {problem}\n").as_bytes())?;
    stream.shutdown(Shutdown::Write)?;

    let started = Instant::now();
    let mut drained = 0;
    let mut buf = [0u8; 8192];
    let mut reader = stream;
    while drained < DRAIN_BYTES {
        let left = DRAIN_TIME.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left))?;
        match reader.read(&mut buf) {
            Ok(0) => break, // the client closed its side: a clean goodbye
            Ok(n) => drained += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break, // a timeout or a reset: either way, we are done
        }
    }
    Ok(())
}
// ANCHOR_END: refuse

// ANCHOR: connection
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

    /// Sends one message and returns the server's reply line, without its
    /// `\n`: `Msg received`, or `ERROR <reason>`.
    pub fn send(&mut self, body: &str) -> io::Result<String> {
        write_message(&mut self.stream, body)?;
        let mut reply = String::new();
        if self.replies.read_line(&mut reply)? == 0 {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection without replying",
            ));
        }
        if reply.pop() != Some('\n') {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the server's reply was cut short",
            ));
        }
        Ok(reply)
    }
}
// ANCHOR_END: connection

// ANCHOR: send_messages
/// Connects to `addr`, sends each message and collects the server's replies,
/// then sends `!DISCONNECT` (its reply is checked, not returned) and waits
/// for the server to close the connection.
pub fn send_messages(
    addr: SocketAddr,
    messages: &[&str],
) -> io::Result<Vec<String>> {
    let mut connection = Connection::connect(addr)?;
    let mut replies = Vec::with_capacity(messages.len());
    for message in messages {
        replies.push(connection.send(message)?);
    }
    let last = connection.send(DISCONNECT)?;
    if last.as_bytes() != CONFIRMATION.trim_ascii_end() {
        return Err(io::Error::other(format!(
            "the server answered {last:?} to {DISCONNECT}"
        )));
    }
    // The server closes after confirming: wait for that end of stream.
    let mut rest = Vec::new();
    connection.replies.read_to_end(&mut rest)?;
    Ok(replies)
}
// ANCHOR_END: send_messages
