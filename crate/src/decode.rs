//! Turning file bytes into snapshot text: gzip detection by magic bytes, the members inflated
//! (all at once, or a window at a time) from bytes in memory or from a reader, and a size limit.

use std::io::Read;

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
    inflate_all(GzipStream::new(bytes), None, limit)
}

/// [`decompress`] of the file that `reader` gives (`size` bytes, when known), read a window at
/// a time: only the text is ever in memory whole. Read errors are [`ErrorKind::Io`].
pub fn decompress_from(reader: impl Read, size: Option<u64>, options: &ReadOptions) -> Result<Vec<u8>> {
    let limit = options.limit();
    let io = |e: std::io::Error| Error::new(ErrorKind::Io(e));
    let (gzip, whole) = sniff(reader).map_err(io)?;
    if !gzip {
        let mut out = Vec::new();
        whole.take(limit + 1).read_to_end(&mut out).map_err(io)?;
        if out.len() as u64 > limit {
            return Err(Error::new(ErrorKind::TooLarge { limit }));
        }
        return Ok(out);
    }
    inflate_all(GzipStream::from_reader(Box::new(whole))?, size, limit)
}

/// All that a sniffed reader gives: its first bytes again, then the rest.
pub(crate) type Sniffed<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// Whether what `reader` gives starts like gzip, found from its first two bytes, and all it
/// gives, those two bytes included.
pub(crate) fn sniff<R: Read>(mut reader: R) -> std::io::Result<(bool, Sniffed<R>)> {
    let mut magic = Vec::with_capacity(2);
    (&mut reader).take(2).read_to_end(&mut magic)?;
    Ok((is_gzip(&magic), std::io::Cursor::new(magic).chain(reader)))
}

/// All the text of `stream` (a file of `file_size` bytes, when known), in one buffer, at most
/// `limit` bytes.
fn inflate_all(mut stream: GzipStream<'_>, file_size: Option<u64>, limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(stream.size_hint(file_size, limit));
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

/// Compressed bytes asked of a reader at a time.
const INPUT_WINDOW: usize = 256 << 10;
/// Bytes read before inflating starts: more than the capture's first member header.
const HEADER_BYTES: usize = 64;

/// The members of a gzip file, inflated a window at a time, each checked (CRC and size). The
/// compressed bytes are all in memory, or read from a reader a window at a time.
pub(crate) struct GzipStream<'r> {
    /// The compressed bytes: the whole file, or (with `reader`) a window of it.
    input: Vec<u8>,
    /// Where the next byte to inflate is in `input`.
    pos: usize,
    /// Where the rest of the compressed bytes come from (none: `input` is the whole file).
    reader: Option<Box<dyn Read + 'r>>,
    inflater: Decompress,
    done: bool,
}

impl<'r> GzipStream<'r> {
    /// The gzip file `bytes` (the first member starts at once), nothing inflated yet.
    pub(crate) fn new(bytes: Vec<u8>) -> GzipStream<'r> {
        GzipStream { input: bytes, pos: 0, reader: None, inflater: Decompress::new_gzip(15), done: false }
    }

    /// The gzip file that `reader` gives, read a window at a time; the first window is read
    /// at once (its header says how large the text is: [`GzipStream::size_hint`]).
    pub(crate) fn from_reader(reader: Box<dyn Read + 'r>) -> Result<GzipStream<'r>> {
        let input = Vec::with_capacity(INPUT_WINDOW);
        let mut stream =
            GzipStream { input, pos: 0, reader: Some(reader), inflater: Decompress::new_gzip(15), done: false };
        stream.ensure(HEADER_BYTES)?; // (a shorter file is all there)
        Ok(stream)
    }

    /// Whether every member has been inflated and checked.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// A capacity guess for the text: the total size the capture writes in its first member's
    /// header (extra subfield `HS`), else the gzip trailer's (uncompressed size mod 2^32 of the
    /// last member, when the whole file is at hand), else 4x the compressed size. `file_size` is
    /// the compressed size, when known (a reader's bytes are not all at hand).
    pub(crate) fn size_hint(&self, file_size: Option<u64>, limit: u64) -> usize {
        let whole = self.reader.is_none();
        let compressed = if whole { self.input.len() as u64 } else { file_size.unwrap_or(self.input.len() as u64) };
        let trailer = match self.input.len().checked_sub(4) {
            Some(at) if whole => Some(u64::from(u32::from_le_bytes(self.input[at..].try_into().expect("4 bytes")))),
            _ => None,
        };
        let guess = match (total_size_field(&self.input), trailer) {
            // Trusted only as far as snapshot text compresses (about 7x): a lie costs nothing.
            (Some(total), _) => total.min(compressed * 16),
            // A trailer claiming less than the compressed size is from a multi-member or odd stream.
            (None, Some(isize)) if isize >= compressed => isize,
            _ => compressed * 4,
        };
        guess.min(limit).min(1 << 30) as usize
    }

    /// Inflates into the spare capacity of `out` (at least some of it, unless the end comes).
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        while !self.done && out.len() < out.capacity() {
            let before = (self.inflater.total_in(), out.len());
            let status = self
                .inflater
                .decompress_vec(&self.input[self.pos..], out, FlushDecompress::None)
                .map_err(|e| gzip_error(&e.to_string()))?;
            self.pos += (self.inflater.total_in() - before.0) as usize;
            if status == Status::StreamEnd {
                // The next member, or the end of the file.
                if !self.ensure(2)? {
                    if self.pos == self.input.len() {
                        self.done = true;
                        continue;
                    }
                    return Err(gzip_error("invalid gzip header"));
                }
                if !is_gzip(&self.input[self.pos..]) {
                    return Err(gzip_error("invalid gzip header"));
                }
                self.inflater = Decompress::new_gzip(15);
                continue;
            }
            if (self.inflater.total_in(), out.len()) == before {
                // It took all the input it was given and needs more.
                if !self.refill()? {
                    return Err(gzip_error("unexpected end of file"));
                }
                continue;
            }
            if out.len() > before.1 {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Whether at least `n` compressed bytes are at hand (reading more if need be).
    fn ensure(&mut self, n: usize) -> Result<bool> {
        while self.input.len() - self.pos < n {
            if !self.refill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads more compressed bytes (dropping those inflated); `false` at the end of the file.
    fn refill(&mut self) -> Result<bool> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(false);
        };
        self.input.drain(..self.pos);
        self.pos = 0;
        let room = INPUT_WINDOW.max(self.input.len() + 4096);
        let n = read_more(reader.as_mut(), &mut self.input, room, INPUT_WINDOW / 2)
            .map_err(|e| Error::new(ErrorKind::Io(e)))?;
        Ok(n > 0)
    }
}

/// Appends what `reader` gives to `buf`, up to `room` bytes in all: reads until `want` bytes
/// came, the room is full or the end is reached; returns how many came (0: the end). The room
/// is zeroed once per call, however little each read gives (a pipe, a slow reader).
pub(crate) fn read_more(reader: &mut dyn Read, buf: &mut Vec<u8>, room: usize, want: usize) -> std::io::Result<usize> {
    let before = buf.len();
    buf.resize(room.max(before + 1), 0);
    let mut filled = before;
    let result = loop {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                filled += n;
                if filled - before >= want || filled == buf.len() {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        }
    };
    buf.truncate(filled);
    result.map(|()| filled - before)
}

fn gzip_error(what: &str) -> Error {
    Error::new(ErrorKind::Gzip(what.to_string()))
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
    fn a_reader_gives_the_total_size_field_too() {
        let mut member = vec![0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 12, 0, b'H', b'S', 8, 0];
        member.extend(3u64.to_le_bytes());
        member.extend(&gz(b"ab\n")[10..]);
        // As Snapshot::read_from gives it: the two magic bytes, then the rest.
        let reader = Read::chain(&member[..2], &member[2..]);
        let mut stream = GzipStream::from_reader(Box::new(reader)).unwrap();
        assert_eq!(stream.size_hint(Some(member.len() as u64), u64::MAX), 3);
        let mut out = Vec::with_capacity(16);
        while !stream.done() {
            stream.read_into(&mut out).unwrap();
        }
        assert_eq!(out, b"ab\n");
    }

    #[test]
    fn decompressing_from_a_reader_gives_the_same_text_and_errors() {
        let mut two = gz(b"a\nb\n");
        two.extend(gz(b"c\n"));
        let options = ReadOptions::default();
        assert_eq!(decompress_from(&two[..], None, &options).unwrap(), b"a\nb\nc\n");
        assert_eq!(decompress_from(&b"plain\n"[..], Some(6), &options).unwrap(), b"plain\n");
        let bomb = gz(&vec![b'x'; 1 << 20]);
        let small = ReadOptions { max_bytes: 1000 };
        assert!(matches!(decompress_from(&bomb[..], None, &small).unwrap_err().kind(), ErrorKind::TooLarge { .. }));
        assert!(matches!(
            decompress_from(&[b'x'; 2000][..], None, &small).unwrap_err().kind(),
            ErrorKind::TooLarge { .. }
        ));
        let cut = &two[..two.len() - 5];
        assert!(matches!(decompress_from(cut, None, &options).unwrap_err().kind(), ErrorKind::Gzip(_)));
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
