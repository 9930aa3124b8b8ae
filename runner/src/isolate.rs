//! Each check in a process of its own.
//!
//! A learner's thread that spins (a `read` that returned 0, polled forever) or
//! waits forever cannot be stopped from inside the process that runs it. In a
//! process of its own, it ends with its check: the check binary exits as soon
//! as its one check has failed, and a process that outlives the hard deadline
//! is killed with everything it started. So one check's runaway code can
//! neither slow another check nor change its outcome.
//!
//! The cost is one process start per check, a few milliseconds.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::checks::{CheckResult, Outcome, NOT_MEASURED};
use crate::children;

/// A check process still running after this is killed. Beyond the longest
/// deadline the harness gives a check (`check_within`, 40 s at most), so it
/// only ends processes the harness could not end themselves.
pub const HARD_DEADLINE: Duration = Duration::from_secs(60);

/// What a check process needs from its surroundings, as `cargo test` sets it.
pub struct Env {
    /// Where insta resolves snapshot paths from (it would ask `cargo metadata`
    /// otherwise, once per process).
    pub workspace_root: PathBuf,
    /// The crate's folder: the working directory of its tests.
    pub crate_dir: PathBuf,
}

/// The names of the checks in `exe`, as libtest lists them.
pub fn list(exe: &Path) -> io::Result<Vec<String>> {
    let out = Command::new(exe).args(["--list", "--format", "terse"]).stdin(Stdio::null()).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!("{} --list failed ({})", exe.display(), out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

struct Running {
    name: String,
    child: Child,
    started: Instant,
    output: JoinHandle<(String, String)>,
}

/// Runs each of `names` in its own process, `jobs` at a time; returns each
/// result with its output (what libtest printed of it), in the order given.
pub fn run_each(exe: &Path, env: &Env, names: &[String], jobs: usize) -> Vec<(CheckResult, String)> {
    // The slowest checks of the last run start first: a long check started
    // last would make the whole run wait for it alone.
    let last = last_times(exe);
    let mut order: Vec<(usize, &String)> = names.iter().enumerate().collect();
    order.sort_by_key(|(_, name)| std::cmp::Reverse(last.get(name.as_str()).copied().unwrap_or(0)));
    let mut waiting: VecDeque<(usize, &String)> = order.into();
    let mut running: Vec<(usize, Running)> = Vec::new();
    let mut done: Vec<Option<(CheckResult, String)>> = names.iter().map(|_| None).collect();
    while !waiting.is_empty() || !running.is_empty() {
        while running.len() < jobs.max(1) {
            let Some((index, name)) = waiting.pop_front() else { break };
            match start(exe, env, name) {
                Ok(r) => running.push((index, r)),
                Err(e) => done[index] = Some(crashed(name, Duration::ZERO, &format!("could not start: {e}"), "")),
            }
        }
        let mut still = Vec::with_capacity(running.len());
        for (index, mut r) in running {
            let status = match r.child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                Ok(None) if r.started.elapsed() > HARD_DEADLINE => {
                    children::kill(&mut r.child);
                    None
                }
                Ok(None) => {
                    still.push((index, r));
                    continue;
                }
                Err(e) => Some(format!("unknown ({e})")),
            };
            let killed = status.is_none();
            done[index] = Some(finish(r, killed, status.unwrap_or_default()));
        }
        running = still;
        if !running.is_empty() {
            // Polled rather than waited on, so a process past its deadline can be
            // killed; 5 ms is nothing next to a check's own run.
            thread::sleep(Duration::from_millis(5));
        }
    }
    let done: Vec<(CheckResult, String)> = done.into_iter().flatten().collect();
    save_times(exe, &done);
    done
}

/// Where the durations of the last run are kept: beside the check binary,
/// which they describe (and which `cargo clean` removes with them).
fn times_file(exe: &Path) -> PathBuf {
    exe.with_extension("course-times")
}

/// Each check's duration in the last run of `exe`, in milliseconds.
fn last_times(exe: &Path) -> std::collections::HashMap<String, u64> {
    std::fs::read_to_string(times_file(exe))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (ms, name) = l.split_once(' ')?;
            Some((name.to_string(), ms.parse().ok()?))
        })
        .collect()
}

fn save_times(exe: &Path, done: &[(CheckResult, String)]) {
    let mut times = last_times(exe);
    for (result, _) in done {
        times.insert(result.name.clone(), result.duration.as_millis() as u64);
    }
    let text: String = times.iter().map(|(name, ms)| format!("{ms} {name}\n")).collect();
    let _ = std::fs::write(times_file(exe), text);
}

fn start(exe: &Path, env: &Env, name: &str) -> io::Result<Running> {
    let mut cmd = Command::new(exe);
    cmd.args([name, "--exact", "--color", "never"])
        .current_dir(&env.crate_dir)
        .env("CARGO_MANIFEST_DIR", &env.crate_dir)
        .env("CARGO", env!("CARGO"))
        .env("INSTA_WORKSPACE_ROOT", &env.workspace_root)
        // Learners never update snapshots: a mismatch fails with a diff and writes nothing.
        .env("INSTA_UPDATE", "no")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = children::spawn(&mut cmd)?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let output = thread::spawn(move || {
        let err = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        (text, err.join().unwrap_or_default())
    });
    Ok(Running { name: name.to_string(), child, started: Instant::now(), output })
}

/// The result of a process that has ended (or was killed).
fn finish(r: Running, killed: bool, status: String) -> (CheckResult, String) {
    let duration = r.started.elapsed();
    let Running { name, child, output, .. } = r;
    if !killed {
        // The check is over; whatever it left running in its group (a server
        // binary it did not stop) goes too, or our pipes would stay open.
        children::kill(&mut { child });
    }
    let (stdout, stderr) = output.join().unwrap_or_default();
    if killed {
        let why = format!(
            "this check was still running after {} s and was stopped. Something in your code \
             neither returns nor fails: a loop that never ends, or a wait with no deadline.",
            HARD_DEADLINE.as_secs()
        );
        return crashed(&name, duration, &why, &stderr);
    }
    match parse(&name, &stdout) {
        Some((outcome, text)) => {
            let text = if outcome == Outcome::Passed { text } else { with_stderr(text, &stderr) };
            (CheckResult { name, outcome, duration }, text)
        }
        None => {
            let why = format!("the check's process ended before the check did ({status}).");
            crashed(&name, duration, &why, &format!("{stdout}{stderr}"))
        }
    }
}

fn crashed(name: &str, duration: Duration, why: &str, said: &str) -> (CheckResult, String) {
    let mut text = why.to_string();
    let said = said.trim();
    if !said.is_empty() {
        text.push_str("\nIt printed:\n");
        text.push_str(said);
    }
    (CheckResult { name: name.to_string(), outcome: Outcome::Failed, duration }, text)
}

/// Anything the process printed to stderr outside libtest's capture (a
/// thread's output after its check ended, an abort's message) belongs with the failure.
fn with_stderr(text: String, stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        text
    } else {
        format!("{text}\n{stderr}")
    }
}

/// Reads libtest's output for the one check `name`: its outcome, and for a
/// failure the captured output from its `---- NAME stdout ----` block.
pub fn parse(name: &str, stdout: &str) -> Option<(Outcome, String)> {
    let verdict = stdout.lines().find_map(|l| l.strip_prefix(&format!("test {name} ... ")))?;
    let outcome = match verdict.trim() {
        "ok" => return Some((Outcome::Passed, String::new())),
        "ignored" => return Some((Outcome::Ignored, String::new())),
        _ => Outcome::Failed,
    };
    let header = format!("---- {name} stdout ----");
    let body: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != header)
        .skip(1)
        // The block ends where libtest's closing list begins.
        .take_while(|l| *l != "failures:")
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    let text = body.join("\n").trim().to_string();
    let outcome = if not_measured(name, &text) { Outcome::NotMeasured } else { outcome };
    Some((outcome, text))
}

/// True when the failure's message (the first line after the check's own
/// `panicked at` line, or the first line of all) says the system cannot measure it.
pub fn not_measured(name: &str, text: &str) -> bool {
    let mut lines = text.lines();
    let first = match text.lines().position(|l| crate::report::panicking_thread(l) == Some(name)) {
        Some(at) => lines.nth(at + 1),
        None => lines.next(),
    };
    first.is_some_and(|l| l.trim_start().starts_with(NOT_MEASURED))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = "\nrunning 1 test\ntest streams::b::case_1_empty ... FAILED\n\nfailures:\n\n\
        ---- streams::b::case_1_empty stdout ----\n127.0.0.1:4000 connected\n\
        thread 'streams::b::case_1_empty' panicked at tests/02-echo/check.rs:1:1:\nwrong bytes\n\
        note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\nfailures:\n    \
        streams::b::case_1_empty\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored";

    #[test]
    fn reads_a_failure_and_its_output() {
        let (outcome, text) = parse("streams::b::case_1_empty", FAILED).expect("parsed");
        assert_eq!(outcome, Outcome::Failed);
        assert_eq!(
            text,
            "127.0.0.1:4000 connected\nthread 'streams::b::case_1_empty' panicked at tests/02-echo/check.rs:1:1:\nwrong bytes"
        );
    }

    #[test]
    fn reads_a_pass() {
        let out = "\nrunning 1 test\ntest basics::a ... ok\n\ntest result: ok. 1 passed; 0 failed";
        assert_eq!(parse("basics::a", out), Some((Outcome::Passed, String::new())));
        assert_eq!(parse("basics::other", out), None, "a process that never reported its check crashed");
    }

    #[test]
    fn a_check_this_system_cannot_measure_is_its_own_outcome() {
        let out = FAILED.replace("wrong bytes", "not measured on this system: Windows has no SO_LINGER zero\n  more");
        let (outcome, _) = parse("streams::b::case_1_empty", &out).expect("parsed");
        assert_eq!(outcome, Outcome::NotMeasured);
        // Only the message's first line counts: a failure that mentions the
        // phrase further down is a failure.
        let later = FAILED.replace("wrong bytes", "wrong bytes\nnot measured on this system: x");
        assert_eq!(parse("streams::b::case_1_empty", &later).unwrap().0, Outcome::Failed);
        assert!(not_measured("a::b", "not measured on this system: no IPv6"));
        assert!(!not_measured("a::b", "thread 'a::b' panicked at x.rs:1:1:\nthe server said no"));
        assert!(not_measured("a::b", "said\nthread 'a::b' (9) panicked at x.rs:1:1:\nnot measured on this system: x"));
    }
}
