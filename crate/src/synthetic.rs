//! A small synthetic pair of snapshots of a leaking process, made in memory: for warming up a
//! JIT-compiled host before real files arrive, and for examples.
//!
//! WebAssembly engines start every function in a baseline compiler and optimize it only once
//! it has run a while; a function running once over a whole file (the parser, the analysis)
//! never gets the optimized code during that call. The page's analysis worker therefore
//! analyzes this pair at start ([`analysis_of_leaking_pair`]), so the reader's files meet
//! optimized code.

use std::fmt::Write;

use crate::suspects::{analyze, Analysis};
use crate::Snapshot;

/// Two snapshot texts (plain, valid, sorted) of one process: a module whose `CACHE` dict holds
/// `entries` records, then half as many more; a static list of strings beside. With `edges`,
/// captured with the `refs` column, so retained sizes are computed too.
///
/// # Example
/// ```
/// let [before, after] = heapsnap::synthetic::leaking_pair(100, false);
/// let a = heapsnap::Snapshot::parse("a", before).unwrap();
/// let b = heapsnap::Snapshot::parse("b", after).unwrap();
/// let analysis = heapsnap::analyze(&[&a, &b], 5);
/// assert_eq!(analysis.suspects[0].path, "__main__.CACHE");
/// ```
pub fn leaking_pair(entries: usize, edges: bool) -> [Vec<u8>; 2] {
    [snapshot(entries, edges, "2026-01-01T00:00:00Z"), snapshot(entries + entries / 2, edges, "2026-01-01T00:01:00Z")]
}

/// The analysis of [`leaking_pair`] (with retained sizes when `edges`), as the page shows it:
/// what its worker runs to warm up.
pub fn analysis_of_leaking_pair(entries: usize, edges: bool) -> Analysis {
    let [a, b] = leaking_pair(entries, edges);
    let a = Snapshot::parse("synthetic-a", a).expect("the synthetic pair is valid");
    let b = Snapshot::parse("synthetic-b", b).expect("the synthetic pair is valid");
    analyze(&[&a, &b], 20)
}

/// One snapshot with `entries` cache records; ids depend only on what an object is, so the
/// objects of the smaller snapshot keep their ids in the larger one.
fn snapshot(entries: usize, edges: bool, time: &str) -> Vec<u8> {
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
        "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite{}\n#pid\t1\n#time\t{time}\n\
         #rss\t{}\n#objects\t{}\n",
        if edges { "\trefs" } else { "" },
        64 << 20,
        lines.len()
    );
    for line in &lines {
        // Without edges, the last column goes; the ids before it keep the lines in order.
        text.push_str(if edges { line } else { &line[..line.rfind('\t').expect("a refs field")] });
        text.push('\n');
    }
    let _ = writeln!(text, "#end\t{}", lines.len());
    text.into_bytes()
}

/// A snapshot (`parent` and `edge` columns, header `time` when given) of object `lines`, in
/// any order: for tests that spell out a small heap.
#[cfg(test)]
pub(crate) fn with_paths(name: &str, time: Option<&str>, mut lines: Vec<String>) -> Snapshot {
    lines.sort_unstable();
    let time = time.map_or_else(String::new, |t| format!("#time\t{t}\n"));
    let text = format!(
        "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n{time}{}\n#end\t{}\n",
        lines.join("\n"),
        lines.len()
    );
    Snapshot::parse(name, text.into_bytes()).expect("a valid test snapshot")
}

fn digits(i: usize) -> usize {
    i.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pair_parses_sorted_and_names_its_leak() {
        let [a, b] = leaking_pair(2000, true);
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

    #[test]
    fn a_small_one_off_gain_is_no_suspect_and_the_same_gain_spread_is() {
        let at = |minute: u32, entries: usize| {
            let time = format!("2026-01-01T00:{minute:02}:00Z");
            Snapshot::parse(&time, snapshot(entries, false, &time)).unwrap()
        };
        // About 2.2 KiB gained in one of two intervals scores a quarter of that: noise.
        let (a, b, c) = (at(0, 100), at(1, 100), at(2, 105));
        assert!(analyze(&[&a, &b, &c], 5).suspects.is_empty());
        // The same gain over both intervals is steady growth.
        let (b, c) = (at(1, 103), at(2, 106));
        assert_eq!(analyze(&[&a, &b, &c], 5).suspects[0].path, "__main__.CACHE");
    }

    #[test]
    fn without_edges_the_same_objects_and_no_retained_sizes() {
        let ([with_a, with_b], [plain_a, plain_b]) = (leaking_pair(300, true), leaking_pair(300, false));
        let parse = |name, text| Snapshot::parse(name, text).unwrap();
        let (with_b, plain_b) = (parse("w", with_b), parse("p", plain_b));
        assert!(with_b.has_refs() && !plain_b.has_refs() && plain_b.was_sorted());
        assert_eq!(plain_b.len(), with_b.len());
        assert!((0..plain_b.len()).all(|i| plain_b.id(i) == with_b.id(i)), "same objects in the same order");
        assert_eq!(parse("w", with_a).len(), parse("p", plain_a).len());
        let (with, plain) = (analysis_of_leaking_pair(300, true), analysis_of_leaking_pair(300, false));
        assert_eq!(plain.suspects[0].path, "__main__.CACHE");
        assert!(plain.suspects[0].retained.is_empty(), "no edges, no retained sizes");
        assert!(with.suspects[0].retained.len() == 2 && with.suspects[0].retained.iter().all(Option::is_some));
    }
}
