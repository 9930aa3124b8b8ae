//! Helpers of lesson 02's checks that the shared harness does not have.

use std::path::Path;

/// The calls to `write` in a source file whose count is thrown away, as
/// `(line number, line)`: `stream.write(&buf)?;`, `.unwrap();`, `let _ = …`.
///
/// `write` may take only part of a buffer and says how much it took. On
/// loopback a blocking `write` practically always takes everything, so no
/// exchange of bytes in a check can show the loss; reading the code can (as
/// clippy's `unused_io_amount` lint does). A `write` whose count is bound
/// (`let n = stream.write(…)?`) is someone's own loop, and is left alone.
pub fn ignored_write_counts(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("").trim();
        let Some(at) = code.find(".write(") else { continue };
        let bound = code[..at].contains("let ") && !code.starts_with("let _ ");
        let ignored = code.starts_with("let _ ")
            || code.ends_with(")?;")
            || code.ends_with(".unwrap();")
            || code.ends_with(".expect(")
            || code.ends_with(");");
        if ignored && !bound {
            found.push((i + 1, code.to_string()));
        }
    }
    found
}

/// The learner's `src/lib.rs` (of the crate these checks were built for).
pub fn lib_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("lib.rs");
    std::fs::read_to_string(path).unwrap_or_default()
}
