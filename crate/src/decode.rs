//! Turning file bytes into snapshot text: gzip detection by magic bytes, the members inflated
//! (all at once, or a window at a time), and a size limit.

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{Error, ErrorKind, Result};

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Limits applied while reading a snapshot.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Largest accepted snapshot text, in bytes, after decompression. Guards against gzip bombs.
    /// The model indexes lines with `u32` offsets, so this is at most `u32::MAX`.
    pub max_bytes: u64,
}

impl ReadOptions {
    /// The largest text accepted: `max_bytes`, at most `u32::MAX`.
    pub(crate) fn limit(&self) -> u64 {
        self.max_bytes.min(u64::from(u32::MAX))
    }
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { max_bytes: u64::from(u32::MAX) }
    }
}

/// Whether `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The snapshot text in `bytes`: inflated when they are gzip (any number of members),
/// returned as they are otherwise. Fails when the text is larger than `options.max_bytes`.
pub fn decompress(bytes: Vec<u8>, options: &ReadOptions) -> Result<Vec<u8>> {
    let limit = options.limit();
    if !is_gzip(&bytes) {
        if bytes.len() as u64 > limit {
            return Err(Error::new(ErrorKind::TooLarge { limit }));
        }
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(size_hint(&bytes, limit));
    let mut stream = GzipStream::new(bytes);
    while !stream.done() {
        if out.len() == out.capacity() {
            if out.len() as u64 > limit {
                return Err(Error::new(ErrorKind::TooLarge { limit }));
            }
            let more = out.len().max(1 << 20).min((limit + 1 - out.len() as u64) as usize);
            out.reserve_exact(more);
        }
        stream.read_into(&mut out)?;
    }
    if out.len() as u64 > limit {
        return Err(Error::new(ErrorKind::TooLarge { limit }));
    }
    if out.capacity() > out.len() + out.len() / 16 {
        out.shrink_to_fit(); // the text is kept for the snapshot's life: give back the slack
    }
    Ok(out)
}

/// The members of a gzip file, inflated a window at a time, each checked (CRC and size).
pub(crate) struct GzipStream {
    bytes: Vec<u8>,
    /// Where the current member starts in `bytes`.
    at: usize,
    inflater: Decompress,
    done: bool,
}

impl GzipStream {
    /// The gzip file `bytes` (the first member starts at once), nothing inflated yet.
    pub(crate) fn new(bytes: Vec<u8>) -> GzipStream {
        GzipStream { bytes, at: 0, inflater: Decompress::new_gzip(15), done: false }
    }

    /// Whether every member has been inflated and checked.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// Inflates into the spare capacity of `out` (at least some of it, unless the end comes).
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let gzip_error = |what: &str| Error::new(ErrorKind::Gzip(what.to_string()));
        while !self.done && out.len() < out.capacity() {
            let consumed = self.inflater.total_in() as usize;
            let before = (consumed, out.len());
            let status = self
                .inflater
                .decompress_vec(&self.bytes[self.at + consumed..], out, FlushDecompress::None)
                .map_err(|e| gzip_error(&e.to_string()))?;
            if status == Status::StreamEnd {
                self.at += self.inflater.total_in() as usize;
                if self.at == self.bytes.len() {
                    self.done = true;
                } else if !is_gzip(&self.bytes[self.at..]) {
                    return Err(gzip_error("invalid gzip header"));
                } else {
                    self.inflater = Decompress::new_gzip(15);
                }
                continue;
            }
            if (self.inflater.total_in() as usize, out.len()) == before {
                return Err(gzip_error("unexpected end of file"));
            }
            if out.len() > before.1 {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// A capacity guess: the total size the capture writes in its first member's header (extra
/// subfield `HS`), else the gzip trailer's (uncompressed size mod 2^32 of the last member).
pub(crate) fn size_hint(bytes: &[u8], limit: u64) -> usize {
    if let Some(total) = total_size_field(bytes) {
        // Trusted only as far as snapshot text compresses (about 7x): a lie costs nothing.
        return total.min(limit).min(bytes.len() as u64 * 16).min(1 << 30) as usize;
    }
    let Some(tail) = bytes.len().checked_sub(4).map(|at| &bytes[at..]) else {
        return 0;
    };
    let isize = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    // A trailer claiming less than the compressed size is from a multi-member or odd stream.
    let guess = if isize < bytes.len() as u64 { bytes.len() as u64 * 4 } else { isize };
    guess.min(limit).min(1 << 30) as usize
}

/// The `HS` subfield of the first gzip member's extra field (FORMAT.md): the total
/// uncompressed size, little-endian. Only a hint: the inflated size is what counts.
pub fn total_size_field(bytes: &[u8]) -> Option<u64> {
    const FEXTRA: u8 = 4;
    if !is_gzip(bytes) || bytes.len() < 12 || bytes[3] & FEXTRA == 0 {
        return None;
    }
    let xlen = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    let mut extra = bytes.get(12..12 + xlen)?;
    while extra.len() >= 4 {
        let len = u16::from_le_bytes([extra[2], extra[3]]) as usize;
        let data = extra.get(4..4 + len)?;
        if &extra[..2] == b"HS" && len == 8 {
            return Some(u64::from_le_bytes(data.try_into().ok()?));
        }
        extra = &extra[4 + len..];
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// `data` as one gzip member.
    pub(crate) fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_passes_through() {
        let out = decompress(b"abc".to_vec(), &ReadOptions::default()).unwrap();
        assert_eq!(out, b"abc");
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        let out = decompress(gz(b"hello\n"), &ReadOptions::default()).unwrap();
        assert_eq!(out, b"hello\n");
    }

    #[test]
    fn multi_member_gzip_is_read_whole() {
        let mut two = gz(b"a\n");
        two.extend(gz(b"b\n"));
        assert_eq!(decompress(two, &ReadOptions::default()).unwrap(), b"a\nb\n");
    }

    #[test]
    fn the_total_size_field_is_read_and_only_a_hint() {
        // A first member with extra field HS as the capture writes it, then a second member.
        let mut member = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 12, 0, b'H', b'S', 8, 0];
        member.extend(5u64.to_le_bytes());
        let plain = gz(b"ab\n");
        member.extend(&plain[10..]); // the deflate data and trailer of a member without extras
        assert_eq!(total_size_field(&member), Some(5));
        let mut two = member.clone();
        two.extend(gz(b"c\n"));
        assert_eq!(decompress(two, &ReadOptions::default()).unwrap(), b"ab\nc\n");
        assert_eq!(total_size_field(&gz(b"x")), None);
        // A lying hint changes nothing but the first allocation.
        let mut lie = member.clone();
        lie[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert_eq!(decompress(lie, &ReadOptions::default()).unwrap(), b"ab\n");
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let bomb = gz(&vec![b'x'; 1 << 20]);
        let err = decompress(bomb, &ReadOptions { max_bytes: 1000 }).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::TooLarge { limit: 1000 }));
    }

    #[test]
    fn a_member_whose_checksum_or_size_is_wrong_is_an_error() {
        for at in [8, 4] {
            let mut data = gz(b"hello world hello world\n");
            let n = data.len();
            data[n - at] ^= 1; // the CRC-32, then the size, of the trailer
            let err = decompress(data, &ReadOptions::default()).unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Gzip(_)), "{err}");
        }
    }

    #[test]
    fn bytes_after_the_last_member_are_an_error() {
        let mut data = gz(b"a\n");
        data.extend(b"garbage");
        let err = decompress(data, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Gzip(_)), "{err}");
    }

    #[test]
    fn damaged_gzip_is_an_error() {
        let mut data = gz(b"hello world hello world\n");
        let n = data.len();
        data.truncate(n - 6);
        let err = decompress(data, &ReadOptions::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Gzip(_)), "{err}");
    }
}
