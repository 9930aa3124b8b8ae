//! The Markdown tables, and a line about the machine.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::drive::{IdleOutcome, Outcome};

pub struct LoadRow {
    pub server: String,
    pub clients: usize,
    pub outcome: Outcome,
}

pub struct IdleRow {
    pub server: String,
    pub wanted_idle: usize,
    pub active: usize,
    pub outcome: IdleOutcome,
}

/// Date, cores, kernel, CPU and the open-files limit, for the reader of the table.
pub fn machine(open_files: u64) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            let line =
                info.lines().find(|l| l.starts_with("model name"))?.to_string();
            Some(line.split_once(':')?.1.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{} UTC · {cores} cores ({cpu}) · {} {} · open files allowed: {open_files} · load average {}",
        utc_now(),
        std::env::consts::OS,
        kernel.trim(),
        load_average()
    )
}

/// The 1, 5 and 15 minute load averages, from /proc/loadavg: what else the
/// machine was doing when the run started.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let three: Vec<&str> = text.split_whitespace().take(3).collect();
    if three.len() == 3 {
        format!("{} / {} / {} (1 / 5 / 15 min)", three[0], three[1], three[2])
    } else {
        "unknown".into()
    }
}

/// The line under the plot: when, and on what, short enough to fit.
pub fn plot_caption() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "course-load, {} UTC · {cores} cores, {} · load average {} when it started",
        utc_now(),
        std::env::consts::OS,
        load_average().split(" (").next().unwrap_or("")
    )
}

pub fn load_table(rows: &[LoadRow], deadline: Duration) -> String {
    let mut out = String::from(
        "| server | clients | messages/s | p50 latency | p99 latency | slowest first reply | wall time |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let o = &row.outcome;
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            row.server,
            row.clients,
            cells(o, deadline)
        );
    }
    out
}

pub fn idle_table(rows: &[IdleRow], deadline: Duration) -> String {
    let mut out = String::from(
        "| server | idle held | active | messages/s | p50 latency | p99 latency | slowest first reply | wall time \
         | VmRSS start → peak | threads (sampled peak) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let o = &row.outcome;
        let held = if o.opened < row.wanted_idle {
            format!(
                "{} of {} ({})",
                o.opened,
                row.wanted_idle,
                o.open_note.as_deref().unwrap_or("stopped")
            )
        } else {
            o.opened.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {held} | {} | {} | {} → {} | {} |",
            row.server,
            row.active,
            cells(&o.active, deadline),
            kib(o.rss_start_kb),
            kib(o.rss_peak_kb),
            o.threads_peak
        );
    }
    out
}

/// messages/s, p50, p99, wall time.
fn cells(o: &Outcome, deadline: Duration) -> String {
    if o.confirmed == 0 {
        let why =
            o.errors.first().map(|e| format!("; {e}")).unwrap_or_default();
        return format!(
            "starved (0 msgs in {:.0} s{why}) | – | – | – | {}",
            o.wall.as_secs_f64(),
            duration(o.wall)
        );
    }
    let mut wall = duration(o.wall);
    if o.confirmed < o.expected {
        let why = if o.deadline_hit {
            format!("deadline {} s", deadline.as_secs())
        } else {
            "errors".into()
        };
        let _ =
            write!(wall, " ({why}: {} of {} msgs)", o.confirmed, o.expected);
    }
    if let Some(e) = o.errors.first() {
        let _ = write!(wall, " ({} client errors, e.g. {e})", o.errors.len());
    }
    format!(
        "{:.0} | {} | {} | {} | {wall}",
        o.rate(),
        duration(o.percentile(0.50).unwrap_or_default()),
        duration(o.percentile(0.99).unwrap_or_default()),
        duration(o.slowest_first_reply.unwrap_or_default())
    )
}

fn duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.1} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

fn kib(kb: u64) -> String {
    if kb >= 10 * 1024 {
        format!("{:.0} MiB", kb as f64 / 1024.0)
    } else {
        format!("{kb} KiB")
    }
}

/// Now, as `YYYY-MM-DD HH:MM`, from the system clock (no date library).
fn utc_now() -> String {
    let secs =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}
