//! Checks for lesson 03, the confirmation server. Run them with `just check 03`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - basics: messages are confirmed, `!DISCONNECT` ends the conversation, the
//!   text arrives intact, the client function works;
//! - framing: headers and bodies split into pieces or merged in one write,
//!   the empty message, the largest message;
//! - robustness: bad headers, lengths over the limit, bodies that are not
//!   UTF-8, clients that vanish; the server goes on serving the next client;
//! - end_to_end: the binaries, as a person would use them.

mod support;

use std::io::Cursor;
use std::net::TcpListener;

use confirm::framing::FrameError;
use harness::confirm::{frame, frames, header, raw_header};
use harness::{check, check_within, run_within, show_bytes, show_bytes_end, Client, Failure, Server, IO_DEADLINE};

/// The deadline of a check that calls `read_message` on bytes in memory: a
/// correct one returns in microseconds, and one that loops at the end of the
/// data (a read of 0 taken for "nothing yet") fails in seconds, not in the
/// ten a check with sockets gets.
const IN_MEMORY: std::time::Duration = std::time::Duration::from_secs(3);

/// Starts the learner's confirmation server on a free port.
fn confirm_server() -> Server {
    Server::start("confirm::serve", confirm::serve)
}

/// After a client was refused (`refused` says how), connects a new client
/// and checks that it is served: a message is confirmed and `!DISCONNECT`
/// ends the conversation.
///
/// When the refused client is still connected (it read the ERROR line and the
/// end of stream, but has not closed its socket), a server whose drain waits
/// for that close keeps the next client waiting, and the failure says so.
/// Only `the_error_line_survives_bytes_sent_after_it` keeps it open, so that
/// one check waits out the drain's bound (DRAIN_TIME); the others close it,
/// and the drain ends at once.
fn expect_next_client_served(server: &Server, refused: &str) {
    use std::io::Read;
    let mut next = server.connect();
    let started = std::time::Instant::now();
    next.send_message("the next client");
    let mut reply = [0u8; 13];
    let mut stream = next.stream().try_clone().expect("clone a socket handle");
    let _ = stream.set_read_timeout(Some(IO_DEADLINE));
    if let Err(e) = stream.read_exact(&mut reply) {
        let waited = started.elapsed().as_secs_f64();
        let mut failure = next
            .failure(&format!(
                "after a client that was refused ({refused}), the next client waited {waited:.1} s with no confirmation"
            ))
            .field(
                "error",
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                    format!("no reply within {} s", IO_DEADLINE.as_secs())
                } else {
                    e.to_string()
                },
            );
        if server.stopped().is_none() {
            failure = failure
                .field(
                    "likely",
                    "`refuse` is still draining the refused client. That client has read the ERROR line and \
                     the end of stream but has not closed its socket, so a drain that waits for its end of \
                     stream (`read_to_end`, or a loop with no deadline) waits as long as the client likes, and \
                     nobody else is served meanwhile.\nIs the drain in `refuse` bounded in time and bytes? Stop \
                     after DRAIN_TIME (`set_read_timeout` with the time left) or DRAIN_BYTES, whichever comes first.",
                )
                .field("read", "Book: The confirmation server › Closing gracefully");
        }
        failure.fail();
    }
    if &reply != b"Msg received\n" {
        next.fail("expected the confirmation `Msg received\\n`", &show_bytes(&reply));
    }
    next.disconnect();
}

/// What `read_message` returned, shown the way a person reads it.
fn show_outcome(outcome: &Result<Option<String>, FrameError>) -> String {
    match outcome {
        Ok(Some(text)) => format!("Ok(Some({}))", show_bytes(text.as_bytes())),
        Ok(None) => "Ok(None)".to_string(),
        Err(e) => format!("Err({e:?})"),
    }
}

/// Reads every message from `reader` with the learner's `read_message` and
/// fails unless they are exactly `bodies`, followed by a clean end (`Ok(None)`).
/// Each call has a deadline: a loop that never stops is named as such.
fn expect_messages(reader: impl std::io::Read + Send + 'static, bodies: &[&str], how: &str) {
    let wanted = bodies.len();
    let outcomes = harness::run_within_or(
        "`read_message`",
        std::time::Duration::from_secs(2),
        "a loop on `read` that does not stop when `read` returns 0. Zero means the end of the stream: \
         no byte will ever come again, so `read_message` must return (Ok(None) before a header, \
         Err(Truncated) inside one) instead of trying again",
        move || {
            let mut reader = reader;
            (0..=wanted).map(|_| confirm::framing::read_message(&mut reader)).collect::<Vec<_>>()
        },
    );
    for (i, body) in bodies.iter().enumerate() {
        let got = &outcomes[i];
        if matches!(got, Ok(Some(text)) if text == body) {
            continue;
        }
        let mut failure =
            Failure::new(format!("`read_message` did not return message {} of {} {how}", i + 1, bodies.len()))
                .field("expected", format!("Ok(Some({}))", show_bytes(body.as_bytes())))
                .field("got", show_outcome(got));
        let likely = match got {
            Ok(None) if i > 0 => Some(
                "the stream still held this message, but the previous call had taken its bytes and thrown \
                 them away: one `read` into a big buffer takes whatever has arrived, maybe the next message \
                 too. Read exactly 64 bytes of header, then exactly the body (`read_exact`), nothing more",
            ),
            Err(FrameError::BadHeader(_)) => Some(
                "this header is well formed: the length's digits, then spaces up to 64 bytes. Read the digits \
                 only, up to the first space (`str::parse` fails on the padding spaces)",
            ),
            _ => None,
        };
        if let Some(likely) = likely {
            failure = failure.field("likely", likely);
        }
        failure.fail();
    }
    let end = &outcomes[wanted];
    if !matches!(end, Ok(None)) {
        Failure::new(format!("after the last message, the stream ends: `read_message` should return Ok(None) {how}"))
            .field("got", show_outcome(end))
            .fail();
    }
}

mod basics {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::ascii("hello")]
    #[case::portuguese("Olá, mundo! Ação e coração.")]
    #[case::emoji("🦀 + 🔌 = 💬")]
    #[case::cjk("你好，世界")]
    fn read_message_returns_the_text_intact(#[case] text: &'static str) {
        check_within(
            IN_MEMORY,
            "a message is 64 bytes of header (the body's length: digits, then spaces), then exactly \
             that many bytes of body (bytes, not characters: \"Olá\" is 4), turned into a String with \
             `String::from_utf8`; nothing more is read. Book: The confirmation server › A fixed-width header",
            move || {
                let mut wire = frame(text.as_bytes());
                wire.extend(frame(b"and the next one"));
                expect_messages(Cursor::new(wire), &[text, "and the next one"], "(from a byte slice)");
            },
        );
    }

    #[test]
    fn confirms_one_message() {
        check(
            "`serve` accepts each client in a loop and hands it to `handle_client`, which reads each \
             message with `read_message` and answers `Msg received\\n` (both in src/lib.rs). \
             Book: The confirmation server › One client at a time",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send_and_confirm("hello");
            },
        );
    }

    #[test]
    fn confirms_several_messages_in_a_row() {
        check(
            "keep reading messages in a loop on the same connection, and confirm each one. \
             Book: The confirmation server › End of stream or !DISCONNECT",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                for text in ["first", "second", "third"] {
                    client.send_and_confirm(text);
                }
            },
        );
    }

    #[test]
    fn confirms_disconnect_then_closes() {
        check(
            "`!DISCONNECT` is a message like the others, so confirm it; then close the \
             connection (shut down writing, let the stream drop). \
             Book: The confirmation server › End of stream or !DISCONNECT",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send_and_confirm("one message first");
                client.disconnect();
            },
        );
    }

    #[test]
    fn serves_the_next_client_after_a_disconnect() {
        check(
            "`!DISCONNECT` ends one conversation, not the server: after `handle_client` returns, \
             however the client left, `serve` goes back to `accept` for the next client. \
             Book: The confirmation server › One client at a time",
            || {
                let server = confirm_server();
                let mut first = server.connect();
                first.send_and_confirm("I will say goodbye");
                first.disconnect();
                let mut next = server.connect();
                next.send_and_confirm("and I come next");
                next.disconnect();
                server.assert_running("a client said !DISCONNECT");
            },
        );
    }

    #[test]
    fn send_messages_returns_the_confirmations() {
        check(
            "the client: `Connection::send` writes one message with `write_message` and reads \
             one reply line; `send_messages` sends each, then `!DISCONNECT`, then reads to the end. \
             Book: The confirmation server › Your turn",
            || {
                let (addr, bodies) = support::reference_server();
                let got = run_within("`send_messages`", IO_DEADLINE, move || {
                    confirm::send_messages(addr, &["Olá, mundo!", "🦀"])
                });
                let received: Vec<Vec<u8>> = bodies.try_iter().collect();
                let sent = ["Olá, mundo!", "🦀"];
                if let Some((body, cut)) = sent.iter().zip(&received).find(|(b, r)| b.as_bytes() != r.as_slice()) {
                    if b"!DISCONNECT" != cut.as_slice() && body.as_bytes().starts_with(cut) {
                        Failure::new(
                            "the server received a body cut short: the header announced fewer bytes than the body has",
                        )
                        .field("body", show_bytes(body.as_bytes()))
                        .field("received", show_bytes(cut))
                        .field(
                            "likely",
                            format!(
                                "the header must hold the body's length in bytes (`body.len()`: {}), not in \
                                     characters (`chars().count()`: {})",
                                body.len(),
                                body.chars().count()
                            ),
                        )
                        .fail();
                    }
                }
                let replies = match got {
                    Ok(replies) => replies,
                    Err(e) => Failure::new("`send_messages` returned an error").field("error", e).fail(),
                };
                if replies != ["Msg received", "Msg received"] {
                    Failure::new("`send_messages` should return one reply per message, without the `\\n`")
                        .field("sent", "\"Olá, mundo!\", \"🦀\"")
                        .field("expected", "[\"Msg received\", \"Msg received\"]")
                        .field("got", format!("{replies:?}"))
                        .fail();
                }
                let expected: Vec<&[u8]> = vec!["Olá, mundo!".as_bytes(), "🦀".as_bytes(), b"!DISCONNECT"];
                if received != expected {
                    let show = |list: &[&[u8]]| list.iter().map(|b| show_bytes(b)).collect::<Vec<_>>().join(", ");
                    let got: Vec<&[u8]> = received.iter().map(Vec::as_slice).collect();
                    Failure::new("the server did not receive the messages the client was given, then !DISCONNECT")
                        .field("expected", show(&expected))
                        .field("got", show(&got))
                        .fail();
                }
            },
        );
    }
}

mod framing {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::one_digit("5", 5)]
    #[case::zero("0", 0)]
    #[case::leading_zeros("007", 7)]
    #[case::two_digits("12", 12)]
    #[case::the_limit("65536", 65536)]
    fn parse_header_reads_the_length(#[case] text: &str, #[case] expected: usize) {
        let text = text.to_string();
        check(
            "a header is the length in ASCII digits, then spaces up to 64 bytes. \
             Book: The confirmation server › A fixed-width header",
            move || {
                let bytes: [u8; 64] = raw_header(&text).try_into().expect("64 bytes");
                let got = confirm::framing::parse_header(&bytes);
                if !matches!(got, Ok(n) if n == expected) {
                    Failure::new("`parse_header` read the wrong length")
                        .field("header", show_bytes(&bytes))
                        .field("expected", format!("Ok({expected})"))
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::portuguese("Olá")]
    #[case::emoji("🦀")]
    #[case::the_limit(&"é".repeat(32_768))]
    fn write_message_writes_the_header_then_the_body(#[case] body: &str) {
        let body = body.to_string();
        check(
            "`write_message` writes `encode_header(body.len())` then the body's bytes. \
             Book: The confirmation server › A fixed-width header",
            move || {
                let mut wire = Vec::new();
                if let Err(e) = confirm::framing::write_message(&mut wire, &body) {
                    Failure::new("`write_message` returned an error")
                        .field("body", show_bytes(body.as_bytes()))
                        .field("error", e)
                        .fail();
                }
                let expected = frame(body.as_bytes());
                if wire != expected {
                    let at =
                        expected.iter().zip(&wire).position(|(e, g)| e != g).unwrap_or(expected.len().min(wire.len()));
                    let part = |bytes: &[u8]| {
                        if at < 64 {
                            "the header"
                        } else if at < bytes.len() {
                            "the body"
                        } else {
                            "the end"
                        }
                    };
                    Failure::new("`write_message` wrote the wrong bytes")
                        .field("body", show_bytes(body.as_bytes()))
                        .field("expected", format!("{} (the 64-byte header, then the body)", show_bytes(&expected)))
                        .field("got", show_bytes(&wire))
                        .field(
                            "first difference",
                            format!(
                                "at byte {at}, in {} of what was expected: expected {}, got {}",
                                part(&expected),
                                expected.get(at..at + 1).map_or("nothing more".to_string(), show_bytes),
                                wire.get(at..at + 1).map_or("nothing more".to_string(), show_bytes)
                            ),
                        )
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::one_byte_per_read(1)]
    #[case::seven_bytes_per_read(7)]
    #[case::sixty_three_bytes_per_read(63)]
    #[case::a_header_per_read(64)]
    #[case::a_kib_per_read(1024)]
    fn read_message_reads_from_a_trickle(#[case] step: usize) {
        check_within(
            IN_MEMORY,
            "one `read` may return fewer bytes than you asked for, down to 1: loop until the \
             header is full, and use `read_exact` for the body. \
             Book: The confirmation server › read_exact, not read",
            move || {
                let big = "é".repeat(32_768); // 65536 bytes, the largest message
                let bodies = ["Olá, mundo!", "", "🦀 crab", &big, "after the big one"];
                let wire = frames(bodies.iter().map(|b| b.as_bytes()));
                let trickle = support::Trickle::new(wire, step);
                expect_messages(trickle, &bodies, &format!("(from a reader giving {step} byte(s) per read)"));
            },
        );
    }

    #[test]
    fn confirms_a_message_sent_one_byte_at_a_time() {
        check(
            "the bytes of one message may arrive one by one: keep reading until the header \
             is complete, then until the body is. Book: The confirmation server › read_exact, not read",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send_in_pieces(&frame("Olá, byte by byte".as_bytes()), 1, true);
                client.expect_confirmation();
            },
        );
    }

    #[rstest]
    #[case::after_1_byte(1)]
    #[case::mid_header(30)]
    #[case::before_the_last_header_byte(63)]
    #[case::between_header_and_body(64)]
    #[case::mid_body(70)]
    fn confirms_a_message_split_in_two(#[case] at: usize) {
        check(
            "a single `read` returns what has arrived so far, maybe half a header: use \
             `read_exact` (or loop) until you have all 64 bytes, then all of the body. \
             Book: The confirmation server › read_exact, not read",
            move || {
                let server = confirm_server();
                let mut client = server.connect();
                let message = frame("split in two, Olá!".as_bytes());
                client.send(&message[..at]);
                client.pause();
                client.send(&message[at..]);
                client.expect_confirmation();
                client.send_and_confirm("and one more");
            },
        );
    }

    #[test]
    fn confirms_messages_merged_in_one_write() {
        check(
            "one `read` may bring several messages at once: keep the bytes after the current \
             message for the next one (a `BufReader` created once per client does that). \
             Book: The confirmation server › A stream has no messages",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send(&frames([&b"one"[..], "dois".as_bytes(), "три".as_bytes()]));
                for _ in 0..3 {
                    client.expect_confirmation();
                }
                client.disconnect();
            },
        );
    }

    #[rstest]
    #[case::pieces_of_50(50)]
    #[case::pieces_of_100(100)]
    fn confirms_messages_merged_and_split(#[case] size: usize) {
        check(
            "message boundaries and read boundaries have nothing to do with each other: a \
             read may end in the middle of one message and start the next. \
             Book: The confirmation server › A stream has no messages",
            move || {
                let server = confirm_server();
                let mut client = server.connect();
                let bodies: [&[u8]; 4] = [b"alpha", "beta β".as_bytes(), b"", b"!DISCONNECT"];
                client.send_in_pieces(&frames(bodies), size, true);
                for _ in 0..4 {
                    client.expect_confirmation();
                }
                client.expect_closed();
            },
        );
    }

    #[test]
    fn confirms_an_empty_message() {
        check(
            "a length of 0 is a valid message with an empty body: confirm it, and read the \
             next header right after it. Book: The confirmation server › A fixed-width header",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send_and_confirm("");
                client.send_and_confirm("after the empty one");
            },
        );
    }

    #[test]
    fn confirms_the_largest_message() {
        check(
            "65536 bytes is the limit itself, and allowed: reject only what is over it. \
             A big body arrives in many reads. Book: The confirmation server › A fixed-width header",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send_and_confirm(&"é".repeat(32_768));
                client.disconnect();
            },
        );
    }

    #[test]
    fn the_bytes_on_the_wire() {
        check(
            "the server's replies are exactly `Msg received\\n`, once per message, and \
             nothing else. Book: The confirmation server › The bytes on the wire",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                let sent = frames(["Olá, mundo!".as_bytes(), b"!DISCONNECT"]);
                client.send(&sent);
                client.expect_confirmation();
                client.expect_confirmation();
                client.expect_closed();
                let transcript = format!(
                    "client -> server ({} bytes):\n{}\nserver -> client ({} bytes):\n{}",
                    sent.len(),
                    harness::hexdump(&sent),
                    client.received().len(),
                    harness::hexdump(client.received())
                );
                harness::snapshot_settings().bind(|| insta::assert_snapshot!("bytes_on_the_wire", transcript));
            },
        );
    }
}

mod robustness {
    use super::*;
    use rstest::rstest;
    use std::io::{Read, Write};
    use std::time::Duration;

    #[rstest]
    #[case::empty("")]
    #[case::leading_space(" 5")]
    #[case::letters("five")]
    #[case::plus_sign("+5")]
    #[case::minus_sign("-5")]
    #[case::digits_after_a_space("1 2")]
    #[case::a_tab("5\t")]
    #[case::a_newline("5\n")]
    #[case::a_nul_byte("5\0")]
    fn parse_header_rejects(#[case] text: &str) {
        let text = text.to_string();
        check(
            "a valid header is one or more digits followed only by spaces; anything else is a \
             `FrameError::BadHeader`. Check each byte yourself: `str::parse` accepts \"+5\", and \
             `trim` hides leading spaces. Book: The confirmation server › A fixed-width header",
            move || {
                let bytes: [u8; 64] = raw_header(&text).try_into().expect("64 bytes");
                let got = confirm::framing::parse_header(&bytes);
                if !matches!(got, Err(FrameError::BadHeader(_))) {
                    Failure::new("`parse_header` should reject this header with BadHeader")
                        .field("header", show_bytes(&bytes))
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::one_over("65537")]
    #[case::twenty_digits("99999999999999999999")]
    #[case::sixty_digits(&"9".repeat(60))]
    #[case::sixty_digits_with_leading_zeros(&format!("{}1", "0".repeat(59)))]
    fn parse_header_limits_the_length(#[case] text: &str) {
        let text = text.to_string();
        let fits = text.trim_start_matches('0') == "1";
        check(
            "compare the length with MAX_BODY (65536) while you add up the digits, and never \
             let the number overflow: sixty nines are `TooLong`, not a crash. \
             Book: The confirmation server › A fixed-width header",
            move || {
                let bytes: [u8; 64] = raw_header(&text).try_into().expect("64 bytes");
                let got = confirm::framing::parse_header(&bytes);
                let good = if fits { matches!(got, Ok(1)) } else { matches!(got, Err(FrameError::TooLong(_))) };
                if !good {
                    Failure::new("`parse_header` read this header wrong")
                        .field("header", show_bytes(&bytes))
                        .field("expected", if fits { "Ok(1): leading zeros are fine" } else { "Err(TooLong(_))" })
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::leading_space(" 5")]
    #[case::letters("five")]
    #[case::plus_sign("+5")]
    #[case::digits_after_a_space("1 2")]
    fn refuses_a_malformed_header(#[case] text: &str) {
        let text = text.to_string();
        check(
            "on a bad header, send `ERROR <reason>\\n`, close this connection gracefully (with a drain \
             bounded in time and bytes) and go back to `accept` for the next client. \
             Book: The confirmation server › Errors in a protocol",
            move || {
                let server = confirm_server();
                let mut client = server.connect();
                // Just the header: a server that accepts it waits for a body.
                client.send(&raw_header(&text));
                client.expect_error_and_close();
                drop(client);
                expect_next_client_served(&server, "a malformed header");
            },
        );
    }

    #[rstest]
    #[case::one_over("65537")]
    #[case::twenty_digits("99999999999999999999")]
    #[case::sixty_digits(&"9".repeat(60))]
    fn refuses_a_length_over_the_limit_before_the_body(#[case] text: &str) {
        let text = text.to_string();
        check(
            "check the length against MAX_BODY as soon as the header is in, before reading \
             (or allocating!) the body: the client has sent only the header and waits. \
             Book: The confirmation server › A fixed-width header",
            move || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send(&raw_header(&text));
                client.expect_error_and_close();
                drop(client);
                expect_next_client_served(&server, "a length over the limit");
            },
        );
    }

    #[test]
    fn refuses_a_body_that_is_not_utf8() {
        check(
            "the body must be UTF-8: turn `String::from_utf8`'s error into `FrameError::NotUtf8` \
             and refuse the client; never `unwrap()` what a client sent. \
             Book: The confirmation server › Errors in a protocol",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                client.send(&frame(b"caf\xe9 in Latin-1"));
                client.expect_error_and_close();
                drop(client);
                expect_next_client_served(&server, "a body that is not UTF-8");
            },
        );
    }

    #[test]
    fn read_message_reports_what_went_wrong() {
        check_within(
            IN_MEMORY,
            "`read_message` returns Ok(None) when the stream ends before a header, Truncated \
             when it ends inside one or inside a body, NotUtf8 for a body that is not UTF-8. \
             Book: The confirmation server › End of stream or !DISCONNECT",
            || {
                let whole = frame(b"twelve bytes");
                let cases: [(&str, Vec<u8>, &str); 4] = [
                    ("an empty stream", Vec::new(), "Ok(None)"),
                    ("a stream that ends mid-header", whole[..20].to_vec(), "Err(Truncated)"),
                    ("a stream that ends mid-body", whole[..70].to_vec(), "Err(Truncated)"),
                    ("a body that is not UTF-8", frame(b"\xff\xfe"), "Err(NotUtf8)"),
                ];
                for (what, wire, expected) in cases {
                    let got = confirm::framing::read_message(&mut support::Trickle::new(wire.clone(), 1));
                    let good = match expected {
                        "Ok(None)" => matches!(got, Ok(None)),
                        "Err(Truncated)" => matches!(got, Err(FrameError::Truncated)),
                        _ => matches!(got, Err(FrameError::NotUtf8)),
                    };
                    if !good {
                        Failure::new(format!("`read_message` misread {what}"))
                            .field("input", show_bytes(&wire))
                            .field("expected", expected)
                            .field("got", show_outcome(&got))
                            .fail();
                    }
                }
            },
        );
    }

    #[test]
    fn waits_for_the_whole_body() {
        check(
            "the header says how many bytes the body has: wait for all of them (`read_exact`) \
             before you confirm; a first `read` may bring only 10 of 60000. \
             Book: The confirmation server › read_exact, not read",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                let body = vec![b'z'; 60_000];
                client.send(&header(body.len()));
                client.send(&body[..10]);
                client.expect_silence(Duration::from_millis(300));
                client.send(&body[10..]);
                client.expect_confirmation();
            },
        );
    }

    #[test]
    fn the_error_line_survives_bytes_sent_after_it() {
        check(
            "after the ERROR line, shut down writing and read (and throw away) what the client \
             still sends before you drop the stream: closing with unread bytes makes the kernel \
             send a reset (RST) instead of an orderly close, and a reset can destroy the ERROR line. \
             Bound that drain (DRAIN_TIME, DRAIN_BYTES): the client may never close. \
             Book: The confirmation server › Closing gracefully",
            || {
                let server = confirm_server();
                let mut client = server.connect();
                let mut wire = raw_header("not a length");
                wire.extend(vec![b'x'; 100 * 1024]);
                client.send(&wire);
                client.expect_error_and_close();
                // Still sending for a moment (0.1 s, well within DRAIN_TIME), as a client
                // that has not read the ERROR line yet would: a server that drains takes
                // the bytes; one that has closed its socket answers with a reset.
                let mut stream = client.stream().try_clone().expect("clone a socket handle");
                let started = std::time::Instant::now();
                while started.elapsed() < Duration::from_millis(100) {
                    if let Err(e) = stream.write_all(&[b'y'; 512]) {
                        client
                            .failure("the server reset the connection while the client was still sending, after the ERROR line")
                            .field("error", e)
                            .field(
                                "likely",
                                "`refuse` let the socket close with the client's bytes unread, so the kernel sent a \
                                 reset (RST), which can destroy the ERROR line before the client reads it. After the \
                                 ERROR line, shut down writing, then drain: read (and throw away) what the client \
                                 still sends, for at most DRAIN_TIME or DRAIN_BYTES",
                            )
                            .fail();
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                expect_next_client_served(&server, "100 KiB came after its bad header");
            },
        );
    }

    #[test]
    fn survives_a_client_that_resets_its_connection() {
        check(
            "a client's connection can fail: here a reset (\"Connection reset by peer\") while the server \
             waits for the next message. That error belongs to that client: print it and accept the next \
             client. Never end `serve` with `?` or `unwrap()` on `handle_client`'s result. \
             Book: The confirmation server › One client at a time",
            || {
                let server = confirm_server();
                let mut rude = server.connect();
                rude.send_message("my last message");
                // Leaves with the confirmation unread: the kernel resets the
                // connection, and the server's next read fails.
                rude.reset();
                let mut next = server.connect();
                next.send_and_confirm("the next client");
                next.disconnect();
                server.assert_running("a client reset its connection");
            },
        );
    }

    #[rstest]
    #[case::silent("connects and leaves without a byte", b"".to_vec(), false)]
    #[case::mid_header("leaves in the middle of a header", header(5)[..20].to_vec(), false)]
    #[case::mid_body("leaves in the middle of a body", frame(b"a body cut short")[..70].to_vec(), false)]
    #[case::without_disconnect("leaves after a message, without !DISCONNECT", frame(b"bye?"), false)]
    #[case::half_closes_mid_header("stops sending in the middle of a header", header(5)[..20].to_vec(), true)]
    fn a_client_that_vanishes_costs_nothing(#[case] what: &str, #[case] wire: Vec<u8>, #[case] half_close: bool) {
        let what = what.to_string();
        check(
            "two usual causes. (1) `serve` ended on this client's error: an error of one client (a \
             `shutdown` or a `read` on a connection the client already closed fails with \"Transport \
             endpoint is not connected\" or a reset) must never end `serve`: print it and accept the \
             next client; no `?` on `handle_client`'s result. (2) The server spins: when `read` returns 0 \
             the client has stopped sending, so end the loop (in `handle_client` and in `refuse`'s drain; \
             no `continue`). And a client that stops sending in the middle of a header gets an ERROR line \
             (`Truncated`), not a silent close. Book: The confirmation server › End of stream or !DISCONNECT",
            move || {
                // The learner's server, on a thread whose CPU time can be read.
                let (task_tx, task_rx) = std::sync::mpsc::channel();
                let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                let server = Server::start_with("confirm::serve", listener, move |listener| {
                    let _ = task_tx.send(support::current_task());
                    confirm::serve(listener)
                });
                let task = task_rx.recv_timeout(IO_DEADLINE).ok();
                let cpu = || task.as_ref().and_then(support::thread_cpu_ticks);
                let before = cpu();
                let started = std::time::Instant::now();
                // A server waiting in `accept` or `read` uses almost no CPU.
                const CPU_LIMIT_TICKS: u64 = 10;
                let cpu_text = |ticks: u64| {
                    format!(
                        "{:.2} s of CPU in {:.1} s; a server waiting for clients uses almost none (limit {:.2} s)",
                        ticks as f64 / 100.0,
                        started.elapsed().as_secs_f64(),
                        CPU_LIMIT_TICKS as f64 / 100.0
                    )
                };

                let mut leaving = server.connect();
                leaving.send(&wire);
                if half_close {
                    // Still here, still reading: only its sending side is closed.
                    leaving.shutdown_write();
                    leaving.expect_error_and_close();
                } else {
                    drop(leaving); // the connection closes
                }

                // The next client, read by hand so a spinning server is named as such.
                let mut next = server.connect();
                next.send_message("the next client");
                let mut reply = [0u8; 13];
                let mut stream = next.stream().try_clone().expect("clone a socket handle");
                if let Err(e) = stream.read_exact(&mut reply) {
                    let spent = cpu().zip(before).map(|(after, before)| after.saturating_sub(before));
                    let mut failure = next
                        .failure(&format!("after a client that {what}, the next client got no confirmation"))
                        .field(
                            "error",
                            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                                format!("no reply within {} s", IO_DEADLINE.as_secs())
                            } else {
                                e.to_string()
                            },
                        );
                    if let Some(ticks) = spent {
                        let likely = if ticks > CPU_LIMIT_TICKS {
                            "over the limit, so a loop that spins on `read` returning 0"
                        } else {
                            "not spinning, so is the server still accepting clients?"
                        };
                        failure = failure.field("server CPU", format!("{}: {likely}", cpu_text(ticks)));
                    }
                    failure.fail();
                }
                if &reply != b"Msg received\n" {
                    next.fail("expected the confirmation `Msg received\\n`", &show_bytes(&reply));
                }
                server.assert_running(&format!("a client that {what}"));

                // How much CPU the server thread used (Linux, macOS, Windows). A
                // correct server waits in `read`/`accept` and uses next to none.
                if let (Some(before), Some(after)) = (before, cpu()) {
                    let ticks = after.saturating_sub(before);
                    if ticks > CPU_LIMIT_TICKS {
                        Failure::new(format!("the server thread used too much CPU to deal with a client that {what}"))
                            .field("server CPU", cpu_text(ticks))
                            .field(
                                "likely",
                                "a loop that keeps calling `read` after it returned 0 (end of stream) or an error",
                            )
                            .fail();
                    }
                }
            },
        );
    }

    #[test]
    fn write_message_refuses_a_body_over_the_limit() {
        check(
            "check the body's length before you build the header: over MAX_BODY, return \
             `Err(io::Error::new(ErrorKind::InvalidInput, ...))` and write nothing (`encode_header` \
             panics on such a length). Book: The confirmation server › A fixed-width header",
            || {
                let body = "x".repeat(confirm::framing::MAX_BODY + 1);
                let mut wire = Vec::new();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    confirm::framing::write_message(&mut wire, &body)
                }));
                let got = match outcome {
                    Err(payload) => {
                        let message = payload
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        if message.starts_with("not yet implemented") {
                            std::panic::resume_unwind(payload); // the stub: reported as such
                        }
                        format!("a panic: {message}")
                    }
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidInput && wire.is_empty() => return,
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidInput => {
                        format!("Err(InvalidInput), but {} bytes were written first", wire.len())
                    }
                    Ok(Err(e)) => format!("an error of kind {:?}: {e}", e.kind()),
                    Ok(Ok(())) => format!("Ok(()), after writing {} bytes", wire.len()),
                };
                Failure::new("`write_message` did not refuse a body one byte over the limit")
                    .field("body", "65537 bytes of \"x\"")
                    .field("expected", "Err(e) with e.kind() == ErrorKind::InvalidInput, and nothing written")
                    .field("got", got)
                    .fail();
            },
        );
    }

    #[rstest]
    #[case::closes_without_replying("reads the message, then closes without a reply", b"")]
    #[case::cuts_the_reply_short("answers \"Msg rec\" (no \\n), then closes", b"Msg rec")]
    fn send_reports_a_server_that_closes(#[case] what: &str, #[case] reply: &'static [u8]) {
        let what = what.to_string();
        check(
            "`read_line` returns Ok(0) when the server has closed, and a line without `\\n` when it \
             closed in the middle of one: `Connection::send` must turn both into an `io::Error` of \
             kind `ErrorKind::UnexpectedEof`, never a reply. Book: The confirmation server › Your turn",
            move || {
                let addr = support::scripted_server(move |reader, mut stream| {
                    if support::read_frame(reader).is_some() {
                        let _ = stream.write_all(reply);
                    }
                });
                let got = run_within("`Connection::send`", IO_DEADLINE, move || {
                    let mut connection = confirm::Connection::connect(addr)?;
                    connection.send("is anyone there?")
                });
                match got {
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                    got => Failure::new(format!("a server that {what}: `Connection::send` should fail"))
                        .field("sent", "the message \"is anyone there?\"")
                        .field("server", what)
                        .field("expected", "Err(e) with e.kind() == ErrorKind::UnexpectedEof")
                        .field(
                            "got",
                            match got {
                                Ok(reply) => format!("Ok({reply:?})"),
                                Err(e) => format!("an error of kind {:?}: {e}", e.kind()),
                            },
                        )
                        .fail(),
                }
            },
        );
    }

    /// How the scripted server of `send_messages_checks_the_goodbye` answers `!DISCONNECT`.
    #[derive(Clone, Copy, Debug)]
    enum Farewell {
        AnswersError,
        ClosesWithoutReplying,
        ConfirmsThenClosesLater,
    }

    #[rstest]
    #[case::answers_error(Farewell::AnswersError)]
    #[case::closes_without_replying(Farewell::ClosesWithoutReplying)]
    #[case::confirms_then_closes_later(Farewell::ConfirmsThenClosesLater)]
    fn send_messages_checks_the_goodbye(#[case] goodbye: Farewell) {
        check(
            "after the messages, `send_messages` sends `!DISCONNECT`, checks that the reply is the \
             confirmation (anything else is an error), then reads to the end of the stream \
             (`read_to_end`), so it returns only once the server has closed. \
             Book: The confirmation server › Your turn",
            move || {
                use std::sync::atomic::{AtomicBool, Ordering};
                use std::sync::Arc;
                let closed = Arc::new(AtomicBool::new(false));
                let closing = Arc::clone(&closed);
                let addr = support::scripted_server(move |reader, mut stream| {
                    while let Some(body) = support::read_frame(reader) {
                        if body != b"!DISCONNECT" {
                            let _ = stream.write_all(b"Msg received\n");
                            continue;
                        }
                        match goodbye {
                            Farewell::AnswersError => {
                                let _ = stream.write_all(b"ERROR not today\n");
                            }
                            Farewell::ClosesWithoutReplying => {}
                            Farewell::ConfirmsThenClosesLater => {
                                let _ = stream.write_all(b"Msg received\n");
                                // The check's own server takes its time to close.
                                std::thread::sleep(Duration::from_millis(300));
                            }
                        }
                        break;
                    }
                    closing.store(true, Ordering::SeqCst);
                });
                let got =
                    run_within("`send_messages`", IO_DEADLINE, move || confirm::send_messages(addr, &["one", "two"]));
                let (server, expected) = match goodbye {
                    Farewell::AnswersError => (
                        "confirms \"one\" and \"two\", answers `ERROR not today` to !DISCONNECT, then closes",
                        "an error: the reply to !DISCONNECT must be the confirmation",
                    ),
                    Farewell::ClosesWithoutReplying => (
                        "confirms \"one\" and \"two\", then closes without answering !DISCONNECT",
                        "an error (of kind UnexpectedEof, from `Connection::send`)",
                    ),
                    Farewell::ConfirmsThenClosesLater => (
                        "confirms \"one\", \"two\" and !DISCONNECT, then closes 0.3 s later",
                        "Ok([\"Msg received\", \"Msg received\"]), returned only once the server has closed",
                    ),
                };
                let failure = |why: &str, got: String| {
                    Failure::new(format!("`send_messages` {why}"))
                        .field("sent", "\"one\", \"two\", then !DISCONNECT")
                        .field("server", server)
                        .field("expected", expected)
                        .field("got", got)
                        .fail()
                };
                match (goodbye, got) {
                    (Farewell::ConfirmsThenClosesLater, Ok(replies)) => {
                        if !closed.load(Ordering::SeqCst) {
                            failure(
                                "returned before the server closed the connection: after the confirmation \
                                 of !DISCONNECT, read to the end of the stream",
                                format!("Ok({replies:?}), while the connection was still open"),
                            );
                        }
                        if replies != ["Msg received", "Msg received"] {
                            failure("returned the wrong replies", format!("Ok({replies:?})"));
                        }
                    }
                    (Farewell::ConfirmsThenClosesLater, Err(e)) => {
                        failure("failed although the server said goodbye properly", format!("Err({e})"))
                    }
                    (_, Ok(replies)) => {
                        failure("did not notice that !DISCONNECT was not confirmed", format!("Ok({replies:?})"))
                    }
                    (_, Err(_)) => {}
                }
            },
        );
    }
}

mod end_to_end {
    use super::*;
    use assert_cmd::Command;
    use harness::{snapshot_settings, ServerProcess};
    use std::time::Duration;

    const SERVER: &str = env!("CARGO_BIN_EXE_confirm-server");
    const CLIENT: &str = env!("CARGO_BIN_EXE_confirm-client");

    fn transcript(command: &str, output: &std::process::Output) -> String {
        format!(
            "$ {command}\n--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
            output.status.code().map_or("killed".into(), |c| c.to_string()),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        )
    }

    #[test]
    fn the_client_binary_talks_to_the_server_binary() {
        check(
            "`confirm-client` calls your `Connection::send` for each message; `confirm-server` \
             calls your `serve`, which logs `<peer> says \"<text>\"`. Try it: `just run 03 server`, \
             then `just run 03 client`. Book: The confirmation server › Talking to the server by hand",
            || {
                let mut server = ServerProcess::start(SERVER);
                let addr = server.addr().to_string();
                let output = Command::new(CLIENT).arg(&addr).timeout(IO_DEADLINE).output().expect("run confirm-client");
                let text = transcript(&format!("confirm-client {addr}"), &output);
                snapshot_settings().bind(|| insta::assert_snapshot!("client_transcript", text));
                server.wait_for_line("connected", Duration::from_secs(3));
                server.wait_for_line("says \"Olá, mundo!\"", Duration::from_secs(3));
                server.wait_for_line("says \"Rust 🦀 speaks TCP\"", Duration::from_secs(3));
            },
        );
    }

    #[test]
    fn the_interactive_client_sends_typed_lines() {
        check(
            "`confirm-client --interactive` sends each line of standard input and stops at `quit`; \
             it needs your `Connection::send`. Book: The confirmation server › Talking to the server by hand",
            || {
                let mut server = ServerProcess::start(SERVER);
                let addr = server.addr().to_string();
                let output = Command::new(CLIENT)
                    .args([addr.as_str(), "--interactive"])
                    .write_stdin("Olá from the keyboard\n🦀\n\nquit\nnever sent\n")
                    .timeout(IO_DEADLINE)
                    .output()
                    .expect("run confirm-client");
                let text = transcript(&format!("confirm-client {addr} --interactive"), &output);
                snapshot_settings().bind(|| insta::assert_snapshot!("interactive_transcript", text));
                server.wait_for_line("says \"Olá from the keyboard\"", Duration::from_secs(3));
            },
        );
    }

    #[test]
    fn the_interactive_client_disconnects_at_the_end_of_input() {
        check(
            "at the end of standard input the interactive client sends `!DISCONNECT` and exits 0. \
             Book: The confirmation server › Talking to the server by hand",
            || {
                let server = ServerProcess::start(SERVER);
                let output = Command::new(CLIENT)
                    .args([server.addr().to_string().as_str(), "--interactive"])
                    .write_stdin("a last line without a newline")
                    .timeout(IO_DEADLINE)
                    .output()
                    .expect("run confirm-client");
                let stdout = String::from_utf8_lossy(&output.stdout);
                for wanted in [
                    "\"a last line without a newline\" (29 bytes) -> Msg received",
                    "\"!DISCONNECT\" (11 bytes) -> Msg received",
                ] {
                    if !output.status.success() || !stdout.contains(wanted) {
                        Failure::new(
                            "`confirm-client --interactive` did not end its input with !DISCONNECT and exit 0",
                        )
                        .field("stdin", "\"a last line without a newline\" (no \\n, then the end of input)")
                        .field("expected", format!("exit status 0, and a line with: {wanted}"))
                        .field("status", output.status)
                        .field("stdout", show_bytes_end(&output.stdout))
                        .field("stderr", show_bytes_end(&output.stderr))
                        .fail();
                    }
                }
            },
        );
    }

    #[test]
    fn the_server_binary_answers_by_hand() {
        check(
            "what `printf '%-64s%soops' 5 hello | nc -N` sends: a message, then 4 bytes of a header \
             and the end of input. Only an end of stream before the first byte of a header is a clean \
             goodbye (`Ok(None)`); inside a header it is `Truncated`, refused with an ERROR line. \
             Book: The confirmation server › Talking to the server by hand",
            || {
                use std::io::Read;
                let server = ServerProcess::start(SERVER);
                let mut client: Client = server.connect();
                client.send(format!("{:<64}{}", 5, "hello").as_bytes());
                client.expect_confirmation();
                client.send(b"oops");
                client.shutdown_write();
                // Read by hand to the end, to say exactly what came instead.
                let mut stream = client.stream().try_clone().expect("clone a socket handle");
                let _ = stream.set_read_timeout(Some(IO_DEADLINE));
                let mut rest = Vec::new();
                let outcome = stream.read_to_end(&mut rest);
                let line = rest.strip_prefix(b"ERROR ").and_then(|r| r.strip_suffix(b"\n"));
                let good = outcome.is_ok() && line.is_some_and(|reason| !reason.is_empty() && !reason.contains(&b'\n'));
                if !good {
                    let got = match &outcome {
                        Ok(_) if rest.is_empty() => {
                            "nothing: the server closed the connection without a word".to_string()
                        }
                        Ok(_) => format!("{}, then the end of stream", show_bytes(&rest)),
                        Err(e) => format!("{} so far, then: {e}", show_bytes(&rest)),
                    };
                    Failure::new("a header cut short by the end of stream was not refused with an ERROR line")
                        .field(
                            "sent",
                            "a message (header \"5\" + 63 spaces, body \"hello\": confirmed), then \"oops\" \
                             (4 bytes of a 64-byte header), then a half-close (shutdown(Write): end of stream)",
                        )
                        .field(
                            "expected",
                            "`ERROR <reason>\\n`, then the end of stream: the stream ended inside a header, so \
                             `read_message` returns Err(Truncated) and the server refuses the client",
                        )
                        .field("got", got)
                        .fail();
                }
            },
        );
    }
}
