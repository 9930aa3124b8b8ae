//! Helpers shared by the demonstration programs of the book's part
//! "Beyond the lessons". Each program is in `src/bin/`; the book includes
//! pieces of them between `ANCHOR` comments.

use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(target_os = "linux")]
pub mod dead_peer;
#[cfg(unix)]
pub mod unix_echo;

/// The time of day in UTC as `HH:MM:SS.s`, so that lines printed by
/// programs in different network namespaces can be lined up with the
/// moment a script cut the link (`date -u +%T.%1N`).
pub fn stamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() % 86_400;
    let tenths = now.subsec_millis() / 100;
    format!(
        "{:02}:{:02}:{:02}.{tenths}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Prints a line prefixed with [`stamp`] and flushes at once (stdout may
/// be a pipe to `tee`, and these programs are often killed).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}  {}", $crate::stamp(), format!($($arg)*));
        let _ = out.flush();
    }};
}

/// The classic `hexdump -C` layout, as lesson 01 writes it.
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (row, line) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", row * 16));
        for i in 0..16 {
            match line.get(i) {
                Some(byte) => out.push_str(&format!("{byte:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        let text: String = line
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(" |{text}|\n"));
    }
    out.push_str(&format!("{:08x}\n", bytes.len()));
    out
}

/// Reads the value after `flag` in `args` (e.g. `--timeout 3`) as seconds.
pub fn secs_arg(args: &[String], flag: &str) -> Option<u64> {
    let at = args.iter().position(|a| a == flag)?;
    let value = args.get(at + 1)?;
    match value.parse() {
        Ok(secs) => Some(secs),
        Err(_) => {
            eprintln!("{flag} wants a number of seconds, not {value:?}");
            std::process::exit(2);
        }
    }
}
