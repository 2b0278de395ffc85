//! The analysis of two real captures, serialized: a reviewed snapshot (insta), so any change
//! in what the analyzer says shows up as a diff in review. Output must be deterministic.

use std::path::PathBuf;

use heapsnap::{analyze, Snapshot};

fn fixture(name: &str) -> Snapshot {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    Snapshot::parse(name, std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn analysis_of_real_captures() {
    let (a, b) = (fixture("real-before.hsnap.gz"), fixture("real-after.hsnap.gz"));
    let mut analysis = analyze(&[&b, &a], 3);
    analysis.comparison.rows.truncate(8);
    analysis.types.truncate(8);
    analysis.new_groups.truncate(3);
    insta::assert_json_snapshot!(analysis);
    let again = analyze(&[&a, &b], 3);
    assert_eq!(serde_json::to_string(&again.suspects).unwrap(), serde_json::to_string(&analysis.suspects).unwrap());
}

#[test]
fn a_chosen_baseline_and_current_change_the_comparison_not_the_suspects() {
    let (a, b) = (fixture("real-before.hsnap.gz"), fixture("real-after.hsnap.gz"));
    let forward = analyze(&[&a, &b], 3);
    let chosen = heapsnap::analyze_between(&[&a, &b], 3, Some((0, 1)));
    assert_eq!(serde_json::to_string(&chosen).unwrap(), serde_json::to_string(&forward).unwrap());
    // Backwards: what was new is now deleted, and the series still run oldest first.
    let backwards = heapsnap::analyze_between(&[&a, &b], 3, Some((1, 0)));
    assert_eq!(backwards.comparison.before, "real-after.hsnap.gz");
    let row = |c: &heapsnap::Comparison| c.rows.iter().find(|r| r.type_name == "dict").cloned().unwrap();
    let (f, r) = (row(&forward.comparison), row(&backwards.comparison));
    assert_eq!((r.new_count, r.deleted_count), (f.deleted_count, f.new_count));
    assert_eq!(serde_json::to_string(&backwards.suspects).unwrap(), serde_json::to_string(&forward.suspects).unwrap());
    // The same snapshot on both sides: nothing new, nothing freed.
    let same = heapsnap::analyze_between(&[&a, &b], 3, Some((1, 1)));
    assert!(same.comparison.rows.iter().all(|r| r.new_count == 0 && r.deleted_count == 0));
}
