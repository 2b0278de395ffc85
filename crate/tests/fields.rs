//! Text fields read back as written, whatever the columns around them: the contents from the
//! start of a line, edge and site from its end (unless a long `refs` column follows).

use heapsnap::Snapshot;
use proptest::prelude::*;

/// An escaped text field: letters, an escaped tab or backslash, spaces; never empty.
fn field() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![Just("a"), Just("\\t"), Just("\\\\"), Just(" "), Just("{'k': 1}")], 1..6)
        .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn edge_site_and_contents_are_the_written_fields(rows in proptest::collection::vec((field(), field(), field(), field()), 1..20),
                                                      refs in any::<bool>()) {
        let mut lines: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, (repr, edge, site, r))| {
                let tail = if refs { format!("\t{}", r.replace(['\\', ' '], "")) } else { String::new() };
                format!("t\t{repr}\t8\t-\t{:x}\t-\t{edge}\t{site}{tail}", 0x1000 + i)
            })
            .collect();
        lines.sort();
        let columns = if refs { "type\trepr\tsize\tlen\tid\tparent\tedge\tsite\trefs" } else { "type\trepr\tsize\tlen\tid\tparent\tedge\tsite" };
        let text = format!("#heapsnap 1\n#columns\t{columns}\n{}\n#end\t{}\n", lines.join("\n"), lines.len());
        let snap = Snapshot::parse("f", text.into_bytes()).unwrap();
        for o in snap.objects() {
            let line = o.raw_line();
            let written: Vec<&str> = line.split('\t').collect();
            prop_assert_eq!(o.raw_repr(), written[1]);
            prop_assert_eq!(o.raw_edge(), Some(written[6]));
            prop_assert_eq!(o.site().map(|s| s.into_owned()), Some(unescaped(written[7])));
        }
    }
}

/// The escapes `field()` makes, undone (no other escape can occur there).
fn unescaped(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\\\", "\\")
}
