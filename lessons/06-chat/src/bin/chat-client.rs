//! `chat-client [ADDR]`: joins the chat room at ADDR (default 127.0.0.1:5006).
//! Type a line and press Enter to send it; `/who` lists the room, `/quit` (or
//! Ctrl-D, the end of input) leaves. What the server sends is printed on stdout;
//! what the client itself has to say goes to stderr.

use std::io::{self, BufReader};

fn main() {
    let (addr, rest) =
        course_cli::client_args("chat-client", chat::DEFAULT_ADDR);
    if let Some(extra) = rest.first() {
        let why = format!("`{extra}` is not an address like {}; the only argument is the address", chat::DEFAULT_ADDR);
        course_cli::fail_usage("chat-client", &why);
    }
    eprintln!(
        "connecting to {addr}; type /who to see who is here, /quit to leave"
    );
    match chat::run_client(addr, BufReader::new(io::stdin()), io::stdout()) {
        Ok(()) => eprintln!("disconnected"),
        Err(e) => {
            course_cli::fail("chat-client", &format!("talking to {addr}"), &e)
        }
    }
}
