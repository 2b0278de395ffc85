//! The analysis of two real captures, serialized: a reviewed snapshot (insta), so any change
//! in what the analyzer says shows up as a diff in review. Output must be deterministic.

use std::path::PathBuf;

use heapsnap::{analyze, Snapshot};

fn fixture(name: &str) -> Snapshot {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Snapshot::parse(name, std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn analysis_of_real_captures() {
    let (a, b) = (
        fixture("real-before.hsnap.gz"),
        fixture("real-after.hsnap.gz"),
    );
    let mut analysis = analyze(&[&b, &a], 3);
    analysis.comparison.rows.truncate(8);
    analysis.types.truncate(8);
    analysis.new_groups.truncate(3);
    insta::assert_json_snapshot!(analysis);
    let again = analyze(&[&a, &b], 3);
    assert_eq!(
        serde_json::to_string(&again.suspects).unwrap(),
        serde_json::to_string(&analysis.suspects).unwrap()
    );
}
