//! `datagram-server [ADDR]`: the confirmation service of lesson 07 over UDP
//! (default 127.0.0.1:5007). It prints one line per message delivered.
//! Try it with `just run 07 client`, or by hand with `nc -u`: see the book.

use std::process::ExitCode;

fn main() -> ExitCode {
    let socket = course_cli::bind_udp_from_args(
        "datagram-server",
        datagrams::DEFAULT_ADDR,
    );
    match datagrams::serve(socket, std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("datagram-server: {e}");
            ExitCode::FAILURE
        }
    }
}
