//! The processes the runner starts (cargo, each check), and how they end.
//!
//! On Unix each one is the leader of a process group of its own, so that
//! ending it ends what it started too: cargo's rustc jobs, the server binaries
//! a check runs. The runner keeps the list of groups alive, and on Ctrl-C or
//! `q` kills them all before it exits: a learner's spinning thread must not
//! outlive the run that started it.

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::Mutex;

/// Process ids of the live children, each the leader of its group (Unix).
static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Starts `command` as a group of its own and records it; call [`finished`]
/// once it has been waited for.
pub fn spawn(command: &mut Command) -> std::io::Result<Child> {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let child = command.spawn()?;
    LIVE.lock().unwrap_or_else(|p| p.into_inner()).insert(child.id());
    Ok(child)
}

/// Kills `child` and everything in its group, then reaps it.
pub fn kill(child: &mut Child) {
    kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
    finished(child);
}

/// Forgets a child that has ended (it was waited for).
pub fn finished(child: &Child) {
    // Not its group: once the leader is reaped its id may be reused. The
    // harness stops the server binaries of a check that ended by itself.
    LIVE.lock().unwrap_or_else(|p| p.into_inner()).remove(&child.id());
}

/// Kills every live group: the runner is about to exit.
pub fn kill_all() {
    let live: Vec<u32> = LIVE.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect();
    for pid in live {
        kill_group(pid);
    }
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals a process group; it
        // touches no memory of ours. A group that is gone already gives ESRCH.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {
    // No process groups: `kill` ends the child itself (Child::kill).
}

/// On Ctrl-C: kill the children, run `restore` (the terminal's settings), and
/// exit quietly with `code` (0 where Ctrl-C is the normal way out, as in watch). The runner's children are in groups of their own, so the
/// terminal's interrupt reaches only the runner (and `just`, which waits for it).
pub fn exit_on_interrupt(restore: fn(), code: i32) {
    let _ = ctrlc::set_handler(move || {
        kill_all();
        restore();
        std::process::exit(code);
    });
}
