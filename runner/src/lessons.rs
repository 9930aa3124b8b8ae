//! Finding the lessons: `lessons/NN-slug/`, their solutions and their checks.

use std::fs;
use std::path::{Path, PathBuf};

use crate::checks::CheckedCrate;

/// The repository's root: `COURSE_ROOT`, which the justfile sets to its own
/// folder, or else the checkout this runner was built from. (With one
/// `CARGO_TARGET_DIR` shared by two clones, the runner binary may come from the
/// other clone: the justfile's folder is the one the learner means.)
pub fn root() -> PathBuf {
    match std::env::var_os("COURSE_ROOT").filter(|r| !r.is_empty()) {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("runner/ has a parent").to_path_buf(),
    }
}

#[derive(Debug, Clone)]
pub struct Lesson {
    /// Two digits: "02".
    pub number: String,
    /// The folder name: "02-echo".
    pub dir: String,
    /// The cargo package, the same in the lesson and its solution: "echo".
    pub package: String,
    /// What the lesson is about, from its Cargo.toml `description`.
    pub title: String,
}

/// Which crate of a lesson to work on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `lessons/NN-slug`, the learner's.
    Lesson,
    /// `solutions/NN-slug`, the reference.
    Solution,
}

impl Side {
    pub fn folder(self) -> &'static str {
        match self {
            Side::Lesson => "lessons",
            Side::Solution => "solutions",
        }
    }
}

impl Lesson {
    /// The title without its "Lesson NN: " prefix and final period:
    /// "an echo server and its client over TCP".
    pub fn short_title(&self) -> &str {
        let title = self.title.strip_prefix(&format!("Lesson {}: ", self.number)).unwrap_or(&self.title);
        title.trim_end_matches('.')
    }

    pub fn crate_dir(&self, side: Side) -> PathBuf {
        root().join(side.folder()).join(&self.dir)
    }

    /// The workspace manifest that builds this side.
    pub fn manifest(&self, side: Side) -> PathBuf {
        match side {
            Side::Lesson => root().join("Cargo.toml"),
            Side::Solution => root().join("solutions").join("Cargo.toml"),
        }
    }

    /// Cargo's arguments for building this side: the manifest and, when the
    /// user has one global `CARGO_TARGET_DIR`, a folder of it per side. The
    /// lesson and its solution build binaries of the same names; in one target
    /// folder the last one built would silently stand in for the other.
    pub fn cargo_args(&self, side: Side) -> Vec<std::ffi::OsString> {
        let mut args = vec!["--manifest-path".into(), self.manifest(side).into_os_string()];
        if let Some(shared) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            args.push("--target-dir".into());
            args.push(PathBuf::from(shared).join(side.folder()).into_os_string());
        }
        args.extend(["-p".into(), self.package.clone().into()]);
        args
    }

    /// This side of the lesson as the check runner takes it.
    pub fn checked_crate(&self, side: Side) -> CheckedCrate {
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .map(|shared| PathBuf::from(shared).join(side.folder()));
        CheckedCrate {
            manifest: self.manifest(side),
            package: self.package.clone(),
            target_dir,
            check_file: self.check_file(),
        }
    }

    /// The book's chapter for this lesson: its title in `book/src/SUMMARY.md`
    /// ("02 · The echo server"), or the lesson's own title.
    pub fn chapter(&self) -> String {
        let summary = fs::read_to_string(root().join("book").join("src").join("SUMMARY.md")).unwrap_or_default();
        let wanted = format!("]({}.md)", self.dir);
        summary
            .lines()
            .find(|l| l.contains(&wanted))
            .and_then(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
            .unwrap_or_else(|| self.short_title().to_string())
    }

    pub fn check_file(&self) -> PathBuf {
        root().join("tests").join(&self.dir).join("check.rs")
    }

    /// The binaries the lesson ships (`echo-server`, `echo-client`, …).
    pub fn binaries(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.crate_dir(Side::Lesson).join("src").join("bin"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".rs").map(str::to_string))
            .collect();
        names.sort();
        names
    }
}

/// Every lesson, in order.
pub fn all() -> Vec<Lesson> {
    let mut lessons: Vec<Lesson> = fs::read_dir(root().join("lessons"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let dir = entry.file_name().to_str()?.to_string();
            let number = dir.split('-').next()?.to_string();
            if number.len() != 2 || !number.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let manifest = fs::read_to_string(entry.path().join("Cargo.toml")).ok()?;
            let package = toml_string(&manifest, "name")?;
            let title = toml_string(&manifest, "description").unwrap_or_else(|| dir.clone());
            Some(Lesson { number, dir, package, title })
        })
        .collect();
    lessons.sort_by(|a, b| a.number.cmp(&b.number));
    lessons
}

/// The lesson after `lesson`, with the title of its chapter.
pub fn next_after(lesson: &Lesson) -> Option<(Lesson, String)> {
    let next = all().into_iter().find(|l| l.number > lesson.number)?;
    let chapter = next.chapter();
    Some((next, chapter))
}

/// The lesson a learner means by `3`, `03` or `03-confirm`; or a message
/// listing the lessons there are.
pub fn find(wanted: &str) -> Result<Lesson, String> {
    let lessons = all();
    let number = wanted.split('-').next().unwrap_or(wanted);
    let found =
        number.parse::<u32>().ok().and_then(|n| lessons.iter().find(|l| l.number.parse::<u32>().ok() == Some(n)));
    match found {
        Some(lesson) => Ok(lesson.clone()),
        None => {
            let list: Vec<String> = lessons.iter().map(|l| format!("  {}  {}", l.number, l.title)).collect();
            Err(format!("there is no lesson {wanted:?}. The lessons are:\n{}", list.join("\n")))
        }
    }
}

/// The value of `key = "…"` in the `[package]` table of a Cargo.toml: the
/// runner needs two fields and no TOML parser.
fn toml_string(manifest: &str, key: &str) -> Option<String> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[package]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_fields() {
        let manifest = "[package]\nname = \"echo\"\ndescription = \"Lesson 02\"\n\n[dependencies]\nname = \"x\"\n";
        assert_eq!(toml_string(manifest, "name").as_deref(), Some("echo"));
        assert_eq!(toml_string(manifest, "description").as_deref(), Some("Lesson 02"));
        assert_eq!(toml_string(manifest, "version"), None);
    }

    #[test]
    fn finds_lessons_by_number_in_any_form() {
        let first = all().into_iter().next().expect("the course has lessons");
        let n: u32 = first.number.parse().unwrap();
        assert_eq!(find(&n.to_string()).unwrap().dir, first.dir);
        assert_eq!(find(&first.number).unwrap().dir, first.dir);
        assert_eq!(find(&first.dir).unwrap().dir, first.dir);
        let err = find("99").unwrap_err();
        assert!(err.contains("The lessons are") && err.contains(&first.number), "{err}");
    }
}
