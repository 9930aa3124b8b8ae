//! The book in more than one language. English (`book/src/`) is the only
//! source; each other language is a gettext catalogue, `book/po/LANG.po`,
//! applied at build time by mdbook-i18n-helpers' `mdbook-gettext` preprocessor
//! (the way Comprehensive Rust is translated). A paragraph changed in English
//! shows up in the catalogue as untranslated or fuzzy instead of silently
//! going stale, and the build check fails until it is translated again.
//!
//! The English book is built in `book/book/`, each translation in
//! `book/book/LANG/`: `book/theme/head.hbs` links each page to the same page
//! in the other language, with relative links that work from the disk.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use crate::lessons::root;

/// A language the book is translated into.
pub struct Language {
    /// The code of the catalogue (`po/pt-BR.po`) and of the output folder.
    pub code: &'static str,
    /// The book's title in that language (book.toml holds the English one).
    pub title: &'static str,
}

pub const TRANSLATIONS: &[Language] =
    &[Language { code: "pt-BR", title: "Sockets em Rust: do primeiro byte a uma sala de chat" }];

/// `course book-serve [LANG]`: builds the book in every language and opens
/// the requested one (English by default) in a browser. (`--live`, handled
/// by main, serves the English source instead, rebuilt at each change.)
pub fn serve(args: &[&str]) -> bool {
    let wanted = match args {
        [] => None,
        [code] => match find(code) {
            Some(language) => Some(language),
            None if is_english(code) => None,
            None => {
                eprintln!("no translation `{code}`: the book is in English (`just book`) and {}", codes());
                return false;
            }
        },
        _ => {
            eprintln!("usage: just book [LANG] [--live]   (LANG: en, {})", codes());
            return false;
        }
    };
    if !ensure_installed("mdbook", "mdbook", "^0.5") {
        eprintln!("the chapters are also plain Markdown in book/src/");
        return false;
    }
    // The translations need the gettext preprocessor; English does not.
    let translations_ok = ensure_installed("mdbook-gettext", "mdbook-i18n-helpers", "^0.4");
    // English first: building it empties book/book/, where the translations go.
    let english = build(None, wanted.is_none());
    let mut translated = true;
    for language in TRANSLATIONS.iter().filter(|_| translations_ok) {
        let open = wanted.is_some_and(|w| w.code == language.code);
        translated &= build(Some(language), open);
    }
    let index = match wanted {
        None => output_dir(None).join("index.html"),
        Some(language) => output_dir(Some(language)).join("index.html"),
    };
    println!("The book: {} (it links each language to the other).", index.display());
    english && translated && (translations_ok || wanted.is_none())
}

/// `course book-check`, for the translations: each catalogue is complete for
/// the current English text, and each translated build is clean.
pub fn check() -> bool {
    let mut problems = Vec::new();
    for tool in ["mdbook-gettext", "mdbook-xgettext", "msgmerge", "msgfmt", "msgattrib"] {
        if !installed(tool) {
            problems.push(format!("`{tool}` is missing: {}", how_to_install(tool)));
        }
    }
    if problems.is_empty() {
        match extract_template() {
            Ok(pot) => {
                for language in TRANSLATIONS {
                    match catalogue_statistics(language, &pot) {
                        Ok(stats) => {
                            println!("book: {}: {}", language.code, stats.summary());
                            if !stats.complete() {
                                problems.push(format!(
                                    "book/po/{}.po is not complete for the current English text ({}): run `just book-po`, \
                                     then translate what is untranslated or fuzzy (see book/po/README.md)",
                                    language.code,
                                    stats.summary()
                                ));
                            }
                        }
                        Err(e) => problems.push(e),
                    }
                    problems.extend(build_problems(language));
                }
                let _ = fs::remove_dir_all(pot.parent().unwrap_or(&pot));
            }
            Err(e) => problems.push(e),
        }
    }
    for p in &problems {
        println!("  {p}");
    }
    println!("book translations: {} checked, {} problems", TRANSLATIONS.len(), problems.len());
    problems.is_empty()
}

/// `course book-po`: after the English text changed, brings every catalogue
/// up to date (new messages untranslated, changed ones fuzzy) and prints what
/// is left to translate.
pub fn update() -> bool {
    let pot = match extract_template() {
        Ok(pot) => pot,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    let mut ok = true;
    for language in TRANSLATIONS {
        let po = catalogue(language);
        let merged = Command::new("msgmerge").args(["--quiet", "--update", "--backup=off"]).arg(&po).arg(&pot).status();
        ok &= merged.is_ok_and(|s| s.success());
        // Removed paragraphs would stay as obsolete `#~` entries forever: drop them.
        let pruned = Command::new("msgattrib").args(["--no-obsolete", "-o"]).arg(&po).arg(&po).status();
        ok &= pruned.is_ok_and(|s| s.success());
        match catalogue_statistics(language, &pot) {
            Ok(stats) => println!("{}: {}", po.display(), stats.summary()),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    let _ = fs::remove_dir_all(pot.parent().unwrap_or(&pot));
    ok
}

/// The translation for a code such as `pt-BR`, `pt_BR` or `pt`.
pub fn find(code: &str) -> Option<&'static Language> {
    let code = code.replace('_', "-").to_ascii_lowercase();
    TRANSLATIONS.iter().find(|l| {
        let ours = l.code.to_ascii_lowercase();
        ours == code || ours.split('-').next() == Some(code.as_str())
    })
}

fn is_english(code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    code == "en" || code.starts_with("en-") || code.starts_with("en_")
}

fn codes() -> String {
    TRANSLATIONS.iter().map(|l| format!("`just book {}`", l.code)).collect::<Vec<_>>().join(", ")
}

fn book_dir() -> PathBuf {
    root().join("book")
}

fn catalogue(language: &Language) -> PathBuf {
    book_dir().join("po").join(format!("{}.po", language.code))
}

/// Where a language's HTML goes: English in book/book/, the others beside its pages.
fn output_dir(language: Option<&Language>) -> PathBuf {
    let english = book_dir().join("book");
    language.map_or(english.clone(), |l| english.join(l.code))
}

/// `mdbook build` for one language; prints its output.
fn build(language: Option<&Language>, open: bool) -> bool {
    match build_command(language, open).output() {
        Ok(out) => {
            print!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            out.status.success()
        }
        Err(e) => {
            eprintln!("could not run mdbook: {e}");
            false
        }
    }
}

fn build_command(language: Option<&Language>, open: bool) -> Command {
    let mut command = Command::new("mdbook");
    command.arg("build").arg("--dest-dir").arg(output_dir(language));
    if open {
        command.arg("--open");
    }
    command.arg(book_dir());
    if let Some(language) = language {
        command.env("MDBOOK_BOOK__LANGUAGE", language.code).env("MDBOOK_BOOK__TITLE", language.title);
    }
    command
}

/// The ERROR and WARN lines of a translated build, and a failed build.
fn build_problems(language: &Language) -> Vec<String> {
    let mut problems = Vec::new();
    match build_command(Some(language), false).output() {
        Ok(out) => {
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            for line in text.lines().filter(|l| l.contains("ERROR") || l.contains("WARN")) {
                problems.push(format!("mdbook ({}): {line}", language.code));
            }
            if !out.status.success() {
                problems.push(format!("mdbook build ({}) exited with {}", language.code, out.status));
            }
        }
        Err(e) => problems.push(format!("could not run mdbook: {e}")),
    }
    problems
}

/// Extracts the English messages into a fresh `messages.pot` in a temporary
/// folder. The default preprocessors are off, so that `{{#include}}` is not
/// expanded: the code a chapter includes stays out of the catalogue, and
/// `mdbook-gettext` (which runs before `links`) never sees it either. The
/// references name the file without a line number (granularity 0), so that an
/// edit to one paragraph does not rewrite the references of all the others.
fn extract_template() -> Result<PathBuf, String> {
    let dir = env::temp_dir().join(format!("course-book-pot-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let out = Command::new("mdbook")
        .arg("build")
        .arg("--dest-dir")
        .arg(&dir)
        .arg(book_dir())
        .env("MDBOOK_BUILD__USE_DEFAULT_PREPROCESSORS", "false")
        .env("MDBOOK_OUTPUT", r#"{"xgettext": {"pot-file": "messages.pot", "granularity": 0}}"#)
        .output()
        .map_err(|e| format!("could not run mdbook: {e}"))?;
    let pot = dir.join("messages.pot");
    if !out.status.success() || !pot.exists() {
        return Err(format!(
            "extracting the English messages failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(pot)
}

/// What `msgfmt --statistics` says of a catalogue merged with the current
/// English messages (the catalogue on disk is not changed).
fn catalogue_statistics(language: &Language, pot: &Path) -> Result<Statistics, String> {
    let po = catalogue(language);
    if !po.exists() {
        return Err(format!("{} is missing", po.display()));
    }
    let merged = pot.with_file_name(format!("{}.po", language.code));
    let status = Command::new("msgmerge").arg("--quiet").arg("-o").arg(&merged).arg(&po).arg(pot).status();
    if !status.is_ok_and(|s| s.success()) {
        return Err(format!("msgmerge could not merge {} with the English messages", po.display()));
    }
    let out = Command::new("msgfmt")
        .args(["--statistics", "-o"])
        .arg(if cfg!(windows) { "NUL" } else { "/dev/null" })
        .arg(&merged)
        .output()
        .map_err(|e| format!("could not run msgfmt: {e}"))?;
    if !out.status.success() {
        return Err(format!("msgfmt: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(Statistics::parse(&String::from_utf8_lossy(&out.stderr)))
}

/// The three counts of `msgfmt --statistics`.
#[derive(Debug, PartialEq, Default)]
struct Statistics {
    translated: usize,
    fuzzy: usize,
    untranslated: usize,
}

impl Statistics {
    /// Parses "1337 translated messages, 2 fuzzy translations, 3 untranslated messages."
    fn parse(text: &str) -> Statistics {
        let mut stats = Statistics::default();
        for part in text.trim().trim_end_matches('.').split(',') {
            let mut words = part.split_whitespace();
            let (Some(n), Some(kind)) = (words.next().and_then(|n| n.parse().ok()), words.next()) else {
                continue;
            };
            match kind {
                "translated" => stats.translated = n,
                "fuzzy" => stats.fuzzy = n,
                "untranslated" => stats.untranslated = n,
                _ => {}
            }
        }
        stats
    }

    fn complete(&self) -> bool {
        self.fuzzy == 0 && self.untranslated == 0 && self.translated > 0
    }

    fn summary(&self) -> String {
        format!("{} translated, {} fuzzy, {} untranslated", self.translated, self.fuzzy, self.untranslated)
    }
}

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn how_to_install(tool: &str) -> &'static str {
    match tool {
        "mdbook-gettext" | "mdbook-xgettext" => "cargo install --locked mdbook-i18n-helpers --version ^0.4",
        _ => "install GNU gettext (Debian/Ubuntu: apt-get install gettext; macOS: brew install gettext)",
    }
}

/// Installs a crate's program with cargo if it is missing; false if that failed.
fn ensure_installed(tool: &str, krate: &str, version: &str) -> bool {
    if installed(tool) {
        return true;
    }
    println!(
        "`{tool}` is not installed yet: installing it with `cargo install --locked {krate}` (a few minutes, once)."
    );
    let status = Command::new(env!("CARGO")).args(["install", "--locked", krate, "--version", version]).status();
    if status.is_ok_and(|s| s.success()) {
        true
    } else {
        eprintln!("installing {krate} failed");
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_msgfmt_statistics() {
        let all = Statistics::parse("1337 translated messages.\n");
        assert_eq!(all, Statistics { translated: 1337, fuzzy: 0, untranslated: 0 });
        assert!(all.complete());
        let some = Statistics::parse("1300 translated messages, 2 fuzzy translations, 35 untranslated messages.\n");
        assert_eq!(some, Statistics { translated: 1300, fuzzy: 2, untranslated: 35 });
        assert!(!some.complete());
        assert!(!Statistics::parse("7 untranslated messages.").complete());
    }

    #[test]
    fn finds_a_translation_by_its_usual_spellings() {
        for code in ["pt-BR", "pt_BR", "pt-br", "pt"] {
            assert_eq!(find(code).map(|l| l.code), Some("pt-BR"), "{code}");
        }
        assert!(find("en").is_none() && is_english("en") && is_english("en_US"));
        assert!(find("fr").is_none() && !is_english("fr"));
    }

    #[test]
    fn every_translation_has_its_catalogue() {
        for language in TRANSLATIONS {
            assert!(catalogue(language).exists(), "{}", catalogue(language).display());
        }
    }
}
