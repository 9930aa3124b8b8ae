//! `dual-stack`: IPv6 on loopback, what a name resolves to, IPV6_V6ONLY,
//! and the loop that tries each address of a name in turn. See the book's
//! chapter "IPv6 and dual stack".
//!
//! ```text
//! dual-stack [NAME]     NAME defaults to localhost
//! ```

use std::io::{self, Read, Write};
use std::net::{
    Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs,
};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

// ANCHOR: connect_any
/// Tries every address `addr` resolves to, in the resolver's order, and
/// returns the first connection that works (what `TcpStream::connect`
/// does, written out so that each attempt can be seen).
fn connect_any(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
    let mut last_error = None;
    for candidate in addr.to_socket_addrs()? {
        let limit = Duration::from_secs(2);
        match TcpStream::connect_timeout(&candidate, limit) {
            Ok(stream) => {
                println!("  {candidate}: connected");
                return Ok(stream);
            }
            Err(e) => {
                println!("  {candidate}: {e}");
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no address")))
}
// ANCHOR_END: connect_any

// ANCHOR: v6only
/// A listener on `[::]:0` (every IPv6 address, any port), with the option
/// IPV6_V6ONLY set as asked. std has no way to set it before `bind`.
fn listen_any_v6(only_v6: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None)?;
    socket.set_only_v6(only_v6)?;
    let any = SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0));
    socket.bind(&any.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}
// ANCHOR_END: v6only

/// Accepts one client on a thread, sends back what it sent, and reports
/// the address the client was seen from.
fn echo_once(listener: TcpListener) -> thread::JoinHandle<io::Result<()>> {
    thread::spawn(move || {
        let (mut stream, peer) = listener.accept()?;
        println!("  server: accepted a client from {peer}");
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf)?;
        stream.write_all(&buf[..n])
    })
}

fn try_ipv4_client(port: u16) {
    let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match TcpStream::connect_timeout(&to, Duration::from_secs(2)) {
        Ok(_) => println!("  client: connected to {to}"),
        Err(e) => println!("  client: connecting to {to}: {e}"),
    }
}

fn main() -> io::Result<()> {
    let name = std::env::args().nth(1).unwrap_or("localhost".into());

    println!("1. {name}:5002 resolves to:");
    // ANCHOR: resolve
    for addr in (name.as_str(), 5002).to_socket_addrs()? {
        println!("  {addr}");
    }
    // ANCHOR_END: resolve

    println!("2. an echo over IPv6 loopback:");
    let listener = TcpListener::bind("[::1]:0")?;
    let addr = listener.local_addr()?;
    let server = echo_once(listener);
    let mut client = TcpStream::connect(addr)?;
    client.write_all(b"hello over IPv6")?;
    let mut reply = [0u8; 64];
    let n = client.read(&mut reply)?;
    let text = String::from_utf8_lossy(&reply[..n]);
    println!("  client: {} -> {addr}: {text:?}", client.local_addr()?);
    server.join().expect("the server does not panic")?;

    for only_v6 in [false, true] {
        println!("3. listening on [::] with IPV6_V6ONLY = {only_v6}:");
        let listener = listen_any_v6(only_v6)?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        try_ipv4_client(port);
        match listener.accept() {
            Ok((_, peer)) => {
                println!("  server: accepted a client from {peer}")
            }
            Err(e) => println!("  server: no IPv4 client: {e}"),
        }
    }

    println!("4. a server on 127.0.0.1 only; connecting to {name}:");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = echo_once(listener);
    let mut stream = connect_any((name.as_str(), port))?;
    stream.write_all(b"hi")?;
    let n = stream.read(&mut reply)?;
    println!("  echo: {:?}", String::from_utf8_lossy(&reply[..n]));
    server.join().expect("the server does not panic")
}
