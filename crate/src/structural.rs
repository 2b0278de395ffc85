//! Where the next tab, newline or backslash is, for the line reader.
//!
//! Text is classified 64 bytes at a time into a bit mask (SSE2 on x86-64, simd128 in
//! WebAssembly, a plain loop elsewhere), and the positions are taken from the mask one by one:
//! a field's end costs a few bit operations instead of a search call per field. A snapshot
//! line has about eight fields in 70 bytes, so the calls were most of the parsing time.

/// A cursor over the positions of `\t`, `\n` and `\\` in `data`, in order.
pub(crate) struct Structural<'d> {
    data: &'d [u8],
    /// Where the block that `mask` describes starts.
    base: usize,
    /// Bit `k`: `data[base + k]` is a tab, newline or backslash not taken yet.
    mask: u64,
}

impl<'d> Structural<'d> {
    /// A cursor whose first position is the first one at or after `pos`.
    pub(crate) fn new(data: &'d [u8], pos: usize) -> Structural<'d> {
        let mut cursor = Structural { data, base: 0, mask: 0 };
        cursor.seek(pos);
        cursor
    }

    /// Goes on from `pos`: the next position is the first one at or after it.
    pub(crate) fn seek(&mut self, pos: usize) {
        self.base = pos;
        self.mask = block_mask(self.data, pos);
    }

    /// The next position, or `None` past the end.
    #[inline]
    pub(crate) fn next_position(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.data.len() {
                self.base = self.data.len();
                return None;
            }
            self.mask = block_mask(self.data, self.base);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// The mask of the 64 bytes from `base` (bytes past the end count as none).
#[inline]
fn block_mask(data: &[u8], base: usize) -> u64 {
    match data.get(base..base + 64) {
        Some(block) => mask64(block.try_into().expect("64 bytes")),
        None => {
            let mut padded = [0u8; 64];
            let rest = data.get(base..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            mask64(&padded)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn mask64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    // SAFETY: SSE2 is part of x86-64; each load reads 16 of the block's 64 bytes (unaligned).
    unsafe {
        let (tab, newline, backslash) =
            (_mm_set1_epi8(b'\t' as i8), _mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'\\' as i8));
        let mut mask = 0u64;
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let hits = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, newline)),
                _mm_cmpeq_epi8(v, backslash),
            );
            mask |= u64::from(_mm_movemask_epi8(hits) as u16) << (16 * k);
        }
        mask
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn mask64(block: &[u8; 64]) -> u64 {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load, v128_or};
    let (tab, newline, backslash) = (u8x16_splat(b'\t'), u8x16_splat(b'\n'), u8x16_splat(b'\\'));
    let mut mask = 0u64;
    for k in 0..4 {
        // SAFETY: reads 16 of the block's 64 bytes; v128_load needs no alignment.
        let v = unsafe { v128_load(block.as_ptr().add(16 * k).cast::<v128>()) };
        let hits = v128_or(v128_or(u8x16_eq(v, tab), u8x16_eq(v, newline)), u8x16_eq(v, backslash));
        mask |= u64::from(u8x16_bitmask(hits)) << (16 * k);
    }
    mask
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
#[inline]
fn mask64(block: &[u8; 64]) -> u64 {
    mask64_plain(block)
}

/// [`mask64`] a byte at a time: the other targets, and the reference in tests.
#[cfg_attr(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")), allow(dead_code))]
fn mask64_plain(block: &[u8; 64]) -> u64 {
    block.iter().enumerate().fold(0, |mask, (k, &b)| mask | (u64::from(matches!(b, b'\t' | b'\n' | b'\\')) << k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(data: &[u8], from: usize) -> Vec<usize> {
        (from..data.len()).filter(|&i| matches!(data[i], b'\t' | b'\n' | b'\\')).collect()
    }

    fn taken(cursor: &mut Structural<'_>) -> Vec<usize> {
        std::iter::from_fn(|| cursor.next_position()).collect()
    }

    #[test]
    fn positions_across_blocks_and_the_end() {
        let mut data = vec![b'a'; 200];
        for at in [0, 63, 64, 65, 127, 128, 199] {
            data[at] = [b'\t', b'\n', b'\\'][at % 3];
        }
        assert_eq!(taken(&mut Structural::new(&data, 0)), vec![0, 63, 64, 65, 127, 128, 199]);
        assert_eq!(taken(&mut Structural::new(&data, 64)), vec![64, 65, 127, 128, 199]);
        assert_eq!(taken(&mut Structural::new(&data, 200)), Vec::<usize>::new());
        assert_eq!(taken(&mut Structural::new(b"", 0)), Vec::<usize>::new());
        let mut cursor = Structural::new(&data, 0);
        assert_eq!(cursor.next_position(), Some(0));
        cursor.seek(100);
        assert_eq!(taken(&mut cursor), vec![127, 128, 199]);
        assert_eq!(cursor.next_position(), None, "stays at the end");
    }

    proptest! {
        #[test]
        fn positions_are_those_of_a_naive_scan(
            data in proptest::collection::vec(prop_oneof![Just(b'\t'), Just(b'\n'), Just(b'\\'), Just(b'\r'), any::<u8>()], 0..300),
            from in 0usize..320,
            again in 0usize..320,
        ) {
            let from = from.min(data.len());
            let mut cursor = Structural::new(&data, from);
            prop_assert_eq!(taken(&mut cursor), naive(&data, from));
            let again = again.min(data.len());
            cursor.seek(again);
            prop_assert_eq!(taken(&mut cursor), naive(&data, again));
        }

        #[test]
        fn the_vector_mask_is_the_plain_one(block in proptest::array::uniform32(any::<u8>()), other in proptest::array::uniform32(prop_oneof![Just(b'\t'), Just(b'\n'), Just(b'\\'), any::<u8>()])) {
            let mut full = [0u8; 64];
            full[..32].copy_from_slice(&block);
            full[32..].copy_from_slice(&other);
            prop_assert_eq!(mask64(&full), mask64_plain(&full));
        }
    }
}
