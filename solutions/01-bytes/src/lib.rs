//! Lesson 01: bytes and strings.
//!
//! A socket carries bytes, never text. Before sending, text is encoded into
//! bytes; after receiving, bytes are decoded back into text, and that can fail.
//! This lesson writes the small tools every later lesson relies on: encoding
//! and decoding UTF-8, counting bytes and characters, a hex dump to see bytes,
//! the 64-byte length header of the confirmation protocol, and a decoder for
//! text that arrives in pieces.
//!
//! Book: "Bytes and strings".

use std::fmt;

// ANCHOR: encode
/// The UTF-8 bytes of `text`, ready to be sent (Python: `text.encode()`).
pub fn encode(text: &str) -> Vec<u8> {
    // A `&str` is already UTF-8 in memory: its bytes are the encoding.
    text.as_bytes().to_vec()
}
// ANCHOR_END: encode

// ANCHOR: invalid_utf8
/// Bytes that are not valid UTF-8, and where it went wrong.
///
/// The same two facts as the standard library's [`std::str::Utf8Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// How many bytes before the problem are valid UTF-8: the bad bytes start
    /// at this index.
    pub valid_up_to: usize,
    /// How many bytes, from `valid_up_to`, can never be part of valid UTF-8;
    /// `None` when the input simply ends in the middle of a character (more
    /// bytes could still complete it).
    pub error_len: Option<usize>,
}
// ANCHOR_END: invalid_utf8

impl fmt::Display for InvalidUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error_len {
            Some(1) => write!(f, "invalid UTF-8 at byte {}: a byte that cannot be there", self.valid_up_to),
            Some(n) => write!(f, "invalid UTF-8 at byte {}: {n} bytes that do not make a character", self.valid_up_to),
            None => {
                write!(f, "incomplete UTF-8: the bytes end at byte {} in the middle of a character", self.valid_up_to)
            }
        }
    }
}

impl std::error::Error for InvalidUtf8 {}

// ANCHOR: decode
/// Strict decoding: the text in `bytes`, or an error saying where they stop
/// being UTF-8 (Python: `data.decode()`, which raises `UnicodeDecodeError`).
pub fn decode(bytes: &[u8]) -> Result<String, InvalidUtf8> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => Err(InvalidUtf8 {
            valid_up_to: e.valid_up_to(),
            error_len: e.error_len(),
        }),
    }
}
// ANCHOR_END: decode

// ANCHOR: decode_lossy
/// Lossy decoding: every piece that is not UTF-8 becomes U+FFFD, `�`
/// (Python: `data.decode(errors="replace")`). It never fails, and it loses
/// information: use it to show bytes to a person, never to process them.
pub fn decode_lossy(bytes: &[u8]) -> String {
    // A `Cow`: borrowed when the bytes were valid, owned when something was
    // replaced. `into_owned` gives a `String` either way.
    String::from_utf8_lossy(bytes).into_owned()
}
// ANCHOR_END: decode_lossy

// ANCHOR: counting
/// How many bytes `text` takes on the wire (Python: `len(text.encode())`).
pub fn byte_len(text: &str) -> usize {
    text.len()
}

/// How many characters (Unicode code points) `text` holds (Python: `len(text)`).
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}
// ANCHOR_END: counting

// ANCHOR: hexdump
/// A hex dump in the layout of `hexdump -C`: sixteen bytes a line, each line
/// the offset (8 hex digits), the bytes in hex with an extra space after the
/// eighth, then the bytes as ASCII between bars (`.` for what is not
/// printable); then a last line with the total length in hex.
///
/// ```text
/// 00000000  61 c3 a7 c3 a3 6f                                 |a....o|
/// 00000006
/// ```
pub fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (row, line) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", row * 16));
        for i in 0..16 {
            match line.get(i) {
                Some(byte) => out.push_str(&format!("{byte:02x} ")),
                // A short last line is padded, so that its ASCII column lines up.
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        for &byte in line {
            let shown = if byte == b' ' || byte.is_ascii_graphic() {
                byte as char
            } else {
                '.'
            };
            out.push(shown);
        }
        out.push_str("|\n");
    }
    out.push_str(&format!("{:08x}\n", bytes.len()));
    out
}
// ANCHOR_END: hexdump

// ANCHOR: header_consts
/// Every message of the confirmation protocol starts with a header of exactly
/// this many bytes.
pub const HEADER_LEN: usize = 64;

/// The largest body a header may announce, in bytes.
pub const MAX_BODY: usize = 65536;
// ANCHOR_END: header_consts

// ANCHOR: header_error
/// Why a header was refused: which rule it broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// More than [`HEADER_LEN`] bytes.
    TooLong { len: usize },
    /// No digit at all: nothing, or only spaces.
    Empty,
    /// Spaces before the digits: the length is left-aligned.
    LeadingSpace,
    /// A byte that is neither an ASCII digit nor a space.
    NotADigit { at: usize, byte: u8 },
    /// A digit after the padding has started, as in `"1 2"`.
    DigitAfterSpace { at: usize },
    /// A length over [`MAX_BODY`].
    TooLarge,
}
// ANCHOR_END: header_error

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HeaderError::TooLong { len } => write!(f, "the header has {len} bytes, more than {HEADER_LEN}"),
            HeaderError::Empty => write!(f, "the header holds no length, only spaces"),
            HeaderError::LeadingSpace => write!(f, "the header starts with a space; the length must be left-aligned"),
            HeaderError::NotADigit { at, byte } => {
                write!(f, "byte {at} of the header is {:?}, not a digit or a space", char::from(byte))
            }
            HeaderError::DigitAfterSpace { at } => write!(f, "byte {at} of the header is a digit after the padding"),
            HeaderError::TooLarge => write!(f, "the length is over the limit of {MAX_BODY} bytes"),
        }
    }
}

impl std::error::Error for HeaderError {}

// ANCHOR: build_header
/// The header announcing a body of `len` bytes: the length in ASCII decimal
/// digits, left-aligned, padded with spaces to [`HEADER_LEN`] bytes.
/// A length over [`MAX_BODY`] is refused with [`HeaderError::TooLarge`].
pub fn build_header(len: usize) -> Result<[u8; HEADER_LEN], HeaderError> {
    if len > MAX_BODY {
        return Err(HeaderError::TooLarge);
    }
    let digits = len.to_string();
    let mut header = [b' '; HEADER_LEN];
    // At most 5 digits (65536): they always fit.
    header[..digits.len()].copy_from_slice(digits.as_bytes());
    Ok(header)
}
// ANCHOR_END: build_header

// ANCHOR: parse_header
/// The body length announced by `header`: one or more ASCII digits, then
/// only spaces, at most [`HEADER_LEN`] bytes in all, a value of at most
/// [`MAX_BODY`]. Anything else is refused with the rule it broke.
pub fn parse_header(header: &[u8]) -> Result<usize, HeaderError> {
    if header.len() > HEADER_LEN {
        return Err(HeaderError::TooLong { len: header.len() });
    }
    if header.iter().all(|&byte| byte == b' ') {
        return Err(HeaderError::Empty);
    }
    if header[0] == b' ' {
        return Err(HeaderError::LeadingSpace);
    }
    let mut value: usize = 0;
    let mut in_padding = false;
    for (at, &byte) in header.iter().enumerate() {
        match byte {
            b'0'..=b'9' if in_padding => {
                return Err(HeaderError::DigitAfterSpace { at })
            }
            b'0'..=b'9' => {
                // Once over the limit the exact value no longer matters: keep
                // it at MAX_BODY + 1 so that sixty digits cannot overflow.
                value =
                    (value * 10 + usize::from(byte - b'0')).min(MAX_BODY + 1);
            }
            b' ' => in_padding = true,
            _ => return Err(HeaderError::NotADigit { at, byte }),
        }
    }
    if value > MAX_BODY {
        return Err(HeaderError::TooLarge);
    }
    Ok(value)
}
// ANCHOR_END: parse_header

// ANCHOR: chunk_decoder
/// Decodes UTF-8 text that arrives in pieces, as it does from a socket: a
/// character of 2 to 4 bytes may be cut between two reads.
///
/// ```
/// # use bytes_and_strings::ChunkDecoder;
/// let mut decoder = ChunkDecoder::new();
/// assert_eq!(decoder.push(b"a\xc3").unwrap(), "a"); // the start of "ç" waits
/// assert_eq!(decoder.push(b"\xa7o").unwrap(), "ço");
/// assert!(decoder.finish().is_ok());
/// ```
#[derive(Debug, Default)]
pub struct ChunkDecoder {
    /// The first bytes of a character whose other bytes have not arrived yet
    /// (0 to 3 bytes: a character has at most 4).
    pending: Vec<u8>,
    /// How many bytes of the stream have been turned into text so far.
    decoded: usize,
}
// ANCHOR_END: chunk_decoder

impl ChunkDecoder {
    pub fn new() -> ChunkDecoder {
        ChunkDecoder::default()
    }

    /// The bytes held back, waiting for the rest of their character.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    // ANCHOR: push
    /// Takes the next chunk of the stream and returns the text it completes:
    /// the held-back bytes and this chunk, up to the last whole character. An
    /// incomplete character at the end is held back for the next chunk.
    ///
    /// Bytes that can never be valid UTF-8, whatever comes next, are an error;
    /// its `valid_up_to` counts from the start of the stream.
    pub fn push(&mut self, chunk: &[u8]) -> Result<String, InvalidUtf8> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(chunk);
        let complete = match std::str::from_utf8(&bytes) {
            Ok(_) => bytes.len(),
            // `error_len() == None`: the bytes end in the middle of a character,
            // and the next chunk may complete it. Decode up to it, keep the rest.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            // Anything else will never be valid, whatever comes next.
            Err(e) => {
                return Err(InvalidUtf8 {
                    valid_up_to: self.decoded + e.valid_up_to(),
                    error_len: e.error_len(),
                });
            }
        };
        self.pending = bytes.split_off(complete);
        self.decoded += complete;
        Ok(String::from_utf8(bytes)
            .expect("the bytes up to `complete` were checked to be UTF-8"))
    }
    // ANCHOR_END: push

    // ANCHOR: finish
    /// Ends the stream: fine when nothing is held back, an error when the
    /// stream stopped in the middle of a character.
    pub fn finish(self) -> Result<(), InvalidUtf8> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(InvalidUtf8 { valid_up_to: self.decoded, error_len: None })
        }
    }
    // ANCHOR_END: finish
}
