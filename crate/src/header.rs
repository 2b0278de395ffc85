//! The `#`-prefixed header lines at the top of a snapshot.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// The format versions this reader understands.
pub const SUPPORTED_VERSIONS: &[&str] = &["1"];

/// A snapshot's header: the declared columns and every `#key<TAB>value` line, in file order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Header {
    /// The format version from the magic line (`#heapsnap 1`).
    pub version: String,
    /// Column names, in field order.
    pub columns: Vec<String>,
    /// Every other header line as `(key, value)`, in file order.
    pub fields: Vec<(String, String)>,
}

/// Whether `line` (after the first) is past the header: an object line, or the footer.
pub(crate) fn ends_header(line: &[u8]) -> bool {
    !line.starts_with(b"#") || line.starts_with(b"#end\t")
}

impl Header {
    /// The value of header line `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of header line `key` as an integer, if present and numeric.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.trim().parse().ok()
    }

    /// The process id that wrote the snapshot.
    pub fn pid(&self) -> Option<u64> {
        self.get_u64("pid")
    }

    /// The UTC capture time (ISO 8601). Lexical order is time order.
    pub fn time(&self) -> Option<&str> {
        self.get("time")
    }

    /// The process resident set size in bytes at capture time.
    pub fn rss(&self) -> Option<u64> {
        self.get_u64("rss")
    }

    /// Whether the process had disabled its garbage collector (`#gc disabled`): garbage in
    /// reference cycles then stays. False when the header does not say.
    pub fn gc_disabled(&self) -> bool {
        self.get("gc").is_some_and(|v| v.split(' ').next() == Some("disabled"))
    }

    /// The object count the writer announced.
    pub fn objects(&self) -> Option<u64> {
        self.get_u64("objects")
    }

    /// Reads the header from the start of `text`; returns it and the offset of the first body line.
    pub(crate) fn parse(text: &str) -> Result<(Header, usize)> {
        let mut header = Header::default();
        let mut offset = 0;
        let mut line_no = 0u64;
        for raw in text.split_inclusive('\n') {
            line_no += 1;
            let line = raw.trim_end_matches('\n').trim_end_matches('\r');
            if line_no == 1 {
                let version =
                    line.strip_prefix("#heapsnap ").ok_or_else(|| Error::new(ErrorKind::NotASnapshot).at_line(1))?;
                if !SUPPORTED_VERSIONS.contains(&version.trim()) {
                    return Err(Error::new(ErrorKind::UnsupportedVersion(version.trim().to_owned())).at_line(1));
                }
                header.version = version.trim().to_owned();
            } else if ends_header(line.as_bytes()) {
                break;
            } else {
                let (key, value) = line[1..].split_once('\t').unwrap_or((&line[1..], ""));
                if key == "columns" {
                    header.columns = value.split('\t').map(str::to_owned).collect();
                    let mut names: Vec<&str> = header.columns.iter().map(String::as_str).collect();
                    names.sort_unstable();
                    if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
                        let problem = format!("column {:?} declared twice", twice[0]);
                        return Err(Error::new(ErrorKind::BadHeader(problem)).at_line(line_no));
                    }
                } else {
                    header.fields.push((key.to_owned(), value.to_owned()));
                }
            }
            offset += raw.len();
        }
        if line_no == 0 {
            return Err(Error::new(ErrorKind::NotASnapshot).at_line(1));
        }
        if header.columns.is_empty() {
            return Err(Error::new(ErrorKind::BadHeader("no '#columns' line".into())).at_line(line_no));
        }
        Ok((header, offset))
    }
}
