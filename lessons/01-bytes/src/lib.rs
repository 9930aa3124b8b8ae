//! Lesson 01: bytes and strings.
//!
//! A socket carries bytes, never text. Before sending, text is encoded into
//! bytes; after receiving, bytes are decoded back into text, and that can fail.
//! This lesson writes the small tools every later lesson relies on: encoding
//! and decoding UTF-8, counting bytes and characters, a hex dump to see bytes,
//! the 64-byte length header of the confirmation protocol, and a decoder for
//! text that arrives in pieces.
//!
//! Your turn: replace each `todo!()` below, then run `just check 01`.
//! No socket yet, and nothing to import: everything you need is in `std`'s
//! prelude (`str`, `String`, `Vec`, `char`, `u8`).
//! Book: "Bytes and strings".

use std::fmt;

/// The UTF-8 bytes of `text`, ready to be sent (Python: `text.encode()`).
///
/// A `&str` is UTF-8 already: `text.as_bytes()` borrows its bytes, and
/// `.to_vec()` copies them into a `Vec<u8>` of your own.
///
/// Book: Bytes and strings › Text and bytes in Rust.
pub fn encode(text: &str) -> Vec<u8> {
    todo!("return the bytes of {text:?} as a Vec<u8>")
}

/// Bytes that are not valid UTF-8, and where it went wrong. (Given.)
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

/// Strict decoding: the text in `bytes`, or an error saying where they stop
/// being UTF-8 (Python: `data.decode()`, which raises `UnicodeDecodeError`).
///
/// `std::str::from_utf8(bytes)` checks the bytes and gives a `&str` (turn it
/// into a `String` with `.to_string()`), or a `Utf8Error` whose
/// `valid_up_to()` and `error_len()` are exactly what [`InvalidUtf8`] holds.
///
/// Book: Bytes and strings › Strict and lossy decoding.
pub fn decode(bytes: &[u8]) -> Result<String, InvalidUtf8> {
    todo!(
        "check that the {} bytes are UTF-8 and return them as a String, or say where they stop being UTF-8",
        bytes.len()
    )
}

/// Lossy decoding: every piece that is not UTF-8 becomes U+FFFD, `�`
/// (Python: `data.decode(errors="replace")`). It never fails.
///
/// Replace the bad pieces exactly as `String::from_utf8_lossy` does (one `�`
/// for each "maximal bad piece"): the simplest way is to use it. It returns a
/// `Cow<str>`; `.into_owned()` makes it a `String`.
///
/// Book: Bytes and strings › Strict and lossy decoding.
pub fn decode_lossy(bytes: &[u8]) -> String {
    todo!(
        "decode the {} bytes, replacing what is not UTF-8 with U+FFFD",
        bytes.len()
    )
}

/// How many bytes `text` takes on the wire (Python: `len(text.encode())`).
///
/// Book: Bytes and strings › Counting bytes and characters.
pub fn byte_len(text: &str) -> usize {
    todo!("count the bytes of {text:?}")
}

/// How many characters (Unicode code points, Rust's `char`) `text` holds
/// (Python: `len(text)`). Not the same as [`byte_len`] as soon as the text is
/// not plain ASCII: "ação" is 6 bytes but 4 characters.
///
/// Book: Bytes and strings › Counting bytes and characters.
pub fn char_count(text: &str) -> usize {
    todo!("count the characters of {text:?}")
}

/// A hex dump in the layout of `hexdump -C`:
///
/// ```text
/// 00000000  4f 6c c3 a1 2c 20 6d 75  6e 64 6f 21              |Ol.., mundo!|
/// 0000000c
/// ```
///
/// - sixteen bytes a line (`bytes.chunks(16)`); each line is the offset of its
///   first byte as 8 hex digits (`format!("{:08x}", offset)`), two spaces,
///   then each byte as 2 hex digits followed by a space (`{:02x} `), with one
///   more space after the eighth;
/// - a short last line keeps the same width, so that the next column lines
///   up: three spaces stand for each missing byte, and the extra space after
///   the eighth position is still there when the line has fewer than 8 bytes.
///   The simplest way: for each position `i` in `0..16`, write the byte or
///   three spaces, then one more space when `i == 7`;
/// - then one more space, and the same bytes as ASCII between `|` bars: a
///   byte that is a space or `is_ascii_graphic()` shows as itself, any other
///   byte as `.`;
/// - every line ends with `\n`, and a last line holds the total length as 8
///   hex digits (an empty input gives just `"00000000\n"`).
///
/// Book: Bytes and strings › Reading a hex dump.
pub fn hexdump(bytes: &[u8]) -> String {
    todo!("lay out {} bytes as `hexdump -C` does", bytes.len())
}

/// Every message of the confirmation protocol starts with a header of exactly
/// this many bytes.
pub const HEADER_LEN: usize = 64;

/// The largest body a header may announce, in bytes.
pub const MAX_BODY: usize = 65536;

/// Why a header was refused: which rule it broke. (Given.)
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

/// The header announcing a body of `len` bytes: the length in ASCII decimal
/// digits, left-aligned, padded with spaces to [`HEADER_LEN`] bytes. For 12:
/// `b"12"` followed by 62 spaces.
///
/// A length over [`MAX_BODY`] is refused with [`HeaderError::TooLarge`].
/// Start from `[b' '; HEADER_LEN]` and copy the digits of `len.to_string()`
/// to its start (`copy_from_slice`).
///
/// Book: Bytes and strings › Where a message ends: the length header.
pub fn build_header(len: usize) -> Result<[u8; HEADER_LEN], HeaderError> {
    todo!("write {len} in ASCII digits at the start of {HEADER_LEN} spaces")
}

/// The body length announced by `header`. The rule, which lessons 03 to 05
/// follow too: a valid header is one or more ASCII digits followed only by
/// spaces, at most [`HEADER_LEN`] bytes in all, with a value of at most
/// [`MAX_BODY`]. Leading zeros are fine: `"007"` is 7.
///
/// Refuse everything else with the [`HeaderError`] that says why, checking in
/// this order: too long; empty or only spaces; a leading space; then, reading
/// byte by byte, the first byte that is not a digit or a space, or a digit
/// after a space; and last, a value over the limit.
///
/// Careful: `str::trim` also removes tabs and newlines, and `str::parse`
/// accepts `"+5"`; neither follows the rule. A header of sixty digits must be
/// refused as [`HeaderError::TooLarge`]: it must not overflow or panic.
///
/// Book: Bytes and strings › Where a message ends: the length header.
pub fn parse_header(header: &[u8]) -> Result<usize, HeaderError> {
    todo!(
        "read the length in the header {:?}, following the rule above",
        String::from_utf8_lossy(header)
    )
}

/// Decodes UTF-8 text that arrives in pieces, as it does from a socket: a
/// character of 2 to 4 bytes may be cut between two reads. (The struct is
/// given; you write `push` and `finish`.)
///
/// ```ignore
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

impl ChunkDecoder {
    pub fn new() -> ChunkDecoder {
        ChunkDecoder::default()
    }

    /// The bytes held back, waiting for the rest of their character.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    /// Takes the next chunk of the stream and returns the text it completes:
    /// the held-back bytes and this chunk, up to the last whole character. An
    /// incomplete character at the end is held back (in `self.pending`) for
    /// the next chunk.
    ///
    /// Bytes that can never be valid UTF-8, whatever comes next, are an error
    /// at once; its `valid_up_to` counts from the start of the stream (that is
    /// what `self.decoded` is for).
    ///
    /// `std::str::from_utf8` tells the two apart: its error's `error_len()` is
    /// `None` when the bytes merely end in the middle of a character.
    ///
    /// Book: Bytes and strings › Characters cut between reads.
    pub fn push(&mut self, chunk: &[u8]) -> Result<String, InvalidUtf8> {
        todo!(
            "decode the {} held-back byte(s), then the {} new one(s), keeping an incomplete last character \
             ({} bytes decoded so far)",
            self.pending.len(),
            chunk.len(),
            self.decoded
        )
    }

    /// Ends the stream: `Ok(())` when nothing is held back, an error (with
    /// `error_len: None`, at the position of the held-back bytes) when the
    /// stream stopped in the middle of a character.
    ///
    /// Book: Bytes and strings › Characters cut between reads.
    pub fn finish(self) -> Result<(), InvalidUtf8> {
        todo!("say whether the decoder still holds the start of a character ({} byte(s) held back)", self.pending.len())
    }
}
