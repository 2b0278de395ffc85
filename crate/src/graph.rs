//! The reference graph of a snapshot captured with edges (`refs` column): who points at whom,
//! as compact arrays (CSR: one offset per object, one `u32` per edge).

use crate::id_index::IdIndex;
use crate::line_reader::for_each_hex;
use crate::snapshot::Snapshot;

/// Out-edges of every node, by node index.
#[derive(Clone, Debug, Default)]
pub struct RefGraph {
    /// Index in `targets` of each node's first edge; one extra entry at the end.
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl RefGraph {
    /// The graph of `snap`'s `refs` column (object indexes), or `None` when the snapshot was
    /// captured without edges. References to ids not in the snapshot are dropped.
    pub fn of(snap: &Snapshot) -> Option<RefGraph> {
        if !snap.has_refs() {
            return None;
        }
        let index = IdIndex::of(snap);
        let mut graph = RefGraph { offsets: Vec::with_capacity(snap.len() + 1), targets: Vec::new() };
        graph.offsets.push(0);
        for i in 0..snap.len() {
            for_each_hex(snap.raw_refs(i).as_bytes(), |id| {
                if let Some(t) = index.get(id) {
                    graph.targets.push(t);
                }
            });
            graph.offsets.push(graph.targets.len() as u32);
        }
        graph.targets.shrink_to_fit();
        Some(graph)
    }

    /// A graph of `n` nodes with the given edges, for tests and examples.
    pub fn from_edges(n: usize, edges: &[(u32, u32)]) -> RefGraph {
        let mut sorted = edges.to_vec();
        sorted.sort_by_key(|&(from, _)| from);
        let mut offsets = vec![0u32; n + 1];
        for &(from, _) in &sorted {
            offsets[from as usize + 1] += 1;
        }
        for k in 1..=n {
            offsets[k] += offsets[k - 1];
        }
        RefGraph { offsets, targets: sorted.into_iter().map(|(_, to)| to).collect() }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The nodes `node` points at.
    pub fn successors(&self, node: usize) -> &[u32] {
        &self.targets[self.offsets[node] as usize..self.offsets[node + 1] as usize]
    }

    /// Where each node's edges start in the edge array (one extra entry at the end), for
    /// prefetching.
    pub(crate) fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// Heap bytes of the arrays.
    pub fn memory_bytes(&self) -> usize {
        (self.offsets.capacity() + self.targets.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_of_a_snapshot_with_refs() {
        let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\trefs\n\
                    dict\t{…}\t64\t2\ta0\t-\tROOT\tb0 c0 ff\n\
                    list\t[…]\t56\t1\tb0\ta0\t['x']\tc0\n\
                    str\t'v'\t50\t1\tc0\ta0\t['y']\t-\n#end\t3\n";
        let snap = Snapshot::parse("g", text.as_bytes().to_vec()).unwrap();
        let g = RefGraph::of(&snap).unwrap();
        let at = |id: u64| (0..snap.len()).find(|&i| snap.id(i) == id).unwrap() as u32;
        assert_eq!(g.len(), 3);
        assert_eq!(g.successors(at(0xa0) as usize), &[at(0xb0), at(0xc0)], "unknown id ff dropped");
        assert_eq!(g.successors(at(0xb0) as usize), &[at(0xc0)]);
        assert!(g.successors(at(0xc0) as usize).is_empty());
        let plain = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n#end\t0\n";
        assert!(RefGraph::of(&Snapshot::parse("p", plain.as_bytes().to_vec()).unwrap()).is_none());
    }
}
