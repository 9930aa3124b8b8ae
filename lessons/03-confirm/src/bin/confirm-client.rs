//! `confirm-client [ADDR] [--interactive]`: talks to the confirmation server.
//!
//! By default it sends a few messages (accents and emoji included), prints the
//! server's reply to each, sends `!DISCONNECT` and exits. With `--interactive`
//! it sends each line typed on standard input instead, until `quit`,
//! `!DISCONNECT` or the end of input.

use std::process::ExitCode;

use confirm::framing::DISCONNECT;
use confirm::Connection;

const PROGRAM: &str = "confirm-client";

/// What the client sends when it is not interactive.
const MESSAGES: [&str; 4] =
    ["Hello, server!", "Olá, mundo!", "Rust 🦀 speaks TCP", ""];

fn main() -> ExitCode {
    let (addr, args) = course_cli::client_args(PROGRAM, confirm::DEFAULT_ADDR);
    let interactive = match args.as_slice() {
        [] => false,
        [flag] if flag == "--interactive" || flag == "-i" => true,
        _ => course_cli::fail_usage(
            PROGRAM,
            &format!("unexpected arguments {args:?}; usage: {PROGRAM} [ADDR] [--interactive]"),
        ),
    };

    let mut connection = Connection::connect(addr).unwrap_or_else(|e| {
        course_cli::fail(PROGRAM, &format!("connecting to {addr}"), &e)
    });
    eprintln!("connected to {addr}");

    let mut talk = |message: &str| -> bool {
        match connection.send(message) {
            Ok(reply) => {
                println!("{message:?} ({} bytes) -> {reply}", message.len());
                !reply.starts_with("ERROR")
            }
            Err(e) => {
                course_cli::fail(PROGRAM, &format!("sending {message:?}"), &e)
            }
        }
    };

    let mut ok = true;
    if interactive {
        for line in course_cli::typed_lines(PROGRAM, DISCONNECT) {
            let line = line.as_str();
            if !talk(line) {
                ok = false;
                break;
            }
        }
    } else {
        for message in MESSAGES {
            if !talk(message) {
                ok = false;
                break;
            }
        }
    }

    if ok && talk(DISCONNECT) {
        eprintln!("disconnected");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
