//! A small synthetic pair of snapshots of a leaking process, made in memory: for warming up a
//! JIT-compiled host before real files arrive, and for examples.
//!
//! WebAssembly engines start every function in a baseline compiler and optimize it only once
//! it has run a while; a function running once over a whole file (the parser, the analysis)
//! never gets the optimized code during that call. The page's analysis worker therefore
//! parses and analyzes this pair once at start, so the reader's files meet optimized code.

use std::fmt::Write;

/// Two snapshot texts (plain, valid, sorted) of one process: a module whose `CACHE` dict holds
/// `entries` records, then half as many more; a static list of strings beside. Captured with
/// edges (the `refs` column), so retained sizes can be computed too.
///
/// # Example
/// ```
/// let [before, after] = heapsnap::synthetic::leaking_pair(100);
/// let a = heapsnap::Snapshot::parse("a", before).unwrap();
/// let b = heapsnap::Snapshot::parse("b", after).unwrap();
/// let analysis = heapsnap::analyze(&[&a, &b], 5);
/// assert_eq!(analysis.suspects[0].path, "__main__.CACHE");
/// ```
pub fn leaking_pair(entries: usize) -> [Vec<u8>; 2] {
    [snapshot(entries, "2026-01-01T00:00:00Z"), snapshot(entries + entries / 2, "2026-01-01T00:01:00Z")]
}

/// One snapshot with `entries` cache records; ids depend only on what an object is, so the
/// objects of the smaller snapshot keep their ids in the larger one.
fn snapshot(entries: usize, time: &str) -> Vec<u8> {
    const BASE: u64 = 0x7f00_0000_0000;
    let id = |kind: u64, i: usize| BASE + (kind << 28) + 16 * i as u64;
    let (module, globals, cache, statics) = (id(0, 0), id(0, 1), id(0, 2), id(0, 3));
    let mut lines: Vec<String> = Vec::with_capacity(entries * 5 + 3000);
    let hex_list = |ids: &mut dyn Iterator<Item = u64>| ids.map(|i| format!("{i:x}")).collect::<Vec<_>>().join(" ");
    lines.push(format!("module\t<module '__main__'>\t72\t-\t{module:x}\t-\t__main__\t-\t{globals:x}"));
    lines.push(format!(
        "dict\t{{'CACHE': {{…{entries}}}, 'NAMES': […1000]}}\t1176\t2\t{globals:x}\t{module:x}\t.__dict__\t-\t{cache:x} {statics:x}"
    ));
    let cache_refs = hex_list(&mut (0..entries).flat_map(|i| [id(2, i), id(3, i)]));
    lines.push(format!(
        "dict\t{{…{entries}}}\t{}\t{entries}\t{cache:x}\t{globals:x}\t['CACHE']\tservice.py:26\t{cache_refs}",
        64 + 40 * entries
    ));
    let names = hex_list(&mut (0..1000).map(|i| id(1, i)));
    lines.push(format!("list\t[…1000]\t8056\t1000\t{statics:x}\t{globals:x}\t['NAMES']\t-\t{names}"));
    for i in 0..1000 {
        lines.push(format!("str\t'name-{i:04}'\t58\t9\t{:x}\t{statics:x}\t[{i}]\t-\t-", id(1, i)));
    }
    let mut record = String::new();
    for i in 0..entries {
        let (key, value, user, payload, number) = (id(2, i), id(3, i), id(4, i), id(5, i), id(6, i));
        record.clear();
        let _ = write!(record, "{{'id': {i}, 'user': 'user{}', 'payload': 'payload {i} payload {i}'}}", i % 97);
        lines.push(format!("str\t'req-{i}'\t{}\t{}\t{key:x}\t{cache:x}\t<key>\t-\t-", 53 + digits(i), 4 + digits(i)));
        lines.push(format!(
            "dict\t{record}\t184\t3\t{value:x}\t{cache:x}\t['req-{i}']\tservice.py:27\t{number:x} {user:x} {payload:x}"
        ));
        lines.push(format!("str\t'user{}'\t54\t6\t{user:x}\t{value:x}\t['user']\t-\t-", i % 97));
        lines.push(format!(
            "str\t'payload {i} payload {i}'\t80\t30\t{payload:x}\t{value:x}\t['payload']\tservice.py:28\t-"
        ));
        lines.push(format!("int\t{i}\t28\t-\t{number:x}\t{value:x}\t['id']\t-\t-"));
    }
    lines.sort_unstable();
    let mut text = format!(
        "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\trefs\n#pid\t1\n#time\t{time}\n\
         #rss\t{}\n#objects\t{}\n",
        64 << 20,
        lines.len()
    );
    for line in &lines {
        text.push_str(line);
        text.push('\n');
    }
    let _ = writeln!(text, "#end\t{}", lines.len());
    text.into_bytes()
}

fn digits(i: usize) -> usize {
    i.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Snapshot};

    #[test]
    fn the_pair_parses_sorted_and_names_its_leak() {
        let [a, b] = leaking_pair(2000);
        let (a, b) = (Snapshot::parse("a", a).unwrap(), Snapshot::parse("b", b).unwrap());
        assert!(a.was_sorted() && b.was_sorted());
        assert_eq!(b.len() - a.len(), 1000 * 5);
        let retained = crate::Retained::of(&b).expect("edges");
        let cache = (0..b.len()).find(|&i| b.object(i).edge().as_deref() == Some("['CACHE']")).unwrap();
        // The cache alone keeps every key and record, with the record's three values.
        let per_entry = |i: usize| (53 + digits(i) + 184 + 54 + 80 + 28) as u64;
        assert_eq!(retained.dominators.retained[cache], b.size(cache) + (0..3000).map(per_entry).sum::<u64>());
        let analysis = analyze(&[&a, &b], 5);
        let top = &analysis.suspects[0];
        assert_eq!(top.path, "__main__.CACHE", "{}", top.sentence);
    }
}
