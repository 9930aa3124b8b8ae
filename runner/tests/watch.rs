//! `course watch` driven as a learner would: a lesson that fails, a save that
//! fixes it, the new verdict on screen, `q`, and nothing left running.
//!
//! The course it watches is a small one made for the test in a temporary
//! folder: one lesson without dependencies, so that it builds in a second.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// The first build of the little course, and clippy's, may take a while on a busy machine.
const FIRST_RUN: Duration = Duration::from_secs(120);
const RERUN: Duration = Duration::from_secs(60);

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A course of one lesson, `01-demo`, whose only check fails as written.
fn little_course(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("course-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    write(&root.join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"lessons/*\"]\n");
    write(
        &root.join("lessons/01-demo/Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         description = \"Lesson 01: a demo.\"\n\n[[test]]\nname = \"check\"\npath = \"../../tests/01-demo/check.rs\"\n",
    );
    write(&root.join("lessons/01-demo/src/lib.rs"), "pub fn answer() -> u32 {\n    41\n}\n");
    write(
        &root.join("tests/01-demo/check.rs"),
        "mod basics {\n    #[test]\n    fn answers() {\n        assert_eq!(demo::answer(), 42, \"the answer is 42\");\n    }\n}\n",
    );
    root
}

struct Watch {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(root: &Path, flags: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_course"))
            .arg("watch")
            .args(flags)
            .env("COURSE_ROOT", root)
            .env_remove("CARGO_TARGET_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start course watch");
        let (tx, lines) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Watch { child, lines, seen: Vec::new() }
    }

    /// Waits for a line containing `needle`.
    fn expect(&mut self, needle: &str, within: Duration) {
        let started = Instant::now();
        while let Some(left) = within.checked_sub(started.elapsed()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no line with {needle:?} within {within:?}; the watch printed:\n{}", self.seen.join("\n"));
    }

    /// Fails if the checks run again within `wait` with no file changed (the
    /// build reading the sources must not count as a save).
    fn expect_no_rerun(&mut self, wait: Duration) {
        while let Ok(line) = self.lines.recv_timeout(wait) {
            let rerun = line.contains("Running");
            self.seen.push(line);
            if rerun {
                let _ = self.child.kill();
                panic!("the checks ran again with no file changed:\n{}", self.seen.join("\n"));
            }
        }
    }
}

fn drive(name: &str, flags: &[&str]) {
    let root = little_course(name);
    let mut watch = Watch::start(&root, flags);
    watch.expect("Next: basics::answers", FIRST_RUN);
    watch.expect("the answer is 42", RERUN);
    watch.expect("for saves", RERUN);
    watch.expect_no_rerun(Duration::from_secs(2));

    // The learner's save: the file replaced, as editors that write a new file
    // and rename it over the old one do.
    let lib = root.join("lessons/01-demo/src/lib.rs");
    write(&root.join("lessons/01-demo/src/.lib.rs.new"), "pub fn answer() -> u32 {\n    42\n}\n");
    std::fs::rename(root.join("lessons/01-demo/src/.lib.rs.new"), &lib).unwrap();
    watch.expect("Every check passes", RERUN);
    watch.expect("for saves", RERUN);

    watch.child.stdin.as_mut().unwrap().write_all(b"q").unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = watch.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "`q` did not end the watch");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "the watch ended with {status}");
    assert_no_process_in(&root);
    let _ = std::fs::remove_dir_all(&root);
}

/// No process left running from the little course (its check binary, cargo).
fn assert_no_process_in(root: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let needle = root.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(!cmdline.contains(&needle), "left running: {cmdline}");
    }
}

#[test]
fn a_save_is_checked_again_with_file_events() {
    drive("events", &["01"]);
}

#[test]
fn a_save_is_checked_again_by_polling() {
    drive("polling", &["--poll"]);
}
