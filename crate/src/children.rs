//! A forest given by each node's parent, turned around: the children of each node, as CSR
//! arrays, for walks down from the tops (dominator trees, holder-path trees).

/// The children of each node of a forest, in node order.
pub(crate) struct Children {
    start: Vec<u32>,
    children: Vec<u32>,
}

impl Children {
    /// The children of each node, given `parents[v]` for each node `v` (`no_parent` for a top).
    pub(crate) fn of(parents: &[u32], no_parent: u32) -> Children {
        let n = parents.len();
        let mut start = vec![0u32; n + 1];
        for &p in parents {
            if p != no_parent {
                start[p as usize + 1] += 1;
            }
        }
        for k in 1..=n {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut children = vec![0u32; start[n] as usize];
        for (v, &p) in parents.iter().enumerate() {
            if p != no_parent {
                children[fill[p as usize] as usize] = v as u32;
                fill[p as usize] += 1;
            }
        }
        Children { start, children }
    }

    /// The children of node `v`, in node order.
    pub(crate) fn of_node(&self, v: u32) -> &[u32] {
        &self.children[self.start[v as usize] as usize..self.start[v as usize + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_in_node_order() {
        const TOP: u32 = u32::MAX;
        let c = Children::of(&[TOP, 0, 0, 1, TOP], TOP);
        assert_eq!(c.of_node(0), &[1, 2]);
        assert_eq!(c.of_node(1), &[3]);
        assert!(c.of_node(2).is_empty() && c.of_node(4).is_empty());
    }
}
