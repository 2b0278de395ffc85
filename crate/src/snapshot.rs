//! The parsed snapshot: the text kept once, one compact row of numbers per object.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use memchr::{memchr, memrchr};
use rustc_hash::FxHashMap;

use crate::columns::{AddressOrder, Addresses, Halves, SmallNumbers, TypeRuns};
use crate::decode::{decompress, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::escape;
use crate::header::Header;
use crate::line_reader::{check_escapes, parse_dec, read_checked, read_fast, LineFields, Role};
use crate::structural::Structural;

/// `parent` of a root object, or of a snapshot without the column (`-` in the file).
pub const NO_PARENT: u64 = 0;

/// One heap snapshot, parsed.
///
/// The decompressed text is kept once; each object is a row of numbers pointing into it.
/// Text fields (contents, edge, site) are borrowed from the text on demand.
#[derive(Debug)]
pub struct Snapshot {
    name: String,
    text: String,
    header: Header,
    roles: Vec<Role>,
    types: Vec<Box<str>>,
    /// Byte offset of each object's line; one extra entry marks the end of the last line.
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
        let text = decompress(bytes, options).map_err(|e| e.in_source(name))?;
        let text = utf8_text(text).map_err(|e| e.in_source(name))?;
        Snapshot::from_text(name, text).map_err(|e| e.in_source(name))
    }

    fn from_text(name: &str, text: String) -> Result<Snapshot> {
        let (header, body) = Header::parse(&text)?;
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
        let header_lines = text[..body].bytes().filter(|&b| b == b'\n').count() as u64;
        let mut snap = Snapshot::empty(name, header, roles, &text);
        let sorted = snap.read_body(text.as_bytes(), body, header_lines)?;
        if sorted {
            snap.text = text;
            return Ok(snap);
        }
        // The format requires byte order; a file that breaks it (edited, concatenated) is
        // sorted here so every later step can rely on it.
        let sorted_text = sort_body(&text, body, &snap.starts);
        let (header, roles) = (std::mem::take(&mut snap.header), std::mem::take(&mut snap.roles));
        drop(snap);
        drop(text);
        let mut snap = Snapshot::empty(name, header, roles, &sorted_text);
        snap.read_body(sorted_text.as_bytes(), body, header_lines)?;
        snap.text = sorted_text;
        snap.was_sorted = false;
        Ok(snap)
    }

    fn empty(name: &str, header: Header, roles: Vec<Role>, text: &str) -> Snapshot {
        // Never trust the header's count for a capacity beyond what the text can hold.
        let capacity = header.objects().unwrap_or(0).min((text.len() / 16) as u64) as usize;
        Snapshot {
            name: name.to_owned(),
            header,
            roles,
            types: Vec::new(),
            starts: Vec::with_capacity(capacity + 1),
            type_ix: TypeRuns::default(),
            size: SmallNumbers::with_capacity(capacity),
            len: SmallNumbers::with_capacity(capacity),
            id: Addresses::with_capacity(capacity),
            parent: Addresses::with_capacity(capacity),
            was_sorted: true,
            by_id: OnceLock::new(),
            text: String::new(),
        }
    }

    /// Reads the object lines from `body` on, then the footer; returns whether the lines were
    /// in byte order.
    fn read_body(&mut self, data: &[u8], body: usize, header_lines: u64) -> Result<bool> {
        let mut types: FxHashMap<&[u8], u32> = FxHashMap::default();
        let mut last_type: (&[u8], u32) = (&[], u32::MAX);
        let mut prev_line: &[u8] = &[];
        let mut sorted = true;
        let mut pos = body;
        let mut line_no = header_lines;
        let roles = std::mem::take(&mut self.roles);
        let mut cursor = Structural::new(data, pos);
        let result = loop {
            line_no += 1;
            let at = |kind: ErrorKind| Error::new(kind).at_line(line_no);
            if pos >= data.len() {
                break Err(at(ErrorKind::Truncated));
            }
            if data[pos] == b'#' {
                let Some(nl) = memchr(b'\n', &data[pos..]) else {
                    break Err(at(ErrorKind::Truncated));
                };
                let line = &data[pos..pos + nl];
                self.starts.push(pos as u32);
                break self.read_footer(line.strip_suffix(b"\r").unwrap_or(line), line_no, &data[pos + nl + 1..]);
            }
            let (fields, end, next) = match read_fast(data, pos, &roles, &mut cursor) {
                Some(read) => (read.fields, read.end, read.next),
                None => {
                    let Some(nl) = memchr(b'\n', &data[pos..]) else {
                        break Err(at(ErrorKind::Truncated));
                    };
                    cursor.seek(pos + nl + 1);
                    let line = &data[pos..pos + nl];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    match read_checked(line, &roles) {
                        Ok(fields) => (fields, pos + line.len(), pos + nl + 1),
                        Err(kind) => break Err(at(kind)),
                    }
                }
            };
            if let Err(kind) = self.push_object(&fields, &mut types, &mut last_type) {
                break Err(at(kind));
            }
            self.starts.push(pos as u32);
            let line = &data[pos..end];
            if sorted && crate::byte_order::less(line, prev_line) {
                sorted = false;
            }
            prev_line = line;
            pos = next;
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

    /// Appends one object's numbers, interning its type.
    #[inline]
    fn push_object<'d>(
        &mut self,
        fields: &LineFields<'d>,
        types: &mut FxHashMap<&'d [u8], u32>,
        last_type: &mut (&'d [u8], u32),
    ) -> Result<(), ErrorKind> {
        let field = fields.type_name;
        let ix = if field == last_type.0 {
            last_type.1
        } else {
            let next_ix = types.len() as u32;
            let ix = *types.entry(field).or_insert(next_ix);
            if ix == next_ix {
                if fields.type_escaped {
                    check_escapes(field)?;
                }
                let name = escape::unescape(std::str::from_utf8(field).expect("validated utf-8"));
                self.types.push(name.into_owned().into_boxed_str());
            }
            *last_type = (field, ix);
            ix
        };
        self.type_ix.push(ix);
        self.size.push(Some(fields.size));
        self.len.push(fields.len);
        self.id.push(fields.id);
        self.parent.push(fields.parent);
        Ok(())
    }

    fn read_footer(&mut self, line: &[u8], line_no: u64, rest: &[u8]) -> Result<()> {
        let at = |kind: ErrorKind| Error::new(kind).at_line(line_no);
        let count = line
            .strip_prefix(b"#end\t")
            .ok_or_else(|| at(ErrorKind::BadHeader("a '#' line among the objects".into())))?;
        let footer = parse_dec(count).ok_or_else(|| at(ErrorKind::BadNumber { column: "#end" }))?;
        let found = self.starts.len() as u64 - 1;
        if footer != found {
            return Err(at(ErrorKind::CountMismatch { footer, found }));
        }
        if rest.iter().any(|b| !b.is_ascii_whitespace()) {
            return Err(Error::new(ErrorKind::BadHeader("text after the '#end' footer".into())).at_line(line_no + 1));
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
        if self.roles.last() == Some(&Role::Refs) {
            // The usual place: the last column, found from the end of the line.
            let line = self.line(index);
            return memchr::memrchr(b'\t', line.as_bytes()).map_or(line, |tab| &line[tab + 1..]);
        }
        self.field(index, Role::Refs).unwrap_or("")
    }

    /// Size in bytes of the decompressed text.
    pub fn text_len(&self) -> usize {
        self.text.len()
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

    /// Heap bytes this model uses, text included.
    pub fn memory_bytes(&self) -> usize {
        self.text.capacity()
            + self.starts.capacity() * 4
            + self.type_ix.heap_bytes()
            + self.size.heap_bytes()
            + self.len.heap_bytes()
            + self.id.heap_bytes()
            + self.parent.heap_bytes()
            + self.types.iter().map(|t| t.len() + 16).sum::<usize>()
            + self.by_id.get().map_or(0, AddressOrder::heap_bytes)
    }

    fn line(&self, index: usize) -> &str {
        let start = self.starts[index] as usize;
        let end = self.starts[index + 1] as usize - 1;
        self.text[start..end].trim_end_matches('\r')
    }

    fn field(&self, index: usize, role: Role) -> Option<&str> {
        let col = self.roles.iter().position(|&r| r == role)?;
        let line = self.line(index);
        let bytes = line.as_bytes();
        let from_end = self.roles.len() - 1 - col;
        let short = |r: &Role| matches!(r, Role::Edge | Role::Site | Role::Size | Role::Len | Role::Id | Role::Parent);
        if from_end < col && self.roles[col + 1..].iter().all(short) {
            // A column after the contents, followed by short ones only (edge, site): found from
            // the end of the line, past those instead of the contents.
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
        // `repr` is always the second column: between the first two tabs.
        let line = self.snap.line(self.index);
        let bytes = line.as_bytes();
        let Some(start) = memchr(b'\t', bytes).map(|i| i + 1) else {
            return "";
        };
        let end = memchr(b'\t', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        &line[start..end]
    }

    /// Whether `other` has the same contents (`raw_repr`), found in one pass over both lines.
    pub(crate) fn same_repr(&self, other: &ObjectRef<'_>) -> bool {
        let (a, b) = (self.snap.line(self.index).as_bytes(), other.snap.line(other.index).as_bytes());
        match crate::byte_order::equal_field(a, b) {
            // The same type text: the contents start at the same place in both.
            Some(t) if t < a.len() && t < b.len() => crate::byte_order::equal_field(&a[t + 1..], &b[t + 1..]).is_some(),
            _ => self.raw_repr() == other.raw_repr(),
        }
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

    /// The whole line as written in the file.
    pub fn raw_line(&self) -> &'a str {
        self.snap.line(self.index)
    }
}

/// `bytes` as a `String`, checked with SIMD (the standard check goes a word at a time, and a
/// word is four bytes in WebAssembly); an error names the line of the first bad byte.
fn utf8_text(bytes: Vec<u8>) -> Result<String> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: just checked to be UTF-8.
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    let at = std::str::from_utf8(&bytes).map_or_else(|e| e.valid_up_to(), |_| bytes.len());
    let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + 1;
    Err(Error::new(ErrorKind::NotUtf8).at_line(line))
}

/// The text with the object lines from `body` on put in byte order (the footer stays last).
fn sort_body(text: &str, body: usize, starts: &[u32]) -> String {
    let footer = *starts.last().expect("footer start") as usize;
    let mut lines: Vec<&str> = (0..starts.len() - 1)
        .map(|i| text[starts[i] as usize..starts[i + 1] as usize].trim_end_matches('\n').trim_end_matches('\r'))
        .collect();
    lines.sort_unstable();
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..body]);
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&text[footer..]);
    out
}
