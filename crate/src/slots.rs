//! A value replaced by a larger one. A holder that grew with no more objects may owe it to
//! one of its slots (an attribute, a dict key) whose value is rebuilt bigger each time:
//! `self.text += line` makes a new, longer str and drops the old one. That slot, not the
//! holder, is what the reader should see named: `__main__.journal.text`, or for sibling
//! holders `__main__.VISITORS[*].log`.

use rustc_hash::FxHashMap;

use crate::paths::push_segment;
use crate::snapshot::Snapshot;

/// One slot of each holder, followed across the snapshots.
#[derive(Debug)]
pub(crate) struct Slot {
    /// The holders' path (or path pattern) and the slot's edge label.
    pub path: String,
    /// For each holder, the object in the slot in each snapshot, oldest first (`None`: the
    /// holder or the slot is absent).
    pub objects: Vec<Vec<Option<usize>>>,
    /// The holder whose slot grew most.
    pub top: usize,
}

/// The slot that the holders (holder `m` at index `holders[m][k]` in snapshot `k`, all under
/// `path`) have in common and whose values grew most from the first snapshot that has each
/// holder to the last, replaced by other objects — when that growth is at least half of
/// `net_bytes` (what the holders gained in all) and at least `min_bytes`.
pub(crate) fn replaced_slot(
    snaps: &[&Snapshot],
    holders: &[Vec<Option<usize>>],
    path: &str,
    net_bytes: i64,
    min_bytes: i64,
) -> Option<Slot> {
    let last = snaps.len() - 1;
    // slots[k][m]: the slots of holder m in snapshot k, by edge label.
    let slots: Vec<Vec<Option<FxHashMap<&str, usize>>>> = snaps
        .iter()
        .enumerate()
        .map(|(k, snap)| slots_of(snap, &holders.iter().map(|at| at[k]).collect::<Vec<_>>()))
        .collect();
    // By edge label: the growth summed over the holders, and the holder whose slot grew most.
    let mut by_edge: FxHashMap<&str, (i64, (i64, usize))> = FxHashMap::default();
    for (m, at) in holders.iter().enumerate() {
        let Some(first) = at.iter().position(Option::is_some) else { continue };
        let (Some(oldest), Some(newest)) = (&slots[first][m], &slots[last][m]) else { continue };
        for (&edge, &now) in newest {
            let Some(&then) = oldest.get(edge) else { continue };
            let (a, b) = (snaps[first].object(then), snaps[last].object(now));
            if a.id() == b.id() && a.type_name() == b.type_name() {
                continue; // the same object: grown in place, charged to it, not replaced
            }
            let growth = b.size() as i64 - a.size() as i64;
            let entry = by_edge.entry(edge).or_insert((0, (i64::MIN, m)));
            entry.0 += growth;
            entry.1 = entry.1.max((growth, m));
        }
    }
    // Largest growth first; ties by label, so the choice does not depend on hash order.
    let (edge, (growth, (_, top))) =
        by_edge.into_iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0)))?;
    if growth < min_bytes || 2 * growth < net_bytes {
        return None;
    }
    let objects = (0..holders.len())
        .map(|m| slots.iter().map(|at| at[m].as_ref().and_then(|s| s.get(edge).copied())).collect())
        .collect();
    let mut path = path.to_owned();
    push_segment(&mut path, &crate::escape::unescape(edge));
    Some(Slot { path, objects, top })
}

/// For each of `holders` (an index in `snap`, or `None`), the objects directly under it by
/// edge label as written; keys (`<key>`), set items and unlabelled references left out: those
/// do not name a slot. One pass over the snapshot.
fn slots_of<'a>(snap: &'a Snapshot, holders: &[Option<usize>]) -> Vec<Option<FxHashMap<&'a str, usize>>> {
    let mut out: Vec<Option<FxHashMap<&str, usize>>> =
        holders.iter().map(|h| h.map(|_| FxHashMap::default())).collect();
    let by_id: FxHashMap<u64, usize> =
        holders.iter().enumerate().filter_map(|(m, h)| h.map(|h| (snap.id(h), m))).collect();
    if by_id.is_empty() {
        return out;
    }
    for i in 0..snap.len() {
        let o = snap.object(i);
        let Some(&m) = o.parent().and_then(|p| by_id.get(&p)) else { continue };
        if let Some(edge) = o.raw_edge().filter(|e| !matches!(*e, "<key>" | "<referent>" | "<item>")) {
            out[m].as_mut().expect("a present holder").insert(edge, i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module whose `journals` list holds `holders` instances, each with a `text` that is a
    /// new str of `n` characters in each snapshot `t`.
    fn journals(t: usize, n: usize, holders: usize) -> Snapshot {
        let head = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n";
        let mut lines = vec![
            "module\t<module 'app'>\t72\t-\t10\t-\tapp".to_owned(),
            "dict\t{…}\t1000\t1\t20\t10\t.__dict__".to_owned(),
            format!("list\t[…]\t100\t{holders}\t30\t20\t['journals']"),
        ];
        for h in 0..holders {
            let (instance, dict) = (0x100 + 0x10 * h, 0x1000 + 0x10 * h);
            lines.push(format!("app.Journal\tJournal(…)\t48\t-\t{instance:x}\t30\t[{h}]"));
            lines.push(format!("dict\t{{…}}\t100\t2\t{dict:x}\t{instance:x}\t.__dict__"));
            lines.push(format!("str\t'…'\t{}\t{n}\t{:x}\t{dict:x}\t['text']", 49 + n, 0x100000 * (t + 1) + h));
            lines.push(format!("str\t'x'\t50\t1\t{:x}\t{dict:x}\t['name']", 0x10000 + h));
        }
        lines.sort();
        let text = format!("{head}#time\tt{t}\n{}\n#end\t{}\n", lines.join("\n"), lines.len());
        Snapshot::parse(&format!("s{t}"), text.into_bytes()).unwrap()
    }

    fn holders_of(snaps: &[&Snapshot], ids: &[u64]) -> Vec<Vec<Option<usize>>> {
        ids.iter().map(|&id| snaps.iter().map(|s| s.index_of(id)).collect()).collect()
    }

    #[test]
    fn the_slot_whose_value_was_replaced_by_a_larger_one_is_named() {
        let snaps: Vec<Snapshot> = (0..3).map(|t| journals(t, 1000 * (t + 1), 1)).collect();
        let snaps: Vec<&Snapshot> = snaps.iter().collect();
        let holders = holders_of(&snaps, &[0x1000]);
        let slot = replaced_slot(&snaps, &holders, "app.journals[0].__dict__", 2000, 1024).expect("a slot");
        assert_eq!(slot.path, "app.journals[0].text");
        let lens: Vec<Option<u64>> =
            slot.objects[0].iter().zip(&snaps).map(|(i, s)| i.and_then(|i| s.object(i).length())).collect();
        assert_eq!(lens, vec![Some(1000), Some(2000), Some(3000)]);
        // Not when it explains less than half of what the holder gained, nor under the floor.
        assert!(replaced_slot(&snaps, &holders, "h", 5000, 1024).is_none());
        assert!(replaced_slot(&snaps, &holders, "h", 2000, 4096).is_none());
    }

    #[test]
    fn siblings_share_the_slot_their_values_grew_in() {
        let snaps: Vec<Snapshot> = (0..2).map(|t| journals(t, 100 * (t + 1), 20)).collect();
        let snaps: Vec<&Snapshot> = snaps.iter().collect();
        let holders = holders_of(&snaps, &(0..20).map(|h| 0x1000 + 0x10 * h).collect::<Vec<_>>());
        let slot = replaced_slot(&snaps, &holders, "app.journals[*].__dict__", 2000, 1024).expect("a slot");
        assert_eq!(slot.path, "app.journals[*].text");
        assert_eq!(slot.objects.len(), 20);
        assert!(slot.objects.iter().all(|at| at.iter().all(Option::is_some)));
    }

    #[test]
    fn a_value_that_stayed_the_same_object_is_no_replaced_slot() {
        let snaps: Vec<Snapshot> = (0..2).map(|t| journals(0, 1000 * (t + 1), 1)).collect();
        let snaps: Vec<&Snapshot> = snaps.iter().collect();
        let holders = holders_of(&snaps, &[0x1000]);
        assert!(replaced_slot(&snaps, &holders, "h", 1000, 512).is_none());
    }
}
