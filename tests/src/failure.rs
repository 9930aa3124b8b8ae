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
    let (text, cut) = escaped(bytes, 48);
    let more = if cut { "…" } else { "" };
    format!("\"{text}\"{more} ({})", count(bytes.len()))
}

/// Like [`show_bytes`], but a long conversation shows its start *and its end*,
/// which is where a failure happened: `"hello"…"the last bytes" (10000 bytes)`.
pub fn show_bytes_end(bytes: &[u8]) -> String {
    const HEAD: usize = 16;
    const TAIL: usize = 48;
    if bytes.len() <= HEAD + TAIL {
        let (text, cut) = escaped(bytes, HEAD + TAIL);
        let more = if cut { "…" } else { "" };
        return format!("\"{text}\"{more} ({})", count(bytes.len()));
    }
    // Cut on character boundaries where possible, so text stays readable.
    let head_end = (HEAD..HEAD + 4).find(|&i| is_boundary(bytes, i)).unwrap_or(HEAD);
    let tail_start =
        (bytes.len() - TAIL..bytes.len() - TAIL + 4).find(|&i| is_boundary(bytes, i)).unwrap_or(bytes.len() - TAIL);
    let (head, _) = escaped(&bytes[..head_end], HEAD + 4);
    let (tail, _) = escaped(&bytes[tail_start..], TAIL + 4);
    format!("\"{head}\" … \"{tail}\" ({}; the middle {} left out)", count(bytes.len()), count(tail_start - head_end))
}

/// A few bytes of `bytes` around offset `at`, for showing where two byte
/// strings differ: `…"the 8 before|and 16 after"…`. Past the end it says so.
pub fn show_around(bytes: &[u8], at: usize) -> String {
    if at >= bytes.len() {
        return format!("nothing: it ends there, after {}", count(bytes.len()));
    }
    let start = at.saturating_sub(8);
    let end = (at + 16).min(bytes.len());
    let (before, _) = escaped(&bytes[start..at], 16);
    let (after, _) = escaped(&bytes[at..end], 32);
    let open = if start > 0 { "…" } else { "" };
    let close = if end < bytes.len() { "…" } else { "" };
    format!("{open}\"{before}\" + \"{after}\"{close}")
}

/// Where two byte strings first differ: the index of the first unequal byte,
/// or the length of the shorter one when it is a prefix of the other.
pub fn first_difference(expected: &[u8], got: &[u8]) -> Option<usize> {
    if expected == got {
        return None;
    }
    Some(expected.iter().zip(got).position(|(e, g)| e != g).unwrap_or(expected.len().min(got.len())))
}

impl Failure {
    /// The fields that explain two different byte strings briefly, however
    /// long they are: each side's start and length, the offset of the first
    /// difference, and a few bytes on each side of it.
    pub fn bytes_differ(self, expected: &[u8], got: &[u8]) -> Self {
        let Some(at) = first_difference(expected, got) else { return self };
        self.field("expected", show_bytes(expected))
            .field("got", show_bytes(got))
            .field("first difference", format!("at byte {at} (the part before it is the same on both sides)"))
            .field("expected there", show_around(expected, at))
            .field("got there", show_around(got, at))
    }
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "byte" } else { "bytes" })
}

fn is_boundary(bytes: &[u8], i: usize) -> bool {
    i >= bytes.len() || (bytes[i] & 0xc0) != 0x80
}

/// `bytes` as the inside of a string literal: escapes, long runs of one byte
/// folded, at most `budget` bytes shown; true when the rest was cut.
fn escaped(bytes: &[u8], budget: usize) -> (String, bool) {
    // Bytes shown before the rest is cut, not counting folded runs.
    let shown_max = budget;
    /// A run at least this long is folded.
    const RUN: usize = 8;
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();

    let mut text = String::new();
    let (mut i, mut shown) = (0, 0);
    while i < bytes.len() && shown < shown_max {
        let run = run_at(i);
        if run >= RUN {
            let _ = write!(text, "{{{run} × {}}}", one_byte(bytes[i]));
            i += run;
            shown += RUN;
            continue;
        }
        // Plain bytes up to the next foldable run, the end, or the budget.
        let mut end = i + 1;
        while end < bytes.len() && end - i < shown_max - shown && run_at(end) < RUN {
            end += 1;
        }
        for chunk in bytes[i..end].utf8_chunks() {
            for c in chunk.valid().chars() {
                // `\x01` rather than `\u{1}`: shorter, and the way bytes are shown elsewhere.
                if c.is_ascii_control() && !matches!(c, '\0' | '\t' | '\n' | '\r') {
                    let _ = write!(text, "\\x{:02x}", c as u8);
                } else {
                    let _ = write!(text, "{}", c.escape_debug());
                }
            }
            for b in chunk.invalid() {
                let _ = write!(text, "\\x{b:02x}");
            }
        }
        shown += end - i;
        i = end;
    }
    (text, i < bytes.len())
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
        assert_eq!(show_bytes(b"\x01\x7f\t"), r#""\x01\x7f\t" (3 bytes)"#);
    }

    #[test]
    fn shows_the_end_of_a_long_conversation() {
        let mut talk = b"Your nickname?\n".to_vec();
        talk.extend(vec![b'.'; 1000]);
        talk.extend_from_slice(b"* alice left\n");
        let shown = show_bytes_end(&talk);
        assert!(shown.starts_with(r#""Your nickname?\n"#), "{shown}");
        assert!(shown.contains(r#"alice left\n" (1028 bytes;"#), "{shown}");
        assert_eq!(show_bytes_end(b"short"), show_bytes(b"short"));
    }

    #[test]
    fn bytes_that_differ_are_shown_around_the_difference() {
        let sent: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(first_difference(&sent, &sent[..1024]), Some(1024));
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        let text = Failure::new("short").bytes_differ(&sent, &sent[..1024]).to_string();
        assert!(text.contains("at byte 1024"), "{text}");
        assert!(text.contains("nothing: it ends there, after 1024 bytes"), "{text}");
        assert!(text.lines().count() <= 6, "{text}");
        assert_eq!(show_around(b"0123456789abcdefghijklmnopqrstuvwxyz", 10), r#"…"23456789" + "abcdefghijklmnop"…"#);
    }

    #[test]
    fn lines_up_fields() {
        let text = Failure::new("it broke").field("sent", "a").field("expected", "b").to_string();
        assert_eq!(text, "it broke\n        sent: a\n    expected: b");
    }
}
