//! Checks for lesson 02, the echo server. Run them with `just check 02`.
//!
//! Tiers, in the order a learner meets them (the course runner reads the
//! order of the `mod` lines below):
//! - basics: one message comes back, the connection closes after the half-close;
//! - streams: any bytes, any size, many writes on one connection, the client;
//! - robustness: clients one after another, clients that vanish;
//! - end_to_end: the binaries, as a person or `nc` would use them.

use std::net::{Shutdown, TcpListener};
use std::thread;

use harness::{check, run_within, show_bytes, Failure, Server, IO_DEADLINE};

/// Starts the learner's echo server on a free port.
fn echo_server() -> Server {
    Server::start("echo::serve", echo::serve)
}

/// Fails unless `got` is exactly `sent`, saying where they first differ.
fn expect_echo(sent: &[u8], got: &[u8]) {
    if sent == got {
        return;
    }
    let what = if sent.starts_with(got) {
        format!("the echo stopped short: {} of the {} bytes sent came back", got.len(), sent.len())
    } else if got.starts_with(sent) {
        format!("more came back than was sent: {} bytes for {}", got.len(), sent.len())
    } else {
        let at = sent.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
        format!("the bytes that came back differ from those sent, from byte {at} on")
    };
    Failure::new(what).field("sent", show_bytes(sent)).field("got", show_bytes(got)).fail()
}

mod basics {
    use super::*;

    #[test]
    fn echoes_one_message() {
        check(
            "this needs both server functions in src/lib.rs: `serve` accepts each client and hands \
             its stream to `echo_connection`, which reads and writes the same bytes back. \
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
                let got = run_within("`echo_once`", IO_DEADLINE, move || echo::echo_once(addr, data));
                match got {
                    Ok(got) => expect_echo(data, &got),
                    Err(e) => Failure::new("`echo_once` returned an error").field("error", e).fail(),
                }
            },
        );
    }

    /// A correct echo server of the checks' own, to try the learner's client
    /// against: it echoes one connection at a time, like the lesson's server.
    fn reference_echo_server() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(IO_DEADLINE));
                let mut reader = stream.try_clone().expect("clone");
                let _ = std::io::copy(&mut reader, &mut stream);
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
    use predicates::prelude::*;

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
                assert!(server.addr().ip().is_loopback(), "the server should listen on loopback");
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
                Command::new(SERVER)
                    .arg("not-an-address")
                    .timeout(IO_DEADLINE)
                    .assert()
                    .code(2)
                    .stderr(predicate::str::contains("not an address"));

                let server = ServerProcess::start(SERVER);
                let mut client = server.connect();
                let got = client.send_all_and_read_to_end(b"first");
                expect_echo(b"first", &got);
                Command::new(SERVER)
                    .arg(server.addr().to_string())
                    .timeout(IO_DEADLINE)
                    .assert()
                    .code(1)
                    .stderr(predicate::str::contains("cannot listen"));
            },
        );
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
                Command::new(CLIENT)
                    .arg(server.addr().to_string())
                    .write_stdin(input.clone())
                    .timeout(IO_DEADLINE)
                    .assert()
                    .success()
                    .stdout(predicate::eq(input));
            },
        );
    }
}
