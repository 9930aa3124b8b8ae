//! Helpers for lesson 01's checks that the harness does not have.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use harness::{run_within, Failure};

/// How long one call of the learner's code may take. Everything in this
/// lesson takes microseconds; a call still running after this is stuck.
const CALL_DEADLINE: Duration = Duration::from_secs(2);

/// Calls the learner's function `what` with a deadline.
///
/// `harness::run_within` reports panics with their place, but its message for
/// a call that never returns speaks of sockets, and this lesson has none. So
/// the call runs inside `run_within` (with a deadline it never reaches) on a
/// thread of our own, which we wait for with the real deadline: a panic comes
/// back as the harness reported it, a call that never returns gets a message
/// about loops.
pub fn call<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, outcome) = mpsc::channel();
    let name = format!("`{what}`");
    // The harness's panic hook stays quiet for threads named `course:…`: their
    // panics are reported in the check's failure instead.
    thread::Builder::new()
        .name("course:call".to_string())
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| run_within(&name, Duration::from_secs(3600), f)));
            let _ = done.send(result);
        })
        .expect("could not start a thread");
    match outcome.recv_timeout(CALL_DEADLINE) {
        Ok(Ok(value)) => value,
        // A panic, already described by the harness: pass it on unchanged.
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => Failure::new(format!("`{what}` did not return within {} s", CALL_DEADLINE.as_secs()))
            .field(
                "likely",
                "a loop that never ends: an index that is not moved on, or a `while` whose condition stays true",
            )
            .fail(),
    }
}
