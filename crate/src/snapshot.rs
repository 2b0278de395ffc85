//! The parsed snapshot: the text fields kept once, one compact row of numbers per object.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::OnceLock;

use memchr::{memchr, memrchr};
use rustc_hash::FxHashMap;

use crate::columns::{AddressOrder, Addresses, Halves, SmallNumbers, TypeRuns};
use crate::decode::{sniff, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::escape;
use crate::header::{ends_header, Header};
use crate::line_reader::{check_escapes, parse_dec, push_kept_fields, read_checked, read_fast, LineFields, Role};
use crate::structural::Structural;
use crate::text_blocks::TextBlocks;

/// `parent` of a root object, or of a snapshot without the column (`-` in the file).
pub const NO_PARENT: u64 = 0;

/// Lines parsed before their kept fields are copied: a block stays in the cache.
const BLOCK: usize = 64 << 10;

/// One heap snapshot, parsed.
///
/// Each object is a row of numbers (type, size, length, id, parent) and a record of its text
/// fields (contents, edge, site …), kept once in one string. Read through a window (gzip, a
/// reader), nothing else of the file is kept and a whole line is rebuilt when asked for;
/// given as plain bytes, the text is kept as it is and each line is its object's record.
/// Text fields are borrowed from the string on demand.
#[derive(Debug)]
pub struct Snapshot {
    name: String,
    /// The kept text fields of each object, tab-separated, each record ending in a newline
    /// (or, with `whole_lines`, the file's text).
    text: String,
    /// Whether `text` is the file's text, each record a whole line (the type field and the
    /// numbers left in it, and a `\r` before the newline if the file has one).
    whole_lines: bool,
    /// Bytes of text in the file (decompressed).
    text_bytes: u64,
    header: Header,
    roles: Vec<Role>,
    /// The roles of the kept fields, in record order.
    kept: Vec<Role>,
    types: Vec<Box<str>>,
    /// Each type's field as written in the file (escaped).
    type_fields: Vec<Box<str>>,
    /// Byte offset of each object's record; one extra entry marks the end of the last one.
    starts: Vec<u32>,
    type_ix: TypeRuns,
    size: SmallNumbers,
    len: SmallNumbers,
    id: Addresses,
    parent: Addresses,
    /// Whether the file's lines were in byte order (they are sorted on reading otherwise).
    was_sorted: bool,
    /// Object indexes ordered by id, and the ids in that order; built on first use.
    by_id: OnceLock<AddressOrder>,
}

impl Snapshot {
    /// Parses a snapshot from the bytes of a file (plain text or gzip).
    ///
    /// `name` is used in error messages and results; it is usually the file name.
    ///
    /// # Example
    /// ```
    /// let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n\
    ///             dict\t{}\t64\t0\t7f01\n#end\t1\n";
    /// let snap = heapsnap::Snapshot::parse("a.hsnap", text.as_bytes().to_vec()).unwrap();
    /// assert_eq!(snap.len(), 1);
    /// assert_eq!(snap.object(0).type_name(), "dict");
    /// ```
    pub fn parse(name: &str, bytes: Vec<u8>) -> Result<Snapshot> {
        Snapshot::parse_with(name, bytes, &ReadOptions::default())
    }

    /// Like [`Snapshot::parse`], with explicit limits.
    pub fn parse_with(name: &str, bytes: Vec<u8>, options: &ReadOptions) -> Result<Snapshot> {
        let blocks = TextBlocks::new(bytes, options).map_err(|e| e.in_source(name))?;
        Snapshot::read(name, blocks, options).map_err(|e| e.in_source(name))
    }

    /// Parses the snapshot that `reader` gives (a file, usually; `size`, its length when known,
    /// sizes the first allocations). Plain text is read a window at a time, and so is gzip
    /// (found by its magic bytes), inflated a window at a time: neither the file nor its whole
    /// text is ever in memory. Read errors are [`ErrorKind::Io`].
    ///
    /// # Example
    /// ```
    /// let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\nlist\t[1]\t64\t1\t7f01\n#end\t1\n";
    /// let snap = heapsnap::Snapshot::read_from("a.hsnap", text.as_bytes(), None, &Default::default())?;
    /// assert_eq!(snap.object(0).repr(), "[1]");
    /// # Ok::<(), heapsnap::Error>(())
    /// ```
    pub fn read_from(
        name: &str,
        reader: impl std::io::Read,
        size: Option<u64>,
        options: &ReadOptions,
    ) -> Result<Snapshot> {
        let io = |e: std::io::Error| Error::new(ErrorKind::Io(e)).in_source(name);
        let (gzip, whole) = sniff(reader).map_err(io)?;
        let whole = Box::new(whole);
        let blocks = if gzip {
            TextBlocks::from_gzip_reader(whole, size, options).map_err(|e| e.in_source(name))?
        } else {
            TextBlocks::from_reader(whole, size, options)
        };
        Snapshot::read(name, blocks, options).map_err(|e| e.in_source(name))
    }

    fn read(name: &str, mut blocks: TextBlocks<'_>, options: &ReadOptions) -> Result<Snapshot> {
        // The header: read once its lines and the line after them are available.
        let head_len = loop {
            if let Some(len) = header_extent(blocks.available()) {
                break len;
            }
            if !blocks.more()? {
                break blocks.available().len();
            }
        };
        let head = utf8(&blocks.available()[..head_len], 0)?;
        let (header, body) = Header::parse(head)?;
        let head_text = head[..body].to_owned();
        let header_lines = head_text.bytes().filter(|&b| b == b'\n').count() as u64;
        blocks.consume(body);
        let roles: Vec<Role> = header.columns.iter().map(|c| Role::of(c)).collect();
        if roles.first() != Some(&Role::Type) {
            return Err(Error::new(ErrorKind::MissingColumn("type")));
        }
        if roles.get(1) != Some(&Role::Repr) {
            return Err(Error::new(ErrorKind::MissingColumn("repr")));
        }
        for (role, name) in [(Role::Size, "size"), (Role::Len, "len"), (Role::Id, "id")] {
            if !roles.contains(&role) {
                return Err(Error::new(ErrorKind::MissingColumn(name)));
            }
        }
        // Never trust the header's count for a capacity beyond what the text can hold.
        let most = blocks.size_estimate() as u64 / 16;
        let objects = header.objects().map(|n| n.min(most));
        blocks.plan_kept(objects);
        let capacity = objects.unwrap_or(0) as usize;
        let mut snap = Snapshot::empty(name, header, roles, capacity, blocks.in_place());
        let sorted = snap.read_body(&mut blocks, header_lines)?;
        snap.text_bytes = blocks.total();
        // SAFETY: every block the kept fields were copied from was checked to be UTF-8, and
        // records are whole fields joined by ASCII separators.
        snap.text = unsafe { String::from_utf8_unchecked(blocks.into_kept()) };
        if sorted {
            return Ok(snap);
        }
        // The format requires byte order; a file that breaks it (edited, concatenated) is
        // sorted here so every later step can rely on it.
        // The lines are written one after the other into one string and their places sorted:
        // no allocation per line.
        let mut lines = String::with_capacity(snap.text_len());
        let mut places: Vec<Range<usize>> = Vec::with_capacity(snap.len());
        for o in snap.objects() {
            let start = lines.len();
            o.write_raw_line(&mut lines);
            places.push(start..lines.len());
        }
        drop(snap);
        let bytes = lines.as_bytes();
        places.sort_unstable_by(|a, b| bytes[a.clone()].cmp(&bytes[b.clone()]));
        let mut text = head_text;
        text.reserve(lines.len() + places.len() + 32);
        for place in &places {
            text.push_str(&lines[place.clone()]);
            text.push('\n');
        }
        let _ = writeln!(text, "#end\t{}", places.len());
        drop((lines, places));
        let mut snap = Snapshot::read(name, TextBlocks::new(text.into_bytes(), options)?, options)?;
        snap.was_sorted = false;
        Ok(snap)
    }

    fn empty(name: &str, header: Header, roles: Vec<Role>, capacity: usize, whole_lines: bool) -> Snapshot {
        // A record's fields: the text ones, or with whole lines all but the type.
        let kept =
            if whole_lines { roles[1..].to_vec() } else { roles.iter().copied().filter(|r| r.is_kept()).collect() };
        Snapshot {
            name: name.to_owned(),
            header,
            roles,
            kept,
            types: Vec::new(),
            type_fields: Vec::new(),
            starts: Vec::with_capacity(capacity + 1),
            type_ix: TypeRuns::default(),
            size: SmallNumbers::with_capacity(capacity),
            len: SmallNumbers::with_capacity(capacity),
            id: Addresses::with_capacity(capacity),
            parent: Addresses::with_capacity(capacity),
            was_sorted: true,
            by_id: OnceLock::new(),
            text: String::new(),
            whole_lines,
            text_bytes: 0,
        }
    }

    /// Reads the object lines, a block at a time, then the footer; keeps each line's text
    /// fields as its record. Returns whether the lines were in byte order.
    fn read_body(&mut self, blocks: &mut TextBlocks<'_>, header_lines: u64) -> Result<bool> {
        let mut types: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
        // The type of the line before, and its index: at first a field no line has (a tab
        // separates fields), as an empty type field is one a line may have.
        let mut last_type: (Vec<u8>, u32) = (b"\t".to_vec(), u32::MAX);
        let mut prev_line: Vec<u8> = Vec::new();
        let mut sorted = true;
        let mut line_no = header_lines;
        let roles = std::mem::take(&mut self.roles);
        let per_line = self.kept.len() * 2;
        let mut fields: Vec<u32> = Vec::new(); // start and end of each kept field, line by line
        let result = loop {
            let Some(block_len) = whole_lines(blocks.available(), BLOCK) else {
                match blocks.more() {
                    Ok(true) => continue,
                    Ok(false) => break Err(Error::new(ErrorKind::Truncated).at_line(line_no + 1)),
                    Err(e) => break Err(e),
                }
            };
            let (start, end) = (blocks.pos(), blocks.pos() + block_len);
            let data = &blocks.data()[..end];
            if let Err(e) = utf8(&data[start..], line_no) {
                break Err(e);
            }
            fields.clear();
            let mut pos = start;
            let mut footer = None;
            let mut cursor = Structural::new(data, pos);
            let mut previous = None::<Range<usize>>;
            let mut failed = None;
            while pos < end {
                line_no += 1;
                if data[pos] == b'#' {
                    let nl = memchr(b'\n', &data[pos..]).expect("whole lines");
                    let line = &data[pos..pos + nl];
                    footer = Some((line.strip_suffix(b"\r").unwrap_or(line).to_vec(), line_no, pos, pos + nl + 1));
                    break;
                }
                let mark = fields.len();
                let (read, line_end, next) = match read_fast(data, pos, &roles, &mut cursor, &mut fields) {
                    Some(read) => (read.fields, read.end, read.next),
                    None => {
                        fields.truncate(mark);
                        let nl = memchr(b'\n', &data[pos..]).expect("whole lines");
                        cursor.seek(pos + nl + 1);
                        let line = &data[pos..pos + nl];
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        match read_checked(line, &roles) {
                            Ok(read) => {
                                push_kept_fields(line, pos, &roles, &mut fields);
                                (read, pos + line.len(), pos + nl + 1)
                            }
                            Err(kind) => {
                                failed = Some(Error::new(kind).at_line(line_no));
                                break;
                            }
                        }
                    }
                };
                if let Err(kind) = self.push_object(&read, &mut types, &mut last_type) {
                    failed = Some(Error::new(kind).at_line(line_no));
                    break;
                }
                if self.whole_lines {
                    self.starts.push(pos as u32);
                }
                let line = &data[pos..line_end];
                let before: &[u8] = match &previous {
                    Some(range) => &data[range.clone()],
                    None => &prev_line,
                };
                if sorted && crate::byte_order::less(line, before) {
                    sorted = false;
                }
                previous = Some(pos..line_end);
                pos = next;
            }
            if let Some(e) = failed {
                break Err(e);
            }
            if let Some(range) = previous {
                prev_line.clear();
                prev_line.extend_from_slice(&data[range]);
            }
            if !self.whole_lines {
                // The kept fields, copied once the block is read.
                blocks.fit_kept(block_len);
                self.keep_records(blocks, &fields, per_line);
            }
            if let Some((line, footer_line, footer_start, after)) = footer {
                // The end of the last record: where the footer starts in the text kept.
                self.starts.push(if self.whole_lines { footer_start } else { blocks.kept_len() } as u32);
                blocks.consume(after - start);
                break self.read_footer(&line, footer_line).and_then(|()| rest_is_blank(blocks, footer_line + 1));
            }
            blocks.consume(block_len);
        };
        self.roles = roles;
        self.type_ix.shrink_to_fit();
        self.size.shrink_to_fit();
        self.len.shrink_to_fit();
        self.id.shrink_to_fit();
        self.parent.shrink_to_fit();
        self.starts.shrink_to_fit();
        result.map(|()| sorted)
    }

    /// Copies the kept fields of a block's lines (`fields`: start and end of each, `per_line`
    /// numbers a line) to the kept text, one record a line, and notes where each starts.
    /// Runs of adjacent fields are copied at once, each with the byte after it: a tab between
    /// fields, and at the end of the record one made a newline.
    fn keep_records(&mut self, blocks: &mut TextBlocks<'_>, fields: &[u32], per_line: usize) {
        for line in fields.chunks_exact(per_line) {
            self.starts.push(blocks.kept_len() as u32);
            let (mut from, mut to) = (line[0] as usize, line[1] as usize);
            for field in line[2..].chunks_exact(2) {
                if field[0] as usize != to + 1 {
                    blocks.keep(from, to + 1);
                    from = field[0] as usize;
                }
                to = field[1] as usize;
            }
            blocks.keep(from, to + 1);
            blocks.end_record();
        }
    }

    /// Appends one object's numbers, interning its type.
    #[inline]
    fn push_object(
        &mut self,
        fields: &LineFields<'_>,
        types: &mut FxHashMap<Box<[u8]>, u32>,
        last_type: &mut (Vec<u8>, u32),
    ) -> Result<(), ErrorKind> {
        let field = fields.type_name;
        let ix = if field == last_type.0.as_slice() {
            last_type.1
        } else {
            let ix = match types.get(field) {
                Some(&ix) => ix,
                None => {
                    if fields.type_escaped {
                        check_escapes(field)?;
                    }
                    let ix = types.len() as u32;
                    types.insert(field.into(), ix);
                    let written = std::str::from_utf8(field).expect("validated utf-8");
                    self.types.push(escape::unescape(written).into_owned().into_boxed_str());
                    self.type_fields.push(written.into());
                    ix
                }
            };
            last_type.0.clear();
            last_type.0.extend_from_slice(field);
            last_type.1 = ix;
            ix
        };
        self.type_ix.push(ix);
        self.size.push(Some(fields.size));
        self.len.push(fields.len);
        self.id.push(fields.id);
        self.parent.push(fields.parent);
        Ok(())
    }

    fn read_footer(&mut self, line: &[u8], line_no: u64) -> Result<()> {
        let at = |kind: ErrorKind| Error::new(kind).at_line(line_no);
        let count = line
            .strip_prefix(b"#end\t")
            .ok_or_else(|| at(ErrorKind::BadHeader("a '#' line among the objects".into())))?;
        let footer = parse_dec(count).ok_or_else(|| at(ErrorKind::BadNumber { column: "#end" }))?;
        let found = self.starts.len() as u64 - 1;
        if footer != found {
            return Err(at(ErrorKind::CountMismatch { footer, found }));
        }
        Ok(())
    }

    /// The name given at parse time (usually the file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header lines.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Whether the snapshot holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the file's object lines were in byte order, as the format requires. When they
    /// were not, they have been sorted on reading.
    pub fn was_sorted(&self) -> bool {
        self.was_sorted
    }

    /// Whether the snapshot has the `parent`/`edge` columns that holder paths need.
    pub fn has_paths(&self) -> bool {
        self.roles.contains(&Role::Parent) && self.roles.contains(&Role::Edge)
    }

    /// Whether the snapshot has the `refs` column (captured with edges).
    pub fn has_refs(&self) -> bool {
        self.roles.contains(&Role::Refs)
    }

    /// The `refs` field of object `index` as written (space-separated hex ids, or `-`);
    /// empty without the column.
    pub fn raw_refs(&self, index: usize) -> &str {
        if self.kept.last() == Some(&Role::Refs) {
            // The usual place: the last field, found from the end of the record.
            let record = self.record(index);
            return memchr::memrchr(b'\t', record.as_bytes()).map_or(record, |tab| &record[tab + 1..]);
        }
        self.field(index, Role::Refs).unwrap_or("")
    }

    /// Size in bytes of the decompressed text.
    pub fn text_len(&self) -> usize {
        self.text_bytes as usize
    }

    /// Distinct type names, indexed by [`ObjectRef::type_index`].
    pub fn type_names(&self) -> &[Box<str>] {
        &self.types
    }

    /// The object at `index` (`0..len()`), in file order.
    pub fn object(&self, index: usize) -> ObjectRef<'_> {
        assert!(index < self.len(), "object index {index} out of range");
        ObjectRef { snap: self, index }
    }

    /// All objects in file order.
    pub fn objects(&self) -> impl ExactSizeIterator<Item = ObjectRef<'_>> + '_ {
        (0..self.len()).map(move |index| ObjectRef { snap: self, index })
    }

    /// `(type index, object indexes)` for each run of consecutive objects of one type, in
    /// file order. Lines are sorted by type, so each type has one run.
    pub fn type_runs(&self) -> impl Iterator<Item = (u32, Range<usize>)> + '_ {
        self.type_ix.runs()
    }

    /// The indexes of the objects of type `name` (one run: lines are sorted by type); empty
    /// when there are none.
    pub fn objects_of_type(&self, name: &str) -> Range<usize> {
        self.type_runs().find(|(t, _)| &*self.types[*t as usize] == name).map_or(0..0, |(_, run)| run)
    }

    /// Type index of object `index`, fast when called with ascending indexes and the same
    /// `hint` (start it at 0).
    pub fn type_index_near(&self, index: usize, hint: &mut usize) -> u32 {
        self.type_ix.get_near(index, hint)
    }

    /// Shallow size of object `index`.
    pub fn size(&self, index: usize) -> u64 {
        self.size.get(index).unwrap_or(0)
    }

    /// Total shallow size of the objects in `range`.
    pub fn size_sum(&self, range: Range<usize>) -> u64 {
        self.size.sum(range)
    }

    /// Id of object `index`.
    pub fn id(&self, index: usize) -> u64 {
        self.id.get(index)
    }

    /// Object indexes ordered by id (ids are unique in a well-formed snapshot; ties by index).
    pub fn by_id(&self) -> &[u32] {
        &self.id_order().order
    }

    /// The ids in ascending order: the `k`th is the id of object `by_id()[k]`.
    pub fn sorted_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.id_order().sorted.iter()
    }

    /// The ids in ascending order as low halves, with the runs of one high half.
    pub(crate) fn sorted_id_halves(&self) -> Halves<'_> {
        self.id_order().sorted.halves()
    }

    fn id_order(&self) -> &AddressOrder {
        self.by_id.get_or_init(|| self.id.order())
    }

    /// Index of the object with `id`, if present.
    pub fn index_of(&self, id: u64) -> Option<usize> {
        self.id_order().sorted.position(id).map(|at| self.by_id()[at] as usize)
    }

    /// Index of the object's parent, when the parent is in the snapshot.
    pub fn parent_index(&self, index: usize) -> Option<usize> {
        match self.parent.get(index) {
            NO_PARENT => None,
            id => self.index_of(id),
        }
    }

    /// Heap bytes this model uses, kept text included.
    pub fn memory_bytes(&self) -> usize {
        self.text.capacity()
            + self.starts.capacity() * 4
            + self.type_ix.heap_bytes()
            + self.size.heap_bytes()
            + self.len.heap_bytes()
            + self.id.heap_bytes()
            + self.parent.heap_bytes()
            + self.types.iter().chain(&self.type_fields).map(|t| t.len() + 16).sum::<usize>()
            + self.by_id.get().map_or(0, AddressOrder::heap_bytes)
    }

    /// The kept text fields of object `index`, tab-separated (without its line end).
    fn record(&self, index: usize) -> &str {
        let record = self.span(index);
        if self.whole_lines {
            // The fields after the type (whose field holds no tab: tabs are escaped).
            return &record[memchr(b'\t', record.as_bytes()).map_or(record.len(), |tab| tab + 1)..];
        }
        record
    }

    /// Object `index`'s record, or with whole lines its line, without the line end.
    fn span(&self, index: usize) -> &str {
        let start = self.starts[index] as usize;
        let end = self.starts[index + 1] as usize - 1;
        let span = &self.text[start..end];
        if self.whole_lines {
            span.strip_suffix('\r').unwrap_or(span)
        } else {
            span
        }
    }

    fn field(&self, index: usize, role: Role) -> Option<&str> {
        let col = self.kept.iter().position(|&r| r == role)?;
        let line = self.record(index);
        let bytes = line.as_bytes();
        let from_end = self.kept.len() - 1 - col;
        let short = |r: &Role| matches!(r, Role::Edge | Role::Site | Role::Size | Role::Len | Role::Id | Role::Parent);
        if from_end < col && self.kept[col + 1..].iter().all(short) {
            // A field after the contents, followed by short ones only (edge, site): found from
            // the end of the record, past those instead of the contents.
            let mut end = bytes.len();
            for _ in 0..from_end {
                end = memrchr(b'\t', &bytes[..end])?;
            }
            let start = memrchr(b'\t', &bytes[..end]).map_or(0, |i| i + 1);
            return Some(&line[start..end]);
        }
        let mut start = 0;
        for _ in 0..col {
            start += memchr(b'\t', &bytes[start..])? + 1;
        }
        let end = memchr(b'\t', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        Some(&line[start..end])
    }
}

/// One object of a [`Snapshot`].
#[derive(Clone, Copy, Debug)]
pub struct ObjectRef<'a> {
    snap: &'a Snapshot,
    index: usize,
}

impl<'a> ObjectRef<'a> {
    /// Position in the snapshot, in file order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Index into [`Snapshot::type_names`].
    pub fn type_index(&self) -> u32 {
        self.snap.type_ix.get(self.index)
    }

    /// Module-qualified type name (`builtins.` dropped).
    pub fn type_name(&self) -> &'a str {
        &self.snap.types[self.type_index() as usize]
    }

    /// Bounded contents as written in the file (escaped).
    pub fn raw_repr(&self) -> &'a str {
        // `repr` is always the second column, the first kept: up to the record's first tab.
        let record = self.snap.record(self.index);
        &record[..memchr(b'\t', record.as_bytes()).unwrap_or(record.len())]
    }

    /// Whether `other` has the same contents (`raw_repr`), found in one pass over both records.
    pub(crate) fn same_repr(&self, other: &ObjectRef<'_>) -> bool {
        let (a, b) = (self.snap.record(self.index).as_bytes(), other.snap.record(other.index).as_bytes());
        crate::byte_order::equal_field(a, b).is_some()
    }

    /// Bounded contents, unescaped for display.
    pub fn repr(&self) -> Cow<'a, str> {
        escape::unescape(self.raw_repr())
    }

    /// Shallow size in bytes.
    pub fn size(&self) -> u64 {
        self.snap.size(self.index)
    }

    /// Length for containers, str and bytes.
    pub fn length(&self) -> Option<u64> {
        self.snap.len.get(self.index)
    }

    /// The object's id (its address in CPython).
    pub fn id(&self) -> u64 {
        self.snap.id.get(self.index)
    }

    /// Id of the object this one was first reached from, when known.
    pub fn parent(&self) -> Option<u64> {
        Some(self.snap.parent.get(self.index)).filter(|&p| p != NO_PARENT)
    }

    /// The edge label from the parent (`['key']`, `.attr`, `[3]` …), unescaped.
    pub fn edge(&self) -> Option<Cow<'a, str>> {
        self.snap.field(self.index, Role::Edge).filter(|e| *e != "-").map(escape::unescape)
    }

    /// The edge label as written in the file (escaped), when known.
    pub fn raw_edge(&self) -> Option<&'a str> {
        self.snap.field(self.index, Role::Edge).filter(|e| *e != "-")
    }

    /// Allocation site (`file:line`), when the capture ran under tracemalloc.
    pub fn site(&self) -> Option<Cow<'a, str>> {
        self.snap.field(self.index, Role::Site).filter(|e| *e != "-").map(escape::unescape)
    }

    /// The whole line as written in the file (without its line end), rebuilt from the kept
    /// fields and the numbers when the file was read through a window. The format gives each
    /// number one spelling (decimal sizes and lengths, lowercase hex ids, no leading zeros,
    /// `-` for none), so the rebuilt line is the file's.
    pub fn raw_line(&self) -> String {
        let mut line = String::new();
        self.write_raw_line(&mut line);
        line
    }

    /// Appends [`ObjectRef::raw_line`] to `line`.
    pub(crate) fn write_raw_line(&self, line: &mut String) {
        let snap = self.snap;
        if snap.whole_lines {
            line.push_str(snap.span(self.index));
            return;
        }
        let record = snap.record(self.index);
        let mut kept = record.split('\t');
        for (col, role) in snap.roles.iter().enumerate() {
            if col > 0 {
                line.push('\t');
            }
            let _ = match role {
                Role::Type => write!(line, "{}", snap.type_fields[self.type_index() as usize]),
                Role::Size => write!(line, "{}", self.size()),
                Role::Len => match self.length() {
                    Some(n) => write!(line, "{n}"),
                    None => write!(line, "-"),
                },
                Role::Id => write!(line, "{:x}", self.id()),
                Role::Parent => match self.parent() {
                    Some(p) => write!(line, "{p:x}"),
                    None => write!(line, "-"),
                },
                _ => write!(line, "{}", kept.next().unwrap_or("")),
            };
        }
    }
}

/// `bytes` (whole lines, the first of them line `line_no + 1`) as text, checked with SIMD (the
/// standard check goes a word at a time, and a word is four bytes in WebAssembly); an error
/// names the line of the first bad byte.
fn utf8(bytes: &[u8], line_no: u64) -> Result<&str> {
    if simdutf8::basic::from_utf8(bytes).is_ok() {
        // SAFETY: just checked to be UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    let at = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    let line = line_no + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + 1;
    Err(Error::new(ErrorKind::NotUtf8).at_line(line))
}

/// How many bytes of `data` hold the header lines and the line after them, once that line
/// is whole; `None` until then.
fn header_extent(data: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(nl) = memchr(b'\n', &data[at..]) {
        let line = &data[at..at + nl];
        let first = at == 0;
        at += nl + 1;
        if !first && ends_header(line) {
            return Some(at);
        }
    }
    None
}

/// The length of the whole lines at the start of `data`, about `most` bytes of them (more
/// when the first line is longer); `None` when no line is whole.
fn whole_lines(data: &[u8], most: usize) -> Option<usize> {
    let head = &data[..data.len().min(most)];
    match memrchr(b'\n', head) {
        Some(nl) => Some(nl + 1),
        None => memchr(b'\n', &data[head.len()..]).map(|nl| head.len() + nl + 1),
    }
}

/// Reads the rest of the text (for gzip, every member to its checksum): blank, or an error
/// at line `line_no`, the one after the footer.
fn rest_is_blank(blocks: &mut TextBlocks<'_>, line_no: u64) -> Result<()> {
    loop {
        if blocks.available().iter().any(|b| !b.is_ascii_whitespace()) {
            return Err(Error::new(ErrorKind::BadHeader("text after the '#end' footer".into())).at_line(line_no));
        }
        let n = blocks.available().len();
        blocks.consume(n);
        if !blocks.more()? {
            return Ok(());
        }
    }
}
