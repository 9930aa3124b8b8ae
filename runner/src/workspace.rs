//! The learner's files: comparing them with the reference (`just diff`) and
//! putting a lesson back to its stub (`just reset`).

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lessons::{root, Lesson, Side};
use crate::state;

/// Asks `question` on the terminal; false unless the answer is yes. Without a
/// terminal it cannot ask: it says how to skip the question and answers no.
fn confirm(question: &str, skip_with: &str) -> bool {
    if !io::stdin().is_terminal() {
        eprintln!("{question}\n(no terminal to ask on; to answer yes ahead: {skip_with})");
        return false;
    }
    print!("{question} [y/N] ");
    let _ = io::stdout().flush();
    let mut answer = String::new();
    let _ = io::stdin().lock().read_line(&mut answer);
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// The learner's code against the reference. By default both sides are first
/// copied without their comment-only lines: the stub's comments instruct and
/// the solution's explain, and what a learner wants to see is the code.
///
/// The diff *is* the answer: for a lesson whose checks do not all pass yet
/// (by the last run), it asks first.
pub fn diff(lesson: &Lesson, everything: bool, yes: bool) -> bool {
    if !yes && !state::known_done(lesson) {
        let known = if state::ever_checked(lesson) {
            format!("Lesson {}'s checks did not all pass when last run", lesson.number)
        } else {
            format!("Lesson {}'s checks have not been run here yet (`just check {}`)", lesson.number, lesson.number)
        };
        let question = format!("{known}, and the diff shows the reference solution: the answer. Show it anyway?");
        if !confirm(&question, &format!("just diff {} --yes", lesson.number)) {
            println!("Nothing shown.");
            return true;
        }
    }
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
            eprintln!("could not prepare the comparison: {e}");
            return false;
        }
        (work, "yours".to_string(), "reference".to_string())
    };
    let status = Command::new("git").current_dir(folder).args(["diff", "--no-index", "--", &a, &b]).status();
    match status {
        // git diff exits 1 when there are differences: that is the point.
        Ok(s) if s.code().is_some_and(|c| c <= 1) => true,
        Ok(s) => {
            eprintln!("git diff failed ({s})");
            false
        }
        Err(e) => {
            eprintln!("could not run git ({e}); compare the two folders with any diff tool");
            false
        }
    }
}

/// Copies the `.rs` files below `from` to `to` without their comment-only lines.
fn copy_code(from: &Path, to: &Path) -> io::Result<()> {
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

/// Puts `lessons/NN-slug` back to the stub as the course ships it: as the
/// upstream branch has it when there is one, else as the last commit has it.
pub fn reset(lesson: &Lesson, yes: bool) -> bool {
    let folder = format!("lessons/{}", lesson.dir);
    let source = ["origin/HEAD", "HEAD"]
        .into_iter()
        .find(|r| git_ok(&["rev-parse", "--verify", "--quiet", r]))
        .unwrap_or("HEAD");
    if !yes {
        let question = format!(
            "Put {folder} back to the stub as the course ships it? Your changes there will be replaced \
             (a copy of its src/ is kept in .course/backups/)."
        );
        if !confirm(&question, &format!("just reset {} --yes", lesson.number)) {
            println!("Nothing changed.");
            return true;
        }
    }
    let backup = backup(lesson);
    if git_ok(&["checkout", source, "--", &folder]) {
        println!("{folder} is the stub as the course ships it again.");
        if let Some(backup) = backup {
            let shown = backup.strip_prefix(root()).unwrap_or(&backup);
            println!("Your version of its src/ is kept in {}", shown.display());
        }
        true
    } else {
        eprintln!("git could not restore {folder}");
        false
    }
}

/// Copies the lesson's `src/` to `.course/backups/NN-name-<seconds>/`: out of
/// `target/`, so `cargo clean` does not delete it, and ignored by git.
fn backup(lesson: &Lesson) -> Option<PathBuf> {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let to = state::folder().join("backups").join(format!("{}-{seconds}", lesson.dir));
    copy_dir(&lesson.crate_dir(Side::Lesson).join("src"), &to).ok()?;
    Some(to)
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
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
