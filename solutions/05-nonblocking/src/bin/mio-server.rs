//! `mio-server [ADDR]`: the confirmation server of lesson 05 (default
//! 127.0.0.1:5005), every client on one thread. Try it with lesson 03's client,
//! `just run 3 client 127.0.0.1:5005`, in several terminals at once with `--interactive`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let listener =
        course_cli::listen_from_args("mio-server", confirm_mio::DEFAULT_ADDR);
    match confirm_mio::serve(listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mio-server: {e}");
            ExitCode::FAILURE
        }
    }
}
