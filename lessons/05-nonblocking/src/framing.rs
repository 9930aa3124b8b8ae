//! The confirmation protocol's header, as in lesson 03: given, complete.
//!
//! A message is a 64-byte header holding the body's length in ASCII decimal
//! digits, left-aligned and padded with spaces, then the body: that many bytes
//! of UTF-8. Nothing here touches a socket, so nothing here can block. What
//! lesson 05 changes is where the bytes come from: not from a stream we wait
//! on, but from a buffer that fills a little at each event (`parse_frame` in
//! lib.rs). Book: "The confirmation server".

use std::fmt;

/// Every header is exactly this many bytes.
pub const HEADER_LEN: usize = 64;
/// The longest body a header may announce, in bytes (64 KiB).
pub const MAX_BODY: usize = 65_536;
/// The message that ends a conversation: the server confirms it, then closes.
pub const DISCONNECT: &str = "!DISCONNECT";
/// What the server sends back for every message.
pub const CONFIRMATION: &[u8] = b"Msg received\n";

/// Why a message cannot be accepted.
///
/// Lesson 03's reader also has `Io` and `Truncated`, for a socket that fails
/// or ends in the middle of a message. `parse_frame` reads no socket: a message
/// that has not all arrived is simply "not yet" (`Ok(None)`), and the socket's
/// own errors are handled where the socket is read. So they have no place here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The header is not digits followed by spaces; the text says what is wrong.
    BadHeader(String),
    /// The header announces more than [`MAX_BODY`] bytes (saturated at
    /// `usize::MAX` when the number does not even fit in a `usize`).
    TooLong(usize),
    /// The body is not valid UTF-8.
    NotUtf8,
}

/// The text a server sends after `ERROR ` on the wire: one line, no `\n` in it.
impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadHeader(why) => write!(f, "bad header: {why}"),
            FrameError::TooLong(usize::MAX) => {
                write!(f, "message too long: the header's number is over the limit of {MAX_BODY} bytes")
            }
            FrameError::TooLong(len) => {
                write!(f, "message too long: {len} bytes is over the limit of {MAX_BODY}")
            }
            FrameError::NotUtf8 => write!(f, "the message is not valid UTF-8"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Reads the body's length from a header: one or more ASCII digits, then only
/// spaces. Leading zeros are fine (`007` is 7).
///
/// Rejects, without ever trusting the number: a header that is empty or starts
/// with a space, any byte other than a digit or a space, digits after a space
/// (`1 2`), and any length over [`MAX_BODY`], however many digits it has.
pub fn parse_header(header: &[u8; HEADER_LEN]) -> Result<usize, FrameError> {
    // The digits come first, then spaces to the end.
    let digits = header.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        let why = match header[0] {
            b' ' if header.iter().all(|&b| b == b' ') => {
                "it is empty (64 spaces), where the length was expected".into()
            }
            b' ' => {
                "it starts with a space: the length must be left-aligned".into()
            }
            other => {
                format!("it must start with a digit, not {}", show_byte(other))
            }
        };
        return Err(FrameError::BadHeader(why));
    }
    if let Some(&other) = header[digits..].iter().find(|&&b| b != b' ') {
        let why = if other.is_ascii_digit() {
            "digits after a space: the length must be one number".to_string()
        } else {
            format!(
                "only digits and spaces may appear, not {}",
                show_byte(other)
            )
        };
        return Err(FrameError::BadHeader(why));
    }

    // Add up the digits, stopping as soon as the number passes the limit: 60
    // nines would overflow any integer type, and are simply "too long".
    let mut len: usize = 0;
    for &digit in &header[..digits] {
        len = len * 10 + usize::from(digit - b'0');
        if len > MAX_BODY {
            // Tell the real number when it is short enough to be read.
            let claimed = std::str::from_utf8(&header[..digits])
                .ok()
                .and_then(|s| s.parse().ok());
            return Err(FrameError::TooLong(claimed.unwrap_or(usize::MAX)));
        }
    }
    Ok(len)
}

/// A byte as a person reads it in an error line: `'x'` or `0x0a`.
fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
