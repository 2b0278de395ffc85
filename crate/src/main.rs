//! `heapsnap`: the command-line analyzer.

use std::process::ExitCode;

use heapsnap::humanize::{bytes, signed, signed_bytes, thousands};
use heapsnap::{Comparison, SortKey, Snapshot, Summary};

const USAGE: &str = "\
heapsnap — analyze Python heap snapshots written by heapsnap.py

USAGE:
    heapsnap diff [--top N] [--sort COLUMN] [--json] BEFORE AFTER
    heapsnap summary [--top N] [--json] FILE

OPTIONS:
    --top N         rows to print (default 25; 0 = all)
    --sort COLUMN   bytes-delta (default), count-delta, new, deleted, new-bytes, freed-bytes, type
    --json          machine-readable output

EXIT CODES:
    0  success    2  bad usage or unreadable snapshot
";

/// Parsed command-line options.
struct Options {
    top: usize,
    sort: SortKey,
    json: bool,
    files: Vec<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("heapsnap: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "diff" => {
            let opts = parse_options(rest)?;
            let [before, after] = opts.files.as_slice() else {
                return Err(format!("diff takes two snapshot files, got {}\n\n{USAGE}", opts.files.len()));
            };
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| load(before));
                let b = load(after);
                (a.join().expect("parser thread"), b)
            });
            let (a, b) = (a?, b?);
            let mut comparison = Comparison::new(&a, &b);
            comparison.sort_by(opts.sort, opts.sort != SortKey::TypeName);
            if opts.json {
                println!("{}", serde_json::to_string_pretty(&comparison).map_err(|e| e.to_string())?);
            } else {
                print_comparison(&comparison, opts.top);
            }
            Ok(())
        }
        "summary" => {
            let opts = parse_options(rest)?;
            let [file] = opts.files.as_slice() else {
                return Err(format!("summary takes one snapshot file\n\n{USAGE}"));
            };
            let summary = Summary::of(&load(file)?);
            if opts.json {
                println!("{}", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?);
            } else {
                print_summary(&summary, opts.top);
            }
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut opts = Options { top: 25, sort: SortKey::BytesDelta, json: false, files: Vec::new() };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--top" => {
                let v = it.next().ok_or("--top needs a number")?;
                opts.top = v.parse().map_err(|_| format!("--top needs a number, got '{v}'"))?;
            }
            "--sort" => {
                let v = it.next().ok_or("--sort needs a column name")?;
                opts.sort = SortKey::from_name(v).ok_or_else(|| format!("unknown sort column '{v}'"))?;
            }
            "--json" => opts.json = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option '{flag}'")),
            file => opts.files.push(file.to_owned()),
        }
    }
    Ok(opts)
}

fn load(path: &str) -> Result<Snapshot, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    Snapshot::parse(path, bytes).map_err(|e| e.to_string())
}

fn limit(top: usize) -> usize {
    if top == 0 {
        usize::MAX
    } else {
        top
    }
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

fn print_comparison(c: &Comparison, top: usize) {
    println!("{} → {}", c.before, c.after);
    println!(
        "{:<34} {:>10} {:>10} {:>11} {:>14} {:>14}",
        "type", "#new", "#deleted", "Δcount", "Δbytes", "bytes after"
    );
    for row in c.rows.iter().take(limit(top)) {
        println!(
            "{:<34} {:>10} {:>10} {:>11} {:>14} {:>14}",
            fit(&row.type_name, 34),
            thousands(row.new_count as i64),
            thousands(row.deleted_count as i64),
            signed(row.count_delta()),
            signed_bytes(row.bytes_delta()),
            bytes(row.bytes_after as i64),
        );
    }
    let (dc, db): (i64, i64) = c.rows.iter().map(|r| (r.count_delta(), r.bytes_delta())).fold((0, 0), |s, x| (s.0 + x.0, s.1 + x.1));
    println!("total: {} objects, {}", signed(dc), signed_bytes(db));
}

fn print_summary(s: &Summary, top: usize) {
    println!("{}: {} objects, {}", s.name, thousands(s.objects as i64), bytes(s.bytes as i64));
    if let Some(rss) = s.rss.filter(|&r| r > 0) {
        println!("Python objects explain {:.0}% of RSS ({})", 100.0 * s.bytes as f64 / rss as f64, bytes(rss as i64));
    }
    println!("{:<50} {:>12} {:>14}", "type", "count", "bytes");
    for row in s.types.iter().take(limit(top)) {
        println!("{:<50} {:>12} {:>14}", fit(&row.type_name, 50), thousands(row.count as i64), bytes(row.bytes as i64));
    }
}
