//! The course's check harness.
//!
//! Every check of every lesson is written with these pieces, so that every check
//! has the same guarantees:
//!
//! - **It never hangs.** [`check`] runs the body of a check on its own thread and
//!   fails it when the deadline passes; every client socket has read and write
//!   timeouts; spawned binaries are killed when their handle is dropped.
//! - **It explains itself.** A failure says what was expected, what was sent, what
//!   came back (or did not), a hint, and where the book explains it. A panic in
//!   the learner's code is reported with its message and location, even when it
//!   happened on a server thread.
//! - **It needs no fixed port and no sleep.** Servers are started on
//!   `127.0.0.1:0`; the bound listener is handed to the learner's code.
//!
//! A check file groups its checks in tiers, one `mod` per tier, in the order the
//! learner should meet them; the course runner (`just check NN`) reads that order.

mod client;
mod deadline;
mod failure;
mod hexdump;
mod panics;
mod process;
mod server;
mod snapshot;

pub mod confirm;
pub mod measure;
pub mod relay;

pub use client::Client;
pub use deadline::{check, check_within, run_within, run_within_or, CHECK_DEADLINE, IO_DEADLINE};
pub use failure::{first_difference, show_around, show_bytes, show_bytes_end, Failure};
pub use hexdump::hexdump;
pub use measure::not_measured;
pub use process::ServerProcess;
pub use relay::{Faults, Relay};
pub use server::Server;
pub use snapshot::snapshot_settings;

/// Socket options the standard library does not set (buffer sizes), for
/// checks: lesson crates have no dependency of their own on it.
pub use socket2;
