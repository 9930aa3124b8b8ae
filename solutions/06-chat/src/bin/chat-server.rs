//! `chat-server [ADDR]`: the chat room of lesson 06 (default 127.0.0.1:5006).
//! Try it with `just run 06 client` in two terminals, or `nc 127.0.0.1 5006`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let listener =
        course_cli::listen_from_args("chat-server", chat::DEFAULT_ADDR);
    match chat::serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
