//! Objects grouped by the shape of their contents, with a few examples, holders and sites.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::shape::shape_of;
use crate::snapshot::Snapshot;

/// Objects of one shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContentGroup {
    /// Type name of the objects.
    pub type_name: String,
    /// The shared shape (`{id, user, ts}`, `'session-#'`).
    pub shape: String,
    /// Number of objects.
    pub count: u64,
    /// Their shallow bytes.
    pub bytes: u64,
    /// Up to three examples of different contents, in file order (which is by contents, so
    /// the first few are often the same).
    pub examples: Vec<String>,
    /// Allocation sites with counts, most first (empty without tracemalloc).
    pub sites: Vec<(String, u64)>,
}

/// Groups the objects at `indices` of `snap` by type and shape, largest total bytes first
/// (then count, then shape).
pub fn group_by_shape(snap: &Snapshot, indices: impl IntoIterator<Item = usize>) -> Vec<ContentGroup> {
    let mut groups: FxHashMap<(u32, String), ContentGroup> = FxHashMap::default();
    let mut sites: FxHashMap<(u32, String), FxHashMap<String, u64>> = FxHashMap::default();
    for i in indices {
        let obj = snap.object(i);
        let repr = obj.repr();
        let key = (obj.type_index(), shape_of(&repr));
        let group = groups.entry(key.clone()).or_insert_with(|| ContentGroup {
            type_name: obj.type_name().to_owned(),
            shape: key.1.clone(),
            count: 0,
            bytes: 0,
            examples: Vec::new(),
            sites: Vec::new(),
        });
        group.count += 1;
        group.bytes += obj.size();
        if group.examples.len() < 3 && !group.examples.iter().any(|e| *e == *repr) {
            group.examples.push(repr.into_owned());
        }
        if let Some(site) = obj.site() {
            *sites.entry(key).or_default().entry(site.into_owned()).or_insert(0) += 1;
        }
    }
    let mut out: Vec<ContentGroup> = groups
        .into_iter()
        .map(|(key, mut g)| {
            if let Some(s) = sites.remove(&key) {
                g.sites = ranked(s, 5);
            }
            g
        })
        .collect();
    out.sort_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(b.count.cmp(&a.count))
            .then_with(|| (&a.type_name, &a.shape).cmp(&(&b.type_name, &b.shape)))
    });
    out
}

/// The `top` entries of a count map, most first, ties by name.
pub(crate) fn ranked(counts: FxHashMap<String, u64>, top: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}
