//! `course`: the runner behind the justfile. A binary rather than shell in the
//! justfile, so that it works the same on Linux, macOS and Windows, and so that
//! it can be tested.
//!
//! ```text
//! course check NN [--all]      the learner's checks, with progress per tier
//! course solution NN [--all]   the same checks on the reference solution
//! course progress              a table of every lesson
//! course diff NN               the learner's lesson against the reference
//! course reset NN [--yes]      the lesson back to its stub, after asking
//! course run NN ROLE [ARGS…]   a lesson's binary (server, client, …)
//! course run-solution NN ROLE … the same program from the reference solution
//! course verify [NN…]          maintainers: solutions pass, stubs fail, check by check
//! course book-serve            build the book, serve it and open it in a browser
//! course book-check            maintainers: the book's includes and build are clean
//! ```

mod book;
mod checks;
mod lessons;
mod report;
mod verify;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode};

use checks::Echo;
use lessons::{root, Lesson, Side};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let ok = match words.as_slice() {
        ["check", n, rest @ ..] => with_lesson(n, |l| check(l, Side::Lesson, rest)),
        ["solution", n, rest @ ..] => with_lesson(n, |l| check(l, Side::Solution, rest)),
        ["progress"] => progress(),
        ["diff", n] => with_lesson(n, diff),
        ["reset", n, rest @ ..] => with_lesson(n, |l| reset(l, rest.contains(&"--yes"))),
        ["run", n, role, rest @ ..] => with_lesson(n, |l| run(l, Side::Lesson, role, rest)),
        ["run-solution", n, role, rest @ ..] => with_lesson(n, |l| run(l, Side::Solution, role, rest)),
        ["verify"] => verify::verify(&lessons::all()),
        ["verify", ns @ ..] => {
            let found: Result<Vec<Lesson>, String> = ns.iter().map(|n| lessons::find(n)).collect();
            found.map(|l| verify::verify(&l)).unwrap_or_else(|e| complain(&e))
        }
        ["book-check"] => book::check(),
        ["book-serve"] => book::serve(),
        ["lessons"] => {
            for l in lessons::all() {
                println!("{}  {}", l.number, l.title);
            }
            true
        }
        _ => complain(&format!(
            "usage: course check NN | solution NN | progress | diff NN | reset NN | run NN ROLE [ARGS…] | run-solution NN ROLE [ARGS…] | verify [NN…] | book-check | book-serve | lessons\n(got: {})",
            args.join(" ")
        )),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn complain(message: &str) -> bool {
    eprintln!("{message}");
    false
}

fn with_lesson(wanted: &str, f: impl FnOnce(&Lesson) -> bool) -> bool {
    match lessons::find(wanted) {
        Ok(lesson) => f(&lesson),
        Err(message) => complain(&message),
    }
}

fn check(lesson: &Lesson, side: Side, flags: &[&str]) -> bool {
    let echo = if flags.contains(&"--all") { Echo::All } else { Echo::Lines };
    let filter = flags.iter().find(|f| !f.starts_with("--")).copied();
    let mut run = checks::run(lesson, side, echo, filter);
    report::summary(lesson, &mut run, side == Side::Solution)
}

fn progress() -> bool {
    println!("Lesson                                              Checks passed");
    for lesson in lessons::all() {
        let mut run = checks::run(&lesson, Side::Lesson, Echo::Quiet, None);
        checks::in_course_order(&lesson, &mut run.results);
        let tiers = report::tiers(&lesson, &run.results);
        let passed: usize = tiers.iter().map(|t| t.passed).sum();
        let total: usize = tiers.iter().map(|t| t.total).sum();
        let title: String = lesson.title.chars().take(46).collect();
        let detail = if !run.ran {
            "does not compile yet".to_string()
        } else {
            tiers.iter().map(|t| format!("{} {}/{}", t.name, t.passed, t.total)).collect::<Vec<_>>().join(", ")
        };
        println!("{} {:46}  {} {passed:>2}/{total:<2}  {detail}", lesson.number, title, report::bar(passed, total));
    }
    true
}

fn diff(lesson: &Lesson) -> bool {
    println!("Your lesson (-) against the reference solution (+): lessons/{0} vs solutions/{0}", lesson.dir);
    let status = Command::new("git")
        .current_dir(root())
        .args(["diff", "--no-index", "--"])
        .arg(format!("lessons/{}", lesson.dir))
        .arg(format!("solutions/{}", lesson.dir))
        .status();
    match status {
        // git diff exits 1 when there are differences: that is the point.
        Ok(s) if s.code().is_some_and(|c| c <= 1) => true,
        Ok(s) => complain(&format!("git diff failed ({s})")),
        Err(e) => complain(&format!("could not run git ({e}); compare the two folders with any diff tool")),
    }
}

fn reset(lesson: &Lesson, yes: bool) -> bool {
    let folder = format!("lessons/{}", lesson.dir);
    // The stub as published: the upstream branch when there is one, else the last commit.
    let source = ["origin/HEAD", "HEAD"]
        .into_iter()
        .find(|r| git_ok(&["rev-parse", "--verify", "--quiet", r]))
        .unwrap_or("HEAD");
    if !yes {
        if !io::stdin().is_terminal() {
            return complain(&format!(
                "`reset` asks before it throws your work away; to skip the question: just reset {} --yes",
                lesson.number
            ));
        }
        print!("Put {folder} back as it is in {source}? Your changes there will be lost. [y/N] ");
        let _ = io::stdout().flush();
        let mut answer = String::new();
        let _ = io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("Nothing changed.");
            return true;
        }
    }
    if git_ok(&["checkout", source, "--", &folder]) {
        println!("{folder} is back to the stub from {source}.");
        true
    } else {
        complain(&format!("git could not restore {folder}"))
    }
}

fn git_ok(args: &[&str]) -> bool {
    Command::new("git").current_dir(root()).args(args).output().is_ok_and(|o| o.status.success())
}

fn run(lesson: &Lesson, side: Side, role: &str, args: &[&str]) -> bool {
    let binaries = lesson.binaries();
    let chosen = binaries.iter().find(|b| *b == role || b.ends_with(&format!("-{role}")));
    let Some(binary) = chosen else {
        return complain(&format!("lesson {} has no {role:?} program; it has: {}", lesson.number, binaries.join(", ")));
    };
    let status = Command::new(env!("CARGO"))
        .args(["run", "--quiet"])
        .args(lesson.cargo_args(side))
        .args(["--bin", binary, "--"])
        .args(args)
        .status();
    status.is_ok_and(|s| s.success())
}
