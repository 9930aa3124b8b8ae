//! The words of `just check`'s report in the learner's language: English, or
//! Brazilian Portuguese when the environment asks for Portuguese. The check
//! messages and hints themselves stay English (they are written in the check
//! files); this table covers what the runner prints around them.
//!
//! The language: `COURSE_LANG` if set (`pt-BR`, `pt`, `en`), else the first
//! set of `LC_ALL`, `LC_MESSAGES`, `LANG` (POSIX's order), Portuguese when it
//! starts with `pt` (`pt_BR.UTF-8`, `pt_PT`, `pt`). Anything else is English.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    PtBr,
}

/// The learner's language, read once from the environment.
pub fn language() -> Lang {
    static LANGUAGE: OnceLock<Lang> = OnceLock::new();
    *LANGUAGE.get_or_init(|| from_environment(|name| std::env::var(name).ok()))
}

/// The language the variables ask for; `get` reads one variable.
pub fn from_environment(get: impl Fn(&str) -> Option<String>) -> Lang {
    let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    if let Some(chosen) = set("COURSE_LANG") {
        return from_code(&chosen);
    }
    // POSIX: LC_ALL overrides LC_MESSAGES, which overrides LANG; an empty one counts as unset.
    ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|name| set(name)).map_or(Lang::En, |v| from_code(&v))
}

/// `pt_BR.UTF-8`, `pt-BR`, `pt`, `pt_PT@euro` → Portuguese; anything else → English.
pub fn from_code(code: &str) -> Lang {
    let code = code.trim().to_ascii_lowercase();
    if code == "pt" || code.starts_with("pt_") || code.starts_with("pt-") || code.starts_with("pt.") {
        Lang::PtBr
    } else {
        Lang::En
    }
}

/// Every sentence of the report. Placeholders `{0}`, `{1}`… are filled by [`fill`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// `== Lesson {0}: {1}{2}`: number, title, then [`Msg::ReferenceTag`] or nothing.
    LessonHeading,
    ReferenceTag,
    NotCompiled,
    /// `{0}`: the lesson number.
    FixFirstError,
    StubsCompile,
    /// The name of the failure shown when the build fails.
    CodeDoesNotCompile,
    TierDone,
    Total,
    /// `{0}`: why, `{1}`: the checks.
    NotMeasured,
    SolutionPassesAll,
    /// `{0}`: how many of the lesson's checks ran (`just check NN NAME`).
    NamedChecksPass,
    /// `{0}`: the lesson number.
    RunThemAll,
    AllPass,
    /// `{0}`: the lesson number.
    CompareWithSolution,
    /// `{0}`: the next lesson's number, `{1}`: its chapter.
    ThenNextLesson,
    ThenLastLesson,
    /// `{0}`: the check.
    Next,
    /// `{0}`: how many, `{1}`: their names.
    AlsoFailing,
    /// `{0}`: the lesson number.
    EveryFailure,
    /// `{0}`: a check shown in full after the first (with `--all`).
    Also,
    NoOutputCaptured,
    /// Appended to clippy's message when it is the only thing left.
    ClippyKeepsFromDone,
    LintsLabel,
    LintsNotRun,
    LintsClean,
    /// `{0}`: how many, `{1}`: which.
    LintsToFix,
    /// `{0}`: how many, `{1}`: which.
    LintsSuggestions,
    ClippySuggestionsHeading,
    TimePerCheckHeading,
}

/// The sentence in the learner's language.
pub fn tr(msg: Msg) -> &'static str {
    text(language(), msg)
}

/// The sentence in a given language.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    use Msg::*;
    let (en, pt) = match msg {
        LessonHeading => ("== Lesson {0}: {1}{2}", "== Lição {0}: {1}{2}"),
        ReferenceTag => (" (reference solution)", " (solução de referência)"),
        NotCompiled => (
            "The checks did not run: the code does not compile yet.",
            "As verificações não rodaram: o código ainda não compila.",
        ),
        FixFirstError => (
            "Fix the first error cargo printed above (the line starting with `error`), then save again\n\
             (with `just watch` running) or run `just check {0}` again.",
            "Corrija o primeiro erro que o cargo imprimiu acima (a linha que começa com `error`) e salve de novo\n\
             (com o `just watch` rodando) ou rode `just check {0}` de novo.",
        ),
        StubsCompile => (
            "Every stub compiles as given: if it did before, look at what you changed.",
            "Todo esqueleto compila do jeito que vem: se compilava antes, veja o que você mudou.",
        ),
        CodeDoesNotCompile => ("the code does not compile", "o código não compila"),
        TierDone => ("done", "feito"),
        Total => ("total", "total"),
        NotMeasured => (
            "Not measured on this system ({0}; they count neither way): {1}",
            "Não medido neste sistema ({0}; não contam nem a favor nem contra): {1}",
        ),
        SolutionPassesAll => {
            ("The reference solution passes every check.", "A solução de referência passa em todas as verificações.")
        }
        NamedChecksPass => (
            "Every check you named passes ({0} of the lesson's checks ran).",
            "Todas as verificações que você escolheu passam ({0} das verificações da lição rodaram).",
        ),
        RunThemAll => ("Run them all: just check {0}", "Rode todas: just check {0}"),
        AllPass => ("Every check passes. Well done!", "Todas as verificações passam. Muito bem!"),
        CompareWithSolution => {
            ("Compare with the reference solution: just diff {0}", "Compare com a solução de referência: just diff {0}")
        }
        ThenNextLesson => (
            "Then read the chapter's walk-through of the solution, and go on to lesson {0}: {1} (just watch {0}).",
            "Depois leia o comentário da solução no fim do capítulo e siga para a lição {0}: {1} (just watch {0}).",
        ),
        ThenLastLesson => (
            "Then read the chapter's walk-through of the solution: that was the last lesson.",
            "Depois leia o comentário da solução no fim do capítulo: essa foi a última lição.",
        ),
        Next => ("Next: {0}", "Próximo: {0}"),
        AlsoFailing => ("Also failing ({0}): {1}", "Também falhando ({0}): {1}"),
        EveryFailure => {
            ("Every failure in full: just check {0} --all", "Todas as falhas por extenso: just check {0} --all")
        }
        Also => ("Also: {0}", "Também: {0}"),
        NoOutputCaptured => ("(no output was captured)", "(nenhuma saída foi capturada)"),
        ClippyKeepsFromDone => (
            "Every check passes, but clippy found a mistake that keeps the lesson from done: \
             checks see what happened in one run, this lint sees what your code allows.",
            "Todas as verificações passam, mas o clippy encontrou um erro que impede a lição de ficar pronta: \
             as verificações veem o que aconteceu numa execução, este lint vê o que o seu código permite.",
        ),
        LintsLabel => ("lints", "lints"),
        LintsNotRun => (
            "not run (is clippy installed? rustup component add clippy)",
            "não rodou (o clippy está instalado? rustup component add clippy)",
        ),
        LintsClean => ("clean", "limpo"),
        LintsToFix => ("{0} to fix before done: {1}", "{0} a corrigir antes de terminar: {1}"),
        LintsSuggestions => ("{0} suggestion(s): {1}", "{0} sugestão(ões): {1}"),
        ClippySuggestionsHeading => (
            "Clippy's suggestions (they do not count against the lesson):",
            "Sugestões do clippy (não contam contra a lição):",
        ),
        TimePerCheckHeading => {
            ("Time per check (each in its own process):", "Tempo por verificação (cada uma no seu próprio processo):")
        }
    };
    match lang {
        Lang::En => en,
        Lang::PtBr => pt,
    }
}

/// The template with `{0}`, `{1}`… replaced by the arguments, in one pass (an
/// argument that contains `{1}` is not filled in again).
pub fn fill(template: &str, args: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let index = after.find('}').and_then(|close| after[..close].parse::<usize>().ok().map(|i| (i, close)));
        match index {
            Some((i, close)) if i < args.len() => {
                out.push_str(&args[i].to_string());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The sentence in the learner's language, filled in.
pub fn trf(msg: Msg, args: &[&dyn Display]) -> String {
    fill(tr(msg), args)
}

/// A tier's name as the progress table shows it. The name is the check
/// module's (`streams`, as in `Next: streams::…`), so a translated label
/// keeps it in parentheses: `fluxos (streams)`. A tier this table does not
/// know keeps its name alone.
pub fn tier_label(lang: Lang, name: &str) -> String {
    let portuguese = match name {
        "basics" => "básico",
        "streams" => "fluxos",
        "robustness" => "robustez",
        "end_to_end" => "ponta a ponta",
        "conversions" => "conversões",
        "counting" => "contagem",
        "header" => "cabeçalho",
        "chunks" => "pedaços",
        "framing" => "enquadramento",
        "sharing" => "compartilhamento",
        "the_loop" => "o laço",
        "many_clients" => "muitos clientes",
        "rules" => "regras",
        "datagrams" => "datagramas",
        "network" => "rede",
        _ => return name.to_string(),
    };
    match lang {
        Lang::En => name.to_string(),
        Lang::PtBr => format!("{portuguese} ({name})"),
    }
}

/// A lesson's title (its Cargo.toml description, as `Lesson::short_title`
/// gives it) in the learner's language; a title this table does not know
/// (a new lesson, a changed description) stays as it is.
pub fn lesson_title(lang: Lang, english: &str) -> String {
    let portuguese = match english {
        "bytes and strings, the raw material of every socket" => "bytes e strings, a matéria-prima de todo socket",
        "an echo server and its client over TCP" => "um servidor de eco e o seu cliente sobre TCP",
        "the confirmation server, framing a stream into messages" => {
            "o servidor de confirmação, enquadrando um fluxo em mensagens"
        }
        "threads, one server for many clients at once" => "threads, um servidor para muitos clientes ao mesmo tempo",
        "non-blocking I/O, thousands of clients on one thread" => {
            "E/S não bloqueante, milhares de clientes numa só thread"
        }
        "the chat room, nicknames and broadcast" => "a sala de chat, apelidos e difusão",
        "datagrams, the confirmation service over UDP" => "datagramas, o serviço de confirmação sobre UDP",
        _ => return english.to_string(),
    };
    match lang {
        Lang::En => english.to_string(),
        Lang::PtBr => portuguese.to_string(),
    }
}

/// The book's own translation of a phrase of the book (a chapter or section
/// title such as `03 · The confirmation server`), read from
/// `book/po/pt-BR.po`; the English when there is none.
pub fn book_phrase(lang: Lang, english: &str) -> String {
    match lang {
        Lang::En => english.to_string(),
        Lang::PtBr => book_catalogue().get(english).cloned().unwrap_or_else(|| english.to_string()),
    }
}

/// A hint's pointer into the book, `Book: The echo server › Partial reads and
/// writes`, with the chapter and section names as the translated book shows
/// them. Text that is not a known title stays as it is.
pub fn book_pointer(lang: Lang, line: &str) -> String {
    match lang {
        Lang::En => line.to_string(),
        Lang::PtBr => translate_pointer(line, book_catalogue()),
    }
}

fn translate_pointer(line: &str, titles: &HashMap<String, String>) -> String {
    let Some(start) = line.find("Book: ") else { return line.to_string() };
    let mut out = String::from(&line[..start]);
    out.push_str("Livro: ");
    let mut rest = &line[start + "Book: ".len()..];
    // The longest known title at each place, so that "Read, then write it all"
    // wins over the connector ", then ".
    let connectors = [(", then ", ", depois "), (" › ", " › ")];
    'next: while !rest.is_empty() {
        let mut best: Option<(&str, &str)> = None;
        for (en, pt) in titles.iter().map(|(e, p)| (e.as_str(), p.as_str())).chain(connectors) {
            if rest.starts_with(en) && best.is_none_or(|(b, _)| en.len() > b.len()) {
                best = Some((en, pt));
            }
        }
        if let Some((en, pt)) = best {
            out.push_str(pt);
            rest = &rest[en.len()..];
            continue 'next;
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The titles of the Portuguese book: every short message of the catalogue
/// (headings, chapter names with and without their `NN · ` number), without
/// the `{#anchor}` a translated heading keeps. Read once; empty if missing.
fn book_catalogue() -> &'static HashMap<String, String> {
    static TITLES: OnceLock<HashMap<String, String>> = OnceLock::new();
    TITLES.get_or_init(|| {
        let path = crate::lessons::root().join("book").join("po").join("pt-BR.po");
        titles(&std::fs::read_to_string(path).unwrap_or_default())
    })
}

fn titles(po: &str) -> HashMap<String, String> {
    let mut titles = HashMap::new();
    for (id, text) in po_entries(po) {
        // Titles are short, one line, and not code.
        if id.is_empty() || text.is_empty() || id.len() > 80 || id.contains('\n') || id.contains('`') {
            continue;
        }
        let text = match text.rfind(" {#") {
            Some(i) if text.ends_with('}') => text[..i].to_string(),
            _ => text,
        };
        // "02 · The echo server" is also "The echo server" in a hint.
        let unnumbered = |s: &str| {
            s.split_once(" · ").filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit())).map(|(_, t)| t.to_string())
        };
        if let (Some(id), Some(text)) = (unnumbered(&id), unnumbered(&text)) {
            titles.insert(id, text);
        }
        titles.insert(id, text);
    }
    titles
}

/// The translated (not fuzzy, not obsolete) entries of a PO file, unescaped.
fn po_entries(po: &str) -> Vec<(String, String)> {
    struct Entry {
        id: String,
        text: String,
        fuzzy: bool,
    }
    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    let mut next_is_fuzzy = false;
    let mut in_id = false;
    let mut keep = |entry: Option<Entry>| {
        if let Some(e) = entry.filter(|e| !e.fuzzy && !e.text.is_empty()) {
            entries.push((e.id, e.text));
        }
    };
    for line in po.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("msgid ") {
            keep(current.take());
            current = Some(Entry { id: unquote(rest), text: String::new(), fuzzy: next_is_fuzzy });
            next_is_fuzzy = false;
            in_id = true;
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            if let Some(e) = current.as_mut() {
                e.text = unquote(rest);
            }
            in_id = false;
        } else if line.starts_with('"') {
            if let Some(e) = current.as_mut() {
                let target = if in_id { &mut e.id } else { &mut e.text };
                target.push_str(&unquote(line));
            }
        } else if line.starts_with("#,") {
            next_is_fuzzy = line.contains("fuzzy");
        }
        // Obsolete entries (`#~ msgid …`) and references are comments: skipped.
    }
    keep(current.take());
    entries
}

/// The text of a PO string literal: `"a \"b\"\n"` is `a "b"` and a newline.
fn unquote(literal: &str) -> String {
    let inner = literal.trim().strip_prefix('"').and_then(|l| l.strip_suffix('"')).unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_environment_chooses_the_language() {
        assert_eq!(from_environment(env(&[])), Lang::En);
        assert_eq!(from_environment(env(&[("LANG", "pt_BR.UTF-8")])), Lang::PtBr);
        assert_eq!(from_environment(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(from_environment(env(&[("LANG", "C.UTF-8")])), Lang::En);
        // POSIX order: LC_ALL, then LC_MESSAGES, then LANG; empty means unset.
        assert_eq!(from_environment(env(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "pt_BR.UTF-8")])), Lang::PtBr);
        assert_eq!(from_environment(env(&[("LANG", "pt_BR.UTF-8"), ("LC_MESSAGES", "C")])), Lang::En);
        assert_eq!(from_environment(env(&[("LANG", "pt_BR.UTF-8"), ("LC_ALL", "")])), Lang::PtBr);
        // COURSE_LANG wins over the locale, both ways.
        assert_eq!(from_environment(env(&[("LANG", "pt_BR.UTF-8"), ("COURSE_LANG", "en")])), Lang::En);
        assert_eq!(from_environment(env(&[("LANG", "C"), ("COURSE_LANG", "pt-BR")])), Lang::PtBr);
    }

    #[test]
    fn portuguese_codes() {
        for code in ["pt", "pt_BR", "pt-BR", "pt_BR.UTF-8", "PT_br.utf8", "pt_PT@euro", "pt.UTF-8"] {
            assert_eq!(from_code(code), Lang::PtBr, "{code}");
        }
        for code in ["", "C", "POSIX", "en", "en_US.UTF-8", "ptx", "es_ES"] {
            assert_eq!(from_code(code), Lang::En, "{code}");
        }
    }

    #[test]
    fn fills_placeholders_once() {
        assert_eq!(fill("Next: {0}", &[&"basics::echo"]), "Next: basics::echo");
        assert_eq!(fill("lesson {0}: {1} (just watch {0})", &[&3, &"x"]), "lesson 3: x (just watch 3)");
        assert_eq!(fill("{0} and {1}", &[&"{1}", &"b"]), "{1} and b");
        assert_eq!(fill("a {2} {x} {", &[&1]), "a {2} {x} {");
    }

    const ALL: [Msg; 29] = [
        Msg::LessonHeading,
        Msg::ReferenceTag,
        Msg::NotCompiled,
        Msg::FixFirstError,
        Msg::StubsCompile,
        Msg::CodeDoesNotCompile,
        Msg::TierDone,
        Msg::Total,
        Msg::NotMeasured,
        Msg::SolutionPassesAll,
        Msg::NamedChecksPass,
        Msg::RunThemAll,
        Msg::AllPass,
        Msg::CompareWithSolution,
        Msg::ThenNextLesson,
        Msg::ThenLastLesson,
        Msg::Next,
        Msg::AlsoFailing,
        Msg::EveryFailure,
        Msg::Also,
        Msg::NoOutputCaptured,
        Msg::ClippyKeepsFromDone,
        Msg::LintsLabel,
        Msg::LintsNotRun,
        Msg::LintsClean,
        Msg::LintsToFix,
        Msg::LintsSuggestions,
        Msg::ClippySuggestionsHeading,
        Msg::TimePerCheckHeading,
    ];

    #[test]
    fn both_languages_take_the_same_placeholders() {
        let placeholders = |s: &str| {
            let mut found: Vec<usize> = (0..4).filter(|i| s.contains(&format!("{{{i}}}"))).collect();
            found.dedup();
            found
        };
        for msg in ALL {
            let (en, pt) = (text(Lang::En, msg), text(Lang::PtBr, msg));
            assert!(!en.is_empty() && !pt.is_empty(), "{msg:?}");
            assert_eq!(placeholders(en), placeholders(pt), "{msg:?}: {en:?} / {pt:?}");
        }
        // Commands stay as they are in every language.
        for msg in [Msg::CompareWithSolution, Msg::EveryFailure, Msg::ThenNextLesson] {
            for word in ["just ", "{0}"] {
                assert!(text(Lang::PtBr, msg).contains(word), "{msg:?}");
            }
        }
    }

    const PO: &str = r#"
msgid ""
msgstr ""
"Language: pt-BR\n"

#: src/SUMMARY.md src/02-echo.md
msgid "02 · The echo server"
msgstr "02 · O servidor de eco"

#: src/02-echo.md
msgid "Read, then write it all"
msgstr "Ler, e depois escrever tudo {#read-then-write-it-all}"

#: src/02-echo.md
msgid "Accepting clients"
msgstr ""
"Aceitando "
"clientes {#accepting-clients}"

#, fuzzy
msgid "Partial reads and writes"
msgstr "Leituras parciais"

msgid "A \"quoted\" title"
msgstr "Um título \"entre aspas\""
"#;

    #[test]
    fn reads_the_titles_of_a_catalogue() {
        let t = titles(PO);
        assert_eq!(t.get("02 · The echo server").map(String::as_str), Some("02 · O servidor de eco"));
        assert_eq!(t.get("The echo server").map(String::as_str), Some("O servidor de eco"));
        assert_eq!(t.get("Accepting clients").map(String::as_str), Some("Aceitando clientes"));
        assert_eq!(t.get("A \"quoted\" title").map(String::as_str), Some("Um título \"entre aspas\""));
        assert!(!t.contains_key("Partial reads and writes"), "fuzzy entries are not translations");
        assert!(!t.contains_key(""), "the header is not a title");
    }

    #[test]
    fn translates_a_hints_pointer_into_the_book() {
        let t = titles(PO);
        assert_eq!(
            translate_pointer("    hint: loop on `read`. Book: The echo server › Accepting clients, then › Read, then write it all", &t),
            "    hint: loop on `read`. Livro: O servidor de eco › Aceitando clientes, depois › Ler, e depois escrever tudo"
        );
        // An unknown section stays English, the rest is still translated.
        assert_eq!(
            translate_pointer("Book: The echo server › Partial reads and writes", &t),
            "Livro: O servidor de eco › Partial reads and writes"
        );
        assert_eq!(translate_pointer("no pointer here", &t), "no pointer here");
        assert_eq!(book_pointer(Lang::En, "Book: The echo server"), "Book: The echo server");
    }

    #[test]
    fn the_real_catalogue_has_the_books_titles() {
        let po = std::fs::read_to_string(crate::lessons::root().join("book/po/pt-BR.po")).expect("book/po/pt-BR.po");
        assert!(titles(&po).len() > 100, "{} titles", titles(&po).len());
    }

    #[test]
    fn lesson_titles() {
        assert_eq!(
            lesson_title(Lang::PtBr, "an echo server and its client over TCP"),
            "um servidor de eco e o seu cliente sobre TCP"
        );
        assert_eq!(
            lesson_title(Lang::En, "an echo server and its client over TCP"),
            "an echo server and its client over TCP"
        );
        assert_eq!(lesson_title(Lang::PtBr, "a lesson not in the table"), "a lesson not in the table");
    }

    #[test]
    fn the_words_the_issue_names() {
        assert_eq!(fill(text(Lang::PtBr, Msg::Next), &[&"a::b"]), "Próximo: a::b");
        assert_eq!(fill(text(Lang::PtBr, Msg::AlsoFailing), &[&2, &"x, y"]), "Também falhando (2): x, y");
        assert_eq!(text(Lang::En, Msg::Next), "Next: {0}");
        assert_eq!(tier_label(Lang::PtBr, "streams"), "fluxos (streams)");
        assert_eq!(tier_label(Lang::En, "streams"), "streams");
        assert_eq!(tier_label(Lang::PtBr, "hexdump"), "hexdump");
        assert_eq!(tier_label(Lang::PtBr, "a_new_tier"), "a_new_tier");
    }
}
