//! `heapsnap`: the command-line analyzer.

use std::process::ExitCode;

#[cfg(target_os = "linux")]
mod huge_pages;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: huge_pages::HugePages = huge_pages::HugePages;

use heapsnap::humanize::{bytes, length_unit, signed, signed_bytes, thousands};
use heapsnap::{analyze, labelled_sites, top_retainers, Analysis, Comparison, Retained, Snapshot, SortKey, Summary};

const USAGE: &str = "\
heapsnap — analyze Python heap snapshots written by heapsnap.py

USAGE:
    heapsnap diff [OPTIONS] SNAPSHOT SNAPSHOT [SNAPSHOT …]
        Leak suspects across the snapshots (ordered by capture time), then the per-type
        comparison of the oldest and the newest.
    heapsnap summary [--top N] [--json] FILE
    heapsnap top --retained [--top N] [--type TYPE] [--json] FILE
        The objects and types that retain most: what would be freed if they let go
        (dominator tree; needs a snapshot captured with edges: capture(path, edges=True)).
        With --type, the holders that retain most of the objects of TYPE.

OPTIONS:
    --top N                 rows to print (default 10 suspects, 25 types; 0 = all)
    --sort COLUMN           type table order: bytes-delta (default), count-delta, new, deleted,
                            new-bytes, freed-bytes, type
    --json                  machine-readable output
    --fail-on-growth SIZE   exit 1 when a suspect grew by SIZE or more (bytes; k, M, G suffixes)

EXIT CODES:
    0  success
    1  --fail-on-growth: a suspect grew past the threshold
    2  bad usage, or a snapshot that cannot be read
";

/// Appends one formatted line to a `String`.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Writes the report; a closed pipe (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// Parsed command-line options.
struct Options {
    top: Option<usize>,
    fail_on_growth: Option<i64>,
    sort: SortKey,
    json: bool,
    retained: bool,
    type_name: Option<String>,
    files: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::GrowthOverThreshold) => ExitCode::from(1),
        Err(message) => {
            eprintln!("heapsnap: {message}");
            ExitCode::from(2)
        }
    }
}

/// How a successful run ended.
enum Outcome {
    Clean,
    GrowthOverThreshold,
}

fn run(args: &[String]) -> Result<Outcome, String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(Outcome::Clean);
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(Outcome::Clean)
        }
        "diff" => {
            let opts = parse_options(rest)?;
            if opts.files.len() < 2 {
                return Err(format!("diff takes two or more snapshot files, got {}\n\n{USAGE}", opts.files.len()));
            }
            let snaps = load_all(&opts.files)?;
            let refs: Vec<&Snapshot> = snaps.iter().collect();
            let mut analysis = analyze(&refs, opts.top.map_or(10, limit));
            analysis.comparison.sort_by(opts.sort, opts.sort != SortKey::TypeName);
            if opts.json {
                println!("{}", serde_json::to_string_pretty(&analysis).map_err(|e| e.to_string())?);
            } else {
                let mut out = String::new();
                print_analysis(&mut out, &analysis, opts.top);
                emit(&out);
            }
            let over = opts.fail_on_growth.is_some_and(|t| analysis.suspects.iter().any(|s| s.net_bytes >= t));
            Ok(if over { Outcome::GrowthOverThreshold } else { Outcome::Clean })
        }
        "summary" => {
            let opts = parse_options(rest)?;
            let [file] = opts.files.as_slice() else {
                return Err(format!("summary takes one snapshot file\n\n{USAGE}"));
            };
            let snap = load(file)?;
            // With edges, a retained column (the dominator tree costs about a second per million objects).
            let retained = Retained::of(&snap);
            let summary = Summary::with_retained(&snap, retained.as_ref().map(|r| r.by_type.as_slice()));
            if opts.json {
                println!("{}", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?);
            } else {
                let mut out = String::new();
                print_summary(&mut out, &summary, opts.top.unwrap_or(25));
                emit(&out);
            }
            Ok(Outcome::Clean)
        }
        "top" => {
            let opts = parse_options(rest)?;
            let [file] = opts.files.as_slice() else {
                return Err(format!("top takes one snapshot file\n\n{USAGE}"));
            };
            if !opts.retained {
                return Err(format!("top needs --retained (the only order it knows)\n\n{USAGE}"));
            }
            let snap = load(file)?;
            let retained = Retained::of(&snap).ok_or_else(|| {
                format!("{file}: no reference edges; capture with heapsnap.capture(path, edges=True) or --edges")
            })?;
            let top = opts.top.map_or(20, limit);
            if let Some(name) = &opts.type_name {
                let mut out = String::new();
                print_type_holders(&mut out, &snap, &retained, name, top)?;
                emit(&out);
                return Ok(Outcome::Clean);
            }
            let objects = top_retainers(&snap, &retained, top);
            if opts.json {
                let types: Vec<(&str, u64)> = type_totals(&snap, &retained).into_iter().take(top).collect();
                let json = serde_json::json!({ "objects": objects, "types": types, "edges": retained.edges });
                println!("{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?);
            } else {
                let mut out = String::new();
                print_retained(&mut out, &snap, &retained, &objects, top);
                emit(&out);
            }
            Ok(Outcome::Clean)
        }
        other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        top: None,
        fail_on_growth: None,
        sort: SortKey::BytesDelta,
        json: false,
        retained: false,
        type_name: None,
        files: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--top" => {
                let v = it.next().ok_or("--top needs a number")?;
                opts.top = Some(v.parse().map_err(|_| format!("--top needs a number, got '{v}'"))?);
            }
            "--sort" => {
                let v = it.next().ok_or("--sort needs a column name")?;
                opts.sort = SortKey::from_name(v).ok_or_else(|| format!("unknown sort column '{v}'"))?;
            }
            "--json" => opts.json = true,
            "--retained" => opts.retained = true,
            "--type" => opts.type_name = Some(it.next().ok_or("--type needs a type name")?.clone()),
            "--fail-on-growth" => {
                let v = it.next().ok_or("--fail-on-growth needs a size")?;
                opts.fail_on_growth = Some(
                    parse_size(v).ok_or_else(|| format!("--fail-on-growth needs a size like 500k or 2M, got '{v}'"))?,
                );
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            file => opts.files.push(file.to_owned()),
        }
    }
    Ok(opts)
}

/// `123`, `500k`, `2M`, `1G` (binary units) as bytes.
fn parse_size(s: &str) -> Option<i64> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => (&s[..at], s[at..].trim_start().to_ascii_lowercase()),
        None => (s, String::new()),
    };
    let n: i64 = digits.parse().ok()?;
    let scale = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// Reads and parses the files, two at a time, each with its id index built in its thread.
fn load_all(paths: &[String]) -> Result<Vec<Snapshot>, String> {
    let mut out = Vec::with_capacity(paths.len());
    for pair in paths.chunks(2) {
        let loaded: Vec<Result<Snapshot, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|p| {
                    s.spawn(move || {
                        let snap = load(p)?;
                        snap.by_id();
                        Ok(snap)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("parser thread")).collect()
        });
        for snap in loaded {
            out.push(snap?);
        }
    }
    Ok(out)
}

/// Reads a snapshot file a window at a time (plain or gzip): neither the file nor its text is ever
/// in memory whole.
fn load(path: &str) -> Result<Snapshot, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let size = file.metadata().ok().map(|m| m.len());
    Snapshot::read_from(path, file, size, &heapsnap::ReadOptions::default()).map_err(|e| e.to_string())
}

fn limit(top: usize) -> usize {
    if top == 0 {
        usize::MAX
    } else {
        top
    }
}

/// The file name of a path, for tables.
fn base_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Shortens `s` to `width` characters, marking the cut with `…`.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// [`fit`], cut at the front: a path's end names the file.
fn fit_end(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    std::iter::once('…').chain(s.chars().skip(n - (width - 1))).collect()
}

fn print_analysis(out: &mut String, a: &Analysis, top: Option<usize>) {
    put!(out, "Snapshots, oldest first:");
    for s in &a.snapshots {
        let coverage = s
            .rss_coverage
            .map_or(String::new(), |c| format!("; {:.0}% of RSS {}", c * 100.0, bytes(s.rss.unwrap_or(0) as i64)));
        let time = s.time.as_deref().map_or("(no time)".to_owned(), |t| t.replace('T', " ").chars().take(19).collect());
        let name = base_name(&s.name);
        put!(
            out,
            "  {time}  {}  {} objects, {}{coverage}",
            fit(&name, 28),
            thousands(s.objects as i64),
            bytes(s.bytes as i64)
        );
    }
    for note in a.snapshots.iter().flat_map(|s| &s.notes) {
        print_wrapped(out, "  note: ", note);
    }
    put!(out, "");
    if a.suspects.is_empty() {
        put!(out, "No leak suspects: no holder grew by 1 KiB or more (a one-off jump counts less than steady growth).");
    } else {
        put!(out, "Leak suspects, most likely first:");
    }
    for (i, s) in a.suspects.iter().enumerate() {
        put!(out, "");
        print_wrapped(out, &format!("{}. ", i + 1), &s.sentence);
        if let Some(g) = s.entries.first() {
            for example in g.examples.iter().take(2) {
                put!(out, "     e.g. {}", fit(example, 88));
            }
        }
        for (site, count) in labelled_sites(&s.sites).iter().take(3) {
            put!(out, "     {} × {}", fit_end(site, 80), thousands(*count as i64));
        }
        if !s.retained.is_empty() {
            let series: Vec<String> =
                s.retained.iter().map(|r| r.map_or("–".to_owned(), |b| bytes(b as i64))).collect();
            put!(out, "     retains {} (what would be freed if it let go)", series.join(" → "));
        }
    }
    if !a.growing.is_empty() {
        put!(out, "");
        put!(out, "Growing containers (in both the oldest and the newest snapshot):");
        for g in a.growing.iter().take(top.map_or(5, limit)) {
            if let Some(s) = &g.siblings {
                put!(
                    out,
                    "  {} ({} × {}) {} → {} {} in all; the one that grew most:",
                    fit(&s.pattern, 50),
                    thousands(s.count as i64),
                    g.type_name,
                    thousands(s.len_before as i64),
                    thousands(s.len_after as i64),
                    length_unit(&g.type_name)
                );
            }
            put!(
                out,
                "  {}{} ({}) {} → {} {}",
                if g.siblings.is_some() { "  " } else { "" },
                fit(&g.path, 60),
                g.type_name,
                thousands(g.len_before as i64),
                thousands(g.len_after as i64),
                length_unit(&g.type_name)
            );
            if !g.added.is_empty() {
                let more = g.added_total.saturating_sub(g.added.len() as u64);
                let listed = g.added.iter().take(4).cloned().collect::<Vec<_>>().join(" ");
                put!(
                    out,
                    "     + {}{}",
                    fit(&listed, 80),
                    if more > 0 { format!(" (+{} more)", thousands(more as i64)) } else { String::new() }
                );
            }
        }
    }
    if !a.new_groups.is_empty() {
        put!(out, "");
        put!(out, "New objects by shape:");
        let shown = || a.new_groups.iter().take(3).flat_map(|t| t.groups.iter().take(3));
        // The type column is as wide as the longest type shown (16 to 32); the shape takes the rest of 100.
        let width = shown().map(|g| g.type_name.chars().count()).max().unwrap_or(0).clamp(16, 32);
        for g in shown() {
            put!(
                out,
                "  {:>9} × {:<width$} {:>10}  {}",
                thousands(g.count as i64),
                fit(&g.type_name, width),
                bytes(g.bytes as i64),
                fit(&g.shape, 73 - width)
            );
        }
    }
    put!(out, "");
    print_comparison(out, &a.comparison, top.unwrap_or(25));
}

/// Prints `text` after `lead`, wrapped at 100 columns with a hanging indent.
fn print_wrapped(out: &mut String, lead: &str, text: &str) {
    let indent = " ".repeat(lead.chars().count().max(5));
    let mut line = format!("{lead:<5}");
    let mut fresh = true;
    for word in text.split(' ') {
        if !fresh && line.chars().count() + 1 + word.chars().count() > 100 {
            put!(out, "{line}");
            line = indent.clone();
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    put!(out, "{line}");
}

fn print_comparison(out: &mut String, c: &Comparison, top: usize) {
    put!(out, "Types, {} → {}", fit(&base_name(&c.before), 45), fit(&base_name(&c.after), 45));
    put!(
        out,
        "{:<34} {:>10} {:>10} {:>11} {:>14} {:>14}",
        "type",
        "#new",
        "#deleted",
        "Δcount",
        "Δbytes",
        "bytes after"
    );
    for row in c.rows.iter().filter(|r| r.new_count > 0 || r.deleted_count > 0).take(limit(top)) {
        put!(
            out,
            "{:<34} {:>10} {:>10} {:>11} {:>14} {:>14}",
            fit(&row.type_name, 34),
            thousands(row.new_count as i64),
            thousands(row.deleted_count as i64),
            signed(row.count_delta()),
            signed_bytes(row.bytes_delta()),
            bytes(row.bytes_after as i64),
        );
    }
    let (dc, db): (i64, i64) =
        c.rows.iter().map(|r| (r.count_delta(), r.bytes_delta())).fold((0, 0), |s, x| (s.0 + x.0, s.1 + x.1));
    put!(out, "total: {} objects, {}", signed(dc), signed_bytes(db));
}

fn print_type_holders(out: &mut String, snap: &Snapshot, r: &Retained, name: &str, top: usize) -> Result<(), String> {
    let t = snap
        .type_names()
        .iter()
        .position(|t| **t == *name)
        .ok_or_else(|| format!("{}: no object of type '{name}'", snap.name()))?;
    put!(out, "{}", snap.name());
    put!(out, "the holders that retain most {name} objects:");
    put!(out, "{:>11} {:>9}  holder", "retained", "objects");
    for (h, b, n) in r.holders_of_type(snap, t as u32, top) {
        let o = snap.object(h);
        let path = heapsnap::path_or_address(snap, h);
        put!(
            out,
            "{:>11} {:>9}  {} ({})",
            bytes(b as i64),
            thousands(n as i64),
            fit(&path, 60),
            fit(o.type_name(), 14)
        );
    }
    Ok(())
}

/// Types by retained bytes, largest first (ties by name).
fn type_totals<'s>(snap: &'s Snapshot, retained: &Retained) -> Vec<(&'s str, u64)> {
    let mut types: Vec<(&str, u64)> =
        snap.type_names().iter().zip(&retained.by_type).map(|(t, &b)| (&**t, b)).filter(|&(_, b)| b > 0).collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    types
}

fn print_retained(out: &mut String, snap: &Snapshot, retained: &Retained, top: &[heapsnap::Retainer], n: usize) {
    put!(out, "{}", snap.name());
    put!(
        out,
        "{} objects, {} references; retained = what would be freed if the object let go",
        thousands(snap.len() as i64),
        thousands(retained.edges as i64)
    );
    put!(out, "");
    put!(out, "{:>11} {:>10}  {:<22} path and contents", "retained", "shallow", "type");
    for r in top {
        put!(
            out,
            "{:>11} {:>10}  {:<22} {}",
            bytes(r.retained as i64),
            bytes(r.shallow as i64),
            fit(&r.type_name, 22),
            fit(&r.path, 52)
        );
        put!(out, "{:>47}{}", "", fit(&r.contents, 52));
    }
    put!(out, "");
    put!(out, "{:>11}  {:<50}", "retained", "type (objects not inside another of the same type)");
    for (t, b) in type_totals(snap, retained).into_iter().take(n) {
        put!(out, "{:>11}  {}", bytes(b as i64), fit(t, 86));
    }
}

fn print_summary(out: &mut String, s: &Summary, top: usize) {
    put!(out, "{}: {} objects, {}", s.name, thousands(s.objects as i64), bytes(s.bytes as i64));
    if let Some(rss) = s.rss.filter(|&r| r > 0) {
        put!(out, "Python objects explain {:.0}% of RSS ({})", 100.0 * s.bytes as f64 / rss as f64, bytes(rss as i64));
    }
    if let Some(n) = s.unreached.filter(|&n| n > 0) {
        let why = match (s.garbage, s.gc_disabled) {
            (Some(g), disabled) => format!(
                "{} kept by C code, {} garbage in reference cycles ({})",
                thousands(n.saturating_sub(g) as i64),
                thousands(g as i64),
                if disabled { "never freed: the process disabled gc" } else { "freed at the collector's next run" }
            ),
            (None, true) => "garbage in reference cycles (the process disabled gc), or kept by C code".to_owned(),
            (None, false) => "kept by C code, or garbage not collected yet".to_owned(),
        };
        put!(out, "{} objects no root reaches (each with what it holds): {why}", thousands(n as i64));
    }
    let with_retained = s.types.iter().any(|t| t.retained.is_some());
    let head = format!("{:<50} {:>12} {:>14}", "type", "count", "bytes");
    put!(out, "{head}{}", if with_retained { format!(" {:>14}", "retained") } else { String::new() });
    for row in s.types.iter().take(limit(top)) {
        let retained = row.retained.map_or(String::new(), |r| format!(" {:>14}", bytes(r as i64)));
        put!(
            out,
            "{:<50} {:>12} {:>14}{retained}",
            fit(&row.type_name, 50),
            thousands(row.count as i64),
            bytes(row.bytes as i64)
        );
    }
}
