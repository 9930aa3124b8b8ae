//! Helpers of lesson 03's checks that the shared harness does not have.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{self, Receiver};
use std::thread;

use harness::confirm::{HEADER_LEN, MAX_BODY};
use harness::measure::ThreadClock;
use harness::IO_DEADLINE;

/// A reader that hands out at most `step` bytes per `read`, the way a socket
/// does when the bytes arrive in small pieces.
pub struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
}

impl Trickle {
    pub fn new(bytes: Vec<u8>, step: usize) -> Trickle {
        Trickle { bytes, at: 0, step: step.max(1) }
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A correct confirmation server of the checks' own, to try the learner's
/// client against. It serves one connection at a time and reports each body
/// it receives, exactly as it came, on the returned channel.
pub fn reference_server() -> (SocketAddr, Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let (tx, bodies) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(IO_DEADLINE));
            let mut reader = BufReader::new(&stream);
            let mut writer = &stream;
            loop {
                let mut header = [0u8; HEADER_LEN];
                if reader.read_exact(&mut header).is_err() {
                    break;
                }
                let text = String::from_utf8_lossy(&header);
                let Some(len) = text.trim_end().parse::<usize>().ok().filter(|&n| n <= MAX_BODY) else {
                    let _ = writer.write_all(format!("ERROR bad header {text:?}\n").as_bytes());
                    break;
                };
                let mut body = vec![0u8; len];
                if reader.read_exact(&mut body).is_err() {
                    break;
                }
                let bye = body == b"!DISCONNECT";
                let _ = tx.send(body);
                let _ = writer.write_all(b"Msg received\n");
                if bye {
                    break;
                }
            }
            // Read what is left before closing (see the book, "Closing gracefully").
            let _ = stream.shutdown(std::net::Shutdown::Write);
            let _ = reader.fill_buf();
        }
    });
    (addr, bodies)
}

/// CPU time (user + system) used so far by the thread whose clock this is, in
/// ticks of 1/100 s (what the checks' limits count in); `None` once that
/// thread has ended. Linux, macOS and Windows tell; elsewhere the check stops
/// as not measured.
pub fn thread_cpu_ticks(clock: &ThreadClock) -> Option<u64> {
    clock.cpu_time().map(|spent| (spent.as_millis() / 10) as u64)
}

/// The CPU clock of the calling thread, for the check to read from its own.
pub fn current_task() -> ThreadClock {
    ThreadClock::of_current_thread()
}

/// Reads one message the way a correct server does; `None` at the end of the
/// stream, on an error, or on a header that is not a length.
pub fn read_frame(reader: &mut impl Read) -> Option<Vec<u8>> {
    let mut header = [0u8; HEADER_LEN];
    reader.read_exact(&mut header).ok()?;
    let len = String::from_utf8_lossy(&header).trim_end().parse::<usize>().ok().filter(|&n| n <= MAX_BODY)?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// A server of the checks' own that serves one connection with `script`, to
/// try the learner's client against a server that misbehaves on purpose.
/// After the script the connection is closed gracefully (nothing left unread).
pub fn scripted_server<F>(script: F) -> SocketAddr
where
    F: FnOnce(&mut BufReader<&std::net::TcpStream>, &std::net::TcpStream) + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        let _ = stream.set_read_timeout(Some(IO_DEADLINE));
        let mut reader = BufReader::new(&stream);
        script(&mut reader, &stream);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = reader.fill_buf();
    });
    addr
}
