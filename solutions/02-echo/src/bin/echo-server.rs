//! `echo-server [ADDR]`: the echo server of lesson 02 (default 127.0.0.1:5002).
//! Try it with `just run 02 client hello` or `nc -N 127.0.0.1 5002`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let listener =
        course_cli::listen_from_args("echo-server", echo::DEFAULT_ADDR);
    match echo::serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-server: {e}");
            ExitCode::FAILURE
        }
    }
}
