//! The harness against deliberately broken implementations: every one must make
//! a check fail fast, with a message that says what happened.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::panic;
use std::thread;
use std::time::{Duration, Instant};

use harness::{check, check_within, run_within, Server};

/// Runs `check`-wrapped code, expecting it to fail; returns the failure
/// message and how long it took to fail.
fn failure_of(f: impl FnOnce() + panic::UnwindSafe) -> (String, Duration) {
    let started = Instant::now();
    let outcome = panic::catch_unwind(f);
    let took = started.elapsed();
    let payload = outcome.expect_err("the check should have failed");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    (message, took)
}

fn assert_contains(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(message.contains(needle), "expected {needle:?} in the failure message:\n{message}");
    }
}

/// A short per-operation deadline, so these tests stay quick; the behaviour
/// is the same with the real 3 s.
const SHORT: Duration = Duration::from_millis(300);

#[test]
fn a_server_that_never_accepts_fails_the_read_not_the_run() {
    let (message, took) = failure_of(|| {
        check("HINT-never-accepts", || {
            let server = Server::start("never::accept", |_listener| loop {
                thread::park();
            });
            let mut client = server.connect().with_deadline(SHORT);
            client.send(b"hello");
            client.read_exact(5);
        })
    });
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_contains(&message, &["expected 5 bytes", "nothing more came", "\"hello\" (5 bytes)", "HINT-never-accepts"]);
}

#[test]
fn a_body_that_never_ends_is_stopped_at_the_check_deadline() {
    let (message, took) = failure_of(|| {
        check_within(SHORT, "HINT-loops", || loop {
            thread::park();
        })
    });
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_contains(&message, &["did not finish within 0.3 s", "waits forever", "HINT-loops"]);
}

#[test]
fn a_panicking_server_is_reported_with_its_message_and_location() {
    let (message, took) = failure_of(|| {
        check("HINT-panics", || {
            let server = Server::start("boom::serve", |_listener| -> std::io::Result<()> {
                panic!("boom at the first line");
            });
            let mut client = server.connect().with_deadline(SHORT);
            client.send(b"x");
            client.read_exact(1);
        })
    });
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_contains(
        &message,
        &["`boom::serve` stopped", "your code panicked at", "broken_servers.rs", "boom at the first line"],
    );
}

#[test]
fn a_stub_is_recognised_as_a_stub() {
    let (message, _) = failure_of(|| {
        check("HINT-stub", || {
            let server = Server::start("stub::serve", |listener| -> std::io::Result<()> {
                todo!("accept clients on {listener:?}")
            });
            server.connect().with_deadline(SHORT).read_exact(1);
        })
    });
    assert_contains(&message, &["not yet implemented: accept clients", "replace the todo!()"]);
}

#[test]
fn a_server_that_closes_early_says_how_much_came() {
    let (message, took) = failure_of(|| {
        check("HINT-closes", || {
            let server = Server::start("rude::serve", |listener| {
                for stream in listener.incoming() {
                    let mut stream = stream?;
                    let mut all = [0u8; 6];
                    stream.read_exact(&mut all)?;
                    stream.write_all(&all[..2])?;
                    // and closes without echoing the rest
                }
                Ok(())
            });
            let mut client = server.connect().with_deadline(SHORT);
            client.send(b"abcdef");
            client.read_exact(6);
        })
    });
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_contains(&message, &["expected 6 bytes", "closed the connection after 2", "\"ab\" (2 bytes)"]);
}

#[test]
fn a_garbage_reply_is_shown_next_to_what_was_expected() {
    let (message, _) = failure_of(|| {
        check("HINT-garbage", || {
            let server = Server::start("garbage::serve", |listener| {
                for stream in listener.incoming() {
                    stream?.write_all(b"Msg recieved\n")?;
                }
                Ok(())
            });
            let mut client = server.connect().with_deadline(SHORT);
            client.send_message("hi");
            client.expect_confirmation();
        })
    });
    assert_contains(&message, &["expected the confirmation `Msg received\\n`", "\"Msg recieved\\n\" (13 bytes)"]);
}

#[test]
fn a_server_that_returns_is_told_to_keep_accepting() {
    let (message, _) = failure_of(|| {
        check("HINT-returns", || {
            let server = Server::start("once::serve", |listener| {
                let (stream, _) = listener.accept()?;
                drop(stream);
                Ok(())
            });
            drop(server.connect());
            let mut second = server.connect().with_deadline(SHORT);
            second.send(b"anyone?");
            second.read_exact(7);
        })
    });
    assert_contains(&message, &["`once::serve` returned Ok(())", "keep accepting"]);
}

#[test]
fn a_client_function_that_blocks_fails_at_its_deadline() {
    let (message, took) = failure_of(|| {
        check("HINT-client", || {
            // A "server" that accepts and never answers; the client waits for an answer.
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            run_within("`ask`", SHORT, move || {
                let _keep = &listener;
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                let mut buf = [0u8; 1];
                stream.read(&mut buf)
            })
            .unwrap();
        })
    });
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_contains(&message, &["`ask` did not return within 0.3 s", "HINT-client"]);
}

#[test]
fn a_reset_is_explained() {
    let (message, _) = failure_of(|| {
        check("HINT-reset", || {
            // Closing a socket with unread input makes the kernel send a reset.
            let server = Server::start("reset::serve", |listener| {
                for stream in listener.incoming() {
                    let mut stream = stream?;
                    let mut one = [0u8; 1];
                    stream.read_exact(&mut one)?;
                    stream.write_all(b"ERROR bad header\n")?;
                    drop(stream); // the rest of the client's bytes are unread
                }
                Ok(())
            });
            let mut client = server.connect().with_deadline(SHORT);
            client.send(&vec![b'x'; 200_000]);
            client.read_to_end();
        })
    });
    // The reset may arrive while sending or while reading: either way it is explained.
    assert!(
        message.contains("reset the connection") || message.contains("already closed"),
        "expected the reset to be explained:\n{message}"
    );
}
