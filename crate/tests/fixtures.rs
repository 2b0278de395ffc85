//! One fixture per edge case, each checked for exactly what it must give.

use std::path::PathBuf;

use heapsnap::{Comparison, ErrorKind, ReadOptions, Snapshot, Summary};

fn fixture(name: &str) -> (String, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    (name.to_owned(), std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn parse(name: &str) -> heapsnap::Result<Snapshot> {
    let (name, bytes) = fixture(name);
    Snapshot::parse(&name, bytes)
}

fn error(name: &str) -> heapsnap::Error {
    parse(name).expect_err(name)
}

#[test]
fn minimal_plain_gzip_and_crlf_read_the_same() {
    for name in ["minimal.hsnap", "minimal.hsnap.gz", "crlf.hsnap"] {
        let snap = parse(name).unwrap();
        assert_eq!(snap.len(), 2, "{name}");
        let str_obj = snap.object(1);
        assert_eq!(str_obj.type_name(), "str");
        assert_eq!(str_obj.repr(), "'a\tb'", "{name}: escapes decoded");
        assert_eq!(str_obj.length(), Some(4));
        assert_eq!(str_obj.id(), 0x20);
        assert_eq!(str_obj.parent(), Some(0x10));
        assert_eq!(str_obj.edge().as_deref(), Some("<key>"));
        assert_eq!(str_obj.site(), None);
        assert_eq!(snap.object(0).parent(), None);
        assert_eq!(snap.header().rss(), Some(100000));
        assert!(snap.was_sorted());
    }
}

#[test]
fn truncated_file_names_the_line_where_it_ends() {
    let e = error("truncated.hsnap");
    assert!(matches!(e.kind(), ErrorKind::Truncated), "{e}");
    assert_eq!(e.to_string(), "truncated.hsnap: line 6: the file ends without its '#end' footer: it was cut short");
}

#[test]
fn truncated_gzip_is_a_gzip_error() {
    let e = error("truncated-gzip.hsnap.gz");
    assert!(matches!(e.kind(), ErrorKind::Gzip(_)), "{e}");
    assert!(e.to_string().starts_with("truncated-gzip.hsnap.gz: damaged gzip data"), "{e}");
}

#[test]
fn garbage_and_empty_are_not_snapshots() {
    for name in ["garbage.hsnap", "empty.hsnap"] {
        let e = error(name);
        assert!(matches!(e.kind(), ErrorKind::NotASnapshot), "{e}");
        assert_eq!(e.line(), Some(1));
    }
}

/// A damaged fixture, the line its error names, and what the error must be.
type DamageCase = (&'static str, u64, fn(&ErrorKind) -> bool);

#[test]
fn each_damage_is_named_with_its_line() {
    let cases: &[DamageCase] = &[
        ("bad-escape.hsnap", 5, |k| matches!(k, ErrorKind::BadEscape)),
        ("column-count.hsnap", 5, |k| matches!(k, ErrorKind::ColumnCount { expected: 8, found: 5 })),
        ("future-version.hsnap", 1, |k| matches!(k, ErrorKind::UnsupportedVersion(v) if v == "9")),
        ("not-utf8.hsnap", 5, |k| matches!(k, ErrorKind::NotUtf8)),
        ("bad-number.hsnap", 5, |k| matches!(k, ErrorKind::BadNumber { column: "size" })),
        // One spelling per number, so that a line rebuilt from its numbers is the file's line.
        ("padded-number.hsnap", 5, |k| matches!(k, ErrorKind::BadNumber { column: "size" })),
        ("uppercase-id.hsnap", 5, |k| matches!(k, ErrorKind::BadNumber { column: "id" })),
        ("zero-parent.hsnap", 5, |k| matches!(k, ErrorKind::BadNumber { column: "parent" })),
        (
            "duplicate-column.hsnap",
            2,
            |k| matches!(k, ErrorKind::BadHeader(p) if p == "column \"type\" declared twice"),
        ),
        ("count-mismatch.hsnap", 6, |k| matches!(k, ErrorKind::CountMismatch { footer: 2, found: 1 })),
    ];
    for &(name, line, is_kind) in cases {
        let e = error(name);
        assert!(is_kind(e.kind()), "{name}: {e}");
        assert_eq!(e.line(), Some(line), "{name}: {e}");
        assert_eq!(e.source_name(), Some(name));
        assert!(e.to_string().starts_with(&format!("{name}: line {line}: ")), "{e}");
    }
}

#[test]
fn unsorted_input_is_sorted_and_reported() {
    let snap = parse("unsorted.hsnap").unwrap();
    assert_eq!(snap.len(), 2);
    assert!(!snap.was_sorted());
    let reprs: Vec<_> = snap.objects().map(|o| o.repr().into_owned()).collect();
    assert_eq!(reprs, ["'a'", "'b'"]);
    assert_eq!(snap.object(0).id(), 0x30);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Object lines in any order read as the sorted snapshot, whether the text is kept as it
    /// is (plain bytes) or as records (read through a reader), and are reported unsorted.
    #[test]
    fn lines_in_any_order_read_as_the_sorted_snapshot(seed in proptest::prelude::any::<u64>()) {
        let [text, _] = heapsnap::synthetic::leaking_pair(200, true);
        let text = String::from_utf8(text).unwrap();
        let (mut objects, mut rest): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| !l.starts_with('#'));
        let footer = rest.pop().unwrap();
        // A shuffle driven by the seed (xorshift), so a failure replays.
        let mut state = seed | 1;
        for i in (1..objects.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            objects.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let shuffled: String = rest.iter().chain(&objects).chain([&footer]).map(|l| format!("{l}\n")).collect();
        let sorted = Snapshot::parse("sorted", text.clone().into_bytes()).unwrap();
        let lines = |s: &Snapshot| s.objects().map(|o| o.raw_line()).collect::<Vec<_>>();
        for snap in [
            Snapshot::parse("shuffled", shuffled.clone().into_bytes()).unwrap(),
            Snapshot::read_from("shuffled", shuffled.as_bytes(), None, &ReadOptions::default()).unwrap(),
        ] {
            proptest::prop_assert!(!snap.was_sorted());
            proptest::prop_assert_eq!(lines(&snap), lines(&sorted));
            proptest::prop_assert_eq!(snap.header().fields.clone(), sorted.header().fields.clone());
        }
    }
}

#[test]
fn an_empty_type_field_is_a_type_of_its_own() {
    let (name, bytes) = fixture("empty-type.hsnap");
    let streamed = Snapshot::read_from(&name, &bytes[..], None, &ReadOptions::default()).unwrap();
    for snap in [parse("empty-type.hsnap").unwrap(), streamed] {
        let types: Vec<_> = snap.objects().map(|o| o.type_name()).collect();
        assert_eq!(types, ["", "str"]);
        assert_eq!(snap.object(0).raw_line(), "\t-\t50\t-\t20");
        assert_eq!(Summary::of(&snap).types.len(), 2);
        assert!(heapsnap::analyze(&[&snap, &snap], 5).suspects.is_empty());
    }
}

#[test]
fn unknown_columns_are_ignored() {
    let snap = parse("extra-column.hsnap").unwrap();
    assert_eq!(snap.object(0).repr(), "1");
    assert!(!snap.has_paths());
}

#[test]
fn gzip_bomb_is_refused() {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(b"#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n").unwrap();
    enc.write_all(&vec![b'x'; 8 << 20]).unwrap();
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 64 << 10);
    let e = Snapshot::parse_with("bomb.gz", bomb, &ReadOptions { max_bytes: 1 << 20 }).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { limit: 1048576 }), "{e}");
    assert!(e.to_string().starts_with("bomb.gz: "));
}

#[test]
fn real_capture_round_trips() {
    // Written by capture-script/heapsnap.py in a fresh `python3 -I -S`, 500 dicts leaked in between.
    let before = parse("real-before.hsnap.gz").unwrap();
    let after = parse("real-after.hsnap.gz").unwrap();
    for snap in [&before, &after] {
        assert!(snap.was_sorted());
        assert!(snap.has_paths());
        assert_eq!(Some(snap.len() as u64), snap.header().objects());
        assert!(snap.len() > 10_000, "a whole interpreter, untracked objects included");
        let summary = Summary::of(snap);
        assert!(summary.types.iter().any(|t| t.type_name == "str" && t.count > 5_000));
    }
    let c = Comparison::new(&before, &after);
    let top = &c.rows[0];
    assert_eq!(top.type_name, "dict");
    assert!(top.new_count >= 500 && top.new_count < 520, "{top:?}");
    let leaked = after.objects().filter(|o| o.type_name() == "dict" && o.repr().starts_with("{'id': ")).count();
    assert_eq!(leaked, 500);
}
