//! `bench_plot`: turns criterion results into one SVG chart (and/or a Markdown table) that
//! compares the runtimes measured in each benchmark group.
//!
//! It reads `<criterion-dir>/<group>/<entry>/new/estimates.json` (the criterion 0.5 `mean`
//! point estimate and its confidence interval, in nanoseconds per iteration) and, when present,
//! `.../new/benchmark.json` (the entry's real name and throughput). Standard library only: the
//! JSON files are small and read with a minimal extractor.
//!
//! ```text
//! cargo run -p stakker-benches --bin bench_plot --release -- \
//!     [--criterion-dir target/criterion] [--groups ping,fanout,spawn,request] \
//!     [--title "..."] [--scale auto|linear|log] [--out docs/benchmarks.svg] [--table]
//! ```
//!
//! Each group becomes one horizontal bar-chart panel with its own axis. `auto` scaling (the
//! default) keeps the axes linear, so bar lengths compare honestly, unless some panel's slowest
//! entry is more than [`LOG_SPREAD`] times its fastest (a peer 20× slower would squash the
//! others into slivers); then every panel gets a log axis, so the chart reads one way throughout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, process};

/// The entry every ratio is relative to.
const BASELINE: &str = "stakker-0.2.16";
/// Entries starting with this name are drawn in [`HIGHLIGHT_COLOUR`].
const HIGHLIGHT: &str = "stakker-core";
/// Colour of the highlighted runtime.
const HIGHLIGHT_COLOUR: &str = "#e8590c";
/// Neutral colours: the first is [`BASELINE`]'s own, the rest are handed out to the other
/// runtimes in sort order (cycling if there are more runtimes than colours).
const NEUTRALS: [&str; 8] = [
    "#495057", "#8d99a6", "#5f7a8c", "#a08f80", "#7d8b6a", "#8a7d9c", "#b3a47c", "#6f9ba8",
];
/// Max/min spread within a panel above which `auto` uses log axes.
const LOG_SPREAD: f64 = 10.0;
/// Default chart title.
const DEFAULT_TITLE: &str = "Stakker benchmarks: time per iteration (lower is better)";

// Layout, in SVG pixels.
/// Total chart width.
const WIDTH: f64 = 960.0;
/// Outer margin.
const MARGIN: f64 = 20.0;
/// Width reserved right of the bars for the value/ratio annotation.
const ANNOT_W: f64 = 150.0;
/// Height of one bar row.
const ROW: f64 = 24.0;
/// Approximate advance of one character at font-size 12 (no font metrics available).
const CHAR_W: f64 = 7.0;

/// One entry's mean time per iteration and its 95% confidence interval, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    /// Point estimate of the mean.
    mean: f64,
    /// Lower bound of the mean's confidence interval.
    lo: f64,
    /// Upper bound of the mean's confidence interval.
    hi: f64,
}

/// One runtime measured in a group.
#[derive(Clone, Debug)]
struct Entry {
    /// Name as given to criterion (`function_id`), else the directory path.
    name: String,
    /// Its timing.
    est: Estimate,
}

/// One criterion benchmark group: a panel of the chart.
#[derive(Debug)]
struct Group {
    /// Directory name (what `--groups` matches).
    dir: String,
    /// Name as given to criterion (`group_id`), else the directory name.
    name: String,
    /// Throughput note such as "10,000 elements/iter", if criterion recorded one.
    throughput: Option<String>,
    /// Entries in [`order_key`] order.
    entries: Vec<Entry>,
}

impl Group {
    /// Mean of the [`BASELINE`] entry, if the group has one.
    fn baseline(&self) -> Option<f64> {
        self.entries
            .iter()
            .find(|e| e.name == BASELINE)
            .map(|e| e.est.mean)
    }
}

// ---------------------------------------------------------------------------------------------
// Minimal JSON extraction

/// Returns the raw text (trimmed) of member `key` of the JSON object that `obj` holds, looking
/// only at the object's own members, not nested ones. `None` if `obj` is not an object or has
/// no such member.
fn member<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    let obj = obj.trim();
    let b = obj.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let (mut depth, mut i) = (0usize, 0usize);
    let mut expect_key = false; // the next string at depth 1 is a member name
    let mut matched = false; // the member name just read is `key`
    let mut start = None; // where the matched member's value begins
    while i < b.len() {
        match b[i] {
            b'"' => {
                let s = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && expect_key {
                    expect_key = false;
                    matched = obj.get(s..i) == Some(key);
                }
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1;
            }
            b':' if depth == 1 && matched && start.is_none() => start = Some(i + 1),
            c @ (b',' | b'}' | b']') => {
                if depth == 1 {
                    if let Some(s) = start {
                        return Some(obj[s..i].trim());
                    }
                    expect_key = c == b',';
                }
                depth = depth.checked_sub(1 - usize::from(c == b','))?;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The JSON number `v`, if it is one.
fn number(v: &str) -> Option<f64> {
    v.parse().ok().filter(|x: &f64| x.is_finite())
}

/// The JSON string `v` unescaped, if it is a string (`null` and others give `None`).
fn string(v: &str) -> Option<String> {
    let mut chars = v.strip_prefix('"')?.strip_suffix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('\u{fffd}'));
            }
            other => out.push(other), // `"`, `\`, `/` (and `b`/`f`, which never occur here)
        }
    }
    Some(out)
}

/// The `mean` estimate of a criterion `estimates.json`.
fn parse_estimates(json: &str) -> Option<Estimate> {
    let mean = member(json, "mean")?;
    let ci = member(mean, "confidence_interval")?;
    Some(Estimate {
        mean: number(member(mean, "point_estimate")?)?,
        lo: number(member(ci, "lower_bound")?)?,
        hi: number(member(ci, "upper_bound")?)?,
    })
}

/// The throughput note of a criterion `benchmark.json`, e.g. "10,000 elements/iter".
fn parse_throughput(json: &str) -> Option<String> {
    let tp = member(json, "throughput")?;
    [
        ("Elements", "elements"),
        ("Bytes", "bytes"),
        ("BytesDecimal", "bytes"),
    ]
    .iter()
    .find_map(|(key, unit)| {
        let n = number(member(tp, key)?)?;
        Some(format!("{} {unit}/iter", group_digits(n as u64)))
    })
}

// ---------------------------------------------------------------------------------------------
// Formatting

/// `n` with a comma every three digits: `10000` → `"10,000"`.
fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `v` with three significant digits (fewer decimals as it grows; no exponent).
fn sig3(v: f64) -> String {
    let dp = match v.abs() {
        a if a >= 99.95 => 0,
        a if a >= 9.995 => 1,
        _ => 2,
    };
    format!("{v:.dp$}")
}

/// A duration in nanoseconds with three significant digits and a fitting unit: `57110.8` →
/// `"57.1 µs"`.
fn format_time(ns: f64) -> String {
    let (v, unit) = match ns.abs() {
        a if a < 999.5 => (ns, "ns"),
        a if a < 999.5e3 => (ns / 1e3, "µs"),
        a if a < 999.5e6 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    };
    format!("{} {unit}", sig3(v))
}

/// An axis tick label: [`format_time`] without trailing zero decimals (`"20.0 µs"` → `"20 µs"`),
/// and a bare `"0"` for zero.
fn format_tick(ns: f64) -> String {
    if ns == 0.0 {
        return "0".to_owned();
    }
    let t = format_time(ns);
    let (num, unit) = t.split_once(' ').unwrap_or((&t, ""));
    let num = if num.contains('.') {
        num.trim_end_matches('0').trim_end_matches('.')
    } else {
        num
    };
    format!("{num} {unit}")
}

/// A time ratio: `0.8412` → `"0.84×"`, `20.34` → `"20.3×"`, `0.0421` → `"0.042×"`.
fn format_ratio(r: f64) -> String {
    let dp = match r {
        r if r >= 99.95 => 0,
        r if r >= 9.995 => 1,
        r if r >= 0.0995 => 2,
        _ => 3,
    };
    format!("{r:.dp$}×")
}

/// `s` escaped for XML text and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Stable display order: [`HIGHLIGHT`] first, [`BASELINE`] second, the rest alphabetically.
fn order_key(name: &str) -> (u8, &str) {
    let rank = if name.starts_with(HIGHLIGHT) {
        0
    } else if name == BASELINE {
        1
    } else {
        2
    };
    (rank, name)
}

// ---------------------------------------------------------------------------------------------
// Loading

/// Loads every group under `root` (skipping criterion's `report` dirs), sorted by directory
/// name. Unreadable entries are reported on stderr and skipped.
fn load_all(root: &Path) -> Result<Vec<Group>, String> {
    let mut groups = Vec::new();
    for dir in subdirs(root).map_err(|e| format!("cannot read {}: {e}", root.display()))? {
        let dir_name = file_name(&dir);
        let mut group = Group {
            name: dir_name.clone(),
            dir: dir_name,
            throughput: None,
            entries: Vec::new(),
        };
        collect(&dir, "", &mut group);
        group
            .entries
            .sort_by(|a, b| order_key(&a.name).cmp(&order_key(&b.name)));
        if !group.entries.is_empty() {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// Sorted subdirectories of `dir`, except criterion's `report` dirs.
fn subdirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && file_name(p) != "report")
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The last component of `p`, lossily.
fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Adds the entry at `dir` (path `rel` inside the group) to `group`, or recurses into its
/// subdirectories if it is not an entry (parameterised benchmarks nest one level deeper).
fn collect(dir: &Path, rel: &str, group: &mut Group) {
    let new = dir.join("new");
    let Ok(json) = fs::read_to_string(new.join("estimates.json")) else {
        for sub in subdirs(dir).unwrap_or_default() {
            let name = file_name(&sub);
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            collect(&sub, &rel, group);
        }
        return;
    };
    let Some(est) = parse_estimates(&json) else {
        eprintln!("bench_plot: skipping {}: no mean estimate", dir.display());
        return;
    };
    let bench = fs::read_to_string(new.join("benchmark.json")).unwrap_or_default();
    if let Some(g) = member(&bench, "group_id").and_then(string) {
        group.name = g;
    }
    group.throughput = group.throughput.take().or_else(|| parse_throughput(&bench));
    let id = member(&bench, "function_id").and_then(string);
    let value = member(&bench, "value_str").and_then(string);
    let name = match (id, value) {
        (Some(f), Some(v)) => format!("{f}/{v}"),
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) if rel.is_empty() => group.dir.clone(),
        (None, None) => rel.to_owned(),
    };
    group.entries.push(Entry { name, est });
}

// ---------------------------------------------------------------------------------------------
// Markdown table

/// The Markdown table of `groups`: group, entry, mean and ratio to [`BASELINE`].
fn table(groups: &[Group]) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = format!("| group | entry | mean | vs {BASELINE} |\n|---|---|---:|---:|\n");
    for g in groups {
        let base = g.baseline();
        for e in &g.entries {
            let ratio = base.map_or_else(|| "–".to_owned(), |b| format_ratio(e.est.mean / b));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {ratio} |",
                cell(&g.name),
                cell(&e.name),
                format_time(e.est.mean)
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// SVG

/// How a panel maps times onto its bar area.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    /// From 0 to the given maximum.
    Linear(f64),
    /// Logarithmic between the given bounds (both > 0).
    Log(f64, f64),
}

/// What `--scale` asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ScaleMode {
    /// Linear unless some panel's spread exceeds [`LOG_SPREAD`].
    Auto,
    /// Always linear.
    Linear,
    /// Always logarithmic.
    Log,
}

impl Scale {
    /// The smallest mean and the largest value (mean or CI upper bound) of `entries`, both > 0.
    fn range(entries: &[Entry]) -> (f64, f64) {
        let max = entries
            .iter()
            .map(|e| e.est.hi.max(e.est.mean))
            .fold(f64::MIN_POSITIVE, f64::max);
        let min = entries
            .iter()
            .map(|e| e.est.mean)
            .fold(f64::INFINITY, f64::min)
            .max(f64::MIN_POSITIVE);
        (min, max)
    }

    /// Whether `mode` means log axes for the panels of `groups`.
    fn use_log(groups: &[Group], mode: ScaleMode) -> bool {
        match mode {
            ScaleMode::Auto => groups.iter().any(|g| {
                let (min, max) = Scale::range(&g.entries);
                max / min > LOG_SPREAD
            }),
            ScaleMode::Linear => false,
            ScaleMode::Log => true,
        }
    }

    /// The (log or linear) scale for a panel of `entries`.
    fn choose(entries: &[Entry], log: bool) -> Scale {
        let (min, max) = Scale::range(entries);
        if log {
            // Start a decade boundary below half the fastest mean so its bar stays visible.
            let floor = 10f64.powf((min / 2.0).log10().floor());
            Scale::Log(floor, max.max(floor * 10.0))
        } else {
            Scale::Linear(max)
        }
    }

    /// Where `v` falls on the axis, from 0.0 to 1.0.
    fn frac(self, v: f64) -> f64 {
        let f = match self {
            Scale::Linear(max) => v / max,
            Scale::Log(lo, hi) => (v.max(lo) / lo).ln() / (hi / lo).ln(),
        };
        f.clamp(0.0, 1.0)
    }

    /// Gridline positions: round values (1, 2, 2.5 or 5 × 10ⁿ steps) or decades.
    fn ticks(self) -> Vec<f64> {
        match self {
            Scale::Linear(max) => {
                let raw = max / 5.0;
                let mag = 10f64.powf(raw.log10().floor());
                let step = mag
                    * [1.0, 2.0, 2.5, 5.0, 10.0]
                        .into_iter()
                        .find(|m| m * mag >= raw)
                        .unwrap_or(10.0);
                (0..)
                    .map(|i| f64::from(i) * step)
                    .take_while(|&t| t <= max * 1.0001)
                    .collect()
            }
            Scale::Log(lo, hi) => {
                let decades = (hi / lo).log10();
                let steps: &[f64] = if decades <= 2.0 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                (0..=decades.ceil() as i32)
                    .flat_map(|d| steps.iter().map(move |m| lo * 10f64.powi(d) * m))
                    .filter(|&t| t <= hi * 1.0001)
                    .collect()
            }
        }
    }
}

/// Colour of `name`, given every plotted entry name in [`order_key`] order.
fn colour(name: &str, all: &[&str]) -> &'static str {
    if name.starts_with(HIGHLIGHT) {
        return HIGHLIGHT_COLOUR;
    }
    if name == BASELINE {
        return NEUTRALS[0];
    }
    let others = &NEUTRALS[1..];
    let idx = all
        .iter()
        .filter(|n| !n.starts_with(HIGHLIGHT) && **n != BASELINE)
        .position(|n| *n == name)
        .unwrap_or(0);
    others[idx % others.len()]
}

/// Renders `groups` as one SVG document.
fn svg(groups: &[Group], title: &str, mode: ScaleMode) -> String {
    let log = Scale::use_log(groups, mode);
    let mut all: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.entries.iter().map(|e| e.name.as_str()))
        .collect();
    all.sort_by_key(|n| order_key(n));
    all.dedup();
    let longest = all.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f64;
    let label_w = (longest * CHAR_W + 16.0).clamp(110.0, 280.0);
    let bar_x = MARGIN + label_w;
    let bar_w = WIDTH - bar_x - ANNOT_W - MARGIN;

    let mut body = String::new();
    let mut y = 26.0;
    let _ = write!(
        body,
        r#"<text x="{MARGIN}" y="{y}" font-size="19" font-weight="bold">{}</text>"#,
        xml(title)
    );
    y += 22.0;
    for line in [
        "Bars: criterion mean time per iteration; whiskers: its 95% confidence interval."
            .to_owned(),
        format!(
            "Ratios: time ÷ {BASELINE} time (below 1× is faster). Each panel has its own {} axis.",
            if log { "logarithmic" } else { "linear" }
        ),
    ] {
        let _ = write!(
            body,
            r##"<text x="{MARGIN}" y="{y}" fill="#555">{}</text>"##,
            xml(&line)
        );
        y += 17.0;
    }

    // Legend, wrapping onto further rows as needed.
    y -= 3.0;
    let mut x = MARGIN;
    for name in &all {
        let w = 12.0 + 6.0 + name.chars().count() as f64 * CHAR_W + 18.0;
        if x + w > WIDTH - MARGIN && x > MARGIN {
            x = MARGIN;
            y += 20.0;
        }
        let _ = write!(
            body,
            r#"<rect x="{x}" y="{y}" width="12" height="12" rx="2" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            colour(name, &all),
            x + 18.0,
            y + 10.5,
            xml(name)
        );
        x += w;
    }
    y += 26.0;

    for g in groups {
        y = panel(&mut body, g, &all, log, y, bar_x, bar_w);
    }
    let height = y + MARGIN - 14.0;
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" "#,
            r##"font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="#212529">"##,
            "\n",
            r##"<rect width="100%" height="100%" fill="#ffffff"/>"##,
            "\n{body}\n</svg>\n"
        ),
        w = WIDTH,
        h = height,
        body = body
    )
}

/// Draws the panel of group `g` with its top at `y` and returns the top of the next panel.
fn panel(
    out: &mut String,
    g: &Group,
    all: &[&str],
    log: bool,
    y: f64,
    bar_x: f64,
    bar_w: f64,
) -> f64 {
    let scale = Scale::choose(&g.entries, log);
    let xpos = |v: f64| bar_x + scale.frac(v) * bar_w;
    let mut note: Vec<&str> = g.throughput.iter().map(String::as_str).collect();
    if log {
        note.push("log scale");
    }
    let _ = write!(
        out,
        r##"<line x1="{MARGIN}" y1="{y}" x2="{}" y2="{y}" stroke="#dee2e6"/><text x="{MARGIN}" y="{}" font-size="14" font-weight="bold">{}<tspan dx="10" font-size="12" font-weight="normal" fill="#6c757d">{}</tspan></text>"##,
        WIDTH - MARGIN,
        y + 20.0,
        xml(&g.name),
        xml(&note.join(" · "))
    );
    let top = y + 30.0;
    let bottom = top + ROW * g.entries.len() as f64;

    // Gridlines and tick labels, skipping labels that would collide with the previous one.
    let mut last_label = f64::NEG_INFINITY;
    for t in scale.ticks() {
        let x = xpos(t);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{bottom}" stroke="#e9ecef"/>"##
        );
        if x - last_label >= 56.0 {
            last_label = x;
            let _ = write!(
                out,
                r##"<text x="{x:.1}" y="{}" font-size="10" fill="#868e96" text-anchor="middle">{}</text>"##,
                bottom + 13.0,
                xml(&format_tick(t))
            );
        }
    }

    let base = g.baseline();
    for (i, e) in g.entries.iter().enumerate() {
        let row = top + ROW * i as f64;
        let mid = row + ROW / 2.0;
        let end = xpos(e.est.mean);
        let (lo, hi) = (xpos(e.est.lo), xpos(e.est.hi));
        let bold = if e.name.starts_with(HIGHLIGHT) {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end"{bold}>{}</text>"#,
            bar_x - 8.0,
            mid + 4.0,
            xml(&e.name)
        );
        let _ = write!(
            out,
            r#"<rect x="{bar_x}" y="{}" width="{:.1}" height="{}" fill="{}"><title>{}</title></rect>"#,
            row + 4.0,
            (end - bar_x).max(1.5),
            ROW - 8.0,
            colour(&e.name, all),
            xml(&format!(
                "{}/{}: {} (95% CI {} – {})",
                g.name,
                e.name,
                format_time(e.est.mean),
                format_time(e.est.lo),
                format_time(e.est.hi)
            ))
        );
        let _ = write!(
            out,
            r##"<path d="M{lo:.1} {mid}H{hi:.1}M{lo:.1} {}V{}M{hi:.1} {}V{}" stroke="#212529" stroke-width="1.2" fill="none"/>"##,
            mid - 4.0,
            mid + 4.0,
            mid - 4.0,
            mid + 4.0
        );
        let ratio = base.map(|b| {
            format!(
                r##"<tspan dx="8" fill="#6c757d" font-weight="normal">{}</tspan>"##,
                format_ratio(e.est.mean / b)
            )
        });
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}"{bold}>{}{}</text>"#,
            end.max(hi) + 6.0,
            mid + 4.0,
            format_time(e.est.mean),
            ratio.unwrap_or_default()
        );
    }
    bottom + 30.0
}

// ---------------------------------------------------------------------------------------------
// Command line

/// Parsed command-line options.
#[derive(Debug)]
struct Opts {
    /// Criterion output root.
    dir: PathBuf,
    /// Groups to plot, in this order (all, by name, if `None`).
    groups: Option<Vec<String>>,
    /// Chart title.
    title: String,
    /// Panel scaling.
    scale: ScaleMode,
    /// Where to write the SVG, if anywhere.
    out: Option<PathBuf>,
    /// Print the Markdown table to stdout.
    table: bool,
}

/// Usage text.
const USAGE: &str = "usage: bench_plot [--criterion-dir DIR] [--groups G1,G2,..] [--title TEXT] \
                     [--scale auto|linear|log] [--out FILE.svg] [--table]";

/// Parses the arguments after the program name.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Opts, String> {
    let mut o = Opts {
        dir: PathBuf::from("target/criterion"),
        groups: None,
        title: DEFAULT_TITLE.to_owned(),
        scale: ScaleMode::Auto,
        out: None,
        table: false,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--criterion-dir" => o.dir = value()?.into(),
            "--groups" => {
                o.groups = Some(
                    value()?
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "--title" => o.title = value()?,
            "--out" => o.out = Some(value()?.into()),
            "--scale" => {
                o.scale = match value()?.as_str() {
                    "auto" => ScaleMode::Auto,
                    "linear" => ScaleMode::Linear,
                    "log" => ScaleMode::Log,
                    s => return Err(format!("unknown --scale {s:?}")),
                }
            }
            "--table" => o.table = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if o.out.is_none() && !o.table {
        return Err(format!("nothing to do: give --out and/or --table\n{USAGE}"));
    }
    Ok(o)
}

/// Loads, selects, and writes the requested outputs.
fn run(o: &Opts) -> Result<(), String> {
    let mut groups = load_all(&o.dir)?;
    if let Some(wanted) = &o.groups {
        let have: Vec<String> = groups.iter().map(|g| g.dir.clone()).collect();
        let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
        let mut picked = Vec::new();
        for w in wanted {
            let slot = slots
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|g| &g.dir == w || &g.name == w));
            let Some(g) = slot.and_then(Option::take) else {
                return Err(format!(
                    "no results for group {w:?} in {} (have: {})",
                    o.dir.display(),
                    have.join(", ")
                ));
            };
            picked.push(g);
        }
        groups = picked;
    }
    if groups.is_empty() {
        return Err(format!("no criterion results under {}", o.dir.display()));
    }
    if let Some(out) = &o.out {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(out, svg(&groups, &o.title, o.scale))
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        eprintln!(
            "bench_plot: wrote {} ({} groups)",
            out.display(),
            groups.len()
        );
    }
    if o.table {
        print!("{}", table(&groups));
    }
    Ok(())
}

fn main() {
    if let Err(e) = parse_args(env::args().skip(1)).and_then(|o| run(&o)) {
        eprintln!("bench_plot: {e}");
        process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real criterion 0.5 `estimates.json` (ping/stakker-core).
    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":56982.4599609375,"upper_bound":57239.220703125},"point_estimate":57110.84033203125,"standard_error":91.1133403812125},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"slope":null}"#;

    #[test]
    fn extracts_mean_estimate() {
        let est = parse_estimates(ESTIMATES).unwrap();
        assert_eq!(
            est,
            Estimate {
                mean: 57110.84033203125,
                lo: 56982.4599609375,
                hi: 57239.220703125
            }
        );
    }

    #[test]
    fn extractor_ignores_whitespace_order_and_nested_keys() {
        // Pretty-printed, `mean` last, and a nested `point_estimate` before the real one.
        let json = "{\n  \"median\" : { \"point_estimate\" : 1.0 },\n  \"mean\" :\n  {\n    \"point_estimate\" :\t2.5e3 ,\n    \"confidence_interval\" : { \"upper_bound\" : 3000 , \"lower_bound\" : 2000.0 }\n  }\n}\n";
        assert_eq!(
            parse_estimates(json),
            Some(Estimate {
                mean: 2500.0,
                lo: 2000.0,
                hi: 3000.0
            })
        );
        assert_eq!(
            member(json, "point_estimate"),
            None,
            "nested members are not top-level"
        );
        assert_eq!(
            member(r#"{"a": [1, {"b": 2}], "b": "x,}"}"#, "b"),
            Some(r#""x,}""#)
        );
        assert_eq!(parse_estimates(r#"{"mean": null}"#), None);
        assert_eq!(parse_estimates("not json"), None);
    }

    #[test]
    fn extracts_benchmark_names_and_throughput() {
        let json = r#"{"group_id":"wake_latency","function_id":"stakker/idle_1ms","value_str":null,"throughput":{"Elements":10000},"title":"a \"q\" \u00b5"}"#;
        assert_eq!(
            member(json, "function_id").and_then(string).as_deref(),
            Some("stakker/idle_1ms")
        );
        assert_eq!(member(json, "value_str").and_then(string), None);
        assert_eq!(
            member(json, "title").and_then(string).as_deref(),
            Some("a \"q\" µ")
        );
        assert_eq!(
            parse_throughput(json).as_deref(),
            Some("10,000 elements/iter")
        );
        assert_eq!(parse_throughput(r#"{"throughput":null}"#), None);
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_time(57110.84033203125), "57.1 µs");
        assert_eq!(format_time(5.0), "5.00 ns");
        assert_eq!(format_time(999.4), "999 ns");
        assert_eq!(format_time(999.6), "1.00 µs");
        assert_eq!(format_time(12_345.0), "12.3 µs");
        assert_eq!(format_time(1_234_567.0), "1.23 ms");
        assert_eq!(format_time(2.5e9), "2.50 s");
        assert_eq!(format_tick(20_000.0), "20 µs");
        assert_eq!(format_tick(2_500.0), "2.5 µs");
        assert_eq!(format_tick(0.0), "0");
    }

    #[test]
    fn formats_ratios_and_digits() {
        assert_eq!(format_ratio(0.8412), "0.84×");
        assert_eq!(format_ratio(1.0), "1.00×");
        assert_eq!(format_ratio(20.34), "20.3×");
        assert_eq!(format_ratio(123.4), "123×");
        assert_eq!(format_ratio(0.0421), "0.042×");
        assert_eq!(group_digits(100_000), "100,000");
        assert_eq!(group_digits(999), "999");
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(
            xml(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }

    #[test]
    fn orders_core_then_original_then_alphabetical() {
        let mut names = vec![
            "tokio-local",
            "stakker-0.2.16",
            "actix-0.13",
            "stakker-core",
        ];
        names.sort_by_key(|n| order_key(n));
        assert_eq!(
            names,
            [
                "stakker-core",
                "stakker-0.2.16",
                "actix-0.13",
                "tokio-local"
            ]
        );
    }

    #[test]
    fn scales_and_ticks() {
        let entry = |mean: f64| Entry {
            name: String::new(),
            est: Estimate {
                mean,
                lo: mean,
                hi: mean,
            },
        };
        let close = [entry(50_000.0), entry(60_000.0)];
        let wide = [entry(50_000.0), entry(2_000_000.0)];
        let group = |entries| Group {
            dir: String::new(),
            name: String::new(),
            throughput: None,
            entries,
        };
        let (close_g, wide_g) = (group(close.to_vec()), group(wide.to_vec()));
        assert!(!Scale::use_log(
            std::slice::from_ref(&close_g),
            ScaleMode::Auto
        ));
        assert!(Scale::use_log(&[close_g, wide_g], ScaleMode::Auto));
        assert_eq!(Scale::choose(&close, false), Scale::Linear(60_000.0));
        assert_eq!(
            Scale::Linear(60_000.0).ticks(),
            [0.0, 20_000.0, 40_000.0, 60_000.0]
        );
        assert_eq!(
            Scale::Linear(9_000.0).ticks(),
            [0.0, 2_000.0, 4_000.0, 6_000.0, 8_000.0]
        );
        assert_eq!(
            Scale::choose(&wide, true),
            Scale::Log(10_000.0, 2_000_000.0)
        );
        assert_eq!(
            Scale::Log(10_000.0, 2_000_000.0).ticks(),
            [10_000.0, 100_000.0, 1_000_000.0]
        );
        assert!((Scale::Log(10.0, 1000.0).frac(100.0) - 0.5).abs() < 1e-12);
    }
}
