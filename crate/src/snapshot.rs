//! The parsed snapshot: the text kept once, one compact row of numbers per object.

use std::borrow::Cow;
use std::sync::OnceLock;

use memchr::memchr;
use rustc_hash::FxHashMap;

use crate::decode::{decompress, ReadOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::escape;
use crate::header::Header;

/// `len` of an object that has none (`-` in the file).
pub const NO_LEN: u64 = u64::MAX;
/// `parent` of a root object, or of a snapshot without the column (`-` in the file).
pub const NO_PARENT: u64 = 0;

/// What the reader does with each declared column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Type,
    Repr,
    Size,
    Len,
    Id,
    Parent,
    Edge,
    Site,
    Ignored,
}

impl Role {
    fn of(name: &str) -> Role {
        match name {
            "type" => Role::Type,
            "repr" => Role::Repr,
            "size" => Role::Size,
            "len" => Role::Len,
            "id" => Role::Id,
            "parent" => Role::Parent,
            "edge" => Role::Edge,
            "site" => Role::Site,
            _ => Role::Ignored,
        }
    }
}

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
    type_ix: Vec<u32>,
    size: Vec<u64>,
    len: Vec<u64>,
    id: Vec<u64>,
    parent: Vec<u64>,
    sorted: bool,
    /// `(id, index)` of every object, by id; built on first use.
    by_id: OnceLock<Vec<(u64, u32)>>,
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
        let text = String::from_utf8(text).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let line = memchr::memchr_iter(b'\n', &e.as_bytes()[..at]).count() as u64 + 1;
            Error::new(ErrorKind::NotUtf8).at_line(line).in_source(name)
        })?;
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
        let capacity = header.objects().unwrap_or(0).min((text.len() / 16) as u64) as usize;
        let mut snap = Snapshot {
            name: name.to_owned(),
            header,
            roles,
            types: Vec::new(),
            starts: Vec::with_capacity(capacity + 1),
            type_ix: Vec::with_capacity(capacity),
            size: Vec::with_capacity(capacity),
            len: Vec::with_capacity(capacity),
            id: Vec::with_capacity(capacity),
            parent: Vec::with_capacity(capacity),
            sorted: true,
            by_id: OnceLock::new(),
            text: String::new(),
        };
        snap.read_body(text.as_bytes(), body, header_lines)?;
        snap.text = text;
        Ok(snap)
    }

    /// Reads the object lines from `body` on, then the footer.
    ///
    /// One SIMD scan finds every tab, newline and backslash of the body; fields are cut
    /// from those positions, so there is no per-field search.
    fn read_body(&mut self, data: &[u8], body: usize, header_lines: u64) -> Result<()> {
        let mut types: FxHashMap<&[u8], u32> = FxHashMap::default();
        let mut last_type: (&[u8], u32) = (&[], u32::MAX);
        let mut prev_line: &[u8] = &[];
        let mut events = memchr::memchr3_iter(b'\t', b'\n', b'\\', &data[body..]).map(|i| i + body);
        let mut pos = body;
        let mut line_no = header_lines;
        loop {
            line_no += 1;
            if pos >= data.len() {
                return Err(Error::new(ErrorKind::Truncated).at_line(line_no));
            }
            if data[pos] == b'#' {
                let Some(nl) = memchr(b'\n', &data[pos..]) else {
                    return Err(Error::new(ErrorKind::Truncated).at_line(line_no));
                };
                let line = &data[pos..pos + nl];
                self.starts.push(pos as u32);
                return self.read_footer(line.strip_suffix(b"\r").unwrap_or(line), line_no, &data[pos + nl + 1..]);
            }
            let at = |kind: ErrorKind| Error::new(kind).at_line(line_no);
            self.starts.push(pos as u32);
            let mut fields = LineFields::default();
            let mut has_escapes = false;
            let mut col = 0;
            let mut field_start = pos;
            let newline = loop {
                let Some(e) = events.next() else {
                    return Err(at(ErrorKind::Truncated));
                };
                match data[e] {
                    b'\\' => has_escapes = true,
                    b'\t' => {
                        self.read_field(col, &data[field_start..e], &mut fields, &mut types, &mut last_type).map_err(at)?;
                        col += 1;
                        field_start = e + 1;
                    }
                    _ => break e,
                }
            };
            let line_end = if newline > pos && data[newline - 1] == b'\r' { newline - 1 } else { newline };
            self.read_field(col, &data[field_start.min(line_end)..line_end], &mut fields, &mut types, &mut last_type)
                .map_err(at)?;
            col += 1;
            if col != self.roles.len() {
                return Err(at(ErrorKind::ColumnCount { expected: self.roles.len(), found: col }));
            }
            let line = &data[pos..line_end];
            if has_escapes {
                for (role, field) in self.roles.iter().zip(line.split(|&b| b == b'\t')) {
                    if matches!(role, Role::Repr | Role::Edge | Role::Site) {
                        check_escapes(field).map_err(at)?;
                    }
                }
            }
            if self.sorted && line < prev_line {
                self.sorted = false;
            }
            prev_line = line;
            self.size.push(fields.size.expect("size column checked"));
            self.len.push(fields.len);
            self.id.push(fields.id.expect("id column checked"));
            self.parent.push(fields.parent);
            pos = newline + 1;
        }
    }

    /// Reads field `col` of an object line into `fields` (and the type table).
    fn read_field<'d>(
        &mut self,
        col: usize,
        field: &'d [u8],
        fields: &mut LineFields,
        types: &mut FxHashMap<&'d [u8], u32>,
        last_type: &mut (&'d [u8], u32),
    ) -> Result<(), ErrorKind> {
        match self.roles.get(col) {
            Some(Role::Type) => {
                let ix = if field == last_type.0 {
                    last_type.1
                } else {
                    let next_ix = types.len() as u32;
                    let ix = *types.entry(field).or_insert(next_ix);
                    if ix == next_ix {
                        check_escapes(field)?;
                        let name = escape::unescape(std::str::from_utf8(field).expect("validated utf-8"));
                        self.types.push(name.into_owned().into_boxed_str());
                    }
                    *last_type = (field, ix);
                    ix
                };
                self.type_ix.push(ix);
            }
            Some(Role::Size) => fields.size = Some(parse_dec(field).ok_or(ErrorKind::BadNumber { column: "size" })?),
            Some(Role::Len) if field != b"-" => {
                fields.len = parse_dec(field).ok_or(ErrorKind::BadNumber { column: "len" })?;
            }
            Some(Role::Id) => fields.id = Some(parse_hex(field).ok_or(ErrorKind::BadNumber { column: "id" })?),
            Some(Role::Parent) if field != b"-" => {
                fields.parent = parse_hex(field).ok_or(ErrorKind::BadNumber { column: "parent" })?;
            }
            _ => {}
        }
        Ok(())
    }

    fn read_footer(&mut self, line: &[u8], line_no: u64, rest: &[u8]) -> Result<()> {
        let at = |kind: ErrorKind| Error::new(kind).at_line(line_no);
        let count = line.strip_prefix(b"#end\t").ok_or_else(|| at(ErrorKind::BadHeader("a '#' line among the objects".into())))?;
        let footer = parse_dec(count).ok_or_else(|| at(ErrorKind::BadNumber { column: "#end" }))?;
        let found = self.id.len() as u64;
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
        self.id.is_empty()
    }

    /// Whether the object lines were in byte order, as the format requires.
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Whether the snapshot has the `parent`/`edge` columns that holder paths need.
    pub fn has_paths(&self) -> bool {
        self.roles.contains(&Role::Parent) && self.roles.contains(&Role::Edge)
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

    /// Type index of every object, in file order.
    pub fn type_indexes(&self) -> &[u32] {
        &self.type_ix
    }

    /// Shallow size of every object, in file order.
    pub fn sizes(&self) -> &[u64] {
        &self.size
    }

    /// Id of every object, in file order.
    pub fn ids(&self) -> &[u64] {
        &self.id
    }

    /// `(id, index)` of every object, sorted by id (then index).
    pub fn sorted_ids(&self) -> &[(u64, u32)] {
        self.by_id.get_or_init(|| {
            let mut v: Vec<(u64, u32)> = self.id.iter().enumerate().map(|(i, &id)| (id, i as u32)).collect();
            v.sort_unstable();
            v
        })
    }

    /// Index of the object with `id`, if present.
    pub fn index_of(&self, id: u64) -> Option<usize> {
        let ids = self.sorted_ids();
        let at = ids.partition_point(|&(x, _)| x < id);
        ids.get(at).filter(|&&(x, _)| x == id).map(|&(_, i)| i as usize)
    }

    /// Index of the object's parent, when the parent is in the snapshot.
    pub fn parent_index(&self, index: usize) -> Option<usize> {
        match self.parent[index] {
            NO_PARENT => None,
            id => self.index_of(id),
        }
    }

    /// Approximate heap bytes this model uses, text included.
    pub fn memory_bytes(&self) -> usize {
        self.text.capacity()
            + self.starts.capacity() * 4
            + self.type_ix.capacity() * 4
            + (self.size.capacity() + self.len.capacity() + self.id.capacity() + self.parent.capacity()) * 8
            + self.types.iter().map(|t| t.len() + 16).sum::<usize>()
            + self.by_id.get().map_or(0, |v| v.capacity() * 16)
    }

    fn line(&self, index: usize) -> &str {
        let start = self.starts[index] as usize;
        let end = self.starts[index + 1] as usize - 1;
        self.text[start..end].trim_end_matches('\r')
    }

    fn field(&self, index: usize, role: Role) -> Option<&str> {
        let col = self.roles.iter().position(|&r| r == role)?;
        self.line(index).split('\t').nth(col)
    }
}

/// The numeric fields of one object line, as read so far.
struct LineFields {
    size: Option<u64>,
    len: u64,
    id: Option<u64>,
    parent: u64,
}

impl Default for LineFields {
    fn default() -> LineFields {
        LineFields { size: None, len: NO_LEN, id: None, parent: NO_PARENT }
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
        self.snap.type_ix[self.index]
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
        let Some(start) = memchr(b'\t', bytes).map(|i| i + 1) else { return "" };
        let end = memchr(b'\t', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        &line[start..end]
    }

    /// Bounded contents, unescaped for display.
    pub fn repr(&self) -> Cow<'a, str> {
        escape::unescape(self.raw_repr())
    }

    /// Shallow size in bytes.
    pub fn size(&self) -> u64 {
        self.snap.size[self.index]
    }

    /// Length for containers, str and bytes.
    pub fn length(&self) -> Option<u64> {
        Some(self.snap.len[self.index]).filter(|&l| l != NO_LEN)
    }

    /// The object's id (its address in CPython).
    pub fn id(&self) -> u64 {
        self.snap.id[self.index]
    }

    /// Id of the object this one was first reached from, when known.
    pub fn parent(&self) -> Option<u64> {
        Some(self.snap.parent[self.index]).filter(|&p| p != NO_PARENT)
    }

    /// The edge label from the parent (`['key']`, `.attr`, `[3]` …), unescaped.
    pub fn edge(&self) -> Option<Cow<'a, str>> {
        self.snap.field(self.index, Role::Edge).filter(|e| *e != "-").map(escape::unescape)
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

fn check_escapes(field: &[u8]) -> Result<(), ErrorKind> {
    if escape::is_valid(field) {
        Ok(())
    } else {
        Err(ErrorKind::BadEscape)
    }
}

fn parse_dec(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in field {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

fn parse_hex(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in field {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_dec(b"0"), Some(0));
        assert_eq!(parse_dec(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_dec(b"18446744073709551616"), None);
        assert_eq!(parse_dec(b"1x"), None);
        assert_eq!(parse_dec(b""), None);
        assert_eq!(parse_hex(b"7fA0"), Some(0x7fa0));
        assert_eq!(parse_hex(b"g"), None);
    }
}
