//! Lesson 03's framing, finished: carried over from lesson 03 and given here.
//!
//! A message on the wire is a 64-byte header holding the body's length in
//! ASCII decimal digits, left-aligned and padded with spaces, then the body:
//! that many bytes of UTF-8. The server answers each message with
//! `Msg received\n`. Book: "The confirmation server".

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};

/// The size of every header, in bytes.
pub const HEADER_LEN: usize = 64;
/// The longest body a server accepts, in bytes.
pub const MAX_BODY: usize = 65_536;
/// The message that asks the server to close the connection (after confirming it).
pub const DISCONNECT: &str = "!DISCONNECT";
/// What the server sends back for every message.
pub const CONFIRMATION: &[u8] = b"Msg received\n";

/// Why a message could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The connection failed (reset, timed out, …).
    Io(io::Error),
    /// The header is not digits followed by spaces.
    BadHeader(String),
    /// The header announces a body longer than [`MAX_BODY`].
    TooLong(usize),
    /// The body is not valid UTF-8.
    NotUtf8,
    /// The connection ended in the middle of a message.
    Truncated,
}

/// The text after `ERROR ` in the line the server sends back.
impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "{e}"),
            FrameError::BadHeader(why) => write!(f, "bad header: {why}"),
            FrameError::TooLong(len) => write!(
                f,
                "message too long: {len} bytes, the limit is {MAX_BODY}"
            ),
            FrameError::NotUtf8 => write!(f, "the body is not valid UTF-8"),
            FrameError::Truncated => {
                write!(f, "the connection ended in the middle of a message")
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

/// Reads the body length from a header: one or more ASCII digits, then only
/// spaces. Leading zeros are fine; anything else, or a length over
/// [`MAX_BODY`], is an error.
pub fn parse_header(header: &[u8; HEADER_LEN]) -> Result<usize, FrameError> {
    let digits = header.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(FrameError::BadHeader(
            "it must start with the body's length in ASCII digits".into(),
        ));
    }
    if header[digits..].iter().any(|&b| b != b' ') {
        return Err(FrameError::BadHeader(
            "after the digits it may hold only spaces".into(),
        ));
    }
    // Saturating: sixty digits must not overflow, only be too long.
    let len = header[..digits].iter().fold(0usize, |len, &d| {
        len.saturating_mul(10).saturating_add(usize::from(d - b'0'))
    });
    if len > MAX_BODY {
        return Err(FrameError::TooLong(len));
    }
    Ok(len)
}

/// The header for a body of `len` bytes.
pub fn encode_header(len: usize) -> [u8; HEADER_LEN] {
    let mut header = [b' '; HEADER_LEN];
    let digits = len.to_string();
    header[..digits.len()].copy_from_slice(digits.as_bytes());
    header
}

/// Reads one message. `Ok(None)` is a clean end of stream: the client closed
/// before the first byte of a header.
pub fn read_message(
    reader: &mut impl Read,
) -> Result<Option<String>, FrameError> {
    let mut header = [0u8; HEADER_LEN];
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
    let len = parse_header(&header)?;
    // The length was checked: this allocation is at most MAX_BODY bytes.
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => FrameError::Truncated,
        _ => FrameError::Io(e),
    })?;
    String::from_utf8(body).map(Some).map_err(|_| FrameError::NotUtf8)
}

/// Writes one message, header and body in a single write.
pub fn write_message(writer: &mut impl Write, body: &str) -> io::Result<()> {
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(&encode_header(body.len()));
    frame.extend_from_slice(body.as_bytes());
    writer.write_all(&frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> [u8; HEADER_LEN] {
        let mut h = [b' '; HEADER_LEN];
        h[..text.len()].copy_from_slice(text.as_bytes());
        h
    }

    #[test]
    fn headers_follow_the_course_rule() {
        assert_eq!(parse_header(&header("12")).unwrap(), 12);
        assert_eq!(parse_header(&header("0007")).unwrap(), 7);
        assert_eq!(parse_header(&header("65536")).unwrap(), 65_536);
        for bad in ["", " 12", "1 2", "12x", "-1", "65537", &"9".repeat(60)] {
            assert!(
                parse_header(&header(bad)).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(parse_header(&encode_header(42)).unwrap(), 42);
    }

    #[test]
    fn reads_messages_and_a_clean_end() {
        let mut wire = Vec::new();
        write_message(&mut wire, "Olá").unwrap();
        let mut reader = &wire[..];
        assert_eq!(read_message(&mut reader).unwrap().as_deref(), Some("Olá"));
        assert!(read_message(&mut reader).unwrap().is_none());
        assert!(matches!(
            read_message(&mut &wire[..10]),
            Err(FrameError::Truncated)
        ));
    }
}
