//! What some checks measure about a server beyond its bytes: CPU time, threads,
//! memory, and the open-files limit, the same way on Linux, macOS and Windows.
//!
//! Each system is asked through its own interface (one file per system beside
//! this one): Linux through `/proc`, macOS through libproc and Mach, Windows
//! through its process and thread API. What differs between them is said where
//! it matters, at each function. On a system none of them covers, a check that
//! needs a measurement stops with [`not_measured`] instead of passing without
//! having looked.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::failure::Failure;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod sys;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod sys;
#[cfg(windows)]
#[path = "windows.rs"]
mod sys;
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
#[path = "other.rs"]
mod sys;

mod limits;
#[cfg(any(target_os = "macos", test))]
mod netstat;
#[cfg(test)]
mod tests;

pub use limits::{allow_open_files, raise_open_files_quietly};

/// The first words of the message of a check that could not measure what it
/// needs on this system. The course runner counts such a check apart from
/// passed and failed: the lesson can be completed without it.
pub const NOT_MEASURED: &str = "not measured on this system:";

/// Stops the check: this system cannot tell what the check needs to know.
/// `reason` says what was not measured and why, e.g. "the server's CPU time
/// (this system has no per-thread CPU clock the checks know how to read)".
pub fn not_measured(reason: &str) -> ! {
    Failure::new(format!("{NOT_MEASURED} {reason}"))
        .field("so", "this check could neither pass nor fail here; the others still count")
        .field("to measure it", "run the checks on Linux, macOS or Windows (or in WSL, or a Linux container)")
        .fail()
}

/// The CPU clock of one thread of this process, taken on that thread (by the
/// server thread the harness starts, say) and read from any other.
pub struct ThreadClock(sys::Thread);

impl ThreadClock {
    /// The clock of the calling thread.
    pub fn of_current_thread() -> ThreadClock {
        ThreadClock(sys::Thread::current())
    }

    /// CPU time the thread has used so far, in user and system mode together;
    /// `None` once the thread has ended (Linux, macOS) or when the system
    /// refuses to tell. Resolution: a clock tick on Linux (usually 10 ms), a
    /// microsecond on macOS, the scheduler's 100 ns unit on Windows.
    pub fn cpu_time(&self) -> Option<Duration> {
        self.0.cpu_time()
    }
}

/// How long the threads of process `pid` have been busy so far.
///
/// On Linux this is time running on a CPU *plus* time ready to run and
/// waiting for one (`/proc/<pid>/task/*/schedstat`): on a crowded machine a
/// busy loop gets only a slice of a CPU, but it is running or waiting the whole
/// time, so the sum stays near the time measured either way. macOS and Windows
/// only tell CPU time (user + system): there a busy loop shows its full share
/// only when a CPU is free for it. A thread asleep in `poll` is neither.
pub fn busy_time(pid: u32) -> io::Result<Duration> {
    sys::busy_time(pid)
}

/// How many threads process `pid` has started: its main thread and every
/// thread its code spawned. On Windows the loader's own pool threads, which
/// ntdll starts in every process for a few seconds, are not counted.
pub fn thread_count(pid: u32) -> io::Result<usize> {
    sys::thread_count(pid)
}

/// The most memory process `pid` has used so far, in bytes: its peak
/// resident set on Linux (`VmHWM`), its peak physical footprint on macOS, its
/// peak working set on Windows. All three grow by the bytes a program writes
/// into memory it allocated.
pub fn peak_memory(pid: u32) -> io::Result<u64> {
    sys::peak_memory(pid)
}

/// How many files process `pid` has open, sockets included: the entries of
/// `/proc/<pid>/fd` on Linux, of `proc_pidinfo(PROC_PIDLISTFDS)` on macOS.
/// Windows counts every kernel handle of the process
/// (`GetProcessHandleCount`): each socket is one, but so are its events,
/// threads it opened and the like, so compare counts, not a count with zero.
pub fn open_descriptors(pid: u32) -> io::Result<usize> {
    sys::open_descriptors(pid)
}

/// How many connections wait in the accept queue of the TCP socket listening
/// at `listener`: accepted by the kernel, not yet by the program. Linux tells
/// it for any listener on the machine (`/proc/net/tcp`, `/proc/net/tcp6`: a
/// listening socket's `rx_queue`); macOS through `netstat -L` (`qlen` less
/// `incqlen`: queued, with the handshake done). Windows has no way to tell: there
/// (and on any other system) the error is of kind
/// [`io::ErrorKind::Unsupported`] and its message is a reason for
/// [`not_measured`], so that a check can finish what it can check first.
pub fn accept_queue(listener: SocketAddr) -> io::Result<usize> {
    sys::accept_queue(listener)
}

/// How many threads of this process have a name starting with `prefix`.
///
/// Names as `std::thread::Builder::name` sets them, which Linux cuts to 15
/// bytes: keep prefixes shorter. The first call checks that this system shows
/// those names at all (a thread the harness names itself must be found), and
/// stops the check as not measured if it does not.
pub fn threads_named(prefix: &str) -> usize {
    names_are_visible();
    sys::threads_named(prefix)
}

fn names_are_visible() {
    static VISIBLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let visible = *VISIBLE.get_or_init(|| {
        // A thread names itself once it runs: wait for it to say it does.
        let (started, has_started) = std::sync::mpsc::channel::<()>();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let probe = std::thread::Builder::new().name("course-probe".into()).spawn(move || {
            let _ = started.send(());
            let _ = wait.recv();
        });
        let Ok(probe) = probe else { return true };
        let _ = has_started.recv();
        let seen = sys::threads_named("course-probe") == 1;
        drop(release);
        let _ = probe.join();
        seen
    });
    if !visible {
        not_measured("threads by name (this system does not show the names Rust gives to threads)");
    }
}
