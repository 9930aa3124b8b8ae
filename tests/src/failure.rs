//! Failure messages: what was expected, what happened, a hint.

use std::fmt::{self, Write as _};

/// A check's failure, built field by field and raised with [`Failure::fail`].
///
/// ```text
/// the echo came back different
///       sent: "hello" (5 bytes)
///   expected: "hello" (5 bytes)
///        got: "hel" (3 bytes)
/// ```
///
/// The hint is added by [`crate::check`], which knows which check is running.
#[derive(Debug, Clone)]
pub struct Failure {
    what: String,
    fields: Vec<(String, String)>,
}

/// The payload the harness panics with, so that the panic hook and [`crate::check`]
/// can tell the harness's own failures from a panic in the learner's code.
#[derive(Debug, Clone)]
pub(crate) struct HarnessFailure(pub String);

impl Failure {
    pub fn new(what: impl Into<String>) -> Self {
        Failure { what: what.into(), fields: Vec::new() }
    }

    /// Adds a labelled line, e.g. `.field("sent", show_bytes(b"hi"))`.
    pub fn field(mut self, label: &str, value: impl fmt::Display) -> Self {
        self.fields.push((label.to_string(), value.to_string()));
        self
    }

    /// Stops the check with this message.
    ///
    /// Inside [`crate::check`] the message travels as a [`HarnessFailure`], so
    /// that it is not mistaken for a panic in the learner's code; anywhere else
    /// it is an ordinary panic with a readable message.
    pub fn fail(self) -> ! {
        let on_harness_thread = std::thread::current().name().is_some_and(|n| n.starts_with(crate::panics::MANAGED));
        if on_harness_thread {
            std::panic::panic_any(HarnessFailure(self.to_string()))
        }
        panic!("{self}")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        let width = self.fields.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (label, value) in &self.fields {
            // Continuation lines of a long value line up under its first line.
            let value = value.replace('\n', &format!("\n{:width$}  ", "", width = width + 4));
            write!(f, "\n    {label:>width$}: {value}")?;
        }
        Ok(())
    }
}

/// Shows bytes the way a person wants to read them in a failure: as a string
/// literal with escapes, cut short when long, with long runs of one byte
/// folded (`{62 × ' '}`), so that the padding of a header does not hide the
/// body that follows it.
///
/// `b"hi\n"` shows as `"hi\n" (3 bytes)`; a 64-byte header `15` plus its body
/// as `"15{62 × ' '}client 1: hello" (79 bytes)`.
pub fn show_bytes(bytes: &[u8]) -> String {
    /// Bytes shown before the rest is cut, not counting folded runs.
    const SHOWN: usize = 48;
    /// A run at least this long is folded.
    const RUN: usize = 8;
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();

    let mut text = String::from("\"");
    let (mut i, mut shown) = (0, 0);
    while i < bytes.len() && shown < SHOWN {
        let run = run_at(i);
        if run >= RUN {
            let _ = write!(text, "{{{run} × {}}}", one_byte(bytes[i]));
            i += run;
            shown += RUN;
            continue;
        }
        // Plain bytes up to the next foldable run, the end, or the budget.
        let mut end = i + 1;
        while end < bytes.len() && end - i < SHOWN - shown && run_at(end) < RUN {
            end += 1;
        }
        for chunk in bytes[i..end].utf8_chunks() {
            for c in chunk.valid().chars() {
                let _ = write!(text, "{}", c.escape_debug());
            }
            for b in chunk.invalid() {
                let _ = write!(text, "\\x{b:02x}");
            }
        }
        shown += end - i;
        i = end;
    }
    text.push('"');
    let more = if i < bytes.len() { "…" } else { "" };
    let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
    format!("{text}{more} ({} {unit})", bytes.len())
}

/// One byte inside a folded run: `' '`, `'x'` or `\x00`.
fn one_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        format!("'{}'", (b as char).escape_debug())
    } else {
        format!("\\x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_text_binary_and_long_payloads() {
        assert_eq!(show_bytes(b"hi\n"), r#""hi\n" (3 bytes)"#);
        assert_eq!(show_bytes(&[0xff]), r#""\xff" (1 byte)"#);
        assert_eq!(show_bytes("ação".as_bytes()), r#""ação" (6 bytes)"#);
        assert_eq!(show_bytes(&[b'a'; 100]), r#""{100 × 'a'}" (100 bytes)"#);
        let long: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        assert!(show_bytes(&long).ends_with("\"… (100 bytes)"), "{}", show_bytes(&long));
        let mut framed = b"15".to_vec();
        framed.resize(64, b' ');
        framed.extend_from_slice(b"client 1: hello");
        assert_eq!(show_bytes(&framed), r#""15{62 × ' '}client 1: hello" (79 bytes)"#);
        assert_eq!(show_bytes(&[0; 9]), r#""{9 × \x00}" (9 bytes)"#);
    }

    #[test]
    fn lines_up_fields() {
        let text = Failure::new("it broke").field("sent", "a").field("expected", "b").to_string();
        assert_eq!(text, "it broke\n        sent: a\n    expected: b");
    }
}
