//! The one error type of the crate.

use std::fmt;

/// An error from reading or analyzing a snapshot.
///
/// Its `Display` names the snapshot and, when the error belongs to one line,
/// the 1-based line number: `before.hsnap.gz: line 12: bad number in column size`.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    source: Option<String>,
    line: Option<u64>,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The gzip stream is damaged.
    Gzip(String),
    /// The input does not start with the `#heapsnap` magic line.
    NotASnapshot,
    /// The snapshot declares a format version this reader does not know.
    UnsupportedVersion(String),
    /// A required header line is missing or malformed.
    BadHeader(String),
    /// A column the reader needs is not declared in `#columns`.
    MissingColumn(&'static str),
    /// A line has a different number of fields than `#columns` declares.
    ColumnCount {
        /// Fields declared in the header.
        expected: usize,
        /// Fields found on the line.
        found: usize,
    },
    /// A numeric field does not parse.
    BadNumber {
        /// The column's name.
        column: &'static str,
    },
    /// A field holds a backslash escape that the format does not define.
    BadEscape,
    /// The bytes are not valid UTF-8.
    NotUtf8,
    /// The footer line is missing: the file was cut short.
    Truncated,
    /// The footer's object count disagrees with the lines read.
    CountMismatch {
        /// Count in the footer.
        footer: u64,
        /// Lines read.
        found: u64,
    },
    /// The (decompressed) input is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

impl Error {
    /// An error of `kind`, not yet tied to a file or line.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner { kind, source: None, line: None }))
    }

    /// The same error, tied to the 1-based `line`.
    pub fn at_line(mut self, line: u64) -> Error {
        self.0.line = Some(line);
        self
    }

    /// The same error, tied to the snapshot named `name`.
    pub fn in_source(mut self, name: &str) -> Error {
        self.0.source = Some(name.to_owned());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The 1-based line the error belongs to, if any.
    pub fn line(&self) -> Option<u64> {
        self.0.line
    }

    /// The name of the snapshot the error belongs to, if known.
    pub fn source_name(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            ErrorKind::Gzip(e) => write!(f, "damaged gzip data: {e}"),
            ErrorKind::NotASnapshot => {
                f.write_str("not a heapsnap snapshot (the first line is not '#heapsnap <version>')")
            }
            ErrorKind::UnsupportedVersion(v) => {
                write!(f, "snapshot format version {v} is not supported (this reader knows 1)")
            }
            ErrorKind::BadHeader(what) => write!(f, "bad header: {what}"),
            ErrorKind::MissingColumn(c) => write!(f, "the header declares no '{c}' column"),
            ErrorKind::ColumnCount { expected, found } => {
                write!(f, "expected {expected} tab-separated fields, found {found}")
            }
            ErrorKind::BadNumber { column } => write!(f, "bad number in column {column}"),
            ErrorKind::BadEscape => f.write_str("bad backslash escape"),
            ErrorKind::NotUtf8 => f.write_str("not valid UTF-8"),
            ErrorKind::Truncated => f.write_str("the file ends without its '#end' footer: it was cut short"),
            ErrorKind::CountMismatch { footer, found } => {
                write!(f, "the footer counts {footer} objects but {found} lines were read")
            }
            ErrorKind::TooLarge { limit } => {
                write!(f, "larger than the limit of {limit} bytes once decompressed")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(source) = &self.0.source {
            write!(f, "{source}: ")?;
        }
        if let Some(line) = self.0.line {
            write!(f, "line {line}: ")?;
        }
        self.0.kind.fmt(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_source_and_line() {
        let e = Error::new(ErrorKind::BadNumber { column: "size" }).at_line(12).in_source("a.hsnap");
        assert_eq!(e.to_string(), "a.hsnap: line 12: bad number in column size");
    }
}
