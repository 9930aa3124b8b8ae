//! What the learner reads after the checks ran: progress per tier, the lints,
//! and the next thing to fix with its message and hint.
//!
//! [`first_failure`] is that next thing exactly as the `Next:` block shows
//! it; other tools (the mutants) compare against it.

use std::fs;
use std::path::Path;

use crate::checks::{self, CheckResult, Outcome, Run};
use crate::lessons::{self, Lesson};
use crate::lints::Finding;

/// Passed and total checks of one tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub name: String,
    pub passed: usize,
    /// Checks this system cannot measure: they count as neither passed nor failed.
    pub not_measured: usize,
    pub total: usize,
}

impl Tier {
    pub fn done(&self) -> bool {
        self.passed + self.not_measured == self.total
    }
}

/// Counts per tier, in the order of the check file.
pub fn tiers(check_file: &Path, results: &[CheckResult]) -> Vec<Tier> {
    let source = fs::read_to_string(check_file).unwrap_or_default();
    let mut tiers: Vec<Tier> =
        checks::tiers(&source).into_iter().map(|name| Tier { name, passed: 0, not_measured: 0, total: 0 }).collect();
    for result in results.iter().filter(|r| r.outcome != Outcome::Ignored) {
        let tier_name = result.name.split("::").next().unwrap_or("");
        let index = match tiers.iter().position(|t| t.name == tier_name) {
            Some(i) => i,
            None => {
                tiers.push(Tier { name: tier_name.to_string(), passed: 0, not_measured: 0, total: 0 });
                tiers.len() - 1
            }
        };
        tiers[index].total += 1;
        match result.outcome {
            Outcome::Passed => tiers[index].passed += 1,
            Outcome::NotMeasured => tiers[index].not_measured += 1,
            Outcome::Failed | Outcome::Ignored => {}
        }
    }
    tiers.retain(|t| t.total > 0);
    tiers
}

/// `[####....]` for 4 of 8.
pub fn bar(passed: usize, total: usize) -> String {
    const WIDTH: usize = 12;
    let filled = (passed * WIDTH).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(WIDTH - filled))
}

/// The next thing to fix: a check's name and what it said, or a lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub name: String,
    pub text: String,
}

/// What the `Next:` block of `just check` shows for `run`: the first failing
/// check in course order (its message as the learner reads it), or when every
/// check passes the first lint that keeps the lesson from "done", or when the
/// code does not compile the compiler's first error. `None` when it is done.
pub fn first_failure(check_file: &Path, run: &Run) -> Option<Failure> {
    if !run.ran {
        return Some(Failure { name: "the code does not compile".to_string(), text: first_error(&run.build_messages) });
    }
    let mut results = run.results.clone();
    checks::in_course_order(check_file, &mut results);
    if let Some(failed) = results.iter().find(|r| r.outcome == Outcome::Failed) {
        let details = run.failures.get(&failed.name).map(String::as_str).unwrap_or("(no output was captured)");
        return Some(Failure { name: failed.name.clone(), text: learner_view(&failed.name, details) });
    }
    let lint = run.lints.as_ref()?.blocking().next()?;
    Some(Failure { name: lint.code.clone(), text: lint_text(lint) })
}

fn lint_text(lint: &Finding) -> String {
    format!(
        "{}\n\nEvery check passes, but clippy found a mistake that keeps the lesson from done: \
         checks see what happened in one run, this lint sees what your code allows.",
        crate::build::strip_ansi(&lint.rendered)
    )
}

/// The compiler's first error, from cargo's messages.
fn first_error(messages: &[String]) -> String {
    let plain: Vec<String> = messages.iter().map(|m| crate::build::strip_ansi(m)).collect();
    let Some(start) = plain.iter().position(|l| l.starts_with("error")) else {
        return plain.join("\n");
    };
    let end = plain[start + 1..].iter().position(|l| l.is_empty()).map_or(plain.len(), |e| start + 1 + e);
    plain[start..end].join("\n")
}

/// A failure as a learner reads it: without the `panicked at` lines of the
/// check itself and of the harness's threads (they say where the *check*
/// stopped), but with those of threads the learner's code started, which
/// point at the learner's own file and line.
pub fn learner_view(name: &str, details: &str) -> String {
    let lines: Vec<&str> = details.lines().collect();
    let hidden = |l: &str| panicking_thread(l).is_some_and(|thread| thread == name || thread.starts_with("course:"));
    // What stands before the check's own panic line is what programs printed
    // while it ran (a server in the check's process logs as it goes): keep its
    // last words, and every panic of a thread the learner's code started.
    let output_ends = lines.iter().position(|l| hidden(l)).unwrap_or(0);
    let left_out_before = output_ends.saturating_sub(OUTPUT_SHOWN);
    let mut kept: Vec<&str> = Vec::new();
    let mut left_out = 0;
    for (i, line) in lines.iter().enumerate() {
        let learner_panic = panicking_thread(line).is_some() && !hidden(line);
        let after_learner_panic = i > 0 && panicking_thread(lines[i - 1]).is_some() && !hidden(lines[i - 1]);
        if hidden(line) {
            continue;
        }
        if i < left_out_before && !learner_panic && !after_learner_panic {
            left_out += 1;
            continue;
        }
        kept.push(line);
    }
    let mut shown = Vec::new();
    if left_out > 0 {
        shown.push(format!("(… {left_out} earlier lines of output left out)"));
    }
    shown.extend(kept.iter().map(|l| l.to_string()));
    shown.join("\n")
}

/// The most lines of a program's own output (a server running in the check's
/// process prints as it goes) shown above a failure: its last words, not a log
/// of a hundred users joining.
const OUTPUT_SHOWN: usize = 6;

/// The thread named by a `thread 'NAME' panicked at …` line (newer Rust puts
/// its id between: `thread 'NAME' (1234) panicked at …`).
pub fn panicking_thread(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("thread '")?;
    let (name, after) = rest.split_once("' ")?;
    let after = match after.strip_prefix('(') {
        Some(id) => id.split_once(") ")?.1,
        None => after,
    };
    after.starts_with("panicked at ").then_some(name)
}

/// Which command the learner typed, for the advice in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// `just check NN`: the learner's lesson.
    Learner,
    /// `just check NN NAME…`: only the learner's checks whose names contain NAME.
    LearnerSome,
    /// `just solution NN`: the reference solution.
    Solution,
}

/// Prints the report of `just check NN`; returns true when the lesson is done.
pub fn summary(lesson: &Lesson, run: &Run, whose: Whose, show_all: bool) -> bool {
    let check_file = lesson.check_file();
    let tag = if whose == Whose::Solution { " (reference solution)" } else { "" };
    println!();
    println!("== Lesson {}: {}{tag}", lesson.number, lesson.short_title());
    if !run.ran {
        println!();
        println!("The checks did not run: the code does not compile yet.");
        println!("Fix the first error cargo printed above (the line starting with `error`), then save again");
        println!("(with `just watch` running) or run `just check {}` again.", lesson.number);
        println!("Every stub compiles as given: if it did before, look at what you changed.");
        return false;
    }
    let mut results = run.results.clone();
    checks::in_course_order(&check_file, &mut results);
    let tiers = tiers(&check_file, &results);
    let width = tiers.iter().map(|t| t.name.len()).max().unwrap_or(5).max(5);
    for tier in &tiers {
        let mark = if tier.done() { "done" } else { "" };
        println!(
            "   {:width$}  {} {:>2}/{:<2} {mark}",
            tier.name,
            bar(tier.passed, tier.total),
            tier.passed,
            tier.total
        );
    }
    let passed: usize = tiers.iter().map(|t| t.passed).sum();
    let total: usize = tiers.iter().map(|t| t.total).sum();
    println!("   {:width$}  {} {passed:>2}/{total:<2}", "total", bar(passed, total));
    print_lint_line(run, width);

    let not_measured: Vec<&str> =
        results.iter().filter(|r| r.outcome == Outcome::NotMeasured).map(|r| r.name.as_str()).collect();
    if !not_measured.is_empty() {
        println!();
        println!(
            "Not measured on this system ({}; they count neither way): {}",
            not_measured.len(),
            not_measured.join(", ")
        );
    }

    let Some(next) = first_failure(&check_file, run) else {
        println!();
        if whose == Whose::Solution {
            println!("The reference solution passes every check.");
        } else if whose == Whose::LearnerSome {
            println!("Every check you named passes ({total} of the lesson's checks ran).");
            println!("Run them all: just check {}", lesson.number);
        } else {
            println!("Every check passes. Well done!");
            println!("Compare with the reference solution: just diff {}", lesson.number);
            match lessons::next_after(lesson) {
                Some((next, chapter)) => println!(
                    "Then read the chapter's walk-through of the solution, and go on to lesson {}: {chapter} (just watch {}).",
                    next.number, next.number
                ),
                None => println!("Then read the chapter's walk-through of the solution: that was the last lesson."),
            }
        }
        print_advice(run);
        return true;
    };

    println!();
    println!("Next: {}", next.name);
    println!("{}", "-".repeat(72));
    println!("{}", next.text);
    println!("{}", "-".repeat(72));
    let failed: Vec<&str> = results.iter().filter(|r| r.outcome == Outcome::Failed).map(|r| r.name.as_str()).collect();
    if failed.len() > 1 {
        let others: Vec<&str> = failed[1..].iter().copied().take(8).collect();
        let more = if failed.len() - 1 > others.len() { ", …" } else { "" };
        println!("Also failing ({}): {}{more}", failed.len() - 1, others.join(", "));
        if !show_all {
            println!("Every failure in full: just check {} --all", lesson.number);
        }
    }
    if show_all {
        for name in failed.iter().skip(1) {
            println!();
            println!("Also: {name}");
            println!("{}", "-".repeat(72));
            println!("{}", learner_view(name, run.failures.get(*name).map(String::as_str).unwrap_or("")));
        }
        print_advice(run);
    }
    false
}

fn print_lint_line(run: &Run, width: usize) {
    let line = match &run.lints {
        None => "not run (is clippy installed? rustup component add clippy)".to_string(),
        Some(lints) if lints.findings.is_empty() => "clean".to_string(),
        Some(lints) => {
            let blocking: Vec<&str> = lints.blocking().map(|f| f.code.as_str()).collect();
            let advice: Vec<&str> = lints.advice().map(|f| f.code.as_str()).collect();
            let mut parts = Vec::new();
            if !blocking.is_empty() {
                parts.push(format!("{} to fix before done: {}", blocking.len(), blocking.join(", ")));
            }
            if !advice.is_empty() {
                parts.push(format!("{} suggestion(s): {}", advice.len(), advice.join(", ")));
            }
            parts.join("; ")
        }
    };
    println!("   {:width$}  {line}", "lints");
}

/// Clippy's suggestions in full: shown once the checks pass (or with --all),
/// when they no longer compete with a failing check for attention.
fn print_advice(run: &Run) {
    let Some(lints) = &run.lints else { return };
    let advice: Vec<&Finding> = lints.advice().collect();
    if advice.is_empty() {
        return;
    }
    println!();
    println!("Clippy's suggestions (they do not count against the lesson):");
    for finding in advice {
        println!("{}", crate::build::strip_ansi(&finding.rendered));
    }
}

/// Each check's time, slowest first: where a run's time goes.
pub fn times(run: &Run) {
    let mut results = run.results.clone();
    results.sort_by_key(|r| std::cmp::Reverse(r.duration));
    println!();
    println!("Time per check (each in its own process):");
    for r in results {
        println!("   {:6.2} s  {:?}  {}", r.duration.as_secs_f64(), r.outcome, r.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn keeps_the_message_and_the_last_lines_of_output() {
        let mut details: Vec<String> = (0..20).map(|i| format!("u{i:03} joined")).collect();
        details.push("thread 'check' panicked at tests/06-chat/check.rs:1:1:".into());
        details.push("the room stalled".into());
        let shown = learner_view("check", &details.join("\n"));
        assert_eq!(
            shown,
            "(… 14 earlier lines of output left out)\nu014 joined\nu015 joined\nu016 joined\nu017 joined\n\
             u018 joined\nu019 joined\nthe room stalled"
        );
        assert_eq!(learner_view("x", "a\nthread 'x' panicked at f:1:1:\nboom"), "a\nboom");
    }

    #[test]
    fn bars_fill_in_proportion() {
        assert_eq!(bar(0, 4), "[............]");
        assert_eq!(bar(2, 4), "[######......]");
        assert_eq!(bar(4, 4), "[############]");
        assert_eq!(bar(0, 0), "[............]");
    }

    #[test]
    fn the_learners_own_panics_keep_their_location() {
        let details =
            "thread '<unnamed>' (77) panicked at src/lib.rs:88:14:\ncalled `Result::unwrap()` on an `Err` value\n\
                       thread 'course:server' panicked at tests/src/server.rs:3:3:\nplumbing\n\
                       thread 'basics::a' (12) panicked at tests/06-chat/check.rs:1:1:\nthe check's message";
        let view = learner_view("basics::a", details);
        assert!(view.contains("thread '<unnamed>' (77) panicked at src/lib.rs:88:14:"), "{view}");
        assert!(view.contains("called `Result::unwrap()`"));
        assert!(!view.contains("course:server"));
        assert!(!view.contains("check.rs:1:1"));
        assert!(view.contains("the check's message"));
        assert_eq!(panicking_thread("thread 'a::b' panicked at x.rs:1:1:"), Some("a::b"));
        assert_eq!(panicking_thread("thread 'a::b' (3) panicked at x.rs:1:1:"), Some("a::b"));
        assert_eq!(panicking_thread("thread 'a::b' said hello"), None);
    }

    fn result(name: &str, outcome: Outcome) -> CheckResult {
        CheckResult { name: name.to_string(), outcome, duration: Duration::ZERO }
    }

    #[test]
    fn not_measured_counts_neither_way() {
        let file = Path::new("no such file");
        let results = [result("a::x", Outcome::Passed), result("a::y", Outcome::NotMeasured)];
        let tiers = tiers(file, &results);
        assert_eq!(tiers, [Tier { name: "a".into(), passed: 1, not_measured: 1, total: 2 }]);
        assert!(tiers[0].done());
    }

    #[test]
    fn the_next_failure_is_a_check_then_a_blocking_lint() {
        let file = Path::new("no such file");
        let mut run = Run { ran: true, results: vec![result("a::x", Outcome::Passed)], ..Run::default() };
        assert_eq!(first_failure(file, &run), None);
        run.lints = Some(crate::lints::Lints::from_findings(vec![Finding::for_test("clippy::unused_io_amount")]));
        assert_eq!(first_failure(file, &run).map(|f| f.name).as_deref(), Some("clippy::unused_io_amount"));
        run.results.push(result("a::y", Outcome::Failed));
        run.failures.insert("a::y".into(), "thread 'a::y' panicked at check.rs:1:1:\nwrong".into());
        assert_eq!(first_failure(file, &run), Some(Failure { name: "a::y".into(), text: "wrong".into() }));
    }

    #[test]
    fn a_build_failure_names_the_first_error() {
        let messages = [
            "   Compiling echo".to_string(),
            "error[E0308]: mismatched types".into(),
            " --> src/lib.rs:3:5".into(),
            String::new(),
            "error: aborting".into(),
        ];
        let run = Run { build_messages: messages.to_vec(), ..Run::default() };
        let failure = first_failure(Path::new("x"), &run).expect("a failure");
        assert_eq!(failure.text, "error[E0308]: mismatched types\n --> src/lib.rs:3:5");
    }
}
