//! Linux: everything is in `/proc`.

use std::fs;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A thread of this process, by its kernel thread id.
pub struct Thread(libc::pid_t);

impl Thread {
    pub fn current() -> Thread {
        // SAFETY: gettid has no preconditions and cannot fail.
        Thread(unsafe { libc::gettid() })
    }

    /// utime + stime from `/proc/self/task/<tid>/stat`, in clock ticks; the
    /// file is gone once the thread has ended.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = fs::read_to_string(format!("/proc/self/task/{}/stat", self.0)).ok()?;
        // The command name, field 2, is in parentheses and may hold spaces:
        // count fields after its closing parenthesis. utime and stime are
        // fields 14 and 15.
        let after = &stat[stat.rfind(')')? + 1..];
        let mut fields = after.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        // SAFETY: sysconf has no preconditions.
        let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok().filter(|&t| t > 0)?;
        Some(Duration::from_nanos((utime + stime) * 1_000_000_000 / per_second))
    }
}

/// Running plus waiting time of every thread, from each thread's `schedstat`:
/// "<ns on a CPU> <ns waiting for a CPU> <time slices>".
pub fn busy_time(pid: u32) -> io::Result<Duration> {
    let mut nanos = 0u64;
    for task in fs::read_dir(format!("/proc/{pid}/task"))?.flatten() {
        // A thread may end between listing and reading: then it adds nothing.
        let Ok(text) = fs::read_to_string(task.path().join("schedstat")) else { continue };
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
        nanos += fields.next().unwrap_or(0) + fields.next().unwrap_or(0);
    }
    Ok(Duration::from_nanos(nanos))
}

pub fn thread_count(pid: u32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/task"))?.count())
}

/// `VmHWM` ("high water mark") in `/proc/<pid>/status`, given in KiB.
pub fn peak_memory(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::other(format!("no VmHWM line in /proc/{pid}/status")))
}

/// One entry per open descriptor in `/proc/<pid>/fd`.
pub fn open_descriptors(pid: u32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// The table of TCP sockets of this network namespace, one per line:
/// `sl local_address rem_address st tx_queue:rx_queue …`, addresses as hex
/// words in the kernel's memory order (`0100007F:1F90` is 127.0.0.1:8080 on
/// a little-endian machine). A listening socket (state 0A) shows in rx_queue
/// its accept queue, the connections `accept` has not taken yet.
pub fn accept_queue(listener: SocketAddr) -> io::Result<usize> {
    let (table, address) = match listener.ip() {
        IpAddr::V4(ip) => ("/proc/net/tcp", hex_words(&ip.octets())),
        IpAddr::V6(ip) => ("/proc/net/tcp6", hex_words(&ip.octets())),
    };
    let local = format!("{address}:{:04X}", listener.port());
    let text = fs::read_to_string(table)?;
    text.lines()
        .skip(1)
        .find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (at, state, queues) = (fields.get(1)?, fields.get(3)?, fields.get(4)?);
            (*at == local && *state == "0A").then(|| usize::from_str_radix(queues.split(':').nth(1)?, 16).ok())?
        })
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no socket listening at {listener} in {table}")))
}

/// Each 4 bytes of an address as the kernel prints them: one `u32` read in
/// this machine's byte order, in 8 hex digits.
fn hex_words(octets: &[u8]) -> String {
    octets.chunks(4).map(|word| format!("{:08X}", u32::from_ne_bytes(word.try_into().unwrap_or([0; 4])))).collect()
}

/// Names are in `/proc/self/task/*/comm`, cut to 15 bytes.
pub fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("comm")).ok())
        .filter(|comm| comm.trim_end().starts_with(prefix))
        .count()
}
