//! Running a crate's checks: build the check binary once, then run every
//! check in a process of its own (see `isolate.rs`), and clippy beside them.
//!
//! The entry point for other tools is [`run_crate`]: it takes any crate whose
//! test target `check` holds a lesson's checks (the learner's lesson, its
//! reference solution, or a patched copy of one in another folder).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::build;
use crate::isolate;
use crate::lints::{self, Lints};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// The check cannot measure what it checks on this operating system (its
    /// message starts with `not measured on this system:`). Shown apart; it
    /// keeps nothing from "done".
    NotMeasured,
    Ignored,
}

/// The first line of a failure that is not one: the harness's way of saying
/// that this system cannot show what the check looks at.
pub const NOT_MEASURED: &str = "not measured on this system:";

#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The full test name: `basics::echoes_one_message`.
    pub name: String,
    pub outcome: Outcome,
    /// How long its process ran.
    pub duration: Duration,
}

/// What one run of a crate's checks produced.
#[derive(Debug, Default)]
pub struct Run {
    pub results: Vec<CheckResult>,
    /// The captured output of each check that did not pass, by name.
    pub failures: BTreeMap<String, String>,
    /// True when the checks ran at all (false: the code did not compile).
    pub ran: bool,
    /// What cargo said while building (progress, warnings, errors).
    pub build_messages: Vec<String>,
    /// Clippy's findings on the crate, when lints were asked for and clippy ran.
    pub lints: Option<Lints>,
}

impl Run {
    /// Every check passed (or could not be measured here) and no lint that
    /// matters stands in the way: the lesson is done.
    pub fn done(&self) -> bool {
        self.ran
            && !self.results.is_empty()
            && self.results.iter().all(|r| r.outcome != Outcome::Failed)
            && self.lints.as_ref().is_none_or(|l| l.blocking().next().is_none())
    }
}

/// How much of the checks' output to pass through while they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Nothing: the caller prints its own summary (`progress`, `verify`, mutants).
    Quiet,
    /// Cargo's messages (compiling, errors) and a line when the checks start;
    /// the results and failure details are kept for the runner's summary.
    Brief,
}

/// A crate whose test target `check` holds a lesson's checks.
#[derive(Debug, Clone)]
pub struct CheckedCrate {
    /// The manifest cargo builds it with: its workspace's (or its own).
    pub manifest: PathBuf,
    /// Its package name, e.g. `echo`.
    pub package: String,
    /// A target folder of its own, if not the workspace's default.
    pub target_dir: Option<PathBuf>,
    /// The check file, whose `mod` lines give the tiers and the course order.
    pub check_file: PathBuf,
}

impl CheckedCrate {
    /// Cargo's arguments that select this crate.
    pub fn cargo_args(&self) -> Vec<OsString> {
        let mut args = vec!["--manifest-path".into(), self.manifest.clone().into_os_string()];
        if let Some(dir) = &self.target_dir {
            args.push("--target-dir".into());
            args.push(dir.clone().into_os_string());
        }
        args.extend(["-p".into(), self.package.clone().into()]);
        args
    }

    /// The folder insta takes paths from: the manifest's.
    pub fn workspace_root(&self) -> PathBuf {
        self.manifest.parent().map(PathBuf::from).unwrap_or_default()
    }
}

/// What to run, and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub echo: Echo,
    /// Run only the checks whose name contains one of these (all when empty).
    pub filters: Vec<String>,
    /// Run clippy on the crate too, beside the checks.
    pub lints: bool,
    /// Checks in flight at once.
    pub jobs: usize,
}

impl Options {
    pub fn new(echo: Echo) -> Options {
        Options { echo, filters: Vec::new(), lints: false, jobs: default_jobs() }
    }
}

/// Six checks in flight per core (12 at least, 48 at most). A check spends
/// nearly all its time waiting on loopback sockets, not computing: the
/// correct code's checks take milliseconds of CPU each. A learner's bug, though,
/// makes every check wait out a deadline (3 s for a read); with one check per
/// core, 21 such checks of lesson 02 took 38 s on two cores, with eight in
/// flight 15 s and twelve 9 s, the same failures each time (measured under a
/// load average of 18). `COURSE_JOBS` overrides it.
pub fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::env::var("COURSE_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .filter(|&j| j > 0)
        .unwrap_or((6 * cores).clamp(12, 48))
}

/// Builds `krate`'s check binary, then runs its checks, each in a process of
/// its own, and clippy on the crate beside them when `options.lints`.
pub fn run_crate(krate: &CheckedCrate, options: &Options) -> Run {
    let built = build::build(krate, options.echo != Echo::Quiet);
    let mut run = Run { build_messages: built.messages, ..Run::default() };
    let (Some(exe), Some(dir)) = (built.executable, built.crate_dir) else {
        return run;
    };
    // Clippy waits for no check and no check for clippy: the build is done,
    // so cargo's lock on the target folder is free for it.
    let clippy = options.lints.then(|| {
        let krate = krate.clone();
        std::thread::spawn(move || lints::clippy(&krate))
    });

    let source = fs::read_to_string(&krate.check_file).unwrap_or_default();
    match isolate::list(&exe) {
        Ok(mut names) => {
            names.retain(|n| options.filters.is_empty() || options.filters.iter().any(|f| n.contains(f.as_str())));
            names.sort_by_key(|n| course_key(&source, n));
            if options.echo != Echo::Quiet {
                let s = if names.len() == 1 { "" } else { "s" };
                println!("Running {} check{s}…", names.len());
            }
            let env = isolate::Env { workspace_root: krate.workspace_root(), crate_dir: dir };
            let ran = isolate::run_each(&exe, &env, &names, options.jobs);
            run.ran = true;
            for (result, output) in ran {
                if result.outcome != Outcome::Passed {
                    run.failures.insert(result.name.clone(), output);
                }
                run.results.push(result);
            }
        }
        Err(e) => run.build_messages.push(format!("could not list the checks: {e}")),
    }
    run.lints = clippy.and_then(|c| c.join().ok()).flatten();
    run
}

/// The tiers of a check file: its top-level `mod` lines, in order.
pub fn tiers(check_source: &str) -> Vec<String> {
    check_source
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.split([' ', '{', ';']).next().map(str::to_string))
        .filter(|name| name != "support")
        .collect()
}

/// Where a check stands in the course: its tier, then its place in the file
/// (libtest sorts by name).
fn course_key(source: &str, name: &str) -> (usize, usize, String) {
    let tiers = tiers(source);
    let mut parts = name.split("::");
    let tier = parts.next().unwrap_or("");
    let function = parts.next().unwrap_or("");
    let tier_at = tiers.iter().position(|t| t == tier).unwrap_or(usize::MAX);
    let fn_at = source.find(&format!("fn {function}(")).unwrap_or(usize::MAX);
    (tier_at, fn_at, name.to_string())
}

/// Sorts results the way a learner should meet them.
pub fn in_course_order(check_file: &std::path::Path, results: &mut [CheckResult]) {
    let source = fs::read_to_string(check_file).unwrap_or_default();
    results.sort_by_key(|r| course_key(&source, &r.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_the_top_level_modules_in_order() {
        let src =
            "mod support;\nuse x;\nmod basics {\n    mod inner {}\n}\nmod framing {}\n#[cfg(test)]\nmod end_to_end {\n";
        assert_eq!(tiers(src), ["basics", "framing", "end_to_end"]);
    }

    #[test]
    fn course_order_is_tier_then_file_position() {
        let src = "mod basics {\n fn zeta() {}\n fn alpha() {}\n}\nmod framing {\n fn beta() {}\n}\n";
        let mut names = vec!["framing::beta", "basics::alpha", "basics::zeta"];
        names.sort_by_key(|n| course_key(src, n));
        assert_eq!(names, ["basics::zeta", "basics::alpha", "framing::beta"]);
    }

    #[test]
    fn done_needs_every_check_and_no_blocking_lint() {
        let result = |outcome| CheckResult { name: "a::b".into(), outcome, duration: Duration::ZERO };
        let mut run = Run { ran: true, results: vec![result(Outcome::Passed)], ..Run::default() };
        assert!(run.done());
        run.results.push(result(Outcome::NotMeasured));
        assert!(run.done(), "a check this system cannot measure keeps nothing from done");
        run.lints = Some(Lints::from_findings(vec![lints::Finding::for_test("clippy::unused_io_amount")]));
        assert!(!run.done(), "unused_io_amount keeps the lesson from done");
        run.lints = None;
        run.results.push(result(Outcome::Failed));
        assert!(!run.done());
        assert!(!Run::default().done());
    }
}
