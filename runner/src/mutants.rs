//! `course mutants [NN[/SLUG]…] [--show]`: the maintainers' measure of the checks.
//!
//! `tests/mutants/NN/*.patch` are plausible wrong solutions, each a diff against
//! the reference solution crate `solutions/NN-slug/`, headed by what the bug is
//! and by the words a good diagnosis of it contains (`tests/mutants/README.md`).
//! For each one: copy the reference crate to a scratch workspace, apply the patch,
//! run the lesson's checks, and say whether they caught it, and whether the first
//! failure a learner reads (the `Next:` block of `just check NN`) names it.
//!
//! Mutants run one after another: the checks have deadlines, and two check runs
//! sharing two cores make the timing-based ones flaky. Every mutant uses the same
//! scratch folder and one target folder, so each costs a rebuild of the lesson
//! crate only.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::checks;
use crate::lessons::{self, root, Lesson, Side};
use crate::report;

/// What a patch says about itself, before its diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The mistake, as a learner would make it.
    pub bug: String,
    /// Every item must appear in the first failure; an item is a list of
    /// alternatives, any one of which will do.
    pub expect: Vec<Vec<String>>,
}

/// Reads the header lines of a patch: everything before the first line that
/// starts with `diff ` or `--- `. `Bug:` and `Expect:` are required; blank lines,
/// `#` comments and other lines are allowed (and ignored).
pub fn parse_header(patch: &str) -> Result<Header, String> {
    let mut bug = None;
    let mut expect = None;
    for line in patch.lines().take_while(|l| !l.starts_with("diff ") && !l.starts_with("--- ")) {
        if let Some(text) = line.strip_prefix("Bug:") {
            if bug.replace(text.trim().to_string()).is_some() {
                return Err("two `Bug:` lines".into());
            }
        } else if let Some(text) = line.strip_prefix("Expect:") {
            let items: Vec<Vec<String>> = text
                .split(',')
                .map(|item| item.split(" | ").map(|alt| alt.trim().to_string()).filter(|a| !a.is_empty()).collect())
                .filter(|alts: &Vec<String>| !alts.is_empty())
                .collect();
            if expect.replace(items).is_some() {
                return Err("two `Expect:` lines".into());
            }
        }
    }
    let bug = bug.filter(|b| !b.is_empty()).ok_or("no `Bug:` line before the diff")?;
    let expect =
        expect.filter(|e| !e.is_empty()).ok_or("no `Expect:` line (with at least one item) before the diff")?;
    Ok(Header { bug, expect })
}

/// What running the checks on a mutant produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// The mutant did not build; cargo's last lines.
    DidNotBuild(String),
    /// Every check passed.
    AllPassed,
    /// The first failure in course order, exactly as `just check` shows it.
    Failed { next: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The first failure contains every expected item.
    Pointed,
    /// Some check fails, but the first failure lacks these items.
    Unpointed { missing: Vec<String> },
    /// Every check passed.
    Missed,
    /// The patch or the build went wrong: the mutant says nothing about the checks.
    Broken(String),
}

/// Judges one mutant. Items match case-insensitively.
pub fn verdict(header: &Header, run: &Run) -> Verdict {
    match run {
        Run::DidNotBuild(why) => Verdict::Broken(format!("does not build:\n{why}")),
        Run::AllPassed => Verdict::Missed,
        Run::Failed { next } => {
            let shown = next.to_lowercase();
            let missing: Vec<String> = header
                .expect
                .iter()
                .filter(|alts| !alts.iter().any(|a| shown.contains(&a.to_lowercase())))
                .map(|alts| alts.join(" | "))
                .collect();
            if missing.is_empty() {
                Verdict::Pointed
            } else {
                Verdict::Unpointed { missing }
            }
        }
    }
}

/// The mutants of one lesson: `tests/mutants/NN/*.patch`, by name.
fn patches(number: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(root().join("tests").join("mutants").join(number))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect();
    found.sort();
    found
}

/// Every lesson folder under `tests/mutants/` (two digits), in order.
fn lessons_with_mutants() -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(root().join("tests").join("mutants"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    found.sort();
    found
}

/// `course mutants [NN[/SLUG]…] [--show]`; true when every mutant is pointed.
pub fn main(args: &[&str]) -> bool {
    let show = args.contains(&"--show");
    let wanted: Vec<&str> = args.iter().copied().filter(|a| !a.starts_with("--")).collect();
    // (lesson number, only these mutants; empty: all of them), one entry a lesson.
    let mut plan: Vec<(String, Vec<String>)> = Vec::new();
    if wanted.is_empty() {
        plan.extend(lessons_with_mutants().into_iter().map(|n| (n, Vec::new())));
    }
    for w in &wanted {
        let (n, slug) = match w.split_once('/') {
            Some((n, s)) => (n, Some(s.trim_end_matches(".patch").to_string())),
            None => (*w, None),
        };
        let number = match lessons::find(n) {
            Ok(l) => l.number,
            Err(e) => {
                eprintln!("{e}");
                return false;
            }
        };
        match plan.iter_mut().find(|(n, _)| *n == number) {
            Some((_, slugs)) => slugs.extend(slug),
            None => plan.push((number, slug.into_iter().collect())),
        }
    }

    let started = Instant::now();
    let mut all_good = true;
    let mut summaries = Vec::new();
    for (number, slugs) in plan {
        let Some(lesson) = lessons::all().into_iter().find(|l| l.number == number) else {
            println!("tests/mutants/{number}: there is no lesson {number} to apply them to");
            all_good = false;
            continue;
        };
        let mut patches = patches(&number);
        if !slugs.is_empty() {
            patches.retain(|p| p.file_stem().is_some_and(|s| slugs.iter().any(|w| s == w.as_str())));
            if patches.len() < slugs.len() {
                println!("{number}: not every one of {} is in tests/mutants/{number}/", slugs.join(", "));
                all_good = false;
            }
        }
        if patches.is_empty() {
            println!("{number}: no mutants to run (tests/mutants/{number}/*.patch)");
            all_good &= slugs.is_empty();
            continue;
        }
        let (good, summary) = run_lesson(&lesson, &patches, show);
        all_good &= good;
        summaries.push(summary);
    }
    println!();
    for s in &summaries {
        println!("{s}");
    }
    println!(
        "mutants: {} in {:.0} s",
        if all_good { "all pointed" } else { "PROBLEMS (see above)" },
        started.elapsed().as_secs_f64()
    );
    all_good
}

/// Runs every mutant of one lesson; returns whether all were pointed, and a summary line.
fn run_lesson(lesson: &Lesson, patches: &[PathBuf], show: bool) -> (bool, String) {
    let (mut pointed, mut unpointed, mut missed, mut broken) = (0, 0, 0, 0);
    let mut longest: (usize, String) = (0, String::new());
    let started = Instant::now();
    println!("== Lesson {}: {} mutants", lesson.number, patches.len());
    for patch in patches {
        let name = patch.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let one = Instant::now();
        let (verdict, next) = match fs::read_to_string(patch).map_err(|e| e.to_string()).and_then(|t| parse_header(&t))
        {
            Err(e) => (Verdict::Broken(format!("bad header: {e}")), None),
            Ok(header) => match prepare(lesson, patch) {
                Err(e) => (Verdict::Broken(e), None),
                Ok(manifest) => {
                    let run = first_failure(lesson, &manifest);
                    let next = match &run {
                        Run::Failed { next } => Some(next.clone()),
                        _ => None,
                    };
                    (verdict(&header, &run), next)
                }
            },
        };
        let lines = next.as_deref().map_or(0, |n| n.lines().count());
        if lines > longest.0 {
            longest = (lines, name.clone());
        }
        let first = next.as_deref().and_then(|n| n.lines().next()).unwrap_or("").trim_start_matches("Next: ");
        let secs = one.elapsed().as_secs_f64();
        match &verdict {
            Verdict::Pointed => {
                pointed += 1;
                println!("  pointed   {name:<32} {first} ({lines} lines, {secs:.0} s)");
            }
            Verdict::Unpointed { missing } => {
                unpointed += 1;
                println!("  UNPOINTED {name:<32} {first} ({lines} lines, {secs:.0} s); lacks: {}", missing.join(", "));
            }
            Verdict::Missed => {
                missed += 1;
                println!("  MISSED    {name:<32} every check passes ({secs:.0} s)");
            }
            Verdict::Broken(why) => {
                broken += 1;
                println!("  BROKEN    {name:<32} {}", indent(why).trim_start());
            }
        }
        if let Some(next) = next.filter(|_| show || !matches!(verdict, Verdict::Pointed)) {
            // A message too long to read is a finding in itself; its head is enough to see why.
            const SHOWN: usize = 60;
            let head: Vec<&str> = next.lines().take(SHOWN).collect();
            println!("{}", indent(&head.join("\n")));
            if lines > SHOWN {
                println!("            … ({} more lines)", lines - SHOWN);
            }
        }
    }
    let summary = format!(
        "lesson {}: {} mutants, {pointed} pointed, {unpointed} caught but not pointed, {missed} missed, {broken} broken; \
         longest first failure {} lines ({}); {:.0} s",
        lesson.number,
        patches.len(),
        longest.0,
        if longest.1.is_empty() { "-" } else { &longest.1 },
        started.elapsed().as_secs_f64()
    );
    (unpointed + missed + broken == 0, summary)
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("            {l}")).collect::<Vec<_>>().join("\n")
}

/// The scratch workspace every mutant is built in.
fn scratch() -> PathBuf {
    root().join("target").join("mutants").join("ws")
}

/// One target folder for every mutant (so only the lesson crate rebuilds), apart
/// from the solutions' own: the mutant's binaries carry the same names.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(shared) => PathBuf::from(shared).join("mutants"),
        None => root().join("target").join("mutants").join("target"),
    }
}

/// Copies the reference crate into the scratch workspace, applies the patch, and
/// returns the workspace manifest.
fn prepare(lesson: &Lesson, patch: &Path) -> Result<PathBuf, String> {
    let ws = scratch();
    let krate = ws.join(&lesson.dir);
    let _ = fs::remove_dir_all(&ws);
    let copied = (|| -> io::Result<()> {
        copy_dir(&lesson.crate_dir(Side::Solution), &krate)?;
        let solutions = root().join("solutions");
        // The solutions' workspace keys (`*.workspace = true`) and their lock file,
        // for this one crate.
        let members = format!("members = [\"{}\"]", lesson.dir);
        let manifest: Vec<String> = fs::read_to_string(solutions.join("Cargo.toml"))?
            .lines()
            .map(|l| if l.trim_start().starts_with("members") { members.clone() } else { l.to_string() })
            .collect();
        fs::write(ws.join("Cargo.toml"), manifest.join("\n") + "\n")?;
        fs::copy(solutions.join("Cargo.lock"), ws.join("Cargo.lock"))?;
        // `../../cli`, `../../tests/NN-slug/check.rs`: the same files, from here.
        let own = krate.join("Cargo.toml");
        let to_root = format!("\"{}/", root().display().to_string().replace('\\', "/"));
        fs::write(&own, fs::read_to_string(&own)?.replace("\"../../", &to_root))
    })();
    copied.map_err(|e| format!("could not copy {} to {}: {e}", lesson.dir, ws.display()))?;

    let before = snapshot(&krate);
    // The scratch folder sits inside this repository's target/: without a ceiling,
    // git apply would take the patch's paths as relative to the repository and
    // silently skip them.
    let out = Command::new("git")
        .current_dir(&krate)
        .env("GIT_CEILING_DIRECTORIES", &ws)
        .args(["apply", "--whitespace=nowarn"])
        .arg(patch)
        .output()
        .map_err(|e| format!("could not run git apply: {e}"))?;
    if !out.status.success() {
        return Err(format!("the patch no longer applies:\n{}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    if snapshot(&krate) == before {
        return Err("the patch applied but changed nothing".into());
    }
    Ok(ws.join("Cargo.toml"))
}

/// Every file below `dir` with its contents, to tell whether a patch changed any.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// THE ADAPTER to the runner's check machinery: runs the lesson's checks on the
/// crate of `manifest` and returns the first failure exactly as `just check`
/// shows it in its `Next:` block. Everything else in this file goes through here,
/// so re-pointing the tool at another way of running checks changes only this.
fn first_failure(lesson: &Lesson, manifest: &Path) -> Run {
    let krate = checks::CheckedCrate {
        manifest: manifest.to_path_buf(),
        package: lesson.package.clone(),
        target_dir: Some(target_dir()),
        check_file: lesson.check_file(),
    };
    // Lints on, as `just check` runs them: a learner meets a blocking lint as `Next:` too.
    let options = checks::Options { lints: true, ..checks::Options::new(checks::Echo::Quiet) };
    let run = checks::run_crate(&krate, &options);
    if !run.ran {
        let tail: Vec<&str> = run.build_messages.iter().map(String::as_str).filter(|l| !l.trim().is_empty()).collect();
        return Run::DidNotBuild(tail[tail.len().saturating_sub(30)..].join("\n"));
    }
    match report::first_failure(&krate.check_file, &run) {
        None => Run::AllPassed,
        Some(f) => Run::Failed { next: format!("Next: {}\n{}", f.name, f.text) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "Bug: reads once into a 1024-byte buffer.\n\
                         Expect: read once | single read, 1024 | recv,  loop \n\
                         \n\
                         diff --git a/src/lib.rs b/src/lib.rs\n\
                         --- a/src/lib.rs\n\
                         +++ b/src/lib.rs\n\
                         Expect: not a header\n";

    #[test]
    fn reads_the_header_up_to_the_diff() {
        let h = parse_header(PATCH).unwrap();
        assert_eq!(h.bug, "reads once into a 1024-byte buffer.");
        assert_eq!(h.expect, vec![vec!["read once", "single read"], vec!["1024", "recv"], vec!["loop"]]);
        let plain = "Expect: a\nBug: b\n--- a/src/lib.rs\n+++ b/src/lib.rs\n";
        assert_eq!(parse_header(plain).unwrap(), Header { bug: "b".into(), expect: vec![vec!["a".into()]] });
    }

    #[test]
    fn a_header_needs_bug_and_expect_once() {
        assert!(parse_header("Bug: x\n--- a/src/lib.rs\n").unwrap_err().contains("Expect"));
        assert!(parse_header("Expect: x\ndiff --git a b\n").unwrap_err().contains("Bug"));
        assert!(parse_header("Bug: x\nExpect: ,\n--- a\n").is_err());
        assert!(parse_header("Bug: x\nBug: y\nExpect: z\n--- a\n").unwrap_err().contains("two"));
        // A Bug: line after the diff starts is part of the diff.
        assert!(parse_header("Expect: x\n--- a\nBug: y\n").is_err());
    }

    #[test]
    fn verdicts() {
        let h = parse_header(PATCH).unwrap();
        let failed = |next: &str| Run::Failed { next: next.into() };
        assert_eq!(verdict(&h, &failed("Next: x\nA SINGLE READ of 1024 bytes; loop until 0")), Verdict::Pointed);
        assert_eq!(
            verdict(&h, &failed("Next: x\nread once, then recv")),
            Verdict::Unpointed { missing: vec!["loop".into()] }
        );
        assert_eq!(
            verdict(&h, &failed("nothing useful")),
            Verdict::Unpointed { missing: vec!["read once | single read".into(), "1024 | recv".into(), "loop".into()] }
        );
        assert_eq!(verdict(&h, &Run::AllPassed), Verdict::Missed);
        assert!(matches!(verdict(&h, &Run::DidNotBuild("e".into())), Verdict::Broken(_)));
    }
}
