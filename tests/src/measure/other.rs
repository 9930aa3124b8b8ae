//! Any other system: the checks know no way to measure there, and say so.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::not_measured;

pub struct Thread;

impl Thread {
    pub fn current() -> Thread {
        Thread
    }

    pub fn cpu_time(&self) -> Option<Duration> {
        not_measured("a thread's CPU time (the checks know how to read it on Linux, macOS and Windows only)")
    }
}

pub fn busy_time(_pid: u32) -> io::Result<Duration> {
    not_measured("the server's CPU time (the checks know how to read it on Linux, macOS and Windows only)")
}

pub fn thread_count(_pid: u32) -> io::Result<usize> {
    not_measured("the server's threads (the checks know how to count them on Linux, macOS and Windows only)")
}

pub fn peak_memory(_pid: u32) -> io::Result<u64> {
    not_measured("the server's memory (the checks know how to read it on Linux, macOS and Windows only)")
}

pub fn threads_named(_prefix: &str) -> usize {
    not_measured("threads by name (the checks know how to list them on Linux, macOS and Windows only)")
}

pub fn open_descriptors(_pid: u32) -> io::Result<usize> {
    not_measured("the server's open files (the checks know how to count them on Linux, macOS and Windows only)")
}

pub fn accept_queue(_listener: SocketAddr) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "the listener's backlog (the checks know how to read it on Linux and macOS only)",
    ))
}
