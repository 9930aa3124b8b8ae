//! The servers under test, run as child processes and always killed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a server may take to print `listening on …`.
const START_DEADLINE: Duration = Duration::from_secs(5);

/// A running server; dropping it kills the process and waits for it, so no
/// server outlives the run, on success, on error, or on a panic.
pub struct ServerChild {
    child: Child,
    addr: SocketAddr,
}

impl ServerChild {
    /// Starts `path` on `127.0.0.1:0` and reads the port from its first line.
    pub fn start(name: &str, path: &Path) -> Result<ServerChild, String> {
        let mut child = Command::new(path)
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (first_line, first) = mpsc::channel();
        // The servers log every client on stdout: keep reading it, or a full
        // pipe would block the server in the middle of the measurement.
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first_line.send(lines.next());
            for _ in lines.by_ref() {}
        });
        let mut server =
            ServerChild { child, addr: ([127, 0, 0, 1], 0).into() };
        let line = match first.recv_timeout(START_DEADLINE) {
            Ok(Some(Ok(line))) => line,
            _ => {
                return Err(format!(
                    "{name} printed no `listening on` line within {} s",
                    START_DEADLINE.as_secs()
                ))
            }
        };
        server.addr = line
            .strip_prefix("listening on ")
            .and_then(|addr| addr.trim().parse().ok())
            .ok_or_else(|| format!("{name}'s first line is not `listening on IP:PORT`: {line:?}"))?;
        Ok(server)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's resident memory (kB) and thread count, from /proc/<pid>/status.
pub fn status(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |key: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("VmRSS:")?, field("Threads:")?))
}
