//! The results as one SVG picture, for the book: latency against the number
//! of clients, and memory against the number of idle connections, one line per
//! server. Drawn with plotters' SVG backend, which writes plain SVG text and
//! needs no font files.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{IdleRow, LoadRow};

const WIDTH: u32 = 720;
const HEIGHT: u32 = 400;
const FONT: &str = "system-ui, -apple-system, Segoe UI, sans-serif";
const INK: RGBColor = RGBColor(0x1f, 0x29, 0x33);
const MUTED: RGBColor = RGBColor(0x61, 0x6e, 0x7c);
const GRID: RGBColor = RGBColor(0xe4, 0xe7, 0xeb);
/// plotters' SVG backend writes a font size of `size / 1.24`: ask for this
/// much more to get the size meant.
const SCALE: f64 = 1.24;

/// The book's font at `size` SVG units.
fn font(size: f64) -> TextStyle<'static> {
    (FONT, size * SCALE).into_font().color(&INK)
}

/// One colour per server, in the order of the course (03, 04, 05), from the
/// book's figure palette.
fn colour(server: &str) -> RGBColor {
    match server {
        "confirm-server" => RGBColor(0xb4, 0x53, 0x09),
        "threads-server" => RGBColor(0x1c, 0x64, 0xf2),
        "mio-server" => RGBColor(0x05, 0x7a, 0x55),
        _ => RGBColor(0x61, 0x6e, 0x7c),
    }
}

/// Writes the picture to `path`; `caption` (the date and the machine) goes under it.
pub fn write(
    path: &Path,
    load: &[LoadRow],
    idle: &[IdleRow],
    caption: &str,
) -> Result<(), String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT))
            .into_drawing_area();
        draw(&root, load, idle, caption)
            .map_err(|e| format!("cannot draw the plot: {e}"))?;
        root.present().map_err(|e| format!("cannot draw the plot: {e}"))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, scalable(&svg))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// plotters gives the `<svg>` a fixed size in pixels; the book wants it to
/// scale with the page, so keep only its viewBox.
fn scalable(svg: &str) -> String {
    let fixed = format!("width=\"{WIDTH}\" height=\"{HEIGHT}\" ");
    svg.replacen(&fixed, "", 1)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw(
    root: &Area,
    load: &[LoadRow],
    idle: &[IdleRow],
    caption: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let (head, rest) = root.split_vertically(50);
    let (body, foot) = rest.split_vertically(HEIGHT - 50 - 28);
    legend(&head, servers(load.iter().map(|r| r.server.as_str())))?;
    foot.draw(&Text::new(caption, (16, 6), font(13.0)))?;
    let (left, right) = body.split_horizontally(WIDTH / 2);
    latency(&left, load)?;
    memory(&right, idle)?;
    Ok(())
}

/// Two lines for both charts: each server's colour, then what solid and dashed mean.
fn legend(
    area: &Area,
    servers: Vec<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut x = 16;
    for server in servers {
        let colour = colour(server);
        area.draw(&PathElement::new(
            [(x, 16), (x + 22, 16)],
            colour.stroke_width(3),
        ))?;
        area.draw(&Text::new(server.to_string(), (x + 28, 8), font(14.0)))?;
        x += 28 + 8 * server.len() as i32 + 20;
    }
    let key = "latency: solid, the median message; dashed, the longest wait for a first reply";
    area.draw(&Text::new(key, (16, 30), font(13.0).color(&MUTED)))?;
    Ok(())
}

/// Per server, against 1, 10 and 100 clients, in µs on a log scale: the
/// median latency of a message (solid), and the longest any client waited
/// for its first reply (dashed), which is where a server that serves one
/// client at a time shows what it costs.
fn latency(
    area: &Area,
    rows: &[LoadRow],
) -> Result<(), Box<dyn std::error::Error>> {
    let micros = |d: std::time::Duration| (d.as_secs_f64() * 1e6).max(1.0);
    let mut top: f64 = 100.0;
    for row in rows {
        for d in [row.outcome.percentile(0.99), row.outcome.slowest_first_reply]
            .into_iter()
            .flatten()
        {
            top = top.max(micros(d) * 2.0);
        }
    }
    let most = rows.iter().map(|r| r.clients).max().unwrap_or(100).max(2);
    let mut chart = ChartBuilder::on(area)
        .caption("Latency", font(15.0))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(58)
        .build_cartesian_2d(
            (1usize..most).log_scale(),
            (5.0f64..top).log_scale(),
        )?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc("clients at once")
        .y_label_formatter(&|v| duration_label(*v))
        .label_style(font(12.0))
        .axis_desc_style(font(13.0))
        .draw()?;
    for server in servers(rows.iter().map(|r| r.server.as_str())) {
        let colour = colour(server);
        let mine: Vec<&LoadRow> =
            rows.iter().filter(|r| r.server == server).collect();
        let p50: Vec<(usize, f64)> = mine
            .iter()
            .filter_map(|r| {
                Some((r.clients, micros(r.outcome.percentile(0.50)?)))
            })
            .collect();
        let first: Vec<(usize, f64)> = mine
            .iter()
            .filter_map(|r| {
                Some((r.clients, micros(r.outcome.slowest_first_reply?)))
            })
            .collect();
        chart.draw_series(LineSeries::new(
            p50.clone(),
            colour.stroke_width(2),
        ))?;
        chart.draw_series(
            p50.iter().map(|&p| Circle::new(p, 3, colour.filled())),
        )?;
        chart.draw_series(DashedLineSeries::new(
            first,
            5,
            4,
            colour.stroke_width(1),
        ))?;
    }
    Ok(())
}

/// The server's resident memory (MiB) as idle connections were opened.
fn memory(
    area: &Area,
    rows: &[IdleRow],
) -> Result<(), Box<dyn std::error::Error>> {
    let mib = |kb: u64| kb as f64 / 1024.0;
    let most_held = rows
        .iter()
        .flat_map(|r| r.outcome.memory_steps.iter().map(|s| s.0))
        .max()
        .unwrap_or(1)
        .max(1);
    let most_mib = rows
        .iter()
        .flat_map(|r| r.outcome.memory_steps.iter().map(|s| mib(s.1)))
        .fold(4.0f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption("Server memory (VmRSS) beside idle clients", font(15.0))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(50)
        .build_cartesian_2d(0usize..most_held, 0.0f64..most_mib * 1.1)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc("idle connections held")
        .x_labels(6)
        .x_label_formatter(&|v| {
            if *v >= 1000 && v % 1000 == 0 {
                format!("{}k", v / 1000)
            } else {
                v.to_string()
            }
        })
        .y_label_formatter(&|v| format!("{v:.0} MiB"))
        .label_style(font(12.0))
        .axis_desc_style(font(13.0))
        .draw()?;
    for server in servers(rows.iter().map(|r| r.server.as_str())) {
        let colour = colour(server);
        let Some(row) = rows.iter().find(|r| r.server == server) else {
            continue;
        };
        let points: Vec<(usize, f64)> = row
            .outcome
            .memory_steps
            .iter()
            .map(|&(held, kb)| (held, mib(kb)))
            .collect();
        chart.draw_series(LineSeries::new(
            points.clone(),
            colour.stroke_width(2),
        ))?;
        chart.draw_series(
            points.iter().map(|&p| Circle::new(p, 3, colour.filled())),
        )?;
        // A server that stopped accepting ends early: say where.
        if let Some(&(x, y)) = points.last().filter(|p| p.0 < most_held) {
            let style = font(12.0)
                .color(&colour)
                .pos(Pos::new(HPos::Left, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(
                format!("{x} held"),
                (x, y),
                style,
            )))?;
        }
    }
    Ok(())
}

/// The servers in the order they first appear.
fn servers<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

fn duration_label(micros: f64) -> String {
    if micros >= 1e6 {
        format!("{:.0} s", micros / 1e6)
    } else if micros >= 1e3 {
        format!("{:.0} ms", micros / 1e3)
    } else {
        format!("{micros:.0} µs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_scales_with_the_page() {
        let svg = format!("<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\">");
        assert_eq!(
            scalable(&svg),
            format!("<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\">")
        );
    }

    #[test]
    fn draws_every_server_into_a_scalable_svg() {
        use crate::drive::{IdleOutcome, Outcome};
        use std::time::Duration;
        let mut load = Vec::new();
        let mut idle = Vec::new();
        for (i, server) in ["confirm-server", "threads-server", "mio-server"]
            .into_iter()
            .enumerate()
        {
            for clients in [1, 10, 100] {
                let latencies = (1..=100)
                    .map(|n| {
                        Duration::from_micros((n * clients * (i + 1)) as u64)
                    })
                    .collect();
                let outcome = Outcome {
                    confirmed: 100,
                    expected: 100,
                    latencies,
                    ..Outcome::default()
                };
                load.push(LoadRow { server: server.into(), clients, outcome });
            }
            let held = if i == 0 { 130 } else { 5000 };
            let steps = (0..=5)
                .map(|k| {
                    (held * k / 5, 2000 + (k * 1000 * (2 - i.min(2))) as u64)
                })
                .collect();
            let outcome =
                IdleOutcome { memory_steps: steps, ..IdleOutcome::default() };
            idle.push(IdleRow {
                server: server.into(),
                wanted_idle: 5000,
                active: 10,
                outcome,
            });
        }
        let path = std::env::temp_dir()
            .join(format!("course-load-plot-{}.svg", std::process::id()));
        write(&path, &load, &idle, "a caption").unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        if let Some(keep) = std::env::var_os("COURSE_LOAD_PLOT_SAMPLE") {
            std::fs::copy(&path, keep).unwrap();
        }
        std::fs::remove_file(&path).unwrap();
        assert!(
            svg.starts_with(&format!("<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\"")),
            "{}",
            &svg[..80]
        );
        for name in [
            "confirm-server",
            "threads-server",
            "mio-server",
            "130 held",
            "a caption",
        ] {
            assert!(svg.contains(name), "{name} is not in the plot");
        }
    }

    #[test]
    fn labels_read_as_durations() {
        assert_eq!(duration_label(50.0), "50 µs");
        assert_eq!(duration_label(5000.0), "5 ms");
    }
}
