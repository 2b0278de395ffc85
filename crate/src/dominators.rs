//! Dominator tree and retained sizes of a reference graph (semi-NCA: Lengauer–Tarjan's
//! semidominators, then immediate dominators by nearest common ancestors).
//!
//! An object `d` dominates `v` when every path from the roots to `v` goes through `d`: if
//! `d` let go, `v` would be freed. The retained size of `d` is the sum of the shallow sizes
//! of everything it dominates — what Chrome DevTools and guppy's `domisize` show.
//! Iterative throughout (no recursion, so no stack overflow on deep heaps) and a handful of
//! `u32` arrays: no allocation per node.

use crate::graph::RefGraph;

/// No node (unreachable, or the virtual root above the roots).
pub const NO_NODE: u32 = u32::MAX;

/// The dominator tree of a graph, and the retained size of every node.
#[derive(Clone, Debug)]
pub struct Dominators {
    /// Immediate dominator of each node; [`NO_NODE`] for roots (dominated only by the virtual
    /// root above them) and for nodes no root reaches.
    pub idom: Vec<u32>,
    /// Shallow size of each node plus the retained sizes of the nodes it immediately dominates.
    pub retained: Vec<u64>,
    /// Whether a root reaches each node.
    pub reachable: Vec<bool>,
}

/// Computes the dominators of `graph` from `roots` (a virtual root points at each), and the
/// retained sizes given each node's shallow `size`.
///
/// # Example
/// ```
/// // 0 → 1 → 2, and 0 → 3 → 2: node 2 is reached two ways, so only 0 dominates it.
/// let g = heapsnap::RefGraph::from_edges(4, &[(0, 1), (1, 2), (0, 3), (3, 2)]);
/// let d = heapsnap::dominators(&g, &[0], |_| 10);
/// assert_eq!(d.idom, vec![heapsnap::NO_NODE, 0, 0, 0]);
/// assert_eq!(d.retained, vec![40, 10, 10, 10]);
/// ```
pub fn dominators(graph: &RefGraph, roots: &[u32], size: impl Fn(usize) -> u64) -> Dominators {
    let n = graph.len();
    let virtual_root = n; // node n stands above the roots
                          // 1. Depth-first preorder from the virtual root (iterative).
    let mut pre = vec![NO_NODE; n + 1]; // preorder number of each node
    let mut vertex: Vec<u32> = Vec::with_capacity(n + 1); // node of each preorder number
    let mut parent: Vec<u32> = Vec::with_capacity(n + 1); // DFS parent, as a preorder number
    let successors = |v: usize| -> &[u32] {
        if v == virtual_root {
            roots
        } else {
            graph.successors(v)
        }
    };
    let mut stack: Vec<(u32, u32)> = vec![(virtual_root as u32, 0)]; // (node, next successor)
    pre[virtual_root] = 0;
    vertex.push(virtual_root as u32);
    parent.push(NO_NODE);
    while let Some(top) = stack.last_mut() {
        let (v, next) = (top.0 as usize, top.1 as usize);
        match successors(v).get(next) {
            Some(&w) => {
                top.1 += 1;
                if pre[w as usize] == NO_NODE {
                    pre[w as usize] = vertex.len() as u32;
                    parent.push(pre[v]);
                    vertex.push(w);
                    stack.push((w, 0));
                    // Its successors are checked next: fetch their marks together, not one
                    // cache miss after the other.
                    for &x in successors(w as usize).iter().take(if PREFETCH { 8 } else { 0 }) {
                        prefetch(&pre, x as usize);
                        prefetch(graph.offsets(), x as usize);
                    }
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    let count = vertex.len();
    // 2. Predecessors of the reached nodes, as preorder numbers (reverse CSR).
    let (pred_start, preds) = predecessors(graph, roots, &pre, &vertex);
    // 3. Semidominators, in reverse preorder, with a path-compressed forest. Each forest entry
    // is (ancestor, least semidominator on the path below it): one cache line, no lookup of a
    // label's semidominator. An unlinked node evaluates to itself (its own number).
    let mut sdom: Vec<u32> = (0..count as u32).collect();
    let mut forest: Vec<(u32, u32)> = (0..count as u32).map(|k| (NO_NODE, k)).collect();
    let mut path: Vec<u32> = Vec::new();
    let preds_of = |k: usize| &preds[pred_start[k] as usize..pred_start[k + 1] as usize];
    for w in (1..count).rev() {
        if PREFETCH && w > 2 * LOOKAHEAD {
            // The forest entries of a later node's predecessors, then of their ancestors
            // (whose entries were fetched the same way a few nodes ago).
            preds_of(w - 2 * LOOKAHEAD).iter().for_each(|&v| prefetch(&forest, v as usize));
            for &v in preds_of(w - LOOKAHEAD) {
                let a = forest[v as usize].0;
                if a != NO_NODE {
                    prefetch(&forest, a as usize);
                }
            }
        }
        let mut best = sdom[w];
        for &v in preds_of(w) {
            best = best.min(eval(v, &mut forest, &mut path));
        }
        sdom[w] = best;
        forest[w] = (parent[w], best);
    }
    // 4. Immediate dominators: climb from the DFS parent until at or above the semidominator.
    let mut idom_pre: Vec<u32> = parent.clone();
    for w in 1..count {
        while idom_pre[w] > sdom[w] {
            idom_pre[w] = idom_pre[idom_pre[w] as usize];
        }
    }
    // 5. Retained sizes: each node's subtree of the dominator tree, children before parents.
    let mut retained_pre: Vec<u64> =
        vertex.iter().map(|&v| if v as usize == virtual_root { 0 } else { size(v as usize) }).collect();
    for w in (1..count).rev() {
        let d = idom_pre[w] as usize;
        retained_pre[d] += retained_pre[w];
    }
    let mut out =
        Dominators { idom: vec![NO_NODE; n], retained: (0..n).map(&size).collect(), reachable: vec![false; n] };
    for w in 1..count {
        let v = vertex[w] as usize;
        let d = vertex[idom_pre[w] as usize] as usize;
        out.idom[v] = if d == virtual_root { NO_NODE } else { d as u32 };
        out.retained[v] = retained_pre[w];
        out.reachable[v] = true;
    }
    out
}

/// Whether the target has prefetch hints; elsewhere the look-ahead reads would only cost.
const PREFETCH: bool = cfg!(target_arch = "x86_64");

/// How many nodes ahead the loops over random targets fetch what they will read.
const LOOKAHEAD: usize = 8;

/// In a pass over the nodes in index order, at node `v`: fetches the marks of the successors
/// of node `v + 2 LOOKAHEAD`, and the `counts` entries of those of node `v + LOOKAHEAD`
/// (whose marks were fetched earlier), so the random reads overlap.
#[inline(always)]
fn prefetch_ahead(graph: &RefGraph, v: usize, pre: &[u32], counts: &[u32]) {
    if !PREFETCH {
        return;
    }
    if v + 2 * LOOKAHEAD < graph.len() {
        for &x in graph.successors(v + 2 * LOOKAHEAD) {
            prefetch(pre, x as usize);
        }
    }
    if v + LOOKAHEAD < graph.len() {
        for &x in graph.successors(v + LOOKAHEAD) {
            let px = pre[x as usize];
            if px != NO_NODE {
                prefetch(counts, px as usize);
            }
        }
    }
}

/// Hints that `slice[i]` will be read soon (x86-64; nothing elsewhere).
#[inline(always)]
fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if i < slice.len() {
        // SAFETY: a prefetch never faults and reads nothing; the address is inside `slice`.
        unsafe { std::arch::x86_64::_mm_prefetch(slice.as_ptr().add(i).cast::<i8>(), std::arch::x86_64::_MM_HINT_T0) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}

/// For each preorder number, the preorder numbers of its reached predecessors (the virtual
/// root, number 0, for each root).
fn predecessors(graph: &RefGraph, roots: &[u32], pre: &[u32], vertex: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let count = vertex.len();
    let n = graph.len();
    // Nodes in index order: the edge array is read sequentially; only `pre` of targets jumps.
    let mut start = vec![0u32; count + 1];
    for v in 0..n {
        prefetch_ahead(graph, v, pre, &start);
        if pre[v] == NO_NODE {
            continue;
        }
        for &w in graph.successors(v) {
            let pw = pre[w as usize];
            if pw != NO_NODE {
                start[pw as usize + 1] += 1;
            }
        }
    }
    for &r in roots {
        if pre[r as usize] != NO_NODE {
            start[pre[r as usize] as usize + 1] += 1;
        }
    }
    for k in 1..=count {
        start[k] += start[k - 1];
    }
    let mut fill = start.clone();
    let mut preds = vec![0u32; start[count] as usize];
    for &r in roots {
        let pr = pre[r as usize];
        if pr != NO_NODE {
            preds[fill[pr as usize] as usize] = 0;
            fill[pr as usize] += 1;
        }
    }
    for v in 0..n {
        prefetch_ahead(graph, v, pre, &fill);
        let pv = pre[v];
        if pv == NO_NODE {
            continue;
        }
        for &w in graph.successors(v) {
            let pw = pre[w as usize];
            if pw != NO_NODE {
                preds[fill[pw as usize] as usize] = pv;
                fill[pw as usize] += 1;
            }
        }
    }
    (start, preds)
}

/// The least semidominator on the forest path above `v`, path-compressing it. `forest[x]` is
/// `(ancestor, least semidominator from x up to, not including, the forest root)`.
fn eval(v: u32, forest: &mut [(u32, u32)], path: &mut Vec<u32>) -> u32 {
    let (a, best) = forest[v as usize];
    if a == NO_NODE {
        return v;
    }
    if forest[a as usize].0 == NO_NODE {
        return best;
    }
    // Compress the path from v up to the forest root's child, topmost first.
    path.clear();
    let mut u = v;
    while forest[forest[u as usize].0 as usize].0 != NO_NODE {
        path.push(u);
        u = forest[u as usize].0;
    }
    while let Some(x) = path.pop() {
        let (a, bx) = forest[x as usize];
        let (aa, ba) = forest[a as usize];
        forest[x as usize] = (aa, bx.min(ba));
    }
    forest[v as usize].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Dominators by their definition: `d` dominates `v` when removing `d` cuts `v` off the
    /// roots. The immediate dominator is the strict dominator that all the others dominate.
    fn naive_idom(n: usize, edges: &[(u32, u32)], roots: &[u32]) -> Vec<u32> {
        let reach = |cut: Option<usize>| {
            let mut seen = vec![false; n];
            let mut stack: Vec<usize> = roots.iter().map(|&r| r as usize).filter(|&r| Some(r) != cut).collect();
            for &r in &stack {
                seen[r] = true;
            }
            while let Some(v) = stack.pop() {
                for &(a, b) in edges {
                    if a as usize == v && Some(b as usize) != cut && !seen[b as usize] {
                        seen[b as usize] = true;
                        stack.push(b as usize);
                    }
                }
            }
            seen
        };
        let all = reach(None);
        let cut_by: Vec<Vec<bool>> = (0..n).map(|d| reach(Some(d))).collect();
        // doms[v] = strict dominators of v
        let doms: Vec<Vec<usize>> =
            (0..n).map(|v| (0..n).filter(|&d| d != v && all[v] && !cut_by[d][v]).collect()).collect();
        (0..n)
            .map(|v| {
                doms[v]
                    .iter()
                    .copied()
                    .find(|&d| doms[v].iter().all(|&e| e == d || doms[d].contains(&e)))
                    .map_or(NO_NODE, |d| d as u32)
            })
            .collect()
    }

    #[test]
    fn cycles_self_references_and_unreachable_nodes() {
        // 0 → 1 ⇄ 2, 2 → 2, 3 unreachable, 4 reached only through 3.
        let edges = [(0, 1), (1, 2), (2, 1), (2, 2), (3, 4)];
        let g = RefGraph::from_edges(5, &edges);
        let d = dominators(&g, &[0], |v| 1 << v);
        assert_eq!(d.idom, vec![NO_NODE, 0, 1, NO_NODE, NO_NODE]);
        assert_eq!(d.reachable, vec![true, true, true, false, false]);
        assert_eq!(d.retained[0], 1 + 2 + 4);
        assert_eq!(d.retained[3], 8, "an unreachable node retains only itself");
    }

    #[test]
    fn two_roots_share_an_object() {
        let g = RefGraph::from_edges(3, &[(0, 2), (1, 2)]);
        let d = dominators(&g, &[0, 1], |_| 5);
        assert_eq!(d.idom, vec![NO_NODE, NO_NODE, NO_NODE], "held by two roots: dominated by neither");
        assert_eq!(d.retained, vec![5, 5, 5]);
    }

    proptest! {
        #[test]
        fn agrees_with_the_definition(
            n in 1usize..24,
            raw_edges in proptest::collection::vec((0u32..24, 0u32..24), 0..60),
            raw_roots in proptest::collection::vec(0u32..24, 1..4),
        ) {
            let edges: Vec<(u32, u32)> = raw_edges.into_iter().map(|(a, b)| (a % n as u32, b % n as u32)).collect();
            let mut roots: Vec<u32> = raw_roots.into_iter().map(|r| r % n as u32).collect();
            roots.dedup();
            let g = RefGraph::from_edges(n, &edges);
            let d = dominators(&g, &roots, |_| 1);
            prop_assert_eq!(&d.idom, &naive_idom(n, &edges, &roots));
            // Retained = 1 + retained of the dominated children.
            for v in 0..n {
                let children: u64 = (0..n).filter(|&c| d.idom[c] == v as u32).map(|c| d.retained[c]).sum();
                prop_assert_eq!(d.retained[v], 1 + children);
            }
        }
    }
}
