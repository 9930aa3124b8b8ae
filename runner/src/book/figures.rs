//! The book's figures: every image a chapter shows must exist and have alt
//! text, and every file in `book/src/figures/` must be shown by some chapter
//! (mdBook copies a missing image's link as it is, and a figure nobody shows is
//! a figure nobody keeps up to date).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One `![alt](target)` in a page.
#[derive(Debug, PartialEq)]
pub struct Image {
    pub alt: String,
    pub target: String,
}

/// Every Markdown image of `text`, in order. Links to other sites are kept
/// too; the caller skips them.
pub fn images(text: &str) -> Vec<Image> {
    let mut found = Vec::new();
    let prose = without_code(text);
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("![") {
        let after = &rest[start + 2..];
        let Some(close) = after.find("](") else { break };
        let alt = &after[..close];
        let tail = &after[close + 2..];
        let Some(end) = tail.find(')') else { break };
        // An alt text never spans a paragraph.
        if !alt.contains("\n\n") {
            let target = tail[..end].split_whitespace().next().unwrap_or("").to_string();
            found.push(Image { alt: alt.trim().to_string(), target });
        }
        rest = &tail[end..];
    }
    found
}

/// The text without its code blocks and code spans: a `![…](…)` there is
/// an example, not an image.
fn without_code(text: &str) -> String {
    let mut prose = String::new();
    let mut in_block = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // Every other piece between backticks is a code span.
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 0 {
                prose.push_str(piece);
            }
        }
        prose.push('\n');
    }
    prose
}

/// The problems with the figures of the book whose sources are in `src`.
pub fn check(src: &Path, pages: &[PathBuf]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut shown = BTreeSet::new();
    for page in pages {
        let text = fs::read_to_string(page).unwrap_or_default();
        let name = page.strip_prefix(src).unwrap_or(page).display().to_string();
        for image in images(&text) {
            if image.target.contains("://") {
                continue;
            }
            let file = page.parent().unwrap_or(src).join(&image.target);
            if !file.is_file() {
                problems.push(format!("{name}: figure {} does not exist", image.target));
                continue;
            }
            if image.alt.len() < 10 {
                problems.push(format!("{name}: figure {} needs alt text that says what it shows", image.target));
            }
            if let Some(why) = svg_problem(&file) {
                problems.push(format!("{name}: figure {}: {why}", image.target));
            }
            shown.insert(fs::canonicalize(&file).unwrap_or(file));
        }
    }
    let figures = src.join("figures");
    for entry in fs::read_dir(&figures).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_file() && !shown.contains(&fs::canonicalize(&path).unwrap_or(path.clone())) {
            let name = path.strip_prefix(src).unwrap_or(&path).display();
            problems.push(format!("{name} is shown by no chapter: show it or remove it"));
        }
    }
    problems
}

/// What makes an SVG figure unreadable on a phone or in a dark theme
/// (book/FIGURES rules): fixed pixel sizes, or no viewBox to scale by.
fn svg_problem(file: &Path) -> Option<String> {
    if file.extension().is_none_or(|e| e != "svg") {
        return None;
    }
    let text = fs::read_to_string(file).ok()?;
    let start = text.find("<svg")?;
    let root = &text[start..start + text[start..].find('>')?];
    if !root.contains("viewBox") {
        return Some("the <svg> element has no viewBox, so it cannot scale".into());
    }
    for attr in [" width=\"", " height=\""] {
        if let Some(at) = root.find(attr) {
            let value = root[at + attr.len()..].split('"').next().unwrap_or("");
            if !value.ends_with('%') {
                return Some(format!(
                    "the <svg> element has a fixed{}\"{value}\": leave it out",
                    attr.trim_end_matches('"')
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_with_their_alt_text() {
        let md = "text ![A client and a server](figures/a.svg)\n`![not](code)` ![x](https://e.org/b.png \"t\")";
        let found = images(md);
        assert_eq!(
            found,
            [
                Image { alt: "A client and a server".into(), target: "figures/a.svg".into() },
                Image { alt: "x".into(), target: "https://e.org/b.png".into() },
            ]
        );
    }

    #[test]
    fn a_missing_or_unused_figure_is_an_error() {
        let dir = std::env::temp_dir().join(format!("course-figures-test-{}", std::process::id()));
        fs::create_dir_all(dir.join("figures")).unwrap();
        fs::write(dir.join("figures/used.svg"), "<svg viewBox=\"0 0 10 10\"></svg>").unwrap();
        fs::write(dir.join("figures/unused.svg"), "<svg viewBox=\"0 0 10 10\"></svg>").unwrap();
        fs::write(dir.join("figures/fixed.svg"), "<svg width=\"300\" viewBox=\"0 0 10 10\"></svg>").unwrap();
        let page = dir.join("page.md");
        fs::write(
            &page,
            "![The used figure, drawn](figures/used.svg)\n![The missing one](figures/gone.svg)\n\
             ![A fixed-width figure](figures/fixed.svg)",
        )
        .unwrap();
        let problems = check(&dir, &[page]);
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("figures/gone.svg does not exist"));
        assert!(problems[1].contains("fixed width=\"300\""));
        assert!(problems[2].contains("unused.svg is shown by no chapter"));
    }
}
