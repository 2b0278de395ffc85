//! Growth spread over many sibling holders — a list per user, an events list per session —
//! is one leak, not many small ones. Holders of one type whose paths differ only in dict keys
//! and indexes (`VISITS['s1']['events']`, `VISITS['s2']['events']`) share a *path pattern*
//! (`VISITS[*]['events']`); the suspect ranking scores such a group as one holder when its
//! growth is spread out (see `docs/SUSPECTS.md`).

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use crate::paths::{push_segment, raw_edges};
use crate::snapshot::Snapshot;

/// Longest parent chain followed; holders deeper than this are not grouped.
const MAX_DEPTH: usize = 256;

/// What stands for a dict key or an index in a pattern.
const ANY: &str = "[*]";

/// Whether an edge label (as written) names data rather than structure: a dict key or an
/// index (`['k']`, `[3]`, `[(1, 2)]`). Attribute names, `locals[…]` and roots stay as they are.
fn is_data_label(raw: &str) -> bool {
    raw.starts_with('[')
}

/// Groups of two or more of `holders` (indexes into `snap`) that have one type and one path
/// pattern, as far as a hash of it tells: [`pattern`] checks each group. Members are sorted
/// by index, groups by their first member. Roots group only when their labels are the same:
/// objects reached from no root (`<unreached>`), threads of one name in one function.
pub fn candidate_groups(snap: &Snapshot, holders: &[u32]) -> Vec<Vec<u32>> {
    if !snap.has_paths() {
        return Vec::new();
    }
    let mut memo: FxHashMap<u32, Option<u64>> = FxHashMap::default();
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(holders.len());
    for &h in holders {
        let Some(key) = chain_key(snap, h as usize, &mut memo) else { continue };
        let mut hasher = FxHasher::default();
        (key, snap.object(h as usize).type_index()).hash(&mut hasher);
        keyed.push((hasher.finish(), h));
    }
    keyed.sort_unstable();
    let mut out: Vec<Vec<u32>> = keyed
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() >= 2)
        .map(|g| g.iter().map(|&(_, h)| h).collect())
        .collect();
    out.sort_unstable_by_key(|g| g[0]);
    out
}

/// The hash of the pattern of the path to object `start` (memoized for every object on it);
/// `None` when the chain is deeper than [`MAX_DEPTH`] (or loops, in a damaged file).
fn chain_key(snap: &Snapshot, start: usize, memo: &mut FxHashMap<u32, Option<u64>>) -> Option<u64> {
    let mut chain: Vec<usize> = Vec::new();
    let mut at = start;
    let mut key = loop {
        if let Some(&known) = memo.get(&(at as u32)) {
            break known;
        }
        chain.push(at);
        if chain.len() > MAX_DEPTH {
            for &i in &chain {
                memo.insert(i as u32, None);
            }
            return None;
        }
        match snap.parent_index(at) {
            Some(p) => at = p,
            // A root, or an object whose parent is not in the file: where the chain starts.
            None => break Some(u64::from(snap.object(at).parent().is_some())),
        }
    };
    for &i in chain.iter().rev() {
        key = key.map(|above| {
            let mut hasher = FxHasher::default();
            (above, label_key(snap.object(i).raw_edge().unwrap_or("?"))).hash(&mut hasher);
            hasher.finish()
        });
        memo.insert(i as u32, key);
    }
    key
}

/// A label as it counts in a pattern: every data label is the same; the frames of threads
/// whose names differ only in numbers are one pattern, whatever function each one runs
/// (`<thread Thread-# (serve)> *()`).
pub fn label_key(raw: &str) -> Cow<'_, str> {
    if is_data_label(raw) {
        return Cow::Borrowed(ANY);
    }
    // A thread's frame: `<thread NAME> function()`, a root.
    let Some((name, _)) = raw.strip_prefix("<thread ").and_then(|rest| rest.rsplit_once("> ")) else {
        return Cow::Borrowed(raw);
    };
    let mut masked = String::with_capacity(raw.len());
    masked.push_str("<thread ");
    for c in name.chars() {
        if !c.is_ascii_digit() {
            masked.push(c);
        } else if !masked.ends_with('#') {
            masked.push('#');
        }
    }
    masked.push_str("> *()");
    Cow::Owned(masked)
}

/// The path pattern that `members` (indexes into `snap`, from [`candidate_groups`]) share:
/// each dict key or index shown as it is where all have the same, as `[*]` where they differ
/// (`__main__.VISITS[*]['events']`). Returns it with the members that really have it (a hash
/// may have put others beside them), in order; `None` when fewer than two do.
pub fn pattern(snap: &Snapshot, members: &[u32]) -> Option<(String, Vec<u32>)> {
    let chain = |i: u32| -> Option<Vec<&str>> {
        let (labels, cut) = raw_edges(snap, i as usize, MAX_DEPTH);
        (!cut).then_some(labels)
    };
    let first = chain(*members.first()?)?;
    let mut same = vec![true; first.len()];
    let mut kept = Vec::with_capacity(members.len());
    for &m in members {
        let Some(labels) = chain(m) else { continue };
        let fits = labels.len() == first.len() && labels.iter().zip(&first).all(|(a, b)| label_key(a) == label_key(b));
        if !fits {
            continue;
        }
        for (k, (a, b)) in labels.iter().zip(&first).enumerate() {
            same[k] &= a == b;
        }
        kept.push(m);
    }
    if kept.len() < 2 {
        return None;
    }
    let mut out = String::new();
    for (label, same) in first.iter().zip(same) {
        // Where they differ, the label as it counts in the pattern (`[*]`, `Thread-#`).
        let key = label_key(label);
        push_segment(&mut out, &crate::escape::unescape(if same { label } else { &key }));
    }
    Some((out, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::with_paths;

    fn snap(lines: &[&str]) -> Snapshot {
        with_paths("s", None, lines.iter().map(|l| l.to_string()).collect())
    }

    fn index(s: &Snapshot, id: u64) -> u32 {
        s.index_of(id).unwrap() as u32
    }

    #[test]
    fn siblings_under_varying_keys_share_a_pattern_and_others_do_not() {
        let s = snap(&[
            "module\t<module 'm'>\t72\t-\t10\t-\tm",
            "dict\t{…}\t64\t3\t11\t10\t.__dict__",
            "dict\t{…}\t64\t3\t12\t11\t['VISITS']",
            "dict\t{…}\t64\t1\t20\t12\t['s1']",
            "dict\t{…}\t64\t1\t21\t12\t['s2']",
            "list\t[…]\t64\t2\t30\t20\t['events']",
            "list\t[…]\t64\t2\t31\t21\t['events']",
            "list\t[…]\t64\t2\t32\t21\t['other']",
            "list\t[…]\t64\t2\t33\t11\t['TOP']",
            "tuple\t()\t40\t0\t34\t20\t['t']",
        ]);
        let holders: Vec<u32> = [0x30, 0x31, 0x32, 0x33, 0x34, 0x10].iter().map(|&id| index(&s, id)).collect();
        let groups = candidate_groups(&s, &holders);
        // 30, 31 and 32 are lists at VISITS[*][*]; 33 sits one level up; 34 is a tuple; 10 a root.
        assert_eq!(groups.len(), 1);
        let (path, kept) = pattern(&s, &groups[0]).unwrap();
        assert_eq!(path, "m.VISITS[*][*]");
        assert_eq!(kept.len(), 3);
        let (path, _) = pattern(&s, &[index(&s, 0x30), index(&s, 0x31)]).unwrap();
        assert_eq!(path, "m.VISITS[*]['events']", "a key all share is kept");
    }

    /// Snapshot `t` of a module whose `VISITS` dict holds a dict per visitor, each with an
    /// `events` list; visitor `v` has `events(v)` entries of 100 bytes.
    fn visits(t: u32, visitors: usize, events: impl Fn(usize) -> usize) -> Snapshot {
        let mut lines = vec![
            "module\t<module 'm'>\t72\t-\t10\t-\tm".to_owned(),
            "dict\t{…}\t64\t1\t11\t10\t.__dict__".to_owned(),
            format!("dict\t{{…}}\t64\t{visitors}\t12\t11\t['VISITS']"),
        ];
        for v in 0..visitors {
            let (visitor, list) = (0x1000 + v, 0x100000 + v);
            lines.push(format!("dict\t{{…}}\t64\t1\t{visitor:x}\t12\t['v{v}']"));
            lines.push(format!("list\t[…]\t64\t{}\t{list:x}\t{visitor:x}\t['events']", events(v)));
            for e in 0..events(v) {
                lines.push(format!("tuple\t('click', {e})\t100\t2\t{:x}\t{list:x}\t[{e}]", 0x10000000 + v * 4096 + e));
            }
        }
        with_paths(&format!("t{t}"), Some(&format!("2026-01-01T00:0{t}:00Z")), lines)
    }

    #[test]
    fn growth_spread_over_many_siblings_is_one_suspect() {
        // 40 visitors gain one 100-byte event each per interval: 4 KB in all, under 1 KiB each.
        let snaps: Vec<Snapshot> = (0..3).map(|t| visits(t, 40, |_| 2 + t as usize)).collect();
        let analysis = crate::analyze(&snaps.iter().collect::<Vec<_>>(), 5);
        assert_eq!(analysis.suspects.len(), 1);
        let s = &analysis.suspects[0];
        assert_eq!((s.path.as_str(), s.holders, s.net_bytes), ("m.VISITS[*]['events']", 40, 8000));
        assert_eq!(s.lens, vec![Some(80), Some(120), Some(160)]);
        assert!(
            s.sentence.starts_with("m.VISITS[*]['events'] (40 × list) grew 80 → 160 entries in all"),
            "{}",
            s.sentence
        );
        assert_eq!(s.entries[0].count, 40, "the new entries of every sibling");
    }

    #[test]
    fn growing_siblings_are_listed_as_one_under_the_one_that_grew_most() {
        let (a, c) = (visits(0, 40, |_| 2), visits(2, 40, |v| if v == 7 { 9 } else { 4 }));
        let matching = crate::Matching::new(&a, &c);
        let growing = crate::growing_containers(&a, &c, &matching, 10);
        assert_eq!(growing.len(), 1, "{growing:?}");
        let g = &growing[0];
        assert_eq!((g.path.as_str(), g.len_before, g.len_after), ("m.VISITS['v7']['events']", 2, 9));
        let s = g.siblings.as_ref().expect("siblings");
        assert_eq!((s.pattern.as_str(), s.count, s.len_before, s.len_after), ("m.VISITS[*]['events']", 40, 80, 165));
    }

    #[test]
    fn a_sibling_that_grew_most_stays_a_suspect_of_its_own() {
        // Visitor 0 gains 100 events per interval, the 40 others one each: not spread.
        let snaps: Vec<Snapshot> =
            (0..3).map(|t| visits(t, 41, |v| if v == 0 { 100 * (t as usize + 1) } else { 2 + t as usize })).collect();
        let analysis = crate::analyze(&snaps.iter().collect::<Vec<_>>(), 5);
        let top = &analysis.suspects[0];
        assert_eq!((top.path.as_str(), top.holders), ("m.VISITS['v0']['events']", 1));
        assert!(analysis.suspects.iter().all(|s| s.holders == 1), "the others each grew under 1 KiB");
    }

    /// Snapshot `t` of objects no root reaches: functions `first..end`, each holding a tuple.
    fn unreached(t: u32, first: usize, end: usize) -> Snapshot {
        let mut lines = vec!["module\t<module 'm'>\t72\t-\t10\t-\tm".to_owned()];
        for f in first..end {
            let (function, tuple) = (0x1000 + 2 * f, 0x1001 + 2 * f);
            lines.push(format!("function\t<function cb{f}>\t150\t-\t{function:x}\t-\t<unreached>"));
            lines.push(format!("tuple\t('kept', {f})\t200\t2\t{tuple:x}\t{function:x}\t.__defaults__"));
        }
        with_paths(&format!("t{t}"), Some(&format!("2026-01-01T00:0{t}:00Z")), lines)
    }

    #[test]
    fn new_objects_no_root_reaches_are_one_suspect_and_their_churn_nets_out() {
        // Ten more callbacks held by C code in each interval: 3.4 KB each time.
        let snaps: Vec<Snapshot> = (0..3).map(|t| unreached(t, 0, 10 + 10 * t as usize)).collect();
        let analysis = crate::analyze(&snaps.iter().collect::<Vec<_>>(), 5);
        let s = &analysis.suspects[0];
        assert_eq!(
            (s.path.as_str(), s.type_name.as_str(), s.holders, s.net_bytes),
            ("<unreached>", "function", 20, 7000)
        );
        assert!(s.unreached && s.entries[0].shape.starts_with("<function cb"), "{:?}", s.entries);
        // Ten replaced by ten others in each interval: as much freed as made.
        let snaps: Vec<Snapshot> = (0..3).map(|t| unreached(t, 10 * t as usize, 10 + 10 * t as usize)).collect();
        assert!(crate::analyze(&snaps.iter().collect::<Vec<_>>(), 5).suspects.is_empty());
    }

    #[test]
    fn labels_count_in_patterns_as_data_or_as_threads_of_one_name() {
        assert_eq!(label_key("['user-1']"), "[*]");
        assert_eq!(label_key("[12]"), "[*]");
        assert_eq!(label_key(".events"), ".events");
        assert_eq!(label_key("app"), "app");
        assert_eq!(label_key("<thread Thread-12 (serve)> wait()"), "<thread Thread-# (serve)> *()");
        assert_eq!(label_key("<thread worker> run()"), "<thread worker> *()");
        assert_eq!(label_key("<unreached>"), "<unreached>");
    }

    #[test]
    fn a_parent_cycle_in_a_damaged_file_groups_nothing() {
        let s = snap(&["list\t[]\t56\t0\ta\tb\t[0]", "list\t[]\t56\t0\tb\ta\t[0]", "list\t[]\t56\t0\tc\ta\t[1]"]);
        let holders: Vec<u32> = (0..3).collect();
        assert!(candidate_groups(&s, &holders).is_empty());
    }
}
