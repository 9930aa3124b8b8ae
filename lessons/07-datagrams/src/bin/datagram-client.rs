//! `datagram-client [ADDR] [--interactive]`: talks to the datagram server.
//!
//! By default it sends the messages of lesson 03, one datagram each, numbered
//! 1, 2, 3, …, prints the acknowledgement of each and how many sends it took,
//! sends `!DISCONNECT` and exits. With `--interactive` it sends each line
//! typed on standard input instead, until `quit`, `!DISCONNECT` or the end of
//! input. It exits 1 when the server never answers.

use std::process::ExitCode;

use datagrams::request::DISCONNECT;
use datagrams::Sender;

const PROGRAM: &str = "datagram-client";

/// What the client sends when it is not interactive.
const MESSAGES: [&str; 4] =
    ["Hello, server!", "Olá, mundo!", "Rust 🦀 speaks UDP", ""];

fn main() -> ExitCode {
    let (addr, args) =
        course_cli::client_args(PROGRAM, datagrams::DEFAULT_ADDR);
    let interactive = match args.as_slice() {
        [] => false,
        [flag] if flag == "--interactive" || flag == "-i" => true,
        _ => course_cli::fail_usage(
            PROGRAM,
            &format!("unexpected arguments {args:?}; usage: {PROGRAM} [ADDR] [--interactive]"),
        ),
    };

    let mut sender = Sender::connect(addr).unwrap_or_else(|e| {
        course_cli::fail(PROGRAM, &format!("opening a socket for {addr}"), &e)
    });
    eprintln!("sending to {addr} over UDP");

    let mut talk = |message: &str| {
        let seq = sender.next_seq();
        match sender.send(message) {
            Ok(sends) => {
                let times = if sends == 1 {
                    "1 send".to_string()
                } else {
                    format!("{sends} sends")
                };
                println!(
                    "{message:?} ({} bytes) -> ACK {seq} ({times})",
                    message.len()
                );
            }
            Err(e) => course_cli::fail(
                PROGRAM,
                &format!("sending {message:?} as message {seq}"),
                &e,
            ),
        }
    };

    if interactive {
        for line in course_cli::typed_lines(PROGRAM, DISCONNECT) {
            let line = line.as_str();
            talk(line);
        }
    } else {
        for message in MESSAGES {
            talk(message);
        }
    }
    talk(DISCONNECT);
    eprintln!("disconnected");
    ExitCode::SUCCESS
}
