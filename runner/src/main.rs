//! `course`: the runner behind the justfile. A binary rather than shell in the
//! justfile, so that it works the same on Linux, macOS and Windows, and so that
//! it can be tested.
//!
//! ```text
//! course watch [NN] [--poll]   check the lesson on every save (NN: the first not done)
//! course check NN [NAME…] [--all] [--times]   the learner's checks and lints, per tier
//! course solution NN [NAME…] [--all] [--times] the same on the reference solution
//! course progress              a table of every lesson
//! course diff NN [--all] [--yes]  the learner's code against the reference
//! course reset NN [--yes]      the lesson back to its stub, after asking
//! course run NN ROLE [ARGS…]   a lesson's binary (server, client, …)
//! course run-solution NN ROLE … the same program from the reference solution
//! course verify [NN…] [--allow-dirty]  maintainers: solutions pass, stubs fail, check by check
//! course mutants [NN[/SLUG]…] [--show]  maintainers: the checks against tests/mutants/
//! course book-serve            build the book, serve it and open it in a browser
//! course book-check            maintainers: the book's includes and build are clean
//! ```

mod book;
mod build;
mod checks;
mod children;
mod isolate;
mod lessons;
mod lints;
mod mutants;
mod progress;
mod report;
mod state;
mod terminal;
mod verify;
mod watch;
mod workspace;

use std::process::{Command, ExitCode};

use checks::{Echo, Options};
use lessons::{Lesson, Side};
use report::Whose;

const USAGE: &str = "\
usage:
  just watch [NN] [--poll]          check lesson NN on every save (NN: the first lesson not done yet)
  just check NN [NAME…] [--all] [--times] [--no-lints]
                                    run lesson NN's checks once; NAME runs only the checks whose
                                    name contains it (e.g. `just check 06 robustness`)
  just solution NN [NAME…] [--all] [--times]   the same checks on the reference solution
  just progress                     every lesson's progress
  just diff NN [--all] [--yes]      your code against the reference solution
  just reset NN [--yes]             lesson NN back to the stub as the course ships it
  just run NN PROGRAM [ARGS…]       one of lesson NN's programs (just run-solution: the reference's)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    // A lesson's program runs as if started directly: its exit code is ours,
    // and Ctrl-C is its to handle.
    if let ["run" | "run-solution", n, role, rest @ ..] = words.as_slice() {
        let side = if words[0] == "run" { Side::Lesson } else { Side::Solution };
        return match lessons::find(n) {
            Ok(lesson) => run(&lesson, side, role, rest),
            Err(message) => {
                eprintln!("{message}");
                ExitCode::from(2)
            }
        };
    }
    let Some((&command, rest)) = words.split_first() else {
        return usage("no command given");
    };
    // Ctrl-C ends the checks the runner started too, and leaves the terminal as it was.
    children::exit_on_interrupt(terminal::restore, if command == "watch" { 0 } else { 130 });
    let outcome = match command {
        "check" | "solution" => {
            parse(rest, &["--all", "--times", "--no-lints"], 1, usize::MAX).map(|(words, flags)| {
                let side = if command == "check" { Side::Lesson } else { Side::Solution };
                with_lesson(words[0], |l| check(l, side, &words[1..], &flags))
            })
        }
        "mutants" => Ok(mutants::main(rest)),
        "watch" => parse(rest, &["--poll"], 0, 1).map(|(words, flags)| {
            let lesson = match words.first() {
                Some(n) => lessons::find(n),
                None => state::first_not_done().ok_or_else(|| "the course has no lessons".to_string()),
            };
            match lesson {
                Ok(lesson) => watch::watch(&lesson, flags.contains(&"--poll")),
                Err(message) => complain(&message),
            }
        }),
        "progress" => parse(rest, &[], 0, 0).map(|_| progress::table()),
        "diff" => parse(rest, &["--all", "--yes"], 1, 1)
            .map(|(w, f)| with_lesson(w[0], |l| workspace::diff(l, f.contains(&"--all"), f.contains(&"--yes")))),
        "reset" => {
            parse(rest, &["--yes"], 1, 1).map(|(w, f)| with_lesson(w[0], |l| workspace::reset(l, f.contains(&"--yes"))))
        }
        "verify" => parse(rest, &["--allow-dirty"], 0, usize::MAX).map(|(wanted, flags)| {
            // --allow-dirty: a maintainer verifying a stub they are changing.
            let found: Result<Vec<Lesson>, String> =
                if wanted.is_empty() { Ok(lessons::all()) } else { wanted.iter().map(|n| lessons::find(n)).collect() };
            found.map(|l| verify::verify(&l, flags.contains(&"--allow-dirty"))).unwrap_or_else(|e| complain(&e))
        }),
        "book-check" => parse(rest, &[], 0, 0).map(|_| book::check()),
        "book-serve" => parse(rest, &[], 0, 0).map(|_| book::serve()),
        "lessons" => parse(rest, &[], 0, 0).map(|_| {
            for l in lessons::all() {
                println!("{}  {}", l.number, l.title);
            }
            true
        }),
        other => Err(format!("unknown command `{other}`")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(problem) => usage(&problem),
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\n\n{USAGE}");
    ExitCode::from(2)
}

/// Splits `args` into words and flags; a flag not in `known`, or too few or
/// too many words, is an error (a mistyped `--al` must not pass silently).
fn parse<'a>(
    args: &[&'a str],
    known: &[&str],
    min_words: usize,
    max_words: usize,
) -> Result<(Vec<&'a str>, Vec<&'a str>), String> {
    let (flags, words): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| a.starts_with('-'));
    if let Some(unknown) = flags.iter().find(|f| !known.contains(f)) {
        let valid = if known.is_empty() { "none".to_string() } else { known.join(" ") };
        return Err(format!("unknown flag `{unknown}` (valid here: {valid})"));
    }
    if words.len() < min_words {
        return Err("which lesson? e.g. 02".to_string());
    }
    if words.len() > max_words {
        return Err(format!("too many arguments: {}", words[max_words..].join(" ")));
    }
    Ok((words, flags))
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

/// `just check NN` and `just solution NN`: one run, one report.
fn check(lesson: &Lesson, side: Side, names: &[&str], flags: &[&str]) -> bool {
    let run = run_lesson(lesson, side, names, !flags.contains(&"--no-lints"));
    if run.ran && run.results.is_empty() && !names.is_empty() {
        // A typo in a name must not read as "every check passes".
        let source = std::fs::read_to_string(lesson.check_file()).unwrap_or_default();
        return complain(&format!(
            "no check of lesson {} has a name containing {}; its tiers are: {}",
            lesson.number,
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or "),
            checks::tiers(&source).join(", ")
        ));
    }
    let whose = match (side, names.is_empty()) {
        (Side::Solution, _) => Whose::Solution,
        (Side::Lesson, true) => Whose::Learner,
        (Side::Lesson, false) => Whose::LearnerSome,
    };
    let done = report::summary(lesson, &run, whose, flags.contains(&"--all"));
    if flags.contains(&"--times") {
        report::times(&run);
    }
    done
}

/// Runs a lesson's checks (those named, or all) and its lints; remembers the
/// verdict of a full run of the learner's code for `just watch` and `progress`.
pub fn run_lesson(lesson: &Lesson, side: Side, names: &[&str], lints: bool) -> checks::Run {
    let mut options = Options::new(Echo::Brief);
    options.filters = names.iter().map(|n| n.to_string()).collect();
    options.lints = lints;
    let run = checks::run_crate(&lesson.checked_crate(side), &options);
    if side == Side::Lesson && names.is_empty() && run.ran {
        state::record(lesson, run.done());
    }
    run
}

fn run(lesson: &Lesson, side: Side, role: &str, args: &[&str]) -> ExitCode {
    let binaries = lesson.binaries();
    let chosen = binaries.iter().find(|b| *b == role || b.ends_with(&format!("-{role}")));
    let Some(binary) = chosen else {
        complain(&format!("lesson {} has no {role:?} program; it has: {}", lesson.number, binaries.join(", ")));
        return ExitCode::from(2);
    };
    // Ctrl-C is for the program: it ends it, and then we report its end quietly.
    terminal::ignore_interrupt();
    let status = Command::new(env!("CARGO"))
        .args(["run", "--quiet"])
        .args(lesson.cargo_args(side))
        .args(["--bin", binary, "--"])
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(_) => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_flag_is_an_error() {
        assert!(parse(&["03", "--al"], &["--all"], 1, 1).unwrap_err().contains("`--al`"));
        assert_eq!(parse(&["03", "--all"], &["--all"], 1, 1), Ok((vec!["03"], vec!["--all"])));
        assert!(parse(&[], &["--all"], 1, 1).is_err());
        assert!(parse(&["03", "04"], &[], 1, 1).is_err());
    }
}
