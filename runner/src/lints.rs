//! Clippy on the learner's lesson crate, as part of the verdict.
//!
//! Some socket mistakes pass every check by luck of timing and are certain to
//! bite later; clippy sees a few of them in the code itself. The ones listed
//! in [`BLOCKING`] (and any lint clippy denies by default: they are nearly
//! always bugs) keep a lesson from "done", as a failing check does. Others are
//! advice: shown, counted, never blocking. The stubs are lint-clean, so a
//! finding is always about code the learner wrote.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::checks::CheckedCrate;
use crate::children;

/// Lints that keep a lesson from "done", beside clippy's deny-by-default ones.
pub const BLOCKING: &[&str] = &[
    // `write`/`read` with the count ignored: part of the buffer silently lost.
    "clippy::unused_io_amount",
    // Reading into an empty `Vec`: every read returns 0, as at end of stream.
    "clippy::read_zero_byte_vec",
    // A `loop` that can only run once, or never ends without a way out.
    "clippy::never_loop",
    "clippy::empty_loop",
];

/// One finding of clippy.
#[derive(Debug, Clone)]
pub struct Finding {
    /// `clippy::unused_io_amount`.
    pub code: String,
    /// `warning` or `error`.
    pub level: String,
    /// Clippy's own text, with the source excerpt.
    pub rendered: String,
}

impl Finding {
    /// Whether this finding keeps the lesson from "done".
    pub fn blocking(&self) -> bool {
        self.level == "error" || BLOCKING.contains(&self.code.as_str())
    }

    #[cfg(test)]
    pub fn for_test(code: &str) -> Finding {
        Finding { code: code.to_string(), level: "warning".to_string(), rendered: format!("warning: {code}") }
    }
}

/// What clippy found on one crate.
#[derive(Debug, Clone, Default)]
pub struct Lints {
    pub findings: Vec<Finding>,
}

impl Lints {
    pub fn from_findings(findings: Vec<Finding>) -> Lints {
        Lints { findings }
    }

    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocking())
    }

    pub fn advice(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.blocking())
    }
}

/// Runs clippy on the crate's library and programs (not the checks: they are
/// the course's). `None` when clippy could not run (not installed, say): the
/// verdict then rests on the checks alone.
pub fn clippy(krate: &CheckedCrate) -> Option<Lints> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["clippy", "--quiet", "--message-format=json"])
        .args(krate.cargo_args())
        .args(["--lib", "--bins"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = children::spawn(&mut cmd).ok()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut findings = Vec::new();
    let mut finished = false;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
        if message["reason"] == "build-finished" {
            finished = true;
        }
        if let Some(finding) = finding(&message, &krate.package) {
            // Clippy reports a finding once per target that includes the file.
            if !findings.iter().any(|f: &Finding| f.rendered == finding.rendered) {
                findings.push(finding);
            }
        }
    }
    let _ = child.wait();
    children::finished(&child);
    finished.then_some(Lints { findings })
}

/// A clippy finding about `package`'s own code, from one JSON message.
fn finding(message: &Value, package: &str) -> Option<Finding> {
    if message["reason"] != "compiler-message" {
        return None;
    }
    // `path+file:///…/02-echo#echo@0.1.0`, or `…#0.1.0` when the folder is the name.
    let (path, fragment) = message["package_id"].as_str()?.rsplit_once('#')?;
    let name = match fragment.split_once('@') {
        Some((name, _version)) => name,
        None => path.rsplit('/').next()?,
    };
    if name != package {
        return None;
    }
    let diagnostic = &message["message"];
    let code = diagnostic["code"]["code"].as_str()?;
    if !code.starts_with("clippy::") {
        // The compiler's own warnings were shown by the build already.
        return None;
    }
    Some(Finding {
        code: code.to_string(),
        level: diagnostic["level"].as_str().unwrap_or("warning").to_string(),
        rendered: diagnostic["rendered"].as_str().unwrap_or_default().trim_end().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(package_id: &str, code: &str, level: &str) -> Value {
        serde_json::json!({
            "reason": "compiler-message",
            "package_id": package_id,
            "message": {"code": {"code": code}, "level": level, "rendered": format!("{level}: {code}\n")}
        })
    }

    #[test]
    fn keeps_clippy_findings_about_the_package() {
        let ours = "path+file:///c/lessons/02-echo#echo@0.1.0";
        let f = finding(&message(ours, "clippy::unused_io_amount", "error"), "echo").expect("kept");
        assert!(f.blocking());
        assert_eq!(f.rendered, "error: clippy::unused_io_amount");
        let advice = finding(&message(ours, "clippy::needless_return", "warning"), "echo").expect("kept");
        assert!(!advice.blocking());
        assert!(finding(&message(ours, "unused_variables", "warning"), "echo").is_none());
        let theirs = "path+file:///c/cli#course-cli@0.1.0";
        assert!(finding(&message(theirs, "clippy::needless_return", "warning"), "echo").is_none());
        let same_folder = "path+file:///c/echo#0.1.0";
        assert!(finding(&message(same_folder, "clippy::needless_return", "warning"), "echo").is_some());
    }

    #[test]
    fn an_ignored_write_count_blocks_even_as_a_warning() {
        assert!(Finding::for_test("clippy::unused_io_amount").blocking());
        assert!(!Finding::for_test("clippy::needless_range_loop").blocking());
    }
}
