//! `confirm-server [ADDR]`: the confirmation server of lesson 03 (default
//! 127.0.0.1:5003). It serves one client at a time and logs what each says.
//! Try it with `just run 03 client`, or by hand: see the book.

use std::process::ExitCode;

fn main() -> ExitCode {
    let listener =
        course_cli::listen_from_args("confirm-server", confirm::DEFAULT_ADDR);
    match confirm::serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confirm-server: {e}");
            ExitCode::FAILURE
        }
    }
}
