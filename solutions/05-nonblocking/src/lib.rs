//! Lesson 05: the confirmation server of lesson 03, every client on one thread.
//!
//! No read or write here ever waits. The sockets are non-blocking; one call,
//! [`mio::Poll::poll`], waits for all of them at once and says which are
//! ready. Each connection keeps its own state between events: the bytes read
//! but not yet framed, the bytes waiting to be written, whether it is closing.
//!
//! Book: "Non-blocking I/O".

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

pub mod framing;

pub use framing::{
    parse_header, FrameError, CONFIRMATION, DISCONNECT, HEADER_LEN, MAX_BODY,
};

/// Where `mio-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5005";

/// Backpressure: once this many bytes wait to be written to a client, stop
/// reading from it until it has taken some.
pub const MAX_PENDING_OUTPUT: usize = 64 * 1024;

/// How many bytes one `read` asks for.
const READ_CHUNK: usize = 16 * 1024;

// ANCHOR: parse_frame
/// The next whole message at the start of `buf`, and how many bytes of `buf`
/// it used (header and body); `Ok(None)` when `buf` does not hold a whole
/// message yet.
///
/// The header is checked as soon as its 64 bytes are there, before the body
/// has arrived: a bad or oversized header is refused at once, and the caller
/// never keeps more than one header and one body of input.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(String, usize)>, FrameError> {
    let Some(header) = buf.first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let end = HEADER_LEN + parse_header(header)?;
    let Some(body) = buf.get(HEADER_LEN..end) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(body).map_err(|_| FrameError::NotUtf8)?;
    Ok(Some((text.to_string(), end)))
}
// ANCHOR_END: parse_frame

// ANCHOR: connection
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
// ANCHOR_END: connection

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

    // ANCHOR: on_ready
    /// Does everything that can be done now without waiting: write what the
    /// socket takes, read what has arrived, answer every whole message.
    ///
    /// Readiness is edge-triggered: mio reports a socket once when it *becomes*
    /// readable, not again while bytes remain. So this reads until the kernel
    /// says `WouldBlock`, or until backpressure says stop.
    pub fn on_ready(&mut self) -> io::Result<Status> {
        let mut buf = [0u8; READ_CHUNK];
        loop {
            self.flush()?;
            if self.closing && self.output.is_empty() {
                if self.eof {
                    return Ok(Status::Done);
                }
                // All is said: send our end of stream (FIN). We close only
                // once the client has closed too (the reads below discard
                // what it still sends), so the kernel never has unread bytes
                // at close time, the case in which it resets the connection
                // and may destroy our last reply on its way. Calling it again
                // on a later turn does no harm.
                let _ = self.stream.shutdown(Shutdown::Write);
            }
            if self.eof || self.output.len() >= MAX_PENDING_OUTPUT {
                // Backpressure: the client is not reading its confirmations.
                // Leave its bytes in the kernel; the next WRITABLE event
                // brings us back here, and we read again once it has room.
                return Ok(Status::Open);
            }
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    self.closing = true;
                }
                // After `!DISCONNECT` or an error, what still comes is read
                // and ignored, until the client's end of stream.
                Ok(_) if self.closing => {}
                Ok(n) => {
                    self.input.extend_from_slice(&buf[..n]);
                    self.answer();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Ok(Status::Open)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    // ANCHOR_END: on_ready

    // ANCHOR: answer
    /// Answers every whole message in `input` and keeps the rest for later.
    fn answer(&mut self) {
        let mut used = 0;
        while !self.closing {
            match parse_frame(&self.input[used..]) {
                Ok(None) => break,
                Ok(Some((text, len))) => {
                    used += len;
                    self.output.extend_from_slice(CONFIRMATION);
                    self.closing = text == DISCONNECT;
                }
                Err(e) => {
                    self.output
                        .extend_from_slice(format!("ERROR {e}\n").as_bytes());
                    self.closing = true;
                }
            }
        }
        if self.closing {
            self.input.clear();
        } else {
            self.input.drain(..used);
        }
    }
    // ANCHOR_END: answer

    // ANCHOR: flush
    /// Writes as much of `output` as the socket takes now, and keeps the rest.
    fn flush(&mut self) -> io::Result<()> {
        while !self.output.is_empty() {
            match self.stream.write(&self.output) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.output.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: flush

    // ANCHOR: interest
    /// What to be woken for: always new bytes (or the end of stream), and room
    /// to write only while something waits to be written. Asking for WRITABLE
    /// with nothing to write wakes the loop for nothing.
    pub fn interest(&self) -> Interest {
        if self.output.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        }
    }
    // ANCHOR_END: interest
}

/// The listener's token; clients get 1, 2, 3…
const LISTENER: Token = Token(0);

// ANCHOR: serve
/// Serves every client on the calling thread, forever.
///
/// One `Poll` watches the listener and every connection. Each turn of the
/// loop waits (without using the CPU) until something is ready, then gives
/// each ready connection its turn with [`Connection::on_ready`].
pub fn serve(listener: std::net::TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut events = Events::with_capacity(1024);
    let mut connections: HashMap<Token, (Connection, Interest)> =
        HashMap::new();
    let mut next_token = 1;
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&listener, &poll, &mut connections, &mut next_token);
                continue;
            }
            // Events for a connection closed earlier in this batch: ignore.
            let token = event.token();
            let Some((conn, registered)) = connections.get_mut(&token) else {
                continue;
            };
            let mut status = conn.on_ready().unwrap_or_else(|e| {
                println!("{}: {e}", conn.peer);
                Status::Done
            });
            let wanted = conn.interest();
            if status == Status::Open && wanted != *registered {
                match poll.registry().reregister(
                    &mut conn.stream,
                    token,
                    wanted,
                ) {
                    Ok(()) => *registered = wanted,
                    Err(e) => {
                        println!("{}: {e}", conn.peer);
                        status = Status::Done;
                    }
                }
            }
            if status == Status::Done {
                if let Some((mut conn, _)) = connections.remove(&token) {
                    // mio asks for a deregister before the drop, which closes
                    // the socket.
                    let _ = poll.registry().deregister(&mut conn.stream);
                    println!("{} gone ({} open)", conn.peer, connections.len());
                }
            }
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: accept_all
/// Accepts every connection waiting in the queue: the listener, too, is
/// reported once per edge, so stop only at `WouldBlock`.
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    connections: &mut HashMap<Token, (Connection, Interest)>,
    next_token: &mut usize,
) {
    loop {
        match listener.accept() {
            Ok((mut stream, peer)) => {
                let token = Token(*next_token);
                *next_token += 1;
                if let Err(e) = poll.registry().register(
                    &mut stream,
                    token,
                    Interest::READABLE,
                ) {
                    println!("{peer}: {e}");
                    continue;
                }
                connections.insert(
                    token,
                    (Connection::new(stream, peer), Interest::READABLE),
                );
                println!("{peer} connected ({} open)", connections.len());
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Out of file descriptors (EMFILE), or a connection that died in
            // the queue: say so and come back on the next event, instead of
            // stopping the server for everyone.
            Err(e) => {
                println!("accept failed: {e}");
                return;
            }
        }
    }
}
// ANCHOR_END: accept_all
