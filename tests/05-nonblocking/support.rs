//! What lesson 05's checks need beyond the harness: the open-files limit,
//! small socket buffers, and a look at a server process from outside (its CPU
//! time, its threads and its open files), through the harness's `measure` module, which asks
//! Linux, macOS and Windows each in its own way.

use std::net::TcpStream;
use std::time::Duration;

use harness::socket2::SockRef;
use harness::{measure, Failure, ServerProcess};

/// Makes sure this process may open `wanted` files (sockets are files): raises
/// the soft limit if needed, or fails saying how to raise it.
pub fn allow_open_files(wanted: u64) {
    measure::allow_open_files(wanted);
}

/// Which kernel buffer of a socket to shrink.
#[derive(Clone, Copy)]
pub enum Buffer {
    Send,
    Receive,
}

/// Shrinks one of a socket's kernel buffers (`SO_SNDBUF`, `SO_RCVBUF`) to
/// about `bytes`. A listening socket passes its sizes on to the connections it
/// accepts, and on Linux a size set by hand turns off the kernel's automatic
/// growth: so little data can hide in the kernel, and what a server buffers in
/// its own memory shows in what it has read.
pub fn shrink<'s>(socket: impl Into<SockRef<'s>>, buffer: Buffer, bytes: usize) {
    let socket = socket.into();
    let done = match buffer {
        Buffer::Send => socket.set_send_buffer_size(bytes),
        Buffer::Receive => socket.set_recv_buffer_size(bytes),
    };
    if let Err(e) = done {
        Failure::new("could not shrink a socket's buffer (setsockopt)").field("error", e).fail();
    }
}

/// How long the threads of process `pid` have been busy so far (see
/// `harness::measure::busy_time`: on Linux running or waiting for a CPU, on
/// macOS and Windows running). A thread asleep in `poll` is neither.
pub fn busy_time(pid: u32) -> Duration {
    measure::busy_time(pid).unwrap_or_else(|e| {
        Failure::new("could not read the server's CPU time").field("process", pid).field("error", e).fail()
    })
}

/// How many threads the process `pid` has started.
pub fn thread_count(pid: u32) -> usize {
    measure::thread_count(pid).unwrap_or_else(|e| {
        Failure::new("could not count the server's threads").field("process", pid).field("error", e).fail()
    })
}

/// Fails with a useful message when the server process has already ended (a
/// `todo!()` or a panic in `serve` ends the binary at once), instead of a bare
/// "connection refused" later.
pub fn expect_alive(server: &ServerProcess, program: &str) {
    if let Some(how) = server.exited() {
        Failure::new(format!("`{program}` exited right after printing `listening on`"))
            .field("it ended", how)
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

/// How many files (sockets included) the process `pid` has open (see
/// `harness::measure::open_descriptors`: on Windows, all its handles).
pub fn open_files(pid: u32) -> usize {
    measure::open_descriptors(pid).unwrap_or_else(|e| {
        Failure::new("could not count the server's open files").field("process", pid).field("error", e).fail()
    })
}
