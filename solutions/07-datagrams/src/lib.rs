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

use std::io::{self, ErrorKind, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use memory::{Memory, Seen};
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

// ANCHOR: answer
/// Decides the reply to one datagram from `from`, and remembers what it must.
///
/// A bad datagram is refused and changes nothing. `!DISCONNECT` makes the
/// memory forget `from`. Any other valid request is acknowledged, and
/// delivered only if `from` had not sent its number before.
pub fn answer(
    memory: &mut Memory,
    datagram: &[u8],
    from: SocketAddr,
) -> Answer {
    let request = match parse_request(datagram) {
        Ok(request) => request,
        Err(problem) => {
            return Answer {
                reply: format!("ERR {problem}"),
                outcome: Outcome::Refused(problem),
            }
        }
    };
    let outcome = if request.text == DISCONNECT {
        memory.forget(from);
        Outcome::Disconnected
    } else {
        match memory.record(from, request.seq) {
            Seen::First => Outcome::Delivered(request.text),
            // Its first ACK may have been lost: acknowledge it again.
            Seen::Again => Outcome::Repeat,
        }
    };
    Answer { reply: ack(request.seq), outcome }
}
// ANCHOR_END: answer

// ANCHOR: serve
/// Serves every client from one socket, forever: receive a datagram, answer
/// it, send the reply to the address it came from. Each delivered message is
/// one line on `log` (the binary passes standard output).
pub fn serve(socket: UdpSocket, mut log: impl Write) -> io::Result<()> {
    let mut memory = Memory::new();
    // Room for the largest datagram there is (65,507 bytes of data over IPv4),
    // so a datagram over the limit arrives whole and is refused. With room for
    // exactly MAX_DATAGRAM bytes, Linux would cut a longer one to fit, silently,
    // and the cut request might look valid.
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            // Not a reason to stop serving everyone else (on Windows, an ICMP
            // "port unreachable" for an earlier reply shows up here).
            Err(e) => {
                eprintln!("receive failed: {e}");
                continue;
            }
        };
        let answer = answer(&mut memory, &buf[..len], from);
        // The log is a courtesy: a closed stdout must not stop the server.
        match &answer.outcome {
            Outcome::Delivered(text) => {
                let _ = writeln!(log, "{from} says {text:?}");
            }
            Outcome::Disconnected => {
                let _ = writeln!(log, "{from} disconnected");
            }
            Outcome::Repeat => {}
            Outcome::Refused(problem) => eprintln!("{from} refused: {problem}"),
        }
        // To `from`, the source of this very datagram: every client has its own.
        if let Err(e) = socket.send_to(answer.reply.as_bytes(), from) {
            eprintln!("{from}: the reply could not be sent: {e}");
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: sender
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
    /// Each send waits [`RESEND_AFTER`] for its `ACK <seq>`; anything else that
    /// arrives meanwhile (an ACK for an earlier message, a duplicate) is
    /// ignored without extending the wait. Fails with `TimedOut` after
    /// [`MAX_SENDS`] sends, with `ConnectionRefused` when nothing listens at
    /// the server's address, and with `InvalidInput` for a text too long for
    /// one datagram.
    pub fn send(&mut self, text: &str) -> io::Result<u32> {
        let seq = self.next_seq;
        // Used up even if this fails: a copy may still reach the server later,
        // and the same number with another text would be taken for a repeat.
        self.next_seq += 1;
        let request = encode_request(seq, text);
        if request.len() > MAX_DATAGRAM {
            let why = format!(
                "a request of {} bytes is over the limit of {MAX_DATAGRAM}",
                request.len()
            );
            return Err(io::Error::new(ErrorKind::InvalidInput, why));
        }
        let expected = ack(seq);
        let mut reply = [0u8; 1500];
        for sends in 1..=MAX_SENDS {
            self.socket.send(&request).map_err(|e| self.explain(e))?;
            let deadline = Instant::now() + RESEND_AFTER;
            loop {
                // The time *left*: replies that are not ours must not make
                // the wait longer.
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                self.socket.set_read_timeout(Some(left))?;
                match self.socket.recv(&mut reply) {
                    Ok(n) if reply[..n] == *expected.as_bytes() => {
                        return Ok(sends)
                    }
                    Ok(n) if reply[..n].starts_with(b"ERR ") => {
                        let why = String::from_utf8_lossy(&reply[..n]);
                        return Err(io::Error::new(
                            ErrorKind::InvalidData,
                            format!("message {seq} refused: {why}"),
                        ));
                    }
                    // An ACK for an earlier message, late: not the one we
                    // wait for.
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::WouldBlock | ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(self.explain(e)),
                }
            }
        }
        let why = format!(
            "no ACK for message {seq} from {} after {MAX_SENDS} sends, \
             {} ms apart: is the server running?",
            self.server,
            RESEND_AFTER.as_millis()
        );
        Err(io::Error::new(ErrorKind::TimedOut, why))
    }

    /// Says what a refused connection means on a socket without a connection.
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
// ANCHOR_END: sender
