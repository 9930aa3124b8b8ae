//! Helpers for lesson 01's checks that the harness does not have.

use std::time::Duration;

use harness::run_within_or;

/// How long one call of the learner's code may take. Everything in this
/// lesson takes microseconds; a call still running after this is stuck.
const CALL_DEADLINE: Duration = Duration::from_secs(2);

/// Calls the learner's function `what` with a deadline; a call that never
/// returns is explained as a loop, since this lesson has no sockets.
pub fn call<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    run_within_or(
        &format!("`{what}`"),
        CALL_DEADLINE,
        "a loop that never ends: an index that is not moved on, or a `while` whose condition stays true",
        f,
    )
}
