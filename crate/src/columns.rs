//! Compact per-object number columns.
//!
//! A parsed snapshot must cost little more than its text, so numbers are stored small:
//! sizes and lengths in two bytes (the rare large value in a side table), addresses as a
//! 4-byte low half plus a 1-byte index into their few distinct high halves, and the type of
//! each object as runs (lines are sorted by type).

use std::borrow::Cow;
use std::ops::Range;

/// Optional counts and sizes, two bytes each below [`ABSENT`]; larger values in a side table.
#[derive(Debug, Default)]
pub(crate) struct SmallNumbers {
    small: Vec<u16>,
    /// `(index, value)` of every value too large for `small`, by index.
    large: Vec<(u32, u64)>,
}

/// Marks a missing value (`-`).
const ABSENT: u16 = 0xFFFE;
/// Marks a value kept in the side table.
const LARGE: u16 = 0xFFFF;

impl SmallNumbers {
    pub(crate) fn with_capacity(n: usize) -> SmallNumbers {
        SmallNumbers { small: Vec::with_capacity(n), large: Vec::new() }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: Option<u64>) {
        let slot = match value {
            None => ABSENT,
            Some(v) if v < u64::from(ABSENT) => v as u16,
            Some(v) => {
                self.large.push((self.small.len() as u32, v));
                LARGE
            }
        };
        self.small.push(slot);
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<u64> {
        match self.small[index] {
            ABSENT => None,
            LARGE => {
                let at = self.large.binary_search_by_key(&(index as u32), |&(i, _)| i).expect("large value recorded");
                Some(self.large[at].1)
            }
            v => Some(u64::from(v)),
        }
    }

    /// Sum of the values in `range` (missing ones count as 0; saturates).
    pub(crate) fn sum(&self, range: Range<usize>) -> u64 {
        let mut total = 0u64;
        let mut large_seen = false;
        for &v in &self.small[range.clone()] {
            if v < ABSENT {
                total += u64::from(v);
            } else if v == LARGE {
                large_seen = true;
            }
        }
        if large_seen {
            let from = self.large.partition_point(|&(i, _)| (i as usize) < range.start);
            for &(_, v) in self.large[from..].iter().take_while(|&&(i, _)| (i as usize) < range.end) {
                total = total.saturating_add(v);
            }
        }
        total
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.small.capacity() * 2 + self.large.capacity() * 16
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.small.shrink_to_fit();
        self.large.shrink_to_fit();
    }
}

/// 64-bit addresses (object ids). CPython's heap lives in a few 4 GiB regions, so each is
/// stored as its low 32 bits plus the index of its high 32 bits in a table; a snapshot with
/// more than 256 regions falls back to plain `u64`s.
#[derive(Debug)]
pub(crate) enum Addresses {
    /// Low halves, and indexes into `highs`.
    Split { low: Vec<u32>, high_ix: Vec<u8>, highs: Vec<u32> },
    /// One `u64` per address.
    Wide(Vec<u64>),
}

impl Addresses {
    pub(crate) fn with_capacity(n: usize) -> Addresses {
        Addresses::Split { low: Vec::with_capacity(n), high_ix: Vec::with_capacity(n), highs: Vec::new() }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: u64) {
        match self {
            Addresses::Split { low, high_ix, highs } => {
                let high = (value >> 32) as u32;
                // Consecutive objects mostly share a region: try the last one first.
                let last = high_ix.last().map(|&i| usize::from(i));
                let known = last.filter(|&i| highs[i] == high).or_else(|| highs.iter().position(|&h| h == high));
                let ix = match known {
                    Some(ix) => ix,
                    None if highs.len() < 256 => {
                        highs.push(high);
                        highs.len() - 1
                    }
                    None => {
                        let mut wide: Vec<u64> = (0..low.len()).map(|i| self.get(i)).collect();
                        wide.push(value);
                        *self = Addresses::Wide(wide);
                        return;
                    }
                };
                low.push(value as u32);
                high_ix.push(ix as u8);
            }
            Addresses::Wide(v) => v.push(value),
        }
    }

    #[inline]
    pub(crate) fn get(&self, index: usize) -> u64 {
        match self {
            Addresses::Split { low, high_ix, highs } => {
                (u64::from(highs[usize::from(high_ix[index])]) << 32) | u64::from(low[index])
            }
            Addresses::Wide(v) => v[index],
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Addresses::Split { low, .. } => low.len(),
            Addresses::Wide(v) => v.len(),
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Addresses::Split { low, high_ix, highs } => low.capacity() * 4 + high_ix.capacity() + highs.capacity() * 4,
            Addresses::Wide(v) => v.capacity() * 8,
        }
    }

    /// Indexes `0..len()` ordered by address (ties by index), with the addresses in that order.
    pub(crate) fn order(&self) -> AddressOrder {
        match self {
            Addresses::Split { low, high_ix, highs } if low.len() < 1 << INDEX_BITS => {
                order_split(low, high_ix, highs).unwrap_or_else(|| self.order_by_pairs())
            }
            _ => self.order_by_pairs(),
        }
    }

    /// [`Addresses::order`] by sorting `(address, index)` pairs: any addresses.
    fn order_by_pairs(&self) -> AddressOrder {
        let mut pairs: Vec<(u64, u32)> = (0..self.len()).map(|i| (self.get(i), i as u32)).collect();
        pairs.sort_unstable();
        let sorted = SortedAddresses::Wide(pairs.iter().map(|&(a, _)| a).collect());
        AddressOrder { order: pairs.into_iter().map(|(_, i)| i).collect(), sorted }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        match self {
            Addresses::Split { low, high_ix, highs } => {
                low.shrink_to_fit();
                high_ix.shrink_to_fit();
                highs.shrink_to_fit();
            }
            Addresses::Wide(v) => v.shrink_to_fit(),
        }
    }
}

/// Object indexes ordered by address, and the addresses in that order: lookups and merges
/// by address then read one array front to back instead of gathering from the column.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AddressOrder {
    /// Object indexes, by ascending address; equal addresses by index.
    pub(crate) order: Vec<u32>,
    /// The address of each object in `order`.
    pub(crate) sorted: SortedAddresses,
}

impl AddressOrder {
    pub(crate) fn heap_bytes(&self) -> usize {
        self.order.capacity() * 4 + self.sorted.heap_bytes()
    }
}

/// Ascending addresses, stored as [`Addresses`] are: 4-byte low halves, each run of one high
/// half (a region) marked once.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SortedAddresses {
    /// Low halves, and `(high half, first position)` of each region, ascending.
    Split { low: Vec<u32>, regions: Vec<(u32, u32)> },
    /// One `u64` per address.
    Wide(Vec<u64>),
}

impl SortedAddresses {
    /// The addresses, ascending.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            SortedAddresses::Split { low, regions } => Box::new((0..regions.len()).flat_map(move |r| {
                let high = u64::from(regions[r].0) << 32;
                low[self.region_range(r)].iter().map(move |&l| high | u64::from(l))
            })),
            SortedAddresses::Wide(v) => Box::new(v.iter().copied()),
        }
    }

    /// The position of `value`, if present (the first, when repeated).
    pub(crate) fn position(&self, value: u64) -> Option<usize> {
        match self {
            SortedAddresses::Split { low, regions } => {
                let r = regions.iter().position(|&(high, _)| u64::from(high) == value >> 32)?;
                let range = self.region_range(r);
                let (start, part) = (range.start, &low[range]);
                let at = part.partition_point(|&l| l < value as u32);
                (part.get(at) == Some(&(value as u32))).then_some(start + at)
            }
            SortedAddresses::Wide(v) => {
                let at = v.partition_point(|&x| x < value);
                (v.get(at) == Some(&value)).then_some(at)
            }
        }
    }

    /// The addresses as [`Halves`]: borrowed when split, made when wide.
    pub(crate) fn halves(&self) -> Halves<'_> {
        match self {
            SortedAddresses::Split { low, regions } => Halves {
                low: Cow::Borrowed(low),
                regions: (0..regions.len()).map(|r| (regions[r].0, self.region_range(r))).collect(),
            },
            SortedAddresses::Wide(v) => {
                let mut regions = Vec::new();
                let mut start = 0;
                while start < v.len() {
                    let high = v[start] >> 32;
                    let end = start + v[start..].iter().take_while(|&&a| a >> 32 == high).count();
                    regions.push((high as u32, start..end));
                    start = end;
                }
                Halves { low: Cow::Owned(v.iter().map(|&a| a as u32).collect()), regions }
            }
        }
    }

    fn region_range(&self, r: usize) -> Range<usize> {
        let SortedAddresses::Split { low, regions } = self else { unreachable!("regions of split addresses") };
        regions[r].1 as usize..regions.get(r + 1).map_or(low.len(), |next| next.1 as usize)
    }

    fn heap_bytes(&self) -> usize {
        match self {
            SortedAddresses::Split { low, regions } => low.capacity() * 4 + regions.capacity() * 8,
            SortedAddresses::Wide(v) => v.capacity() * 8,
        }
    }
}

/// Ascending addresses as their low halves, and the runs of one high half.
pub(crate) struct Halves<'a> {
    /// The low half of each address, ascending within each region.
    pub(crate) low: Cow<'a, [u32]>,
    /// The high half and positions of each region, ascending.
    pub(crate) regions: Vec<(u32, Range<usize>)>,
}

impl Halves<'_> {
    /// Calls `pair(i, j)` for the positions of equal addresses in `self` and `other`, in
    /// ascending order; a repeated address pairs its repeats in turn. A merge of the low
    /// halves of each region present in both, with no call per address but this one.
    pub(crate) fn equal_pairs(&self, other: &Halves<'_>, mut pair: impl FnMut(usize, usize)) {
        let (mut ra, mut rb) = (0, 0);
        while ra < self.regions.len() && rb < other.regions.len() {
            let ((ha, a), (hb, b)) = (&self.regions[ra], &other.regions[rb]);
            if ha != hb {
                if ha < hb {
                    ra += 1;
                } else {
                    rb += 1;
                }
                continue;
            }
            let (low_a, low_b) = (&self.low[a.clone()], &other.low[b.clone()]);
            let (mut i, mut j) = (0, 0);
            while i < low_a.len() && j < low_b.len() {
                let (x, y) = (low_a[i], low_b[j]);
                if x == y {
                    pair(a.start + i, b.start + j);
                    j += 1;
                }
                i += usize::from(x <= y);
                j += usize::from(x > y);
            }
            (ra, rb) = (ra + 1, rb + 1);
        }
    }
}

/// Bits of a sort key that hold the object index.
const INDEX_BITS: u32 = 27;

/// [`Addresses::order`] when every address is 8-byte aligned (CPython's objects on 64-bit
/// builds): each becomes one `u64` key — region rank, low half / 8, index — sorted by a
/// radix sort of the bits above the index (stable, so equal addresses keep index order).
/// `None` when an address is not aligned.
fn order_split(low: &[u32], high_ix: &[u8], highs: &[u32]) -> Option<AddressOrder> {
    let mut by_value: Vec<usize> = (0..highs.len()).collect();
    by_value.sort_unstable_by_key(|&h| highs[h]);
    let mut rank = [0u64; 256];
    for (r, &h) in by_value.iter().enumerate() {
        rank[h] = r as u64;
    }
    let mut keys = Vec::with_capacity(low.len());
    let mut misaligned = 0u32;
    for (i, (&l, &h)) in low.iter().zip(high_ix).enumerate() {
        misaligned |= l & 0x7;
        keys.push((rank[usize::from(h)] << 56) | (u64::from(l >> 3) << INDEX_BITS) | i as u64);
    }
    if misaligned != 0 {
        return None;
    }
    radix_sort(&mut keys, INDEX_BITS);
    let order = keys.iter().map(|&k| (k & ((1 << INDEX_BITS) - 1)) as u32).collect();
    // The keys give the addresses back, in order: each one's low half, and its region's start.
    let mut regions: Vec<(u32, u32)> = Vec::new();
    let mut low_sorted = Vec::with_capacity(keys.len());
    for (at, &k) in keys.iter().enumerate() {
        let high = highs[by_value[(k >> 56) as usize]];
        if regions.last().is_none_or(|&(h, _)| h != high) {
            regions.push((high, at as u32));
        }
        low_sorted.push((((k >> INDEX_BITS) & ((1 << (56 - INDEX_BITS)) - 1)) << 3) as u32);
    }
    Some(AddressOrder { order, sorted: SortedAddresses::Split { low: low_sorted, regions } })
}

/// Sorts `keys` by their bits from `from_bit` up, stably: least significant digit first, 12
/// bits a pass, every pass's digit counts taken in one read; a pass whose digit is the same
/// in every key is skipped.
fn radix_sort(keys: &mut Vec<u64>, from_bit: u32) {
    const DIGIT: u32 = 12;
    let passes: Vec<(u32, u64)> =
        (from_bit..64).step_by(DIGIT as usize).map(|shift| (shift, (1u64 << DIGIT.min(64 - shift)) - 1)).collect();
    let mut counts = vec![[0u32; 1 << DIGIT]; passes.len()];
    for &k in keys.iter() {
        for (count, &(shift, mask)) in counts.iter_mut().zip(&passes) {
            count[((k >> shift) & mask) as usize] += 1;
        }
    }
    let mut scratch = vec![0u64; keys.len()];
    for (count, &(shift, mask)) in counts.iter_mut().zip(&passes) {
        if count.iter().any(|&c| c as usize == keys.len()) {
            continue; // one digit value: nothing moves
        }
        let mut next = 0;
        for c in count.iter_mut() {
            (*c, next) = (next, next + *c);
        }
        for &k in keys.iter() {
            let d = ((k >> shift) & mask) as usize;
            scratch[count[d] as usize] = k;
            count[d] += 1;
        }
        std::mem::swap(keys, &mut scratch);
    }
}

/// The type of each object, as runs of consecutive objects of one type.
#[derive(Debug, Default)]
pub(crate) struct TypeRuns {
    /// Index of the first object of each run, ascending.
    first: Vec<u32>,
    /// Type index of each run.
    type_ix: Vec<u32>,
    /// Number of objects.
    len: usize,
}

impl TypeRuns {
    #[inline]
    pub(crate) fn push(&mut self, type_ix: u32) {
        if self.type_ix.last() != Some(&type_ix) {
            self.first.push(self.len as u32);
            self.type_ix.push(type_ix);
        }
        self.len += 1;
    }

    /// Type index of object `index`.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> u32 {
        self.type_ix[self.run_of(index)]
    }

    /// Type index of object `index`, starting the search at run `*hint` (updated): near-constant
    /// time when indexes come in ascending order.
    #[inline]
    pub(crate) fn get_near(&self, index: usize, hint: &mut usize) -> u32 {
        let h = *hint;
        if h < self.first.len()
            && (self.first[h] as usize) <= index
            && self.first.get(h + 1).is_none_or(|&f| index < f as usize)
        {
            return self.type_ix[h];
        }
        *hint = self.run_of(index);
        self.type_ix[*hint]
    }

    fn run_of(&self, index: usize) -> usize {
        debug_assert!(index < self.len);
        self.first.partition_point(|&f| f as usize <= index) - 1
    }

    /// `(type index, object indexes)` of every run, in order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, Range<usize>)> + '_ {
        (0..self.first.len()).map(move |r| {
            let end = self.first.get(r + 1).map_or(self.len, |&f| f as usize);
            (self.type_ix[r], self.first[r] as usize..end)
        })
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        (self.first.capacity() + self.type_ix.capacity()) * 4
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.first.shrink_to_fit();
        self.type_ix.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_numbers_round_trip() {
        let values = [Some(0), None, Some(0xFFFD), Some(0xFFFE), Some(u64::MAX), Some(7), None, Some(1 << 40)];
        let mut col = SmallNumbers::with_capacity(0);
        values.iter().for_each(|&v| col.push(v));
        assert!((0..values.len()).all(|i| col.get(i) == values[i]));
        let expect: u64 = values[1..6].iter().map(|v| v.unwrap_or(0)).fold(0u64, |a, b| a.saturating_add(b));
        assert_eq!(col.sum(1..6), expect);
        assert_eq!(col.sum(0..2), 0);
    }

    #[test]
    fn addresses_round_trip_and_widen() {
        let mut col = Addresses::with_capacity(0);
        let values: Vec<u64> = (0..300u64).map(|i| (i << 32) | (i * 16)).chain([0, 0x7f00_0000_1000]).collect();
        values.iter().for_each(|&v| col.push(v));
        assert!(matches!(col, Addresses::Wide(_)));
        assert!((0..values.len()).all(|i| col.get(i) == values[i]));
        let mut few = Addresses::with_capacity(0);
        [0x55d0_0000_0010, 0, 0x7f12_3456_7890].iter().for_each(|&v| few.push(v));
        assert!(matches!(few, Addresses::Split { .. }));
        assert_eq!((few.get(0), few.get(1), few.get(2)), (0x55d0_0000_0010, 0, 0x7f12_3456_7890));
    }

    proptest! {
        /// The same order as sorting `(address, index)` pairs: aligned or not, few or many
        /// regions, repeated addresses.
        #[test]
        fn address_order_is_the_pair_order(
            values in prop_oneof![
                // aligned, the radix path: few regions, wide and narrow ranges, repeats
                proptest::collection::vec(
                    prop_oneof![
                        (0u64..4, 0u64..1 << 29).prop_map(|(h, l)| ((h * 0x7f00) << 32) | (l << 3)),
                        (0u64..2, 0u64..8).prop_map(|(h, l)| (h << 40) | (l << 3)),
                    ],
                    0..400,
                ),
                proptest::collection::vec(prop_oneof![0u64..64, any::<u64>()], 0..400),
            ],
        ) {
            let mut col = Addresses::with_capacity(0);
            values.iter().for_each(|&v| col.push(v));
            let (order, by_pairs) = (col.order(), col.order_by_pairs());
            prop_assert_eq!(&order.order, &by_pairs.order);
            let sorted: Vec<u64> = order.sorted.iter().collect();
            prop_assert_eq!(&sorted, &by_pairs.sorted.iter().collect::<Vec<_>>());
            for v in values.iter().copied().take(20).chain([1, u64::MAX]) {
                prop_assert_eq!(order.sorted.position(v), sorted.iter().position(|&x| x == v));
            }
        }
    }

    proptest! {
        /// The pairs of a merge of the two ascending address lists, one address at a time.
        #[test]
        fn equal_pairs_are_those_of_a_plain_merge(
            a in proptest::collection::vec(prop_oneof![(0u64..3, 0u64..40).prop_map(|(h, l)| (h << 32) | (l << 3)), any::<u64>()], 0..200),
            b in proptest::collection::vec(prop_oneof![(0u64..3, 0u64..40).prop_map(|(h, l)| (h << 32) | (l << 3)), any::<u64>()], 0..200),
        ) {
            let order = |values: &[u64]| {
                let mut col = Addresses::with_capacity(0);
                values.iter().for_each(|&v| col.push(v));
                col.order()
            };
            let (oa, ob) = (order(&a), order(&b));
            let (sa, sb): (Vec<u64>, Vec<u64>) = (oa.sorted.iter().collect(), ob.sorted.iter().collect());
            let mut expected = Vec::new();
            let (mut i, mut j) = (0, 0);
            while i < sa.len() && j < sb.len() {
                if sa[i] <= sb[j] {
                    if sa[i] == sb[j] {
                        expected.push((i, j));
                        j += 1;
                    }
                    i += 1;
                } else {
                    j += 1;
                }
            }
            let mut found = Vec::new();
            oa.sorted.halves().equal_pairs(&ob.sorted.halves(), |i, j| found.push((i, j)));
            prop_assert_eq!(found, expected);
        }
    }

    #[test]
    fn aligned_addresses_take_the_radix_path() {
        let values = [0x7f00_0000_0040u64, 0x5500_0000_0018, 0x7f00_0000_0010, 0x7f00_0000_0040, 0];
        let mut col = Addresses::with_capacity(0);
        values.iter().for_each(|&v| col.push(v));
        let Addresses::Split { low, high_ix, highs } = &col else { panic!("few regions split") };
        let order = order_split(low, high_ix, highs).expect("aligned");
        assert_eq!(order.order, vec![4, 1, 2, 0, 3]);
        let sorted = vec![0, 0x5500_0000_0018, 0x7f00_0000_0010, 0x7f00_0000_0040, 0x7f00_0000_0040];
        assert_eq!(order.sorted.iter().collect::<Vec<_>>(), sorted);
        assert_eq!(order.sorted.position(0x7f00_0000_0040), Some(3));
        assert_eq!(order.sorted.position(0x7f00_0000_0018), None);
        assert_eq!(order.sorted.position(0x1_0000_0000), None);
        assert_eq!(col.order().order, order.order);
        let wide = SortedAddresses::Wide(sorted.clone());
        for addresses in [&order.sorted, &wide] {
            let halves = addresses.halves();
            assert_eq!(&*halves.low, &[0, 0x18, 0x10, 0x40, 0x40]);
            assert_eq!(halves.regions, vec![(0, 0..1), (0x5500, 1..2), (0x7f00, 2..5)]);
        }
    }

    #[test]
    fn type_runs() {
        let mut runs = TypeRuns::default();
        [3, 3, 1, 1, 1, 3].iter().for_each(|&t| runs.push(t));
        assert_eq!(runs.runs().collect::<Vec<_>>(), vec![(3, 0..2), (1, 2..5), (3, 5..6)]);
        let mut hint = 0;
        assert_eq!((0..6).map(|i| runs.get_near(i, &mut hint)).collect::<Vec<_>>(), vec![3, 3, 1, 1, 1, 3]);
        assert_eq!(runs.get(4), 1);
    }
}
