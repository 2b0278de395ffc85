//! Byte order of two lines, eight bytes at a time.
//!
//! Checking that a file's lines are sorted compares each line with the one before, and sorted
//! lines share long prefixes. The WebAssembly build's `memcmp` goes a byte at a time; this
//! compares words, read big-endian so that their order is the bytes' order.

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

#[cfg(test)]
mod tests {
    use super::less;
    use proptest::prelude::*;

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
    }
}
