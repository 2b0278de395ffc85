//! Comparison of two snapshots per type, with Chrome DevTools' "Comparison" semantics:
//! objects are matched by identity, so an object that was freed and another that took its
//! place count as one deleted and one new, even when their totals cancel out.
//!
//! See [`crate::Matching`] for when two objects are the same.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::identity::Matching;
use crate::snapshot::Snapshot;

/// How the objects of one type changed from the baseline to the current snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeDelta {
    /// Module-qualified type name.
    pub type_name: String,
    /// Objects in the baseline.
    pub count_before: u64,
    /// Objects in the current snapshot.
    pub count_after: u64,
    /// Objects in the current snapshot that were not in the baseline.
    pub new_count: u64,
    /// Objects in the baseline that are gone.
    pub deleted_count: u64,
    /// Shallow bytes in the baseline.
    pub bytes_before: u64,
    /// Shallow bytes in the current snapshot.
    pub bytes_after: u64,
    /// Shallow bytes of the new objects.
    pub new_bytes: u64,
    /// Shallow bytes of the deleted objects.
    pub freed_bytes: u64,
    /// Bytes the type retains in the current snapshot, when it was captured with edges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained_after: Option<u64>,
}

impl TypeDelta {
    fn empty(type_name: &str) -> TypeDelta {
        TypeDelta {
            type_name: type_name.to_owned(),
            count_before: 0,
            count_after: 0,
            new_count: 0,
            deleted_count: 0,
            bytes_before: 0,
            bytes_after: 0,
            new_bytes: 0,
            freed_bytes: 0,
            retained_after: None,
        }
    }

    /// Change in object count.
    pub fn count_delta(&self) -> i64 {
        self.count_after as i64 - self.count_before as i64
    }

    /// Change in shallow bytes.
    pub fn bytes_delta(&self) -> i64 {
        self.bytes_after as i64 - self.bytes_before as i64
    }
}

/// The columns a comparison can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortKey {
    /// Type name.
    TypeName,
    /// New objects.
    NewCount,
    /// Deleted objects.
    DeletedCount,
    /// Change in count.
    CountDelta,
    /// Bytes of new objects.
    NewBytes,
    /// Bytes of deleted objects.
    FreedBytes,
    /// Change in bytes.
    BytesDelta,
}

impl SortKey {
    /// Parses a column name as used by the CLI and the page (`bytes-delta`, `new`, …).
    pub fn from_name(name: &str) -> Option<SortKey> {
        Some(match name {
            "type" => SortKey::TypeName,
            "new" => SortKey::NewCount,
            "deleted" => SortKey::DeletedCount,
            "count-delta" => SortKey::CountDelta,
            "new-bytes" => SortKey::NewBytes,
            "freed-bytes" => SortKey::FreedBytes,
            "bytes-delta" => SortKey::BytesDelta,
            _ => return None,
        })
    }
}

/// The per-type comparison of a baseline and a current snapshot.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Baseline name.
    pub before: String,
    /// Current snapshot name.
    pub after: String,
    /// One row per type present in either snapshot.
    pub rows: Vec<TypeDelta>,
}

impl Comparison {
    /// Compares `before` with `after`, rows sorted by byte growth.
    ///
    /// # Example
    /// ```
    /// let head = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n";
    /// let a = format!("{head}dict\t{{}}\t64\t0\t10\n#end\t1\n");
    /// let b = format!("{head}dict\t{{}}\t64\t0\t10\ndict\t{{'k': 1}}\t184\t1\t20\n#end\t2\n");
    /// let a = heapsnap::Snapshot::parse("a", a.into_bytes()).unwrap();
    /// let b = heapsnap::Snapshot::parse("b", b.into_bytes()).unwrap();
    /// let c = heapsnap::Comparison::new(&a, &b);
    /// assert_eq!(c.rows[0].type_name, "dict");
    /// assert_eq!((c.rows[0].new_count, c.rows[0].deleted_count, c.rows[0].bytes_delta()), (1, 0, 184));
    /// ```
    pub fn new(before: &Snapshot, after: &Snapshot) -> Comparison {
        Comparison::from_matching(before, after, &Matching::new(before, after))
    }

    /// Like [`Comparison::new`], reusing a matching already computed.
    pub fn from_matching(before: &Snapshot, after: &Snapshot, matching: &Matching) -> Comparison {
        let mut rows: Vec<TypeDelta> = Vec::new();
        let mut row_of_name: FxHashMap<&str, usize> = FxHashMap::default();
        let rows_a = rows_for_types(before, &mut row_of_name, &mut rows);
        let rows_b = rows_for_types(after, &mut row_of_name, &mut rows);
        for (t, range) in before.type_runs() {
            let row = &mut rows[rows_a[t as usize]];
            row.count_before += range.len() as u64;
            row.bytes_before += before.size_sum(range.clone());
            for i in range.filter(|&i| matching.is_deleted(i)) {
                row.deleted_count += 1;
                row.freed_bytes += before.size(i);
            }
        }
        for (t, range) in after.type_runs() {
            let row = &mut rows[rows_b[t as usize]];
            row.count_after += range.len() as u64;
            row.bytes_after += after.size_sum(range.clone());
            for i in range.filter(|&i| matching.is_new(i)) {
                row.new_count += 1;
                row.new_bytes += after.size(i);
            }
        }
        let mut comparison = Comparison { before: before.name().to_owned(), after: after.name().to_owned(), rows };
        comparison.sort_by(SortKey::BytesDelta, true);
        comparison
    }

    /// Sets each row's [`TypeDelta::retained_after`] from `by_type` (bytes per type index of
    /// `current`, the comparison's later snapshot).
    pub fn set_retained(&mut self, current: &Snapshot, by_type: &[u64]) {
        let index: FxHashMap<&str, usize> = current.type_names().iter().enumerate().map(|(i, t)| (&**t, i)).collect();
        for row in &mut self.rows {
            row.retained_after = Some(index.get(row.type_name.as_str()).map_or(0, |&i| by_type[i]));
        }
    }

    /// Sorts rows by `key` (`descending` or not); ties go to larger byte growth, then type name.
    pub fn sort_by(&mut self, key: SortKey, descending: bool) {
        self.rows.sort_by(|a, b| {
            let primary = match key {
                SortKey::TypeName => a.type_name.cmp(&b.type_name),
                SortKey::NewCount => a.new_count.cmp(&b.new_count),
                SortKey::DeletedCount => a.deleted_count.cmp(&b.deleted_count),
                SortKey::CountDelta => a.count_delta().cmp(&b.count_delta()),
                SortKey::NewBytes => a.new_bytes.cmp(&b.new_bytes),
                SortKey::FreedBytes => a.freed_bytes.cmp(&b.freed_bytes),
                SortKey::BytesDelta => a.bytes_delta().cmp(&b.bytes_delta()),
            };
            let primary = if descending { primary.reverse() } else { primary };
            primary
                .then(b.bytes_delta().cmp(&a.bytes_delta()))
                .then(b.count_delta().cmp(&a.count_delta()))
                .then_with(|| a.type_name.cmp(&b.type_name))
        });
    }
}

/// The row of each of `snap`'s types, adding rows for names not seen yet.
fn rows_for_types<'a>(
    snap: &'a Snapshot,
    row_of_name: &mut FxHashMap<&'a str, usize>,
    rows: &mut Vec<TypeDelta>,
) -> Vec<usize> {
    snap.type_names()
        .iter()
        .map(|name| {
            *row_of_name.entry(name).or_insert_with(|| {
                rows.push(TypeDelta::empty(name));
                rows.len() - 1
            })
        })
        .collect()
}
