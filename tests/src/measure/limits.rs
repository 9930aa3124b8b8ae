//! The open-files limit: every socket is a file to Unix, and macOS allows a
//! process only 256 of them by default, Linux usually 1024.

use crate::failure::Failure;

/// What every check process asks for, quietly, when the harness starts its
/// first check: enough for checks that run side by side with a hundred
/// clients each.
const COMFORTABLE: u64 = 4096;

/// Makes sure this process may open `wanted` files (a client and a server
/// socket per connection): raises the soft limit up to what the system allows
/// (`rlimit::increase_nofile_limit` also respects macOS's hidden ceiling,
/// `kern.maxfilesperproc`), or fails saying how to raise it. Windows has no
/// such limit on sockets: there this does nothing.
pub fn allow_open_files(wanted: u64) {
    match rlimit::increase_nofile_limit(wanted) {
        Ok(allowed) if allowed >= wanted => {}
        outcome => {
            let allowed = match outcome {
                Ok(n) => n.to_string(),
                Err(e) => format!("unknown ({e})"),
            };
            Failure::new(format!(
                "this check needs {wanted} open files (a client and a server socket per connection), \
                 but this system allows only {allowed}"
            ))
            .field("fix", format!("raise the limit in your shell, e.g. `ulimit -n {wanted}`, then run the check again"))
            .fail()
        }
    }
}

/// Raises the open-files limit once per process, as far as [`COMFORTABLE`],
/// without complaint when the system refuses: checks that need many files say
/// so themselves with [`allow_open_files`].
pub fn raise_open_files_quietly() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rlimit::increase_nofile_limit(COMFORTABLE);
    });
}
