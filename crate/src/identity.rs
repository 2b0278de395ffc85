//! Which objects of two snapshots are the same object.
//!
//! CPython reuses addresses, so an equal id is not enough. Two objects are the same when
//! they have the same id and type, and also
//! - for immutable types, the same contents;
//! - when both snapshots record paths, the same parent (an object that moved to a new
//!   shortest path counts as deleted and new: a rare, visible, conservative error).
//!
//! Snapshots of different processes are matched by holder path and contents instead
//! (`path_matching.rs`).

use rustc_hash::FxHashMap;

use crate::path_matching::{from_different_processes, match_across_processes};
use crate::snapshot::Snapshot;

/// Types whose objects never change contents.
const IMMUTABLE_TYPES: &[&str] =
    &["str", "int", "float", "bytes", "tuple", "frozenset", "complex", "bool", "range", "code"];

/// Whether objects of the type named `type_name` never change contents.
pub(crate) fn is_immutable(type_name: &str) -> bool {
    IMMUTABLE_TYPES.contains(&type_name)
}

/// No counterpart in the other snapshot.
pub const NONE: u32 = u32::MAX;

/// The object-by-object correspondence of a baseline and a later snapshot.
#[derive(Clone, Debug)]
pub struct Matching {
    /// For each object of the later snapshot, its index in the baseline, or [`NONE`] if new.
    pub before_of_after: Vec<u32>,
    /// For each object of the baseline, its index in the later snapshot, or [`NONE`] if gone.
    pub after_of_before: Vec<u32>,
}

impl Matching {
    /// Matches the objects of `before` and `after`: by identity when both come from one
    /// process, else by holder path and contents ([`from_different_processes`]).
    pub fn new(before: &Snapshot, after: &Snapshot) -> Matching {
        if from_different_processes(before, after) {
            return match_across_processes(before, after);
        }
        Matching::by_identity(before, after)
    }

    /// Matches the objects of two snapshots of one process by id, type, parent and contents.
    ///
    /// Two passes: equal ids are paired by a merge of the two id orders, then each pair is
    /// checked in file order, where both texts are read nearly sequentially (an unchanged
    /// object sits at about the same place in both sorted files).
    pub fn by_identity(before: &Snapshot, after: &Snapshot) -> Matching {
        let mut m = Matching { before_of_after: vec![NONE; after.len()], after_of_before: vec![NONE; before.len()] };
        let (order_a, order_b) = (before.by_id(), after.by_id());
        before.sorted_id_halves().equal_pairs(&after.sorted_id_halves(), |i, j| {
            m.before_of_after[order_b[j] as usize] = order_a[i];
        });
        let immutable_a: Vec<bool> = before.type_names().iter().map(|t| is_immutable(t)).collect();
        // Type index in `after` of each type of `before`, so types compare as integers.
        let after_types: FxHashMap<&str, u32> =
            after.type_names().iter().enumerate().map(|(i, t)| (&**t, i as u32)).collect();
        let type_in_after: Vec<u32> =
            before.type_names().iter().map(|t| after_types.get(&**t).copied().unwrap_or(NONE)).collect();
        let same_parent = before.has_paths() && after.has_paths();
        let mut hint = 0;
        for (tb, range) in after.type_runs() {
            for ib in range {
                let ia = m.before_of_after[ib];
                if ia == NONE {
                    continue;
                }
                let ia = ia as usize;
                let (a, b) = (before.object(ia), after.object(ib));
                let ta = before.type_index_near(ia, &mut hint) as usize;
                let same = type_in_after[ta] == tb
                    && (!same_parent || a.parent() == b.parent())
                    && (!immutable_a[ta] || a.same_repr(&b));
                if same {
                    m.after_of_before[ia] = ib as u32;
                } else {
                    m.before_of_after[ib] = NONE;
                }
            }
        }
        m
    }

    /// Whether object `index` of the later snapshot is new.
    pub fn is_new(&self, index: usize) -> bool {
        self.before_of_after[index] == NONE
    }

    /// Whether object `index` of the baseline is gone.
    pub fn is_deleted(&self, index: usize) -> bool {
        self.after_of_before[index] == NONE
    }
}
