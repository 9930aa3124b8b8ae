//! Requests: what one datagram from a client holds, and what is refused.
//!
//! ```text
//! +------------------------------+-------+-------------------------------+
//! | sequence number: 1 to 20     | one   | the text, UTF-8, maybe empty  |
//! | ASCII digits, 0 to u64::MAX  | space |                               |
//! +------------------------------+-------+-------------------------------+
//!   "42"                            " "    "Olá, mundo!"   → "42 Olá, mundo!"
//! ```
//!
//! No header, no length: the datagram itself says where the message ends.
//! At most [`MAX_DATAGRAM`] bytes in all. This module knows nothing about
//! sockets. Book: "Datagrams".

use std::fmt;

/// The largest request, in bytes: fits in one packet on nearly every path.
pub const MAX_DATAGRAM: usize = 1200;
/// The most digits a sequence number may have (`u64::MAX` has 20).
pub const MAX_DIGITS: usize = 20;
/// The text that ends a conversation: acknowledged, and the server forgets the address.
pub const DISCONNECT: &str = "!DISCONNECT";

/// A valid request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Chosen by the client; the server acknowledges it with `ACK <seq>`.
    pub seq: u64,
    /// Everything after the first space.
    pub text: String,
}

/// Why a datagram is not a valid request. Each case has its own variant, so
/// the client is told exactly what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// More than [`MAX_DATAGRAM`] bytes (how many there were).
    TooLong(usize),
    /// No space at all, so no number and text (the empty datagram too).
    NoSpace,
    /// Nothing before the first space: the datagram starts with a space.
    NoNumber,
    /// A byte in the number that is not an ASCII digit: `+5`, `-1`, `5x`.
    NotADigit(u8),
    /// More than [`MAX_DIGITS`] digits, leading zeros included (how many there were).
    TooManyDigits(usize),
    /// Twenty digits, but a value over `u64::MAX`.
    TooBig,
    /// The text is not valid UTF-8.
    NotUtf8,
}

/// The text the server sends after `ERR ` on the wire.
impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::TooLong(len) => {
                write!(f, "datagram too long: {len} bytes is over the limit of {MAX_DATAGRAM}")
            }
            RequestError::NoSpace => {
                write!(f, "no space: a request is `<number> <text>`")
            }
            RequestError::NoNumber => {
                write!(f, "no number before the first space")
            }
            RequestError::NotADigit(b) if b.is_ascii_graphic() => {
                write!(
                    f,
                    "the number may hold only the digits 0-9, not '{}'",
                    *b as char
                )
            }
            RequestError::NotADigit(b) => write!(
                f,
                "the number may hold only the digits 0-9, not byte 0x{b:02x}"
            ),
            RequestError::TooManyDigits(n) => write!(
                f,
                "the number has {n} digits, at most {MAX_DIGITS} are allowed"
            ),
            RequestError::TooBig => {
                write!(f, "the number is over {}", u64::MAX)
            }
            RequestError::NotUtf8 => write!(f, "the text is not valid UTF-8"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Reads a request from one datagram: a sequence number of 1 to 20 ASCII
/// digits (leading zeros allowed, no sign, at most `u64::MAX`), one space,
/// then the text in UTF-8, possibly empty (`"7 "` is message 7, text `""`).
///
/// Return the first problem you find, in this order:
/// 1. over [`MAX_DATAGRAM`] bytes: `TooLong(len)`;
/// 2. no space anywhere (the empty datagram too): `NoSpace`. The *first*
///    space ends the number; the text may hold more spaces;
/// 3. nothing before that space: `NoNumber`;
/// 4. a byte of the number that is not `0`-`9`: `NotADigit(byte)`;
/// 5. more than [`MAX_DIGITS`] digits: `TooManyDigits(count)`;
/// 6. a value over `u64::MAX`: `TooBig`;
/// 7. a text that is not UTF-8: `NotUtf8`.
///
/// - Check the digits yourself: `"+5".parse::<u64>()` is `Ok(5)`, and
///   `trim` would hide a leading space.
/// - Twenty nines do not fit in a `u64`: build the value with
///   `checked_mul(10)` and `checked_add(digit)`, whose `None` is `TooBig`.
/// - `std::str::from_utf8(bytes)` checks the text; never `unwrap()` what a
///   client sent, and never `String::from_utf8_lossy` it (that turns bad
///   bytes into `�` and accepts them).
///
/// Book: Datagrams › A datagram is a message.
pub fn parse_request(datagram: &[u8]) -> Result<Request, RequestError> {
    todo!("split the {}-byte datagram at its first space into a number and a text", datagram.len())
}

/// The datagram that carries `text` as message number `seq`: `"<seq> <text>"`.
pub fn encode_request(seq: u64, text: &str) -> Vec<u8> {
    format!("{seq} {text}").into_bytes()
}

/// The acknowledgement of message `seq`, exactly as it travels: `ACK 42`.
pub fn ack(seq: u64) -> String {
    format!("ACK {seq}")
}
