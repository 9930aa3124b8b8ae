//! `course-load`: drives the reference servers of lessons 03, 04 and 05 with the
//! same load and prints the results side by side, as Markdown tables.
//!
//! A measurement, not a test: numbers depend on the machine and on what else
//! runs on it. Run it with `just load` (which builds the reference solutions in
//! release mode first), or `just load --quick`.
//!
//! Two runs per server, each with a deadline so that no server can hang it:
//!
//! 1. **Load:** 1, 10 and 100 clients at once, each sending `--messages`
//!    messages of 32 bytes, one after another, each waiting for its
//!    confirmation: throughput, latency (p50, p99) and wall time.
//! 2. **Idle:** `--idle` connections that say nothing, held open beside 10
//!    active clients: what the active clients get, and the server's memory
//!    (VmRSS) and thread count, sampled every 5 ms from /proc/<pid>/status
//!    (a sampled peak: a short-lived thread may fall between two samples).
//!
//! It also draws the results as an SVG plot (latency against clients, memory
//! against idle connections) for the book: `--plot PATH`, by default
//! `target/load.svg`. Standard library only, like the lessons, except for
//! `plotters` (its SVG backend alone) to draw that.

mod children;
mod drive;
mod limits;
mod plot;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use children::ServerChild;
use drive::{idle_run, load_run};
use report::{IdleRow, LoadRow};

const PROGRAM: &str = "course-load";
const ALL_SERVERS: &[&str] =
    &["confirm-server", "threads-server", "mio-server"];

/// The command line, with its defaults.
struct Options {
    servers: Vec<String>,
    messages: usize,
    idle: usize,
    active: usize,
    clients: Vec<usize>,
    /// How long one load run (all its clients) may take.
    run_deadline: Duration,
    /// How long the active clients of the idle run get.
    idle_deadline: Duration,
    bin_dir: Option<PathBuf>,
    /// Where the SVG plot goes.
    plot: PathBuf,
}

const USAGE: &str = "usage: course-load [--servers a,b,…] [--messages N] [--idle N] [--quick] [--bin-dir DIR]

Starts the reference servers (default: confirm-server,threads-server,mio-server) from
solutions/target/release/ and drives each with the same load:
  --messages N   messages per client in the load runs (default 200, 32 bytes each)
  --idle N       idle connections held open in the idle run (default 5000; 0 skips it)
  --quick        a short run: 50 messages, 500 idle connections, shorter deadlines
  --bin-dir DIR  where the server binaries are (default solutions/target/release)
  --plot PATH    where to write the results as an SVG plot (default target/load.svg;
                 the book's is book/src/figures/05-load.svg)";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        servers: ALL_SERVERS.iter().map(|s| s.to_string()).collect(),
        messages: 200,
        idle: 5000,
        active: 10,
        clients: vec![1, 10, 100],
        run_deadline: Duration::from_secs(30),
        idle_deadline: Duration::from_secs(10),
        bin_dir: None,
        plot: workspace_root().join("target").join("load.svg"),
    };
    let mut idle_given = false;
    let mut messages_given = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--servers" => {
                options.servers = value("--servers")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
            }
            "--messages" => {
                options.messages = number(&value("--messages")?, "--messages")?;
                messages_given = true;
            }
            "--idle" => {
                options.idle = number(&value("--idle")?, "--idle")?;
                idle_given = true;
            }
            "--bin-dir" => {
                options.bin_dir = Some(PathBuf::from(value("--bin-dir")?))
            }
            "--plot" => options.plot = PathBuf::from(value("--plot")?),
            "--quick" => {
                if !messages_given {
                    options.messages = 50;
                }
                if !idle_given {
                    options.idle = 500;
                }
                options.run_deadline = Duration::from_secs(10);
                options.idle_deadline = Duration::from_secs(5);
            }
            other => {
                return Err(format!("unknown argument {other:?}\n\n{USAGE}"))
            }
        }
    }
    if options.messages == 0 {
        return Err("--messages must be at least 1".into());
    }
    Ok(options)
}

fn number(text: &str, name: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{name} expects a whole number, got {text:?}"))
}

/// Where `just load` puts the reference binaries: solutions/target/release,
/// or under CARGO_TARGET_DIR when that is set.
fn bin_dirs(options: &Options) -> Vec<PathBuf> {
    if let Some(dir) = &options.bin_dir {
        return vec![dir.clone()];
    }
    let root = workspace_root();
    let mut dirs = vec![root.join("solutions").join("target").join("release")];
    if let Some(shared) =
        std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty())
    {
        dirs.push(PathBuf::from(&shared).join("release"));
        dirs.push(PathBuf::from(&shared).join("solutions").join("release"));
    }
    dirs
}

/// The course's root folder (this crate is `bench/` in it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(".."))
        .to_path_buf()
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(why) => {
            eprintln!("{PROGRAM}: {why}");
            return ExitCode::from(2);
        }
    };

    let files = limits::raise_open_files();
    let mut idle = options.idle;
    // Each idle connection costs us one descriptor (and the server one).
    let budget = files.saturating_sub(200) as usize;
    if idle > budget {
        eprintln!(
            "{PROGRAM}: only {files} open files are allowed (ulimit -n); idle connections capped at {budget} \
             (raise the hard limit to open {idle})"
        );
        idle = budget;
    }

    let machine = report::machine(files);
    let caption = report::plot_caption();
    println!("# course-load\n");
    println!("{machine}\n");

    let dirs = bin_dirs(&options);
    let mut load_rows: Vec<LoadRow> = Vec::new();
    let mut idle_rows: Vec<IdleRow> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();

    for name in &options.servers {
        let Some(path) =
            dirs.iter().map(|d| d.join(name)).find(|p| p.is_file())
        else {
            let looked: Vec<String> =
                dirs.iter().map(|d| d.display().to_string()).collect();
            skipped.push(format!(
                "{name}: not found in {} (not built, or its lesson is not written yet)",
                looked.join(", ")
            ));
            continue;
        };
        eprintln!(
            "{PROGRAM}: {name}: load runs with {:?} clients",
            options.clients
        );
        match ServerChild::start(name, &path) {
            Ok(server) => {
                for &clients in &options.clients {
                    let outcome = load_run(
                        server.addr(),
                        clients,
                        options.messages,
                        options.run_deadline,
                    );
                    load_rows.push(LoadRow {
                        server: name.clone(),
                        clients,
                        outcome,
                    });
                }
                drop(server); // killed here, before the next one starts
            }
            Err(why) => {
                skipped.push(format!("{name}: {why}"));
                continue;
            }
        }
        if idle > 0 {
            eprintln!("{PROGRAM}: {name}: {idle} idle connections beside {} active clients", options.active);
            match ServerChild::start(name, &path) {
                Ok(server) => {
                    let outcome = idle_run(
                        &server,
                        idle,
                        options.active,
                        options.messages,
                        options.idle_deadline,
                    );
                    idle_rows.push(IdleRow {
                        server: name.clone(),
                        wanted_idle: idle,
                        active: options.active,
                        outcome,
                    });
                }
                Err(why) => skipped.push(format!("{name} (idle run): {why}")),
            }
        }
    }

    println!("## Load: each client sends {} messages of 32 bytes, each awaiting its confirmation\n", options.messages);
    println!("{}", report::load_table(&load_rows, options.run_deadline));
    if idle > 0 {
        println!(
            "## Idle: {idle} idle connections held open beside {} active clients ({} messages each)\n",
            options.active, options.messages
        );
        println!("{}", report::idle_table(&idle_rows, options.idle_deadline));
    }
    for note in &skipped {
        println!("- skipped {note}");
    }
    if !load_rows.is_empty() {
        match plot::write(&options.plot, &load_rows, &idle_rows, &caption) {
            Ok(()) => println!("\nPlot: {}", options.plot.display()),
            Err(why) => eprintln!("{PROGRAM}: {why}"),
        }
    }
    if load_rows.is_empty() {
        eprintln!("{PROGRAM}: no server was run; build them with `cargo build --release --manifest-path solutions/Cargo.toml`");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
