//! `bytes-inspect [TEXT…]`: shows what a text is made of, with your lesson 01
//! functions: its length in bytes and in characters, each character with its
//! code point and UTF-8 bytes, and a hex dump. The words are joined by spaces;
//! with none, all of standard input is read, so raw bytes can be piped in:
//!
//! ```text
//! just run 01 inspect ação
//! printf 'caf\xe9' | just run 01 inspect
//! ```

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use bytes_and_strings::{
    byte_len, char_count, decode, decode_lossy, encode, hexdump,
};

/// At most this many characters get a line of their own.
const LISTED: usize = 32;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: bytes-inspect [TEXT…]   (no TEXT: reads standard input)"
        );
        return ExitCode::SUCCESS;
    }
    let bytes = if args.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!("bytes-inspect: reading standard input; end it with Ctrl-D (Ctrl-Z then Enter on Windows)");
        }
        let mut input = Vec::new();
        if let Err(e) = io::stdin().read_to_end(&mut input) {
            eprintln!("bytes-inspect: reading standard input: {e}");
            return ExitCode::FAILURE;
        }
        input
    } else {
        args.iter().map(arg_bytes).collect::<Vec<_>>().join(&b' ')
    };

    let mut report = String::new();
    match decode(&bytes) {
        Ok(text) => {
            report += &format!("text: {text:?}\n");
            report += &format!(
                "{} bytes, {} characters\n",
                byte_len(&text),
                char_count(&text)
            );
            for c in text.chars().take(LISTED) {
                let hex: Vec<String> = encode(&c.to_string())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let code_point = format!("U+{:04X}", u32::from(c));
                report += &format!(
                    "  {code_point:<8}  {:<11}  {c:?}\n",
                    hex.join(" ")
                );
            }
            if char_count(&text) > LISTED {
                report += &format!(
                    "  … and {} more characters\n",
                    char_count(&text) - LISTED
                );
            }
        }
        Err(e) => {
            report += &format!("decode failed: {e}\n");
            report += &format!("lossy: {:?}\n", decode_lossy(&bytes));
            report += &format!("{} bytes\n", bytes.len());
        }
    }
    report += &hexdump(&bytes);

    let mut out = io::stdout().lock();
    let _ = out.write_all(report.as_bytes());
    let _ = out.flush();
    ExitCode::SUCCESS
}

/// The bytes of a command-line argument as the shell passed them: on Unix an
/// argument may hold any bytes, not only UTF-8.
fn arg_bytes(arg: &OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        arg.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        arg.to_string_lossy().into_owned().into_bytes()
    }
}
