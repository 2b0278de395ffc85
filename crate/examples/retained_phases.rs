//! Times the phases of retained sizes on one snapshot with edges:
//! `cargo run --release --example retained_phases FILE`.
use std::time::Instant;

use heapsnap::{dominators, RefGraph, Snapshot};

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let t = Instant::now();
    let snap = Snapshot::parse(&path, std::fs::read(&path).unwrap()).unwrap();
    eprintln!("parse        {:>8.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let graph = RefGraph::of(&snap).expect("a snapshot with edges");
    eprintln!("graph        {:>8.3} s  {} edges", t.elapsed().as_secs_f64(), graph.edge_count());
    let roots: Vec<u32> = (0..snap.len()).filter(|&i| snap.object(i).parent().is_none()).map(|i| i as u32).collect();
    let t = Instant::now();
    let d = dominators(&graph, &roots, |i| snap.size(i));
    eprintln!(
        "dominators   {:>8.3} s  {} roots, {} reached",
        t.elapsed().as_secs_f64(),
        roots.len(),
        d.reachable.iter().filter(|&&r| r).count()
    );
}
