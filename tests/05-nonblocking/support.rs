//! What lesson 05's checks need beyond the harness: the open-files limit,
//! small socket buffers, and a look at a server process through `/proc`.
//!
//! The C functions are declared here by hand (the checks use no `libc` crate).
//! They exist on Linux and macOS; the `/proc` measurements are Linux only, and
//! elsewhere the checks that need them fail and say so, rather than pass
//! without having looked.

use std::net::TcpStream;
use std::time::Duration;

use harness::Failure;

#[cfg(unix)]
mod ffi {
    use std::os::raw::{c_int, c_void};

    #[repr(C)]
    pub struct Rlimit {
        pub cur: u64,
        pub max: u64,
    }

    #[cfg(target_os = "linux")]
    pub const RLIMIT_NOFILE: c_int = 7;
    #[cfg(not(target_os = "linux"))]
    pub const RLIMIT_NOFILE: c_int = 8;

    #[cfg(target_os = "linux")]
    pub const SOL_SOCKET: c_int = 1;
    #[cfg(target_os = "linux")]
    pub const SO_SNDBUF: c_int = 7;
    #[cfg(target_os = "linux")]
    pub const SO_RCVBUF: c_int = 8;
    #[cfg(not(target_os = "linux"))]
    pub const SOL_SOCKET: c_int = 0xffff;
    #[cfg(not(target_os = "linux"))]
    pub const SO_SNDBUF: c_int = 0x1001;
    #[cfg(not(target_os = "linux"))]
    pub const SO_RCVBUF: c_int = 0x1002;

    extern "C" {
        pub fn getrlimit(resource: c_int, rlim: *mut Rlimit) -> c_int;
        pub fn setrlimit(resource: c_int, rlim: *const Rlimit) -> c_int;
        pub fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
    }
}

/// Makes sure this process may open `wanted` files (sockets are files): raises
/// the soft limit to the hard limit if needed, or fails saying how to raise it.
#[cfg(unix)]
pub fn allow_open_files(wanted: u64) {
    let mut limit = ffi::Rlimit { cur: 0, max: 0 };
    // SAFETY: getrlimit writes one struct rlimit (two 64-bit numbers on Linux and macOS).
    if unsafe { ffi::getrlimit(ffi::RLIMIT_NOFILE, &mut limit) } != 0 {
        Failure::new("could not read the open-files limit (getrlimit)")
            .field("error", std::io::Error::last_os_error())
            .fail();
    }
    if limit.cur >= wanted {
        return;
    }
    // As high as allowed; macOS refuses more than its own ceiling (OPEN_MAX)
    // even when the hard limit is "unlimited", so try just `wanted` after that.
    let raised =
        [limit.max.min(1 << 20), wanted].into_iter().filter(|&cur| wanted <= cur && cur <= limit.max).any(|cur| {
            let new = ffi::Rlimit { cur, max: limit.max };
            // SAFETY: setrlimit reads one struct rlimit.
            unsafe { ffi::setrlimit(ffi::RLIMIT_NOFILE, &new) == 0 }
        });
    if !raised {
        Failure::new(format!(
            "this check needs {wanted} open files (a client and a server socket per connection), \
             but this system allows only {} (hard limit {})",
            limit.cur, limit.max
        ))
        .field("fix", format!("raise the limit in your shell, e.g. `ulimit -n {wanted}`, then run the check again"))
        .fail();
    }
}

#[cfg(not(unix))]
pub fn allow_open_files(wanted: u64) {
    let _ = wanted;
    Failure::new("this check opens a thousand connections and raises the open-files limit the Unix way")
        .field("fix", "run it on Linux or macOS (or in WSL)")
        .fail();
}

/// Which kernel buffer of a socket to shrink.
#[derive(Clone, Copy)]
pub enum Buffer {
    Send,
    Receive,
}

/// Shrinks one of a socket's kernel buffers (`SO_SNDBUF`, `SO_RCVBUF`) to
/// about `bytes`. On Linux a listening socket passes its sizes on to the
/// connections it accepts, and a size set by hand turns off the kernel's
/// automatic growth: so little data can hide in the kernel, and what a server
/// buffers in its own memory shows in what it has read.
#[cfg(unix)]
pub fn shrink(fd: std::os::fd::RawFd, buffer: Buffer, bytes: i32) {
    let option = match buffer {
        Buffer::Send => ffi::SO_SNDBUF,
        Buffer::Receive => ffi::SO_RCVBUF,
    };
    // SAFETY: the option value is one int, as these options expect.
    let rc =
        unsafe { ffi::setsockopt(fd, ffi::SOL_SOCKET, option, (&bytes as *const i32).cast(), size_of::<i32>() as u32) };
    if rc != 0 {
        Failure::new("could not shrink a socket's buffer (setsockopt)")
            .field("error", std::io::Error::last_os_error())
            .fail();
    }
}

/// How long the threads of process `pid` have been busy so far: running on a
/// CPU, or ready to run and waiting for one (from `/proc/<pid>/task/*/schedstat`,
/// in nanoseconds). A thread asleep in `poll` is neither.
///
/// Waiting time counts too because the machine may be crowded (other checks
/// run at the same time): a busy loop then gets only a slice of a CPU, but it
/// is running or ready to run the whole time, so the sum stays near 100% of
/// the time measured either way. Linux only: elsewhere the check fails and
/// says why.
pub fn busy_time(pid: u32) -> Duration {
    let fail = |what: String| -> ! {
        Failure::new("this check measures the server's CPU use in /proc, which only Linux has")
            .field("reading", what)
            .field("fix", "run the checks on Linux (or in WSL, or a Linux container)")
            .fail()
    };
    let dir = format!("/proc/{pid}/task");
    let tasks = std::fs::read_dir(&dir).unwrap_or_else(|e| fail(format!("{dir}: {e}")));
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        let path = task.path().join("schedstat");
        // A thread may end between listing and reading: then it adds nothing.
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // "<ns on a CPU> <ns waiting for a CPU> <time slices>"
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
        nanos += fields.next().unwrap_or(0) + fields.next().unwrap_or(0);
    }
    Duration::from_nanos(nanos)
}

/// How many threads the process `pid` has, from `/proc/<pid>/task`. Linux only.
pub fn thread_count(pid: u32) -> usize {
    let path = format!("/proc/{pid}/task");
    match std::fs::read_dir(&path) {
        Ok(entries) => entries.count(),
        Err(e) => Failure::new("this check counts the server's threads in /proc, which only Linux has")
            .field("reading", format!("{path}: {e}"))
            .field("fix", "run the checks on Linux (or in WSL, or a Linux container)")
            .fail(),
    }
}

/// Fails with a useful message when the server process `pid` has already
/// ended (a `todo!()` or a panic in `serve` ends the binary at once), instead
/// of a bare "connection refused" later.
pub fn expect_alive(pid: u32, program: &str) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
    if matches!(state, Some("Z") | Some("X")) {
        Failure::new(format!("`{program}` exited right after printing `listening on`"))
            .field("likely", "your `serve` panicked (a todo!() left?) or returned")
            .field("see", "run `just run 05 server` to read its error")
            .fail();
    }
}

/// A plain connection with deadlines, for checks that must write and read on
/// two threads at once (the harness's `Client` does one thing at a time).
pub fn raw_connect(addr: std::net::SocketAddr, deadline: Duration) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, deadline).unwrap_or_else(|e| {
        Failure::new(format!("could not connect to the server at {addr}")).field("error", e).fail()
    });
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(deadline));
    let _ = stream.set_write_timeout(Some(deadline));
    stream
}

/// How many files (sockets included) the process `pid` has open, from
/// `/proc/<pid>/fd`. Linux only: elsewhere the check fails and says why.
pub fn open_files(pid: u32) -> usize {
    let path = format!("/proc/{pid}/fd");
    match std::fs::read_dir(&path) {
        Ok(entries) => entries.count(),
        Err(e) => Failure::new("this check counts the server's open files in /proc, which only Linux has")
            .field("reading", format!("{path}: {e}"))
            .field("fix", "run the checks on Linux (or in WSL, or a Linux container)")
            .fail(),
    }
}
