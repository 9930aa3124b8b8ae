//! Checks for lesson 01, bytes and strings. Run them with `just check 01`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - conversions: text to bytes and back, strict and lossy;
//! - counting: bytes versus characters;
//! - hexdump: the `hexdump -C` layout, compared line by line and snapshotted;
//! - header: the 64-byte length header of the confirmation protocol;
//! - chunks: text arriving in pieces, characters cut between reads;
//! - end_to_end: the `bytes-inspect` program.

use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};

use bytes_and_strings::{HeaderError, InvalidUtf8};
use harness::{check, show_bytes, snapshot_settings, Failure};
use support::call;

mod support;

/// Bytes as text (with escapes) and as hex: `"aç" (3 bytes) = 61 c3 a7`.
fn show(bytes: &[u8]) -> String {
    const SHOWN: usize = 24;
    let mut hex = bytes.iter().take(SHOWN).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    if bytes.len() > SHOWN {
        hex.push_str(" …");
    }
    if bytes.is_empty() {
        show_bytes(bytes)
    } else {
        format!("{} = {hex}", show_bytes(bytes))
    }
}

/// Compares `text` with the reviewed snapshot `name` (in tests/01-bytes/snapshots/).
/// On a difference insta prints the diff; the check then fails with `what`.
fn expect_snapshot(name: &'static str, text: String, what: &str) {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
    }));
    if outcome.is_err() {
        Failure::new(format!("{what} differs from the expected output, saved in tests/01-bytes/snapshots/{name}.snap"))
            .field("see", "the diff printed above: `-old snapshot` lines are expected, `+new results` is what came")
            .fail();
    }
}

/// A piece of text with its length, so that invisible differences show.
fn show_text(text: &str) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!("{text:?} ({}, {})", plural(text.len(), "byte"), plural(text.chars().count(), "char"))
}

/// A header in full (64 bytes and more), every byte visible: `"12  …  " (64 bytes)`.
fn show_header(bytes: &[u8]) -> String {
    format!("\"{}\" ({} bytes)", bytes.escape_ascii(), bytes.len())
}

mod conversions {
    use super::*;
    use rstest::rstest;

    const HINT_ENCODE: &str = "a `&str` is UTF-8 already: its bytes (`as_bytes`) are the encoding; return a copy. \
                               Book: Bytes and strings › Text and bytes in Rust";
    const HINT_DECODE: &str = "`std::str::from_utf8` checks the bytes; copy its error's `valid_up_to()` and \
                               `error_len()` into `InvalidUtf8`. Book: Bytes and strings › Strict and lossy decoding";
    const HINT_LOSSY: &str = "`String::from_utf8_lossy(bytes)` replaces each bad piece with U+FFFD; \
                              `.into_owned()` makes a String. Book: Bytes and strings › Strict and lossy decoding";

    #[rstest]
    #[case::empty("", &[])]
    #[case::ascii("hi!", &[0x68, 0x69, 0x21])]
    #[case::portuguese("ação", &[0x61, 0xc3, 0xa7, 0xc3, 0xa3, 0x6f])]
    #[case::emoji("🦀", &[0xf0, 0x9f, 0xa6, 0x80])]
    #[case::cjk("你好", &[0xe4, 0xbd, 0xa0, 0xe5, 0xa5, 0xbd])]
    fn encode_gives_the_utf8_bytes(#[case] text: &'static str, #[case] expected: &'static [u8]) {
        check(HINT_ENCODE, move || {
            let got = call("encode", move || bytes_and_strings::encode(text));
            if got != expected {
                Failure::new(format!("`encode({text:?})` returned other bytes than UTF-8's"))
                    .field("expected", show(expected))
                    .field("got", show(&got))
                    .fail();
            }
        });
    }

    #[rstest]
    #[case::empty("")]
    #[case::ascii("plain ASCII")]
    #[case::portuguese("Olá, mundo!")]
    #[case::emoji("🦀 and 👩‍💻")]
    #[case::flag("🇧🇷")]
    #[case::cjk("你好，世界")]
    #[case::nul_and_control_bytes("a\0b\tc\r\n")]
    fn decode_accepts_valid_utf8(#[case] text: &'static str) {
        check(HINT_DECODE, move || {
            let got = call("decode", move || bytes_and_strings::decode(text.as_bytes()));
            match got {
                Ok(got) if got == text => {}
                Ok(got) => Failure::new("`decode` returned another text than the one in the bytes")
                    .field("bytes", show(text.as_bytes()))
                    .field("expected", show_text(text))
                    .field("got", show_text(&got))
                    .fail(),
                Err(e) => Failure::new("`decode` refused bytes that are valid UTF-8")
                    .field("bytes", show(text.as_bytes()))
                    .field("expected", format!("Ok({text:?})"))
                    .field("got", format!("Err({e:?})"))
                    .fail(),
            }
        });
    }

    #[rstest]
    #[case::byte_ff(b"\xff", 0, Some(1))]
    #[case::ff_after_text(b"ok \xff", 3, Some(1))]
    #[case::lone_continuation_byte(b"a\x80b", 1, Some(1))]
    #[case::latin1_e_acute(b"caf\xe9!", 3, Some(1))]
    #[case::truncated_at_the_end(b"ol\xc3", 2, None)]
    #[case::truncated_emoji(b"\xf0\x9f\xa6", 0, None)]
    #[case::truncated_in_the_middle(b"\xe2\x82z", 0, Some(2))]
    #[case::overlong_slash_c0_af(b"\xc0\xaf", 0, Some(1))]
    #[case::surrogate(b"\xed\xa0\x80", 0, Some(1))]
    #[case::beyond_u10ffff(b"\xf4\x90\x80\x80", 0, Some(1))]
    fn decode_rejects_invalid_utf8(
        #[case] bytes: &'static [u8],
        #[case] valid_up_to: usize,
        #[case] error_len: Option<usize>,
    ) {
        check(HINT_DECODE, move || {
            let got = call("decode", move || bytes_and_strings::decode(bytes));
            let expected = InvalidUtf8 { valid_up_to, error_len };
            match got {
                Err(e) if e == expected => {}
                Err(e) => Failure::new("`decode` refused the bytes, but its error says the wrong place")
                    .field("bytes", show(bytes))
                    .field("expected", format!("Err({expected:?})"))
                    .field("got", format!("Err({e:?})"))
                    .fail(),
                Ok(text) => Failure::new("`decode` accepted bytes that are not UTF-8")
                    .field("bytes", show(bytes))
                    .field("expected", format!("Err({expected:?}): {expected}"))
                    .field("got", format!("Ok({text:?})"))
                    .fail(),
            }
        });
    }

    #[rstest]
    #[case::empty(b"", "")]
    #[case::valid_text("Olá".as_bytes(), "Olá")]
    #[case::byte_ff(b"a\xffb", "a\u{FFFD}b")]
    #[case::lone_continuation_byte(b"\x80", "\u{FFFD}")]
    #[case::latin1_e_acute(b"caf\xe9", "caf\u{FFFD}")]
    #[case::truncated_at_the_end(b"ol\xc3", "ol\u{FFFD}")]
    #[case::truncated_in_the_middle(b"\xe2\x82z", "\u{FFFD}z")]
    #[case::overlong_slash_c0_af(b"\xc0\xaf", "\u{FFFD}\u{FFFD}")]
    fn decode_lossy_replaces_what_is_not_utf8(#[case] bytes: &'static [u8], #[case] expected: &'static str) {
        check(HINT_LOSSY, move || {
            let got = call("decode_lossy", move || bytes_and_strings::decode_lossy(bytes));
            if got != expected {
                Failure::new("`decode_lossy` gave another text than String::from_utf8_lossy would")
                    .field("bytes", show(bytes))
                    .field("expected", show_text(expected))
                    .field("got", show_text(&got))
                    .fail();
            }
        });
    }
}

mod counting {
    use super::*;
    use rstest::rstest;

    const HINT: &str = "`text.len()` counts bytes; `text.chars().count()` counts characters (code points). \
                        Book: Bytes and strings › Counting bytes and characters";

    fn expect_count(function: &str, text: &str, expected: usize, got: usize) {
        if got != expected {
            Failure::new(format!("`{function}` counted wrong"))
                .field("text", show(text.as_bytes()))
                .field("expected", expected)
                .field("got", got)
                .fail();
        }
    }

    #[rstest]
    #[case::empty("", 0)]
    #[case::ascii("hello", 5)]
    #[case::portuguese("ação", 6)]
    #[case::greeting("Olá, mundo!", 12)]
    #[case::crab("🦀", 4)]
    #[case::woman_technologist("👩‍💻", 11)]
    #[case::flag("🇧🇷", 8)]
    #[case::cjk("你好，世界", 15)]
    #[case::combining_accent("e\u{301}", 3)]
    fn byte_len_of(#[case] text: &'static str, #[case] expected: usize) {
        check(HINT, move || {
            let got = call("byte_len", move || bytes_and_strings::byte_len(text));
            expect_count("byte_len", text, expected, got);
        });
    }

    #[rstest]
    #[case::empty("", 0)]
    #[case::ascii("hello", 5)]
    #[case::portuguese("ação", 4)]
    #[case::greeting("Olá, mundo!", 11)]
    #[case::crab("🦀", 1)]
    #[case::woman_technologist("👩‍💻", 3)]
    #[case::flag("🇧🇷", 2)]
    #[case::cjk("你好，世界", 5)]
    #[case::combining_accent("e\u{301}", 2)]
    fn char_count_of(#[case] text: &'static str, #[case] expected: usize) {
        check(HINT, move || {
            let got = call("char_count", move || bytes_and_strings::char_count(text));
            expect_count("char_count", text, expected, got);
        });
    }
}

mod hexdump {
    use super::*;
    use harness::confirm;
    use rstest::rstest;

    const HINT: &str = "16 bytes a line: the `{:08x}` offset and two spaces; then, for each of the 16 positions, \
                        `{:02x} ` or (past the end of a short line) three spaces, and one more space after the \
                        8th position, even when it is empty; then ` |ascii|`; and a last line with the length. \
                        Book: Bytes and strings › Reading a hex dump";

    /// Runs the learner's `hexdump` and fails, line by line, where it differs
    /// from the layout of `hexdump -C` (the harness's own).
    fn learner_hexdump(bytes: Vec<u8>) -> String {
        let input = bytes.clone();
        let got = call("hexdump", move || bytes_and_strings::hexdump(&input));
        let expected = harness::hexdump(&bytes);
        if got == expected {
            return got;
        }
        let expected_lines: Vec<&str> = expected.split_inclusive('\n').collect();
        let got_lines: Vec<&str> = got.split_inclusive('\n').collect();
        let line = expected_lines
            .iter()
            .zip(&got_lines)
            .position(|(e, g)| e != g)
            .unwrap_or(got_lines.len().min(expected_lines.len()));
        let nth = |lines: &[&str]| lines.get(line).map_or("(no such line)".to_string(), |l| format!("{l:?}"));
        let column = match (expected_lines.get(line), got_lines.get(line)) {
            (Some(e), Some(g)) => {
                let at = e.chars().zip(g.chars()).position(|(a, b)| a != b).unwrap_or(e.len().min(g.len()));
                format!("column {} (counting from 1)", at + 1)
            }
            _ => "a line is missing".to_string(),
        };
        // A few lines around the first difference, control characters escaped so
        // that a raw newline or tab in the learner's dump cannot break the layout.
        let from = line.saturating_sub(1);
        let around = |lines: &[&str]| {
            let mut shown = String::new();
            for l in lines.iter().skip(from).take(3) {
                let l = l.strip_suffix('\n').unwrap_or(l);
                let _ = writeln!(
                    shown,
                    "{}",
                    l.chars()
                        .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
                        .collect::<String>()
                );
            }
            shown.trim_end().to_string()
        };
        let mut failure =
            Failure::new(format!("the hex dump differs from `hexdump -C`'s layout, first on line {}", line + 1))
                .field("bytes", show(&bytes))
                .field("expected line", nth(&expected_lines))
                .field("got line", nth(&got_lines))
                .field("first difference", column)
                .field(&format!("expected, lines {}-", from + 1), around(&expected_lines))
                .field(
                    &format!("got, lines {}-", from + 1),
                    if got.is_empty() { "(an empty string)".to_string() } else { around(&got_lines) },
                );
        // The ASCII column starts after the offset (10) and the hex (16 × 3 + 1) and " |".
        let ascii_of = |l: &str| l.get(61..).map(str::to_string);
        if let (Some(e), Some(g)) =
            (expected_lines.get(line).and_then(|l| ascii_of(l)), got_lines.get(line).and_then(|l| ascii_of(l)))
        {
            if e != g && expected_lines[line].get(..61) == got_lines[line].get(..61) {
                failure = failure.field(
                    "likely",
                    "the ASCII column: a byte that is not printable (a control byte like \\n or \\t, or \
                     0x7f and up) is shown as `.`; only `is_ascii_graphic()` bytes and the space are shown as themselves",
                );
            }
        }
        failure.fail()
    }

    #[rstest]
    #[case::empty(Vec::new())]
    #[case::one_byte(b"A".to_vec())]
    #[case::eight_bytes(b"12345678".to_vec())]
    #[case::fifteen_bytes(b"fifteen bytes!!".to_vec())]
    #[case::sixteen_bytes(b"sixteen bytes..!".to_vec())]
    #[case::seventeen_bytes(b"seventeen bytes!!".to_vec())]
    #[case::portuguese("ação".as_bytes().to_vec())]
    #[case::every_byte_value((0..=255).collect())]
    #[case::one_kib((0..1024u32).map(|i| (i * 7 % 256) as u8).collect())]
    fn has_the_layout_of_hexdump_c(#[case] bytes: Vec<u8>) {
        check(HINT, move || {
            learner_hexdump(bytes);
        });
    }

    #[rstest]
    #[case::greeting("hexdump_ola_mundo", "Olá, mundo!\n".as_bytes().to_vec())]
    #[case::emoji("hexdump_emoji", "🦀 👩‍💻 🇧🇷".as_bytes().to_vec())]
    #[case::binary("hexdump_binary", b"\x00\x01\x7f\x80\xfe\xff \t\r\n".to_vec())]
    #[case::header_and_body("hexdump_message", confirm::frame("Olá!".as_bytes()))]
    fn snapshot(#[case] name: &'static str, #[case] bytes: Vec<u8>) {
        check(HINT, move || {
            let dump = learner_hexdump(bytes);
            expect_snapshot(name, dump, "the hex dump");
        });
    }
}

mod header {
    use super::*;
    use bytes_and_strings::{HEADER_LEN, MAX_BODY};
    use harness::confirm::raw_header;
    use rstest::rstest;

    const HINT_BUILD: &str = "start from `[b' '; HEADER_LEN]` and copy the digits of `len.to_string()` to its \
                              start; refuse a length over MAX_BODY. \
                              Book: Bytes and strings › Where a message ends: the length header";
    const HINT_PARSE: &str = "one or more ASCII digits, then only spaces; check byte by byte (`is_ascii_digit`), \
                              not with `trim` or `parse`, and stop counting once over the limit. \
                              Book: Bytes and strings › Where a message ends: the length header";

    /// `text` followed by `padding` copies of `pad`.
    fn padded(text: &str, pad: u8, padding: usize) -> Vec<u8> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.resize(bytes.len() + padding, pad);
        bytes
    }

    #[rstest]
    #[case::zero(0)]
    #[case::five(5)]
    #[case::twelve(12)]
    #[case::just_under_the_limit(65535)]
    #[case::the_limit(65536)]
    fn builds_a_64_byte_header(#[case] len: usize) {
        check(HINT_BUILD, move || {
            let got = call("build_header", move || bytes_and_strings::build_header(len));
            let expected = harness::confirm::header(len);
            match got {
                Ok(header) if header[..] == expected[..] => {}
                Ok(header) => Failure::new(format!("`build_header({len})` built the wrong header"))
                    .field("expected", show_header(&expected))
                    .field("got", show_header(&header))
                    .fail(),
                Err(e) => Failure::new(format!("`build_header({len})` refused a length the protocol allows"))
                    .field("expected", show_header(&expected))
                    .field("got", format!("Err({e:?})"))
                    .fail(),
            }
        });
    }

    #[rstest]
    #[case::one_over_the_limit(65537)]
    #[case::a_million(1_000_000)]
    #[case::the_largest_usize(usize::MAX)]
    fn refuses_to_build_over_the_limit(#[case] len: usize) {
        check(HINT_BUILD, move || {
            let got = call("build_header", move || bytes_and_strings::build_header(len));
            if got != Err(HeaderError::TooLarge) {
                Failure::new(format!("`build_header({len})` must refuse a length over {MAX_BODY}"))
                    .field("expected", "Err(TooLarge)")
                    .field("got", got.map_or_else(|e| format!("Err({e:?})"), |h| format!("Ok({})", show_header(&h))))
                    .fail();
            }
        });
    }

    #[rstest]
    #[case::five(raw_header("5"), 5)]
    #[case::twelve(raw_header("12"), 12)]
    #[case::zero(raw_header("0"), 0)]
    #[case::leading_zeros(raw_header("007"), 7)]
    #[case::the_limit(raw_header("65536"), 65536)]
    #[case::sixty_four_digits_no_space(padded("", b'0', 59).into_iter().chain(*b"65536").collect(), 65536)]
    #[case::shorter_than_64_bytes(b"42".to_vec(), 42)]
    fn parses_a_valid_header(#[case] header: Vec<u8>, #[case] expected: usize) {
        check(HINT_PARSE, move || {
            let input = header.clone();
            let got = call("parse_header", move || bytes_and_strings::parse_header(&input));
            if got != Ok(expected) {
                Failure::new("`parse_header` misread a valid header")
                    .field("header", show_header(&header))
                    .field("expected", format!("Ok({expected})"))
                    .field("got", format!("{got:?}"))
                    .fail();
            }
        });
    }

    #[rstest]
    #[case::empty(Vec::new(), HeaderError::Empty)]
    #[case::only_spaces(raw_header(""), HeaderError::Empty)]
    #[case::leading_space(raw_header(" 12"), HeaderError::LeadingSpace)]
    #[case::letters(raw_header("abc"), HeaderError::NotADigit { at: 0, byte: b'a' })]
    #[case::digits_then_a_letter(raw_header("12a"), HeaderError::NotADigit { at: 2, byte: b'a' })]
    #[case::minus_sign(raw_header("-5"), HeaderError::NotADigit { at: 0, byte: b'-' })]
    #[case::plus_sign(raw_header("+5"), HeaderError::NotADigit { at: 0, byte: b'+' })]
    #[case::tab_before(raw_header("\t5"), HeaderError::NotADigit { at: 0, byte: b'\t' })]
    #[case::tab_after(raw_header("5\t"), HeaderError::NotADigit { at: 1, byte: b'\t' })]
    #[case::newline_after(raw_header("12\n"), HeaderError::NotADigit { at: 2, byte: b'\n' })]
    #[case::nul_padding(padded("5", 0, 63), HeaderError::NotADigit { at: 1, byte: 0 })]
    #[case::arabic_indic_digits(raw_header("٤٢"), HeaderError::NotADigit { at: 0, byte: 0xd9 })]
    #[case::digit_after_a_space(raw_header("1 2"), HeaderError::DigitAfterSpace { at: 2 })]
    #[case::one_over_the_limit(raw_header("65537"), HeaderError::TooLarge)]
    #[case::far_over_the_limit(raw_header("99999999"), HeaderError::TooLarge)]
    #[case::sixty_digits(padded("1", b'0', 59), HeaderError::TooLarge)]
    #[case::wraps_to_1_in_u64(raw_header("18446744073709551617"), HeaderError::TooLarge)]
    #[case::sixty_four_nines(padded("", b'9', 64), HeaderError::TooLarge)]
    #[case::sixty_five_bytes(padded("5", b' ', 64), HeaderError::TooLong { len: 65 })]
    fn rejects_a_malformed_header(#[case] header: Vec<u8>, #[case] expected: HeaderError) {
        check(HINT_PARSE, move || {
            let input = header.clone();
            let got = call("parse_header", move || bytes_and_strings::parse_header(&input));
            if got != Err(expected) {
                let what = match got {
                    Ok(_) => "`parse_header` accepted a header the protocol refuses",
                    Err(_) => "`parse_header` refused the header, but named another broken rule",
                };
                Failure::new(what)
                    .field("header", show_header(&header))
                    .field("expected", format!("Err({expected:?}): {expected}"))
                    .field("got", format!("{got:?}"))
                    .fail();
            }
        });
    }

    #[test]
    fn a_built_header_parses_back() {
        check(HINT_PARSE, || {
            for len in [0, 1, 9, 10, 99, 100, 4096, 65535, MAX_BODY] {
                let got = call("build_header then parse_header", move || {
                    let header = bytes_and_strings::build_header(len).map_err(|e| format!("build_header: {e:?}"))?;
                    assert_eq!(header.len(), HEADER_LEN);
                    bytes_and_strings::parse_header(&header).map_err(|e| format!("parse_header: {e:?}"))
                });
                if got != Ok(len) {
                    Failure::new(format!("the header built for {len} does not parse back to {len}"))
                        .field("expected", format!("Ok({len})"))
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            }
        });
    }
}

mod chunks {
    use super::*;
    use bytes_and_strings::ChunkDecoder;
    use rstest::rstest;

    const HINT: &str = "join the held-back bytes and the chunk, decode with `std::str::from_utf8`; when its \
                        error's `error_len()` is None the end is an incomplete character: keep those bytes in \
                        `self.pending` for the next chunk. Book: Bytes and strings › Characters cut between reads";
    const HINT_ERRORS: &str = "an error whose `error_len()` is Some(n) can never be fixed by more bytes: return it \
                               at once, counting `valid_up_to` from the start of the stream (`self.decoded`). \
                               Book: Bytes and strings › Characters cut between reads";

    /// Pushes each chunk and finishes, on a thread with a deadline; returns
    /// what each push returned, the pending bytes after each, and `finish`'s result.
    type Outcome = (Vec<Result<String, InvalidUtf8>>, Vec<Vec<u8>>, Option<Result<(), InvalidUtf8>>);

    fn feed(chunks: Vec<Vec<u8>>) -> Outcome {
        call("ChunkDecoder", move || {
            let mut decoder = ChunkDecoder::new();
            let mut outputs = Vec::new();
            let mut pending = Vec::new();
            for chunk in &chunks {
                let out = decoder.push(chunk);
                let failed = out.is_err();
                outputs.push(out);
                pending.push(decoder.pending().to_vec());
                if failed {
                    return (outputs, pending, None);
                }
            }
            (outputs, pending, Some(decoder.finish()))
        })
    }

    /// Chunks as owned buffers, from byte-string literals.
    fn pieces(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.to_vec()).collect()
    }

    fn show_chunks(chunks: &[Vec<u8>]) -> String {
        const SHOWN: usize = 8;
        let mut lines: Vec<String> = chunks.iter().take(SHOWN).map(|c| show(c)).collect();
        if chunks.len() > SHOWN {
            lines.push(format!("… and {} more chunks", chunks.len() - SHOWN));
        }
        lines.join("\n")
    }

    /// Feeds `chunks` of `text`, expecting every push to succeed, the pushes
    /// to add up to `text`, nothing to be held back at the end, and `finish`
    /// to succeed.
    fn expect_text(text: &str, chunks: Vec<Vec<u8>>) -> Outcome {
        let outcome = feed(chunks.clone());
        let (outputs, pending, finish) = &outcome;
        let mut joined = String::new();
        for (i, out) in outputs.iter().enumerate() {
            match out {
                Ok(part) => joined.push_str(part),
                Err(e) => Failure::new(format!("`push` refused chunk number {} of valid UTF-8", i + 1))
                    .field("chunks", show_chunks(&chunks))
                    .field("got", format!("Err({e:?})"))
                    .fail(),
            }
            if pending[i].len() > 3 {
                Failure::new(format!("after chunk number {}, the decoder holds back more than 3 bytes", i + 1))
                    .field("chunks", show_chunks(&chunks))
                    .field("pending", show(&pending[i]))
                    .field("why it matters", "a character has at most 4 bytes: at most 3 can wait for the rest")
                    .fail();
            }
        }
        if joined != text {
            let mut failure = Failure::new("the text returned by the pushes is not the text that was sent")
                .field("chunks", show_chunks(&chunks))
                .field("expected", show_text(text))
                .field("got", show_text(&joined));
            if joined.contains('\u{FFFD}') {
                failure = failure.field(
                    "likely",
                    "each chunk was decoded on its own, lossily: the pieces of a character cut between two \
                     chunks became U+FFFD (�). Hold back the incomplete end of a chunk (in `self.pending`) \
                     and decode it together with the next chunk",
                );
            }
            failure.fail();
        }
        if *finish != Some(Ok(())) {
            Failure::new("`finish` complained, but the stream ended on a whole character")
                .field("chunks", show_chunks(&chunks))
                .field("expected", "Ok(())")
                .field("got", format!("{finish:?}"))
                .fail();
        }
        outcome
    }

    const MIXED: &str = "Olá, 世界! 🦀👩‍💻 ação.";

    #[rstest]
    #[case::empty("")]
    #[case::ascii("hello")]
    #[case::portuguese("Olá, mundo! ação")]
    #[case::emoji("🦀 👩‍💻 🇧🇷")]
    #[case::cjk("你好，世界")]
    fn decodes_a_whole_text_in_one_chunk(#[case] text: &'static str) {
        check(HINT, move || {
            expect_text(text, vec![text.as_bytes().to_vec()]);
        });
    }

    /// `"[🦀]"` is `5b f0 9f a6 80 5d`: the crab is cut after `cut` bytes.
    #[rstest]
    #[case::before_the_emoji(1, "[", &[])]
    #[case::after_its_1st_byte(2, "[", &[0xf0])]
    #[case::after_its_2nd_byte(3, "[", &[0xf0, 0x9f])]
    #[case::after_its_3rd_byte(4, "[", &[0xf0, 0x9f, 0xa6])]
    #[case::after_the_emoji(5, "[🦀", &[])]
    fn a_four_byte_emoji_cut(#[case] cut: usize, #[case] first: &'static str, #[case] held_back: &'static [u8]) {
        check(HINT, move || {
            let bytes = "[🦀]".as_bytes();
            let chunks = vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()];
            let (outputs, pending, _) = expect_text("[🦀]", chunks.clone());
            if outputs[0].as_deref() != Ok(first) || pending[0] != held_back {
                Failure::new("the first push must return every whole character and hold back the rest")
                    .field("chunks", show_chunks(&chunks))
                    .field("expected", format!("{} returned, {} held back", show_text(first), show(held_back)))
                    .field("got", format!("{:?} returned, {} held back", outputs[0], show(&pending[0])))
                    .fail();
            }
        });
    }

    #[test]
    fn decodes_byte_by_byte_as_soon_as_each_character_is_whole() {
        check(HINT, || {
            let bytes = MIXED.as_bytes();
            let chunks: Vec<Vec<u8>> = bytes.iter().map(|&b| vec![b]).collect();
            let (outputs, _, _) = expect_text(MIXED, chunks);
            // The character that ends at byte i is due from the push of byte i.
            let mut due = vec![String::new(); bytes.len()];
            for (start, c) in MIXED.char_indices() {
                due[start + c.len_utf8() - 1].push(c);
            }
            for (i, (out, expected)) in outputs.iter().zip(&due).enumerate() {
                if out.as_deref() != Ok(expected.as_str()) {
                    Failure::new(format!("pushing byte {i} should return {expected:?}, the character it completes"))
                        .field("bytes so far", show(&bytes[..=i]))
                        .field("expected", format!("Ok({expected:?})"))
                        .field("got", format!("{out:?}"))
                        .field("why it matters", "a chat shows each character as soon as it has arrived")
                        .fail();
                }
            }
        });
    }

    #[rstest]
    #[case::two_bytes(2)]
    #[case::three_bytes(3)]
    #[case::five_bytes(5)]
    #[case::seven_bytes(7)]
    fn decodes_in_chunks_of(#[case] size: usize) {
        check(HINT, move || {
            let chunks = MIXED.as_bytes().chunks(size).map(<[u8]>::to_vec).collect();
            expect_text(MIXED, chunks);
        });
    }

    #[rstest]
    #[case::byte_ff(pieces(&[b"\xff"]), 0, Some(1))]
    #[case::ff_in_a_later_chunk(pieces(&[b"ab", b"c\xff"]), 3, Some(1))]
    #[case::lone_continuation_byte(pieces(&[b"ok", b"\x80"]), 2, Some(1))]
    #[case::overlong_lead_byte_c0(pieces(&[b"\xc0"]), 0, Some(1))]
    #[case::byte_f5(pieces(&[b"\xf5"]), 0, Some(1))]
    #[case::cut_emoji_broken_by_the_next_chunk(pieces(&[b"xy\xf0\x9f", b"A"]), 2, Some(2))]
    #[case::surrogate_across_chunks(pieces(&[b"\xed", b"\xa0\x80"]), 0, Some(1))]
    fn refuses_bytes_that_can_never_be_valid(
        #[case] chunks: Vec<Vec<u8>>,
        #[case] valid_up_to: usize,
        #[case] error_len: Option<usize>,
    ) {
        check(HINT_ERRORS, move || {
            let (outputs, _, _) = feed(chunks.clone());
            let expected = InvalidUtf8 { valid_up_to, error_len };
            let last = chunks.len() - 1;
            if let Some(i) = outputs.iter().position(Result::is_err).filter(|&i| i < last) {
                Failure::new(format!("`push` refused chunk number {}, which more bytes could still complete", i + 1))
                    .field("chunks", show_chunks(&chunks))
                    .field("got", format!("{:?}", outputs[i]))
                    .fail();
            }
            match outputs.get(last) {
                Some(Err(e)) if *e == expected => {}
                got => Failure::new(if matches!(got, Some(Err(_))) {
                    "`push` refused the bytes, but its error says the wrong place (count from the stream's start)"
                } else {
                    "`push` must refuse bytes that can never be UTF-8, at once"
                })
                .field("chunks", show_chunks(&chunks))
                .field("expected", format!("Err({expected:?}) from the last push"))
                .field("got", got.map_or("nothing".to_string(), |g| format!("{g:?}")))
                .fail(),
            }
        });
    }

    #[rstest]
    #[case::cut_two_byte_character(pieces(&[b"a\xc3"]), 1)]
    #[case::cut_emoji(pieces(&[b"ok", b"\xf0\x9f\xa6"]), 2)]
    fn finish_reports_an_incomplete_character(#[case] chunks: Vec<Vec<u8>>, #[case] at: usize) {
        check(
            "`finish` is the end of the stream: bytes still held back are a character that will never \
             be completed. Book: Bytes and strings › Characters cut between reads",
            move || {
                let (outputs, _, finish) = feed(chunks.clone());
                if let Some(Err(e)) = outputs.iter().find(|o| o.is_err()) {
                    Failure::new("`push` refused a chunk ending in an incomplete character; hold it back instead")
                        .field("chunks", show_chunks(&chunks))
                        .field("got", format!("Err({e:?})"))
                        .fail();
                }
                let expected = InvalidUtf8 { valid_up_to: at, error_len: None };
                if finish != Some(Err(expected)) {
                    Failure::new("`finish` must report the incomplete character left at the end")
                        .field("chunks", show_chunks(&chunks))
                        .field("expected", format!("Err({expected:?})"))
                        .field("got", finish.map_or("nothing".to_string(), |f| format!("{f:?}")))
                        .fail();
                }
            },
        );
    }
}

mod end_to_end {
    use super::*;
    use assert_cmd::Command;
    use harness::IO_DEADLINE;

    const INSPECT: &str = env!("CARGO_BIN_EXE_bytes-inspect");
    const HINT: &str = "`bytes-inspect` prints what your `decode`, `byte_len`, `char_count`, `decode_lossy` \
                        and `hexdump` return. Try it: `just run 01 inspect ação`. Book: Bytes and strings › Your turn";

    /// Runs `bytes-inspect` and returns a transcript of what it printed.
    fn inspect(args: &[&str], stdin: Option<&[u8]>) -> String {
        let mut cmd = Command::new(INSPECT);
        cmd.args(args).timeout(IO_DEADLINE);
        cmd.write_stdin(stdin.unwrap_or_default().to_vec());
        let output = cmd.output().expect("run bytes-inspect");
        let mut command = String::from("$ bytes-inspect");
        for arg in args {
            command = command + " " + arg;
        }
        if let Some(input) = stdin {
            command = command + " < " + &show_bytes(input);
        }
        format!(
            "{command}\n--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
            output.status.code().map_or("killed".into(), |c| c.to_string()),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        )
    }

    #[test]
    fn inspect_shows_the_bytes_of_an_argument() {
        check(HINT, || {
            let transcript = inspect(&["ação"], None);
            expect_snapshot("inspect_acao", transcript, "what bytes-inspect printed");
        });
    }

    #[test]
    fn inspect_shows_emoji_made_of_several_characters() {
        check(HINT, || {
            let transcript = inspect(&["👩‍💻", "🇧🇷"], None);
            expect_snapshot("inspect_emoji", transcript, "what bytes-inspect printed");
        });
    }

    #[test]
    fn inspect_reads_raw_bytes_from_standard_input() {
        check(HINT, || {
            let transcript = inspect(&[], Some(b"caf\xe9 \xf0\x9f\xa6\x80\n"));
            expect_snapshot("inspect_latin1_stdin", transcript, "what bytes-inspect printed");
        });
    }
}
