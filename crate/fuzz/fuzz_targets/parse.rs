//! Fuzz target: any bytes through the parser and the analysis, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snap) = heapsnap::Snapshot::parse("fuzz", data.to_vec()) {
        for o in snap.objects() {
            let _ = (o.repr(), o.edge(), o.site(), heapsnap::holder_path(&snap, o.index()));
        }
        let _ = heapsnap::analyze(&[&snap, &snap], 5);
    }
});
