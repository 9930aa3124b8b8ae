//! Checks for lesson 05, the confirmation server on one thread with mio.
//! Run them with `just check 05`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - basics: `parse_frame` on its own, then the protocol of lesson 03,
//!   unchanged; early on, the checks that name a mistake of the event loop
//!   (clients waiting at once, a burst read until `WouldBlock`, messages merged
//!   in one read) before those that would only show its symptoms;
//! - the_loop: no CPU while idle, no descriptor kept after a client left, one thread;
//! - many_clients: a thousand at once, and clients that stall, read late or never read.
//!
//! `the_loop` comes before `many_clients`, and its idle-CPU check first, so
//! that a busy loop is met first by the check that names it, not as a slow
//! thousand-client check.
//!
//! Most checks end with a polite `!DISCONNECT`; they do it through
//! [`close_politely`], so that a server that gets only that step wrong fails
//! with the disconnect hint, not with the hint of whatever the check was about.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use harness::confirm::{frame, frames, header, raw_header, CONFIRMATION, DISCONNECT, HEADER_LEN, MAX_BODY};
use harness::{check, check_within, show_bytes, Client, Failure, Server};

/// What to do about `!DISCONNECT`; the hint of `closes_after_disconnect`, and
/// of the closing step of every other check.
const DISCONNECT_HINT: &str = "after `!DISCONNECT`, queue its confirmation, set `closing`, and once the output is \
     written shut down writing; drop the connection when the client has closed too. \
     Book: Non-blocking I/O › Closing without a reset";

/// The closing step of a check: sends `!DISCONNECT`, expects its confirmation
/// and then the close. A failure here says that the check's own subject
/// worked and that only the goodbye went wrong, with the disconnect hint.
fn close_politely(client: &mut Client) {
    let mut confirmed = false;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client.send_message(DISCONNECT);
        let line = client.read_line_bytes();
        if line != CONFIRMATION.as_bytes() {
            return Some(line);
        }
        confirmed = true;
        client.expect_closed();
        None
    }));
    let what_went_wrong = match outcome {
        Ok(None) => return,
        Ok(Some(mut line)) => {
            line.push(b'\n');
            format!("another line came instead of the confirmation: {}", show_bytes(&line))
        }
        Err(_) if confirmed => {
            "the confirmation came, but then the connection did not end cleanly (more bytes, no close \
             in time, or a reset)"
                .to_string()
        }
        Err(_) => "no confirmation came: the server closed the connection, or nothing came in time".to_string(),
    };
    client
        .failure(
            "everything before the goodbye worked, but the closing `!DISCONNECT` failed: expected its \
             confirmation `Msg received\\n`, then the server closing the connection",
        )
        .field("went wrong", what_went_wrong)
        .field("fix this first", DISCONNECT_HINT)
        .field("note", "the hint below is about what this check tests, which passed")
        .fail()
}

/// Starts the learner's server, in this process, on a free port.
fn mio_server() -> Server {
    Server::start("confirm_mio::serve", confirm_mio::serve)
}

/// `n` confirmations, as the bytes a client should receive.
fn confirmations(n: usize) -> Vec<u8> {
    format!("{CONFIRMATION}\n").repeat(n).into_bytes()
}

mod basics {
    use super::*;
    use confirm_mio::{parse_frame, FrameError};
    use rstest::rstest;

    const PROTOCOL: &str = "Book: Non-blocking I/O › Connection state and buffers";

    /// The bytes of `bodies` framed one after another, then `extra` bytes.
    fn buffer(bodies: &[&str], extra: &[u8]) -> Vec<u8> {
        let mut buf = frames(bodies.iter().map(|b| b.as_bytes()));
        buf.extend_from_slice(extra);
        buf
    }

    #[rstest]
    #[case::empty_buffer(Vec::new())]
    #[case::one_byte_of_header(b"5".to_vec())]
    #[case::header_less_one_byte(header(5)[..HEADER_LEN - 1].to_vec())]
    #[case::header_but_no_body(header(5))]
    #[case::partial_body(buffer(&[], &[header(5), b"hell".to_vec()].concat()))]
    #[case::partial_multibyte_body(buffer(&[], &[header(2), vec![0xc3]].concat()))]
    fn parse_frame_waits_for_more(#[case] buf: Vec<u8>) {
        check(
            &format!(
                "with fewer bytes than a whole message, `parse_frame` returns Ok(None): more will come. \
                 {PROTOCOL}"
            ),
            move || match parse_frame(&buf) {
                Ok(None) => {}
                other => Failure::new("`parse_frame` should say Ok(None): not a whole message yet")
                    .field("buffer", show_bytes(&buf))
                    .field("got", format!("{other:?}"))
                    .fail(),
            },
        );
    }

    #[rstest]
    #[case::exact_frame(buffer(&["hello"], b""), "hello", HEADER_LEN + 5)]
    #[case::empty_body(buffer(&[""], b""), "", HEADER_LEN)]
    #[case::non_ascii(buffer(&["Olá, 🦀"], b""), "Olá, 🦀", HEADER_LEN + "Olá, 🦀".len())]
    #[case::frame_and_extra_bytes(buffer(&["first"], b"12  "), "first", HEADER_LEN + 5)]
    #[case::two_frames(buffer(&["one", "second"], b""), "one", HEADER_LEN + 3)]
    #[case::leading_zeros(buffer(&[], &[raw_header("003"), b"abcdef".to_vec()].concat()), "abc", HEADER_LEN + 3)]
    fn parse_frame_finds_the_first_message(#[case] buf: Vec<u8>, #[case] text: &'static str, #[case] used: usize) {
        check(
            &format!(
                "`parse_frame` returns the first message's text and how many bytes it used (64 + the body), \
                 and leaves what follows for the next call. The header counts bytes, not characters: the body \
                 is `buf[64..64 + len]`, whatever characters those bytes make. {PROTOCOL}"
            ),
            move || {
                let got = parse_frame(&buf);
                if !matches!(&got, Ok(Some((t, n))) if t == text && *n == used) {
                    Failure::new("`parse_frame` did not find the first message")
                        .field("buffer", show_bytes(&buf))
                        .field("expected", format!("Ok(Some(({text:?}, {used})))"))
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            },
        );
    }

    #[rstest]
    #[case::letters(raw_header("12ab").to_vec(), "BadHeader")]
    #[case::leading_space(raw_header(" 5").to_vec(), "BadHeader")]
    #[case::two_numbers(raw_header("1 2").to_vec(), "BadHeader")]
    #[case::all_spaces(raw_header("").to_vec(), "BadHeader")]
    #[case::over_the_limit(header(MAX_BODY + 1), "TooLong")]
    #[case::sixty_digits(raw_header(&"9".repeat(60)), "TooLong")]
    #[case::not_utf8([header(2), vec![0xff, 0xfe]].concat(), "NotUtf8")]
    #[case::bad_header_after_a_good_frame_is_not_yet_seen(buffer(&["ok"], &raw_header("x")), "none")]
    fn parse_frame_refuses(#[case] buf: Vec<u8>, #[case] expected: &'static str) {
        check(
            &format!(
                "check the header as soon as its 64 bytes are there, with `parse_header`, and pass its \
                 error on; a complete body must be UTF-8 (`std::str::from_utf8`). {PROTOCOL}"
            ),
            move || {
                let got = parse_frame(&buf);
                let kind = match &got {
                    Err(FrameError::BadHeader(_)) => "BadHeader",
                    Err(FrameError::TooLong(_)) => "TooLong",
                    Err(FrameError::NotUtf8) => "NotUtf8",
                    Ok(Some((text, used))) if expected == "none" && text == "ok" && *used == HEADER_LEN + 2 => "none",
                    _ => "something else",
                };
                if kind != expected {
                    let wanted = if expected == "none" {
                        "Ok(Some((\"ok\", 66))): the first message is fine; the bad one comes next time".into()
                    } else {
                        format!("Err(FrameError::{expected}(…))")
                    };
                    Failure::new("`parse_frame` gave the wrong answer for a buffer it should refuse")
                        .field("buffer", show_bytes(&buf))
                        .field("expected", wanted)
                        .field("got", format!("{got:?}"))
                        .fail();
                }
            },
        );
    }

    #[test]
    fn confirms_one_message() {
        check(
            "accept the client, register it, and when it is readable read its bytes into its input \
             buffer, cut a message out with `parse_frame` and queue `Msg received\\n` in its output. If \
             nothing comes back at all, most likely: the listener is still blocking (call \
             `listener.set_nonblocking(true)` before `TcpListener::from_std`: a blocking `accept` stops the whole \
             loop), or the new stream was never registered for READABLE. Book: Non-blocking I/O › The event loop",
            || {
                let server = mio_server();
                let mut client = server.connect();
                client.send_and_confirm("hello, mio");
            },
        );
    }

    /// Three clients connect before the server's first `poll`: the listener
    /// becomes readable once, for all three.
    #[test]
    fn serves_every_client_waiting_at_once() {
        check(
            "the listener is edge-triggered too: one READABLE event may stand for many clients waiting to be \
             accepted. Accept until `WouldBlock`, registering each. Book: Non-blocking I/O › The event loop",
            || {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                let addr = listener.local_addr().expect("local addr");
                // The kernel completes these connections and keeps them in the
                // listener's backlog until the server accepts them.
                let mut waiting: Vec<Client> = (0..3).map(|_| Client::connect(addr)).collect();
                let _server = Server::start_with("confirm_mio::serve", listener, confirm_mio::serve);
                for (i, client) in waiting.iter_mut().enumerate() {
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        client.send_message(&format!("client {i}: I was waiting"));
                        client.read_line_bytes()
                    }));
                    if !matches!(&answer, Ok(line) if line == CONFIRMATION.as_bytes()) {
                        Failure::new(format!("client {i} of 3 was not served"))
                            .field("story", "3 clients connected before the server started, then each sent a message")
                            .field("served before it", format!("{i} of the 3"))
                            .field(
                                "likely",
                                "one `accept` per READABLE event of the listener: the others wait for an event \
                                 that never comes. Accept until `WouldBlock`",
                            )
                            .fail();
                    }
                }
            },
        );
    }

    #[test]
    fn confirms_several_messages_in_turn() {
        check(
            "a connection stays open after a message: keep it in your map and wait for its next event. \
             Book: Non-blocking I/O › The event loop",
            || {
                let server = mio_server();
                let mut client = server.connect();
                for text in ["one", "two", "three", "four"] {
                    client.send_and_confirm(text);
                }
            },
        );
    }

    /// Eight 40 KiB messages in one write, then nothing: well over what one
    /// `read` takes, so a server that reads once per event is left with
    /// bytes in the kernel and no new event to tell it so.
    #[test]
    fn reads_until_would_block() {
        check(
            "with edge-triggered readiness, read until `WouldBlock` on every READABLE event: mio reports \
             a socket once when bytes arrive, not again while some remain. \
             Book: Non-blocking I/O › Edge-triggered: read until WouldBlock",
            || {
                const MESSAGES: usize = 8;
                let server = mio_server();
                let stream = support::raw_connect(server.addr(), Duration::from_secs(3));
                let mut writer = stream.try_clone().expect("clone a socket handle");
                let body = "x".repeat(40 * 1024);
                let burst = frames(std::iter::repeat_n(body.as_bytes(), MESSAGES));
                let size = burst.len();
                let sending = std::thread::spawn(move || writer.write_all(&burst));
                let mut reader = stream;
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while got.len() < MESSAGES * (CONFIRMATION.len() + 1) {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sending.join();
                if got != confirmations(MESSAGES) {
                    Failure::new("not every message of one big write was confirmed")
                        .field(
                            "sent",
                            format!("{MESSAGES} messages of 40 KiB in one write ({size} bytes), then nothing more"),
                        )
                        .field("expected", show_bytes(&confirmations(MESSAGES)))
                        .field("got (3 s)", show_bytes(&got))
                        .field(
                            "likely",
                            if got.starts_with(b"ERROR") {
                                "the server lost track of where messages begin: a message that had not all \
                                 arrived was thrown away. Keep the bytes of an unfinished message in the \
                                 connection's input buffer, and remove only those of whole messages (`drain(..used)`)"
                            } else {
                                "the server read once per event and left bytes waiting in the kernel"
                            },
                        )
                        .fail();
                }
            },
        );
    }

    #[test]
    fn closes_after_disconnect() {
        check(DISCONNECT_HINT, || {
            let server = mio_server();
            let mut client = server.connect();
            client.send_and_confirm("bye soon");
            client.disconnect();
            // The server goes on with others.
            server.connect().send_and_confirm("next");
        });
    }

    #[rstest]
    #[case::two(2)]
    #[case::three(3)]
    fn messages_merged_in_one_write(#[case] count: usize) {
        check(
            "one read may hold several messages: after each read, answer every whole message in the \
             buffer, not just the first. Book: Non-blocking I/O › Connection state and buffers",
            move || {
                let server = mio_server();
                let mut client = server.connect();
                let bodies: Vec<String> = (1..=count).map(|i| format!("merged {i}")).collect();
                client.send(&frames(bodies.iter().map(|b| b.as_bytes())));
                for _ in 0..count {
                    client.expect_confirmation();
                }
                close_politely(&mut client);
            },
        );
    }

    #[rstest]
    #[case::portuguese("Olá, mundo! Ação, coração, pão.")]
    #[case::emoji("🦀 + 🔌 = 💬")]
    #[case::cjk("你好，世界")]
    fn counts_bytes_not_characters(#[case] text: &'static str) {
        check(
            "the header counts bytes, not characters: take exactly that many bytes as the body, \
             and the next message starts right after. Book: Bytes and strings",
            move || {
                let server = mio_server();
                let mut client = server.connect();
                // Two messages in one write: a server that takes the wrong number
                // of bytes for the first one misreads the second.
                client.send(&frames([text.as_bytes(), "after".as_bytes()]));
                client.expect_confirmation();
                client.expect_confirmation();
                close_politely(&mut client);
            },
        );
    }

    #[test]
    fn header_and_body_in_1_byte_writes() {
        check(
            "bytes arrive in pieces of any size: keep what you read in the connection's input buffer, \
             and let `parse_frame` say `None` until a whole message is there. Book: Non-blocking I/O › \
             Connection state and buffers",
            || {
                let server = mio_server();
                let mut client = server.connect();
                client.send_in_pieces(&frame("Olá, pieces".as_bytes()), 1, true);
                client.expect_confirmation();
                close_politely(&mut client);
            },
        );
    }

    #[test]
    fn header_split_in_two() {
        check(
            "a header may arrive in two reads: keep the first part until the rest comes. \
             Book: Non-blocking I/O › Connection state and buffers",
            || {
                let server = mio_server();
                let mut client = server.connect();
                let message = frame(b"split header");
                client.send(&message[..30]);
                client.pause();
                client.send(&message[30..]);
                client.expect_confirmation();
                close_politely(&mut client);
            },
        );
    }

    #[rstest]
    #[case::empty(0)]
    #[case::largest_allowed(MAX_BODY)]
    fn body_of(#[case] size: usize) {
        check(
            "a header of `0` is a whole message with an empty body; a body of 65536 bytes is allowed \
             and arrives in many reads. If the big one is never confirmed, you may be reading once per \
             event: mio's readiness is edge-triggered, so read until `WouldBlock` each time (one event \
             may cover more bytes than one read takes). Book: Non-blocking I/O › Connection state and \
             buffers; Non-blocking I/O › Edge-triggered: read until WouldBlock",
            move || {
                let server = mio_server();
                let mut client = server.connect();
                client.send(&frame("é".repeat(size / 2).as_bytes()));
                client.expect_confirmation();
                close_politely(&mut client);
            },
        );
    }

    #[rstest]
    #[case::letters(raw_header("12ab"), b"".as_slice())]
    #[case::leading_space(raw_header(" 5"), b"hello".as_slice())]
    #[case::two_numbers(raw_header("1 2"), b"x".as_slice())]
    #[case::over_the_limit(header(MAX_BODY + 1), b"".as_slice())]
    #[case::sixty_digits(raw_header(&"9".repeat(60)), b"".as_slice())]
    #[case::not_utf8(header(4), b"ab\xff\xfe".as_slice())]
    fn refuses_with_error_and_closes(#[case] head: Vec<u8>, #[case] body: &'static [u8]) {
        check(
            "on a `FrameError`, queue `ERROR <reason>\\n` (its Display is the reason) and close once it \
             is written, without waiting for a body a bad header announces; then go on serving others. \
             Book: Non-blocking I/O › Closing without a reset",
            move || {
                let server = mio_server();
                let mut client = server.connect();
                let mut bytes = head;
                bytes.extend_from_slice(body);
                client.send(&bytes);
                client.expect_error_and_close();
                server.connect().send_and_confirm("next client");
            },
        );
    }

    #[rstest]
    #[case::without_a_byte(b"".to_vec())]
    #[case::after_a_message(frame(b"and then I leave"))]
    #[case::mid_header(header(5)[..20].to_vec())]
    #[case::mid_body([header(5), b"he".to_vec()].concat())]
    fn forgets_a_client_that_leaves(#[case] bytes: Vec<u8>) {
        check(
            "`read` returning Ok(0) is the client's end of stream: it will never send more. Stop reading \
             (another read returns 0 again, forever: a loop that waits for WouldBlock never ends) and drop \
             the connection once its output is written. Book: Non-blocking I/O › Closing without a reset",
            move || {
                let server = mio_server();
                let mut leaving = server.connect();
                leaving.send(&bytes);
                drop(leaving);
                server.connect().send_and_confirm("still serving?");
                server.assert_running("a client left without !DISCONNECT");
            },
        );
    }

    #[test]
    fn survives_a_client_that_resets() {
        check(
            "an error on one connection (here a reset: the client closed with its confirmation unread) \
             ends that connection only: print it, deregister and drop it, and go on; do not return it \
             from `serve` with `?`. Book: Non-blocking I/O › The event loop",
            || {
                let server = mio_server();
                let mut rude = server.connect();
                rude.send_message("I will not read the answer");
                // Wait until the confirmation has arrived, without reading it:
                // closing a socket with unread bytes sends a reset (RST).
                let mut first = [0u8; 1];
                let _ = rude.stream().peek(&mut first);
                drop(rude);
                let mut next = server.connect();
                next.send_and_confirm("still serving?");
                next.send_and_confirm("really?");
                server.assert_running("a client reset its connection");
            },
        );
    }

    /// Clients come and go, each newcomer arriving after someone left: a
    /// token taken from the number of open connections (`len() + 1`) gives a
    /// newcomer the token of a client still connected, as soon as the server
    /// has dropped someone. Five rounds make sure it has.
    #[test]
    fn a_token_is_never_given_to_two_connections() {
        check(
            "a token names one connection for as long as it is open: take each new one from a counter that \
             only goes up (`next_token += 1`), never from the number of open connections, which goes down when \
             a client leaves. Book: Non-blocking I/O › The event loop",
            || {
                let server = mio_server();
                let mut present: Vec<(String, Client)> = Vec::new();
                for name in ["A", "B"] {
                    let mut client = server.connect();
                    client.send_and_confirm(&format!("{name}: hello"));
                    present.push((name.to_string(), client));
                }
                let mut story = vec!["A and B connected".to_string()];
                for newcomer in ["C", "D", "E", "F", "G"] {
                    let (gone, mut leaving) = present.remove(0);
                    leaving.disconnect();
                    let mut client = server.connect();
                    client.send_and_confirm(&format!("{newcomer}: hello"));
                    story.push(format!("{gone} left, {newcomer} came"));
                    present.push((newcomer.to_string(), client));
                    for (name, client) in present.iter_mut() {
                        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            client.send_message(&format!("{name}: still here?"));
                            client.read_line_bytes()
                        }));
                        let got = match answer {
                            Ok(line) if line == CONFIRMATION.as_bytes() => continue,
                            Ok(mut line) => {
                                line.push(b'\n');
                                show_bytes(&line)
                            }
                            Err(_) => "no confirmation: the connection was closed, or nothing came".to_string(),
                        };
                        Failure::new(format!(
                            "client {name}, still connected, did not get the confirmation of its message"
                        ))
                        .field(
                            "story",
                            format!("{}; then each client still connected sent a message", story.join(", ")),
                        )
                        .field("got", got)
                        .field(
                            "likely",
                            "a newcomer was given the token of a client still connected (a token made from the \
                                 number of open connections, `len() + 1`, comes back once someone has left): its \
                                 connection replaced the other's in the map",
                        )
                        .fail();
                    }
                }
            },
        );
    }
}

mod the_loop {
    use super::*;
    use harness::ServerProcess;
    use std::thread;

    const SERVER: &str = env!("CARGO_BIN_EXE_mio-server");

    /// Starts `mio-server` and makes sure it answers a first message.
    fn start() -> ServerProcess {
        let server = ServerProcess::start(SERVER);
        let mut probe = support::raw_connect(server.addr(), Duration::from_secs(3));
        let answered = probe.write_all(&frame(b"probe")).is_ok() && {
            let mut got = [0u8; 13];
            probe.read_exact(&mut got).is_ok() && got == *b"Msg received\n"
        };
        if !answered {
            thread::sleep(Duration::from_millis(200)); // let a crashing process finish crashing
            support::expect_alive(&server, "mio-server");
            Failure::new("`mio-server` did not confirm a first message")
                .field("sent", show_bytes(&frame(b"probe")))
                .fail();
        }
        server
    }

    #[test]
    fn an_idle_server_uses_no_cpu() {
        check(
            "wait in `poll.poll(&mut events, None)`: it sleeps until something is ready. Never loop over \
             sockets asking each one (a busy loop: 100% CPU to do nothing); never use a poll timeout of zero. \
             Book: Non-blocking I/O › The busy loop",
            || {
                let server = start();
                let mut idle: Vec<Client> = (0..50).map(|_| server.connect()).collect();
                for client in &mut idle {
                    client.send_and_confirm("now I wait");
                }
                let window = Duration::from_millis(400);
                let before = support::busy_time(server.id());
                thread::sleep(window); // measuring, not waiting for the server
                let busy = support::busy_time(server.id()) - before;
                if busy > window / 4 {
                    let share = 100.0 * busy.as_secs_f64() / window.as_secs_f64();
                    Failure::new("the server keeps the CPU busy while nothing happens")
                        .field("connections", "50, all idle")
                        .field(
                            "busy",
                            format!(
                                "{} ms of {} ms ({share:.0}%), running or waiting for a CPU",
                                busy.as_millis(),
                                window.as_millis()
                            ),
                        )
                        .field("expected", "about 0 ms: an event loop sleeps in `poll` until a socket is ready")
                        .fail();
                }
                for client in &mut idle {
                    client.send_and_confirm("still there");
                    close_politely(client);
                }
            },
        );
    }

    /// A hundred clients come and go (half with `!DISCONNECT`, half by just
    /// closing); then the server should hold as many open files as before.
    #[test]
    fn connections_that_end_are_dropped() {
        check(
            "when a connection is done (after `!DISCONNECT` and the client's close, or an end of stream, or an \
             error), remove it from your map, deregister it and drop it: dropping the stream closes its file \
             descriptor. One kept by mistake costs a descriptor for ever, and the process has a limit. \
             Book: Non-blocking I/O › The event loop",
            || {
                let server = start();
                let before = support::open_files(server.id());
                for i in 0..100 {
                    let mut client = server.connect();
                    client.send_and_confirm(&format!("client {i}: here and gone"));
                    if i % 2 == 0 {
                        close_politely(&mut client);
                    }
                }
                // Each close takes the server a moment: wait up to 2 s for the count to settle.
                let started = std::time::Instant::now();
                let mut after = support::open_files(server.id());
                while after > before + 2 && started.elapsed() < Duration::from_secs(2) {
                    thread::sleep(Duration::from_millis(20));
                    after = support::open_files(server.id());
                }
                if after > before + 2 {
                    Failure::new(format!(
                        "`mio-server` holds {} more open descriptors after 100 clients came and went",
                        after - before
                    ))
                    .field("open files", format!("{before} before the clients came, {after} after they all left"))
                    .field(
                        "likely",
                        "connections that have ended are never dropped: kept in the map (or in a Vec) after \
                         `Done`, so their sockets stay open. `connections.remove(&token)`, deregister, drop",
                    )
                    .fail();
                }
            },
        );
    }

    #[test]
    fn serves_a_hundred_clients_on_one_thread() {
        check(
            "one thread for everyone: no `thread::spawn` per client; the loop in `serve` gives each \
             ready connection its turn, and sleeps in `poll` in between (if this check runs out of time, \
             look for a busy loop). Book: Non-blocking I/O › The event loop",
            || {
                let server = start();
                let before = support::thread_count(server.id());
                let mut clients: Vec<Client> = (0..100).map(|_| server.connect()).collect();
                for client in &mut clients {
                    client.send_and_confirm("one thread?");
                }
                let during = support::thread_count(server.id());
                for client in &mut clients {
                    close_politely(client);
                }
                if before != 1 || during != 1 {
                    Failure::new("`mio-server` uses more than one thread")
                        .field(
                            "threads",
                            format!("{before} before the clients came, {during} with 100 clients connected"),
                        )
                        .field("expected", "1: the event loop on the main thread")
                        .fail();
                }
            },
        );
    }
}

mod many_clients {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;
    use support::Buffer;

    /// How long a client that is not the problem may wait for its answer
    /// while another client misbehaves. A one-thread server answers in
    /// microseconds; a server stuck on the misbehaving client never does.
    const PROMPT: Duration = Duration::from_secs(1);

    #[test]
    fn a_thousand_clients_at_once() {
        check_within(
            Duration::from_secs(30),
            "keep every connection in your map, each with its own buffers, and give each its turn when \
             its event comes; accept until `WouldBlock`, since many connections may wait at once. \
             If it is only too slow, look for a busy loop (a poll timeout of zero, or asking every socket \
             in turn): it spends the CPU the clients need. Book: Non-blocking I/O › The event loop; \
             Non-blocking I/O › The busy loop",
            || {
                const CLIENTS: usize = 1000;
                support::allow_open_files(2 * CLIENTS as u64 + 200);
                let server = mio_server();
                let mut clients: Vec<Client> = (0..CLIENTS).map(|_| server.connect()).collect();
                for (i, client) in clients.iter_mut().enumerate() {
                    client.send_message(&format!("client {i} says hi"));
                }
                // Answers are read last client first: a server that serves its
                // clients one after another is still stuck with the first.
                for client in clients.iter_mut().rev() {
                    client.expect_confirmation();
                }
                for client in clients.iter_mut().rev() {
                    close_politely(client);
                }
            },
        );
    }

    #[test]
    fn a_client_stalled_mid_header_delays_no_one() {
        check(
            "never wait for one client: keep a partial header in that client's input buffer and go back \
             to `poll`; others are served meanwhile. Book: Non-blocking I/O › Connection state and buffers",
            || {
                let server = mio_server();
                let mut slow = server.connect();
                let message = frame(b"slowly");
                slow.send(&message[..30]);
                let mut other = server.connect().with_deadline(PROMPT);
                other.send_and_confirm("I am not slow");
                close_politely(&mut other);
                slow.send(&message[30..]);
                slow.expect_confirmation();
                close_politely(&mut slow);
            },
        );
    }

    /// A client that sends a flood of messages and reads none of its
    /// confirmations.
    ///
    /// Confirmations are 13 bytes and an empty message is 64, so to make a
    /// server without a bound hold megabytes of output the client sends
    /// 160 000 empty messages (10 MB; loopback carries that in milliseconds).
    /// The kernel buffers on both sides are made small and fixed (see
    /// `support::shrink`): a few hundred KiB of confirmations at most can
    /// wait there, the rest waits in the server's memory. A server that stops
    /// reading once 64 KiB wait has read about a megabyte when the client's
    /// writes stall (measured: 1.1 MB); one with no bound reads all 10 MB and
    /// ends up holding 2 MB of confirmations: that is what this check sees.
    /// A bound of up to about a megabyte passes.
    /// A client sends many messages and reads the confirmations only later:
    /// more of them than the kernel's buffers hold (made small here), so the
    /// server must keep what the socket does not take and write it when the
    /// client reads.
    #[test]
    fn confirmations_that_do_not_fit_are_kept() {
        check_within(
            Duration::from_secs(20),
            "a `write` on a non-blocking socket takes what fits, and `WouldBlock` means \"full for now\": keep the \
             bytes it did not take in the connection's output, ask for WRITABLE while output waits, and write the \
             rest when that event comes. Book: Non-blocking I/O › Connection state and buffers; \
             Non-blocking I/O › Backpressure",
            || {
                const MESSAGES: usize = 20_000;
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                for buffer in [Buffer::Send, Buffer::Receive] {
                    support::shrink(&listener, buffer, 4096);
                }
                let server = Server::start_with("confirm_mio::serve", listener, confirm_mio::serve);
                let late = support::raw_connect(server.addr(), Duration::from_secs(3));
                support::shrink(&late, Buffer::Receive, 4096);
                let mut writer = late.try_clone().expect("clone a socket handle");
                let burst = frames(std::iter::repeat_n(b"".as_slice(), MESSAGES));
                let sending = thread::spawn(move || writer.write_all(&burst));
                // Read nothing for a moment: the confirmations pile up on the server's side.
                thread::sleep(Duration::from_millis(300));
                let expected = MESSAGES * (CONFIRMATION.len() + 1);
                let mut reader = late;
                let mut got = 0usize;
                let mut buf = vec![0u8; 64 * 1024];
                while got < expected {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got += n,
                    }
                }
                let _ = sending.join();
                if got < expected {
                    let line = CONFIRMATION.len() + 1;
                    Failure::new("confirmations were lost while the client was not reading")
                        .field(
                            "sent",
                            format!("{MESSAGES} empty messages, reading nothing for 300 ms, then everything"),
                        )
                        .field("received", format!("{} of {MESSAGES} confirmations, then nothing for 3 s", got / line))
                        .field(
                            "likely",
                            "on `WouldBlock` the output that did not fit was dropped (or cleared) instead of kept; \
                             or WRITABLE is not asked for while output waits, so nothing wakes the loop to write it",
                        )
                        .fail();
                }
            },
        );
    }

    #[test]
    fn a_client_that_never_reads_delays_no_one_and_is_bounded() {
        check_within(
            Duration::from_secs(30),
            "stop reading from a client once its output holds MAX_PENDING_OUTPUT bytes (backpressure), \
             write only what the socket takes and keep the rest, ask for WRITABLE while output waits, \
             and once the output shrinks, read again at once: the bytes are already waiting, do not count \
             on a new READABLE event. If it runs out of time, look for a busy loop too (a poll timeout \
             of zero). Book: Non-blocking I/O › Backpressure",
            flood,
        );
    }

    fn flood() {
        const MESSAGES: usize = 160_000;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        for buffer in [Buffer::Send, Buffer::Receive] {
            support::shrink(&listener, buffer, 4096);
        }
        let server = Server::start_with("confirm_mio::serve", listener, confirm_mio::serve);

        let rude = support::raw_connect(server.addr(), Duration::from_secs(20));
        support::shrink(&rude, Buffer::Send, 4096);
        support::shrink(&rude, Buffer::Receive, 64 * 1024);
        let mut writer = rude.try_clone().expect("clone a socket handle");
        let sent = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        let (sent2, finished2) = (Arc::clone(&sent), Arc::clone(&finished));
        let flood = frames(std::iter::repeat_n(b"".as_slice(), MESSAGES));
        let sending = thread::spawn(move || {
            for chunk in flood.chunks(16 * 1024) {
                if writer.write_all(chunk).is_err() {
                    return;
                }
                sent2.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            finished2.store(true, Ordering::SeqCst);
        });

        // Wait until the client's writes stall: the server has stopped reading.
        let started = Instant::now();
        let mut last = (0, Instant::now());
        while !finished.load(Ordering::SeqCst) && last.1.elapsed() < Duration::from_millis(500) {
            let now = sent.load(Ordering::SeqCst);
            if now != last.0 {
                last = (now, Instant::now());
            }
            if started.elapsed() > Duration::from_secs(10) {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let taken = sent.load(Ordering::SeqCst);
        if finished.load(Ordering::SeqCst) {
            Failure::new("the server read everything from a client that never reads its confirmations")
                .field("sent", format!("{MESSAGES} empty messages, {} bytes, reading nothing back", taken))
                .field("so", format!("the server had about {} KiB of confirmations to keep in memory", MESSAGES * 13 / 1024))
                .field("expected", "once a client's output holds MAX_PENDING_OUTPUT (64 KiB), stop reading from it until it has taken some")
                .fail();
        }

        // Meanwhile, everyone else is served at once.
        let mut other = server.connect().with_deadline(PROMPT);
        other.send_and_confirm("is anyone else served?");
        close_politely(&mut other);

        // Now the client reads: every message must be confirmed, none lost.
        let mut reader = rude;
        let _ = reader.set_read_timeout(Some(Duration::from_secs(3)));
        let expected = MESSAGES * CONFIRMATION.len() + MESSAGES;
        let mut got = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        let line = format!("{CONFIRMATION}\n");
        while got < expected {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    // Every byte must belong to a `Msg received\n` line.
                    for (i, &b) in buf[..n].iter().enumerate() {
                        if b != line.as_bytes()[(got + i) % line.len()] {
                            let at = got + i;
                            Failure::new("the confirmations came back damaged")
                                .field("sent", format!("{MESSAGES} empty messages, reading nothing back at first"))
                                .field("at byte", at)
                                .field("got", show_bytes(&buf[i..n.min(i + 40)]))
                                .field("likely", "bytes were lost or written twice: after a partial `write`, keep exactly the bytes it did not take")
                                .fail();
                        }
                    }
                    got += n;
                }
            }
        }
        if got < expected {
            let lines = got / line.len();
            Failure::new("the confirmations stopped coming")
                .field(
                    "sent",
                    format!(
                        "{MESSAGES} messages ({} of {} bytes taken by the server)",
                        sent.load(Ordering::SeqCst),
                        MESSAGES * HEADER_LEN
                    ),
                )
                .field("received", format!("{lines} confirmations, then nothing more (for 3 s, or the server closed)"))
                .field(
                    "likely",
                    "output that did not fit was dropped instead of kept, or WRITABLE was never asked for, \
                     or reading never resumed once the client took its confirmations (after backpressure, \
                     read again once the output shrinks: the bytes are already waiting), or the server reads \
                     once per event where it must read until `WouldBlock`",
                )
                .fail();
        }
        let _ = sending.join();
    }
}
