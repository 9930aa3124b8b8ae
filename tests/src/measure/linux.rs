//! Linux: everything is in `/proc`.

use std::fs;
use std::io;
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

/// Names are in `/proc/self/task/*/comm`, cut to 15 bytes.
pub fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("comm")).ok())
        .filter(|comm| comm.trim_end().starts_with(prefix))
        .count()
}
