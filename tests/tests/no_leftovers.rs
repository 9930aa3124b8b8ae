//! Nothing outlives a check: server processes are killed when their handle is
//! dropped (even when the check fails), and a check that finishes leaves no
//! thread of its own behind. Alone in its own test binary, so that thread
//! counts are not disturbed by other tests.

#![cfg(target_os = "linux")]

use std::fs;
use std::panic;
use std::path::Path;

use harness::{check, ServerProcess};

fn threads_named(prefix: &str) -> usize {
    fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with(prefix)))
        .count()
}

#[test]
fn nothing_is_left_behind() {
    // A finished check leaves no thread of its own.
    let before = threads_named("course:check");
    check("-", || {});
    // The check thread sends its result just before it ends: give the kernel
    // the moment it needs to reap it, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while threads_named("course:check") > before && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(threads_named("course:check"), before, "a finished check left its thread behind");

    // A server process is killed when the check fails while holding it.
    let mut pid = None;
    let outcome = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        let server = ServerProcess::start_with_args(
            "sh",
            &["-c", "echo listening on 127.0.0.1:9; exec sleep 60", "ignored-arg"],
        );
        pid = Some(server.id());
        panic!("the check fails while the server runs");
    }));
    assert!(outcome.is_err());
    let pid = pid.expect("the server process started");
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let gone = !Path::new(&format!("/proc/{pid}")).exists() || status.contains("State:\tZ");
    assert!(gone, "the server process {pid} outlived its check:\n{status}");

    // A process that never announces its port fails at the start deadline,
    // with what it printed, and is killed.
    let (message, took) = {
        let started = std::time::Instant::now();
        let outcome = panic::catch_unwind(|| {
            ServerProcess::start_with_args("sh", &["-c", "echo oops >&2; echo starting up; exec sleep 60"]);
        });
        let payload = outcome.expect_err("a silent server must fail");
        let message = payload.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{payload:?}"));
        (message, started.elapsed())
    };
    assert!(took < std::time::Duration::from_secs(7), "took {took:?}");
    assert!(
        message.contains("listening on") && message.contains("starting up") && message.contains("oops"),
        "{message}"
    );
}
