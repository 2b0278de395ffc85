//! Dominators of a synthetic heap-shaped graph:
//! `cargo run --release --example dominators_bench [NODES] [EDGES] [uniform]`.
//! Every node hangs off an earlier one (a spanning tree, so all are reachable). The other
//! edges are shaped like a heap's: half point at a few popular objects (types, interned
//! strings, small ints), half at neighbours (objects built together refer to each other,
//! cycles included). `uniform` makes them uniformly random instead: a worst case with no
//! locality at all. Prints JSON.
use std::time::Instant;

use heapsnap::{dominators, RefGraph};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(3_000_000);
    let m = args.get(1).copied().unwrap_or(10_000_000);
    let uniform = std::env::args().any(|a| a == "uniform");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as u32
    };
    let roots: Vec<u32> = (0..1000u32).collect();
    let mut edges: Vec<(u32, u32)> = Vec::with_capacity(m);
    for v in 1000..n {
        // Mostly near ancestors, like containers holding what was built just before.
        let back = 1 + next(64) as usize * if next(8) == 0 { 1 + next(n.min(v)) as usize / 64 } else { 1 };
        edges.push(((v - back.min(v)) as u32, v as u32));
    }
    while edges.len() < m {
        let from = next(n);
        let to = if uniform {
            next(n)
        } else if next(2) == 0 {
            // popular: a skewed pick among 10,000 objects
            let spread = next(10_000) as usize;
            next(1 + spread)
        } else {
            (from as i64 + next(2001) as i64 - 1000).clamp(0, n as i64 - 1) as u32
        };
        edges.push((from, to));
    }
    let graph = RefGraph::from_edges(n, &edges);
    drop(edges);
    let t = Instant::now();
    let d = dominators(&graph, &roots, |_| 64);
    let seconds = t.elapsed().as_secs_f64();
    let reached = d.reachable.iter().filter(|&&r| r).count();
    println!(
        "{{\"nodes\": {n}, \"edges\": {}, \"shape\": \"{}\", \"seconds\": {seconds:.3}, \"graph_mib\": {:.0}, \"reached\": {reached}}}",
        graph.edge_count(),
        if uniform { "uniform" } else { "heap" },
        graph.memory_bytes() as f64 / (1 << 20) as f64
    );
}
