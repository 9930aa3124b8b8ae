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
use std::io::{self, Read, Write};
// You will also need `std::io::ErrorKind`.

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

/// Reads the body's length from a header: one or more ASCII digits, then only
/// spaces. Leading zeros are fine (`007` is 7).
///
/// Return `Err(FrameError::BadHeader(why))`, `why` a short text that says what
/// is wrong, for: a header that is empty (all spaces) or starts with a space;
/// any byte other than a digit or a space; digits after a space (`1 2`).
/// Return `Err(FrameError::TooLong(len))` for a length over [`MAX_BODY`].
///
/// - Never trust the number: sixty nines do not fit in any integer type, so
///   stop adding digits as soon as the value passes `MAX_BODY`
///   (`"9".repeat(60).parse::<usize>()` fails with an overflow; that is a
///   `TooLong`, not a crash). Saturate at `usize::MAX` when the number is too
///   big to say.
/// - `b.is_ascii_digit()` tests a byte; `usize::from(b - b'0')` is its value.
///
/// Book: The confirmation server › A fixed-width header.
pub fn parse_header(header: &[u8; HEADER_LEN]) -> Result<usize, FrameError> {
    todo!(
        "read the length from the header {:?}",
        String::from_utf8_lossy(header)
    )
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

/// Reads one whole message: the 64-byte header, then exactly the body it
/// announces, however the bytes are split or merged on the way.
///
/// - `Ok(Some(text))`: a message.
/// - `Ok(None)`: the stream ended cleanly, before the first byte of a header.
/// - `Err(Truncated)`: it ended in the middle of a header or a body.
/// - `Err(BadHeader | TooLong | NotUtf8)`: the peer broke the protocol.
/// - `Err(Io(e))`: the socket failed (`?` on an `io::Error` converts it).
///
/// Steps:
/// 1. Fill a `[0u8; HEADER_LEN]` with a loop on `reader.read(&mut header[filled..])`:
///    one `read` may bring 1 byte or 64. `Ok(0)` means end of stream: `Ok(None)`
///    if nothing of the header came yet, `Truncated` otherwise.
/// 2. `parse_header`, and only then allocate the body: `vec![0u8; len]`.
/// 3. `reader.read_exact(&mut body)` reads exactly `len` bytes; its
///    `ErrorKind::UnexpectedEof` is a `Truncated`.
/// 4. `String::from_utf8(body)`: an error there is `NotUtf8`. Never `unwrap()`
///    what a client sent.
///
/// Book: The confirmation server › read_exact, not read.
#[allow(unused_variables)] // until you use `reader`
pub fn read_message(
    reader: &mut impl Read,
) -> Result<Option<String>, FrameError> {
    todo!("read_message: fill a {HEADER_LEN}-byte header from the reader, then read exactly the body it announces")
}

/// Writes one message: its header ([`encode_header`]), then its body.
///
/// - Refuse a body over [`MAX_BODY`] with an `io::Error` of kind
///   `ErrorKind::InvalidInput` (`encode_header` would panic).
/// - Put header and body in one buffer and send it with one `write_all`: two
///   small writes in a row can wait on each other in the kernel (Nagle's
///   algorithm), and the reader wants both anyway.
///
/// Book: The confirmation server › A fixed-width header.
#[allow(unused_variables)] // until you use `writer`
pub fn write_message(writer: &mut impl Write, body: &str) -> io::Result<()> {
    todo!("write_message: write the header for a body of {} bytes, then the body, with one write_all", body.len())
}
