//! Dominators of a synthetic heap-shaped graph:
//! `cargo run --release --example dominators_bench [NODES] [EDGES] [uniform]`.
//! Every node hangs off an earlier one (a spanning tree, so all are reachable). The other
//! edges are shaped like a heap's: half point at a few popular objects (types, interned
//! strings, small ints), half at neighbours (objects built together refer to each other,
//! cycles included). `uniform` makes them uniformly random instead: a worst case with no
//! locality at all. Prints JSON. With `--write FILE`, also writes the graph as a snapshot
//! with edges (roots are the first 1,000 nodes), so the CLI and the page can be timed on it.
use std::time::Instant;

use heapsnap::{dominators, RefGraph};

fn main() {
    let args: Vec<usize> =
        std::env::args().skip(1).take_while(|a| a != "--write").filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(3_000_000);
    let m = args.get(1).copied().unwrap_or(10_000_000);
    let uniform = std::env::args().any(|a| a == "uniform");
    let all: Vec<String> = std::env::args().collect();
    let write = all.iter().position(|a| a == "--write").map(|i| all[i + 1].clone());
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
    if let Some(path) = &write {
        write_snapshot(path, &graph, roots.len()).expect("write the snapshot");
    }
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

/// The graph as a heapsnap snapshot: node i is `object i`, id `0x1_0000_0000 + 16 i` (fixed
/// width, so lines sort by id), its DFS-free parent the first node pointing at it.
fn write_snapshot(path: &str, graph: &RefGraph, roots: usize) -> std::io::Result<()> {
    use std::io::Write;
    let n = graph.len();
    let id = |i: usize| 0x1_0000_0000u64 + 16 * i as u64;
    let mut parent = vec![u32::MAX; n];
    for v in 0..n {
        for &w in graph.successors(v) {
            if parent[w as usize] == u32::MAX && w as usize >= roots {
                parent[w as usize] = v as u32;
            }
        }
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\trefs")?;
    writeln!(out, "#objects\t{n}")?;
    for (v, &parent_of_v) in parent.iter().enumerate() {
        let (p, edge) = match parent_of_v {
            u32::MAX => ("-".to_owned(), format!("root{v}")),
            p => (format!("{:x}", id(p as usize)), "<referent>".to_owned()),
        };
        let refs: Vec<String> = graph.successors(v).iter().map(|&w| format!("{:x}", id(w as usize))).collect();
        let refs = if refs.is_empty() { "-".to_owned() } else { refs.join(" ") };
        writeln!(out, "object\t-\t64\t-\t{:x}\t{p}\t{edge}\t-\t{refs}", id(v))?;
    }
    writeln!(out, "#end\t{n}")?;
    out.flush()
}
