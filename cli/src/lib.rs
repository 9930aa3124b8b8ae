//! What every server and client binary of the course does the same way: read the
//! address from the command line, bind, announce the port, and fail with a clear
//! message and the exit codes the course promises (DESIGN.md, "Wire contracts"):
//!
//! - `listening on <IP>:<PORT>` is the server's first line on stdout, flushed;
//! - a bad address exits 2, an address already in use exits 1, each with one line
//!   on stderr.
//!
//! None of this is the point of a lesson, so it is given, and shared by all of them.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs, UdpSocket};
use std::process::exit;

/// Exit code for a command line the program cannot use (a bad address).
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a failure to start (the address is in use, permission denied).
pub const EXIT_FAILURE: i32 = 1;

/// Binds the server's listening socket from `[ADDR]`, the first command-line
/// argument, or `default_addr` when there is none, then prints `listening on …`.
///
/// Exits the process (2 for a bad address, 1 when binding fails) instead of
/// returning an error: a server that cannot listen has nothing else to do.
pub fn listen_from_args(program: &str, default_addr: &str) -> TcpListener {
    let listener = bind_from_args(program, default_addr, TcpListener::bind);
    announce(&listener);
    listener
}

/// [`listen_from_args`] for a UDP server (lesson 07): binds a datagram socket
/// from `[ADDR]`, prints `listening on …`, and exits 2 or 1 the same way.
pub fn bind_udp_from_args(program: &str, default_addr: &str) -> UdpSocket {
    let socket = bind_from_args(program, default_addr, UdpSocket::bind);
    let bound = socket.local_addr().expect("a bound socket has an address");
    say_listening(bound);
    socket
}

/// Reads `[ADDR]` (or takes `default_addr`) and binds it with `bind`, TCP or
/// UDP alike; `--help`, a bad address and a failed bind end the process.
fn bind_from_args<S>(program: &str, default_addr: &str, bind: impl FnOnce(SocketAddr) -> io::Result<S>) -> S {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: {program} [ADDR]   (default {default_addr}; port 0 picks a free port)");
        exit(0);
    }
    if args.len() > 1 {
        fail_usage(program, &format!("expected at most one argument, got {}", args.len()));
    }
    let wanted = args.first().map(String::as_str).unwrap_or(default_addr);
    let addr = parse_addr(wanted).unwrap_or_else(|why| fail_usage(program, &why));
    bind(addr).unwrap_or_else(|e| {
        let advice = match e.kind() {
            io::ErrorKind::AddrInUse => {
                " (is another server still running? stop it, or pick another port, \
                 e.g. 127.0.0.1:0 for any free one)"
            }
            io::ErrorKind::PermissionDenied => " (ports below 1024 need privileges: use a higher one)",
            _ => "",
        };
        eprintln!("{program}: cannot listen on {addr}: {e}{advice}");
        exit(EXIT_FAILURE);
    })
}

/// Prints the `listening on <IP>:<PORT>` line that tests and people wait for.
/// Flushed at once: stdout is block-buffered when it is a pipe, and a test
/// reading the line would otherwise wait for a line that sits in our buffer.
pub fn announce(listener: &TcpListener) {
    say_listening(listener.local_addr().expect("a bound listener has an address"));
}

fn say_listening(addr: SocketAddr) {
    let mut out = io::stdout().lock();
    // A closed stdout must not stop the server: the line is a courtesy.
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
}

/// Parses a server address: `127.0.0.1:5002`, `[::1]:5002` or `localhost:5002`.
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bad = || format!("`{text}` is not an address like 127.0.0.1:5002");
    if !text.contains(':') {
        return Err(bad());
    }
    text.to_socket_addrs().map_err(|_| bad())?.next().ok_or_else(bad)
}

/// The arguments of a client binary: `[ADDR] [REST…]`. The first argument is
/// taken as the address only when it looks like one (`host:port`), so
/// `echo-client hello` and `echo-client 127.0.0.1:5002 hello` both work.
pub fn client_args(program: &str, default_addr: &str) -> (SocketAddr, Vec<String>) {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: {program} [ADDR] [ARGS…]   (default ADDR {default_addr})");
        exit(0);
    }
    let wanted =
        if args.first().is_some_and(|a| looks_like_addr(a)) { args.remove(0) } else { default_addr.to_string() };
    let addr = parse_addr(&wanted).unwrap_or_else(|why| fail_usage(program, &why));
    (addr, args)
}

fn looks_like_addr(arg: &str) -> bool {
    arg.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

/// Prints `program: why` on stderr and exits with the usage code, 2.
pub fn fail_usage(program: &str, why: &str) -> ! {
    eprintln!("{program}: {why}");
    exit(EXIT_USAGE);
}

/// Prints `program: what: error` on stderr and exits 1, for clients that cannot
/// reach their server.
pub fn fail(program: &str, what: &str, error: &dyn std::fmt::Display) -> ! {
    eprintln!("{program}: {what}: {error}");
    exit(EXIT_FAILURE);
}

/// The lines a person types for an interactive client, without their line
/// ending (`\n` or `\r\n`): says how to leave, shows a `> ` prompt when
/// standard input is a terminal, and ends at end of input or at the word
/// `quit` (or at `stop_at`, the protocol's own goodbye, which the client then
/// sends itself).
pub fn typed_lines<'a>(program: &'a str, stop_at: &'a str) -> impl Iterator<Item = String> + 'a {
    let stdin = io::stdin();
    let prompt = stdin.is_terminal();
    eprintln!("type a message and press Enter; `quit` to leave");
    std::iter::from_fn(move || {
        if prompt {
            eprint!("> ");
            let _ = io::stderr().flush();
        }
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => fail(program, "reading standard input", &e),
        }
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (line != "quit" && line != stop_at).then(|| line.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numeric_and_named_addresses() {
        assert_eq!(parse_addr("127.0.0.1:0").unwrap().port(), 0);
        assert!(parse_addr("[::1]:5002").unwrap().is_ipv6());
        assert_eq!(parse_addr("localhost:5002").unwrap().port(), 5002);
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in ["", "nonsense", "127.0.0.1", "127.0.0.1:99999", ":80"] {
            assert!(parse_addr(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn tells_an_address_from_a_message() {
        assert!(looks_like_addr("127.0.0.1:5002"));
        assert!(looks_like_addr("localhost:1"));
        assert!(!looks_like_addr("hello"));
        assert!(!looks_like_addr("time: 10:30 am"));
    }
}
