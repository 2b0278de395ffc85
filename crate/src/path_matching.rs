//! Which objects of two snapshots correspond when they come from different processes
//! (a restarted service, two workers): addresses mean nothing there, so objects are paired
//!
//! 1. by holder path: the same root, then the same edge labels and types all the way down
//!    (`app.cache._store['k']` in both), immutable objects only with equal contents;
//! 2. then what is left, by contents: equal type and bounded repr, the way the seed's diff of
//!    two sorted files pairs equal lines.
//!
//! A container that grew keeps its path, so it is still found as the holder of its growth.

use std::cmp::Ordering;
use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::children::Children;
use crate::identity::{is_immutable, Matching, NONE};
use crate::snapshot::Snapshot;

/// Whether `before` and `after` were captured from different processes (their headers give
/// different pids or hosts). Without a pid, they are taken to be one process.
pub fn from_different_processes(before: &Snapshot, after: &Snapshot) -> bool {
    let (a, b) = (before.header(), after.header());
    match (a.pid(), b.pid()) {
        (Some(pa), Some(pb)) => pa != pb || a.get("host") != b.get("host"),
        _ => false,
    }
}

/// Pairs the objects of `before` and `after` by holder path, then by contents.
pub fn match_across_processes(before: &Snapshot, after: &Snapshot) -> Matching {
    let mut m = Matching { before_of_after: vec![NONE; after.len()], after_of_before: vec![NONE; before.len()] };
    if before.has_paths() && after.has_paths() {
        by_path(before, after, &mut m);
    }
    by_contents(before, after, &mut m);
    m
}

/// Children of each object (by first-reached parent), and the roots, in file order.
struct Tree {
    children: Children,
    roots: Vec<u32>,
}

impl Tree {
    fn of(snap: &Snapshot) -> Tree {
        let parents: Vec<u32> = (0..snap.len()).map(|i| snap.parent_index(i).map_or(NONE, |p| p as u32)).collect();
        let roots = (0..parents.len() as u32).filter(|&i| parents[i as usize] == NONE).collect();
        Tree { children: Children::of(&parents, NONE), roots }
    }

    fn children(&self, parent: u32) -> &[u32] {
        self.children.of_node(parent)
    }
}

/// Breadth-first from the roots: the children of each matched pair are paired by edge label
/// and type (and contents, when immutable).
fn by_path(before: &Snapshot, after: &Snapshot, m: &mut Matching) {
    let (ta, tb) = (Tree::of(before), Tree::of(after));
    let mut queue: VecDeque<(u32, u32)> = VecDeque::new();
    pair_children(before, after, &ta.roots, &tb.roots, m, &mut queue);
    while let Some((a, b)) = queue.pop_front() {
        pair_children(before, after, ta.children(a), tb.children(b), m, &mut queue);
    }
}

fn pair_children(
    before: &Snapshot,
    after: &Snapshot,
    kids_a: &[u32],
    kids_b: &[u32],
    m: &mut Matching,
    queue: &mut VecDeque<(u32, u32)>,
) {
    if kids_a.is_empty() || kids_b.is_empty() {
        return;
    }
    let ka = by_edge(before, kids_a);
    let kb = by_edge(after, kids_b);
    let (mut i, mut j) = (0, 0);
    while i < ka.len() && j < kb.len() {
        let (key_a, key_b) = (key(before, &ka, i), key(after, &kb, j));
        match key_a.cmp(&key_b) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                // The children with this edge and type on each side.
                let i_end = i + (i..ka.len()).take_while(|&x| key(before, &ka, x) == key_a).count();
                let j_end = j + (j..kb.len()).take_while(|&y| key(after, &kb, y) == key_b).count();
                let unique = i_end - i == 1 && j_end - j == 1;
                if unique && !is_immutable(key_a.1) {
                    pair(m, queue, ka[i].1, kb[j].1); // one holder at one path: the same one
                } else {
                    // Several (`<key>`, `<referent>` …) or immutable: equal contents only.
                    let xs: Vec<u32> = ka[i..i_end].iter().map(|k| k.1).collect();
                    let ys: Vec<u32> = kb[j..j_end].iter().map(|k| k.1).collect();
                    for (a, b) in equal_contents(before, after, &xs, &ys) {
                        pair(m, queue, a, b);
                    }
                    if !is_immutable(key_a.1) {
                        // Mutable ones left (a set's instances, C-held dicts keyed by
                        // addresses) pair in order: their changes then net out as churn
                        // instead of showing as one new holder and one gone.
                        let left_a = ka[i..i_end].iter().filter(|k| m.after_of_before[k.1 as usize] == NONE);
                        let left_b = kb[j..j_end].iter().filter(|k| m.before_of_after[k.1 as usize] == NONE);
                        let left: Vec<(u32, u32)> = left_a.zip(left_b).map(|(a, b)| (a.1, b.1)).collect();
                        for (a, b) in left {
                            pair(m, queue, a, b);
                        }
                    }
                }
                i = i_end;
                j = j_end;
            }
        }
    }
}

/// What children are paired on: edge label, then type.
fn key<'s>(snap: &'s Snapshot, kids: &[(&'s str, u32)], i: usize) -> (&'s str, &'s str) {
    (kids[i].0, snap.object(kids[i].1 as usize).type_name())
}

/// `(edge, object)` of each of `kids`, sorted by edge, then file order (type, then contents).
fn by_edge<'s>(snap: &'s Snapshot, kids: &[u32]) -> Vec<(&'s str, u32)> {
    let mut out: Vec<(&str, u32)> =
        kids.iter().map(|&k| (snap.object(k as usize).raw_edge().unwrap_or(""), k)).collect();
    out.sort_by(|x, y| x.0.cmp(y.0)); // stable: file order within one edge
    out
}

fn pair(m: &mut Matching, queue: &mut VecDeque<(u32, u32)>, a: u32, b: u32) {
    m.before_of_after[b as usize] = a;
    m.after_of_before[a as usize] = b;
    queue.push_back((a, b));
}

/// Pairs the objects left unmatched that have equal types and contents, in file order
/// (type runs sorted by contents in both).
fn by_contents(before: &Snapshot, after: &Snapshot, m: &mut Matching) {
    let runs_a: FxHashMap<&str, std::ops::Range<usize>> =
        before.type_runs().map(|(t, range)| (&*before.type_names()[t as usize], range)).collect();
    for (t, range_b) in after.type_runs() {
        let Some(range_a) = runs_a.get(&*after.type_names()[t as usize]) else {
            continue;
        };
        let xs: Vec<u32> = range_a.clone().filter(|&i| m.after_of_before[i] == NONE).map(|i| i as u32).collect();
        let ys: Vec<u32> = range_b.filter(|&i| m.before_of_after[i] == NONE).map(|i| i as u32).collect();
        for (a, b) in equal_contents(before, after, &xs, &ys) {
            m.before_of_after[b as usize] = a;
            m.after_of_before[a as usize] = b;
        }
    }
}

/// The pairs of equal contents among objects `xs` of `before` and `ys` of `after`, each in
/// file order (of one type, so contents ascending), paired in order.
fn equal_contents(before: &Snapshot, after: &Snapshot, xs: &[u32], ys: &[u32]) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    let (mut x, mut y) = (0, 0);
    while x < xs.len() && y < ys.len() {
        match before.object(xs[x] as usize).raw_repr().cmp(after.object(ys[y] as usize).raw_repr()) {
            Ordering::Less => x += 1,
            Ordering::Greater => y += 1,
            Ordering::Equal => {
                pairs.push((xs[x], ys[y]));
                x += 1;
                y += 1;
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(pid: u32, body: &str) -> Snapshot {
        let mut lines: Vec<&str> = body.lines().collect();
        lines.sort_unstable();
        let text = format!(
            "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\n#pid\t{pid}\n#time\t2026-01-0{pid}T00:00:00Z\n{}\n#end\t{}\n",
            lines.join("\n"),
            lines.len()
        );
        Snapshot::parse("t", text.into_bytes()).unwrap()
    }

    #[test]
    fn different_pids_are_different_processes() {
        let a = snap(1, "str\t'x'\t50\t1\t10\t-\tm\t-");
        let b = snap(2, "str\t'x'\t50\t1\t10\t-\tm\t-");
        assert!(from_different_processes(&a, &b));
        assert!(!from_different_processes(&a, &a));
    }

    #[test]
    fn a_grown_container_is_matched_by_its_path_and_old_items_by_contents() {
        // Process 1: module `m` holds a cache dict with one entry; process 2: two entries,
        // everything at other addresses.
        let a = snap(
            1,
            "module\t<module 'm'>\t72\t-\t10\t-\tm\t-\n\
             dict\t{'cache': {'a': 1}}\t100\t1\t11\t10\t.__dict__\t-\n\
             dict\t{'a': 1}\t100\t1\t12\t11\t['cache']\t-\n\
             str\t'a'\t50\t1\t13\t12\t<key>\t-\n\
             int\t1\t28\t-\t14\t12\t['a']\t-",
        );
        let b = snap(
            2,
            "module\t<module 'm'>\t72\t-\t20\t-\tm\t-\n\
             dict\t{'cache': {'a': 1, 'b': 2}}\t100\t1\t21\t20\t.__dict__\t-\n\
             dict\t{'a': 1, 'b': 2}\t200\t2\t22\t21\t['cache']\t-\n\
             str\t'a'\t50\t1\t23\t22\t<key>\t-\n\
             int\t1\t28\t-\t24\t22\t['a']\t-\n\
             str\t'b'\t50\t1\t25\t22\t<key>\t-\n\
             int\t2\t28\t-\t26\t22\t['b']\t-",
        );
        let m = match_across_processes(&a, &b);
        let new: Vec<String> =
            (0..b.len()).filter(|&i| m.is_new(i)).map(|i| b.object(i).raw_line().to_owned()).collect();
        assert_eq!(new.len(), 2, "{new:?}");
        assert!(new.iter().all(|l| l.contains("'b'") || l.starts_with("int\t2")), "{new:?}");
        assert!((0..a.len()).all(|i| !m.is_deleted(i)));
        // The cache dict is the same holder in both, though its contents changed.
        let cache_b = (0..b.len()).find(|&i| b.object(i).raw_repr() == "{'a': 1, 'b': 2}").unwrap();
        let cache_a = m.before_of_after[cache_b] as usize;
        assert_eq!(a.object(cache_a).raw_repr(), "{'a': 1}");
    }

    #[test]
    fn without_paths_equal_contents_pair_up_as_a_multiset() {
        let a = snap(1, "str\t'x'\t50\t1\t10\t-\t-\t-\nstr\t'x'\t50\t1\t11\t-\t-\t-\nstr\t'y'\t50\t1\t12\t-\t-\t-");
        let b = snap(2, "str\t'x'\t50\t1\t20\t-\t-\t-\nstr\t'z'\t50\t1\t21\t-\t-\t-");
        let m = match_across_processes(&a, &b);
        assert_eq!((0..b.len()).filter(|&i| m.is_new(i)).count(), 1);
        assert_eq!((0..a.len()).filter(|&i| m.is_deleted(i)).count(), 2);
    }
}
