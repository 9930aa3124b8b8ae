//! What lesson 07's checks need beyond the harness: the learner's UDP server
//! on a thread with its log, a UDP peer whose every wait has a deadline, and
//! small servers of the checks' own to try the learner's client against.

use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use harness::{show_bytes, Failure, Server};

/// How long a check waits for one reply. Loopback answers in microseconds;
/// this is for a crowded machine.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(2);

/// Lines written to the server's `log`, one `String` per line, on a channel.
pub struct LogSink {
    lines: mpsc::Sender<String>,
    partial: Vec<u8>,
}

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let _ = self.lines.send(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The learner's `serve` running on a thread, on `127.0.0.1:0`, with its log.
pub struct UdpServer {
    addr: SocketAddr,
    server: Arc<Server>,
    log: Receiver<String>,
    seen: Vec<String>,
}

impl UdpServer {
    /// Binds a UDP socket and hands it to `datagrams::serve` on a thread. The
    /// harness's `Server` runs it (it wants a TCP listener: an idle one is
    /// passed and ignored), so a panic in `serve` is caught with its location
    /// and reported by every failure that follows.
    pub fn start() -> UdpServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket on 127.0.0.1:0 failed");
        UdpServer::serving(socket)
    }

    /// Like [`UdpServer::start`], on a socket that reports ICMP errors even
    /// though it is not connected, as every UDP socket on Windows does: after
    /// a reply reaches a port where nothing listens, the kernel's "port
    /// unreachable" makes the next `recv_from` fail with ConnectionRefused
    /// (Windows: WSAECONNRESET). On Linux that takes `IP_RECVERR`; elsewhere
    /// the check is reported as not measured.
    pub fn start_reporting_icmp() -> UdpServer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket on 127.0.0.1:0 failed");
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let on: libc::c_int = 1;
            // SAFETY: a valid socket, and a pointer to an int with its size.
            let rc = unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::IPPROTO_IP,
                    libc::IP_RECVERR,
                    (&on as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            assert_eq!(rc, 0, "setsockopt(IP_RECVERR) failed: {}", io::Error::last_os_error());
        }
        // Elsewhere (macOS, the BSDs) an unconnected UDP socket never hears of
        // the ICMP error: the check cannot provoke what it is about.
        #[cfg(not(any(target_os = "linux", windows)))]
        {
            drop(socket);
            harness::not_measured(
                "this system does not report a \"port unreachable\" to an unconnected UDP socket, \
                 so no receive error can be provoked here (Linux with IP_RECVERR and Windows do)",
            )
        }
        #[cfg(any(target_os = "linux", windows))]
        UdpServer::serving(socket)
    }

    fn serving(socket: UdpSocket) -> UdpServer {
        let addr = socket.local_addr().expect("a bound socket has an address");
        let (lines, log) = mpsc::channel();
        let sink = LogSink { lines, partial: Vec::new() };
        let unused = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 failed");
        let server = Server::start_with("datagrams::serve", unused, move |_| datagrams::serve(socket, sink));
        UdpServer { addr, server: Arc::new(server), log, seen: Vec::new() }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Why `serve` stopped, if it has.
    pub fn stopped(&self) -> Option<String> {
        self.server.stopped()
    }

    /// A new peer that talks to this server.
    pub fn peer(&self) -> Peer {
        Peer::new(self.addr, Some(Arc::clone(&self.server)))
    }

    /// Every line logged so far, and whatever is waiting.
    pub fn lines(&mut self) -> Vec<String> {
        while let Ok(line) = self.log.try_recv() {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    /// Waits for a logged line containing `needle`; `None` after `deadline`.
    pub fn wait_for_line(&mut self, needle: &str, deadline: Duration) -> Option<String> {
        if let Some(line) = self.lines().into_iter().find(|l| l.contains(needle)) {
            return Some(line);
        }
        let started = Instant::now();
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Makes sure every datagram sent to the server before now has been
    /// handled, and returns the log then (without this line). A request from
    /// a fresh peer waits in the server's queue behind all of them: once it
    /// is acknowledged and logged, they have been handled too.
    pub fn sync(&mut self) -> Vec<String> {
        let mut peer = self.peer();
        let marker = format!("(sync from {})", peer.local_addr());
        peer.send(format!("1 {marker}").as_bytes());
        match peer.try_reply(REPLY_DEADLINE) {
            Some(reply) if reply == b"ACK 1" => {}
            Some(reply) => peer
                .failure("a second client's request `1 …` got another reply than `ACK 1`")
                .field("got", show_bytes(&reply))
                .fail(),
            None => peer
                .failure(
                    "a request from a second client (another address) got no reply: reply to the address \
                     each datagram came from (`send_to(reply, from)`), not to the first client's",
                )
                .fail(),
        }
        let _ = self.wait_for_line(&marker, REPLY_DEADLINE);
        self.lines().into_iter().filter(|l| !l.contains("(sync from ")).collect()
    }
}

/// A UDP socket of the check's own, talking to one server. Every wait has a
/// deadline; every failure shows what went back and forth.
pub struct Peer {
    socket: UdpSocket,
    server_addr: SocketAddr,
    server: Option<Arc<Server>>,
    /// What was sent and received, for failure messages.
    transcript: Vec<String>,
}

impl Peer {
    pub fn new(server_addr: SocketAddr, server: Option<Arc<Server>>) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding a UDP socket on 127.0.0.1:0 failed");
        Peer { socket, server_addr, server, transcript: Vec::new() }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("a bound socket has an address")
    }

    /// Sends one datagram to the server.
    pub fn send(&mut self, datagram: &[u8]) {
        if let Err(e) = self.socket.send_to(datagram, self.server_addr) {
            self.failure("sending a datagram failed").field("error", e).fail();
        }
        self.transcript.push(format!("sent     {}", show_bytes(datagram)));
    }

    /// The next datagram from the server, within `deadline`; `None` if none came.
    pub fn try_reply(&mut self, deadline: Duration) -> Option<Vec<u8>> {
        let started = Instant::now();
        let mut buf = vec![0u8; 65_536];
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                return None;
            }
            // Short waits, to notice at once a server thread that has died.
            let _ = self.socket.set_read_timeout(Some(left.min(Duration::from_millis(100))));
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let reply = buf[..n].to_vec();
                    self.transcript.push(format!("received {}", show_bytes(&reply)));
                    if from != self.server_addr {
                        self.failure(&format!(
                            "a reply came from {from}, not from the server's address {}: reply with \
                             `send_to` on the socket the request came in on",
                            self.server_addr
                        ))
                        .fail();
                    }
                    return Some(reply);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                    if self.server.as_ref().is_some_and(|s| s.stopped().is_some()) {
                        return None;
                    }
                }
                Err(e) => self.failure("receiving a reply failed").field("error", e).fail(),
            }
        }
    }

    /// The next datagram from the server, or a failure saying none came.
    pub fn reply(&mut self, waiting_for: &str) -> Vec<u8> {
        match self.try_reply(REPLY_DEADLINE) {
            Some(reply) => reply,
            None => self
                .failure(&format!("no reply came from the server within {} s", REPLY_DEADLINE.as_secs()))
                .field("expected", waiting_for)
                .fail(),
        }
    }

    /// Expects exactly `ACK <seq>`; `why` says what the request was.
    pub fn expect_ack(&mut self, seq: u64, why: &str) {
        let expected = format!("ACK {seq}");
        let reply = self.reply(&format!("`{expected}`, for {why}"));
        if reply != expected.as_bytes() {
            self.failure(&format!("expected the reply `{expected}`, for {why}"))
                .field("got", show_bytes(&reply))
                .fail();
        }
    }

    /// Expects `ERR <reason>` with a reason, on one line; returns the reason.
    pub fn expect_err(&mut self, why: &str) -> String {
        let reply = self.reply(&format!("`ERR <reason>`, for {why}"));
        let reason = reply.strip_prefix(b"ERR ").filter(|r| !r.is_empty() && !r.contains(&b'\n'));
        match reason {
            Some(reason) => String::from_utf8_lossy(reason).into_owned(),
            None => self
                .failure(&format!("expected a refusal, `ERR <reason>`, for {why}"))
                .field("got", show_bytes(&reply))
                .fail(),
        }
    }

    /// A failure with this peer's conversation and, if the server stopped, why.
    pub fn failure(&self, what: &str) -> Failure {
        let shown = 8;
        let skipped = self.transcript.len().saturating_sub(shown);
        let mut lines = self.transcript[skipped..].join("\n");
        if skipped > 0 {
            lines = format!("({skipped} earlier datagrams not shown)\n{lines}");
        }
        let mut failure = Failure::new(what)
            .field("server", self.server_addr)
            .field("client", self.local_addr())
            .field("so far", if lines.is_empty() { "(nothing)".to_string() } else { lines });
        if let Some(why) = self.server.as_ref().and_then(|s| s.stopped()) {
            failure = failure.field("meanwhile", why);
        }
        failure
    }
}

/// A UDP server of the checks' own, to try the learner's client against. Each
/// datagram it receives goes on the returned channel (with when it came), and
/// `script` decides what to send back: `(replies, delay before the first)`.
/// It stops after `lifetime`.
pub fn scripted_server<F>(lifetime: Duration, mut script: F) -> (SocketAddr, Receiver<(Instant, Vec<u8>)>)
where
    F: FnMut(&[u8], u32) -> Vec<(Duration, Vec<u8>)> + Send + 'static,
{
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = socket.local_addr().expect("local addr");
    let (tx, requests) = mpsc::channel();
    thread::spawn(move || {
        let started = Instant::now();
        let mut buf = vec![0u8; 65_536];
        let mut copies: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
        while started.elapsed() < lifetime {
            let _ = socket.set_read_timeout(Some(Duration::from_millis(100)));
            let Ok((n, from)) = socket.recv_from(&mut buf) else { continue };
            let request = buf[..n].to_vec();
            let _ = tx.send((Instant::now(), request.clone()));
            let copy = copies.entry(request.clone()).or_insert(0);
            *copy += 1;
            for (pause, reply) in script(&request, *copy) {
                thread::sleep(pause);
                let _ = socket.send_to(&reply, from);
            }
        }
    });
    (addr, requests)
}

/// A correct server of the checks' own: `ACK <seq>` for every request that
/// starts with a number and a space.
pub fn reference_server() -> (SocketAddr, Receiver<(Instant, Vec<u8>)>) {
    scripted_server(Duration::from_secs(10), |request, _| {
        let text = String::from_utf8_lossy(request);
        match text.split_once(' ').and_then(|(n, _)| n.parse::<u64>().ok()) {
            Some(seq) => vec![(Duration::ZERO, format!("ACK {seq}").into_bytes())],
            None => vec![(Duration::ZERO, b"ERR bad request".to_vec())],
        }
    })
}

/// An address where nothing listens: a socket was bound there and closed.
pub fn nobody_there() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    socket.local_addr().expect("local addr")
}
