//! A gzip snapshot is read a window at a time, a plain one where it lies or, from a reader, a
//! window at a time: all give the same objects, and each line rebuilt is the line written,
//! wherever the windows, the reads and the gzip members cut the text.

use std::io::{Read, Write};

use heapsnap::{ErrorKind, ReadOptions, Snapshot};
use proptest::prelude::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `text` as gzip members cut at `cuts` (fractions of its length).
fn members(text: &[u8], cuts: &[f64]) -> Vec<u8> {
    let mut at: Vec<usize> = cuts.iter().map(|f| (f * text.len() as f64) as usize).collect();
    at.extend([0, text.len()]);
    at.sort_unstable();
    at.windows(2).flat_map(|w| gzip(&text[w[0]..w[1]])).collect()
}

/// The object lines of a snapshot text, as written (without line ends).
fn object_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).map(|l| l.trim_end_matches('\r')).collect()
}

/// A reader that gives at most `step` bytes per call, as a pipe might.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(self.step).min(out.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn check(text: &[u8], gz: Vec<u8>) {
    let plain = Snapshot::parse("plain", text.to_vec()).unwrap();
    let streamed =
        Snapshot::read_from("read", Trickle { data: text, step: 100_003 }, None, &ReadOptions::default()).unwrap();
    let gz_read =
        Snapshot::read_from("gz-read", Trickle { data: &gz, step: 4096 }, None, &ReadOptions::default()).unwrap();
    // Seven bytes a call: member headers and trailers cut between reads.
    let gz_trickle = Snapshot::read_from(
        "gz-trickle",
        Trickle { data: &gz, step: 7 },
        Some(gz.len() as u64),
        &ReadOptions::default(),
    )
    .unwrap();
    let inflated = Snapshot::parse("gzip", gz).unwrap();
    let written = object_lines(std::str::from_utf8(text).unwrap());
    for snap in [&plain, &streamed, &gz_read, &gz_trickle, &inflated] {
        assert_eq!(snap.len(), written.len(), "{}", snap.name());
        assert_eq!(snap.text_len(), text.len(), "{}", snap.name());
        assert!(snap.was_sorted());
    }
    for (i, line) in written.iter().enumerate() {
        let p = plain.object(i);
        assert_eq!(p.raw_line(), *line);
        for snap in [&streamed, &gz_read, &gz_trickle, &inflated] {
            let o = snap.object(i);
            assert_eq!(o.raw_line(), *line, "{}", snap.name());
            assert_eq!((o.raw_repr(), o.raw_edge(), o.site()), (p.raw_repr(), p.raw_edge(), p.site()));
            assert_eq!(snap.raw_refs(i), plain.raw_refs(i));
        }
    }
}

#[test]
fn read_errors_and_limits_are_errors_naming_the_file() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = Snapshot::read_from("f.hsnap", Failing, None, &ReadOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)), "{e}");
    assert!(e.to_string().starts_with("f.hsnap: "), "{e}");
    let [text, _] = heapsnap::synthetic::leaking_pair(3_000, false);
    let e = Snapshot::read_from("big.hsnap", &text[..], None, &ReadOptions { max_bytes: 100_000 }).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    let e = Snapshot::read_from("cut.hsnap", &text[..text.len() / 2], None, &ReadOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Truncated), "{e}");
    // The same through gzip read from a reader: too large, cut, followed by garbage, failing.
    let gz = members(&text, &[0.5]);
    let e = Snapshot::read_from("big.hsnap.gz", &gz[..], None, &ReadOptions { max_bytes: 100_000 }).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLarge { .. }), "{e}");
    for cut in [gz.len() / 2, gz.len() - 3, 2] {
        let e =
            Snapshot::read_from("cut.hsnap.gz", Trickle { data: &gz[..cut], step: 7 }, None, &ReadOptions::default())
                .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Gzip(_)), "{e}");
        assert!(e.to_string().starts_with("cut.hsnap.gz: "), "{e}");
    }
    let mut trailing = gz.clone();
    trailing.push(b'x');
    let e = Snapshot::read_from("x.hsnap.gz", &trailing[..], None, &ReadOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Gzip(_)), "{e}");
    let failing = Read::chain(&gz[..gz.len() / 3], Failing);
    let e = Snapshot::read_from("f.hsnap.gz", failing, None, &ReadOptions::default()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)), "{e}");
}

#[test]
fn a_big_capture_reads_the_same_through_windows_and_members() {
    let [_, text] = heapsnap::synthetic::leaking_pair(20_000, true); // about 6 MB, refs included
    assert!(text.len() > 4 << 20);
    check(&text, members(&text, &[0.1, 0.37, 0.5, 0.93]));
}

#[test]
fn lines_longer_than_the_window_and_crlf_line_ends_read_the_same() {
    let long = "x".repeat(700_000);
    let mut lines: Vec<String> =
        (0..3000).map(|i| format!("str\t'{i:05}'\t56\t5\t{:x}\t-\t-\t-", 0x1000 + 16 * i)).collect();
    lines.push(format!("str\t'{long}'\t700049\t700000\t{:x}\t-\t-\tsite.py:3", 0x9000_0000u64));
    lines.sort();
    let text = format!(
        "#heapsnap 1\r\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\tsite\r\n{}\r\n#end\t{}\r\n",
        lines.join("\r\n"),
        lines.len()
    );
    check(text.as_bytes(), members(text.as_bytes(), &[0.5]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn any_cuts_into_members_read_the_same(cuts in proptest::collection::vec(0.0f64..1.0, 0..6)) {
        let [text, _] = heapsnap::synthetic::leaking_pair(3_000, false);
        check(&text, members(&text, &cuts));
    }
}
