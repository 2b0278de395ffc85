//! Object index by id, for the millions of lookups a graph build makes: the ids sorted, split by
//! their high 32 bits (a process's memory regions), each region with a directory over its low
//! bits. Ids that are close in memory are looked up close in these arrays, so the references
//! between objects built together (the common case in a heap) stay in cache, where a hash
//! table would scatter them.

use std::borrow::Cow;

use crate::snapshot::Snapshot;

/// Maps ids to object indexes.
pub(crate) struct IdIndex<'a> {
    /// Object indexes ordered by id.
    order: &'a [u32],
    /// Low 32 bits of each id, in `order` (the snapshot's own, when it keeps them split).
    low: Cow<'a, [u32]>,
    /// One per distinct high half, ascending.
    regions: Vec<Region>,
    /// High halves of `regions`, for the search.
    highs: Vec<u32>,
    /// Per region, `buckets + 1` positions in `low`: where each bucket starts.
    directory: Vec<u32>,
}

/// The ids sharing one high half.
struct Region {
    min_low: u32,
    /// A low half `l` falls in bucket `(l - min_low) >> shift`.
    shift: u32,
    buckets: u32,
    /// Where this region's buckets start in `directory`.
    directory_start: u32,
}

/// Searches of at most this many ids are linear.
const LINEAR: usize = 16;

impl<'a> IdIndex<'a> {
    /// The index of `snap`'s ids.
    pub(crate) fn of(snap: &'a Snapshot) -> IdIndex<'a> {
        let halves = snap.sorted_id_halves();
        let mut index = IdIndex {
            order: snap.by_id(),
            low: halves.low,
            regions: Vec::new(),
            highs: Vec::new(),
            directory: Vec::new(),
        };
        for (high, range) in halves.regions {
            index.add_region(high, range.start, range.end);
        }
        index
    }

    /// Adds the region of ids at `start..end` in `low`, all with high half `high`.
    fn add_region(&mut self, high: u32, start: usize, end: usize) {
        let (min_low, max_low) = (self.low[start], self.low[end - 1]);
        let range = u64::from(max_low - min_low);
        // About one id per bucket when they are spread evenly.
        let target = ((end - start).next_power_of_two() as u64 / 2).max(1);
        let mut shift = 0;
        while (range >> shift) + 1 > target {
            shift += 1;
        }
        let buckets = (range >> shift) as u32 + 1;
        let directory_start = self.directory.len() as u32;
        let mut bucket = 0u32;
        for p in start..end {
            let b = (self.low[p] - min_low) >> shift;
            while bucket <= b {
                self.directory.push(p as u32);
                bucket += 1;
            }
        }
        while bucket <= buckets {
            self.directory.push(end as u32);
            bucket += 1;
        }
        self.regions.push(Region { min_low, shift, buckets, directory_start });
        self.highs.push(high);
    }

    /// The index of the object with `id` (the first in file order if ids repeat).
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<u32> {
        let (high, low) = ((id >> 32) as u32, id as u32);
        let region = &self.regions[self.highs.binary_search(&high).ok()?];
        let bucket = low.checked_sub(region.min_low)? >> region.shift;
        if bucket >= region.buckets {
            return None;
        }
        let at = (region.directory_start + bucket) as usize;
        let (from, to) = (self.directory[at] as usize, self.directory[at + 1] as usize);
        let candidates = &self.low[from..to];
        let found = if candidates.len() <= LINEAR {
            candidates.iter().position(|&l| l == low)?
        } else {
            // The first of equal ids, as `by_id` breaks ties by index.
            let p = candidates.partition_point(|&l| l < low);
            (candidates.get(p) == Some(&low)).then_some(p)?
        };
        Some(self.order[from + found])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn snapshot_with_ids(ids: &[u64]) -> Snapshot {
        let mut text = String::from("#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n");
        for id in ids {
            text.push_str(&format!("object\t-\t16\t-\t{id:x}\n"));
        }
        text.push_str(&format!("#end\t{}\n", ids.len()));
        Snapshot::parse("ids", text.into_bytes()).unwrap()
    }

    #[test]
    fn finds_every_id_and_nothing_else() {
        let ids = [0x10, 0x20, 0x7f00_0000_1000, 0x7f00_0000_1010, 0x5555_0000_0040, u64::MAX, 1 << 32];
        let snap = snapshot_with_ids(&ids);
        let index = IdIndex::of(&snap);
        for id in ids {
            let i = index.get(id).unwrap_or_else(|| panic!("id {id:x} not found"));
            assert_eq!(snap.id(i as usize), id);
        }
        for absent in [0, 0x18, 0x7f00_0000_0ff0, 0x7f00_0000_1020, 0x6000_0000_0000, u64::MAX - 1] {
            assert_eq!(index.get(absent), None, "id {absent:x}");
        }
    }

    #[test]
    fn repeated_ids_find_the_first() {
        let snap = snapshot_with_ids(&[0x30, 0x30, 0x30]);
        assert_eq!(IdIndex::of(&snap).get(0x30), Some(0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Same answers as a search of all ids, clustered or spread, present or not.
        #[test]
        fn agrees_with_a_linear_search(
            ids in proptest::collection::vec(
                prop_oneof![0u64..4096, (0u64..4).prop_map(|h| h << 32 | 0xabc0), any::<u64>()], 0..300),
            probes in proptest::collection::vec(prop_oneof![0u64..4096, any::<u64>()], 0..50),
        ) {
            let snap = snapshot_with_ids(&ids);
            let index = IdIndex::of(&snap);
            for probe in ids.iter().chain(&probes) {
                let naive = (0..snap.len()).find(|&i| snap.id(i) == *probe).map(|i| i as u32);
                prop_assert_eq!(index.get(*probe), naive, "id {:x}", probe);
            }
        }
    }
}
