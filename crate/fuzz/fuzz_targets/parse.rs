//! Fuzz target: any bytes through the parser and everything the CLI and the page compute from
//! a snapshot (analysis, summary, retained sizes, raw view), never a panic; and read from a
//! reader a few bytes at a time, the same verdict and the same objects.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Gives at most 7 bytes per read, so windows, lines and gzip members are cut anywhere.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(7).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let parsed = heapsnap::Snapshot::parse("fuzz", data.to_vec());
    let streamed = heapsnap::Snapshot::read_from("fuzz", Trickle(data), None, &Default::default());
    assert_eq!(parsed.is_ok(), streamed.is_ok(), "{:?} against {:?}", parsed.as_ref().err(), streamed.as_ref().err());
    if let (Ok(snap), Ok(other)) = (&parsed, &streamed) {
        assert_eq!(snap.len(), other.len());
        for (o, p) in snap.objects().zip(other.objects()) {
            assert_eq!(o.raw_line(), p.raw_line());
            let _ = (o.repr(), o.edge(), o.site(), heapsnap::holder_path(snap, o.index()));
        }
        let _ = heapsnap::Summary::of(snap);
        match heapsnap::Retained::of(snap) {
            Some(retained) => {
                let _ = heapsnap::top_retainers(snap, &retained, 5);
                let _ = heapsnap::analyze_with(&[snap, other], 5, Some((1, 0)), Some(&[&retained, &retained]));
            }
            None => {
                let _ = heapsnap::analyze(&[snap, other], 5);
            }
        }
        for name in snap.type_names().iter().take(4) {
            let _ = heapsnap::raw_diff(snap, other, name, &heapsnap::RawOptions::default());
        }
    }
});
