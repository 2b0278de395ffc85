//! Retained sizes of one snapshot captured with edges: what would be freed if an object (or
//! every object of a type) let go. Roots are those of the holder paths: modules, thread
//! frames, and the objects no root reaches.

use serde::Serialize;

use crate::children::Children;
use crate::dominators::{dominators, Dominators, NO_NODE};
use crate::graph::RefGraph;
use crate::paths::path_or_address;
use crate::snapshot::Snapshot;

/// The retained sizes of a snapshot.
#[derive(Clone, Debug)]
pub struct Retained {
    /// The reference graph, by object index.
    pub graph: RefGraph,
    /// The dominator tree, by object index.
    pub dominators: Dominators,
    /// Edges in the reference graph.
    pub edges: usize,
    /// Retained bytes of each type (objects of the type not already inside another one of
    /// the same type), by type index.
    pub by_type: Vec<u64>,
}

/// One line of [`top_retainers`].
#[derive(Clone, Debug, Serialize)]
pub struct Retainer {
    /// Object index.
    pub index: usize,
    /// Type name.
    pub type_name: String,
    /// Path from a root.
    pub path: String,
    /// Bounded contents, unescaped.
    pub contents: String,
    /// Shallow size.
    pub shallow: u64,
    /// Retained size.
    pub retained: u64,
}

impl Retained {
    /// Dominators and retained sizes of `snap`, or `None` without the `refs` column.
    pub fn of(snap: &Snapshot) -> Option<Retained> {
        let graph = RefGraph::of(snap)?;
        let roots: Vec<u32> =
            (0..snap.len()).filter(|&i| snap.object(i).parent().is_none()).map(|i| i as u32).collect();
        let dominators = dominators(&graph, &roots, |i| snap.size(i));
        let by_type = by_type(snap, &dominators);
        Some(Retained { edges: graph.edge_count(), graph, dominators, by_type })
    }

    /// Every object that refers to `index` (not only its path parent), in file order.
    pub fn referrers(&self, index: usize) -> Vec<usize> {
        let target = index as u32;
        (0..self.graph.len()).filter(|&v| self.graph.successors(v).contains(&target)).collect()
    }

    /// The objects `index` immediately dominates (what it alone keeps), most retained first;
    /// with `None`, the tops of the dominator tree (roots, and what several roots share).
    pub fn dominated_by(&self, index: Option<usize>) -> Vec<usize> {
        let parent = index.map_or(NO_NODE, |i| i as u32);
        let sizes = &self.dominators.retained;
        let mut children: Vec<usize> = (0..self.graph.len()).filter(|&v| self.dominators.idom[v] == parent).collect();
        children.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        children
    }

    /// The tops of the dominator tree (roots, and what several roots share) with module
    /// namespaces opened: a module, and its `__dict__`, are replaced by what they alone keep,
    /// so that globals such as `app.cache` come first. Most retained first.
    pub fn tops(&self, snap: &Snapshot) -> Vec<usize> {
        let is_namespace = |i: usize| {
            let o = snap.object(i);
            o.type_name() == "module"
                || (o.type_name() == "dict"
                    && o.edge().as_deref() == Some(".__dict__")
                    && snap.parent_index(i).is_some_and(|p| snap.object(p).type_name() == "module"))
        };
        let tree = DominatorTree::of(&self.dominators);
        let mut open: Vec<usize> = self.dominated_by(None);
        let mut tops = Vec::new();
        while let Some(v) = open.pop() {
            if is_namespace(v) {
                open.extend(tree.children_of(v as u32).iter().map(|&c| c as usize));
            } else {
                tops.push(v);
            }
        }
        let sizes = &self.dominators.retained;
        tops.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        tops
    }

    /// For the objects of type `type_index`: the holders that retain most of them, as
    /// `(holder index, bytes, objects)`, largest first. Each object counts for its immediate
    /// dominator, with what it retains less what the objects of the type nested in it retain
    /// (they count for their own holders): so a dict of dicts is the holder of its dicts, not
    /// the module dict that holds it, and every byte counts once.
    pub fn holders_of_type(&self, snap: &Snapshot, type_index: u32, top: usize) -> Vec<(usize, u64, u64)> {
        let mut is_type = vec![false; snap.len()];
        for (t, range) in snap.type_runs() {
            if t == type_index {
                is_type[range].fill(true);
            }
        }
        let retained = &self.dominators.retained;
        let idom = &self.dominators.idom;
        let mut by_holder: rustc_hash::FxHashMap<u32, (u64, u64)> = rustc_hash::FxHashMap::default();
        let mut open: Vec<(u32, u64)> = Vec::new(); // objects of the type on the path, and what nests in them
        DominatorTree::of(&self.dominators).walk(|v, leaving| {
            if !is_type[v as usize] {
                return;
            }
            if !leaving {
                if let Some(outer) = open.last_mut() {
                    outer.1 += retained[v as usize];
                }
                open.push((v, 0));
                return;
            }
            let (_, nested) = open.pop().expect("entered before left");
            let holder = idom[v as usize];
            if holder != NO_NODE {
                let e = by_holder.entry(holder).or_insert((0, 0));
                e.0 += retained[v as usize] - nested;
                e.1 += 1;
            }
        });
        let mut out: Vec<(usize, u64, u64)> = by_holder.into_iter().map(|(h, (b, n))| (h as usize, b, n)).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(top);
        out
    }
}

/// The `top` objects that retain most, largest first (ties by file order).
pub fn top_retainers(snap: &Snapshot, retained: &Retained, top: usize) -> Vec<Retainer> {
    let sizes = &retained.dominators.retained;
    let mut order: Vec<usize> = (0..snap.len()).collect();
    let keep = top.min(order.len());
    if keep < order.len() {
        order.select_nth_unstable_by(keep, |&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        order.truncate(keep);
    }
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .map(|i| {
            let o = snap.object(i);
            Retainer {
                index: i,
                type_name: o.type_name().to_owned(),
                path: path_or_address(snap, i),
                contents: o.repr().into_owned(),
                shallow: o.size(),
                retained: sizes[i],
            }
        })
        .collect()
}

/// Retained bytes per type: a walk of the dominator tree that counts an object only when no
/// object of its type dominates it (so a list of lists counts once).
fn by_type(snap: &Snapshot, dom: &Dominators) -> Vec<u64> {
    let mut type_of = vec![0u32; snap.len()];
    for (t, range) in snap.type_runs() {
        type_of[range].fill(t);
    }
    let mut totals = vec![0u64; snap.type_names().len()];
    let mut on_path = vec![0u32; snap.type_names().len()];
    DominatorTree::of(dom).walk(|v, leaving| {
        let t = type_of[v as usize] as usize;
        if leaving {
            on_path[t] -= 1;
            return;
        }
        if on_path[t] == 0 {
            totals[t] += dom.retained[v as usize];
        }
        on_path[t] += 1;
    });
    totals
}

/// The children of each node of a dominator tree, for walks down from its tops.
struct DominatorTree<'a> {
    idom: &'a [u32],
    children: Children,
}

impl<'a> DominatorTree<'a> {
    fn of(dom: &'a Dominators) -> DominatorTree<'a> {
        DominatorTree { idom: &dom.idom, children: Children::of(&dom.idom, NO_NODE) }
    }

    fn children_of(&self, v: u32) -> &[u32] {
        self.children.of_node(v)
    }

    /// Depth first from each top (a node without a dominator): `visit(v, false)` on the way
    /// down, `visit(v, true)` once all below `v` was visited.
    fn walk(&self, mut visit: impl FnMut(u32, bool)) {
        let mut stack: Vec<(u32, bool)> = Vec::new(); // (node, leaving)
        for top in (0..self.idom.len()).filter(|&v| self.idom[v] == NO_NODE) {
            stack.push((top as u32, false));
            while let Some((v, leaving)) = stack.pop() {
                visit(v, leaving);
                if leaving {
                    continue;
                }
                stack.push((v, true));
                stack.extend(self.children_of(v).iter().map(|&c| (c, false)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retained_of_a_small_heap() {
        // A module dict holds a list that alone holds two strs; a third str is shared with a
        // second root, so the list does not retain it.
        let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\trefs\n\
                    dict\t{…}\t100\t2\ta0\t-\tapp\tb0 e0\n\
                    dict\t{…}\t100\t1\tf0\t-\tother\te0\n\
                    list\t[…]\t80\t3\tb0\ta0\t['items']\tc0 d0 e0\n\
                    str\t'c'\t50\t1\tc0\tb0\t[0]\t-\n\
                    str\t'd'\t50\t1\td0\tb0\t[1]\t-\n\
                    str\t'e'\t50\t1\te0\tb0\t[2]\t-\n#end\t6\n";
        let snap = Snapshot::parse("r", text.as_bytes().to_vec()).unwrap();
        let r = Retained::of(&snap).unwrap();
        let top = top_retainers(&snap, &r, 3);
        assert_eq!((top[0].path.as_str(), top[0].retained), ("app", 100 + 80 + 50 + 50));
        assert_eq!((top[1].path.as_str(), top[1].retained), ("app['items']", 80 + 50 + 50));
        let by_name = |name: &str| r.by_type[snap.type_names().iter().position(|t| &**t == name).unwrap()];
        assert_eq!(by_name("dict"), 280 + 100, "the two roots, neither inside the other");
        assert_eq!(by_name("str"), 150);
        assert_eq!(by_name("list"), 180);
        let at = |id: u64| (0..snap.len()).find(|&i| snap.id(i) == id).unwrap();
        assert_eq!(r.referrers(at(0xe0)), {
            let mut v = vec![at(0xa0), at(0xf0), at(0xb0)];
            v.sort();
            v
        });
        assert_eq!(r.dominated_by(Some(at(0xb0))), vec![at(0xc0), at(0xd0)]);
        let tops = r.dominated_by(None);
        assert_eq!(tops[0], at(0xa0));
        assert_eq!(tops.len(), 3, "the two roots and the shared str");
        let str_type = snap.type_names().iter().position(|t| &**t == "str").unwrap() as u32;
        assert_eq!(r.holders_of_type(&snap, str_type, 5), vec![(at(0xb0), 100, 2)]);
    }

    #[test]
    fn tops_open_module_namespaces() {
        // A module whose namespace holds a big list and a small str; a second root.
        let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\trefs\n\
                    module\t<module 'app'>\t70\t-\ta0\t-\tapp\tb0\n\
                    dict\t{…}\t100\t2\tb0\ta0\t.__dict__\tc0 d0\n\
                    list\t[…]\t500\t1\tc0\tb0\t['big']\t-\n\
                    str\t'x'\t50\t1\td0\tb0\t['small']\t-\n\
                    dict\t{…}\t200\t0\te0\t-\tother\t-\n#end\t5\n";
        let snap = Snapshot::parse("r", text.as_bytes().to_vec()).unwrap();
        let r = Retained::of(&snap).unwrap();
        let at = |id: u64| (0..snap.len()).find(|&i| snap.id(i) == id).unwrap();
        assert_eq!(r.dominated_by(None), vec![at(0xa0), at(0xe0)]);
        assert_eq!(r.tops(&snap), vec![at(0xc0), at(0xe0), at(0xd0)]);
    }

    #[test]
    fn a_dict_of_dicts_is_their_holder() {
        // A module dict holds a cache dict that alone holds two record dicts (and their strs).
        let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\trefs\n\
                    dict\t{…}\t30\t1\ta0\t-\tapp\tb0\n\
                    dict\t{…}\t50\t2\tb0\ta0\t['cache']\tc0 d0\n\
                    dict\t{…}\t60\t1\tc0\tb0\t['x']\te0\n\
                    dict\t{…}\t60\t1\td0\tb0\t['y']\t-\n\
                    str\t'e'\t40\t1\te0\tc0\t['v']\t-\n#end\t5\n";
        let snap = Snapshot::parse("r", text.as_bytes().to_vec()).unwrap();
        let r = Retained::of(&snap).unwrap();
        let at = |id: u64| (0..snap.len()).find(|&i| snap.id(i) == id).unwrap();
        let dict_type = snap.type_names().iter().position(|t| &**t == "dict").unwrap() as u32;
        assert_eq!(r.holders_of_type(&snap, dict_type, 5), vec![(at(0xb0), 100 + 60, 2), (at(0xa0), 50, 1)]);
        assert_eq!(r.by_type[dict_type as usize], 30 + 50 + 100 + 60, "every byte once, under the root dict");
    }
}
