//! Per-type totals of one snapshot.

use serde::Serialize;

use crate::snapshot::Snapshot;

/// Count and shallow bytes of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeTotal {
    /// Module-qualified type name.
    pub type_name: String,
    /// Number of objects.
    pub count: u64,
    /// Sum of shallow sizes in bytes.
    pub bytes: u64,
    /// Bytes the type retains, when the snapshot was captured with edges (see [`Summary::with_retained`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained: Option<u64>,
}

/// Per-type totals of a snapshot, largest first.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The snapshot's name.
    pub name: String,
    /// Total objects.
    pub objects: u64,
    /// Total shallow bytes.
    pub bytes: u64,
    /// Process RSS from the header, if recorded.
    pub rss: Option<u64>,
    /// Objects no root reaches, as the header counts them, if recorded.
    pub unreached: Option<u64>,
    /// Of those, the ones in garbage (reference cycles nothing else refers to), if recorded.
    pub garbage: Option<u64>,
    /// Whether the process had disabled its garbage collector (the `gc` header line).
    pub gc_disabled: bool,
    /// One row per type, by bytes descending, then count descending, then name.
    pub types: Vec<TypeTotal>,
}

impl Summary {
    /// Totals of `snap`.
    ///
    /// # Example
    /// ```
    /// let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n\
    ///             dict\t{}\t64\t0\t10\nstr\t'a'\t50\t1\t20\nstr\t'b'\t50\t1\t30\n#end\t3\n";
    /// let snap = heapsnap::Snapshot::parse("a", text.as_bytes().to_vec()).unwrap();
    /// let s = heapsnap::Summary::of(&snap);
    /// assert_eq!(s.types[0].type_name, "str");
    /// assert_eq!((s.types[0].count, s.types[0].bytes), (2, 100));
    /// ```
    pub fn of(snap: &Snapshot) -> Summary {
        Summary::with_retained(snap, None)
    }

    /// Like [`Summary::of`], with each type's retained bytes (`by_type`, by type index, as
    /// [`crate::Retained::by_type`] gives them).
    pub fn with_retained(snap: &Snapshot, by_type: Option<&[u64]>) -> Summary {
        let mut rows: Vec<TypeTotal> = snap
            .type_names()
            .iter()
            .map(|t| TypeTotal { type_name: t.to_string(), count: 0, bytes: 0, retained: None })
            .collect();
        for (t, range) in snap.type_runs() {
            let row = &mut rows[t as usize];
            row.count += range.len() as u64;
            row.bytes += snap.size_sum(range);
        }
        if let Some(by_type) = by_type {
            for (row, &b) in rows.iter_mut().zip(by_type) {
                row.retained = Some(b);
            }
        }
        rows.sort_by(|a, b| {
            b.bytes.cmp(&a.bytes).then(b.count.cmp(&a.count)).then_with(|| a.type_name.cmp(&b.type_name))
        });
        Summary {
            name: snap.name().to_owned(),
            objects: snap.len() as u64,
            bytes: rows.iter().map(|r| r.bytes).sum(),
            rss: snap.header().rss(),
            unreached: snap.header().get_u64("unreached"),
            garbage: snap.header().get_u64("garbage"),
            gc_disabled: snap.header().gc_disabled(),
            types: rows,
        }
    }
}
