//! Lesson 02: the echo server.
//!
//! An echo server sends back every byte it receives, unchanged, until the
//! client says it has finished sending (it shuts down its writing side); then
//! the server closes the connection and waits for the next client.
//!
//! Your turn: replace each `todo!()` below, then run `just check 02`.
//! Book: "The echo server".

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
// You will also need `std::io::{Read, Write}` and `std::net::Shutdown`.

/// Where `echo-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5002";

/// Serves clients one after another, forever: accept a connection, echo it
/// until the client has finished (with [`echo_connection`]), then accept the next.
///
/// - `listener.accept()` waits for the next client and gives you its stream
///   and address. Print a line when a client connects and when it is done, so
///   you can watch the server work.
/// - A problem with one client (it vanished, it reset the connection) is that
///   client's problem: print it and go on serving the others. Do not end the
///   server with `?` on a client's error.
/// - This function only returns if something is wrong with the listener itself.
///
/// Book: The echo server › Accepting clients.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let _ = &listener; // remove this line and the todo!() below when you write the loop
    todo!("accept clients one after another and echo each with echo_connection")
}

/// Echoes everything read from `stream` back to it, until end of stream.
/// Returns how many bytes were echoed.
///
/// - `stream.read(&mut buf)` returns as soon as *some* bytes have arrived, and
///   how many: 1, or 8192, whatever is there. It returns `Ok(0)` when the
///   client has shut down its writing side: the end of the stream.
/// - Send back exactly the bytes read (`&buf[..n]`), at once, before reading
///   again: the client may be waiting for its echo before it sends more.
/// - `write` may take only part of a buffer; `write_all` takes it all.
/// - At the end, close the connection: `stream.shutdown(Shutdown::Write)` says
///   "nothing more from me", and dropping the stream closes it.
///
/// Book: The echo server › Read, then write it all.
pub fn echo_connection(stream: TcpStream) -> io::Result<u64> {
    let _ = &stream; // remove this line and the todo!() below when you write the loop
    todo!(
        "read from the stream and write every byte back, until read returns 0"
    )
}

/// The client: connects to `addr`, sends `data`, says it has finished sending,
/// and returns everything the server sent back.
///
/// 1. `TcpStream::connect(addr)`;
/// 2. `write_all(data)`;
/// 3. `shutdown(Shutdown::Write)`: the half-close. Without it the server waits
///    for more bytes forever, and you wait for its close forever;
/// 4. `read_to_end` into a `Vec<u8>` collects the echo until the server closes.
///
/// Book: The echo server › The client.
pub fn echo_once(addr: SocketAddr, data: &[u8]) -> io::Result<Vec<u8>> {
    todo!("connect to {addr}, send {} bytes, shut down writing, read everything back", data.len())
}
