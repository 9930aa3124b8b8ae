//! Helpers of lesson 06's checks that the shared harness does not have: a light
//! chat user for the checks with many users and many lines, a fake server to
//! try the client against, and the client binary driven line by line.

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use harness::{show_bytes, Failure, IO_DEADLINE};

/// The words of a line that could be nicknames (runs of letters and digits),
/// to find names in a room list whatever its wording.
pub fn words(line: &str) -> BTreeSet<String> {
    line.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// A chat user for the checks that move many lines: a buffered reader (the
/// harness's `Client` keeps every byte for its failure messages, too much for
/// a hundred users and megabytes), with a deadline on every read and failures
/// that name the user and show the last lines they received.
pub struct User {
    pub name: String,
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    recent: Vec<String>,
    received: usize,
    /// How long `line` waits for a line; [`IO_DEADLINE`] unless made patient.
    deadline: Duration,
}

impl User {
    /// Connects, reads the prompt, sends the nickname and reads the room list.
    /// Returns the user and that list line.
    pub fn join(addr: SocketAddr, name: &str) -> (User, String) {
        let stream = TcpStream::connect_timeout(&addr, IO_DEADLINE).unwrap_or_else(|e| {
            Failure::new(format!("{name} could not connect to the server at {addr}")).field("error", e).fail()
        });
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(IO_DEADLINE));
        let _ = stream.set_write_timeout(Some(IO_DEADLINE));
        let reader = BufReader::new(stream.try_clone().expect("cloning a socket handle failed"));
        let mut user =
            User { name: name.to_string(), stream, reader, recent: Vec::new(), received: 0, deadline: IO_DEADLINE };
        user.line(); // the prompt
        user.send(format!("{name}\n").as_bytes());
        let list = user.line();
        if !list.starts_with("* ") {
            user.fail("after sending its nickname, expected a line starting with `* ` listing who is in the room");
        }
        if list.ends_with(" joined") || list.ends_with(" left") {
            user.fail(&format!(
                "{name}'s first line after its nickname should be the room list, but it was {list:?}: the newcomer \
                 heard about someone else before hearing who was in the room"
            ));
        }
        (user, list)
    }

    /// Waits up to `deadline` for each line from now on: for a user who may
    /// rightly wait, as when the room waits for someone stuck (up to STUCK).
    pub fn patient(mut self, deadline: Duration) -> User {
        self.deadline = deadline;
        let _ = self.stream.set_read_timeout(Some(deadline));
        self
    }

    pub fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.stream.write_all(bytes) {
            let what = format!("{} could not send {}", self.name, show_bytes(bytes));
            self.failure(&what).field("error", e).fail()
        }
    }

    /// The next line, without its `\n`; fails if none comes within [`IO_DEADLINE`].
    pub fn line(&mut self) -> String {
        self.try_line().unwrap_or_else(|why| {
            let what = format!("{} expected a line, but {why}", self.name);
            self.fail(&what)
        })
    }

    /// The next line, or why there is none: the server closed the connection,
    /// or nothing came within [`IO_DEADLINE`].
    pub fn try_line(&mut self) -> Result<String, String> {
        let started = Instant::now();
        let mut raw = Vec::new();
        loop {
            match self.reader.read_until(b'\n', &mut raw) {
                Ok(_) if raw.last() == Some(&b'\n') => break,
                Ok(0) => return Err(unfinished("the server closed the connection", &raw)),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if started.elapsed() >= self.deadline {
                        let why = format!("none came within {} s", self.deadline.as_secs());
                        return Err(unfinished(&why, &raw));
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(unfinished(&format!("reading failed: {e}"), &raw)),
            }
        }
        raw.pop();
        let line = String::from_utf8_lossy(&raw).into_owned();
        self.received += 1;
        if self.recent.len() == 5 {
            self.recent.remove(0);
        }
        // Long lines are cut short for failure messages.
        let shown: String = line.chars().take(60).collect();
        self.recent.push(if shown.len() < line.len() { format!("{shown}…") } else { shown });
        Ok(line)
    }

    /// A failure about this user, with the last lines it received.
    pub fn failure(&self, what: &str) -> Failure {
        let recent = if self.recent.is_empty() { "(nothing)".to_string() } else { self.recent.join("\n") };
        Failure::new(what.to_string())
            .field("user", &self.name)
            .field("lines received", self.received)
            .field("the last of them", recent)
    }

    pub fn fail(&self, what: &str) -> ! {
        self.failure(what).fail()
    }

    /// Leaves with `/quit` and reads until the server closes (any lines allowed).
    pub fn quit(mut self) {
        self.send(b"/quit\n");
        let mut rest = Vec::new();
        if let Err(e) = self.reader.read_to_end(&mut rest) {
            let what = format!("{} sent /quit, and expected the server to close the connection", self.name);
            self.failure(&what).field("error", e).fail()
        }
    }
}

fn unfinished(why: &str, partial: &[u8]) -> String {
    if partial.is_empty() {
        why.to_string()
    } else {
        format!("{why} (after half a line: {})", show_bytes(partial))
    }
}

/// Runs `f` on one thread per item, all at once, and returns their results in
/// order. When threads fail, the check fails with the message of the first to
/// fail: the others often fail only because of it.
pub fn all_at_once<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let failures = Mutex::new(Vec::new());
    let results = thread::scope(|s| {
        let handles: Vec<_> = items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let (f, failures) = (&f, &failures);
                // The harness reports failures on threads named `course:…`
                // itself, instead of letting Rust print each one.
                thread::Builder::new()
                    .name(format!("course:user {i}"))
                    .spawn_scoped(s, move || {
                        catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|payload| {
                            failures.lock().unwrap_or_else(|p| p.into_inner()).push(payload);
                        })
                    })
                    .expect("the check could not start a thread")
            })
            .collect();
        handles.into_iter().map(|h| h.join().ok().and_then(Result::ok)).collect::<Vec<_>>()
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if !failures.is_empty() {
        resume_unwind(failures.remove(0));
    }
    results.into_iter().map(|r| r.expect("a thread without a failure has a result")).collect()
}

/// A stand-in chat server with a script of its own, to try the learner's
/// client against: it sends `greeting`, then records every byte the client
/// sends. When it reads `/quit\n` or the end of the stream it sends `goodbye`
/// and closes. With `close_at_once`, it closes right after the greeting.
pub struct FakeServer {
    pub addr: SocketAddr,
    received: Receiver<Vec<u8>>,
}

impl FakeServer {
    pub fn start(greeting: &'static str, goodbye: &'static str, close_at_once: bool) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, received) = mpsc::channel();
        thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else { return };
            let _ = stream.set_read_timeout(Some(IO_DEADLINE));
            let _ = stream.write_all(greeting.as_bytes());
            if close_at_once {
                let _ = tx.send(Vec::new());
                return;
            }
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        got.extend_from_slice(&buf[..n]);
                        if got.ends_with(b"/quit\n") {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = stream.write_all(goodbye.as_bytes());
            let _ = tx.send(got);
        });
        FakeServer { addr, received }
    }

    /// Everything the client sent before the fake server closed.
    pub fn received(&self) -> Option<Vec<u8>> {
        self.received.recv_timeout(IO_DEADLINE).ok()
    }
}

/// Input that never ends and never gives a line: a keyboard nobody types on.
pub struct SilentKeyboard {
    _keep: Sender<()>,
    never: Receiver<()>,
}

impl SilentKeyboard {
    pub fn new() -> BufReader<SilentKeyboard> {
        let (keep, never) = mpsc::channel();
        BufReader::new(SilentKeyboard { _keep: keep, never })
    }
}

impl Read for SilentKeyboard {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        let _ = self.never.recv();
        Ok(0)
    }
}

/// Output shared with the check: what the client printed so far.
#[derive(Clone, Default)]
pub struct Screen(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Screen {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `chat-client` binary, typed into line by line, with a transcript of
/// what was typed (`>`) and what it printed (`<`), in the order the check saw it.
pub struct ClientProcess {
    pub who: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Receiver<String>,
    pub transcript: String,
}

impl ClientProcess {
    pub fn start(program: &str, who: &str, addr: SocketAddr) -> ClientProcess {
        let mut child = Command::new(program)
            .arg(addr.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| Failure::new("could not start chat-client").field("error", e).fail());
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (etx, stderr_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            let _ = etx.send(all);
        });
        ClientProcess {
            who: who.to_string(),
            child,
            stdin,
            lines,
            stderr: stderr_rx,
            transcript: format!("$ chat-client {addr}\n"),
        }
    }

    /// Types `text` and Enter.
    pub fn type_line(&mut self, text: &str) {
        self.transcript.push_str(&format!("> {text}\n"));
        let ok = self.stdin.as_mut().is_some_and(|stdin| stdin.write_all(format!("{text}\n").as_bytes()).is_ok());
        if !ok {
            self.fail(&format!("could not type {text:?} into {}'s chat-client: it has exited", self.who));
        }
    }

    /// The next line the client prints; fails if none comes within [`IO_DEADLINE`].
    pub fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(IO_DEADLINE) {
            Ok(line) => {
                self.transcript.push_str(&format!("< {line}\n"));
                line
            }
            Err(RecvTimeoutError::Timeout) => {
                self.fail(&format!("{}'s chat-client printed no new line within {} s", self.who, IO_DEADLINE.as_secs()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.fail(&format!("{}'s chat-client closed its output before printing another line", self.who))
            }
        }
    }

    /// Closes standard input (Ctrl-D) and expects the client to exit soon.
    pub fn end_input(&mut self) {
        self.transcript.push_str("> (end of input)\n");
        self.stdin = None;
    }

    /// Waits for the client to exit, then adds what else it printed, its
    /// stderr and its exit status to the transcript.
    pub fn expect_exit(&mut self, within: Duration) {
        let started = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() < within => thread::sleep(Duration::from_millis(10)),
                _ => self.fail(&format!("{}'s chat-client did not exit within {} s", self.who, within.as_secs_f32())),
            }
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.transcript.push_str(&format!("< {line}\n"));
        }
        let stderr = self.stderr.recv_timeout(IO_DEADLINE).unwrap_or_default();
        self.transcript.push_str(&format!(
            "--- status: {}\n--- stderr:\n{stderr}",
            status.code().map_or("killed".into(), |c| c.to_string())
        ));
    }

    /// Fails with the transcript and, when the client has exited (say, it
    /// panicked), how it exited and what it wrote on stderr: a panic's message
    /// is there.
    fn fail(&mut self, what: &str) -> ! {
        let mut failure = Failure::new(what.to_string()).field("transcript so far", self.transcript.trim_end());
        // Stdout closing comes a moment before the exit status can be read.
        let started = Instant::now();
        let mut exited = self.child.try_wait().ok().flatten();
        while exited.is_none() && started.elapsed() < Duration::from_millis(300) {
            thread::sleep(Duration::from_millis(10));
            exited = self.child.try_wait().ok().flatten();
        }
        match exited {
            Some(status) => failure = failure.field("chat-client exited", describe(status)),
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                failure = failure.field("chat-client", "was still running (the check stopped it)");
            }
        }
        let stderr = self.stderr.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
        let stderr = stderr.trim_end();
        failure.field("its stderr", if stderr.is_empty() { "(nothing)" } else { stderr }).fail()
    }
}

/// An exit status in words: a code, or the signal that killed the process.
fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    "killed".to_string()
}

impl Drop for ClientProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
