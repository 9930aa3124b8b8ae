//! Running a lesson's checks with cargo and reading what libtest says.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, IsTerminal};
use std::process::{Command, Stdio};

use crate::lessons::{Lesson, Side};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Ignored,
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The full test name: `basics::echoes_one_message`.
    pub name: String,
    pub outcome: Outcome,
}

/// What one run of a lesson's checks produced.
#[derive(Debug, Default)]
pub struct Run {
    pub results: Vec<CheckResult>,
    /// The captured output of each failed check, by name.
    pub failures: BTreeMap<String, String>,
    /// True when libtest ran at all (false: it did not compile).
    pub ran: bool,
}

/// How much of the checks' output to pass through while they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Nothing: the runner prints its own summary (`progress`, `verify`).
    Quiet,
    /// Cargo's messages (compiling, errors) and a line when the checks start;
    /// the results and failure details are kept for the runner's summary.
    Brief,
    /// Everything cargo and libtest print.
    All,
}

/// Builds (if needed) and runs the checks of `lesson` on `side`.
pub fn run(lesson: &Lesson, side: Side, echo: Echo, filter: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("test").args(lesson.cargo_args(side)).args(["--test", "check"]);
    cmd.args(["--", "--color", "never"]);
    if let Some(f) = filter {
        cmd.arg(f);
    }
    // Learners never update snapshots: a mismatch fails with a diff and writes nothing.
    cmd.env("INSTA_UPDATE", "no").env("RUST_BACKTRACE", "0").stdout(Stdio::piped()).stderr(Stdio::piped());
    // Cargo's stderr is piped through us; keep its colours when ours is a terminal.
    if std::io::stderr().is_terminal() && std::env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", "always");
    }

    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("could not run cargo: {e}");
            return Run::default();
        }
    };
    // Cargo's stderr is passed on line by line as it comes (so compiling shows
    // progress), less its "test failed, to rerun pass …" advice: the runner's
    // summary says what to do next.
    let stderr = child.stderr.take().expect("stderr is piped");
    let forward = echo != Echo::Quiet;
    let stderr = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if forward && (echo == Echo::All || !line.contains("test failed, to rerun pass")) {
                eprintln!("{line}");
            }
        }
    });

    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        match echo {
            Echo::All => println!("{line}"),
            Echo::Brief => {
                if let Some(count) = line.strip_prefix("running ").and_then(|l| l.split(' ').next()) {
                    println!("Running {count} checks…");
                }
            }
            Echo::Quiet => {}
        }
        lines.push(line);
    }
    let _ = child.wait();
    let _ = stderr.join();
    parse(&lines)
}

/// Reads libtest's output: the `test NAME ... ok` lines and the
/// `---- NAME stdout ----` blocks of the failures.
pub fn parse(lines: &[String]) -> Run {
    let mut run = Run::default();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut in_details = false;
    for line in lines {
        if line.starts_with("running ") && (line.ends_with(" tests") || line.ends_with(" test")) {
            run.ran = true;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, outcome)) = rest.rsplit_once(" ... ") {
                let outcome = match outcome {
                    "ok" => Outcome::Passed,
                    "ignored" => Outcome::Ignored,
                    _ => Outcome::Failed,
                };
                run.results.push(CheckResult { name: name.to_string(), outcome });
                continue;
            }
        }
        if line == "failures:" {
            if let Some((name, body)) = current.take() {
                run.failures.insert(name, tidy(&body));
            }
            in_details = true;
            continue;
        }
        if !in_details {
            continue;
        }
        if let Some(name) = line.strip_prefix("---- ").and_then(|l| l.strip_suffix(" stdout ----")) {
            if let Some((prev, body)) = current.take() {
                run.failures.insert(prev, tidy(&body));
            }
            current = Some((name.to_string(), Vec::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push(line.clone());
        }
    }
    run
}

/// A failure's captured output, without libtest's backtrace advice and blank edges.
fn tidy(body: &[String]) -> String {
    let kept: Vec<&str> =
        body.iter().map(String::as_str).filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`")).collect();
    kept.join("\n").trim().to_string()
}

/// The tiers of a check file: its top-level `mod NAME` lines, in order.
pub fn tiers(check_source: &str) -> Vec<String> {
    check_source
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.split([' ', '{', ';']).next().map(str::to_string))
        .collect()
}

/// Sorts results the way a learner should meet them: by tier, then by where the
/// check stands in the file (libtest sorts by name).
pub fn in_course_order(lesson: &Lesson, results: &mut [CheckResult]) {
    let source = fs::read_to_string(lesson.check_file()).unwrap_or_default();
    let tiers = tiers(&source);
    let key = |r: &CheckResult| {
        let mut parts = r.name.split("::");
        let tier = parts.next().unwrap_or("");
        let function = parts.next().unwrap_or("");
        let tier_at = tiers.iter().position(|t| t == tier).unwrap_or(usize::MAX);
        let fn_at = source.find(&format!("fn {function}(")).unwrap_or(usize::MAX);
        (tier_at, fn_at, r.name.clone())
    };
    results.sort_by_key(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn reads_results_and_failure_details() {
        let out = lines(
            "\nrunning 3 tests\ntest basics::a ... ok\ntest streams::b::case_1_empty ... FAILED\n\
             test basics::c ... FAILED\n\nfailures:\n\n---- streams::b::case_1_empty stdout ----\n\
             thread 'x' panicked at check.rs:1:1:\nwrong bytes\nnote: run with `RUST_BACKTRACE=1` to see\n\n\
             ---- basics::c stdout ----\nboom\n\nfailures:\n    basics::c\n    streams::b::case_1_empty\n\n\
             test result: FAILED. 1 passed; 2 failed; 0 ignored",
        );
        let run = parse(&out);
        assert!(run.ran);
        assert_eq!(run.results.len(), 3);
        assert_eq!(run.results[1].outcome, Outcome::Failed);
        assert_eq!(run.failures["basics::c"], "boom");
        assert_eq!(run.failures["streams::b::case_1_empty"], "thread 'x' panicked at check.rs:1:1:\nwrong bytes");
    }

    #[test]
    fn tiers_are_the_top_level_modules_in_order() {
        let src = "use x;\nmod basics {\n    mod inner {}\n}\nmod framing {}\n#[cfg(test)]\nmod end_to_end {\n";
        assert_eq!(tiers(src), ["basics", "framing", "end_to_end"]);
    }
}
