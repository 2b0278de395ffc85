//! Who holds the growth: each new object is charged to its nearest ancestor that already
//! existed in the baseline — the container the new objects were added to. Deleted objects
//! are charged the same way, to their nearest ancestor that survived, so churn (a full LRU,
//! a `deque(maxlen=…)`) nets out to zero while real growth does not.
//!
//! Modules are roots of the walk, but they are the entries of `sys.modules`: a module that is
//! new (or gone), with all it holds, is charged to that dict.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::identity::{Matching, NONE};
use crate::snapshot::Snapshot;

const UNKNOWN: u32 = u32::MAX - 1;
const VISITING: u32 = u32::MAX - 2;

/// What one holder gained and lost between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolderGrowth {
    /// Index of the holder in the later snapshot.
    pub holder: usize,
    /// New objects charged to it.
    pub new_count: u64,
    /// Their shallow bytes.
    pub new_bytes: u64,
    /// New objects it holds directly (its new entries).
    pub direct_new: u64,
    /// Deleted objects charged to it.
    pub freed_count: u64,
    /// Their shallow bytes.
    pub freed_bytes: u64,
    /// How much its own shallow size changed (a bytearray extended, a dict's table grown).
    pub own_bytes: i64,
}

impl HolderGrowth {
    /// New bytes minus freed bytes, plus the change of its own size.
    pub fn net_bytes(&self) -> i64 {
        self.new_bytes as i64 - self.freed_bytes as i64 + self.own_bytes
    }

    /// New objects minus deleted objects.
    pub fn net_count(&self) -> i64 {
        self.new_count as i64 - self.freed_count as i64
    }
}

/// The growth of every holder between two snapshots.
#[derive(Clone, Debug)]
pub struct Attribution {
    /// One entry per holder that gained or lost anything; by net bytes, descending, then index.
    pub holders: Vec<HolderGrowth>,
    /// For each object of the later snapshot: the holder it is charged to, or `NONE` if it is old.
    pub holder_of_new: Vec<u32>,
    /// Roots of the earlier snapshot that are gone with all they held (no holder survived to
    /// charge them to), by index in the earlier snapshot, with what they held: `holder` is that
    /// index, and only the freed fields count.
    pub freed_roots: Vec<HolderGrowth>,
}

impl Attribution {
    /// Charges every new and deleted object of `before` → `after` to its holder.
    pub fn new(before: &Snapshot, after: &Snapshot, matching: &Matching) -> Attribution {
        let mut holder_of_new = nearest_kept(after, |i| !matching.is_new(i));
        let mut holder_of_deleted = nearest_kept(before, |i| !matching.is_deleted(i));
        // New modules and what they hold are sys.modules' new entries; gone ones, its freed ones.
        if let Some(modules) = sys_modules(after).filter(|&m| !matching.is_new(m)) {
            let before_modules = matching.before_of_after[modules];
            recharge(&mut holder_of_new, &module_roots(after, |i| matching.is_new(i)), modules as u32);
            recharge(&mut holder_of_deleted, &module_roots(before, |i| matching.is_deleted(i)), before_modules);
        }
        let mut by_holder: FxHashMap<u32, HolderGrowth> = FxHashMap::default();
        for (i, &h) in holder_of_new.iter().enumerate() {
            if h == NONE {
                continue;
            }
            let g = growth_of(&mut by_holder, h);
            g.new_count += 1;
            g.new_bytes += after.size(i);
            if is_entry_of(after, i, h) {
                g.direct_new += 1;
            }
        }
        let mut by_freed_root: FxHashMap<u32, HolderGrowth> = FxHashMap::default();
        for (i, &h) in holder_of_deleted.iter().enumerate() {
            if h == NONE {
                continue;
            }
            let in_after = matching.after_of_before[h as usize];
            // Charged to a root that is gone too: nothing of this snapshot to net it against.
            let g =
                if in_after == NONE { growth_of(&mut by_freed_root, h) } else { growth_of(&mut by_holder, in_after) };
            g.freed_count += 1;
            g.freed_bytes += before.size(i);
        }
        // What grew in place: a kept object whose own size changed is charged the change. (Not
        // code objects: up to 3.10, the interpreter's caches in them grow as functions run.)
        for (i, &b) in matching.before_of_after.iter().enumerate() {
            if b != NONE && after.size(i) != before.size(b as usize) && after.object(i).type_name() != "code" {
                growth_of(&mut by_holder, i as u32).own_bytes += after.size(i) as i64 - before.size(b as usize) as i64;
            }
        }
        let mut holders: Vec<HolderGrowth> = by_holder.into_values().collect();
        holders.sort_by(|a, b| b.net_bytes().cmp(&a.net_bytes()).then(a.holder.cmp(&b.holder)));
        let mut freed_roots: Vec<HolderGrowth> = by_freed_root.into_values().collect();
        freed_roots.sort_by_key(|g| g.holder);
        Attribution { holders, holder_of_new, freed_roots }
    }

    /// Indices of the new objects charged to `holder`, and of those it holds directly.
    pub fn new_of(&self, after: &Snapshot, holder: usize) -> (Vec<usize>, Vec<usize>) {
        self.new_of_any(after, &[holder])
    }

    /// [`Attribution::new_of`] of several holders at once: the new objects charged to any of
    /// `holders`, and those one of them holds directly.
    pub fn new_of_any(&self, after: &Snapshot, holders: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let mut wanted: Vec<u32> = holders.iter().map(|&h| h as u32).collect();
        wanted.sort_unstable();
        let charged: Vec<usize> = (0..self.holder_of_new.len())
            .filter(|&i| self.holder_of_new[i] != NONE && wanted.binary_search(&self.holder_of_new[i]).is_ok())
            .collect();
        let direct = charged.iter().copied().filter(|&i| is_entry_of(after, i, self.holder_of_new[i])).collect();
        (charged, direct)
    }
}

/// Whether new object `i` is a direct entry of its holder `h`: its child, or a new module
/// charged to `sys.modules`.
fn is_entry_of(after: &Snapshot, i: usize, h: u32) -> bool {
    match after.object(i).parent() {
        Some(parent) => parent == after.id(h as usize),
        None => i != h as usize,
    }
}

/// The `sys.modules` dict of `snap`: `['modules']` of the `sys` module's dict.
fn sys_modules(snap: &Snapshot) -> Option<usize> {
    let sys = snap.objects_of_type("module").find(|&i| {
        let o = snap.object(i);
        o.parent().is_none() && o.raw_edge() == Some("sys")
    })?;
    let dicts = snap.objects_of_type("dict");
    let child = |parent: usize, edge: &str| {
        let id = snap.id(parent);
        dicts.clone().find(|&i| snap.object(i).parent() == Some(id) && snap.object(i).raw_edge() == Some(edge))
    };
    child(child(sys, ".__dict__")?, "['modules']")
}

/// The module roots of `snap` for which `wanted` holds, sorted.
fn module_roots(snap: &Snapshot, wanted: impl Fn(usize) -> bool) -> Vec<u32> {
    snap.objects_of_type("module")
        .filter(|&i| wanted(i) && snap.object(i).parent().is_none())
        .map(|i| i as u32)
        .collect()
}

/// Charges to `to` what `holder_of` charges to one of `roots` (sorted).
fn recharge(holder_of: &mut [u32], roots: &[u32], to: u32) {
    if roots.is_empty() || to == NONE {
        return;
    }
    for h in holder_of.iter_mut() {
        if *h != NONE && roots.binary_search(h).is_ok() {
            *h = to;
        }
    }
}

fn growth_of(map: &mut FxHashMap<u32, HolderGrowth>, holder: u32) -> &mut HolderGrowth {
    map.entry(holder).or_insert_with(|| HolderGrowth {
        holder: holder as usize,
        new_count: 0,
        new_bytes: 0,
        direct_new: 0,
        freed_count: 0,
        freed_bytes: 0,
        own_bytes: 0,
    })
}

/// For each object not `kept`, its nearest kept ancestor (or its topmost ancestor when none
/// is kept); `NONE` for kept objects.
fn nearest_kept(snap: &Snapshot, kept: impl Fn(usize) -> bool) -> Vec<u32> {
    let n = snap.len();
    let mut memo = vec![UNKNOWN; n];
    let mut chain: Vec<usize> = Vec::new();
    for start in 0..n {
        if memo[start] != UNKNOWN {
            continue;
        }
        if kept(start) {
            memo[start] = NONE;
            continue;
        }
        chain.clear();
        let mut at = start;
        let holder = loop {
            if kept(at) {
                break at as u32;
            }
            match memo[at] {
                UNKNOWN => {}
                VISITING => break at as u32, // a parent cycle in a damaged file
                NONE => break at as u32,
                h => break h,
            }
            memo[at] = VISITING;
            chain.push(at);
            match snap.parent_index(at) {
                Some(p) => at = p,
                None => break at as u32,
            }
        };
        for &i in &chain {
            memo[i] = holder;
        }
    }
    for (i, m) in memo.iter_mut().enumerate() {
        if kept(i) {
            *m = NONE;
        }
    }
    memo
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process whose `sys.modules` holds `sys` and plugin modules `first..end`, each with a
    /// 500-byte config dict.
    fn plugins(first: usize, end: usize) -> Snapshot {
        let mut lines = vec![
            "module\t<module 'sys'>\t72\t-\t10\t-\tsys".to_owned(),
            "dict\t{…}\t64\t1\t11\t10\t.__dict__".to_owned(),
            format!("dict\t{{…}}\t64\t{}\t12\t11\t['modules']", end - first + 1),
        ];
        for p in first..end {
            let (module, config) = (0x1000 + 2 * p, 0x1001 + 2 * p);
            lines.push(format!("module\t<module 'plugin_{p}'>\t72\t-\t{module:x}\t-\tplugin_{p}"));
            lines.push(format!("dict\t{{'rules': {p}}}\t500\t1\t{config:x}\t{module:x}\t.__dict__"));
        }
        crate::synthetic::with_paths("s", None, lines)
    }

    #[test]
    fn new_and_gone_modules_are_charged_to_sys_modules() {
        let (before, after) = (plugins(0, 4), plugins(2, 10));
        let matching = Matching::new(&before, &after);
        let a = Attribution::new(&before, &after, &matching);
        let modules = after.index_of(0x12).unwrap();
        assert_eq!(a.holders.len(), 1, "{:?}", a.holders);
        let g = &a.holders[0];
        assert_eq!((g.holder, g.new_count, g.direct_new, g.freed_count), (modules, 12, 6, 4));
        assert_eq!(g.net_bytes(), 6 * 572 - 2 * 572);
        let (_, direct) = a.new_of(&after, modules);
        assert!(direct.iter().all(|&i| after.object(i).type_name() == "module"));
    }
}
