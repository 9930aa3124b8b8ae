//! A server binary run as a child process, killed when its handle is dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::client::{Client, Fate};
use crate::failure::Failure;

/// How long a server binary may take to print `listening on …`. The binary is
/// already built when checks run; this is process start-up, a few milliseconds.
const START_DEADLINE: Duration = Duration::from_secs(5);

/// A running server binary, started with `[ADDR]` = `127.0.0.1:0`.
///
/// Its stdout is read line by line on a thread; the first line gives the port.
/// Dropping the handle kills the process and waits for it, even when the check
/// fails halfway, so no server outlives its check.
pub struct ServerProcess {
    /// Shared with the watcher thread, which notices when the process ends.
    child: Arc<Mutex<Child>>,
    program: String,
    addr: SocketAddr,
    lines: Receiver<String>,
    seen: Vec<String>,
    /// Why the process ended, once it has: its status and what it said on stderr.
    fate: Arc<Fate>,
    /// Its stderr, once it has ended (read by the watcher).
    stderr: Arc<Mutex<Option<String>>>,
}

impl ServerProcess {
    /// Starts `program` (a path, e.g. `env!("CARGO_BIN_EXE_echo-server")`) on a
    /// free port and waits for its `listening on <IP>:<PORT>` line.
    pub fn start(program: &str) -> ServerProcess {
        Self::start_with_args(program, &["127.0.0.1:0"])
    }

    pub fn start_with_args(program: &str, args: &[&str]) -> ServerProcess {
        let name = program.rsplit(['/', '\\']).next().unwrap_or(program).to_string();
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| Failure::new(format!("could not start {name}")).field("error", e).fail());

        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });

        let stderr_pipe = child.stderr.take();
        let child = Arc::new(Mutex::new(child));
        let fate = Arc::new(Fate::default());
        let stderr = Arc::new(Mutex::new(None));
        watch(&name, Arc::clone(&child), stderr_pipe, Arc::clone(&fate), Arc::clone(&stderr));
        let mut server = ServerProcess {
            child,
            program: name,
            addr: ([0, 0, 0, 0], 0).into(),
            lines,
            seen: Vec::new(),
            fate,
            stderr,
        };
        let first = server.next_line(START_DEADLINE);
        server.addr = match first.as_deref().and_then(|l| l.strip_prefix("listening on ")) {
            Some(addr) => addr
                .trim()
                .parse()
                .unwrap_or_else(|_| server.fail(&format!("`listening on` must be followed by IP:PORT, got {addr:?}"))),
            None => server.fail(&format!(
                "the first line on stdout must be `listening on <IP>:<PORT>`, got {:?}",
                first.unwrap_or_else(|| "nothing".into())
            )),
        };
        server
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client connected to this server; its failures say whether the
    /// process has ended meanwhile, with its exit status and stderr.
    pub fn connect(&self) -> Client {
        Client::connect_watching(self.addr, Some(Arc::clone(&self.fate)))
    }

    /// Why the process ended, if it has.
    pub fn exited(&self) -> Option<String> {
        self.fate.get()
    }

    /// The next line the server prints, waiting at most `deadline`.
    pub fn next_line(&mut self, deadline: Duration) -> Option<String> {
        match self.lines.recv_timeout(deadline) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits until the server prints a line containing `needle`; fails after
    /// `deadline` with everything it printed.
    pub fn wait_for_line(&mut self, needle: &str, deadline: Duration) -> String {
        let started = Instant::now();
        loop {
            let left = deadline.saturating_sub(started.elapsed());
            match self.next_line(left) {
                Some(line) if line.contains(needle) => return line,
                Some(_) => {}
                None => self.fail(&format!("expected the server to print a line with {needle:?}")),
            }
        }
    }

    /// Every line printed so far (and whatever is waiting to be read).
    pub fn output(&mut self) -> Vec<String> {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    fn fail(&mut self, what: &str) -> ! {
        let stdout = self.output().join("\n");
        let status = {
            let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
            let _ = child.kill();
            child.wait().map(|s| s.to_string()).unwrap_or_default()
        };
        // The watcher reads stderr once the process has ended; give it a moment.
        let _ = self.fate.settle();
        let stderr = self.stderr.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
        Failure::new(format!("{}: {what}", self.program))
            .field("stdout", if stdout.is_empty() { "(nothing)".into() } else { stdout })
            .field("stderr", if stderr.trim().is_empty() { "(nothing)".into() } else { stderr.trim_end().to_string() })
            .field("status", status)
            .fail()
    }

    /// The process id, for checks that look at the process from outside.
    pub fn id(&self) -> u32 {
        self.child.lock().unwrap_or_else(|p| p.into_inner()).id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Watches a server process from a thread of its own: when it ends, whatever
/// the reason, its status and stderr become its fate, which every client of it
/// reports on failure ("connection refused" alone would not say that the
/// learner's server panicked at start).
fn watch(
    name: &str,
    child: Arc<Mutex<Child>>,
    stderr_pipe: Option<ChildStderr>,
    fate: Arc<Fate>,
    stderr: Arc<Mutex<Option<String>>>,
) {
    let name = name.to_string();
    // Stderr is drained as it comes, so a chatty server never blocks on a full pipe.
    let collected = thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = stderr_pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    thread::spawn(move || {
        let status = loop {
            match child.lock().unwrap_or_else(|p| p.into_inner()).try_wait() {
                Ok(Some(status)) => break status.to_string(),
                Ok(None) => {}
                Err(e) => break format!("unknown ({e})"),
            }
            // Polled, not waited on: `wait` would hold the lock that Drop needs to kill it.
            thread::sleep(Duration::from_millis(20));
        };
        let text = collected.join().unwrap_or_default();
        *stderr.lock().unwrap_or_else(|p| p.into_inner()) = Some(text.clone());
        let said = if text.trim().is_empty() { "nothing".to_string() } else { text.trim().to_string() };
        fate.set(format!("`{name}` has exited ({status}); on stderr it said:\n{said}"));
    });
}
