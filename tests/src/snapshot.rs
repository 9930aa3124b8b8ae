//! Insta settings shared by every check: what varies from run to run is redacted.

/// Settings for snapshots of transcripts and program output: ports (and the
/// ephemeral addresses they make) are replaced by `[PORT]`, so a snapshot reads
/// the same on every run and every machine.
///
/// ```text
/// harness::snapshot_settings().bind(|| insta::assert_snapshot!(output));
/// ```
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"\[::1\]:\d+", "[::1]:[PORT]");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}
