//! The maintainers' check of the checks: every check passes on the reference
//! solution and fails on the untouched stub, one by one. A check that passes on
//! a stub cannot fail, and is a defect.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::checks::{self, Echo, Options, Outcome};
use crate::lessons::{root, Lesson, Side};

/// The untouched stub must fail all its checks within this, once built: that is
/// the learner's first experience of the lesson.
const STUB_RUN_LIMIT: Duration = Duration::from_secs(10);

/// Verifies `lessons`; prints a line per lesson and a closing count.
pub fn verify(lessons: &[Lesson], allow_dirty: bool) -> bool {
    let mut good = 0usize;
    let mut problems: Vec<String> = Vec::new();
    for lesson in lessons {
        if !allow_dirty && locally_changed(lesson) {
            problems.push(format!(
                "{}: lessons/{} has local changes; verify needs the untouched stub \
                 (commit them, or pass --allow-dirty if you are changing the stub on purpose)",
                lesson.number, lesson.dir
            ));
            continue;
        }
        for side in [Side::Solution, Side::Lesson] {
            if !build(lesson, side) {
                problems.push(format!("{}: the {} does not build", lesson.number, side.folder()));
            }
        }

        // Lints are for learners' code; the stubs' and solutions' are checked by
        // `cargo clippy` in `just test`.
        let quiet = Options::new(Echo::Quiet);
        let solution = checks::run_crate(&lesson.checked_crate(Side::Solution), &quiet);
        let started = Instant::now();
        let stub = checks::run_crate(&lesson.checked_crate(Side::Lesson), &quiet);
        let stub_time = started.elapsed();

        let mut lesson_problems = Vec::new();
        if solution.results.is_empty() {
            lesson_problems.push("no checks ran on the solution".to_string());
        }
        for r in &solution.results {
            match r.outcome {
                Outcome::Passed => good += 1,
                Outcome::Failed => {
                    let why = solution.failures.get(&r.name).map(String::as_str).unwrap_or("");
                    lesson_problems.push(format!("fails on the solution: {}\n{}", r.name, indent(why)));
                }
                Outcome::Ignored => lesson_problems.push(format!("ignored: {}", r.name)),
                // Not a defect: this system cannot show what the check looks at.
                Outcome::NotMeasured => good += 1,
            }
        }
        for r in &stub.results {
            match r.outcome {
                Outcome::Failed => good += 1,
                Outcome::Passed => {
                    lesson_problems.push(format!("passes on the untouched stub (a check that cannot fail): {}", r.name))
                }
                Outcome::Ignored | Outcome::NotMeasured => {}
            }
        }
        let names = |run: &checks::Run| run.results.iter().map(|r| r.name.clone()).collect::<BTreeSet<_>>();
        if names(&solution) != names(&stub) {
            lesson_problems.push("the lesson and its solution do not run the same checks".to_string());
        }
        if stub_time > STUB_RUN_LIMIT {
            lesson_problems.push(format!(
                "the stub took {:.1} s to fail its checks (limit {} s): some check waits on a long deadline",
                stub_time.as_secs_f64(),
                STUB_RUN_LIMIT.as_secs()
            ));
        }
        println!(
            "lesson {} ({}): {} checks; solution passes {}; stub fails {} in {:.1} s{}",
            lesson.number,
            lesson.package,
            solution.results.len(),
            solution.results.iter().filter(|r| r.outcome == Outcome::Passed).count(),
            stub.results.iter().filter(|r| r.outcome == Outcome::Failed).count(),
            stub_time.as_secs_f64(),
            if lesson_problems.is_empty() { "" } else { "  <-- PROBLEMS" }
        );
        problems.extend(lesson_problems.into_iter().map(|p| format!("{}: {p}", lesson.number)));
    }
    for p in &problems {
        println!("  {p}");
    }
    println!("verify: {good} passed, {} failed", problems.len());
    problems.is_empty()
}

fn build(lesson: &Lesson, side: Side) -> bool {
    Command::new(env!("CARGO"))
        .args(["test", "--quiet", "--no-run"])
        .args(lesson.cargo_args(side))
        .args(["--test", "check"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when git reports changes under `lessons/NN-slug`.
fn locally_changed(lesson: &Lesson) -> bool {
    Command::new("git")
        .current_dir(root())
        .args(["status", "--porcelain", "--untracked-files=no", "--", &format!("lessons/{}", lesson.dir)])
        .output()
        .is_ok_and(|o| !o.stdout.is_empty())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
}
