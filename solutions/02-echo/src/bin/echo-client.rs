//! `echo-client [ADDR] [MESSAGE…]`: sends MESSAGE (the words joined by spaces,
//! or all of standard input when there are none) to the echo server and prints
//! what comes back on stdout. What happens is told on stderr.

use std::io::{self, Read, Write};

fn main() {
    let (addr, words) =
        course_cli::client_args("echo-client", echo::DEFAULT_ADDR);
    let data = if words.is_empty() {
        let mut input = Vec::new();
        io::stdin().read_to_end(&mut input).unwrap_or_else(|e| {
            course_cli::fail("echo-client", "reading standard input", &e)
        });
        input
    } else {
        format!("{}\n", words.join(" ")).into_bytes()
    };

    eprintln!("sending {} bytes to {addr}", data.len());
    let echoed = echo::echo_once(addr, &data).unwrap_or_else(|e| {
        course_cli::fail("echo-client", &format!("talking to {addr}"), &e)
    });
    let verdict =
        if echoed == data { "the same bytes" } else { "DIFFERENT bytes" };
    eprintln!("received {} bytes back: {verdict}", echoed.len());

    let mut out = io::stdout().lock();
    let _ = out.write_all(&echoed);
    let _ = out.flush();
}
