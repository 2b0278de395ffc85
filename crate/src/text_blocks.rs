//! The snapshot text a block of whole lines at a time, and the text the parser keeps of it.
//!
//! Plain text already in memory is read where it lies, and kept whole. Gzip is inflated into
//! a window of a few hundred KiB, and plain text from a reader (a file) is read into one, so
//! the whole text never exists at once: the parser reads each line while it is still in the
//! cache and keeps only its text fields (contents, edge, site …); the type and the numbers
//! become columns.

use std::io::Read;

use crate::decode::{is_gzip, read_more, GzipStream, ReadOptions};
use crate::error::{Error, ErrorKind, Result};

/// Inflated bytes asked for at a time: the window stays in the cache while it is parsed.
const WINDOW: usize = 256 << 10;

/// The text of a snapshot file, in blocks of whole lines, and what is kept of it.
pub(crate) struct TextBlocks<'r> {
    /// Plain input in memory: the whole text. Otherwise: the window.
    buf: Vec<u8>,
    /// Where the text not read yet starts in `buf`.
    pos: usize,
    /// Where the rest of the text comes from.
    source: Source<'r>,
    /// Read through the window: the kept text.
    kept: Vec<u8>,
    /// Text bytes seen so far (all of them, for plain input).
    total: u64,
    /// About how many bytes of text there are (0: unknown), for sizing `kept`.
    expected: usize,
    limit: u64,
}

/// Bytes of a line that are not kept, at least, in practice: its type, size, length, id and
/// parent fields and their tabs (34 on average in a synthetic heap's capture, 40 in a
/// library-heavy one's).
const UNKEPT_PER_LINE: usize = 32;

impl<'r> TextBlocks<'r> {
    /// The text of file `bytes`, gzip (any number of members) or plain. Fails when the text is
    /// larger than `options.max_bytes` (for gzip: as soon as it inflates past it).
    pub(crate) fn new(bytes: Vec<u8>, options: &ReadOptions) -> Result<TextBlocks<'r>> {
        let limit = options.limit();
        if !is_gzip(&bytes) {
            if bytes.len() as u64 > limit {
                return Err(Error::new(ErrorKind::TooLarge { limit }));
            }
            let total = bytes.len() as u64;
            let source = Source::InPlace;
            return Ok(TextBlocks { buf: bytes, pos: 0, source, kept: Vec::new(), total, expected: 0, limit });
        }
        Ok(TextBlocks::gzip(GzipStream::new(bytes), None, limit))
    }

    /// The text of the gzip file that `reader` gives (`size` bytes, when known): neither the
    /// file nor its text is ever in memory whole.
    pub(crate) fn from_gzip_reader(
        reader: Box<dyn Read + 'r>,
        size: Option<u64>,
        options: &ReadOptions,
    ) -> Result<TextBlocks<'r>> {
        Ok(TextBlocks::gzip(GzipStream::from_reader(reader)?, size, options.limit()))
    }

    fn gzip(stream: GzipStream<'r>, size: Option<u64>, limit: u64) -> TextBlocks<'r> {
        let expected = stream.size_hint(size, limit);
        TextBlocks::windowed(Source::Gzip(stream), expected, limit)
    }

    /// The plain text that `reader` gives (about `size` bytes, when known), a window at a time.
    pub(crate) fn from_reader(reader: Box<dyn Read + 'r>, size: Option<u64>, options: &ReadOptions) -> TextBlocks<'r> {
        let limit = options.limit();
        TextBlocks::windowed(Source::Reader { reader, done: false }, size.unwrap_or(0).min(limit) as usize, limit)
    }

    fn windowed(source: Source<'r>, expected: usize, limit: u64) -> TextBlocks<'r> {
        TextBlocks { buf: Vec::with_capacity(WINDOW), pos: 0, source, kept: Vec::new(), total: 0, expected, limit }
    }

    /// Sizes the kept text before the first record, for `objects` lines (the header's count):
    /// the text less what a line keeps in columns; half the text when the count is unknown.
    /// [`TextBlocks::fit_kept`] corrects it on the way.
    pub(crate) fn plan_kept(&mut self, objects: Option<u64>) {
        if self.in_place() || !self.kept.is_empty() {
            return;
        }
        let columns = objects.map(|n| (n as usize).saturating_mul(UNKEPT_PER_LINE));
        let planned = columns.map_or(self.expected / 2, |c| self.expected.saturating_sub(c).max(self.expected / 4));
        self.kept.reserve_exact(planned);
    }

    /// The buffer that positions refer to (`pos()..` is the text not read yet).
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf
    }

    /// Where the text not read yet starts in [`TextBlocks::data`].
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text not read yet, as far as it is available.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Marks `n` more bytes read.
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// Makes more text available (moving what is not read yet to the front of the window);
    /// `false` at the end of the text. Positions change: take them from [`TextBlocks::pos`].
    pub(crate) fn more(&mut self) -> Result<bool> {
        if self.source.done() {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        if self.buf.capacity() - self.buf.len() < WINDOW / 2 {
            // A line longer than the window: room for it to complete.
            self.buf.reserve(self.buf.len().max(WINDOW));
        }
        let before = self.buf.len();
        match &mut self.source {
            Source::InPlace => {}
            Source::Gzip(gzip) => gzip.read_into(&mut self.buf)?,
            Source::Reader { reader, done } => {
                let room = self.buf.capacity();
                let n = read_more(reader.as_mut(), &mut self.buf, room, WINDOW / 2)
                    .map_err(|e| Error::new(ErrorKind::Io(e)))?;
                *done = n == 0;
            }
        }
        self.total += (self.buf.len() - before) as u64;
        if self.total > self.limit {
            return Err(Error::new(ErrorKind::TooLarge { limit: self.limit }));
        }
        Ok(self.buf.len() > before || !self.source.done())
    }

    /// Whether all the text is in memory already (plain input given as bytes): then it is
    /// kept whole, as [`TextBlocks::into_kept`] returns it, and nothing is copied.
    pub(crate) fn in_place(&self) -> bool {
        self.source.in_place()
    }

    /// About how many bytes of text the file holds (exact for plain text in memory; for gzip,
    /// what its header or trailer says, capped as [`crate::decode`] caps it).
    pub(crate) fn size_estimate(&self) -> usize {
        if self.in_place() {
            self.buf.len()
        } else {
            self.expected
        }
    }

    /// Bytes of text kept so far (read through the window).
    pub(crate) fn kept_len(&self) -> usize {
        self.kept.len()
    }

    /// Keeps the bytes at `start..end` of [`TextBlocks::data`] (read through the window).
    #[inline]
    pub(crate) fn keep(&mut self, start: usize, end: usize) {
        debug_assert!(!self.in_place());
        self.kept.extend_from_slice(&self.buf[start..end]);
    }

    /// Room for what is left to keep, once the kept text is about to fill its buffer: the share
    /// kept of the text read so far, applied to the whole text, and a little more. Growing by
    /// doubling instead copies as much and leaves a block twice the need (in WebAssembly the
    /// freed one stays in the worker's memory).
    pub(crate) fn fit_kept(&mut self, next: usize) {
        let room = self.kept.capacity() - self.kept.len();
        let read = self.total as usize - self.available().len();
        if room >= next || self.expected == 0 || read == 0 {
            return;
        }
        let len = self.kept.len();
        let want = if read < self.expected {
            let projected = (len as u128 * self.expected as u128 / read as u128) as usize;
            // At least an eighth more, so that a share growing late costs a few copies at most.
            (projected + projected / 32).max(len + len / 8) + next
        } else {
            // More text than expected: the estimate was wrong; double, as a Vec does.
            2 * len + next
        };
        self.kept.reserve_exact(want - len);
    }

    /// Makes the last byte kept a newline (it was the separator after a record's last field).
    #[inline]
    pub(crate) fn end_record(&mut self) {
        *self.kept.last_mut().expect("a field was kept") = b'\n';
    }

    /// Bytes of text in the file (so far, for gzip: all of it once the end is reached).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The kept text, its slack given back: for text in memory, all of it.
    pub(crate) fn into_kept(self) -> Vec<u8> {
        let mut kept = if self.in_place() { self.buf } else { self.kept };
        kept.shrink_to_fit();
        kept
    }
}

/// Where the text comes from.
enum Source<'r> {
    /// All of it is in the buffer already.
    InPlace,
    Gzip(GzipStream<'r>),
    Reader {
        reader: Box<dyn Read + 'r>,
        done: bool,
    },
}

impl Source<'_> {
    fn in_place(&self) -> bool {
        matches!(self, Source::InPlace)
    }

    /// Whether no more text will come.
    fn done(&self) -> bool {
        match self {
            Source::InPlace => true,
            Source::Gzip(gzip) => gzip.done(),
            Source::Reader { done, .. } => *done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests::gz;

    /// All the text, read through the window.
    fn read_all(blocks: &mut TextBlocks) -> Result<Vec<u8>> {
        let mut text = Vec::new();
        loop {
            text.extend_from_slice(blocks.available());
            let n = blocks.available().len();
            blocks.consume(n);
            if !blocks.more()? {
                return Ok(text);
            }
        }
    }

    #[test]
    fn gzip_members_read_through_the_window_are_the_text() {
        let text: Vec<u8> = (0..100_000).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut two = gz(&text[..300_000]);
        two.extend(gz(&text[300_000..]));
        let mut blocks = TextBlocks::new(two, &ReadOptions::default()).unwrap();
        assert_eq!(read_all(&mut blocks).unwrap(), text);
        assert_eq!(blocks.total(), text.len() as u64);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let mut blocks = TextBlocks::new(gz(&vec![b'x'; 1 << 22]), &ReadOptions { max_bytes: 1 << 20 }).unwrap();
        let err = read_all(&mut blocks).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::TooLarge { limit } if *limit == 1 << 20), "{err}");
    }

    #[test]
    fn damaged_or_cut_gzip_is_an_error() {
        let data = gz(b"hello world hello world\n");
        let mut cut = TextBlocks::new(data[..data.len() - 6].to_vec(), &ReadOptions::default()).unwrap();
        assert!(matches!(read_all(&mut cut).unwrap_err().kind(), ErrorKind::Gzip(_)));
        let mut trailing = data.clone();
        trailing.extend(b"garbage");
        let mut trailing = TextBlocks::new(trailing, &ReadOptions::default()).unwrap();
        assert!(matches!(read_all(&mut trailing).unwrap_err().kind(), ErrorKind::Gzip(_)));
    }

    #[test]
    fn fields_kept_through_the_window_end_in_a_newline() {
        let mut blocks = TextBlocks::from_reader(Box::new(&b"aaX\tbb\tY\n"[..]), None, &ReadOptions::default());
        assert!(blocks.more().unwrap());
        blocks.keep(0, 1);
        blocks.keep(4, 7);
        blocks.end_record();
        assert_eq!(blocks.kept_len(), 4);
        assert_eq!(blocks.into_kept(), b"abb\n");
        let plain = TextBlocks::new(b"aaX\n".to_vec(), &ReadOptions::default()).unwrap();
        assert!(plain.in_place());
        assert_eq!(plain.into_kept(), b"aaX\n");
    }

    /// Keeps every other byte of `text`, read through a window with `size` as its size hint;
    /// returns how often the kept buffer was resized.
    fn resizes_keeping_half(text: &[u8], size: u64, objects: Option<u64>) -> usize {
        let mut blocks = TextBlocks::from_reader(Box::new(text), Some(size), &ReadOptions::default());
        blocks.plan_kept(objects);
        let (mut resizes, mut capacity) = (0, blocks.kept.capacity());
        while blocks.more().unwrap() {
            let (start, end) = (blocks.pos(), blocks.data().len());
            blocks.fit_kept(end - start);
            for at in (start..end).step_by(2) {
                blocks.keep(at, at + 1);
            }
            blocks.consume(end - start);
            resizes += usize::from(blocks.kept.capacity() != capacity);
            capacity = blocks.kept.capacity();
        }
        assert_eq!(blocks.kept_len(), text.len() / 2);
        resizes
    }

    #[test]
    fn the_kept_text_is_sized_once_or_grows_geometrically() {
        let text = vec![b'x'; 8 << 20];
        // The size and the count known: the text less 32 bytes a line leaves room enough.
        assert_eq!(resizes_keeping_half(&text, text.len() as u64, Some(text.len() as u64 / 80)), 0);
        // A count that leaves too little room: resized once, from the share kept so far.
        assert_eq!(resizes_keeping_half(&text, text.len() as u64, Some(text.len() as u64 / 40)), 1);
        // A size hint 1000x too small: doublings, not one resize per window.
        assert!(resizes_keeping_half(&text, text.len() as u64 / 1000, None) <= 14);
    }
}
