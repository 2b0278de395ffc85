//! Byte order and equality of lines and fields, eight bytes at a time.
//!
//! Checking that a file's lines are sorted compares each line with the one before, and sorted
//! lines share long prefixes; matching objects compares their contents. The WebAssembly
//! build's `memcmp` goes a byte at a time; these compare words (read big-endian where order
//! matters, so that their order is the bytes' order).

/// Whether `a` sorts before `b` in byte order (the same as `a < b` on byte slices).
#[inline]
pub(crate) fn less(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("eight bytes"));
        let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        if x != y {
            return x < y;
        }
        i += 8;
    }
    a[i..] < b[i..]
}

/// The length of the field that starts both `a` and `b` (each ends at its first tab, or at
/// the end of its slice) when the two fields are equal; `None` when they differ. One pass,
/// where finding each field's end and then comparing them would take three.
#[inline]
pub(crate) fn equal_field(a: &[u8], b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TABS: u64 = ONES * b'\t' as u64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("eight bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        // The lowest set high bit marks the first tab of `x` (exactly; bits above it may not).
        let t = x ^ TABS;
        let tabs = t.wrapping_sub(ONES) & !t & (ONES << 7);
        let first_tab = (tabs.trailing_zeros() / 8) as usize; // 8 when none
        if x != y {
            let first_difference = ((x ^ y).trailing_zeros() / 8) as usize;
            return (first_tab < first_difference).then_some(i + first_tab);
        }
        if first_tab < 8 {
            return Some(i + first_tab);
        }
        i += 8;
    }
    loop {
        match (a.get(i), b.get(i)) {
            (None | Some(b'\t'), None | Some(b'\t')) => return Some(i),
            (Some(x), Some(y)) if x == y => i += 1,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{equal_field, less};
    use proptest::prelude::*;

    /// The reference: each field cut at its first tab, then compared.
    fn naive_equal_field(a: &[u8], b: &[u8]) -> Option<usize> {
        let field = |s: &[u8]| s.iter().position(|&c| c == b'\t').map_or(s.len(), |at| at);
        let (fa, fb) = (&a[..field(a)], &b[..field(b)]);
        (fa == fb).then_some(fa.len())
    }

    #[test]
    fn equal_field_edge_cases() {
        assert_eq!(equal_field(b"", b""), Some(0));
        assert_eq!(equal_field(b"\t", b""), Some(0));
        assert_eq!(equal_field(b"str\t'a'", b"str\t'b'"), Some(3));
        assert_eq!(equal_field(b"'abcdefgh'\t56", b"'abcdefgh'\t48"), Some(10));
        assert_eq!(equal_field(b"'abcdefgh'", b"'abcdefgh'x"), None);
        assert_eq!(equal_field(b"'abcdefg'\tx", b"'abcdefgh'\t"), None);
        assert_eq!(equal_field(b"abcdefg\tabcdefgh", b"abcdefg\tabcdefgX"), Some(7));
        assert_eq!(equal_field(b"abcdefgh\t", b"abcdefgh"), Some(8));
        assert_eq!(equal_field(b"\x89abcdefgh", b"\x09abcdefgh"), None);
    }

    #[test]
    fn edge_cases() {
        assert!(!less(b"", b""));
        assert!(less(b"", b"a"));
        assert!(less(b"dict\t{'a': 1}\t", b"dict\t{'a': 2}\t"));
        assert!(!less(b"abcdefgh", b"abcdefgh"));
        assert!(less(b"abcdefgh", b"abcdefghi"));
        assert!(less(b"abcdefgh\x00", b"abcdefgh\xff"));
        assert!(!less(b"abcdefgi", b"abcdefgh12345678"));
    }

    proptest! {
        #[test]
        fn same_as_slice_order(prefix in proptest::collection::vec(any::<u8>(), 0..40),
                               a in proptest::collection::vec(0u8..4, 0..20),
                               b in proptest::collection::vec(0u8..4, 0..20)) {
            let a = [prefix.as_slice(), &a].concat();
            let b = [prefix.as_slice(), &b].concat();
            prop_assert_eq!(less(&a, &b), a < b);
            prop_assert_eq!(less(&b, &a), b < a);
        }

        #[test]
        fn equal_field_is_the_naive_comparison(prefix in proptest::collection::vec(prop_oneof![Just(b'\t'), 7u8..12, any::<u8>()], 0..40),
                                               a in proptest::collection::vec(prop_oneof![Just(b'\t'), 7u8..12], 0..20),
                                               b in proptest::collection::vec(prop_oneof![Just(b'\t'), 7u8..12], 0..20)) {
            let a = [prefix.as_slice(), &a].concat();
            let b = [prefix.as_slice(), &b].concat();
            prop_assert_eq!(equal_field(&a, &b), naive_equal_field(&a, &b));
            prop_assert_eq!(equal_field(&b, &a), naive_equal_field(&b, &a));
        }
    }
}
