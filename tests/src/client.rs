//! A test client whose every operation has a deadline and whose every failure
//! says what was sent and what came back.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::deadline::IO_DEADLINE;
use crate::failure::{show_bytes, show_bytes_end, Failure};

/// One connection from the check to a server.
///
/// Reads are buffered here, so `read_line` and `read_exact` can be mixed.
pub struct Client {
    stream: TcpStream,
    addr: SocketAddr,
    deadline: Duration,
    sent: Vec<u8>,
    received: Vec<u8>,
    /// Bytes received but not yet handed to the check (a deque: lines are
    /// taken from the front, and checks may read thousands of them).
    unread: VecDeque<u8>,
    server: Option<Arc<Fate>>,
    /// A payload being sent by a second thread, and how much of it is out.
    in_flight: Option<(Arc<Vec<u8>>, Arc<AtomicUsize>)>,
}

/// Why a server under test stopped, if it has: set once by the server thread,
/// read by failing clients.
#[derive(Default)]
pub(crate) struct Fate {
    why: Mutex<Option<String>>,
    changed: Condvar,
}

impl Fate {
    pub(crate) fn set(&self, why: String) {
        *self.why.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        self.changed.notify_all();
    }

    pub(crate) fn get(&self) -> Option<String> {
        self.why.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits a moment for the server's fate. Only a failing check calls this:
    /// a refused or reset connection often means the server thread is just
    /// now unwinding from a panic, and its message is what the learner needs.
    pub(crate) fn settle(&self) -> Option<String> {
        let guard = self.why.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, Duration::from_millis(300), |why| why.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.clone()
    }
}

impl Client {
    /// Connects within [`IO_DEADLINE`], or fails the check.
    pub fn connect(addr: SocketAddr) -> Client {
        Self::connect_watching(addr, None)
    }

    /// Connects, reporting the server's fate (see [`crate::Server`]) in failures.
    pub(crate) fn connect_watching(addr: SocketAddr, server: Option<Arc<Fate>>) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_DEADLINE).unwrap_or_else(|e| {
            let mut failure = Failure::new(format!("could not connect to the server at {addr}")).field("error", e);
            if let Some(why) = server.as_ref().and_then(|s| s.settle()) {
                failure = failure.field("because", why);
            }
            failure.fail()
        });
        // Small writes leave at once instead of being merged by Nagle's
        // algorithm: the framing checks rely on sending bytes piece by piece.
        let _ = stream.set_nodelay(true);
        let mut client = Client {
            stream,
            addr,
            deadline: IO_DEADLINE,
            sent: Vec::new(),
            received: Vec::new(),
            unread: VecDeque::new(),
            server,
            in_flight: None,
        };
        client.apply_deadline();
        client
    }

    /// Changes how long each operation may wait (the default is [`IO_DEADLINE`]).
    pub fn with_deadline(mut self, deadline: Duration) -> Client {
        self.deadline = deadline;
        self.apply_deadline();
        self
    }

    fn apply_deadline(&mut self) {
        let _ = self.stream.set_read_timeout(Some(self.deadline));
        let _ = self.stream.set_write_timeout(Some(self.deadline));
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().expect("a connected socket has an address")
    }

    /// The socket itself, for what the helpers here do not cover.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Everything received so far on this connection.
    pub fn received(&self) -> &[u8] {
        &self.received
    }

    /// Sends all of `bytes`, or fails the check.
    pub fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.stream.write_all(bytes) {
            let what = format!("sending {} failed", show_bytes(bytes));
            self.fail_io(&what, e);
        }
        self.sent.extend_from_slice(bytes);
    }

    /// Sends `bytes` in pieces of `size` bytes, each its own write (and, with
    /// `TCP_NODELAY`, its own packet), pausing briefly between pieces when
    /// `pause` is set so that each piece reaches the server as its own read.
    pub fn send_in_pieces(&mut self, bytes: &[u8], size: usize, pause: bool) {
        for piece in bytes.chunks(size.max(1)) {
            self.send(piece);
            if pause {
                self.pause();
            }
        }
    }

    /// Waits a few milliseconds. Not to wait for the server (checks never do
    /// that) but to let the bytes already sent leave as their own packet, so
    /// the next bytes cannot arrive in the same read.
    pub fn pause(&self) {
        thread::sleep(Duration::from_millis(5));
    }

    /// Says "I will send nothing more" (a half-close): the server's next read
    /// returns 0 bytes, end of stream, while it can still send to us.
    pub fn shutdown_write(&mut self) {
        if let Err(e) = self.stream.shutdown(Shutdown::Write) {
            self.fail_io("shutting down the writing side failed", e);
        }
    }

    /// Leaves abruptly, with a reset (RST) instead of an orderly close: waits
    /// (within the deadline) until the server has sent something, then resets
    /// the connection with [`Client::reset_now`]. The server's next read or
    /// write on it fails with "Connection reset by peer", every time.
    pub fn reset(self) {
        let mut byte = [0u8; 1];
        let _ = self.stream.set_read_timeout(Some(self.deadline));
        // `peek` waits for bytes without taking them out of the socket.
        match self.stream.peek(&mut byte) {
            Ok(1..) => {}
            Ok(0) => {
                self.fail("expected a reply before leaving, but the server closed the connection", "end of stream")
            }
            Err(e) => self.fail_io("waiting for a reply before leaving failed", e),
        }
        self.reset_now();
    }

    /// Resets the connection at once: a close with `SO_LINGER` set to zero
    /// sends RST whatever is still unread or unsent, so a server blocked in a
    /// read gets "Connection reset by peer" rather than an end of stream.
    pub fn reset_now(self) {
        if let Err(e) = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO)) {
            self.fail_io("setting SO_LINGER to zero (to reset the connection) failed", e);
        }
        drop(self);
    }

    /// Sends `bytes` and shuts down writing on a second thread while this one
    /// reads everything that comes back until the server closes.
    ///
    /// For large payloads: a client that writes everything before reading
    /// deadlocks against an echo server once both sides' buffers are full.
    pub fn send_all_and_read_to_end(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut writer = self.stream.try_clone().expect("cloning a socket handle failed");
        let payload = Arc::new(bytes.to_vec());
        let written = Arc::new(AtomicUsize::new(0));
        self.in_flight = Some((Arc::clone(&payload), Arc::clone(&written)));
        let sending = thread::spawn(move || -> io::Result<()> {
            for chunk in payload.chunks(64 * 1024) {
                writer.write_all(chunk)?;
                written.fetch_add(chunk.len(), Ordering::Relaxed);
            }
            writer.shutdown(Shutdown::Write)
        });
        let echoed = self.read_to_end();
        let outcome = sending.join().expect("the writing thread panicked");
        let (_, written) = self.in_flight.take().expect("set above");
        let written = written.load(Ordering::Relaxed);
        self.sent.extend_from_slice(&bytes[..written]);
        if let Err(e) = outcome {
            let what = if written < bytes.len() {
                format!("the server stopped taking bytes: the client could send only {written} of {}", bytes.len())
            } else {
                format!(
                    "the server closed the connection before the client had finished (it sent back {} of {} bytes)",
                    echoed.len(),
                    bytes.len()
                )
            };
            self.failure(&what).field("error", e).fail();
        }
        echoed
    }

    /// Reads exactly `n` bytes, or fails saying how many came.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let started = Instant::now();
        while self.unread.len() < n {
            match self.read_more(started) {
                Ok(0) => self.fail_short(n, "the server closed the connection"),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => self.fail_short(n, "nothing more came"),
                Err(e) => self.fail_io(&format!("reading {n} bytes failed"), e),
            }
        }
        self.unread.drain(..n).collect()
    }

    /// Reads up to and including the next `\n`; returns the line without it.
    pub fn read_line(&mut self) -> String {
        let raw = self.read_line_bytes();
        match String::from_utf8(raw) {
            Ok(line) => line,
            Err(e) => self.fail("the line that came back is not valid UTF-8", &show_bytes(e.as_bytes())),
        }
    }

    /// Like [`Client::read_line`], without insisting on UTF-8; the `\n` is removed.
    pub fn read_line_bytes(&mut self) -> Vec<u8> {
        let started = Instant::now();
        loop {
            if let Some(end) = self.unread.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.unread.drain(..=end).collect();
                line.pop();
                return line;
            }
            match self.read_more(started) {
                Ok(0) => {
                    let partial = show_bytes(&self.unread_bytes());
                    self.fail("expected a line ending in \\n, but the server closed the connection", &partial)
                }
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    let partial = show_bytes(&self.unread_bytes());
                    self.fail("expected a line ending in \\n, but none came in time", &partial)
                }
                Err(e) => self.fail_io("reading a line failed", e),
            }
        }
    }

    /// Reads until the server closes the connection; returns all that came.
    pub fn read_to_end(&mut self) -> Vec<u8> {
        let started = Instant::now();
        loop {
            match self.read_more(started) {
                Ok(0) => return Vec::from(std::mem::take(&mut self.unread)),
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {
                    let got = show_bytes(&self.unread_bytes());
                    self.fail("expected the server to close the connection (end of stream), but it stayed open", &got)
                }
                Err(e) => self.fail_io("reading to the end of the stream failed", e),
            }
        }
    }

    /// Expects the server to close the connection with nothing more to say.
    /// A reset (the abrupt close) fails too: it can destroy replies in flight.
    pub fn expect_closed(&mut self) {
        let rest = self.read_to_end();
        if !rest.is_empty() {
            self.fail("expected the server to close the connection, but more bytes came first", &show_bytes(&rest));
        }
    }

    /// Expects nothing to arrive for `quiet`; fails on bytes or a close.
    pub fn expect_silence(&mut self, quiet: Duration) {
        if !self.unread.is_empty() {
            let got = show_bytes(&self.unread_bytes());
            self.fail("expected nothing to arrive, but bytes came", &got);
        }
        let _ = self.stream.set_read_timeout(Some(quiet));
        let mut buf = [0u8; 4096];
        let outcome = self.stream.read(&mut buf);
        self.apply_deadline();
        match outcome {
            Ok(0) => {
                self.fail("expected the connection to stay open and quiet, but the server closed it", "end of stream")
            }
            Ok(n) => {
                self.received.extend_from_slice(&buf[..n]);
                self.fail("expected nothing to arrive, but bytes came", &show_bytes(&buf[..n]))
            }
            Err(e) if is_timeout(&e) => {}
            Err(e) => self.fail_io("waiting in silence failed", e),
        }
    }

    fn unread_bytes(&self) -> Vec<u8> {
        self.unread.iter().copied().collect()
    }

    /// One read into the buffer, with the time left of this operation's deadline.
    fn read_more(&mut self, started: Instant) -> io::Result<usize> {
        let left = self.deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(io::Error::new(ErrorKind::TimedOut, "deadline passed"));
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut buf = [0u8; 16 * 1024];
        let n = self.stream.read(&mut buf)?;
        self.received.extend_from_slice(&buf[..n]);
        self.unread.extend(&buf[..n]);
        Ok(n)
    }

    /// Fails the check with `what`, what came, and this conversation so far.
    pub fn fail(&self, what: &str, got: &str) -> ! {
        self.failure(what).field("got", got).fail()
    }

    /// A failure about this connection, with what was sent and received so far
    /// and, when the server has stopped, why.
    pub fn failure(&self, what: &str) -> Failure {
        let mut sent = self.sent.clone();
        if let Some((payload, written)) = &self.in_flight {
            sent.extend_from_slice(&payload[..written.load(Ordering::Relaxed)]);
        }
        let mut failure = Failure::new(what.to_string())
            .field("server", self.addr)
            .field("sent so far", show_bytes_end(&sent))
            .field("received so far", show_bytes_end(&self.received));
        if let Some(why) = self.server.as_ref().and_then(|s| s.settle()) {
            failure = failure.field("meanwhile", why);
        }
        failure
    }

    fn fail_short(&self, wanted: usize, why: &str) -> ! {
        let what = format!("expected {wanted} bytes, but {why} after {} of them", self.unread.len());
        self.fail(&what, &show_bytes(&self.unread_bytes()))
    }

    fn fail_io(&self, what: &str, e: io::Error) -> ! {
        let why = match e.kind() {
            ErrorKind::ConnectionReset => format!(
                "{e}: the server reset the connection: it crashed, or it closed its socket \
                 while bytes it had not read were still waiting"
            ),
            ErrorKind::BrokenPipe => format!("{e}: the server had already closed the connection"),
            _ if is_timeout(&e) => format!("{e}: the server did not take the bytes in time (is it reading?)"),
            _ => e.to_string(),
        };
        self.failure(what).field("error", why).fail()
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
