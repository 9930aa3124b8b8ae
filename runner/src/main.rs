//! `course`: the runner behind the justfile. A binary rather than shell in the
//! justfile, so that it works the same on Linux, macOS and Windows, and so that
//! it can be tested.
//!
//! ```text
//! course check NN [--all]      the learner's checks, with progress per tier
//! course solution NN [--all]   the same checks on the reference solution
//! course progress              a table of every lesson
//! course diff NN [--all]       the learner's code against the reference
//! course reset NN [--yes]      the lesson back to its stub, after asking
//! course run NN ROLE [ARGS…]   a lesson's binary (server, client, …)
//! course run-solution NN ROLE … the same program from the reference solution
//! course verify [NN…] [--allow-dirty]  maintainers: solutions pass, stubs fail, check by check
//! course mutants [NN[/SLUG]…] [--show]  maintainers: the checks against tests/mutants/
//! course book-serve [LANG]     build the book (every language) and open it in a browser (--live: serve the English, rebuilt on change)
//! course book-check            maintainers: the book's includes and build are clean, in every language
//! course book-po               maintainers: bring the translations' catalogues up to date with the English
//! ```

mod book;
mod book_i18n;
mod checks;
mod i18n;
mod lessons;
mod mutants;
mod report;
mod verify;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode};

use checks::Echo;
use lessons::{root, Lesson, Side};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    // A lesson's program runs as if started directly: its exit code is ours.
    if let ["run" | "run-solution", n, role, rest @ ..] = words.as_slice() {
        let side = if words[0] == "run" { Side::Lesson } else { Side::Solution };
        return match lessons::find(n) {
            Ok(lesson) => run(&lesson, side, role, rest),
            Err(message) => {
                complain(&message);
                ExitCode::from(2)
            }
        };
    }
    let ok = match words.as_slice() {
        ["check", n, rest @ ..] => with_lesson(n, |l| check(l, Side::Lesson, rest)),
        ["solution", n, rest @ ..] => with_lesson(n, |l| check(l, Side::Solution, rest)),
        ["progress"] => progress(),
        ["diff", n, rest @ ..] => with_lesson(n, |l| diff(l, rest.contains(&"--all"))),
        ["reset", n, rest @ ..] => with_lesson(n, |l| reset(l, rest.contains(&"--yes"))),
        ["verify", rest @ ..] => {
            // --allow-dirty: a maintainer verifying a stub they are changing.
            let allow_dirty = rest.contains(&"--allow-dirty");
            let wanted: Vec<&str> = rest.iter().copied().filter(|a| !a.starts_with("--")).collect();
            let found: Result<Vec<Lesson>, String> = if wanted.is_empty() {
                Ok(lessons::all())
            } else {
                wanted.iter().map(|n| lessons::find(n)).collect()
            };
            found.map(|l| verify::verify(&l, allow_dirty)).unwrap_or_else(|e| complain(&e))
        }
        ["mutants", rest @ ..] => mutants::main(rest),
        // `&`, not `&&`: the translations are checked even when English fails.
        ["book-check"] => book::check() & book_i18n::check(),
        ["book-serve", language @ ..] => book_i18n::serve(language),
        ["book-po"] => book_i18n::update(),
        ["lessons"] => {
            for l in lessons::all() {
                println!("{}  {}", l.number, l.title);
            }
            true
        }
        _ => complain(&format!(
            "usage: course check NN | solution NN | progress | diff NN | reset NN | run NN ROLE [ARGS…] | run-solution NN ROLE [ARGS…] | verify [NN…] | book-check | book-serve [LANG] | book-po | lessons\n(got: {})",
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
    let echo = if flags.contains(&"--all") { Echo::All } else { Echo::Brief };
    let filter = flags.iter().find(|f| !f.starts_with("--")).copied();
    let mut run = checks::run(lesson, side, echo, filter);
    report::summary(lesson, &mut run, side == Side::Solution)
}

fn progress() -> bool {
    let all = lessons::all();
    let width = all.iter().map(|l| l.short_title().chars().count()).max().unwrap_or(10);
    println!("{:width$}     Checks passed", "Lesson", width = width + 3);
    for lesson in all {
        let mut run = checks::run(&lesson, Side::Lesson, Echo::Quiet, None);
        checks::in_course_order(&lesson, &mut run.results);
        let tiers = report::tiers(&lesson, &run.results);
        let passed: usize = tiers.iter().map(|t| t.passed).sum();
        let total: usize = tiers.iter().map(|t| t.total).sum();
        let title = lesson.short_title();
        let detail = if !run.ran {
            "does not compile yet".to_string()
        } else {
            tiers.iter().map(|t| format!("{} {}/{}", t.name, t.passed, t.total)).collect::<Vec<_>>().join(", ")
        };
        println!("{} {title:width$}  {} {passed:>3}/{total:<3}  {detail}", lesson.number, report::bar(passed, total));
    }
    true
}

/// The learner's code against the reference. By default both sides are first
/// copied without their comment-only lines: the stub's comments instruct and
/// the solution's explain, and what a learner wants to see is the code.
fn diff(lesson: &Lesson, everything: bool) -> bool {
    let work = root().join("target").join("course-diff");
    // Compared from a folder of their own, so the names in the diff are short.
    let (folder, a, b) = if everything {
        println!("Your lesson (-) against the reference solution (+), comments included:");
        (root(), format!("lessons/{}", lesson.dir), format!("solutions/{}", lesson.dir))
    } else {
        println!("Your code (-) against the reference solution's code (+); comments left out (all of it: --all):");
        let _ = std::fs::remove_dir_all(&work);
        let copied =
            copy_code(&lesson.crate_dir(Side::Lesson).join("src"), &work.join("yours").join("src")).and_then(|()| {
                copy_code(&lesson.crate_dir(Side::Solution).join("src"), &work.join("reference").join("src"))
            });
        if let Err(e) = copied {
            return complain(&format!("could not prepare the comparison: {e}"));
        }
        (work, "yours".to_string(), "reference".to_string())
    };
    let status = Command::new("git").current_dir(folder).args(["diff", "--no-index", "--", &a, &b]).status();
    match status {
        // git diff exits 1 when there are differences: that is the point.
        Ok(s) if s.code().is_some_and(|c| c <= 1) => true,
        Ok(s) => complain(&format!("git diff failed ({s})")),
        Err(e) => complain(&format!("could not run git ({e}); compare the two folders with any diff tool")),
    }
}

/// Copies the `.rs` files below `from` to `to` without their comment-only lines.
fn copy_code(from: &std::path::Path, to: &std::path::Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_code(&entry.path(), &target)?;
        } else {
            let text = std::fs::read_to_string(entry.path())?;
            let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
            std::fs::write(target, code.join("\n") + "\n")?;
        }
    }
    Ok(())
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
    let backup = backup(lesson);
    if git_ok(&["checkout", source, "--", &folder]) {
        println!("{folder} is back to the stub from {source}.");
        if let Some(backup) = backup {
            println!("Your version of its src/ is kept in {}", backup.display());
        }
        true
    } else {
        complain(&format!("git could not restore {folder}"))
    }
}

/// Copies the lesson's `src/` to `target/course-backups/NN-name-<seconds>/`
/// (ignored by git) before a reset throws it away.
fn backup(lesson: &Lesson) -> Option<std::path::PathBuf> {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let to = root().join("target").join("course-backups").join(format!("{}-{seconds}", lesson.dir));
    copy_dir(&lesson.crate_dir(Side::Lesson).join("src"), &to).ok()?;
    Some(to)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn git_ok(args: &[&str]) -> bool {
    Command::new("git").current_dir(root()).args(args).output().is_ok_and(|o| o.status.success())
}

fn run(lesson: &Lesson, side: Side, role: &str, args: &[&str]) -> ExitCode {
    let binaries = lesson.binaries();
    let chosen = binaries.iter().find(|b| *b == role || b.ends_with(&format!("-{role}")));
    let Some(binary) = chosen else {
        complain(&format!("lesson {} has no {role:?} program; it has: {}", lesson.number, binaries.join(", ")));
        return ExitCode::from(2);
    };
    let status = Command::new(env!("CARGO"))
        .args(["run", "--quiet"])
        .args(lesson.cargo_args(side))
        .args(["--bin", binary, "--"])
        .args(args)
        .status();
    match status.map(|s| s.code()) {
        Ok(Some(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        _ => ExitCode::FAILURE,
    }
}
