//! Framing: cutting a stream of bytes into messages, and back.
//!
//! TCP carries a stream of bytes with no boundaries in it. This protocol puts
//! a boundary back with a fixed-width header in front of every message:
//!
//! ```text
//! +----------------------------------------------+------------------------+
//! | 64 bytes: the body's length in ASCII decimal | the body: that many    |
//! | digits, left-aligned, padded with spaces     | bytes of UTF-8         |
//! +----------------------------------------------+------------------------+
//! ```
//!
//! This module knows nothing about sockets: it reads from any `Read` and
//! writes to any `Write`, so lessons 04 and 05 use it as it is, and it can be
//! tested with a byte slice. Book: "The confirmation server".

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};

/// Every header is exactly this many bytes.
pub const HEADER_LEN: usize = 64;
/// The longest body a header may announce, in bytes (64 KiB).
pub const MAX_BODY: usize = 65_536;
/// The message that ends a conversation: the server confirms it, then closes.
pub const DISCONNECT: &str = "!DISCONNECT";
/// What the server sends back for every message.
pub const CONFIRMATION: &[u8] = b"Msg received\n";

/// Why a message could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The socket failed (the connection was reset, say).
    Io(io::Error),
    /// The header is not digits followed by spaces; the text says what is wrong.
    BadHeader(String),
    /// The header announces more than [`MAX_BODY`] bytes (saturated at
    /// `usize::MAX` when the number does not even fit in a `usize`).
    TooLong(usize),
    /// The body is not valid UTF-8.
    NotUtf8,
    /// The stream ended in the middle of a header or a body.
    Truncated,
}

/// The text a server sends after `ERROR ` on the wire: one line, no `\n` in it.
impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "connection failed: {e}"),
            FrameError::BadHeader(why) => write!(f, "bad header: {why}"),
            FrameError::TooLong(usize::MAX) => {
                write!(f, "message too long: the header's number is over the limit of {MAX_BODY} bytes")
            }
            FrameError::TooLong(len) => {
                write!(f, "message too long: {len} bytes is over the limit of {MAX_BODY}")
            }
            FrameError::NotUtf8 => write!(f, "the message is not valid UTF-8"),
            FrameError::Truncated => {
                write!(f, "the stream ended in the middle of a message")
            }
        }
    }
}

impl std::error::Error for FrameError {}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        FrameError::Io(e)
    }
}

// ANCHOR: parse_header
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
// ANCHOR_END: parse_header

/// A byte as a person reads it in an error line: `'x'` or `0x0a`.
fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// The header for a body of `len` bytes: the digits, then spaces up to 64 bytes.
///
/// # Panics
///
/// When `len` is over [`MAX_BODY`]: such a header must never be sent, and
/// [`write_message`] refuses long bodies with an error before it gets here.
pub fn encode_header(len: usize) -> [u8; HEADER_LEN] {
    assert!(
        len <= MAX_BODY,
        "a body of {len} bytes is over the limit of {MAX_BODY}"
    );
    let mut header = [b' '; HEADER_LEN];
    let digits = len.to_string();
    header[..digits.len()].copy_from_slice(digits.as_bytes());
    header
}

// ANCHOR: read_message
/// Reads one whole message: the 64-byte header, then exactly the body it
/// announces, however the bytes are split or merged on the way.
///
/// - `Ok(Some(text))`: a message.
/// - `Ok(None)`: the stream ended cleanly, before the first byte of a header.
/// - `Err(Truncated)`: it ended in the middle of a header or a body.
/// - `Err(BadHeader | TooLong | NotUtf8)`: the peer broke the protocol.
pub fn read_message(
    reader: &mut impl Read,
) -> Result<Option<String>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
    // Not `read_exact` at once: an end of stream before the first byte is a
    // clean goodbye, and after it is a truncated message. So fill by hand.
    let mut filled = 0;
    while filled < HEADER_LEN {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }

    // Only now, with the length checked against MAX_BODY, allocate the body.
    let len = parse_header(&header)?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => FrameError::Truncated,
        _ => FrameError::Io(e),
    })?;
    String::from_utf8(body).map(Some).map_err(|_| FrameError::NotUtf8)
}
// ANCHOR_END: read_message

// ANCHOR: write_message
/// Writes one message: its header, then its body.
///
/// Header and body go out in a single `write_all`: two small writes in a row
/// can wait on each other in the kernel (Nagle's algorithm), and the reader
/// wants both anyway. A body over [`MAX_BODY`] is refused with `InvalidInput`.
pub fn write_message(writer: &mut impl Write, body: &str) -> io::Result<()> {
    if body.len() > MAX_BODY {
        let why = format!(
            "a message of {} bytes is over the limit of {MAX_BODY}",
            body.len()
        );
        return Err(io::Error::new(ErrorKind::InvalidInput, why));
    }
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(&encode_header(body.len()));
    frame.extend_from_slice(body.as_bytes());
    writer.write_all(&frame)?;
    writer.flush()
}
// ANCHOR_END: write_message
