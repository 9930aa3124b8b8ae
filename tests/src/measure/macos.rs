//! macOS: a thread's CPU time from Mach (`thread_info`), a process's from
//! libproc (`proc_pidinfo`, `proc_pid_rusage`), thread names from the Mach
//! threads of this task, a listener's queue from `netstat -L`. The
//! declarations come from the `libc` and `mach2` crates.

use std::ffi::CStr;
use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::SocketAddr;
use std::time::Duration;

/// A thread of this process, by its Mach port.
pub struct Thread(libc::mach_port_t);

impl Thread {
    pub fn current() -> Thread {
        // SAFETY: pthread_self is always valid on the calling thread; the port
        // it maps to belongs to the thread and needs no release.
        Thread(unsafe { libc::pthread_mach_thread_np(libc::pthread_self()) })
    }

    /// `THREAD_BASIC_INFO`: user and system time in seconds and microseconds.
    /// Fails (so `None`) once the thread has ended and its port is dead.
    pub fn cpu_time(&self) -> Option<Duration> {
        let mut info = MaybeUninit::<libc::thread_basic_info>::zeroed();
        let mut count = libc::THREAD_BASIC_INFO_COUNT;
        // SAFETY: info has room for THREAD_BASIC_INFO_COUNT integers, and
        // count says so.
        let rc =
            unsafe { libc::thread_info(self.0, libc::THREAD_BASIC_INFO as _, info.as_mut_ptr().cast(), &mut count) };
        if rc != libc::KERN_SUCCESS {
            return None;
        }
        // SAFETY: thread_info succeeded and filled it.
        let info = unsafe { info.assume_init() };
        let micros = |t: libc::time_value_t| t.seconds as u64 * 1_000_000 + t.microseconds as u64;
        Some(Duration::from_micros(micros(info.user_time) + micros(info.system_time)))
    }
}

/// `PROC_PIDTASKINFO` of process `pid`.
fn task_info(pid: u32) -> io::Result<libc::proc_taskinfo> {
    let mut info = MaybeUninit::<libc::proc_taskinfo>::zeroed();
    let size = size_of::<libc::proc_taskinfo>() as libc::c_int;
    // SAFETY: the buffer is one proc_taskinfo, and size says so.
    let written =
        unsafe { libc::proc_pidinfo(pid as libc::c_int, libc::PROC_PIDTASKINFO, 0, info.as_mut_ptr().cast(), size) };
    if written != size {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: proc_pidinfo filled all of it.
    Ok(unsafe { info.assume_init() })
}

/// CPU time only: macOS does not tell how long a thread waited for a CPU.
/// `pti_total_user` and `pti_total_system` count ticks of the hardware
/// timebase, not nanoseconds: one tick is 1 ns on Intel but about 41.7 ns on
/// Apple silicon. `hw.tbfrequency` gives the ticks per second either way (even
/// under Rosetta, where `mach_timebase_info` pretends to be Intel).
pub fn busy_time(pid: u32) -> io::Result<Duration> {
    let info = task_info(pid)?;
    let ticks = u128::from(info.pti_total_user) + u128::from(info.pti_total_system);
    let per_second = timebase_frequency()?;
    Ok(Duration::from_nanos((ticks * 1_000_000_000 / u128::from(per_second)) as u64))
}

fn timebase_frequency() -> io::Result<u64> {
    let mut frequency: u64 = 0;
    let mut len = size_of::<u64>();
    let name = c"hw.tbfrequency";
    // SAFETY: the output buffer is one u64 and len says so; nothing is written.
    let rc = unsafe {
        libc::sysctlbyname(name.as_ptr(), (&mut frequency as *mut u64).cast(), &mut len, std::ptr::null_mut(), 0)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    if frequency == 0 {
        return Err(io::Error::other("hw.tbfrequency is 0"));
    }
    Ok(frequency)
}

/// A plain program on macOS has no threads but the ones it starts.
pub fn thread_count(pid: u32) -> io::Result<usize> {
    Ok(task_info(pid)?.pti_threadnum.max(0) as usize)
}

/// `ri_lifetime_max_phys_footprint` of `proc_pid_rusage` (`RUSAGE_INFO_V4`,
/// macOS 10.13 and later): the most memory the process has had in use.
pub fn peak_memory(pid: u32) -> io::Result<u64> {
    let mut info = MaybeUninit::<libc::rusage_info_v4>::zeroed();
    // SAFETY: the buffer is one rusage_info_v4, the flavor asked for.
    let rc = unsafe { libc::proc_pid_rusage(pid as libc::c_int, libc::RUSAGE_INFO_V4, info.as_mut_ptr().cast()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: proc_pid_rusage succeeded and filled it.
    Ok(unsafe { info.assume_init() }.ri_lifetime_max_phys_footprint)
}

/// `PROC_PIDLISTFDS`: asked with no buffer, it tells how many bytes the
/// process's descriptor table could need (its size plus some room); asked
/// again with that room, it fills one `proc_fdinfo` per open descriptor and
/// says how many bytes it wrote.
pub fn open_descriptors(pid: u32) -> io::Result<usize> {
    let entry = size_of::<libc::proc_fdinfo>();
    // SAFETY: a null buffer of size 0 asks only for the size.
    let room = unsafe { libc::proc_pidinfo(pid as libc::c_int, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0) };
    if room <= 0 {
        return Err(io::Error::last_os_error());
    }
    let mut fds: Vec<libc::proc_fdinfo> = Vec::with_capacity(room as usize / entry + 1);
    let bytes = (fds.capacity() * entry) as libc::c_int;
    // SAFETY: the buffer has room for `bytes` bytes, and bytes says so.
    let written =
        unsafe { libc::proc_pidinfo(pid as libc::c_int, libc::PROC_PIDLISTFDS, 0, fds.as_mut_ptr().cast(), bytes) };
    if written < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(written as usize / entry)
}

/// What `netstat -L` says of the listener (read in `netstat.rs`). libproc
/// tells the same through a `socket_fdinfo`, which neither `libc` nor
/// `mach2` declares, and netstat is in every macOS.
pub fn accept_queue(listener: SocketAddr) -> io::Result<usize> {
    let output = std::process::Command::new("/usr/sbin/netstat").args(["-L", "-a", "-n", "-p", "tcp"]).output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("netstat -L failed: {}", output.status)));
    }
    super::netstat::waiting(&String::from_utf8_lossy(&output.stdout), listener).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("no socket listening at {listener} in netstat -L"))
    })
}

/// Lists this task's Mach threads and reads each one's name
/// (`THREAD_EXTENDED_INFO`, `pth_name`, which pthread_setname_np sets).
pub fn threads_named(prefix: &str) -> usize {
    use mach2::mach_port::mach_port_deallocate;
    use mach2::task::task_threads;
    use mach2::traps::mach_task_self;
    use mach2::vm::mach_vm_deallocate;

    let mut threads: mach2::mach_types::thread_act_array_t = std::ptr::null_mut();
    let mut count: mach2::message::mach_msg_type_number_t = 0;
    // SAFETY: task_threads fills a fresh array of `count` ports, which is
    // released below, each port and then the array.
    unsafe {
        let task = mach_task_self();
        if task_threads(task, &mut threads, &mut count) != libc::KERN_SUCCESS {
            return 0;
        }
        let ports = std::slice::from_raw_parts(threads, count as usize);
        let named = ports.iter().filter(|&&port| thread_name(port).is_some_and(|n| n.starts_with(prefix))).count();
        for &port in ports {
            mach_port_deallocate(task, port);
        }
        let bytes = size_of::<mach2::mach_types::thread_act_t>() * count as usize;
        mach_vm_deallocate(task, threads as u64, bytes as u64);
        named
    }
}

fn thread_name(port: libc::mach_port_t) -> Option<String> {
    let mut info = MaybeUninit::<libc::thread_extended_info>::zeroed();
    let mut count = libc::THREAD_EXTENDED_INFO_COUNT;
    // SAFETY: info has room for THREAD_EXTENDED_INFO_COUNT integers, and count
    // says so.
    let rc = unsafe { libc::thread_info(port, libc::THREAD_EXTENDED_INFO as _, info.as_mut_ptr().cast(), &mut count) };
    if rc != libc::KERN_SUCCESS {
        return None;
    }
    // SAFETY: thread_info succeeded and filled it; pth_name ends with a 0
    // byte (the kernel copies at most MAXTHREADNAMESIZE - 1 bytes).
    let info = unsafe { info.assume_init() };
    let bytes: Vec<u8> = info.pth_name.iter().map(|&c| c as u8).chain([0]).collect();
    CStr::from_bytes_until_nul(&bytes).ok().map(|name| name.to_string_lossy().into_owned())
}
