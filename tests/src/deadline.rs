//! Deadlines: nothing a learner writes can make a check hang.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::failure::Failure;
use crate::panics::{self, Caught, MANAGED};

/// How long one socket operation of a check may wait (a read, a write, a connect).
/// Generous for loopback, where answers take microseconds, and short enough
/// that an untouched stub fails its whole lesson in seconds.
pub const IO_DEADLINE: Duration = Duration::from_secs(3);

/// How long a whole check may take before it is failed as hanging.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(10);

/// Runs the body of a check with [`CHECK_DEADLINE`] and appends `hint` to any failure.
///
/// The body runs on its own thread; the test thread waits for it with a
/// deadline, so a body stuck in the learner's code (a lock, a loop, a read) fails
/// the check instead of hanging the run. A panic in the body, from the harness
/// or from the learner's code, becomes the check's failure message with its
/// location.
#[track_caller]
pub fn check(hint: &str, body: impl FnOnce() + Send + 'static) {
    check_within(CHECK_DEADLINE, hint, body)
}

/// [`check`] with a deadline of your own, for checks that do more work.
#[track_caller]
pub fn check_within(deadline: Duration, hint: &str, body: impl FnOnce() + Send + 'static) {
    // Checks run side by side, each with its clients: macOS allows 256 files.
    crate::measure::raise_open_files_quietly();
    let outcome = run_on_thread("check", deadline, body);
    let problem = match outcome {
        Some(Ok(())) => return,
        Some(Err(caught)) => caught.describe(),
        None => format!(
            "this check did not finish within {} s: something waits forever.\n    \
             Look for a read that never gets its bytes, a loop that never ends, \
             or a lock that is never released.",
            deadline.as_secs_f32()
        ),
    };
    panic!("{problem}\n\n    hint: {hint}\n");
}

/// Calls the learner's `f` (a client function, say) and waits at most `deadline`
/// for it to return. `what` names the call in the failure, e.g. "`echo_once`".
///
/// A panic inside `f` fails the check with the panic's message and location.
pub fn run_within<T: Send + 'static>(what: &str, deadline: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    run_within_or(
        what,
        deadline,
        "a loop that never ends, or a read waiting for bytes (or an end of stream) that never come",
        f,
    )
}

/// [`run_within`], with the check's own explanation of what `likely` keeps the
/// call from returning (a lesson without sockets, a lock held too long, …).
pub fn run_within_or<T: Send + 'static>(
    what: &str,
    deadline: Duration,
    likely: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    match run_on_thread("run", deadline, f) {
        Some(Ok(value)) => value,
        Some(Err(caught)) => panics::resume(caught),
        None => Failure::new(format!("{what} did not return within {} s", deadline.as_secs_f32()))
            .field("likely", likely)
            .fail(),
    }
}

/// Runs `f` on a harness thread; `None` when it is still running at the deadline.
/// A thread still running then is left behind (a thread cannot be killed). The
/// course runner gives each check a process of its own, which exits as soon as
/// its check has failed: a learner's thread that spins or waits forever ends
/// there, and slows no other check.
fn run_on_thread<T: Send + 'static>(
    role: &str,
    deadline: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<Result<T, Caught>> {
    panics::install_hook();
    let (done, outcome) = mpsc::channel();
    thread::Builder::new()
        .name(format!("{MANAGED}{role}"))
        .spawn(move || {
            let _ = done.send(panics::catch(f));
        })
        .expect("the harness could not start a thread");
    outcome.recv_timeout(deadline).ok()
}
