//! Windows: CPU times from `GetThreadTimes` and `GetProcessTimes`, threads
//! from a Toolhelp snapshot, names from `GetThreadDescription` (which Rust's
//! `thread::Builder::name` sets), memory from `GetProcessMemoryInfo`. The
//! declarations come from the `windows-sys` crate.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::time::Duration;

use windows_sys::Wdk::System::Threading::{NtQueryInformationThread, ThreadQuerySetWin32StartAddress};
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, FILETIME, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::ProcessStatus::{
    K32GetModuleInformation, K32GetProcessMemoryInfo, MODULEINFO, PROCESS_MEMORY_COUNTERS,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessId, GetCurrentThreadId, GetProcessHandleCount, GetProcessTimes,
    GetThreadDescription, GetThreadTimes, OpenProcess, OpenThread, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_VM_READ,
    THREAD_QUERY_INFORMATION, THREAD_QUERY_LIMITED_INFORMATION,
};

/// A handle that is closed when dropped.
struct Owned(HANDLE);

// SAFETY: a kernel handle may be used and closed from any thread.
unsafe impl Send for Owned {}
// SAFETY: the calls made with it (queries) are safe to make concurrently.
unsafe impl Sync for Owned {}

impl Owned {
    /// `None` for the null handle that Open* functions return on failure.
    fn new(handle: HANDLE) -> Option<Owned> {
        (!handle.is_null() && handle != INVALID_HANDLE_VALUE).then_some(Owned(handle))
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: the handle is open and owned by this value alone.
        unsafe { CloseHandle(self.0) };
    }
}

/// A FILETIME span counts 100 ns units.
fn span(time: FILETIME) -> Duration {
    let units = (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
    Duration::from_nanos(units * 100)
}

/// A thread of this process, by a handle of its own: it stays valid (and its
/// times readable) even after the thread has ended.
pub struct Thread(Option<Owned>);

impl Thread {
    pub fn current() -> Thread {
        // SAFETY: plain calls; the returned handle is owned and closed on drop.
        Thread(Owned::new(unsafe { OpenThread(THREAD_QUERY_LIMITED_INFORMATION, 0, GetCurrentThreadId()) }))
    }

    pub fn cpu_time(&self) -> Option<Duration> {
        let handle = self.0.as_ref()?;
        // SAFETY: four FILETIMEs to fill, and an open handle.
        unsafe {
            let (mut created, mut exited, mut kernel, mut user) = (zeroed(), zeroed(), zeroed(), zeroed());
            if GetThreadTimes(handle.0, &mut created, &mut exited, &mut kernel, &mut user) == 0 {
                return None;
            }
            Some(span(kernel) + span(user))
        }
    }
}

fn open_process(pid: u32, access: u32) -> io::Result<Owned> {
    // SAFETY: a plain call; the returned handle is owned and closed on drop.
    Owned::new(unsafe { OpenProcess(access, 0, pid) }).ok_or_else(io::Error::last_os_error)
}

/// CPU time only (kernel + user): Windows does not tell how long a thread
/// waited for a CPU.
pub fn busy_time(pid: u32) -> io::Result<Duration> {
    let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
    // SAFETY: four FILETIMEs to fill, and an open handle.
    unsafe {
        let (mut created, mut exited, mut kernel, mut user) = (zeroed(), zeroed(), zeroed(), zeroed());
        if GetProcessTimes(process.0, &mut created, &mut exited, &mut kernel, &mut user) == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(span(kernel) + span(user))
    }
}

/// The ids of every thread of process `pid`, from a Toolhelp snapshot (it
/// lists the threads of every process; each entry names its owner).
fn thread_ids(pid: u32) -> io::Result<Vec<u32>> {
    // SAFETY: the snapshot handle is owned and closed on drop; each entry is
    // a THREADENTRY32 with its size set, as Thread32First/Next require.
    unsafe {
        let snapshot =
            Owned::new(CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0)).ok_or_else(io::Error::last_os_error)?;
        let mut entry: THREADENTRY32 = zeroed();
        entry.dwSize = size_of::<THREADENTRY32>() as u32;
        let mut ids = Vec::new();
        let mut more = Thread32First(snapshot.0, &mut entry) != 0;
        while more {
            if entry.th32OwnerProcessID == pid {
                ids.push(entry.th32ThreadID);
            }
            more = Thread32Next(snapshot.0, &mut entry) != 0;
        }
        Ok(ids)
    }
}

/// Every Windows 10 and 11 process starts with a few thread-pool threads of
/// ntdll's loader, which end after some idle seconds: a one-thread server
/// shows 4 threads at first. They all start inside ntdll.dll, and threads a
/// program starts never do (the main thread starts at the program's entry
/// point, `std::thread::spawn`'s inside the program too), so threads are
/// counted by where they start. ntdll.dll sits at the same address in every
/// process of a boot, so this process's copy tells its range.
pub fn thread_count(pid: u32) -> io::Result<usize> {
    let ntdll = ntdll_range();
    let mut count = 0;
    for id in thread_ids(pid)? {
        // SAFETY: the handle is owned and closed on drop; the start address
        // is one pointer-sized value, as ThreadQuerySetWin32StartAddress gives.
        let start = unsafe {
            let Some(thread) = Owned::new(OpenThread(THREAD_QUERY_INFORMATION, 0, id)) else { continue };
            let mut start: usize = 0;
            let status = NtQueryInformationThread(
                thread.0,
                ThreadQuerySetWin32StartAddress,
                (&mut start as *mut usize).cast(),
                size_of::<usize>() as u32,
                std::ptr::null_mut(),
            );
            (status >= 0).then_some(start)
        };
        // A thread whose start cannot be read is counted: better a correct
        // server told so than a wrong one passed.
        if !start.is_some_and(|at| ntdll.contains(&at)) {
            count += 1;
        }
    }
    Ok(count)
}

fn ntdll_range() -> std::ops::Range<usize> {
    let name: Vec<u16> = "ntdll.dll".encode_utf16().chain([0]).collect();
    // SAFETY: name is a NUL-terminated UTF-16 string; the module handle of a
    // loaded module needs no release; info is one MODULEINFO, as cb says.
    unsafe {
        let module = GetModuleHandleW(name.as_ptr());
        let mut info: MODULEINFO = zeroed();
        if module.is_null()
            || K32GetModuleInformation(GetCurrentProcess(), module, &mut info, size_of::<MODULEINFO>() as u32) == 0
        {
            return 0..0;
        }
        let base = info.lpBaseOfDll as usize;
        base..base + info.SizeOfImage as usize
    }
}

pub fn peak_memory(pid: u32) -> io::Result<u64> {
    let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ)?;
    // SAFETY: counters is one PROCESS_MEMORY_COUNTERS, as cb says.
    unsafe {
        let mut counters: PROCESS_MEMORY_COUNTERS = zeroed();
        let size = size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
        counters.cb = size;
        if K32GetProcessMemoryInfo(process.0, &mut counters, size) == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(counters.PeakWorkingSetSize as u64)
    }
}

/// Every kernel handle of the process: sockets, but also files, events,
/// threads and keys it opened.
pub fn open_descriptors(pid: u32) -> io::Result<usize> {
    let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
    let mut count: u32 = 0;
    // SAFETY: an open handle and one u32 to fill.
    if unsafe { GetProcessHandleCount(process.0, &mut count) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(count as usize)
}

/// Winsock tells whether a socket listens (`SO_ACCEPTCONN`), never how many
/// connections wait for it; the TCP table (`GetTcpTable2`) lists those as
/// established connections, like the ones already accepted.
pub fn accept_queue(_listener: SocketAddr) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "the listener's backlog (Windows does not tell how many connections wait to be accepted)",
    ))
}

pub fn threads_named(prefix: &str) -> usize {
    // SAFETY: a plain call.
    let me = unsafe { GetCurrentProcessId() };
    let Ok(ids) = thread_ids(me) else { return 0 };
    ids.into_iter().filter_map(thread_name).filter(|name| name.starts_with(prefix)).count()
}

fn thread_name(id: u32) -> Option<String> {
    // SAFETY: the handle is owned and closed on drop; GetThreadDescription
    // hands over a NUL-terminated UTF-16 string that LocalFree releases.
    unsafe {
        let thread = Owned::new(OpenThread(THREAD_QUERY_LIMITED_INFORMATION, 0, id))?;
        let mut text: *mut u16 = std::ptr::null_mut();
        if GetThreadDescription(thread.0, &mut text) < 0 || text.is_null() {
            return None;
        }
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        let name = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text.cast());
        Some(name)
    }
}
