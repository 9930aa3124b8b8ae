//! Checks for lesson 06, the chat room. Run them with `just check 06`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - basics: the prompt, joining, chatting, leaving;
//! - rules: nicknames, who hears what, line endings, long lines, bad bytes, forgeries, /who;
//! - robustness: targeted checks first (users who vanish, connections that never
//!   join, a 64 MiB line, a user who never reads, a flood a steady reader must
//!   survive), then the stress of a hundred users at once, so that a bug with a
//!   name is met by the check that names it;
//! - end_to_end: the client, and the two binaries as people use them.

mod flood;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use harness::{check, check_within, Client, Server};

use support::words;

/// How long "nothing arrives" is watched for: a bounded wait, long enough for
/// a wrong line to show up on loopback, short enough to keep the checks quick.
const QUIET: Duration = Duration::from_millis(200);

const SERVER: &str = env!("CARGO_BIN_EXE_chat-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_chat-client");

/// Starts the learner's chat server on a free port.
fn chat_server() -> Server {
    Server::start("chat::serve", chat::serve)
}

/// What keeps a newcomer from hearing anything when someone else is already
/// in the room.
const ROOM_LOCKED: &str = "the room's lock is held by someone else's thread: a `MutexGuard` kept for a whole \
     conversation (`let room = lock(room);` before the reading loop) blocks everyone else's join. Take the lock \
     for one step at a time, in a statement of its own: `lock(room).say(name, &text);`";

/// Connects, reads the prompt, sends `name` and reads the room list.
/// Returns the connection and the room list line.
fn join(server: &Server, name: &str) -> (Client, String) {
    let mut client = server.connect();
    let prompt = client.read_line();
    if prompt.is_empty() {
        client.fail("expected a line asking for a nickname first, but it was empty", "\"\"");
    }
    client.send(format!("{name}\n").as_bytes());
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.read_line()));
    let Ok(list) = attempt else {
        let _ = client.stream().set_read_timeout(Some(Duration::from_millis(50)));
        let closed = matches!(client.stream().peek(&mut [0u8; 1]), Ok(0));
        let what = format!(
            "after the nickname {name:?}, expected one line starting with `* ` listing who is in the room, but {}",
            if closed { "the server closed the connection" } else { "nothing came" }
        );
        let mut failure = client.failure(&what);
        if !closed && server_has_someone(server) {
            failure = failure.field("likely", ROOM_LOCKED);
        }
        failure.fail()
    };
    JOINED.with(|joined| joined.borrow_mut().push(server.addr()));
    if !list.starts_with("* ") {
        client.fail(
            &format!("after the nickname {name:?}, expected one line starting with `* ` listing who is in the room"),
            &format!("{list:?}"),
        );
    }
    (client, list)
}

thread_local! {
    /// The servers this check's thread has joined someone to: the next join
    /// to one of them finds someone in the room.
    static JOINED: std::cell::RefCell<Vec<std::net::SocketAddr>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn server_has_someone(server: &Server) -> bool {
    JOINED.with(|joined| joined.borrow().contains(&server.addr()))
}

/// Joins and ignores the room list.
fn joined(server: &Server, name: &str) -> Client {
    join(server, name).0
}

/// Reads one line and fails unless it is `expected`; `why` says what should
/// have produced it.
fn expect_line(client: &mut Client, who: &str, expected: &str, why: &str) {
    let got = read_line_or(client, &format!("{who} expected the line {expected:?} ({why})"));
    if got != expected {
        client.failure(&format!("{who} expected the line {expected:?} ({why})")).field("got", format!("{got:?}")).fail()
    }
}

/// Reads one line; when none comes, fails with `expectation`, saying whether
/// the server closed the connection or just sent nothing.
fn read_line_or(client: &mut Client, expectation: &str) -> String {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.read_line()));
    attempt.unwrap_or_else(|_| {
        let _ = client.stream().set_read_timeout(Some(Duration::from_millis(50)));
        let what = match client.stream().peek(&mut [0u8; 1]) {
            Ok(0) => "the server closed the connection",
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => "the server reset the connection",
            Ok(_) => "no complete line came (no \\n)",
            Err(_) => "nothing came",
        };
        client.failure(&format!("{expectation}, but {what}")).fail()
    })
}

/// Reads one line and fails unless it is a notice, starting with `* `.
fn expect_notice(client: &mut Client, who: &str, why: &str) -> String {
    let got = read_line_or(client, &format!("{who} expected a notice, a line starting with `* ` ({why})"));
    if !got.starts_with("* ") {
        client
            .failure(&format!("{who} expected a notice, a line starting with `* ` ({why})"))
            .field("got", format!("{got:?}"))
            .fail()
    }
    got
}

mod basics {
    use super::*;
    use rstest::rstest;

    #[test]
    fn greets_with_a_prompt() {
        check(
            "as soon as a client connects, send it one line (ending in \\n) asking for a nickname: \
             write PROMPT at the start of `handle_connection`. Book: The chat room › The protocol",
            || {
                let server = chat_server();
                let mut client = server.connect();
                let prompt = client.read_line();
                if prompt.trim().is_empty() {
                    client.fail("expected a line asking for a nickname, but it was empty", &format!("{prompt:?}"));
                }
            },
        );
    }

    #[test]
    fn a_newcomer_hears_who_is_in_the_room() {
        check(
            "after a valid nickname, send the newcomer one line starting with `* ` naming everyone else \
             in the room (`* in the room: nobody yet` when it is empty; never the newcomer). \
             Book: The chat room › Joining and the room list",
            || {
                let server = chat_server();
                let (_ana, list) = join(&server, "ana");
                if words(&list).contains("ana") {
                    harness::Failure::new("ana joined an empty room, but her room list names her")
                        .field("got", format!("{list:?}"))
                        .fail()
                }
                let (_bob, list) = join(&server, "bob");
                let named = words(&list);
                if !named.contains("ana") || named.contains("bob") {
                    harness::Failure::new("bob's room list should name ana (already in the room) and not bob himself")
                        .field("got", format!("{list:?}"))
                        .fail()
                }
                let (_cy, list) = join(&server, "cy");
                let named = words(&list);
                if !named.contains("ana") || !named.contains("bob") || named.contains("cy") {
                    harness::Failure::new("cy's room list should name ana and bob, and not cy herself")
                        .field("got", format!("{list:?}"))
                        .fail()
                }
            },
        );
    }

    #[test]
    fn the_room_hears_a_newcomer_join() {
        check(
            "when someone joins, everyone already in the room gets `* <name> joined`. \
             Book: The chat room › Joining and the room list",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let _bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob has just joined");
            },
        );
    }

    #[test]
    fn a_chat_line_reaches_everyone_else() {
        check(
            "a line from a user goes to every *other* user as `[name] text`, and never back to its sender. \
             Book: The chat room › Broadcast",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                let mut cy = joined(&server, "cy");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                expect_line(&mut ana, "ana", "* cy joined", "cy joined after her");
                expect_line(&mut bob, "bob", "* cy joined", "cy joined after him");

                ana.send("hello, room\n".as_bytes());
                expect_line(&mut bob, "bob", "[ana] hello, room", "ana sent `hello, room`");
                expect_line(&mut cy, "cy", "[ana] hello, room", "ana sent `hello, room`");
                ana.expect_silence(QUIET);
            },
        );
    }

    #[rstest]
    #[case::with_quit("/quit")]
    #[case::by_closing("")]
    fn leaving_is_announced(#[case] how: &'static str) {
        check(
            "when a user leaves, with /quit or by closing the connection (the read returns 0: end of stream), \
             remove them from the room and tell the others `* <name> left`. \
             Book: The chat room › Leaving",
            move || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                if how.is_empty() {
                    drop(bob);
                } else {
                    bob.send(format!("{how}\n").as_bytes());
                    // Whatever the server says to bob, it then closes.
                    let _ = bob.read_to_end();
                }
                let why = if how.is_empty() { "bob closed his connection" } else { "bob sent /quit" };
                expect_line(&mut ana, "ana", "* bob left", why);
            },
        );
    }
}

mod rules {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("ana", true)]
    #[case::portuguese("João", true)]
    #[case::chinese("李雷", true)]
    #[case::greek("Σωκράτης", true)]
    #[case::digits("2001", true)]
    #[case::mixed("R2D2", true)]
    #[case::sixteen_ascii("abcdefghijklmnop", true)]
    #[case::seventeen_accented("ããããããããããããããããã", false)]
    #[case::sixteen_multibyte("áéíóúâêôãõçàüñöß", true)]
    #[case::empty("", false)]
    #[case::seventeen("abcdefghijklmnopq", false)]
    #[case::space("ana maria", false)]
    #[case::leading_space(" ana", false)]
    #[case::punctuation("ana!", false)]
    #[case::star("*", false)]
    #[case::brackets("[ana]", false)]
    #[case::underscore("ana_b", false)]
    #[case::emoji("🦀", false)]
    #[case::tab("ana\tb", false)]
    #[case::nul("ana\0", false)]
    #[case::carriage_return("ana\r", false)]
    #[case::newline("ana\nb", false)]
    #[case::line_separator("ana\u{2028}b", false)]
    fn validate_nickname_decides(#[case] name: &'static str, #[case] valid: bool) {
        check(
            "a nickname is 1 to 16 *characters* (count `chars()`, not bytes), each `char::is_alphanumeric`: \
             letters and digits of any script. Book: The chat room › Nicknames",
            move || {
                let verdict = chat::validate_nickname(name);
                if verdict.is_ok() != valid {
                    harness::Failure::new(format!(
                        "validate_nickname({name:?}) should {} it",
                        if valid { "accept" } else { "refuse" }
                    ))
                    .field("characters", name.chars().count())
                    .field("bytes", name.len())
                    .field("got", format!("{verdict:?}"))
                    .fail()
                }
            },
        );
    }

    #[rstest]
    #[case::empty(b"\n".as_slice())]
    #[case::space(b"ana maria\n".as_slice())]
    #[case::star(b"*\n".as_slice())]
    #[case::seventeen(b"abcdefghijklmnopq\n".as_slice())]
    #[case::not_utf8(b"an\xffa\n".as_slice())]
    #[case::a_very_long_line([b'a'; 5000].as_slice())]
    fn a_bad_nickname_is_refused_and_closed(#[case] name: &'static [u8]) {
        check(
            "check the nickname before joining; if it is bad, send one line starting with `* ` that says why, \
             then close the connection, and tell nobody else. Book: The chat room › Nicknames",
            move || {
                let server = chat_server();
                let mut zoe = joined(&server, "zoe");
                let mut client = server.connect();
                let _prompt = client.read_line();
                client.send(name);
                if !name.ends_with(b"\n") {
                    client.send(b"\n");
                }
                let why = client.read_line_bytes();
                if !why.starts_with(b"* ") {
                    client.fail(
                        "a bad nickname should get one line starting with `* ` that says why",
                        &harness::show_bytes(&why),
                    );
                }
                client.expect_closed();
                zoe.expect_silence(QUIET);
            },
        );
    }

    #[test]
    fn a_taken_nickname_is_refused_and_its_holder_undisturbed() {
        check(
            "a nickname already in the room is refused (`* ` line, then close). Check it and add the user \
             in one step, under the lock, and never remove the *other* user with that name. \
             Book: The chat room › Joining and the room list",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut impostor = server.connect();
                let _prompt = impostor.read_line();
                impostor.send(b"ana\n");
                let why = impostor.read_line();
                if !why.starts_with("* ") {
                    impostor.fail("a taken nickname should get one line starting with `* ` that says why", &why);
                }
                impostor.expect_closed();
                ana.expect_silence(QUIET);

                let (_bob, list) = join(&server, "bob");
                if !words(&list).contains("ana") {
                    harness::Failure::new("after an impostor was refused, the real ana should still be in the room")
                        .field("bob's room list", format!("{list:?}"))
                        .field(
                            "likely",
                            "the impostor's connection removed her: it calls `leave(\"ana\")` on its way out, though it \
                             never joined. Only a connection whose join succeeded leaves the room",
                        )
                        .fail()
                }
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after the impostor was refused");
            },
        );
    }

    #[test]
    fn a_connection_that_has_not_joined_hears_nothing() {
        check(
            "only joined users get chat lines and notices: add a user to the room only once their nickname \
             is accepted. Book: The chat room › Joining and the room list",
            || {
                let server = chat_server();
                let mut lurker = server.connect();
                let _prompt = lurker.read_line();
                let mut typing = server.connect();
                let _prompt = typing.read_line();
                typing.send(b"cy"); // half a nickname, no newline yet

                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(b"is anyone else here?\n");
                expect_line(&mut bob, "bob", "[ana] is anyone else here?", "ana said it");
                lurker.expect_silence(QUIET);
                typing.expect_silence(QUIET);

                typing.send(b"\n");
                let list = expect_notice(&mut typing, "cy", "she has just finished typing her nickname");
                let named = words(&list);
                if !named.contains("ana") || !named.contains("bob") {
                    typing.fail("cy's first line after joining should be the room list, naming ana and bob", &list);
                }
            },
        );
    }

    #[test]
    fn a_trailing_carriage_return_is_dropped() {
        check(
            "clients like telnet, and nc on some systems, end lines with \\r\\n: drop the \\r before the \\n, \
             in the nickname and in messages. Book: The chat room › The protocol",
            || {
                let server = chat_server();
                let mut bob = joined(&server, "bob");
                let mut ana = server.connect();
                let _prompt = ana.read_line();
                ana.send(b"ana\r\n");
                expect_notice(&mut ana, "ana", "she joined with `ana\\r\\n`");
                expect_line(&mut bob, "bob", "* ana joined", "ana joined with `ana\\r\\n`");
                ana.send(b"hi\r\n");
                expect_line(&mut bob, "bob", "[ana] hi", "ana sent `hi\\r\\n`");
            },
        );
    }

    #[rstest]
    #[case::ascii("a".repeat(1000), "\n")]
    #[case::accented("ação ".repeat(1000 / "ação ".len()) + "ação", "\n")]
    #[case::with_crlf("z".repeat(1000), "\r\n")]
    fn a_line_of_1000_bytes_passes_intact(#[case] text: String, #[case] ending: &'static str) {
        check(
            "a line may hold up to 1000 bytes of text (not counting its \\n or \\r\\n): deliver it whole. \
             Book: The chat room › Reading lines without trusting the client",
            move || {
                assert_eq!(text.len(), 1000, "the check's own line should be 1000 bytes");
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(format!("{text}{ending}").as_bytes());
                expect_line(&mut bob, "bob", &format!("[ana] {text}"), "ana sent a line of exactly 1000 bytes");
            },
        );
    }

    #[rstest]
    #[case::one_byte_too_many(1001, "\n")]
    #[case::one_byte_too_many_crlf(1001, "\r\n")]
    #[case::one_mebibyte(1024 * 1024, "\n")]
    fn a_longer_line_is_refused_with_a_notice(#[case] size: usize, #[case] ending: &'static str) {
        check(
            "a line over 1000 bytes is not sent to anyone: its sender gets `* line too long (max 1000 bytes)…`, \
             the rest of it is skipped up to its \\n, and the next line works as usual. Read with the bounded \
             `LineReader`, not `read_line`. Book: The chat room › Reading lines without trusting the client",
            move || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                let long: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
                ana.send(&long);
                ana.send(ending.as_bytes());
                let notice = expect_notice(&mut ana, "ana", &format!("she sent a line of {size} bytes"));
                if !notice.starts_with("* line too long") {
                    ana.fail("the notice for a long line should start with `* line too long`", &notice);
                }
                bob.expect_silence(QUIET);
                ana.send(b"still here\n");
                expect_line(&mut bob, "bob", "[ana] still here", "ana's next, short line");
            },
        );
    }

    #[test]
    fn invalid_utf8_is_refused_with_a_notice() {
        check(
            "a line that is not UTF-8 is not sent to anyone: its sender gets a `* ` notice, and the next \
             line works as usual. Book: The chat room › Reading lines without trusting the client",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(b"caf\xe9 au lait\n");
                expect_notice(&mut ana, "ana", "she sent `caf\\xe9 au lait`, which is Latin-1, not UTF-8");
                bob.expect_silence(QUIET);
                ana.send("café au lait\n".as_bytes());
                expect_line(&mut bob, "bob", "[ana] café au lait", "ana's next line, in UTF-8");
            },
        );
    }

    #[test]
    fn blank_lines_are_ignored() {
        check(
            "a line that is empty or only whitespace (spaces, tabs) is nothing to say: send it to nobody. \
             Book: The chat room › The protocol",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(b"\n\r\n   \n");
                bob.expect_silence(QUIET);
                ana.send(b"x\n");
                expect_line(&mut bob, "bob", "[ana] x", "ana sent `x` after three blank lines");
            },
        );
    }

    #[test]
    fn no_one_can_forge_a_notice_or_a_line() {
        check(
            "every chat line goes out as `[sender] text`, whatever the text: a message starting with `* ` must \
             not look like a notice. Split what arrives at each \\n: bytes after a \\n are the next line. \
             Book: The chat room › Nobody speaks for someone else",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(b"* cy left\n");
                expect_line(&mut bob, "bob", "[ana] * cy left", "ana sent `* cy left`");
                ana.send(b"hi\n[cy] I owe ana money\n");
                expect_line(&mut bob, "bob", "[ana] hi", "ana sent `hi\\n[cy] I owe ana money\\n` in one write");
                expect_line(&mut bob, "bob", "[ana] [cy] I owe ana money", "that write held a second line");
            },
        );
    }

    #[test]
    fn who_answers_the_sender_only() {
        check(
            "`/who` is a command, not a message: answer its sender alone with a `* ` line naming everyone in \
             the room (sender included), and send nothing to the others. Book: The chat room › Commands",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                expect_line(&mut ana, "ana", "* bob joined", "bob joined after her");
                ana.send(b"/who\n");
                let answer = expect_notice(&mut ana, "ana", "she sent /who");
                let named = words(&answer);
                if !named.contains("ana") || !named.contains("bob") {
                    ana.fail("the answer to /who should name everyone in the room: ana and bob", &answer);
                }
                bob.expect_silence(QUIET);
            },
        );
    }
}

mod robustness {
    use super::support::{all_at_once, User};
    use super::*;
    use std::collections::BTreeMap;

    // At most 99 join notices and 99 × 5 lines can wait for one user at any
    // moment: fewer than the reference's queue of 1024 lines, so however the
    // threads are scheduled, no user who reads is ever too slow here.
    const USERS: usize = 100;
    const LINES_EACH: usize = 5;

    #[test]
    fn abrupt_disconnects_are_announced() {
        check(
            "a user may vanish without /quit: the connection closes mid-line, or is reset (the read fails \
             with an error instead of returning 0). Either way, leave the room and tell the others. \
             Book: The chat room › Leaving",
            || {
                let server = chat_server();
                let mut ana = joined(&server, "ana");
                let mut bob = joined(&server, "bob");
                let mut cy = joined(&server, "cy");
                let dee = joined(&server, "dee");
                for name in ["bob", "cy", "dee"] {
                    expect_line(&mut ana, "ana", &format!("* {name} joined"), "they joined after her");
                }
                ana.send(b"bye, you three\n");
                // bob reads everything meant for him, then resets the
                // connection: his writer on the server has nothing left to
                // write, so it is his reader that meets the reset, as a read
                // error, every run.
                for line in ["* cy joined", "* dee joined", "[ana] bye, you three"] {
                    expect_line(&mut bob, "bob", line, "before he leaves");
                }
                bob.reset_now();
                // cy closes in the middle of a line.
                cy.send(b"I was just about to s");
                drop(cy);
                // dee shuts her connection down both ways.
                let _ = dee.stream().shutdown(std::net::Shutdown::Both);
                drop(dee);

                let mut gone = BTreeSet::new();
                for _ in 0..3 {
                    let line = read_line_or(
                        &mut ana,
                        &format!("ana expected `* bob left`, `* cy left` and `* dee left` in any order (heard {gone:?} so far)"),
                    );
                    match line.strip_prefix("* ").and_then(|l| l.strip_suffix(" left")) {
                        Some(who) if ["bob", "cy", "dee"].contains(&who) && gone.insert(who.to_string()) => {}
                        _ => ana.fail("ana expected `* bob left`, `* cy left` and `* dee left`, in any order", &line),
                    }
                }
                let (_eve, list) = join(&server, "eve");
                let named = words(&list);
                if ["bob", "cy", "dee"].iter().any(|n| named.contains(*n)) || !named.contains("ana") {
                    harness::Failure::new("after bob, cy and dee left, eve's room list should name ana alone")
                        .field("got", format!("{list:?}"))
                        .fail()
                }
                server.assert_running("three users vanished");
            },
        );
    }

    #[test]
    fn connections_that_never_join_leave_no_trace() {
        check(
            "a connection that closes before its nickname, or sends a bad one, was never in the room: \
             add a user only after the nickname is accepted. Book: The chat room › Joining and the room list",
            || {
                let server = chat_server();
                drop(server.connect());
                let mut silent = server.connect();
                let _ = silent.read_line();
                drop(silent);
                let mut half = server.connect();
                let _ = half.read_line();
                half.send(b"ghost");
                drop(half);
                let mut bad = server.connect();
                let _ = bad.read_line();
                bad.send(b"gho st\n");
                let _ = bad.read_to_end();

                let (_ana, list) = join(&server, "ana");
                if list.contains("gho") {
                    harness::Failure::new("ana joined after only failed attempts, but her room list names one of them")
                        .field("got", format!("{list:?}"))
                        .fail()
                }
                let (_ghost, _) = join(&server, "ghost");
                server.assert_running("connections that never joined");
            },
        );
    }
    #[test]
    fn a_line_that_never_ends_does_not_eat_memory() {
        check_within(
            Duration::from_secs(20),
            "`read_line` keeps reading until it finds a \\n, growing its String for as long as the client \
             sends: 64 MiB without a newline means 64 MiB of memory. Read lines with the bounded `LineReader` \
             (it skips the rest of a long line without keeping it). \
             Book: The chat room › Reading lines without trusting the client",
            || {
                const SIZE_MIB: usize = 64;
                let server = harness::ServerProcess::start(SERVER);
                let mut ana = server.connect();
                let _prompt = ana.read_line();
                ana.send(b"ana\n");
                let _list = ana.read_line();
                let before = flood::peak_memory_kib(server.id());
                let chunk = vec![b'a'; 1024 * 1024];
                for _ in 0..SIZE_MIB {
                    // `send` keeps a copy of what it sends (in this process, not the
                    // server's), so a failure shows what really went out.
                    ana.send(&chunk);
                }
                ana.send(b"\n");
                let notice = expect_notice(&mut ana, "ana", "she sent a line of 64 MiB");
                if !notice.starts_with("* line too long") {
                    ana.fail("the notice for a long line should start with `* line too long`", &notice);
                }
                let after = flood::peak_memory_kib(server.id());
                let grown_mib = after.saturating_sub(before) / 1024;
                if grown_mib >= 16 {
                    harness::Failure::new(format!(
                        "chat-server's memory grew by {grown_mib} MiB while it read one line of {SIZE_MIB} MiB"
                    ))
                    .field("peak before", format!("{} MiB", before / 1024))
                    .field("peak after", format!("{} MiB", after / 1024))
                    .field("likely", "the whole line was kept in memory: a read without a limit")
                    .fail()
                }
            },
        );
    }

    /// Floods the room from `flood` while `slow` never reads, and checks that
    /// `ear` gets every line: batch by batch, each line within 5 s (the room
    /// may wait up to STUCK, 2 s, for slow before cutting it off). Stops once `slow` is gone and 2 MiB have passed, or after
    /// 24 MiB. Returns whether `ear` heard `* slow left`.
    fn flood_past_a_user_who_never_reads() -> bool {
        const BATCH: usize = 64;
        const MAX_BYTES: usize = 24 * 1024 * 1024;
        const MIN_BYTES: usize = 2 * 1024 * 1024;
        let server = chat_server();
        let addr = server.addr();
        let (slow, _) = join(&server, "slow");
        let (ear, _) = User::join(addr, "ear");
        // The room may rightly pause for up to STUCK while it waits for slow.
        let mut ear = ear.patient(chat::STUCK + harness::IO_DEADLINE);
        let (mut flood, _) = User::join(addr, "flood");
        let joined = ear.line();
        if joined != "* flood joined" {
            ear.fail(&format!("ear expected `* flood joined`, got {joined:?}"));
        }

        let mut slow_left = false;
        let mut sent = 0;
        let mut batch_no = 0;
        while sent < MAX_BYTES && !(slow_left && sent >= MIN_BYTES) {
            let mut text = String::new();
            for i in 0..BATCH {
                let head = format!("batch {batch_no} line {i} ");
                text.push_str(&head);
                text.push_str(&"x".repeat(1000 - head.len()));
                text.push('\n');
            }
            flood.send(text.as_bytes());
            sent += text.len();
            let mut got = 0;
            while got < BATCH {
                let line = ear.try_line().unwrap_or_else(|why| {
                    ear.failure(&format!(
                        "the room stalled: ear had {got} of the 64 lines of batch {batch_no}, then {why}; \
                         {} KiB had been sent through the room while slow was not reading",
                        sent / 1024
                    ))
                    .field(
                        "likely",
                        "1. a write to a socket (`write_all`, or a blocking `send` into a full queue) while the \
                         room's lock is held: the write to slow never ends, and nobody gets the lock again;\n\
                         2. the sender waits for slow for ever: slow is stuck, and a line not written within STUCK \
                         must end their writer (`write_within(…, STUCK)`, not `write_all`)",
                    )
                    .fail()
                });
                if line == "* slow left" {
                    slow_left = true;
                    continue;
                }
                let expected = format!("[flood] batch {batch_no} line {got} ");
                if !line.starts_with(&expected) {
                    ear.fail(&format!("ear expected a line starting {expected:?}, got {line:?}"));
                }
                got += 1;
            }
            batch_no += 1;
        }
        drop(slow);
        let _ = User::join(addr, "late");
        server.assert_running("a flood past a user who never reads");
        slow_left
    }

    #[test]
    fn a_user_who_never_reads_does_not_stall_the_room() {
        check_within(
            Duration::from_secs(30),
            "a user who never reads fills their socket's buffers, and then a plain `write_all` to them blocks. \
             Never write to a socket while holding the room's lock: queue lines with `try_send` into each \
             user's bounded queue, and let each user's own writer thread do the writing. \
             Book: The chat room › Slow readers",
            || {
                flood_past_a_user_who_never_reads();
            },
        );
    }

    #[test]
    fn a_user_who_never_reads_is_disconnected() {
        check_within(
            Duration::from_secs(30),
            "a user who never reads is stuck: their writer waits for ever on a full socket, and their queue stays \
             full. Give up on a line not written within STUCK (write it with `write_within(…, STUCK)`, not \
             `write_all`) and end the writer: that shuts their socket down, their own thread leaves the room, \
             and the others hear `* <name> left`. Book: The chat room › Slow readers",
            || {
                if !flood_past_a_user_who_never_reads() {
                    harness::Failure::new(
                        "slow never read a byte while 24 MiB went through the room, and was never disconnected \
                         (nobody heard `* slow left`)",
                    )
                    .field(
                        "likely",
                        "the room never waited for slow, so nothing ever held slow's lines back: slow's queue has \
                         no bound (`mpsc::channel()`, so the lines pile up in memory), or lines that find it full are \
                         dropped. With `sync_channel(QUEUE_LEN)` the sender waits once it is full, and slow's writer \
                         gives up after STUCK",
                    )
                    .fail()
                }
            },
        );
    }

    #[test]
    fn a_reader_who_keeps_reading_stays_while_another_floods() {
        check_within(
            Duration::from_secs(30),
            "fair under flood: when a reader's queue is full, slow the *sender* down, never the reader. \
             `try_send` hands the line back (`TrySendError::Full(line)`): return it from the room, and after \
             the lock is released `deliver` it with a blocking `send`. The sender's thread waits, so the \
             server stops reading from the flooder until the readers catch up. Book: The chat room › Fair under flood",
            || {
                let server = harness::ServerProcess::start(SERVER);
                let flood = flood::run(server.addr(), server.id());
                flood::judge(&flood);
                // For maintainers (`cargo test … -- --nocapture`), once it passed: what it measured.
                eprintln!("flood measured: {flood:?}");
            },
        );
    }

    #[test]
    fn a_hundred_users_join_talk_and_leave_at_once() {
        check_within(
            Duration::from_secs(40),
            "with many threads at once, every change to the room must happen under the lock in one step: \
             join (check the name, send the list, tell the others, add) and leave (remove, tell). Each user's \
             lines must go out in order, to everyone else, and nobody may be dropped while reading. \
             Book: The chat room › Races",
            || {
                let server = chat_server();
                let addr = server.addr();
                let names: Vec<String> = (0..USERS).map(|i| format!("u{i:03}")).collect();
                let everyone: BTreeSet<String> = names.iter().cloned().collect();

                // Everyone joins at once.
                let users: Vec<(User, String)> = all_at_once(names.clone(), |name| User::join(addr, &name));

                // Then everyone talks at once, and reads until it has every line of every other user.
                let heard: Vec<(User, BTreeSet<String>, BTreeSet<String>)> = all_at_once(users, |(mut user, list)| {
                    let mut text = String::new();
                    for k in 0..LINES_EACH {
                        text.push_str(&format!("line {k} from {}\n", user.name));
                    }
                    user.send(text.as_bytes());
                    let in_list: BTreeSet<String> = words(&list).into_iter().filter(|w| everyone.contains(w)).collect();
                    let mut announced = BTreeSet::new();
                    let mut next: BTreeMap<String, usize> = BTreeMap::new();
                    let mut chat_lines = 0;
                    while chat_lines < (USERS - 1) * LINES_EACH {
                        let line = user.try_line().unwrap_or_else(|why| {
                            let short: Vec<String> = everyone
                                .iter()
                                .filter(|n| **n != user.name && next.get(*n).copied().unwrap_or(0) < LINES_EACH)
                                .take(5)
                                .map(|n| format!("{n} ({} of {LINES_EACH})", next.get(n).copied().unwrap_or(0)))
                                .collect();
                            user.fail(&format!(
                                "{} had {chat_lines} of the {} chat lines the others sent, then {why}; \
                                 lines still missing from: {}",
                                user.name,
                                (USERS - 1) * LINES_EACH,
                                short.join(", ")
                            ))
                        });
                        if let Some(who) = line.strip_prefix("* ").and_then(|l| l.strip_suffix(" joined")) {
                            if !announced.insert(who.to_string()) {
                                user.fail(&format!("{} heard `* {who} joined` twice", user.name));
                            }
                            continue;
                        }
                        let Some((sender, said)) = line.strip_prefix('[').and_then(|l| l.split_once("] ")) else {
                            user.fail(&format!(
                                "{} expected only chat lines and `* … joined` while everyone talks, got {line:?}",
                                user.name
                            ))
                        };
                        if sender == user.name {
                            user.fail(&format!("{} got its own line back: {line:?}", user.name));
                        }
                        let k = next.entry(sender.to_string()).or_insert(0);
                        if said != format!("line {k} from {sender}") {
                            user.fail(&format!(
                                "{}: {sender}'s lines came out of order or changed: expected `line {k} from {sender}`, \
                                 got {line:?}",
                                user.name
                            ));
                        }
                        *k += 1;
                        chat_lines += 1;
                    }
                    (user, in_list, announced)
                });

                // Each user learnt about every other user exactly once: in its room list, or by a join notice.
                for (user, in_list, announced) in &heard {
                    let both: Vec<&String> = in_list.intersection(announced).collect();
                    if let Some(twice) = both.first() {
                        user.fail(&format!(
                            "{} was told about {twice} twice: in its room list *and* by `* {twice} joined`. \
                             Joining must check, list, announce and add in one step under the lock",
                            user.name
                        ));
                    }
                    let known: BTreeSet<&String> = in_list.union(announced).collect();
                    let missing: Vec<&String> =
                        everyone.iter().filter(|n| **n != user.name && !known.contains(n)).collect();
                    if let Some(never) = missing.first() {
                        user.fail(&format!(
                            "{} was never told about {never}: not in its room list, and no `* {never} joined`",
                            user.name
                        ));
                    }
                }

                // Half of them leave at once (half of those with /quit, half by just closing),
                // and the other half must each hear every one of them leave, once.
                let mut leaving = Vec::new();
                let mut staying = Vec::new();
                for (i, (user, _, _)) in heard.into_iter().enumerate() {
                    if i % 2 == 0 {
                        leaving.push((i, user))
                    } else {
                        staying.push(user)
                    }
                }
                let leavers: BTreeSet<String> = leaving.iter().map(|(_, u)| u.name.clone()).collect();
                std::thread::scope(|s| {
                    s.spawn(|| {
                        all_at_once(leaving, |(i, user)| if i % 4 == 0 { user.quit() } else { drop(user) });
                    });
                    all_at_once(staying, |mut user| {
                        let mut gone = BTreeSet::new();
                        while gone.len() < leavers.len() {
                            let line = user.try_line().unwrap_or_else(|why| {
                                let never: Vec<&String> = leavers.difference(&gone).take(5).collect();
                                user.fail(&format!(
                                    "{} heard {} of the {} users who left (some with /quit, some by just closing \
                                     their connection) leave, then {why}; never heard `* <name> left` for {never:?}…",
                                    user.name,
                                    gone.len(),
                                    leavers.len()
                                ))
                            });
                            match line.strip_prefix("* ").and_then(|l| l.strip_suffix(" left")) {
                                Some(who) if leavers.contains(who) => {
                                    if !gone.insert(who.to_string()) {
                                        user.fail(&format!("{} heard `* {who} left` twice", user.name));
                                    }
                                }
                                _ => user.fail(&format!(
                                    "{} expected only `* <name> left` while half the room leaves, got {line:?}",
                                    user.name
                                )),
                            }
                        }
                    });
                });

                // And the server still works.
                let (_late, _) = join(&server, "late");
                server.assert_running("a hundred users came and went");
            },
        );
    }
}

mod end_to_end {
    use super::support::{ClientProcess, FakeServer, Screen, SilentKeyboard};
    use super::*;
    use harness::{run_within, snapshot_settings, Failure, ServerProcess, IO_DEADLINE};
    use std::io::Cursor;

    #[test]
    fn the_client_sends_typed_lines_and_prints_what_arrives() {
        check(
            "`run_client`: one thread copies input lines to the server (each ending in \\n, a \\r before it \
             dropped), another copies what the server sends to the output. After sending /quit, type nothing more. \
             Book: The chat room › The client",
            || {
                let fake = FakeServer::start("* hello from the fake server\n", "* bye\n", false);
                let screen = Screen::default();
                let output = screen.clone();
                let input = Cursor::new("ana\nhello, room\r\n/quit\nthis comes after /quit\n".as_bytes().to_vec());
                let addr = fake.addr;
                let result = run_within("`run_client`", IO_DEADLINE, move || chat::run_client(addr, input, output));
                if let Err(e) = result {
                    Failure::new("`run_client` returned an error").field("error", e).fail()
                }
                let sent = fake.received().unwrap_or_default();
                if sent != b"ana\nhello, room\n/quit\n" {
                    Failure::new(
                        "the server should receive each typed line, without a trailing \\r, with \\n, up to and \
                         including /quit",
                    )
                    .field("expected", harness::show_bytes(b"ana\nhello, room\n/quit\n"))
                    .field("got", harness::show_bytes(&sent))
                    .fail()
                }
                let shown = screen.text();
                if shown != "* hello from the fake server\n* bye\n" {
                    Failure::new("the output should show everything the server sent, as it sent it")
                        .field("expected", format!("{:?}", "* hello from the fake server\n* bye\n"))
                        .field("got", format!("{shown:?}"))
                        .fail()
                }
            },
        );
    }

    #[test]
    fn the_client_leaves_at_the_end_of_input() {
        check(
            "at the end of input (Ctrl-D; `read_line` returns 0), tell the server you are done: shut down \
             writing (or send /quit), then wait, for a bounded time, for the server to close. \
             Book: The chat room › The client",
            || {
                let fake = FakeServer::start("* hello\n", "* bye\n", false);
                let screen = Screen::default();
                let output = screen.clone();
                let addr = fake.addr;
                let input = Cursor::new(b"ana\n".to_vec());
                let result = run_within("`run_client`", IO_DEADLINE, move || chat::run_client(addr, input, output));
                if let Err(e) = result {
                    Failure::new("`run_client` returned an error").field("error", e).fail()
                }
                let sent = fake.received();
                if sent.is_none() {
                    Failure::new("the input ended, but the server never heard that the client was done").fail()
                }
                if screen.text() != "* hello\n* bye\n" {
                    Failure::new("the output should show everything the server sent before it closed")
                        .field("got", format!("{:?}", screen.text()))
                        .fail()
                }
            },
        );
    }

    #[test]
    fn the_client_returns_when_the_server_closes() {
        check(
            "when the server closes the connection, `run_client` must return even though the keyboard thread \
             still waits for a line: wait for whichever side ends first (a channel), not for the keyboard. \
             Book: The chat room › The client",
            || {
                let fake = FakeServer::start("* the room is closed\n", "", true);
                let screen = Screen::default();
                let output = screen.clone();
                let addr = fake.addr;
                let result = run_within("`run_client`", IO_DEADLINE, move || {
                    chat::run_client(addr, SilentKeyboard::new(), output)
                });
                if let Err(e) = result {
                    Failure::new("`run_client` returned an error").field("error", e).fail()
                }
                if screen.text() != "* the room is closed\n" {
                    Failure::new("the output should show what the server sent before it closed")
                        .field("got", format!("{:?}", screen.text()))
                        .fail()
                }
            },
        );
    }

    #[test]
    fn two_people_chat_through_the_binaries() {
        check_within(
            Duration::from_secs(20),
            "`chat-server` and two `chat-client`s, typed into line by line; each client's screen is compared \
             with the reference's (the lines are the ones documented in src/lib.rs). \
             Book: The chat room › Try it by hand",
            || {
                let server = ServerProcess::start(SERVER);
                let mut ana = ClientProcess::start(CLIENT, "ana", server.addr());
                ana.next_line(); // the prompt
                ana.type_line("ana");
                ana.next_line(); // nobody here yet

                let mut bob = ClientProcess::start(CLIENT, "bob", server.addr());
                bob.next_line();
                bob.type_line("bob");
                bob.next_line(); // ana is here
                ana.next_line(); // bob joined

                bob.type_line("hello, ana!");
                ana.next_line();
                ana.type_line("olá, bob 👋");
                bob.next_line();
                bob.type_line("/who");
                bob.next_line();
                bob.type_line("/quit");
                bob.expect_exit(IO_DEADLINE);
                ana.next_line(); // bob left
                ana.end_input();
                ana.expect_exit(IO_DEADLINE);

                snapshot_settings().bind(|| {
                    insta::assert_snapshot!("ana_transcript", ana.transcript);
                    insta::assert_snapshot!("bob_transcript", bob.transcript);
                });
            },
        );
    }

    #[test]
    fn the_client_exits_when_the_server_goes_away() {
        check(
            "when the server stops, `chat-client` must exit on its own, even with the keyboard still open. \
             Book: The chat room › The client",
            || {
                let server = ServerProcess::start(SERVER);
                let mut ana = ClientProcess::start(CLIENT, "ana", server.addr());
                ana.next_line();
                ana.type_line("ana");
                ana.next_line();
                drop(server);
                ana.expect_exit(IO_DEADLINE);
            },
        );
    }
}
