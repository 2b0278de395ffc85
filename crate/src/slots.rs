//! A value replaced by a larger one. A holder that grew with no more objects may owe it to
//! one of its slots (an attribute, a dict key) whose value is rebuilt bigger each time:
//! `self.text += line` makes a new, longer str and drops the old one. That slot, not the
//! holder, is what the reader should see named: `__main__.journal.text`.

use rustc_hash::FxHashMap;

use crate::paths::{holder_path, push_segment};
use crate::snapshot::Snapshot;

/// One slot of a holder, followed across the snapshots.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Path of the slot: the holder's path and the slot's edge label.
    pub path: String,
    /// The object in the slot in each snapshot, oldest first (`None`: the holder or the slot
    /// is absent).
    pub objects: Vec<Option<usize>>,
}

/// The slot of a holder (at index `holder[k]` in snapshot `k`) whose value grew most from the
/// first snapshot that has it to the last, replaced by other objects, when that growth is at
/// least half of `net_bytes` (what the holder gained in all) and at least `min_bytes`.
pub(crate) fn replaced_slot(
    snaps: &[&Snapshot],
    holder: &[Option<usize>],
    net_bytes: i64,
    min_bytes: i64,
) -> Option<Slot> {
    let last = snaps.len() - 1;
    let first = holder.iter().position(Option::is_some)?;
    holder[last]?;
    let slots: Vec<Option<FxHashMap<&str, usize>>> =
        snaps.iter().zip(holder).map(|(snap, h)| h.map(|h| slots_of(snap, h))).collect();
    let (oldest, newest) = (slots[first].as_ref()?, slots[last].as_ref()?);
    let (growth, edge) = newest
        .iter()
        .filter_map(|(&edge, &now)| {
            let then = *oldest.get(edge)?;
            let (a, b) = (snaps[first].object(then), snaps[last].object(now));
            let replaced = a.id() != b.id() || a.type_name() != b.type_name();
            replaced.then(|| (b.size() as i64 - a.size() as i64, edge))
        })
        // Largest growth first; ties by label, so the choice does not depend on hash order.
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))?;
    if growth < min_bytes || 2 * growth < net_bytes {
        return None;
    }
    let objects = slots.iter().map(|at| at.as_ref().and_then(|at| at.get(edge).copied())).collect();
    let mut path = holder_path(snaps[last], holder[last]?)?;
    push_segment(&mut path, &crate::escape::unescape(edge));
    Some(Slot { path, objects })
}

/// The objects directly under `holder`, by edge label as written, keys (`<key>`) and
/// unlabelled references (`<referent>`) left out: those do not name a slot.
fn slots_of(snap: &Snapshot, holder: usize) -> FxHashMap<&str, usize> {
    let id = snap.id(holder);
    (0..snap.len())
        .filter(|&i| snap.object(i).parent() == Some(id))
        .filter_map(|i| Some((snap.object(i).raw_edge()?, i)))
        .filter(|(edge, _)| !matches!(*edge, "<key>" | "<referent>" | "<item>"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module whose `journal` instance's `text` is a new str, `n` characters, in each snapshot.
    fn journal(t: usize, n: usize) -> Snapshot {
        let head = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n";
        let mut lines = [
            "module\t<module 'app'>\t72\t-\t10\t-\tapp".to_owned(),
            "dict\t{…}\t1000\t2\t20\t10\t.__dict__".to_owned(),
            "app.Journal\tJournal(…)\t48\t-\t30\t20\t['journal']".to_owned(),
            "dict\t{…}\t100\t2\t40\t30\t.__dict__".to_owned(),
            format!("str\t'…'\t{}\t{n}\t{:x}\t40\t['text']", 49 + n, 0x1000 + t),
            "str\t'x'\t50\t1\t50\t40\t['name']".to_owned(),
        ];
        lines.sort();
        let text = format!("{head}#time\tt{t}\n{}\n#end\t{}\n", lines.join("\n"), lines.len());
        Snapshot::parse(&format!("s{t}"), text.into_bytes()).unwrap()
    }

    #[test]
    fn the_slot_whose_value_was_replaced_by_a_larger_one_is_named() {
        let snaps: Vec<Snapshot> = (0..3).map(|t| journal(t, 1000 * (t + 1))).collect();
        let snaps: Vec<&Snapshot> = snaps.iter().collect();
        let holder: Vec<Option<usize>> = snaps.iter().map(|s| s.index_of(0x40)).collect();
        let slot = replaced_slot(&snaps, &holder, 2000, 1024).expect("a slot");
        assert_eq!(slot.path, "app.journal.text");
        let lens: Vec<Option<u64>> =
            slot.objects.iter().zip(&snaps).map(|(i, s)| i.and_then(|i| s.object(i).length())).collect();
        assert_eq!(lens, vec![Some(1000), Some(2000), Some(3000)]);
        // Not when it explains less than half of what the holder gained, nor under the floor.
        assert!(replaced_slot(&snaps, &holder, 5000, 1024).is_none());
        assert!(replaced_slot(&snaps, &holder, 2000, 4096).is_none());
    }

    #[test]
    fn a_value_that_stayed_the_same_object_is_no_replaced_slot() {
        let snaps: Vec<Snapshot> = (0..2).map(|t| journal(0, 1000 * (t + 1))).collect();
        let snaps: Vec<&Snapshot> = snaps.iter().collect();
        let holder: Vec<Option<usize>> = snaps.iter().map(|s| s.index_of(0x40)).collect();
        assert!(replaced_slot(&snaps, &holder, 1000, 512).is_none());
    }
}
