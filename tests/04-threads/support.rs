//! Helpers of lesson 04's checks: a gate for many client threads, waiting for
//! the shared count, and counting the threads a pool started.

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::Failure;

/// A meeting point: each client thread arrives and waits until all have
/// arrived, or the deadline passes (then it gives up instead of hanging).
#[derive(Clone)]
pub struct Gate {
    inner: Arc<(Mutex<usize>, Condvar)>,
    expected: usize,
}

impl Gate {
    pub fn new(expected: usize) -> Gate {
        Gate { inner: Arc::new((Mutex::new(0), Condvar::new())), expected }
    }

    /// Arrives; returns whether everyone arrived within `deadline`.
    pub fn arrive_and_wait(&self, deadline: Duration) -> bool {
        let (count, changed) = &*self.inner;
        let mut arrived = count.lock().unwrap_or_else(|p| p.into_inner());
        *arrived += 1;
        changed.notify_all();
        let (arrived, _) =
            changed.wait_timeout_while(arrived, deadline, |n| *n < self.expected).unwrap_or_else(|p| p.into_inner());
        *arrived >= self.expected
    }
}

/// Reads `read()` until it returns `expected`, for at most two seconds: a
/// client thread counts itself out a moment after its socket is closed.
pub fn expect_count(read: impl Fn() -> usize, expected: usize, after: &str) {
    let started = Instant::now();
    loop {
        let now = read();
        if now == expected {
            return;
        }
        if started.elapsed() > Duration::from_secs(2) {
            Failure::new(format!("`stats.active()` is {now}, but {expected} clients are connected"))
                .field("after", after)
                .field("waited", "2 s for the count to change")
                .fail();
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// How many threads of this process have a name starting with `prefix`
/// (names cut to 15 bytes on Linux). Linux, macOS and Windows tell; elsewhere
/// the check stops as not measured.
pub fn threads_named(prefix: &str) -> usize {
    harness::measure::threads_named(prefix)
}

/// Waits up to `deadline` for no thread named `prefix…` to be left; returns
/// how many are still there (a joined thread may linger for a few
/// microseconds in the system's list after its join returns).
pub fn threads_left(prefix: &str, deadline: Duration) -> usize {
    let started = Instant::now();
    loop {
        let left = threads_named(prefix);
        if left == 0 || started.elapsed() > deadline {
            return left;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// How many connections wait in the backlog of the listening socket at
/// `addr`: accepted by the kernel, not yet by the program (see
/// `harness::measure::accept_queue`). `Err` with the reason where this system
/// cannot tell (Windows): the check finishes what it can check, then reports
/// itself not measured.
pub fn waiting_in_backlog(addr: std::net::SocketAddr) -> Result<usize, String> {
    match harness::measure::accept_queue(addr) {
        Ok(waiting) => Ok(waiting),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => Err(e.to_string()),
        Err(e) => {
            Failure::new("could not read the listener's backlog").field("listener", addr).field("error", e).fail()
        }
    }
}
