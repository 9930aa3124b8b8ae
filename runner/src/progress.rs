//! `just progress`: one row per lesson, each printed as soon as it is known.

use std::io::{self, IsTerminal, Write};

use crate::checks::{self, Echo, Options};
use crate::lessons::{self, Side};
use crate::report;
use crate::state;

pub fn table() -> bool {
    let all = lessons::all();
    let width = all.iter().map(|l| l.short_title().chars().count()).max().unwrap_or(10);
    let terminal = io::stdout().is_terminal();
    println!("{:width$}     Checks passed", "Lesson", width = width + 3);
    for lesson in all {
        let title = lesson.short_title();
        if terminal {
            // A placeholder while the lesson's checks run, replaced by its row.
            print!("{} {title:width$}  checking…", lesson.number);
            let _ = io::stdout().flush();
        }
        let mut options = Options::new(Echo::Quiet);
        options.lints = true;
        let run = checks::run_crate(&lesson.checked_crate(Side::Lesson), &options);
        if run.ran {
            state::record(&lesson, run.done());
        }
        let tiers = report::tiers(&lesson.check_file(), &run.results);
        let passed: usize = tiers.iter().map(|t| t.passed).sum();
        let total: usize = tiers.iter().map(|t| t.total).sum();
        let detail = if !run.ran {
            "does not compile yet".to_string()
        } else {
            let mut detail =
                tiers.iter().map(|t| format!("{} {}/{}", t.name, t.passed, t.total)).collect::<Vec<_>>().join(", ");
            let blocking = run.lints.as_ref().map_or(0, |l| l.blocking().count());
            if blocking > 0 {
                detail.push_str(&format!("; {blocking} lint(s) to fix"));
            }
            if run.done() {
                detail.push_str("  done");
            }
            detail
        };
        if terminal {
            print!("\r\x1b[2K");
        }
        println!("{} {title:width$}  {} {passed:>3}/{total:<3}  {detail}", lesson.number, report::bar(passed, total));
    }
    true
}
