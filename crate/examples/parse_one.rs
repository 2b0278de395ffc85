//! Parses one snapshot file repeatedly, for profiling: `cargo run --release --example parse_one FILE [N]`.
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bytes = std::fs::read(&args[0]).unwrap();
    let n: usize = args.get(1).map_or(5, |s| s.parse().unwrap());
    for _ in 0..n {
        let t = Instant::now();
        let s = heapsnap::Snapshot::parse(&args[0], bytes.clone()).unwrap();
        eprintln!("parse {:>8.3} s  {} objects", t.elapsed().as_secs_f64(), s.len());
    }
}
