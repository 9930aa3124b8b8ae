//! What the runner remembers between runs, in `.course/` at the root of the
//! checkout (ignored by git, and out of `target/` so `cargo clean` keeps it):
//! the last verdict of each lesson, and the backups `reset` makes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::lessons::{self, root, Lesson, Side};

pub fn folder() -> PathBuf {
    root().join(".course")
}

fn verdict_file(lesson: &Lesson) -> PathBuf {
    folder().join("results").join(&lesson.dir)
}

/// Records the verdict of a full run of the learner's checks.
pub fn record(lesson: &Lesson, done: bool) {
    let file = verdict_file(lesson);
    if let Some(parent) = file.parent() {
        let _ = fs::create_dir_all(parent);
    }
    let _ = fs::write(file, if done { "done\n" } else { "not done\n" });
}

/// True when the last full run said "done" and nothing in the lesson changed since.
pub fn known_done(lesson: &Lesson) -> bool {
    let file = verdict_file(lesson);
    let Ok(text) = fs::read_to_string(&file) else { return false };
    let recorded = fs::metadata(&file).and_then(|m| m.modified()).ok();
    let changed = newest_change(&lesson.crate_dir(Side::Lesson));
    text.trim() == "done" && matches!((recorded, changed), (Some(r), Some(c)) if c <= r)
}

/// True when a full run of the lesson's checks was ever recorded here.
pub fn ever_checked(lesson: &Lesson) -> bool {
    verdict_file(lesson).exists()
}

/// The first lesson not known to be done: where `just watch` alone starts.
pub fn first_not_done() -> Option<Lesson> {
    let all = lessons::all();
    all.iter().find(|l| !known_done(l)).or(all.last()).cloned()
}

/// The latest modification time of the files under `dir`.
fn newest_change(dir: &Path) -> Option<SystemTime> {
    let mut newest = fs::metadata(dir).and_then(|m| m.modified()).ok();
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() { newest_change(&path) } else { entry.metadata().and_then(|m| m.modified()).ok() };
        newest = newest.max(time);
    }
    newest
}
