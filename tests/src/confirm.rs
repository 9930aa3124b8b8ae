//! The confirmation protocol of lessons 03, 04 and 05, from the client's side
//! (DESIGN.md, "Wire contracts"): a 64-byte header with the body's length in
//! ASCII decimal, left-aligned and padded with spaces, then the UTF-8 body; the
//! server answers `Msg received\n` to each message, closes after `!DISCONNECT`,
//! and answers `ERROR <reason>\n` and closes on a bad header or body.

use crate::client::Client;
use crate::failure::show_bytes;

pub const HEADER_LEN: usize = 64;
pub const MAX_BODY: usize = 65536;
pub const CONFIRMATION: &str = "Msg received";
pub const DISCONNECT: &str = "!DISCONNECT";

/// A well-formed header for a body of `len` bytes.
pub fn header(len: usize) -> Vec<u8> {
    raw_header(&len.to_string())
}

/// A header holding `text` padded with spaces to 64 bytes, for malformed
/// headers; `text` longer than 64 bytes is cut.
pub fn raw_header(text: &str) -> Vec<u8> {
    let mut h = text.as_bytes().to_vec();
    h.resize(HEADER_LEN, b' ');
    h.truncate(HEADER_LEN);
    h
}

/// Header and body of one message, as one buffer.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = header(body.len());
    out.extend_from_slice(body);
    out
}

/// Several messages back to back, as one buffer (for merged writes).
pub fn frames<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    bodies.into_iter().flat_map(frame).collect()
}

impl Client {
    /// Sends one well-formed message.
    pub fn send_message(&mut self, body: &str) {
        self.send(&frame(body.as_bytes()));
    }

    /// Expects the next line to be `Msg received`.
    pub fn expect_confirmation(&mut self) {
        let line = self.read_line_bytes();
        if line != CONFIRMATION.as_bytes() {
            let mut got = line;
            got.push(b'\n');
            self.failure("expected the confirmation `Msg received\\n`").field("got", show_bytes(&got)).fail();
        }
    }

    /// Sends `body` and expects its confirmation.
    pub fn send_and_confirm(&mut self, body: &str) {
        self.send_message(body);
        self.expect_confirmation();
    }

    /// Expects `ERROR <reason>\n`, then the close; returns the reason.
    pub fn expect_error_and_close(&mut self) -> String {
        let line = self.read_line_bytes();
        let Some(reason) = line.strip_prefix(b"ERROR ") else {
            let mut got = line;
            got.push(b'\n');
            self.failure("expected a line `ERROR <reason>\\n` telling the client what was wrong")
                .field("got", show_bytes(&got))
                .fail()
        };
        let reason = String::from_utf8_lossy(reason).into_owned();
        self.expect_closed();
        reason
    }

    /// Sends `!DISCONNECT`, expects its confirmation, then the close.
    pub fn disconnect(&mut self) {
        self.send_and_confirm(DISCONNECT);
        self.expect_closed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_space_padded_decimal() {
        let h = header(12);
        assert_eq!(h.len(), HEADER_LEN);
        assert_eq!(&h[..3], b"12 ");
        assert!(h[2..].iter().all(|&b| b == b' '));
        assert_eq!(frame(b"hi").len(), HEADER_LEN + 2);
        assert_eq!(raw_header(&"9".repeat(70)), vec![b'9'; 64]);
    }
}
