//! Checks for lesson 02, the echo server. Run them with `just check 02`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - basics: one message comes back, the connection closes after the half-close;
//! - streams: any bytes, any size, many writes on one connection, the client;
//! - robustness: clients one after another, clients that vanish;
//! - end_to_end: the binaries, as a person or `nc` would use them.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::thread;

use harness::{check, run_within, run_within_or, show_bytes, Failure, Server, IO_DEADLINE};

/// Starts the learner's echo server on a free port.
fn echo_server() -> Server {
    Server::start("echo::serve", echo::serve)
}

/// Fails unless `got` is exactly `sent`, saying where they first differ and,
/// when the difference has a typical shape, which mistake makes it.
fn expect_echo(sent: &[u8], got: &[u8]) {
    if sent == got {
        return;
    }
    let what = if sent.starts_with(got) {
        format!("the echo stopped short: {} of the {} bytes sent came back", got.len(), sent.len())
    } else if got.starts_with(sent) {
        format!("more came back than was sent: {} bytes for {}", got.len(), sent.len())
    } else {
        "the bytes that came back differ from those sent".to_string()
    };
    let mut failure = Failure::new(what).bytes_differ(sent, got);
    if let Some(likely) = likely_cause(sent, got) {
        failure = failure.field("likely", likely);
    }
    failure.fail()
}

/// The usual mistake behind an echo that differs this way, if it has a typical shape.
fn likely_cause(sent: &[u8], got: &[u8]) -> Option<String> {
    let at = harness::first_difference(sent, got)?;
    if sent.starts_with(got) && !got.is_empty() {
        return Some(format!(
            "one `read` returns what has arrived so far, at most a buffer's worth (here {} bytes): \
             call `read` again, in a loop, until it returns 0 (the end of stream)",
            got.len()
        ));
    }
    if got.starts_with(sent) && got[sent.len()..].iter().all(|&b| b == 0) {
        return Some(
            "the extra bytes are zeros, the unused end of a read buffer: write back only `&buf[..n]`, \
             the n bytes that this `read` returned"
                .to_string(),
        );
    }
    if got[at..].starts_with("\u{FFFD}".as_bytes()) {
        return Some(
            "U+FFFD (bytes ef bf bd) stands where a byte that is not UTF-8 was: the bytes went through \
             `String::from_utf8_lossy`. An echo carries bytes, not text: never turn them into a String"
                .to_string(),
        );
    }
    if got.len() < sent.len() && sent[at..].windows(got.len() - at).any(|w| w == &got[at..]) {
        return Some(
            "bytes are missing from the middle: a `write` that took only part of a buffer, the rest \
             never sent? `write` returns how many bytes it took; `write_all` sends them all"
                .to_string(),
        );
    }
    None
}

mod basics {
    use super::*;

    #[test]
    fn echoes_one_message() {
        check(
            "this needs both server functions in src/lib.rs: `serve` accepts each client and hands \
             its stream to `echo_connection`, which writes back what each `read` returns, at once: \
             the client waits for its echo before it ends its stream, so an `echo_connection` that \
             reads to the end first (`read_to_end`) waits forever. \
             Book: The echo server › Accepting clients, then › Read, then write it all",
            || {
                let server = echo_server();
                let mut client = server.connect();
                client.send(b"hello, echo\n");
                let got = client.read_exact(12);
                expect_echo(b"hello, echo\n", &got);
            },
        );
    }

    #[test]
    fn closes_after_the_client_shuts_down_writing() {
        check(
            "when `read` returns 0 the client has shut down its writing side (end of stream): \
             stop the loop, and let the stream drop to close the connection. \
             Book: The echo server › End of stream and the half-close",
            || {
                let server = echo_server();
                let mut client = server.connect();
                client.send(b"bye");
                client.shutdown_write();
                let got = client.read_to_end();
                expect_echo(b"bye", &got);
            },
        );
    }

    #[test]
    fn echo_once_returns_what_the_server_sent_back() {
        check(
            "the client: connect, write_all, shutdown(Shutdown::Write), then read_to_end. \
             Without the shutdown, the server never sees the end and you both wait. \
             Book: The echo server › The client",
            || {
                let addr = reference_echo_server();
                let data = "Olá, eco! 👋".as_bytes();
                let got = call_echo_once(addr, data.to_vec());
                match got {
                    Ok(got) => expect_echo(data, &got),
                    Err(e) => Failure::new("`echo_once` returned an error").field("error", e).fail(),
                }
            },
        );
    }

    #[test]
    fn echo_once_reads_every_byte_until_the_server_closes() {
        check(
            "an echo is bytes, as many as were sent, and they arrive in many reads: read them all \
             until the server closes, with `read_to_end` (not one `read`, not `read_to_string`). \
             Book: The echo server › The client",
            || {
                // 100 KB of every byte value: more than any one read buffer holds,
                // and not UTF-8. The checks' server echoes it in pieces.
                let addr = reference_echo_server();
                let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
                match call_echo_once(addr, data.clone()) {
                    Ok(got) if got.len() < data.len() && data.starts_with(&got) => Failure::new(format!(
                        "`echo_once` returned {} of the {} bytes the server sent back",
                        got.len(),
                        data.len()
                    ))
                    .field(
                        "likely",
                        "one `read` returns what has arrived so far, at most the buffer's size (Python's \
                             `recv(1024)` habit): read until the server closes the connection, with \
                             `read_to_end` (or a loop until `read` returns 0)",
                    )
                    .fail(),
                    Ok(got) => expect_echo(&data, &got),
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        Failure::new("`echo_once` returned an error on an echo that is not UTF-8")
                            .field("error", &e)
                            .field(
                                "likely",
                                "`read_to_string` insists on UTF-8 text; an echo is bytes: read them \
                                 with `read_to_end` into a Vec<u8>",
                            )
                            .fail()
                    }
                    Err(e) => Failure::new("`echo_once` returned an error").field("error", e).fail(),
                }
            },
        );
    }

    /// Calls the learner's `echo_once`; a call that never returns is explained
    /// by the usual cause, a missing half-close.
    fn call_echo_once(addr: std::net::SocketAddr, data: Vec<u8>) -> std::io::Result<Vec<u8>> {
        run_within_or(
            "`echo_once`",
            IO_DEADLINE,
            "(1) the server is still waiting for the end of your data, and you for the end of its \
             echo: after `write_all`, call `shutdown(Shutdown::Write)` (the half-close), and only then \
             read to the end. (2) A read loop that goes on when `read` returns 0: 0 is the end of \
             the stream, nothing more will come; stop there (`read_to_end` does)",
            move || echo::echo_once(addr, &data),
        )
    }

    /// A correct echo server of the checks' own, to try the learner's client
    /// against: it echoes one connection at a time, like the lesson's server.
    fn reference_echo_server() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(IO_DEADLINE));
                // Echoes in pieces of at most 16 KiB, each its own write, so that
                // a client that reads only once cannot get everything by luck.
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    if stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    thread::yield_now();
                }
                let _ = stream.shutdown(Shutdown::Write);
            }
        });
        addr
    }
}

mod streams {
    use super::*;
    use rstest::rstest;

    #[test]
    fn echoes_all_256_byte_values() {
        check(
            "echo bytes, not text: never turn them into a String (0xff is not UTF-8). \
             Book: Bytes and strings",
            || {
                let server = echo_server();
                let mut client = server.connect();
                let every_byte: Vec<u8> = (0..=255).collect();
                let got = client.send_all_and_read_to_end(&every_byte);
                expect_echo(&every_byte, &got);
            },
        );
    }

    #[rstest]
    #[case::empty(0)]
    #[case::one_byte(1)]
    #[case::one_read_buffer(8 * 1024)]
    #[case::sixty_four_kib(64 * 1024)]
    #[case::one_mib(1024 * 1024)]
    #[case::four_mib(4 * 1024 * 1024)]
    fn echoes_a_payload_of(#[case] size: usize) {
        check(
            "big payloads arrive in many reads, and `write` may take only part of a buffer: \
             loop on `read` until it returns 0, and use `write_all`. \
             Book: The echo server › Partial reads and writes",
            move || {
                let server = echo_server();
                let mut client = server.connect();
                // Readable on purpose: each 10-byte record spells its own offset, so a
                // failure shows at a glance where the bytes stopped or went wrong.
                let payload: Vec<u8> =
                    (0..size).step_by(10).flat_map(|at| format!("{at:>9}\n").into_bytes()).take(size).collect();
                let got = client.send_all_and_read_to_end(&payload);
                expect_echo(&payload, &got);
            },
        );
    }

    #[test]
    fn echoes_each_write_before_the_next() {
        check(
            "echo what has arrived at once, without waiting for the end of stream: \
             a client may wait for each echo before it sends more. \
             Book: The echo server › Read, then write it all",
            || {
                let server = echo_server();
                let mut client = server.connect();
                for word in ["one ", "two ", "three ", "four"] {
                    client.send(word.as_bytes());
                    let got = client.read_exact(word.len());
                    expect_echo(word.as_bytes(), &got);
                }
                client.shutdown_write();
                client.expect_closed();
            },
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::ascii("hello")]
    #[case::portuguese("ação, coração, pão")]
    #[case::emoji("🦀 + 🔌 = 💬")]
    #[case::cjk("你好，世界")]
    fn echo_once_carries(#[case] text: &'static str) {
        check(
            "the client must send every byte and read until the server closes. \
             Book: The echo server › The client",
            move || {
                let server = echo_server();
                let addr = server.addr();
                let got = run_within("`echo_once`", IO_DEADLINE, move || echo::echo_once(addr, text.as_bytes()));
                match got {
                    Ok(got) => expect_echo(text.as_bytes(), &got),
                    Err(e) => Failure::new("`echo_once` returned an error").field("error", e).fail(),
                }
            },
        );
    }
}

mod robustness {
    use super::*;

    #[test]
    fn serves_clients_one_after_another() {
        check(
            "after one client is done, go back to `accept` for the next: \
             `serve` is a loop that never ends. Book: The echo server › Accepting clients",
            || {
                let server = echo_server();
                for round in 1..=3 {
                    let mut client = server.connect();
                    let message = format!("client number {round}");
                    let got = client.send_all_and_read_to_end(message.as_bytes());
                    expect_echo(message.as_bytes(), &got);
                }
            },
        );
    }

    #[test]
    fn survives_a_client_that_resets_its_connection() {
        check(
            "a client's connection can fail: here a reset (\"Connection reset by peer\"). That error \
             belongs to that client: print it and accept the next client. Never end `serve` with `?` \
             or `unwrap()` on one client's result. Book: The echo server › When a client vanishes",
            || {
                let server = echo_server();
                let mut rude = server.connect();
                rude.send(b"ping");
                // Leaves with the echo unread: the kernel resets the connection,
                // and the server's next read fails.
                rude.reset();
                let mut next = server.connect();
                let got = next.send_all_and_read_to_end(b"still there?");
                expect_echo(b"still there?", &got);
                server.assert_running("a client reset its connection");
            },
        );
    }

    #[test]
    fn survives_a_client_that_vanishes_mid_stream() {
        check(
            "a client may disappear while you write to it: that write fails. Handle the error \
             for that client (log it) and accept the next; do not return it from `serve` with `?`. \
             Book: The echo server › When a client vanishes",
            || {
                let server = echo_server();
                {
                    // Sends a lot, reads nothing, and disappears. The server's
                    // writes back to it fail with "connection reset" or "broken pipe".
                    let mut rude = server.connect();
                    rude.send(&vec![b'x'; 256 * 1024]);
                    let _ = rude.stream().shutdown(Shutdown::Both);
                }
                let mut next = server.connect();
                let got = next.send_all_and_read_to_end(b"still there?");
                expect_echo(b"still there?", &got);
                server.assert_running("a client vanished mid-stream");
            },
        );
    }

    #[test]
    fn survives_a_client_that_sends_nothing() {
        check(
            "a client may connect and leave without a byte: the first read returns 0. \
             That is a normal end, not an error. Book: The echo server › End of stream and the half-close",
            || {
                let server = echo_server();
                drop(server.connect());
                let mut next = server.connect();
                let got = next.send_all_and_read_to_end(b"anyone home?");
                expect_echo(b"anyone home?", &got);
            },
        );
    }
}

mod end_to_end {
    use super::*;
    use assert_cmd::Command;
    use harness::{snapshot_settings, ServerProcess};

    const SERVER: &str = env!("CARGO_BIN_EXE_echo-server");
    const CLIENT: &str = env!("CARGO_BIN_EXE_echo-client");

    #[test]
    fn the_server_binary_announces_its_port_and_echoes() {
        check(
            "`echo-server` prints `listening on IP:PORT` and then calls your `serve`. \
             Try it: `just run 02 server`, and in another terminal `nc -N 127.0.0.1 5002`. \
             Book: The echo server › Try it by hand",
            || {
                let server = ServerProcess::start(SERVER);
                if !server.addr().ip().is_loopback() {
                    Failure::new("`echo-server` should listen on loopback (127.0.0.1) by default")
                        .field("listening on", server.addr())
                        .fail();
                }
                let mut client = server.connect();
                let got = client.send_all_and_read_to_end(b"ping\n");
                expect_echo(b"ping\n", &got);
            },
        );
    }

    #[test]
    fn the_server_binary_refuses_bad_and_busy_addresses() {
        check(
            "a bad address exits 2, an address in use exits 1, each with a message \
             (both are handled for you by course-cli); the server itself must work. \
             Book: The echo server › Binding and address reuse",
            || {
                expect_exit(&["not-an-address"], 2, "not an address");

                let server = ServerProcess::start(SERVER);
                let mut client = server.connect();
                let got = client.send_all_and_read_to_end(b"first");
                expect_echo(b"first", &got);
                expect_exit(&[&server.addr().to_string()], 1, "cannot listen");
            },
        );
    }

    /// Runs `echo-server ARGS` and fails unless it exits with `code` and says `says` on stderr.
    fn expect_exit(args: &[&str], code: i32, says: &str) {
        let output = Command::new(SERVER).args(args).timeout(IO_DEADLINE).output().expect("run echo-server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(code) || !stderr.contains(says) {
            Failure::new(format!("`echo-server {}` should exit {code} saying \"{says}\"", args.join(" ")))
                .field("status", output.status)
                .field("stderr", show_bytes(&output.stderr))
                .fail();
        }
    }

    #[test]
    fn the_client_binary_talks_to_the_server_binary() {
        check(
            "the two binaries together: `echo-client` calls your `echo_once`. \
             Book: The echo server › Try it by hand",
            || {
                let server = ServerProcess::start(SERVER);
                let output = Command::new(CLIENT)
                    .arg(server.addr().to_string())
                    .args(["Olá,", "eco!"])
                    .timeout(IO_DEADLINE)
                    .output()
                    .expect("run echo-client");
                let transcript = format!(
                    "$ echo-client {} Olá, eco!\n--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
                    server.addr(),
                    output.status.code().map_or("killed".into(), |c| c.to_string()),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                );
                snapshot_settings().bind(|| insta::assert_snapshot!("client_transcript", transcript));
            },
        );
    }

    #[test]
    fn the_client_binary_echoes_standard_input() {
        check(
            "with no words, `echo-client` sends all of standard input: binary-safe, like `nc`. \
             Book: The echo server › Try it by hand",
            || {
                let server = ServerProcess::start(SERVER);
                let input: Vec<u8> = (0..=255).cycle().take(10_000).collect();
                let output = Command::new(CLIENT)
                    .arg(server.addr().to_string())
                    .write_stdin(input.clone())
                    .timeout(IO_DEADLINE)
                    .output()
                    .expect("run echo-client");
                if !output.status.success() {
                    Failure::new("`echo-client` failed")
                        .field("status", output.status)
                        .field("stderr", show_bytes(&output.stderr))
                        .fail();
                }
                expect_echo(&input, &output.stdout);
            },
        );
    }
}
