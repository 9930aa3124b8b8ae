//! `just watch NN`: the lesson's checks, again after every save.
//!
//! File events come from `notify` through a debouncer (an editor's save is
//! several events: write, rename, chmod). Where the system sends no events
//! (WSL's `/mnt/c`, network mounts) or its watcher cannot start, the same
//! crate polls instead; `--poll` asks for that. Each run clears the screen
//! and shows the same report as `just check`.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, SystemTime};

use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult, Debouncer};

use crate::children;
use crate::lessons::{Lesson, Side};
use crate::report::{self, Whose};
use crate::terminal;

/// How long the files must be quiet before a run: one save is several events.
const SETTLE: Duration = Duration::from_millis(100);
/// How often the polling watcher looks at the files.
const POLL_EVERY: Duration = Duration::from_millis(500);

enum Event {
    /// Files of the lesson changed.
    Saved,
    /// A key other than `q`: Enter or `r` runs the checks again.
    Key(u8),
    /// The watcher failed.
    Broken(String),
}

/// A running watcher, of either kind; dropping it stops it.
#[allow(dead_code)] // held only to keep the watcher alive
enum Watching {
    Events(Debouncer<RecommendedWatcher>),
    Polling(Debouncer<PollWatcher>),
}

pub fn watch(lesson: &Lesson, poll: bool) -> bool {
    let folder = lesson.crate_dir(Side::Lesson);
    let (tx, rx) = mpsc::channel();
    let (_watcher, mode) = match start(&folder, poll, tx.clone()) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("could not watch {}: {e}", folder.display());
            return false;
        }
    };
    listen_to_keys(tx);
    let shown = folder.strip_prefix(crate::lessons::root()).unwrap_or(&folder).display().to_string();
    loop {
        // What the files were when this run began: reading them (the compiler,
        // clippy) sends events too, and only a real change calls for a run.
        let before = fingerprint(&folder);
        terminal::clear();
        println!("just watch {}: checks {shown} on every save ({mode}). q or Ctrl-C quits.", lesson.number);
        let run = crate::run_lesson(lesson, Side::Lesson, &[], true);
        report::summary(lesson, &run, Whose::Learner, false);
        println!();
        println!("Watching {shown} for saves… (Enter: run again, q: quit)");
        if !wait_for_save(&rx, &folder, &before) {
            return false;
        }
    }
}

/// Waits for the next save that changed a file since `before` (or Enter);
/// false if the watcher broke.
fn wait_for_save(rx: &Receiver<Event>, folder: &Path, before: &Fingerprint) -> bool {
    loop {
        match rx.recv() {
            Ok(Event::Saved) if fingerprint(folder) != *before => break,
            Ok(Event::Saved) => {}
            Ok(Event::Key(b'\n' | b'\r' | b'r')) => break,
            Ok(Event::Key(_)) => {}
            Ok(Event::Broken(why)) => {
                eprintln!("the file watcher stopped: {why}\nStart it again with `just watch --poll`.");
                return false;
            }
            Err(_) => return false,
        }
    }
    // Saves that came while the last run was going, or with this one: one run for all.
    while rx.recv_timeout(SETTLE).is_ok() {}
    true
}

/// `q` (or Ctrl-D) ends the watch at once, even in the middle of a run: the
/// checks' processes are killed first. Other keys go to the main loop.
fn listen_to_keys(tx: Sender<Event>) {
    terminal::single_keys();
    let keys = terminal::keys();
    std::thread::spawn(move || {
        for key in keys {
            if matches!(key, b'q' | b'Q' | 4) {
                children::kill_all();
                terminal::restore();
                println!("\nStopped watching.");
                std::process::exit(0);
            }
            if tx.send(Event::Key(key)).is_err() {
                break;
            }
        }
    });
}

/// Starts watching `folder`; says which way, for the screen.
fn start(folder: &Path, poll: bool, tx: Sender<Event>) -> notify::Result<(Watching, String)> {
    let polled = |why: &str| format!("polling every {:.1} s{why}", POLL_EVERY.as_secs_f32());
    if poll {
        return Ok((Watching::Polling(watcher(folder, tx)?), polled(", as --poll asked")));
    }
    if let Some(why) = events_unlikely(folder) {
        return Ok((Watching::Polling(watcher(folder, tx)?), polled(&format!(": {why}; --poll forces it"))));
    }
    match watcher::<RecommendedWatcher>(folder, tx.clone()) {
        Ok(w) => Ok((Watching::Events(w), "file events; if saves go unseen, use --poll".to_string())),
        Err(e) => Ok((
            Watching::Polling(watcher(folder, tx)?),
            polled(&format!(": file events are not available here ({e})")),
        )),
    }
}

fn watcher<W: notify::Watcher>(folder: &Path, tx: Sender<Event>) -> notify::Result<Debouncer<W>> {
    let config = Config::default()
        .with_timeout(SETTLE)
        .with_batch_mode(false)
        .with_notify_config(notify::Config::default().with_poll_interval(POLL_EVERY));
    let mut debouncer = new_debouncer_opt::<_, W>(config, move |result: DebounceEventResult| {
        let event = match result {
            Ok(events) if events.iter().any(|e| is_source(&e.path)) => Event::Saved,
            Ok(_) => return,
            Err(e) => Event::Broken(e.to_string()),
        };
        let _ = tx.send(event);
    })?;
    debouncer.watcher().watch(folder, RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// Each source file with its size and modification time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(folder: &Path) -> Fingerprint {
    let mut files = Vec::new();
    let mut folders = vec![folder.to_path_buf()];
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if entry.file_name() != "target" {
                    folders.push(path);
                }
            } else if is_source(&path) {
                files.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    files.sort();
    files
}

/// Files whose change calls for a run: Rust sources and the manifest, not an
/// editor's swap and backup files.
fn is_source(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.')
        && (name.ends_with(".rs") || name == "Cargo.toml")
        && !path.components().any(|c| c.as_os_str() == "target")
}

/// Why file events are unlikely to arrive for `folder`, if they are: WSL
/// sends none for Windows drives (`/mnt/c/…`).
fn events_unlikely(folder: &Path) -> Option<String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().to_lowercase();
    let wsl = release.contains("microsoft") || release.contains("wsl");
    (wsl && folder.starts_with("/mnt/")).then(|| "WSL sends no file events for Windows drives".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_trigger_a_run() {
        assert!(is_source(Path::new("/c/lessons/02-echo/src/lib.rs")));
        assert!(is_source(Path::new("/c/lessons/02-echo/Cargo.toml")));
        assert!(!is_source(Path::new("/c/lessons/02-echo/src/.lib.rs.swp")));
        assert!(!is_source(Path::new("/c/lessons/02-echo/src/lib.rs~")));
        assert!(!is_source(Path::new("/c/lessons/02-echo/src/4913")));
        assert!(!is_source(Path::new("/c/lessons/02-echo/target/debug/x.rs")));
    }
}
