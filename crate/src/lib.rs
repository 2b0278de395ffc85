//! Analyzer for heapsnap snapshots of a Python process's heap.
//!
//! A snapshot is a text file (plain or gzip) with one line per live object: type, bounded
//! contents, shallow size, length, id, and optionally the path it was reached by. The format
//! is specified in `docs/FORMAT.md`. This crate is the pure core: it takes bytes and returns
//! plain Rust values. The command-line tool and the WebAssembly binding are thin layers on it.
//!
//! # Read a snapshot
//! [`Snapshot::parse`] takes the bytes of a file; gzip is detected by its magic bytes.
//! Errors name the snapshot and the 1-based line.
//!
//! ```
//! let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\nlist\t[1, 2]\t72\t2\t7f00\n#end\t1\n";
//! let snap = heapsnap::Snapshot::parse("a.hsnap", text.as_bytes().to_vec())?;
//! assert_eq!(snap.object(0).repr(), "[1, 2]");
//! # Ok::<(), heapsnap::Error>(())
//! ```
//!
//! # Summarize one snapshot
//! [`Summary::of`] totals count and shallow bytes per type.
//!
//! # Compare two snapshots
//! [`Comparison::new`] matches objects by identity and reports, per type, what is new,
//! what was freed, and the change in count and bytes.
#![warn(missing_docs)]

mod compare;
mod decode;
mod error;
mod escape;
mod header;
pub mod humanize;
mod snapshot;
mod summary;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use compare::{Comparison, SortKey, TypeDelta};
pub use decode::{is_gzip, ReadOptions};
pub use error::{Error, ErrorKind, Result};
pub use header::Header;
pub use snapshot::{ObjectRef, Snapshot};
pub use summary::{Summary, TypeTotal};
