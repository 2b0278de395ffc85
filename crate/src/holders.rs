//! Who holds the growth: each new object is charged to its nearest ancestor that already
//! existed in the baseline — the container the new objects were added to. Deleted objects
//! are charged the same way, to their nearest ancestor that survived, so churn (a full LRU,
//! a `deque(maxlen=…)`) nets out to zero while real growth does not.

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
}

impl HolderGrowth {
    /// New bytes minus freed bytes.
    pub fn net_bytes(&self) -> i64 {
        self.new_bytes as i64 - self.freed_bytes as i64
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
        let holder_of_new = nearest_kept(after, |i| !matching.is_new(i));
        let holder_of_deleted = nearest_kept(before, |i| !matching.is_deleted(i));
        let mut by_holder: FxHashMap<u32, HolderGrowth> = FxHashMap::default();
        for (i, &h) in holder_of_new.iter().enumerate() {
            if h == NONE {
                continue;
            }
            let g = growth_of(&mut by_holder, h);
            g.new_count += 1;
            g.new_bytes += after.size(i);
            if after.object(i).parent() == Some(after.id(h as usize)) {
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
        let direct = charged
            .iter()
            .copied()
            .filter(|&i| after.object(i).parent() == Some(after.id(self.holder_of_new[i] as usize)))
            .collect();
        (charged, direct)
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
