//! Times each phase of `heapsnap diff` on two snapshot files: `cargo run --release --example phases A B`.
use std::time::Instant;

use heapsnap::{analyze, Attribution, Comparison, Matching, Snapshot};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let raw = std::fs::read(&args[0]).unwrap();
    let text = heapsnap::decompress(raw, &heapsnap::ReadOptions::default()).unwrap();
    eprintln!("inflate one     {:>8.3} s  {} bytes", t.elapsed().as_secs_f64(), text.len());
    let t = Instant::now();
    let _ = Snapshot::parse(&args[0], text).unwrap();
    eprintln!("parse one plain {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let a = Snapshot::parse(&args[0], std::fs::read(&args[0]).unwrap()).unwrap();
    let b = Snapshot::parse(&args[1], std::fs::read(&args[1]).unwrap()).unwrap();
    eprintln!("parse both      {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    a.by_id();
    b.by_id();
    eprintln!("sort ids        {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let m = Matching::new(&a, &b);
    eprintln!("matching        {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _c = Comparison::from_matching(&a, &b, &m);
    eprintln!("comparison      {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _at = Attribution::new(&a, &b, &m);
    eprintln!("attribution     {:>8.3} s", t.elapsed().as_secs_f64());
    let c = Comparison::from_matching(&a, &b, &m);
    let t = Instant::now();
    let _g = heapsnap::new_object_groups(&b, &m, &c, 10, 5);
    eprintln!("new groups      {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let _g = heapsnap::growing_containers(&a, &b, &m, 10);
    eprintln!("growing         {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let an = analyze(&[&a, &b], 10);
    eprintln!("analyze (all)   {:>8.3} s  {} suspects", t.elapsed().as_secs_f64(), an.suspects.len());
    eprintln!("model memory    {:>8.2}x text", (a.memory_bytes() as f64) / a.text_len() as f64);
}
