//! Property tests: the comparison and the holder attribution against naive reference
//! implementations on random snapshots.

use std::collections::HashMap;

use heapsnap::{Attribution, Comparison, Matching, Snapshot};
use proptest::prelude::*;

const TYPES: &[&str] = &["dict", "list", "str", "int", "app.Record"];

/// One object of a generated snapshot: (id slot, type, contents, parent slot or none).
type Obj = (u64, usize, u8, Option<u64>);

fn text(objects: &[Obj]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut lines: Vec<String> = objects
        .iter()
        .filter(|o| seen.insert(o.0))
        .map(|&(id, t, c, parent)| {
            let parent = parent.filter(|&p| p != id).map_or("-".to_owned(), |p| format!("{:x}", 0x1000 + p * 16));
            format!("{}\tv{}\t{}\t-\t{:x}\t{}\t[{}]", TYPES[t], c, 16 + c as u64, 0x1000 + id * 16, parent, c)
        })
        .collect();
    lines.sort();
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    format!("#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n{body}#end\t{}\n", lines.len())
}

fn snapshot(name: &str, objects: &[Obj]) -> Snapshot {
    Snapshot::parse(name, text(objects).into_bytes()).unwrap()
}

fn objects() -> impl Strategy<Value = Vec<Obj>> {
    prop::collection::vec((0u64..40, 0..TYPES.len(), 0u8..4, prop::option::of(0u64..40)), 0..60)
}

/// The reference: same id, same type, same parent, and for immutable types same contents.
fn naive(a: &Snapshot, b: &Snapshot) -> HashMap<String, (u64, u64, u64, u64)> {
    let immutable = ["str", "int"];
    let key = |s: &Snapshot, i: usize| {
        let o = s.object(i);
        (o.id(), o.type_name().to_owned(), o.parent())
    };
    let mut rows: HashMap<String, (u64, u64, u64, u64)> = HashMap::new();
    let in_b: HashMap<_, usize> = (0..b.len()).map(|i| (key(b, i), i)).collect();
    let in_a: HashMap<_, usize> = (0..a.len()).map(|i| (key(a, i), i)).collect();
    let same = |ia: usize, ib: usize| {
        let (x, y) = (a.object(ia), b.object(ib));
        !immutable.contains(&x.type_name()) || x.raw_repr() == y.raw_repr()
    };
    for i in 0..a.len() {
        let gone = in_b.get(&key(a, i)).is_none_or(|&j| !same(i, j));
        let row = rows.entry(a.object(i).type_name().to_owned()).or_default();
        if gone {
            row.1 += 1;
            row.3 += a.object(i).size();
        }
    }
    for j in 0..b.len() {
        let new = in_a.get(&key(b, j)).is_none_or(|&i| !same(i, j));
        let row = rows.entry(b.object(j).type_name().to_owned()).or_default();
        if new {
            row.0 += 1;
            row.2 += b.object(j).size();
        }
    }
    rows
}

proptest! {
    #[test]
    fn comparison_matches_the_naive_reference(a in objects(), b in objects()) {
        let (a, b) = (snapshot("a", &a), snapshot("b", &b));
        let expected = naive(&a, &b);
        let c = Comparison::new(&a, &b);
        for row in &c.rows {
            let want = expected.get(&row.type_name).copied().unwrap_or_default();
            prop_assert_eq!((row.new_count, row.deleted_count, row.new_bytes, row.freed_bytes), want, "{}", row.type_name);
            let counted = |s: &Snapshot| (0..s.len()).filter(|&i| s.object(i).type_name() == row.type_name).count() as u64;
            prop_assert_eq!(row.count_before, counted(&a));
            prop_assert_eq!(row.count_after, counted(&b));
        }
        // Deterministic order: by byte growth, then count growth, then name.
        for w in c.rows.windows(2) {
            let key = |r: &heapsnap::TypeDelta| (-r.bytes_delta(), -r.count_delta(), r.type_name.clone());
            prop_assert!(key(&w[0]) <= key(&w[1]));
        }
    }

    #[test]
    fn attribution_charges_every_new_object_to_an_old_ancestor_or_a_root(a in objects(), b in objects()) {
        let (a, b) = (snapshot("a", &a), snapshot("b", &b));
        let m = Matching::new(&a, &b);
        let at = Attribution::new(&a, &b, &m);
        for i in 0..b.len() {
            let h = at.holder_of_new[i];
            if !m.is_new(i) {
                prop_assert_eq!(h, heapsnap::NONE);
                continue;
            }
            // Walk up by hand: the first old ancestor, else the topmost one.
            let mut at_i = i;
            let mut steps = 0;
            let expected = loop {
                if !m.is_new(at_i) { break at_i; }
                match b.parent_index(at_i) {
                    Some(p) if steps < b.len() => { at_i = p; steps += 1; }
                    _ => break at_i,
                }
            };
            if steps < b.len() {
                prop_assert_eq!(h as usize, expected);
            }
        }
        let total_new: u64 = at.holders.iter().map(|g| g.new_count).sum();
        prop_assert_eq!(total_new, (0..b.len()).filter(|&i| m.is_new(i)).count() as u64);
    }
}
