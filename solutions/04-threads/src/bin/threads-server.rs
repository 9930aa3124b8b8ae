//! `threads-server [ADDR]`: the confirmation server of lesson 04, a thread per
//! client (default 127.0.0.1:5004). Try it with lesson 03's client,
//! `just run 03 client 127.0.0.1:5004`, from several terminals at once.

use std::process::ExitCode;

fn main() -> ExitCode {
    let listener =
        course_cli::listen_from_args("threads-server", threads::DEFAULT_ADDR);
    match threads::serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threads-server: {e}");
            ExitCode::FAILURE
        }
    }
}
