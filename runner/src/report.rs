//! What the learner reads after the checks ran: progress per tier, and the
//! next check to work on with its message and hint.

use std::fs;

use crate::checks::{self, CheckResult, Outcome, Run};
use crate::lessons::Lesson;

/// Passed and total checks of one tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    pub name: String,
    pub passed: usize,
    pub total: usize,
}

/// Counts per tier, in the order of the check file.
pub fn tiers(lesson: &Lesson, results: &[CheckResult]) -> Vec<Tier> {
    let source = fs::read_to_string(lesson.check_file()).unwrap_or_default();
    let mut tiers: Vec<Tier> =
        checks::tiers(&source).into_iter().map(|name| Tier { name, passed: 0, total: 0 }).collect();
    for result in results.iter().filter(|r| r.outcome != Outcome::Ignored) {
        let tier_name = result.name.split("::").next().unwrap_or("");
        let index = match tiers.iter().position(|t| t.name == tier_name) {
            Some(i) => i,
            None => {
                tiers.push(Tier { name: tier_name.to_string(), passed: 0, total: 0 });
                tiers.len() - 1
            }
        };
        tiers[index].total += 1;
        if result.outcome == Outcome::Passed {
            tiers[index].passed += 1;
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

/// Prints the summary of `just check NN`; returns true when every check passed.
pub fn summary(lesson: &Lesson, run: &mut Run, solution: bool) -> bool {
    let whose = if solution { " (reference solution)" } else { "" };
    println!();
    println!("== Lesson {}: {}{whose}", lesson.number, lesson.short_title());
    if !run.ran {
        println!();
        println!("The checks did not run: the code does not compile yet.");
        println!("Fix the first error cargo printed above (the line starting with `error`), then run");
        println!(
            "`just check {}` again. Every stub compiles as given: if it did before, look at what you changed.",
            lesson.number
        );
        return false;
    }
    checks::in_course_order(lesson, &mut run.results);
    let tiers = tiers(lesson, &run.results);
    let width = tiers.iter().map(|t| t.name.len()).max().unwrap_or(5).max(5);
    for tier in &tiers {
        let mark = if tier.passed == tier.total { "done" } else { "" };
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

    let failed: Vec<&CheckResult> = run.results.iter().filter(|r| r.outcome == Outcome::Failed).collect();
    let Some(next) = failed.first() else {
        println!();
        if solution {
            println!("The reference solution passes every check.");
        } else {
            println!("Every check passes. Well done!");
            println!("Compare with the reference solution: just diff {}", lesson.number);
            println!("Then read the chapter's walk-through of the solution, and go on to the next lesson.");
        }
        return true;
    };

    println!();
    println!("Next: {}", next.name);
    println!("{}", "-".repeat(72));
    let details = run.failures.get(&next.name).map(String::as_str).unwrap_or("(no output was captured)");
    println!("{}", indent_panic(details));
    println!("{}", "-".repeat(72));
    if failed.len() > 1 {
        let others: Vec<&str> = failed[1..].iter().map(|r| r.name.as_str()).take(8).collect();
        let more = if failed.len() - 1 > others.len() { ", …" } else { "" };
        println!("Also failing ({}): {}{more}", failed.len() - 1, others.join(", "));
        println!("Every failure in full: just check {} --all", lesson.number);
    }
    false
}

/// The most lines of a program's own output (a server running in the check's
/// process prints as it goes) shown above a failure: its last words, not a log
/// of a hundred users joining.
const OUTPUT_SHOWN: usize = 6;

/// libtest's "thread 'x' panicked at FILE:" line says where the *check*
/// stopped, which is noise for a learner: keep the message below it, and only
/// the last few lines of the output above it.
pub fn indent_panic(details: &str) -> String {
    let lines: Vec<&str> = details.lines().collect();
    let is_panic_line = |l: &&str| l.starts_with("thread '") && l.contains(" panicked at ");
    let output_ends = lines.iter().position(is_panic_line).unwrap_or(0);
    let left_out = output_ends.saturating_sub(OUTPUT_SHOWN);
    let mut kept: Vec<String> = Vec::new();
    if left_out > 0 {
        kept.push(format!("(… {left_out} earlier lines of output left out)"));
    }
    kept.extend(lines[left_out..].iter().filter(|l| !is_panic_line(l)).map(|l| l.to_string()));
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_message_and_the_last_lines_of_output() {
        let mut details: Vec<String> = (0..20).map(|i| format!("u{i:03} joined")).collect();
        details.push("thread 'check' panicked at tests/06-chat/check.rs:1:1:".into());
        details.push("the room stalled".into());
        let shown = indent_panic(&details.join("\n"));
        assert_eq!(
            shown,
            "(… 14 earlier lines of output left out)\nu014 joined\nu015 joined\nu016 joined\nu017 joined\n\
             u018 joined\nu019 joined\nthe room stalled"
        );
        assert_eq!(indent_panic("a\nthread 'x' panicked at f:1:1:\nboom"), "a\nboom");
    }

    #[test]
    fn bars_fill_in_proportion() {
        assert_eq!(bar(0, 4), "[............]");
        assert_eq!(bar(2, 4), "[######......]");
        assert_eq!(bar(4, 4), "[############]");
        assert_eq!(bar(0, 0), "[............]");
    }
}
