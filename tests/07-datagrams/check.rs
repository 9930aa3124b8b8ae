//! Checks for lesson 07, datagrams. Run them with `just check 07`.
//!
//! Tiers, in the order a learner writes the functions (the course runner reads
//! the order of the `mod` lines below), so each function is checked alone
//! before the server and the client lean on it:
//! - parsing: `parse_request` reads every valid request and refuses every
//!   malformed one with its own error;
//! - memory: `record` and `forget`, the least recently heard address forgotten
//!   first, the window of numbers, `forget` keeping `by_age` in step;
//! - basics: `answer`, `serve` and `Sender::send` on the simple path, and the
//!   binaries together;
//! - datagrams: one datagram is one message; 1200 bytes pass and 1201 do not,
//!   on the server and in the client; each reply goes to the address that sent
//!   the request;
//! - network: the client resends, gives up in time, returns ConnectionRefused,
//!   ignores ACKs that are not its own; the server delivers once, in any order;
//!   and both together through a relay that loses, duplicates, delays and
//!   reorders datagrams;
//! - robustness (the stress comes last): a malformed datagram changes nothing;
//!   a failed `recv_from` does not end the server; floods of addresses, numbers
//!   and datagrams.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

// `::datagrams` is the lesson's crate; plain `datagrams` is also a tier below.
use ::datagrams::memory::{Memory, Seen, MAX_ADDRESSES, WINDOW};
use ::datagrams::request::{parse_request, Request, RequestError};
use ::datagrams::{answer, Answer, Outcome, Sender};
use harness::{check, check_within, run_within, run_within_or, show_bytes, Failure};
use support::{UdpServer, REPLY_DEADLINE};

/// An address for checks that call the learner's functions without sockets.
fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// What `parse_request` returned, shown the way a person reads it.
fn show_parsed(got: &Result<Request, RequestError>) -> String {
    match got {
        Ok(Request { seq, text }) => format!("Ok(Request {{ seq: {seq}, text: {} }})", show_bytes(text.as_bytes())),
        Err(e) => format!("Err({e:?})"),
    }
}

/// The server's log lines, one per line, for a failure message.
fn show_log(lines: &[String]) -> String {
    if lines.is_empty() {
        "(nothing)".to_string()
    } else {
        lines.join("\n")
    }
}

/// Counts the log lines that contain `text` (as the server prints it, quoted).
fn deliveries(lines: &[String], text: &str) -> usize {
    let quoted = format!("{text:?}");
    lines.iter().filter(|l| l.contains(&quoted)).count()
}

mod parsing {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::ascii("1 hello", 1, "hello")]
    #[case::portuguese("2 Olá, mundo! Ação e coração.", 2, "Olá, mundo! Ação e coração.")]
    #[case::emoji("3 🦀 + 🔌 = 💬", 3, "🦀 + 🔌 = 💬")]
    #[case::cjk("4 你好，世界", 4, "你好，世界")]
    #[case::empty_text("5 ", 5, "")]
    #[case::spaces_in_the_text("6 one two  three ", 6, "one two  three ")]
    #[case::zero("0 zero", 0, "zero")]
    #[case::leading_zeros("007 bond", 7, "bond")]
    #[case::the_largest_number("18446744073709551615 max", u64::MAX, "max")]
    fn parse_request_reads_a_request(#[case] datagram: &str, #[case] seq: u64, #[case] text: &str) {
        let (datagram, text) = (datagram.to_string(), text.to_string());
        check(
            "a request is the number in ASCII digits, one space, then the text: split at the \
             FIRST space; everything after it is the text, spaces and all, maybe nothing. \
             Book: Datagrams › A datagram is a message",
            move || {
                let got = parse_request(datagram.as_bytes());
                let expected = Request { seq, text: text.clone() };
                if got.as_ref() != Ok(&expected) {
                    Failure::new("`parse_request` misread a valid request")
                        .field("datagram", show_bytes(datagram.as_bytes()))
                        .field("expected", show_parsed(&Ok(expected)))
                        .field("got", show_parsed(&got))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::empty(b"".to_vec(), RequestError::NoSpace)]
    #[case::no_space(b"42".to_vec(), RequestError::NoSpace)]
    #[case::a_tab_not_a_space(b"42\thello".to_vec(), RequestError::NoSpace)]
    #[case::leading_space(b" 42 hello".to_vec(), RequestError::NoNumber)]
    #[case::just_a_space(b" ".to_vec(), RequestError::NoNumber)]
    #[case::plus_sign(b"+5 hello".to_vec(), RequestError::NotADigit(b'+'))]
    #[case::minus_sign(b"-1 hello".to_vec(), RequestError::NotADigit(b'-'))]
    #[case::letters(b"five hello".to_vec(), RequestError::NotADigit(b'f'))]
    #[case::digit_then_letter(b"5x hello".to_vec(), RequestError::NotADigit(b'x'))]
    #[case::twenty_one_digits(b"000000000000000000001 hello".to_vec(), RequestError::TooManyDigits(21))]
    #[case::one_over_u64_max(b"18446744073709551616 hello".to_vec(), RequestError::TooBig)]
    #[case::twenty_nines(b"99999999999999999999 hello".to_vec(), RequestError::TooBig)]
    #[case::text_not_utf8(b"7 caf\xe9".to_vec(), RequestError::NotUtf8)]
    #[case::too_long([b"8 ".to_vec(), vec![b'x'; 1199]].concat(), RequestError::TooLong(1201))]
    fn parse_request_refuses(#[case] datagram: Vec<u8>, #[case] expected: RequestError) {
        check(
            "each malformed datagram has its own RequestError; return the first problem in the \
             order the doc comment gives. Check the digits byte by byte (`str::parse` accepts \"+5\", \
             `trim` hides a leading space), count them, build the value with checked arithmetic, and never `unwrap` or \
             `from_utf8_lossy` what a client sent. Book: Datagrams › A datagram is a message",
            move || {
                let got = parse_request(&datagram);
                if got.as_ref() != Err(&expected) {
                    Failure::new("`parse_request` should refuse this datagram")
                        .field("datagram", show_bytes(&datagram))
                        .field("expected", format!("Err({expected:?})"))
                        .field("got", show_parsed(&got))
                        .fail();
                }
            },
        );
    }
}

mod memory {
    use super::*;

    #[test]
    fn memory_remembers_what_each_address_sent() {
        check(
            "`record` answers Seen::First the first time an address sends a number and \
             Seen::Again after that; each address has numbers of its own; `forget` drops an \
             address entirely. Book: Datagrams › Bounded memory",
            || {
                let (a, b) = (addr(4001), addr(4002));
                let mut memory = Memory::new();
                let steps: [(&str, SocketAddr, u64, Seen); 5] = [
                    ("A sends 1", a, 1, Seen::First),
                    ("A sends 1 again", a, 1, Seen::Again),
                    ("B sends 1 (another address)", b, 1, Seen::First),
                    ("A sends 2", a, 2, Seen::First),
                    ("A sends 2 again", a, 2, Seen::Again),
                ];
                let mut done = Vec::new();
                for (what, from, seq, expected) in steps {
                    let got = memory.record(from, seq);
                    done.push(what);
                    if got != expected {
                        Failure::new(format!("`record` gave the wrong answer when {what}"))
                            .field("steps", done.join(", "))
                            .field("expected", format!("{expected:?}"))
                            .field("got", format!("{got:?}"))
                            .fail();
                    }
                }
                memory.forget(a);
                let got = memory.record(a, 1);
                if got != Seen::First {
                    Failure::new("after `forget(A)`, A's numbers should be new again")
                        .field("steps", format!("{}, forget(A), A sends 1", done.join(", ")))
                        .field("expected", "First")
                        .field("got", format!("{got:?}"))
                        .fail();
                }
                if memory.record(b, 1) != Seen::Again {
                    Failure::new("`forget(A)` must not forget B").field("expected", "B's 1 to be Again").fail();
                }
            },
        );
    }

    #[test]
    fn memory_forgets_the_least_recently_heard_address() {
        check(
            "when the memory is full, a new address takes the place of the one heard from LEAST \
             recently (not the oldest to arrive, not a random one): every datagram from an address \
             moves it to the young end of `by_age`. Book: Datagrams › Bounded memory",
            || {
                let (a, b, c, d) = (addr(1), addr(2), addr(3), addr(4));
                let mut memory = Memory::with_limits(3, 4);
                for from in [a, b, c, a] {
                    memory.record(from, 1);
                }
                memory.record(d, 1);
                let expected = [(a, true), (b, false), (c, true), (d, true)];
                let got: Vec<bool> = expected.iter().map(|(from, _)| memory.remembers(*from, 1)).collect();
                let size = memory.size();
                let steps = "A, B, C send 1; A sends 1 again; D sends 1";
                if size.addresses > 3 {
                    Failure::new(format!(
                        "a full memory of 3 addresses grew to {}: when it is full, forget the least recently heard \
                         address (`by_age.pop_first()`) before adding a new one",
                        size.addresses
                    ))
                    .field("steps", steps)
                    .field("got", format!("{size:?}"))
                    .fail();
                }
                if size.ages != size.addresses {
                    Failure::new(format!(
                        "`by_age` has {} entries for {} addresses: when an address is heard again, remove its old \
                         entry from `by_age` (under its old `heard`) before inserting the new one, or `by_age` \
                         grows forever and pops addresses that were heard recently",
                        size.ages, size.addresses
                    ))
                    .field("steps", steps)
                    .field("got", format!("remembered A, B, C, D: {got:?}; {size:?}"))
                    .fail();
                }
                if got != [true, false, true, true] {
                    Failure::new("a full memory forgot the wrong address: it should forget the least recently heard")
                        .field("limits", "3 addresses")
                        .field("steps", steps)
                        .field("expected", "B forgotten (heard least recently); A, C, D remembered")
                        .field("got", format!("remembered A, B, C, D: {got:?}"))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn memory_keeps_a_window_of_numbers_per_address() {
        check(
            "an address remembers its last WINDOW numbers: at the limit, a new number pushes out \
             the oldest (`pop_front`), so a client sending for days costs the same as one sending \
             for a minute. Book: Datagrams › Bounded memory",
            || {
                let a = addr(1);
                let mut memory = Memory::with_limits(10, 4);
                for seq in 1..=10 {
                    memory.record(a, seq);
                }
                let size = memory.size();
                let kept: Vec<u64> = (1..=10).filter(|&s| memory.remembers(a, s)).collect();
                if kept != [7, 8, 9, 10] || size.numbers != 4 {
                    Failure::new("an address's window of numbers should hold its 4 latest")
                        .field("limits", "a window of 4 numbers")
                        .field("steps", "A sends 1, 2, …, 10")
                        .field("expected", "7, 8, 9, 10 remembered, nothing else")
                        .field("got", format!("{kept:?} remembered; {size:?}"))
                        .fail();
                }
                if memory.record(a, 10) != Seen::Again {
                    Failure::new("10, the latest number, should still be remembered as sent").fail();
                }
            },
        );
    }

    #[test]
    fn forget_removes_the_address_from_both_maps() {
        check(
            "`forget` removes the address from `peers` AND its entry from `by_age` (the key is its \
             `heard`): an entry left in `by_age` is never removed, and `pop_first` later pops it \
             instead of a real address, so the memory grows past its limit. \
             Book: Datagrams › Bounded memory",
            || {
                let mut memory = Memory::with_limits(3, 4);
                // Ten clients, each sending one message and `!DISCONNECT`.
                for port in 1..=10 {
                    memory.record(addr(port), 1);
                    memory.forget(addr(port));
                }
                let after_goodbyes = memory.size();
                for port in 11..=20 {
                    memory.record(addr(port), 1);
                }
                let after_newcomers = memory.size();
                let bounded = after_newcomers.addresses <= 3 && after_newcomers.ages == after_newcomers.addresses;
                if after_goodbyes.addresses != 0 || after_goodbyes.ages != 0 || !bounded {
                    let mut failure = Failure::new(
                        "after `forget`, the memory still holds something of the forgotten addresses, and it \
                         is no longer bounded",
                    )
                    .field("limits", "3 addresses, a window of 4")
                    .field(
                        "steps",
                        "10 addresses each send 1 then are forgotten (`!DISCONNECT`); 10 new addresses send 1",
                    )
                    .field(
                        "expected",
                        "nothing held after the 10 `forget`s; at most 3 addresses and as many ages at the end",
                    )
                    .field("got", format!("after the forgets {after_goodbyes:?}; at the end {after_newcomers:?}"));
                    if after_goodbyes.ages > after_goodbyes.addresses {
                        failure = failure.field(
                            "likely",
                            "`forget` removed the address from `peers` but not from `by_age`: \
                             `if let Some(peer) = self.peers.remove(&from) { self.by_age.remove(&peer.heard); }`",
                        );
                    }
                    failure.fail();
                }
            },
        );
    }
}

mod basics {
    use super::*;
    use rstest::rstest;

    #[test]
    fn answer_acknowledges_delivers_and_refuses() {
        check(
            "`answer` parses the datagram: a bad one gets `ERR <reason>`; `!DISCONNECT` gets \
             `ACK <seq>` (the number, written by `ack`: `007` is `ACK 7`) and forgets the address; any \
             other request gets `ACK <seq>` and is Delivered when `record` says First. Book: Datagrams › Once only: remembering what was delivered",
            || {
                let mut memory = Memory::new();
                let from = addr(4003);
                let cases: [(&[u8], Answer); 4] = [
                    ("1 Olá".as_bytes(), Answer { reply: "ACK 1".into(), outcome: Outcome::Delivered("Olá".into()) }),
                    (b"1", Answer { reply: "ERR …".into(), outcome: Outcome::Refused(RequestError::NoSpace) }),
                    // The ACK carries the number, not the digits as they came.
                    (b"007 bond", Answer { reply: "ACK 7".into(), outcome: Outcome::Delivered("bond".into()) }),
                    (b"2 !DISCONNECT", Answer { reply: "ACK 2".into(), outcome: Outcome::Disconnected }),
                ];
                for (datagram, expected) in cases {
                    let got = answer(&mut memory, datagram, from);
                    let good = match &expected.outcome {
                        Outcome::Refused(_) => {
                            got.reply.starts_with("ERR ") && got.reply.len() > 4 && got.outcome == expected.outcome
                        }
                        _ => got == expected,
                    };
                    if !good {
                        Failure::new("`answer` gave the wrong answer")
                            .field("datagram", show_bytes(datagram))
                            .field("expected", format!("{expected:?}"))
                            .field("got", format!("{got:?}"))
                            .fail();
                    }
                }
            },
        );
    }

    #[rstest]
    #[case::ascii("hello")]
    #[case::portuguese("Olá, mundo! Ação e coração.")]
    #[case::emoji("🦀 + 🔌 = 💬")]
    #[case::cjk("你好，世界")]
    #[case::empty("")]
    fn serve_acknowledges_and_delivers_a_message(#[case] text: &str) {
        let text = text.to_string();
        check(
            "`serve` receives with `recv_from`, calls `answer`, sends the reply with `send_to` to \
             the address the datagram came from, and writes one line with the text to `log` for a \
             delivered message. Book: Datagrams › UDP in Rust",
            move || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                peer.send(format!("1 {text}").as_bytes());
                peer.expect_ack(1, &format!("the request `1 {text}`"));
                if server.wait_for_line(&format!("{text:?}"), REPLY_DEADLINE).is_none() {
                    Failure::new("the message was acknowledged, but `serve` wrote no line with its text to `log`")
                        .field("sent", show_bytes(format!("1 {text}").as_bytes()))
                        .field(
                            "expected",
                            format!("a line containing {text:?}, e.g. `{} says {text:?}`", peer.local_addr()),
                        )
                        .field("log", show_log(&server.lines()))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn send_returns_once_acknowledged() {
        check(
            "`Sender::send` sends `<seq> <text>` (encode_request) with the socket's `send`, then \
             waits for exactly `ACK <seq>` and returns how many sends it took; the numbers go 1, 2, … \
             Book: Datagrams › Sequence numbers and resending",
            || {
                let (server, requests) = support::reference_server();
                let got = run_within("`Sender::send`", Duration::from_secs(3), move || {
                    let mut sender = Sender::connect(server)?;
                    Ok::<_, std::io::Error>((sender.send("Olá, mundo!")?, sender.send("🦀")?))
                });
                let received: Vec<String> =
                    requests.try_iter().map(|(_, r)| String::from_utf8_lossy(&r).into_owned()).collect();
                if !matches!(got, Ok((1, 1))) || received != ["1 Olá, mundo!", "2 🦀"] {
                    Failure::new("`send` should send each message once to a server that answers at once")
                        .field("sent", "send(\"Olá, mundo!\"), then send(\"🦀\")")
                        .field("expected", "Ok(1) twice; the server receiving \"1 Olá, mundo!\", then \"2 🦀\"")
                        .field("got", format!("{got:?}"))
                        .field("server got", format!("{received:?}"))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn the_client_binary_talks_to_the_server_binary() {
        check(
            "`datagram-client` calls your `Sender::send` for each message, `datagram-server` your \
             `serve`. Try it: `just run 07 server`, then `just run 07 client`. \
             Book: Datagrams › Talking to the server by hand",
            || {
                use assert_cmd::Command;
                let mut server = harness::ServerProcess::start(env!("CARGO_BIN_EXE_datagram-server"));
                let addr = server.addr().to_string();
                let output = Command::new(env!("CARGO_BIN_EXE_datagram-client"))
                    .arg(&addr)
                    .timeout(Duration::from_secs(5))
                    .output()
                    .expect("run datagram-client");
                let text = format!(
                    "$ datagram-client {addr}\n--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
                    output.status.code().map_or("killed".into(), |c| c.to_string()),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                );
                harness::snapshot_settings().bind(|| insta::assert_snapshot!("client_transcript", text));
                server.wait_for_line("\"Olá, mundo!\"", Duration::from_secs(3));
                server.wait_for_line("\"Rust 🦀 speaks UDP\"", Duration::from_secs(3));
            },
        );
    }
}

mod datagrams {
    use super::*;
    use rstest::rstest;

    #[test]
    fn two_datagrams_are_two_messages() {
        check(
            "each `recv_from` returns exactly one datagram, never two merged nor half of one: no \
             framing to do, but one request per datagram, one reply per request. \
             Book: Datagrams › A datagram is a message",
            || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                peer.send(b"1 one");
                peer.send(b"2 two");
                let mut acks = vec![
                    String::from_utf8_lossy(&peer.reply("two ACKs, `ACK 1` and `ACK 2`")).into_owned(),
                    String::from_utf8_lossy(&peer.reply("two ACKs, `ACK 1` and `ACK 2`")).into_owned(),
                ];
                acks.sort();
                if acks != ["ACK 1", "ACK 2"] {
                    peer.failure("two requests sent back to back should get `ACK 1` and `ACK 2`")
                        .field("got", format!("{acks:?}"))
                        .fail();
                }
                let lines = server.sync();
                if deliveries(&lines, "one") != 1 || deliveries(&lines, "two") != 1 {
                    Failure::new("two datagrams are two messages: each should be logged once, on its own line")
                        .field("log", show_log(&lines))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::exactly_1200_bytes(1200)]
    #[case::one_byte_over(1201)]
    #[case::fifty_bytes_over(1250)]
    #[case::a_65000_byte_datagram(65_000)]
    fn the_size_limit(#[case] size: usize) {
        check(
            "a request is at most 1200 bytes (MAX_DATAGRAM): refuse a longer one with `ERR`. \
             `recv_from` needs a buffer BIGGER than 1200 to see that a datagram is longer: with \
             exactly 1200 bytes of room, Linux cuts the datagram to fit without a word. \
             Book: Datagrams › How big is a datagram",
            move || {
                let mut datagram = b"1 ".to_vec();
                datagram.resize(size, b'x');
                let server = UdpServer::start();
                let mut peer = server.peer();
                peer.send(&datagram);
                if size <= 1200 {
                    peer.expect_ack(1, &format!("a request of exactly {size} bytes, the limit itself"));
                    return;
                }
                let reply = peer.reply(&format!("`ERR <reason>`, for a datagram of {size} bytes"));
                if reply.starts_with(b"ERR ") {
                    peer.send(b"2 still there?");
                    peer.expect_ack(2, "a request after a refused one: the server goes on");
                    return;
                }
                let parsed = parse_request(&datagram);
                let (what, likely) = if matches!(parsed, Err(RequestError::TooLong(_))) {
                    (
                        format!("a {size}-byte datagram was acknowledged, though `parse_request` refuses it"),
                        "your receive buffer: with room for only 1200 bytes, `recv_from` cut the datagram to \
                         1200 and `answer` saw a valid request. Use a bigger buffer (64 KiB holds any datagram)"
                            .to_string(),
                    )
                } else {
                    (
                        format!("a {size}-byte datagram was not refused: requests are at most 1200 bytes"),
                        format!(
                            "`parse_request` accepted it ({}): refuse more than MAX_DATAGRAM bytes with \
                             TooLong; and give `recv_from` a buffer bigger than 1200 bytes",
                            show_parsed(&parsed)
                        ),
                    )
                };
                peer.failure(&what).field("got", show_bytes(&reply)).field("likely", likely).fail();
            },
        );
    }

    #[test]
    fn send_refuses_a_text_too_long_for_one_datagram() {
        check(
            "`Sender::send` checks the size before sending anything: a request (`<seq> <text>`, as \
             `encode_request` makes it) over MAX_DATAGRAM (1200) bytes is an `io::Error` of kind \
             `ErrorKind::InvalidInput`, and nothing is sent. Book: Datagrams › How big is a datagram",
            || {
                let (server, requests) = support::reference_server();
                // "1 " and 1199 bytes make 1201; "2 " and 1198 make exactly 1200.
                let (over, fits) = ("x".repeat(1199), "y".repeat(1198));
                let got = run_within("`Sender::send`", Duration::from_secs(3), move || {
                    let mut sender = Sender::connect(server)?;
                    let over = sender.send(&over);
                    Ok::<_, std::io::Error>((over, sender.send(&fits)))
                });
                let sizes: Vec<usize> = requests.try_iter().map(|(_, r)| r.len()).collect();
                let (over, fits) = match got {
                    Ok(results) => results,
                    Err(e) => Failure::new("`Sender::connect` failed").field("error", e).fail(),
                };
                let refused = matches!(&over, Err(e) if e.kind() == std::io::ErrorKind::InvalidInput);
                if !refused || !matches!(fits, Ok(1)) || sizes != [1200] {
                    Failure::new("`send` should refuse a request over 1200 bytes with InvalidInput, and send one of 1200")
                        .field("sent", "send(1199 × \"x\"): 1201 bytes as `1 xxx…`; then send(1198 × \"y\"): 1200 bytes as `2 yyy…`")
                        .field("expected", "Err(InvalidInput) without sending; then Ok(1); the server receiving one datagram of 1200 bytes")
                        .field("got", format!("{over:?}; then {fits:?}"))
                        .field("server got", format!("datagrams of {sizes:?} bytes"))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn replies_go_to_the_address_that_sent_the_request() {
        check(
            "one socket serves every client: reply with `send_to(reply, from)`, `from` being the \
             address `recv_from` returned for THIS datagram, not the first client's nor a fixed one. \
             Book: Datagrams › UDP in Rust",
            || {
                let server = UdpServer::start();
                let mut peers: Vec<_> = (0..50).map(|_| server.peer()).collect();
                // Every client its own numbers, so a misdirected ACK shows whose it was.
                for round in 0..2u64 {
                    let order: Vec<usize> = if round == 0 { (0..50).collect() } else { (0..50).rev().collect() };
                    for &k in &order {
                        let seq = 1000 * (round + 1) + k as u64;
                        peers[k].send(format!("{seq} client {k}").as_bytes());
                    }
                    for &k in &order {
                        let seq = 1000 * (round + 1) + k as u64;
                        let peer = &mut peers[k];
                        let Some(reply) = peer.try_reply(REPLY_DEADLINE) else {
                            peer.failure(&format!(
                                "client {k} of 50 got no reply: replies must go to the address each request came from"
                            ))
                            .field("expected", format!("`ACK {seq}`"))
                            .fail()
                        };
                        if reply != format!("ACK {seq}").as_bytes() {
                            peer.failure(&format!(
                                "client {k} of 50 got another client's reply: reply to the address this \
                                 request came from"
                            ))
                            .field("expected", format!("`ACK {seq}`"))
                            .field("got", show_bytes(&reply))
                            .fail();
                        }
                    }
                }
            },
        );
    }
}

mod network {
    use super::*;
    use std::io::ErrorKind;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Runs `send(text)` on a new `Sender` to `server`, after `before` earlier
    /// messages; returns what it returned and how long it took.
    fn timed_send(
        server: SocketAddr,
        before: &'static [&'static str],
        text: &'static str,
        deadline: Duration,
        likely: &str,
    ) -> (std::io::Result<u32>, Duration) {
        run_within_or("`Sender::send`", deadline, likely, move || {
            let mut sender = Sender::connect(server)?;
            for earlier in before {
                sender.send(earlier)?;
            }
            let started = Instant::now();
            let got = sender.send(text);
            Ok::<_, std::io::Error>((got, started.elapsed()))
        })
        .unwrap_or_else(|e| Failure::new("`Sender::connect` failed").field("error", e).fail())
    }

    #[test]
    fn send_resends_until_acknowledged() {
        check(
            "UDP does not resend: your client must. Wait RESEND_AFTER (200 ms) for the ACK \
             (`set_read_timeout`), then send the same datagram again, up to MAX_SENDS (5) times. \
             Book: Datagrams › Sequence numbers and resending",
            || {
                // The checks' server ignores the first two copies of each request.
                let (server, requests) = support::scripted_server(Duration::from_secs(5), |request, copy| {
                    let seq = String::from_utf8_lossy(request).split(' ').next().unwrap_or("").to_string();
                    if copy < 3 {
                        vec![]
                    } else {
                        vec![(Duration::ZERO, format!("ACK {seq}").into_bytes())]
                    }
                });
                let (got, took) = timed_send(
                    server,
                    &[],
                    "third time lucky",
                    Duration::from_secs(4),
                    "a wait for the ACK with no read timeout: `set_read_timeout` before `recv`",
                );
                let copies = requests.try_iter().count();
                if !matches!(got, Ok(3)) || copies != 3 {
                    Failure::new("`send` should resend until acknowledged")
                        .field("server", "ignores the first 2 copies of a request, acknowledges the 3rd")
                        .field("expected", "Ok(3), after about 400 ms, and 3 copies of `1 third time lucky`")
                        .field(
                            "got",
                            format!("{got:?} after {} ms; the server received {copies} copies", took.as_millis()),
                        )
                        .fail();
                }
                if took < Duration::from_millis(300) {
                    Failure::new("`send` resent too fast: wait RESEND_AFTER (200 ms) for an ACK before sending again")
                        .field("got", format!("3 sends in {} ms", took.as_millis()))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn send_gives_up_after_five_sends() {
        check(
            "a server may never answer: after MAX_SENDS (5) sends, each followed by RESEND_AFTER \
             (200 ms) of waiting, return an `io::Error` of kind TimedOut that says so. \
             Book: Datagrams › Sequence numbers and resending",
            || {
                let (server, requests) = support::scripted_server(Duration::from_secs(5), |_, _| vec![]);
                let (got, took) = timed_send(
                    server,
                    &[],
                    "hello?",
                    Duration::from_secs(3),
                    "a loop that resends forever: stop after MAX_SENDS (5) sends",
                );
                let arrivals: Vec<Instant> = requests.try_iter().map(|(at, _)| at).collect();
                let gaps: Vec<u128> = arrivals.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
                let timed_out = matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut);
                if !timed_out || arrivals.len() != 5 || took > Duration::from_millis(1800) {
                    Failure::new("`send` to a server that never answers should give up after 5 sends")
                        .field("server", "receives, never answers")
                        .field("expected", "Err(TimedOut) after 5 sends, about 1 s")
                        .field("got", format!("{got:?} after {} ms", took.as_millis()))
                        .field("server got", format!("{} copies, {gaps:?} ms apart", arrivals.len()))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn send_reports_that_nothing_listens() {
        check(
            "the socket is connected, so when nothing listens at that port the kernel's \"port \
             unreachable\" comes back as an error of kind ConnectionRefused from `send` or `recv`. \
             That is an answer: return it, do not loop on it. \
             Book: Datagrams › connect on a datagram socket",
            || {
                let nobody = support::nobody_there();
                let (got, took) = timed_send(
                    nobody,
                    &[],
                    "anyone?",
                    Duration::from_secs(3),
                    "ConnectionRefused treated as \"try again\", in a loop that never sends its 5th copy",
                );
                // Loopback answers "port unreachable" to the first send at once: the
                // error is there before the first wait for an ACK is over.
                let refused = matches!(&got, Err(e) if e.kind() == ErrorKind::ConnectionRefused);
                if !refused || took > Duration::from_millis(600) {
                    let mut failure = Failure::new(
                        "`send` to a port where nothing listens should return the ConnectionRefused error \
                         at once: nothing is listening there, and resending will not change that",
                    )
                    .field("server", format!("nothing listens at {nobody}"))
                    .field("expected", "Err(ConnectionRefused) within the first wait, well under 600 ms")
                    .field("got", format!("{got:?} after {} ms", took.as_millis()));
                    if matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut) {
                        failure = failure.field(
                            "likely",
                            "an `Err(_) => break` (or `continue`) around `send` or `recv` that takes every \
                             error for a timeout: match WouldBlock and TimedOut only, and return any other \
                             error (`self.explain(e)` words ConnectionRefused)",
                        );
                    }
                    failure.fail();
                }
            },
        );
    }

    #[test]
    fn send_ignores_acks_for_other_messages() {
        check(
            "a late ACK for an earlier message (or one that merely starts the same) is not yours: \
             compare the reply with exactly `ACK <seq>` of the message in flight, ignore anything \
             else and keep waiting. Book: Datagrams › Sequence numbers and resending",
            || {
                let answered = Arc::new(AtomicBool::new(false));
                let flag = Arc::clone(&answered);
                let (server, _) = support::scripted_server(Duration::from_secs(5), move |request, _| {
                    if request.starts_with(b"1 ") {
                        return vec![(Duration::ZERO, b"ACK 1".to_vec())];
                    }
                    // Two wrong ACKs first, then the right one 100 ms later.
                    flag.store(true, Ordering::SeqCst);
                    vec![
                        (Duration::ZERO, b"ACK 1".to_vec()),
                        (Duration::ZERO, b"ACK 21".to_vec()),
                        (Duration::ZERO, b"ACK 2 ".to_vec()),
                        (Duration::from_millis(100), b"ACK 2".to_vec()),
                    ]
                });
                let (got, took) = timed_send(
                    server,
                    &["one"],
                    "two",
                    Duration::from_secs(3),
                    "a wait for the ACK with no read timeout: `set_read_timeout` before `recv`",
                );
                if !matches!(got, Ok(1)) || took < Duration::from_millis(90) {
                    Failure::new("`send` accepted an acknowledgement that was not for its message")
                        .field("sent", "message 1 (acknowledged), then message 2: `2 two`")
                        .field("server", "answers `2 two` with `ACK 1`, `ACK 21`, `ACK 2 `, then `ACK 2` 100 ms later")
                        .field("expected", "Ok(1), returned only after the real `ACK 2`")
                        .field(
                            "got",
                            format!(
                                "{got:?} after {} ms{}",
                                took.as_millis(),
                                if answered.load(Ordering::SeqCst) {
                                    ""
                                } else {
                                    " (message 2 never reached the server)"
                                }
                            ),
                        )
                        .fail();
                }
            },
        );
    }

    #[test]
    fn send_gives_up_in_time_when_only_wrong_acks_come() {
        check(
            "replies that are not yours must not make the wait longer: before each `recv`, set the \
             read timeout to the time LEFT until RESEND_AFTER, not to 200 ms again. \
             Book: Datagrams › Sequence numbers and resending",
            || {
                // Every copy of the request gets `ACK 0` every 50 ms for 2 s.
                let (server, _) = support::scripted_server(Duration::from_secs(5), |_, copy| {
                    if copy > 1 {
                        return vec![];
                    }
                    (0..40).map(|_| (Duration::from_millis(50), b"ACK 0".to_vec())).collect()
                });
                let (got, took) = timed_send(
                    server,
                    &[],
                    "only wrong answers",
                    Duration::from_secs(4),
                    "a wait that starts over at every wrong ACK: set the read timeout to the time left",
                );
                let timed_out = matches!(&got, Err(e) if e.kind() == ErrorKind::TimedOut);
                if !timed_out || took > Duration::from_millis(1800) {
                    Failure::new("`send` should give up after 5 sends, about 1 s, even while wrong ACKs keep coming")
                        .field("server", "answers `ACK 0` every 50 ms, never `ACK 1`")
                        .field("expected", "Err(TimedOut) after about 1 s")
                        .field("got", format!("{got:?} after {} ms", took.as_millis()))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn a_repeated_request_is_acknowledged_but_delivered_once() {
        check(
            "the same number from the same address is a copy: the network duplicated it, or the \
             client resent it because its ACK was lost. Acknowledge it again (that ACK may be the \
             one that gets through) but do not deliver it again. \
             Book: Datagrams › Once only: remembering what was delivered",
            || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                for copy in 1..=3 {
                    peer.send(b"1 only once");
                    peer.expect_ack(1, &format!("copy {copy} of `1 only once`: every copy is acknowledged"));
                }
                let lines = server.sync();
                let n = deliveries(&lines, "only once");
                if n != 1 {
                    Failure::new(format!("three copies of one request were delivered {n} times, not once"))
                        .field("sent", "`1 only once`, three times, from one address")
                        .field("log", show_log(&lines))
                        .field("expected", "one line: `record` says Seen::Again for a number the address sent before")
                        .fail();
                }
            },
        );
    }

    #[test]
    fn a_late_request_is_still_delivered() {
        check(
            "datagrams can overtake each other: 3 may arrive before 2. A number the address has not \
             sent yet is new, even if it is smaller than one it has: remember the numbers \
             themselves, not only the highest. Book: Datagrams › Once only: remembering what was delivered",
            || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                for (seq, text) in [(3, "three"), (1, "one"), (2, "two")] {
                    peer.send(format!("{seq} {text}").as_bytes());
                    peer.expect_ack(seq, &format!("`{seq} {text}`"));
                }
                let lines = server.sync();
                for text in ["three", "one", "two"] {
                    if deliveries(&lines, text) != 1 {
                        Failure::new(format!("the message {text:?}, overtaken on the way, was not delivered once"))
                            .field("sent", "`3 three`, then `1 one`, then `2 two`, from one address")
                            .field("log", show_log(&lines))
                            .fail();
                    }
                }
            },
        );
    }

    #[test]
    fn numbers_belong_to_their_address() {
        check(
            "each client chooses its own numbers: `1` from one address and `1` from another are \
             two messages. Remember numbers per address. Book: Datagrams › Once only: remembering what was delivered",
            || {
                let mut server = UdpServer::start();
                let (mut a, mut b) = (server.peer(), server.peer());
                a.send(b"1 from A");
                a.expect_ack(1, "`1 from A`");
                b.send(b"1 from B");
                b.expect_ack(1, "`1 from B`, from another address");
                let lines = server.sync();
                if deliveries(&lines, "from A") != 1 || deliveries(&lines, "from B") != 1 {
                    Failure::new("two clients that both send number 1 sent two messages: deliver both")
                        .field("log", show_log(&lines))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn disconnect_forgets_the_address() {
        check(
            "`<seq> !DISCONNECT` is acknowledged, and the server forgets that address: its numbers \
             start afresh, as a new conversation. Book: Datagrams › Bounded memory",
            || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                peer.send(b"1 before");
                peer.expect_ack(1, "`1 before`");
                peer.send(b"2 !DISCONNECT");
                peer.expect_ack(2, "`2 !DISCONNECT`");
                peer.send(b"1 after");
                peer.expect_ack(1, "`1 after`, a new conversation from the same address");
                let lines = server.sync();
                if deliveries(&lines, "after") != 1 {
                    Failure::new("after `!DISCONNECT`, number 1 from the same address is a new message")
                        .field("sent", "`1 before`, `2 !DISCONNECT`, `1 after`")
                        .field("log", show_log(&lines))
                        .fail();
                }
            },
        );
    }

    /// Sends `texts` with the learner's client through a relay with `faults`
    /// to the learner's server; checks every message is acknowledged and
    /// delivered exactly once. Returns the sends per message.
    fn through_relay(faults: harness::Faults, texts: &'static [&'static str]) -> Vec<u32> {
        let mut server = UdpServer::start();
        let relay = harness::Relay::start(server.addr(), faults);
        let to = relay.addr();
        let got = run_within("sending every message through the relay", Duration::from_secs(7), move || {
            let mut sender = Sender::connect(to).map_err(|e| (Vec::new(), e))?;
            let mut sends = Vec::new();
            for text in texts {
                match sender.send(text) {
                    Ok(n) => sends.push(n),
                    Err(e) => return Err((sends, e)),
                }
            }
            Ok(sends)
        });
        let sends = match got {
            Ok(sends) => sends,
            Err((sent, e)) => Failure::new(format!(
                "`send` failed on message {} of {}, through a network that loses, duplicates and delays datagrams",
                sent.len() + 1,
                texts.len()
            ))
            .field("error", e)
            .field("network", relay.tail(16))
            .fail(),
        };
        // Late copies still on their way reach the server first.
        relay.wait_idle(Duration::from_secs(2));
        let lines = server.sync();
        for (i, text) in texts.iter().enumerate() {
            let n = deliveries(&lines, text);
            if n != 1 {
                // The story of this one message: its copies, its ACKs, its log lines.
                let seq = i + 1;
                let (request, ack) = (format!("{seq} {text}"), format!("ACK {seq}"));
                let story: Vec<String> = relay
                    .events()
                    .iter()
                    .filter(|e| e.payload == request.as_bytes() || e.payload == ack.as_bytes())
                    .take(16)
                    .map(|e| e.to_string())
                    .collect();
                let logged: Vec<String> = lines.iter().filter(|l| l.contains(&format!("{text:?}"))).cloned().collect();
                Failure::new(format!("the message {text:?} was delivered {n} times, not once"))
                    .field("network", story.join("\n"))
                    .field("log", show_log(&logged))
                    .field(
                        "likely",
                        if n == 0 {
                            "a message acknowledged but never delivered".to_string()
                        } else {
                            "a copy (duplicated by the network, or resent after its ACK was lost) delivered again"
                                .to_string()
                        },
                    )
                    .fail();
            }
        }
        if let Some(why) = server.stopped() {
            Failure::new("the server stopped").field("server", why).fail();
        }
        sends
    }

    #[test]
    fn through_a_network_that_loses_datagrams() {
        check_within(
            Duration::from_secs(12),
            "between your client and your server, a relay loses a quarter of the datagrams each \
             way, duplicates and delays some (the same ones on every run). The client resends; the \
             server acknowledges every copy and delivers each message once. \
             Book: Datagrams › Lost, duplicated, reordered",
            || {
                let faults =
                    harness::Faults { seed: 7, drop: 25, duplicate: 10, delay: 10, delay_ms: (50, 150), max_losses: 2 };
                through_relay(faults, &["one", "two", "three", "four", "five", "six", "seven", "eight"]);
            },
        );
    }

    #[test]
    fn through_a_network_that_reorders_datagrams() {
        check_within(
            Duration::from_secs(12),
            "here the relay holds many datagrams back 250-450 ms, longer than RESEND_AFTER: the \
             client resends, and old copies and old ACKs arrive after newer ones. The client \
             ignores ACKs that are not for its message; the server delivers each message once. \
             Book: Datagrams › Lost, duplicated, reordered",
            || {
                let faults = harness::Faults {
                    seed: 11,
                    drop: 10,
                    duplicate: 25,
                    delay: 30,
                    delay_ms: (250, 450),
                    max_losses: 2,
                };
                through_relay(faults, &["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]);
            },
        );
    }

    #[test]
    fn the_client_binary_gives_up_with_a_clear_message() {
        check(
            "`datagram-client` exits 1 with a message on stderr when `send` fails, and the message \
             says why: nothing is listening (ConnectionRefused, \"port unreachable\"). Yours must fail, \
             not hang, when nothing answers. Book: Datagrams › Talking to the server by hand",
            || {
                use assert_cmd::Command;
                use predicates::prelude::*;
                let nobody = support::nobody_there();
                Command::new(env!("CARGO_BIN_EXE_datagram-client"))
                    .arg(nobody.to_string())
                    .timeout(Duration::from_secs(4))
                    .assert()
                    .code(1)
                    .stderr(predicate::str::contains("datagram-client: sending \"Hello, server!\" as message 1"))
                    // The reason must be the real one, whatever words the learner chose.
                    .stderr(
                        predicate::str::is_match("(?i)nothing is listening|port unreachable|connection refused")
                            .expect("a valid pattern"),
                    );
            },
        );
    }
}

mod robustness {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::no_space(b"7".to_vec())]
    #[case::a_sign(b"+7 signed".to_vec())]
    #[case::twenty_one_digits(b"000000000000000000007 padded".to_vec())]
    #[case::not_utf8(b"7 \xff\xfe".to_vec())]
    #[case::too_long([b"7 ".to_vec(), vec![b'x'; 1199]].concat())]
    fn a_bad_datagram_is_refused_and_changes_nothing(#[case] datagram: Vec<u8>) {
        check(
            "a bad datagram gets `ERR <reason>` and nothing else happens: nothing is remembered, \
             so its number is still new for a valid request after it. Parse first, remember only \
             a valid request. Book: Datagrams › Once only: remembering what was delivered",
            move || {
                let mut server = UdpServer::start();
                let mut peer = server.peer();
                peer.send(&datagram);
                peer.expect_err(&format!("the malformed datagram {}", show_bytes(&datagram)));
                peer.send(b"7 valid");
                peer.expect_ack(7, "`7 valid`, after the refused datagram");
                let lines = server.sync();
                if deliveries(&lines, "valid") != 1 {
                    Failure::new(
                        "a refused datagram changed something: the valid `7 valid` after it was not delivered",
                    )
                    .field("sent", format!("{}, then `7 valid`", show_bytes(&datagram)))
                    .field("log", show_log(&lines))
                    .fail();
                }
                if let Some(why) = server.stopped() {
                    Failure::new("the server stopped").field("server", why).fail();
                }
            },
        );
    }

    #[test]
    fn serve_goes_on_after_a_receive_error() {
        check(
            "an error from `recv_from` or `send_to` concerns one datagram, not the server: print it \
             and go on serving (`match`, then `continue`), never `?` or `unwrap`. On Windows every \
             UDP server meets one: after a reply reaches a port where nothing listens, the next \
             `recv_from` fails with WSAECONNRESET. Book: Datagrams › connect on a datagram socket",
            || {
                // This server's socket reports "port unreachable" as Windows does.
                let server = UdpServer::start_reporting_icmp();
                let mut gone = server.peer();
                gone.send(b"1 sent, then gone");
                // Closed before the ACK comes back: the ACK finds no one.
                drop(gone);
                let mut next = server.peer();
                for seq in 1..=3 {
                    next.send(format!("{seq} still there?").as_bytes());
                    if next.try_reply(REPLY_DEADLINE).as_deref() != Some(format!("ACK {seq}").as_bytes()) {
                        let mut failure = next.failure(&format!(
                            "after a client left without reading its ACK, another client's request `{seq} still \
                             there?` got no `ACK {seq}`: the server's next `recv_from` failed (\"port \
                             unreachable\" for that ACK), and the server must go on after it"
                        ));
                        if server.stopped().is_some() {
                            failure = failure
                                .field("likely", "`?` or `unwrap` on `recv_from`: the server ended (see `meanwhile`)");
                        }
                        failure.fail();
                    }
                }
            },
        );
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_addresses() {
        check(
            "20,000 source ports send one request each (anyone can do that with a loop): the \
             memory must stop at MAX_ADDRESSES (10,000) and forget the least recently heard to \
             make room, with `by_age` in step with `peers`. Book: Datagrams › Bounded memory",
            || {
                let mut memory = Memory::new();
                let started = Instant::now();
                for port in 1..=20_000u16 {
                    answer(&mut memory, b"1 flood", addr(port));
                }
                let took = started.elapsed();
                let size = memory.size();
                let limit = MAX_ADDRESSES;
                if size.addresses > limit || size.ages > limit || size.numbers > limit * WINDOW {
                    Failure::new(format!(
                        "after requests from 20,000 addresses, the memory holds more than {limit} addresses"
                    ))
                    .field("expected", format!("at most {limit} addresses (MAX_ADDRESSES) in `peers` and in `by_age`"))
                    .field("got", format!("{size:?}"))
                    .fail();
                }
                let newest = answer(&mut memory, b"1 flood", addr(20_000));
                if newest.outcome != Outcome::Repeat {
                    Failure::new("the most recently heard address was forgotten: forget the LEAST recently heard")
                        .field("got", format!("{newest:?} for a repeat from the last address"))
                        .fail();
                }
                if took > Duration::from_secs(5) {
                    Failure::new(format!("20,000 requests took {} ms", took.as_millis()))
                        .field(
                            "likely",
                            "finding the least recently heard address by scanning: use `by_age.pop_first()`",
                        )
                        .fail();
                }
            },
        );
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_numbers() {
        check(
            "one address sending 20,000 numbers must not grow the memory: keep at most WINDOW \
             numbers per address. Book: Datagrams › Bounded memory",
            || {
                let mut memory = Memory::new();
                for seq in 1..=20_000u64 {
                    answer(&mut memory, format!("{seq} x").as_bytes(), addr(1));
                }
                let size = memory.size();
                if size.numbers > WINDOW {
                    Failure::new("after 20,000 numbers from one address, the memory holds too many")
                        .field("expected", format!("at most {} numbers (WINDOW)", WINDOW))
                        .field("got", format!("{size:?}"))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn a_flood_from_one_client_does_not_stop_the_server() {
        check(
            "a client may send thousands of datagrams as fast as it can, good and bad: the kernel \
             drops what does not fit in the receive buffer (UDP does not resend), and the server \
             answers what it gets and goes on. Book: Datagrams › Lost, duplicated, reordered",
            || {
                let server = UdpServer::start();
                let mut flooder = server.peer();
                let big = [b"1 ".to_vec(), vec![b'x'; 60_000]].concat();
                for i in 0..5_000u64 {
                    match i % 5 {
                        0 => flooder.send(format!("{i} flood").as_bytes()),
                        1 => flooder.send(b"1 flood"),
                        2 => flooder.send(b"+1 bad"),
                        3 => flooder.send(&[b'9', b' ', 0xff]),
                        _ if i % 500 == 4 => flooder.send(&big),
                        _ => flooder.send(b""),
                    }
                }
                // The kernel may still drop a datagram while the server's buffer
                // is full of the flood: like any client, this one resends.
                let mut next = server.peer();
                let mut acked = false;
                for _ in 0..10 {
                    next.send(b"1 after the flood");
                    if let Some(reply) = next.try_reply(Duration::from_millis(300)) {
                        acked = reply == b"ACK 1";
                        break;
                    }
                }
                if !acked {
                    next.failure("after a flood from one client, another client's request got no `ACK 1`").fail();
                }
                if let Some(why) = server.stopped() {
                    Failure::new("the server stopped during the flood").field("server", why).fail();
                }
            },
        );
    }
}
