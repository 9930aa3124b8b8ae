//! Code blocks wider than the book's text column. At 1280 px the column is
//! 750 px and holds 86 characters of code (measured in Chromium with mdBook's
//! default theme and its bundled Source Code Pro, so the same in every
//! browser); a wider line scrolls sideways, and its end is what a reader misses.
//!
//! Measured on the Markdown, with `{{#include}}`s resolved, so that a block
//! written in a chapter can be told from one included from the solutions.

use std::fs;
use std::path::Path;

/// Characters of code the text column shows at 1280 px without scrolling.
pub const COLUMN: usize = 86;

/// A code block wider than the column.
#[derive(Debug)]
pub struct Wide {
    /// The page and the line of its opening fence.
    pub place: String,
    /// The width of its widest visible line.
    pub width: usize,
    /// The files the block includes, if any (then the fix is in those files).
    pub included: Vec<String>,
}

/// Every code block of `page` wider than [`COLUMN`].
pub fn wide_blocks(page: &Path, name: &str) -> Vec<Wide> {
    let text = fs::read_to_string(page).unwrap_or_default();
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some((indent, fence, info)) = opening_fence(line) else { continue };
        let rust = info.split(',').next().is_some_and(|lang| lang.trim() == "rust");
        let mut width = 0;
        let mut included = Vec::new();
        for (_, inner) in lines.by_ref() {
            let inner = strip_indent(inner, indent);
            if inner.trim_start().starts_with(fence) && inner.trim().chars().all(|c| c == fence.as_bytes()[0] as char) {
                break;
            }
            let shown = match include_target(inner) {
                Some(directive) => {
                    included.push(directive.clone());
                    included_text(page, &directive)
                }
                None => inner.to_string(),
            };
            for shown_line in shown.lines().filter(|l| !(rust && hidden_in_rust(l))) {
                width = width.max(display_width(shown_line));
            }
        }
        if width > COLUMN {
            found.push(Wide { place: format!("{name}:{}", number + 1), width, included });
        }
    }
    found
}

/// An opening fence: its indentation, the fence itself (``` or ~~~, maybe
/// longer) and the info string.
fn opening_fence(line: &str) -> Option<(usize, &str, &str)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let mark = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let length = trimmed.chars().take_while(|c| *c == mark).count();
    // A backtick fence's info string has no backtick: ``` `code` ``` is a code span.
    if length < 3 || mark == '`' && trimmed[length..].contains('`') {
        return None;
    }
    Some((indent, &trimmed[..length], trimmed[length..].trim()))
}

fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(indent)..]
}

/// The directive of a line that is a whole `{{#include …}}`.
fn include_target(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix("{{#")?.strip_suffix("}}")?.trim();
    let arg = inner.strip_prefix("include ").or_else(|| inner.strip_prefix("rustdoc_include "))?;
    Some(arg.trim().to_string())
}

/// What mdBook shows for an include: the anchored lines without their anchor
/// comments, a line range, or the whole file.
fn included_text(page: &Path, directive: &str) -> String {
    let (path, selector) = directive.split_once(':').map_or((directive, None), |(p, s)| (p, Some(s)));
    let file = page.parent().unwrap_or(Path::new(".")).join(path);
    let text = fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    match selector {
        None => text,
        Some(s) if s.starts_with(|c: char| c.is_ascii_digit()) => {
            let (from, to) = s.split_once(':').unwrap_or((s, s));
            let from = from.parse::<usize>().unwrap_or(1).max(1) - 1;
            let to = to.parse::<usize>().unwrap_or(lines.len()).min(lines.len());
            lines.get(from..to).unwrap_or_default().join("\n")
        }
        Some(anchor) => {
            let begin = format!("ANCHOR: {anchor}");
            let end = format!("ANCHOR_END: {anchor}");
            let from = lines.iter().position(|l| l.trim_end().ends_with(&begin)).map_or(lines.len(), |i| i + 1);
            lines[from..]
                .iter()
                .take_while(|l| !l.trim_end().ends_with(&end))
                .filter(|l| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

/// mdBook hides the lines of a Rust block that start with `# ` or are `#`.
fn hidden_in_rust(line: &str) -> bool {
    let t = line.trim_start();
    t == "#" || t.starts_with("# ")
}

/// Columns a line takes in a monospace font: emoji and East Asian wide
/// characters take two.
pub fn display_width(line: &str) -> usize {
    line.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F => 2,
            0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF => 2,
            0x0300..=0x036F | 0x200B..=0x200F | 0xFE0F => 0,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_written_and_included_blocks() {
        let dir = std::env::temp_dir().join(format!("course-width-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let long = "x".repeat(COLUMN + 1);
        fs::write(dir.join("a.rs"), format!("// ANCHOR: wide\nfn a() {{ {long} }}\n// ANCHOR_END: wide\n")).unwrap();
        let page = dir.join("page.md");
        fs::write(
            &page,
            format!(
                "```text\nshort\n```\n\n- item\n\n  ```text\n  {long}\n  ```\n\n```rust\n# {long}\nfn ok() {{}}\n```\n\n\
                 ```rust\n{{{{#include a.rs:wide}}}}\n```\n"
            ),
        )
        .unwrap();
        let wide = wide_blocks(&page, "page.md");
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(wide.len(), 2, "{wide:?}");
        assert_eq!((wide[0].place.as_str(), wide[0].width, wide[0].included.len()), ("page.md:7", COLUMN + 1, 0));
        assert_eq!(
            (wide[1].place.as_str(), wide[1].included.as_slice()),
            ("page.md:16", ["a.rs:wide".to_string()].as_slice())
        );
    }

    #[test]
    fn emoji_take_two_columns() {
        assert_eq!(display_width("Rust 🦀"), 7);
        assert_eq!(display_width("Olá"), 3);
    }
}
