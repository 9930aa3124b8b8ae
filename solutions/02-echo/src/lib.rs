//! Lesson 02: the echo server.
//!
//! An echo server sends back every byte it receives, unchanged, until the
//! client says it has finished sending (it shuts down its writing side); then
//! the server closes the connection and waits for the next client.
//!
//! Book: "The echo server".

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

/// Where `echo-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5002";

// ANCHOR: serve
/// Serves clients one after another, forever: accept a connection, echo it
/// until the client has finished, then accept the next.
///
/// A problem with one client (it vanished, it reset the connection) is that
/// client's problem: log it and go on serving the others.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // A connection that died while it waited in the queue: not ours to fix.
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        println!("{peer} connected");
        match echo_connection(stream) {
            Ok(bytes) => println!("{peer} done: echoed {bytes} bytes"),
            Err(e) => println!("{peer} gone: {e}"),
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: echo_connection
/// Echoes everything read from `stream` back to it, until end of stream.
/// Returns how many bytes were echoed.
pub fn echo_connection(mut stream: TcpStream) -> io::Result<u64> {
    let mut buf = [0u8; 8192];
    let mut total = 0u64;
    loop {
        // `read` returns as soon as *some* bytes are there: 1 or 8192, whatever
        // has arrived. 0 means the client shut down its writing side (EOF).
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        // `write` may take only part of the buffer; `write_all` loops until
        // all of it has been handed to the kernel.
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
    // Everything has been echoed: say so (our own end of stream), then let the
    // drop close the socket.
    stream.shutdown(Shutdown::Write)?;
    Ok(total)
}
// ANCHOR_END: echo_connection

// ANCHOR: echo_once
/// The client: connects to `addr`, sends `data`, says it has finished sending,
/// and returns everything the server sent back.
///
/// It writes everything before it reads, which is fine for messages that fit
/// in the sockets' buffers (hundreds of KiB on loopback). For more, a client
/// must read while it writes, or both sides wait on each other: see the book.
pub fn echo_once(addr: SocketAddr, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(data)?;
    // Half-close: the server's next read returns 0, and it knows we are done.
    // Without it, the server would wait for more bytes forever, and so would we.
    stream.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::with_capacity(data.len());
    stream.read_to_end(&mut echoed)?;
    Ok(echoed)
}
// ANCHOR_END: echo_once
