//! The book's build check. mdBook exits 0 on a missing include or anchor, so
//! the runner checks every `{{#include}}` itself, then fails on any ERROR or
//! WARN line of the build. It also checks the figures (none missing, none
//! unused) and the width of the code blocks.

mod figures;
mod width;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::lessons::root;

/// Checks the includes, then builds the book; prints what is wrong.
pub fn check() -> bool {
    let src = root().join("book").join("src");
    let mut problems = Vec::new();
    let mut includes = 0;
    let pages = markdown_files(&src);
    for page in &pages {
        let text = fs::read_to_string(page).unwrap_or_default();
        for directive in include_directives(&text) {
            includes += 1;
            if let Err(why) = resolve(page, &directive) {
                let name = page.strip_prefix(root()).unwrap_or(page).display().to_string();
                problems.push(format!("{name}: {{{{#include {directive}}}}}: {why}"));
            }
        }
    }
    println!("book: {includes} includes checked");
    problems.extend(figures::check(&src, &pages));
    problems.extend(wide_blocks(&pages));

    match Command::new("mdbook").arg("build").arg(root().join("book")).output() {
        Ok(out) => {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            print!("{text}");
            for line in text.lines().filter(|l| l.contains("ERROR") || l.contains("WARN")) {
                problems.push(format!("mdbook: {line}"));
            }
            if !out.status.success() {
                problems.push(format!("mdbook build exited with {}", out.status));
            }
        }
        Err(e) => problems.push(format!("could not run mdbook ({e}); install it: cargo install --locked mdbook")),
    }
    for p in &problems {
        println!("  {p}");
    }
    println!("book: {} passed, {} failed", includes, problems.len());
    problems.is_empty()
}

/// Serves the book on localhost and opens it, installing mdBook first if needed.
pub fn serve() -> bool {
    if Command::new("mdbook").arg("--version").output().is_err() {
        println!(
            "mdBook is not installed yet: installing it with `cargo install --locked mdbook` (a few minutes, once)."
        );
        let installed = Command::new(env!("CARGO")).args(["install", "--locked", "mdbook"]).status();
        if !installed.is_ok_and(|s| s.success()) {
            eprintln!("installing mdBook failed; the chapters are also plain Markdown in book/src/");
            return false;
        }
    }
    println!("Serving the book at http://localhost:3000 (Ctrl-C to stop).");
    Command::new("mdbook").arg("serve").arg("--open").arg(root().join("book")).status().is_ok_and(|s| s.success())
}

/// Whether a code block written in a chapter (not included) that is wider
/// than the column fails the check. Off only until the introduction's sample
/// output is wrapped (its page is being rewritten elsewhere); every other
/// written block fits. Turn it on then, so that no new one creeps in.
const WRITTEN_BLOCKS_MUST_FIT: bool = true;

/// Code blocks wider than the column. Blocks included from the lessons and
/// solutions are only reported: their width is rustfmt's `max_width`
/// (rustfmt.toml), changed for the whole code at once.
fn wide_blocks(pages: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for page in pages {
        let name = page.strip_prefix(root()).unwrap_or(page).display().to_string();
        for wide in width::wide_blocks(page, &name) {
            if wide.included.is_empty() {
                let problem = format!("{}: a code block {} characters wide: wrap it", wide.place, wide.width);
                if WRITTEN_BLOCKS_MUST_FIT {
                    problems.push(problem);
                } else {
                    notes.push(problem);
                }
            } else {
                notes.push(format!("{} ({} wide, from {})", wide.place, wide.width, wide.included.join(", ")));
            }
        }
    }
    if !notes.is_empty() {
        println!(
            "book: note: {} code blocks are wider than the column ({} characters at 1280 px) and scroll sideways:",
            notes.len(),
            width::COLUMN
        );
        for note in &notes {
            println!("  {note}");
        }
    }
    problems
}

fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(markdown_files(&path));
        } else if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The arguments of every `{{#include …}}` and `{{#rustdoc_include …}}`.
pub fn include_directives(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        for kind in ["include ", "rustdoc_include "] {
            if let Some(arg) = inner.strip_prefix(kind) {
                found.push(arg.trim().to_string());
            }
        }
        rest = &after[end..];
    }
    found
}

/// Checks that an include names an existing file and, when it names an
/// anchor, that the anchor exists and holds at least one line of code.
fn resolve(page: &Path, directive: &str) -> Result<(), String> {
    let (path, selector) = match directive.split_once(':') {
        Some((p, s)) => (p, Some(s)),
        None => (directive, None),
    };
    let file = page.parent().unwrap_or(Path::new(".")).join(path);
    let text = fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let Some(anchor) = selector.filter(|s| !s.chars().next().is_some_and(|c| c.is_ascii_digit())) else {
        return if text.trim().is_empty() { Err("the file is empty".into()) } else { Ok(()) };
    };
    let begin = format!("ANCHOR: {anchor}");
    let end = format!("ANCHOR_END: {anchor}");
    let lines: Vec<&str> = text.lines().collect();
    let from =
        lines.iter().position(|l| l.trim_end().ends_with(&begin)).ok_or_else(|| format!("no `{begin}` in {path}"))?;
    let to = lines[from..]
        .iter()
        .position(|l| l.trim_end().ends_with(&end))
        .ok_or_else(|| format!("no `{end}` after the anchor in {path}"))?;
    let body = &lines[from + 1..from + to];
    if body.iter().all(|l| l.trim().is_empty() || l.contains("ANCHOR")) {
        return Err(format!("anchor `{anchor}` in {path} includes nothing"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_include_directives() {
        let md =
            "text {{#include ../../solutions/02-echo/src/lib.rs:serve}} and\n{{ #title x }} {{#rustdoc_include a.rs}}";
        assert_eq!(include_directives(md), ["../../solutions/02-echo/src/lib.rs:serve", "a.rs"]);
    }

    #[test]
    fn an_empty_or_missing_anchor_is_an_error() {
        let dir = std::env::temp_dir().join(format!("course-book-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("a.rs"),
            "// ANCHOR: full\nfn x() {}\n// ANCHOR_END: full\n// ANCHOR: empty\n\n// ANCHOR_END: empty\n",
        )
        .unwrap();
        let page = dir.join("page.md");
        assert!(resolve(&page, "a.rs:full").is_ok());
        assert!(resolve(&page, "a.rs").is_ok());
        assert!(resolve(&page, "a.rs:empty").unwrap_err().contains("includes nothing"));
        assert!(resolve(&page, "a.rs:missing").unwrap_err().contains("no `ANCHOR: missing`"));
        assert!(resolve(&page, "b.rs").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
