//! Analyzer for heapsnap snapshots of a Python process's heap.
//!
//! A snapshot is a text file (plain or gzip) with one line per live object: type, bounded
//! contents, shallow size, length, id, and optionally the path it was reached by. The format
//! is specified in `docs/FORMAT.md`. This crate is the pure core: it takes bytes and returns
//! plain Rust values. The command-line tool and the WebAssembly binding are thin layers on it.
//!
//! # Read a snapshot
//! [`Snapshot::parse`] takes the bytes of a file; gzip is detected by its magic bytes and
//! inflated a window at a time, each line parsed while it is in the cache, and
//! [`Snapshot::read_from`] reads plain text from a reader the same way. The model then keeps
//! each line's text fields (contents, edge, site) in one string and the rest as compact
//! columns: about half the text's size for a capture. (Plain bytes given whole are kept as
//! they are.) Errors name the snapshot and the 1-based line.
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
//! [`Comparison::new`] matches objects by identity ([`Matching`]) and reports, per type,
//! what is new, what was freed, and the change in count and bytes.
//!
//! # Name the leak
//! [`analyze`] takes N ≥ 2 snapshots of one process and ranks leak suspects: holders whose
//! contents grow ([`Attribution`] charges each new object to the container it was added to),
//! with their path from a root ([`holder_path`]) — or, for growth spread over many siblings,
//! their path pattern (`VISITS[*]['events']`) — what their new entries look like
//! ([`group_by_shape`], [`shape_of`]), where those were allocated, and one sentence that says it.
//!
//! # Who keeps it alive
//! With a snapshot captured with edges (`refs` column), [`Retained::of`] builds the
//! [`RefGraph`], its [`dominators`] and every object's and type's retained size;
//! [`top_retainers`] lists the objects that retain most.
//!
//! # Look at the raw lines
//! [`raw_diff`] puts the sorted lines of one type in two snapshots side by side, changed
//! regions with context — the `vimdiff` of sorted dumps this tool grew from.
#![warn(missing_docs)]

mod byte_order;
mod children;
mod columns;
mod compare;
mod decode;
mod dominators;
mod error;
mod escape;
mod graph;
mod groups;
mod growth;
mod header;
mod holders;
pub mod humanize;
mod id_index;
mod identity;
mod line_reader;
mod parallel;
mod path_matching;
mod paths;
mod raw;
mod retained;
mod shape;
mod siblings;
mod sites;
mod slots;
mod snapshot;
mod structural;
mod summary;
mod suspects;
pub mod synthetic;
mod text_blocks;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use compare::{Comparison, SortKey, TypeDelta};
pub use decode::{decompress, decompress_from, is_gzip, ReadOptions};
pub use dominators::{dominators, Dominators, NO_NODE};
pub use error::{Error, ErrorKind, Result};
pub use graph::RefGraph;
pub use groups::{group_by_shape, ContentGroup};
pub use growth::{growing_containers, new_object_groups, GrowingContainer, Siblings, TypeGroups};
pub use header::Header;
pub use holders::{Attribution, HolderGrowth};
pub use identity::{Matching, NONE};
pub use path_matching::{from_different_processes, match_across_processes};
pub use paths::{holder_path, path_or_address};
pub use raw::{raw_diff, RawDiff, RawKind, RawOptions, RawRow};
pub use retained::{top_retainers, Retained, Retainer};
pub use shape::shape_of;
pub use sites::{labelled_sites, site_label, site_label_long};
pub use snapshot::{ObjectRef, Snapshot};
pub use summary::{Summary, TypeTotal};
pub use suspects::{analyze, analyze_between, analyze_with, Analysis, SnapshotFacts, Suspect, TypeSeries};
