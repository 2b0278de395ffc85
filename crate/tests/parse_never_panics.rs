//! The parser takes untrusted bytes: whatever they are, it returns a value or an error
//! naming a line — never a panic. Random bytes, and valid snapshots cut, spliced and mutated.

use heapsnap::{analyze, Snapshot};
use proptest::prelude::*;

const VALID: &str = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\n#time\tt\n\
dict\t{'a': 1}\t232\t1\t10\t-\tapp\t-\n\
int\t1\t28\t-\t20\t10\t['a']\ta.py:1\n\
str\t'a\\\\tb'\t50\t3\t30\t10\t<key>\t-\n#end\t3\n";

/// With edges: the refs lists feed the reference graph and the dominators.
const WITH_EDGES: &str = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\trefs\n\
dict\t{'a': [1]}\t232\t1\t10\t-\tapp\t-\t30 20\n\
int\t1\t28\t-\t40\t20\t[0]\t-\t-\n\
list\t[1]\t64\t1\t20\t10\t['a']\ta.py:1\t40 20 7fffffffffff0000 10\n\
str\t'a'\t50\t1\t30\t10\t<key>\t-\t-\n#end\t4\n";

fn check(bytes: Vec<u8>) {
    match Snapshot::parse("fuzz", bytes) {
        Ok(snap) => {
            for o in snap.objects() {
                let _ = (o.repr(), o.edge(), o.site(), o.length(), o.parent(), o.raw_line());
                let _ = heapsnap::holder_path(&snap, o.index());
            }
            let _ = analyze(&[&snap, &snap], 5);
        }
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with("fuzz: "), "{text}");
        }
    }
}

/// `seed` with each edit applied: `(at, byte, 0)` overwrites, `1` inserts, `2` cuts there.
fn mutated(seed: &str, edits: Vec<(usize, u8, u8)>) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for (at, byte, how) in edits {
        let at = at.min(bytes.len());
        match how {
            0 => {
                if at < bytes.len() {
                    bytes[at] = byte;
                }
            }
            1 => bytes.insert(at, byte),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

#[test]
fn the_seeds_are_valid() {
    let snap = Snapshot::parse("seed", VALID.as_bytes().to_vec()).unwrap();
    assert_eq!(snap.len(), 3);
    let snap = Snapshot::parse("seed", WITH_EDGES.as_bytes().to_vec()).unwrap();
    let graph = heapsnap::RefGraph::of(&snap).unwrap();
    assert_eq!(graph.edge_count(), 5, "the unknown id is dropped");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(bytes);
    }

    #[test]
    fn mutated_snapshots(edits in prop::collection::vec((0usize..VALID.len(), any::<u8>(), 0u8..3), 1..6)) {
        check(mutated(VALID, edits));
    }

    #[test]
    fn mutated_snapshots_with_edges(edits in prop::collection::vec((0usize..WITH_EDGES.len(), any::<u8>(), 0u8..3), 1..6)) {
        check(mutated(WITH_EDGES, edits));
    }

    #[test]
    fn gzip_of_mutated_snapshots(cut in 0usize..200, flip in 0usize..200) {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(VALID.as_bytes()).unwrap();
        let mut gz = enc.finish().unwrap();
        if flip < gz.len() { gz[flip] ^= 0x55; }
        gz.truncate(gz.len().saturating_sub(cut % 40));
        check(gz);
    }
}
