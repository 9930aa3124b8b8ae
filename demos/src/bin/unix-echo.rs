//! `unix-echo`: lesson 02's echo over a Unix domain socket instead of TCP,
//! then the same bytes through both, timed. See the book's chapter
//! "Unix domain sockets".
//!
//! ```text
//! unix-echo [MIB]      MIB for the timing, 256 by default
//! ```

#[cfg(unix)]
fn main() -> std::io::Result<()> {
    course_demos::unix_echo::main()
}

#[cfg(not(unix))]
fn main() {
    eprintln!("std::os::unix::net exists on Unix only (Linux, macOS, BSDs)");
    std::process::exit(2);
}
