//! Catching panics and saying where they happened.
//!
//! A `todo!()` or an `unwrap()` in the learner's code may panic on a thread the
//! harness started (the server thread, the thread that runs a check's body).
//! Rust's default hook prints such a panic to stderr, far from the check that
//! failed because of it. Instead the harness catches it, keeps its message and
//! location, and puts both into the failing check's message.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::failure::HarnessFailure;

/// Threads whose name starts with this are started by the harness; their panics
/// are reported by the harness, not printed by the default hook.
pub(crate) const MANAGED: &str = "course:";

thread_local! {
    /// Where the last panic on this thread happened, recorded by the hook.
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic caught on a harness thread.
#[derive(Debug, Clone)]
pub(crate) enum Caught {
    /// A check failed: the message is complete.
    Harness(String),
    /// The learner's code (or a library it called) panicked.
    Code { message: String, location: Option<String> },
}

impl Caught {
    /// The text for a failure message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Caught::Harness(message) => message.clone(),
            Caught::Code { message, location } if location.as_deref().is_some_and(|l| l.contains("insta")) => {
                format!(
                    "{message}\n    The output differs from the snapshot the course expects: the diff above shows \
                     the expected lines (-) and yours (+).\n    (Ignore insta's advice to review or update \
                     snapshots: they are the course's answers, not yours to change.)"
                )
            }
            Caught::Code { message, location } => {
                let at = location.as_deref().map(|l| format!(" at {l}")).unwrap_or_default();
                let todo = if message.starts_with("not yet implemented") {
                    "\n    (that is a stub still waiting for your code: replace the todo!() with it)"
                } else {
                    ""
                };
                format!("your code panicked{at}:\n    {message}{todo}")
            }
        }
    }
}

/// Installs the hook once per test process; the previous hook still prints
/// panics of threads the harness did not start (the test threads themselves).
pub(crate) fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| l.to_string());
            LAST_LOCATION.with(|last| *last.borrow_mut() = location);
            let managed = std::thread::current().name().is_some_and(|n| n.starts_with(MANAGED));
            if !managed {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into [`Caught`]. Call it on the thread that runs
/// the code, so the hook's record of the location is at hand.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, Caught> {
    install_hook();
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let location = LAST_LOCATION.with(|last| last.borrow_mut().take());
        classify(payload, location)
    })
}

fn classify(payload: Box<dyn Any + Send>, location: Option<String>) -> Caught {
    if let Some(HarnessFailure(message)) = payload.downcast_ref::<HarnessFailure>() {
        return Caught::Harness(message.clone());
    }
    let message = if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a value that is not text)".to_string()
    };
    Caught::Code { message, location }
}

/// Raises `caught` again on this thread, as a harness failure so that it is not
/// wrapped twice.
pub(crate) fn resume(caught: Caught) -> ! {
    panic::panic_any(HarnessFailure(caught.describe()))
}
