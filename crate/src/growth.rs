//! What grew between two snapshots, object by object: the new objects of each type grouped
//! by shape, and the containers present in both whose length grew, with their entries diffed.

use rustc_hash::FxHashMap;
use serde::Serialize;
use similar::{capture_diff_slices, Algorithm, DiffOp};

use crate::shape::split_top_level;

use crate::compare::Comparison;
use crate::groups::{group_by_shape, ContentGroup};
use crate::identity::{Matching, NONE};
use crate::paths::path_or_address;
use crate::siblings::{candidate_groups, pattern};
use crate::snapshot::Snapshot;

/// Siblings of one path pattern that grew, from this many on, are listed as one.
const MIN_SIBLINGS: usize = 3;

/// Entries listed per side of a container diff; the rest are counted.
const MAX_LISTED: usize = 20;

/// The new objects of one type, grouped by shape.
#[derive(Clone, Debug, Serialize)]
pub struct TypeGroups {
    /// Type name.
    pub type_name: String,
    /// Largest groups first.
    pub groups: Vec<ContentGroup>,
}

/// A container present in both snapshots whose length grew.
#[derive(Clone, Debug, Serialize)]
pub struct GrowingContainer {
    /// Type name.
    pub type_name: String,
    /// Path from a root, or `<type> at 0x…` without paths.
    pub path: String,
    /// Length in the baseline.
    pub len_before: u64,
    /// Length in the later snapshot.
    pub len_after: u64,
    /// Shallow size in the baseline.
    pub size_before: u64,
    /// Shallow size in the later snapshot.
    pub size_after: u64,
    /// Bounded contents in the baseline.
    pub contents_before: String,
    /// Bounded contents in the later snapshot.
    pub contents_after: String,
    /// The bounded contents, item by item: `(tag, item)` with tag `=` (in both), `+` (added)
    /// or `-` (removed), computed with `similar`.
    pub contents_diff: Vec<(char, String)>,
    /// Entries (edge labels of the objects first reached through it) only in the later snapshot.
    pub added: Vec<String>,
    /// How many entries were added in all.
    pub added_total: u64,
    /// Entries only in the baseline.
    pub removed: Vec<String>,
    /// How many entries were removed in all.
    pub removed_total: u64,
    /// When this container stands for siblings of one type and path pattern that all grew (a
    /// list per visitor): the pattern and their totals. The rest describes the one that grew most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siblings: Option<Siblings>,
}

/// Sibling containers of one type and path pattern that grew, listed as one.
#[derive(Clone, Debug, Serialize)]
pub struct Siblings {
    /// Their path pattern, `[*]` for the keys or indexes that differ (`VISITS[*]['events']`).
    pub pattern: String,
    /// How many grew.
    pub count: u64,
    /// Their summed length in the baseline.
    pub len_before: u64,
    /// Their summed length in the later snapshot.
    pub len_after: u64,
}

/// The new objects of the `top_types` types that grew most in bytes, grouped by shape
/// (`top_groups` groups each, with holders).
pub fn new_object_groups(
    after: &Snapshot,
    matching: &Matching,
    comparison: &Comparison,
    top_types: usize,
    top_groups: usize,
) -> Vec<TypeGroups> {
    let mut rows: Vec<&crate::TypeDelta> = comparison.rows.iter().filter(|r| r.new_count > 0).collect();
    rows.sort_by(|a, b| b.new_bytes.cmp(&a.new_bytes).then_with(|| a.type_name.cmp(&b.type_name)));
    rows.truncate(top_types);
    // One pass over the objects: the new ones of each kept type, in file order.
    let mut slot_of_type: Vec<Option<usize>> = vec![None; after.type_names().len()];
    for (slot, row) in rows.iter().enumerate() {
        if let Some(t) = after.type_names().iter().position(|n| **n == *row.type_name) {
            slot_of_type[t] = Some(slot);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    for (t, range) in after.type_runs() {
        if let Some(slot) = slot_of_type[t as usize] {
            members[slot].extend(range.filter(|&i| matching.is_new(i)));
        }
    }
    rows.iter()
        .zip(members)
        .map(|(row, indices)| {
            let mut groups = group_by_shape(after, indices);
            groups.truncate(top_groups);
            TypeGroups { type_name: row.type_name.clone(), groups }
        })
        .collect()
}

/// The `top` containers whose length grew most (then size, then file order), with the
/// entries added and removed.
pub fn growing_containers(
    before: &Snapshot,
    after: &Snapshot,
    matching: &Matching,
    top: usize,
) -> Vec<GrowingContainer> {
    let mut grown: Vec<(u64, u64, usize, usize)> = (0..after.len())
        .filter_map(|ib| {
            let ia = matching.before_of_after[ib];
            if ia == NONE {
                return None;
            }
            let (a, b) = (before.object(ia as usize), after.object(ib));
            let (la, lb) = (a.length()?, b.length()?);
            (lb > la).then(|| (lb - la, b.size().saturating_sub(a.size()), ia as usize, ib))
        })
        .collect();
    let siblings = collapse_siblings(before, after, &mut grown);
    grown.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.3.cmp(&y.3)));
    grown.truncate(top);
    let before_ids: Vec<u64> = grown.iter().map(|&(_, _, ia, _)| before.object(ia).id()).collect();
    let after_ids: Vec<u64> = grown.iter().map(|&(_, _, _, ib)| after.object(ib).id()).collect();
    let (old_entries, new_entries) = (entries(before, &before_ids), entries(after, &after_ids));
    grown
        .into_iter()
        .zip(old_entries.into_iter().zip(new_entries))
        .map(|((_, _, ia, ib), (old, new))| {
            let (a, b) = (before.object(ia), after.object(ib));
            let (added, added_total, removed, removed_total) = diff_sorted(&old, &new);
            let (contents_before, contents_after) = (a.repr().into_owned(), b.repr().into_owned());
            let contents_diff = diff_items(&contents_before, &contents_after);
            GrowingContainer {
                type_name: b.type_name().to_owned(),
                path: path_or_address(after, ib),
                len_before: a.length().unwrap_or(0),
                len_after: b.length().unwrap_or(0),
                size_before: a.size(),
                size_after: b.size(),
                contents_before,
                contents_after,
                contents_diff,
                added,
                added_total,
                removed,
                removed_total,
                siblings: siblings.get(&ib).cloned(),
            }
        })
        .collect()
}

/// Replaces, in `grown` (`(length gained, bytes gained, index before, index after)`), the
/// siblings of each path pattern (from [`MIN_SIBLINGS`] on) by the one that grew most, credited
/// with what they gained together; returns their [`Siblings`] by its index after.
fn collapse_siblings(
    before: &Snapshot,
    after: &Snapshot,
    grown: &mut Vec<(u64, u64, usize, usize)>,
) -> FxHashMap<usize, Siblings> {
    let mut out = FxHashMap::default();
    let indexes: Vec<u32> = grown.iter().map(|g| g.3 as u32).collect();
    let mut at_of: FxHashMap<u32, usize> = FxHashMap::default();
    for group in candidate_groups(after, &indexes).into_iter().filter(|g| g.len() >= MIN_SIBLINGS) {
        if at_of.is_empty() {
            at_of = indexes.iter().enumerate().map(|(at, &ib)| (ib, at)).collect();
        }
        let Some((path, members)) = pattern(after, &group).filter(|(_, m)| m.len() >= MIN_SIBLINGS) else { continue };
        let rows: Vec<usize> = members.iter().map(|m| at_of[m]).collect();
        let largest = *rows
            .iter()
            .max_by(|&&x, &&y| {
                grown[x].0.cmp(&grown[y].0).then(grown[x].1.cmp(&grown[y].1)).then(grown[y].3.cmp(&grown[x].3))
            })
            .expect("three or more");
        let length = |snap: &Snapshot, i: usize| snap.object(i).length().unwrap_or(0);
        let siblings = Siblings {
            pattern: path,
            count: rows.len() as u64,
            len_before: rows.iter().map(|&r| length(before, grown[r].2)).sum(),
            len_after: rows.iter().map(|&r| length(after, grown[r].3)).sum(),
        };
        let (gained, bytes) = rows.iter().fold((0, 0), |(l, b), &r| (l + grown[r].0, b + grown[r].1));
        for &r in &rows {
            grown[r].0 = 0; // marked: dropped below, all but the largest
        }
        grown[largest].0 = gained;
        grown[largest].1 = bytes;
        out.insert(grown[largest].3, siblings);
    }
    grown.retain(|g| g.0 > 0);
    out
}

/// Added and removed entries of two sorted lists (listed up to `MAX_LISTED`, all counted):
/// a linear merge, since containers can hold millions of entries.
fn diff_sorted(old: &[String], new: &[String]) -> (Vec<String>, u64, Vec<String>, u64) {
    let (mut added, mut removed, mut added_total, mut removed_total) = (Vec::new(), Vec::new(), 0, 0);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => (index_order(o), o).cmp(&(index_order(n), n)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => {
                removed_total += 1;
                if removed.len() < MAX_LISTED {
                    removed.push(old[i].clone());
                }
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                added_total += 1;
                if added.len() < MAX_LISTED {
                    added.push(new[j].clone());
                }
                j += 1;
            }
        }
    }
    (added, added_total, removed, removed_total)
}

/// The items of two bounded container contents, diffed with `similar`.
fn diff_items(before: &str, after: &str) -> Vec<(char, String)> {
    let (old, new) = (items(before), items(after));
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
        match op {
            DiffOp::Equal { old_index, len, .. } => {
                out.extend(old[old_index..old_index + len].iter().map(|s| ('=', s.to_string())))
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                out.extend(old[old_index..old_index + old_len].iter().map(|s| ('-', s.to_string())))
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                out.extend(new[new_index..new_index + new_len].iter().map(|s| ('+', s.to_string())))
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                out.extend(old[old_index..old_index + old_len].iter().map(|s| ('-', s.to_string())));
                out.extend(new[new_index..new_index + new_len].iter().map(|s| ('+', s.to_string())));
            }
        }
    }
    out
}

/// The top-level items of a container's bounded contents: `{a: 1, b: 2}` → `a: 1`, `b: 2`.
fn items(contents: &str) -> Vec<&str> {
    let inner = contents.find(['{', '[', '(']).and_then(|open| {
        let close = match &contents[open..open + 1] {
            "{" => '}',
            "[" => ']',
            _ => ')',
        };
        contents.rfind(close).filter(|&end| end > open).map(|end| &contents[open + 1..end])
    });
    match inner {
        Some(inner) if !inner.trim().is_empty() => split_top_level(inner, ',').into_iter().map(str::trim).collect(),
        _ => vec![contents],
    }
}

/// For each of `ids`, the edge labels of the objects first reached through it, sorted (dict
/// keys themselves, `<key>`, are left out: their values carry the key). One pass over `snap`.
fn entries(snap: &Snapshot, ids: &[u64]) -> Vec<Vec<String>> {
    let slot: FxHashMap<u64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut labels: Vec<Vec<(u64, String)>> = vec![Vec::new(); ids.len()];
    for o in snap.objects() {
        let Some(&s) = o.parent().and_then(|p| slot.get(&p)) else {
            continue;
        };
        if let Some(e) = o.edge().filter(|e| e != "<key>") {
            labels[s].push((index_order(&e), e.into_owned()));
        }
    }
    labels
        .into_iter()
        .map(|mut l| {
            l.sort(); // by index order, then text: the order diff_sorted merges in
            l.into_iter().map(|(_, e)| e).collect()
        })
        .collect()
}

/// Numeric order for `[12]`-style labels, so list entries diff in index order.
fn index_order(edge: &str) -> u64 {
    edge.strip_prefix('[').and_then(|e| e.strip_suffix(']')).and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
}
