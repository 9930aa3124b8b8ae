//! Building a crate's check binary with cargo, and finding it.
//!
//! The runner runs the check binary itself, one check per process, instead of
//! `cargo test`: so it builds with `--no-run` and reads the executable's path
//! from cargo's JSON messages.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::checks::CheckedCrate;
use crate::children;

/// What a build produced.
#[derive(Debug, Default)]
pub struct Built {
    /// The check binary, when the build succeeded.
    pub executable: Option<PathBuf>,
    /// The folder of the crate under test: checks run there, as under `cargo test`.
    pub crate_dir: Option<PathBuf>,
    /// What cargo said on stderr (its progress and the compiler's messages),
    /// less the lines a learner has no use for.
    pub messages: Vec<String>,
}

/// Builds the `check` test target of `krate`. With `echo`, cargo's messages are
/// passed on to stderr as they come (compiling takes a while; the learner sees
/// it moving); they are kept in [`Built::messages`] either way.
pub fn build(krate: &CheckedCrate, echo: bool) -> Built {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["test", "--no-run", "--message-format=json-render-diagnostics"])
        .args(krate.cargo_args())
        .args(["--test", "check"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Cargo's stderr comes through us; keep its colours when ours is a terminal.
    if echo && std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", "always");
    }
    let mut child = match children::spawn(&mut cmd) {
        Ok(child) => child,
        Err(e) => {
            return Built { messages: vec![format!("could not run cargo: {e}")], ..Built::default() };
        }
    };
    let stderr = child.stderr.take().expect("stderr is piped");
    let messages = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if is_noise(&line) {
                continue;
            }
            if echo {
                eprintln!("{line}");
            }
            kept.push(line);
        }
        kept
    });
    let mut built = Built::default();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if let Some((exe, dir)) = check_executable(&line) {
            built.executable = Some(exe);
            built.crate_dir = Some(dir);
        }
    }
    let status = child.wait();
    children::finished(&child);
    built.messages = messages.join().unwrap_or_default();
    if !status.is_ok_and(|s| s.success()) {
        built.executable = None;
    }
    built
}

/// Cargo's lines that say nothing to a learner: that it finished, and where it
/// put the test executable.
fn is_noise(line: &str) -> bool {
    let plain = strip_ansi(line);
    let word = plain.trim_start().split(' ').next().unwrap_or("");
    matches!(word, "Finished" | "Executable" | "Running" | "Fresh")
}

/// The text of `line` without terminal colour codes.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ … letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// From one JSON message of cargo: the test executable of the `check` target
/// and its crate's folder.
fn check_executable(line: &str) -> Option<(PathBuf, PathBuf)> {
    let message: Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
        return None;
    }
    if message["target"]["name"] != "check" {
        return None;
    }
    let exe = PathBuf::from(message["executable"].as_str()?);
    let manifest = PathBuf::from(message["manifest_path"].as_str()?);
    Some((exe, manifest.parent()?.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_check_executable() {
        let line = r#"{"reason":"compiler-artifact","package_id":"path+file:///c/lessons/02-echo#echo@0.1.0","manifest_path":"/c/lessons/02-echo/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"check","src_path":"/c/tests/02-echo/check.rs","test":true},"profile":{"opt_level":"1","test":true},"features":[],"filenames":["/c/target/debug/deps/check-1"],"executable":"/c/target/debug/deps/check-1","fresh":true}"#;
        let (exe, dir) = check_executable(line).expect("found");
        assert_eq!(exe, PathBuf::from("/c/target/debug/deps/check-1"));
        assert_eq!(dir, PathBuf::from("/c/lessons/02-echo"));
        let lib = line.replace(r#""test":true},"#, r#""test":false},"#).replace(r#""test":true,"#, "");
        assert!(check_executable(&lib).is_none());
    }

    #[test]
    fn drops_only_cargo_bookkeeping() {
        assert!(is_noise("    Finished `test` profile [optimized + debuginfo] target(s) in 0.20s"));
        assert!(is_noise("  Executable tests/02-echo/check.rs (target/debug/deps/check-1)"));
        assert!(is_noise("\u{1b}[1m\u{1b}[32m    Finished\u{1b}[0m `test` profile"));
        assert!(!is_noise("   Compiling echo v0.1.0 (/c/lessons/02-echo)"));
        assert!(!is_noise("error[E0308]: mismatched types"));
    }
}
