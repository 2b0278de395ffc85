//! The WebAssembly binding: converts between JS and the core, computes nothing itself.
//!
//! The only module that touches wasm-bindgen. It defines its own output types, built from the
//! core's through `From`, and turns every core error into a JS error in one helper.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{
    analyze_with, decompress, decompress_from, is_gzip, path_or_address, raw_diff, Analysis, ContentGroup,
    GrowingContainer, RawDiff, RawOptions, ReadOptions, Retained, Siblings, Snapshot, SnapshotFacts, Suspect,
    TypeDelta, TypeGroups, TypeSeries, NO_NODE,
};

#[wasm_bindgen]
extern "C" {
    /// The page's progress callback of a load.
    pub type LoadProgress;

    /// Told how many of the file's bytes have been read so far.
    #[wasm_bindgen(method)]
    fn report(this: &LoadProgress, bytes_read: f64);
}

/// Reports per file: enough for a smooth bar, few enough to cost nothing.
const REPORTS: usize = 32;

/// File bytes in memory as a reader that reports how far it has read.
struct ReportingReader<'a> {
    bytes: &'a [u8],
    at: usize,
    step: usize,
    reported: usize,
    progress: &'a LoadProgress,
}

impl<'a> ReportingReader<'a> {
    /// Reports 0 at once: the page learns that this file's turn has come.
    fn new(bytes: &'a [u8], progress: &'a LoadProgress) -> ReportingReader<'a> {
        progress.report(0.0);
        ReportingReader { bytes, at: 0, step: (bytes.len() / REPORTS).max(1), reported: 0, progress }
    }
}

impl std::io::Read for ReportingReader<'_> {
    fn read(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        let n = into.len().min(self.bytes.len() - self.at);
        into[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        if self.at - self.reported >= self.step {
            self.reported = self.at;
            self.progress.report(self.at as f64);
        }
        Ok(n)
    }
}

/// The snapshots loaded in this worker, by the page's keys, and the retained sizes computed
/// for them so far.
#[wasm_bindgen]
#[derive(Default)]
pub struct Workspace {
    snapshots: Vec<(u32, Snapshot)>,
    retained: Vec<(u32, Retained)>,
}

/// One object as the retained-size views show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeOut {
    index: f64,
    type_name: String,
    path: String,
    contents: String,
    shallow: f64,
    retained: f64,
}

impl NodeOut {
    fn of(snap: &Snapshot, r: &Retained, index: usize) -> NodeOut {
        let o = snap.object(index);
        NodeOut {
            index: index as f64,
            type_name: o.type_name().to_owned(),
            path: path_or_address(snap, index),
            contents: o.repr().into_owned(),
            shallow: o.size() as f64,
            retained: r.dominators.retained[index] as f64,
        }
    }
}

/// An object with who refers to it and who keeps it alive.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RetainersOut {
    object: NodeOut,
    /// Its immediate dominator: the object whose release would free it.
    dominator: Option<NodeOut>,
    referrers: Vec<NodeOut>,
    referrer_count: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoOut {
    name: String,
    objects: f64,
    bytes: f64,
    text_bytes: f64,
    time: Option<String>,
    pid: Option<f64>,
    rss: Option<f64>,
    sorted: bool,
    has_paths: bool,
    has_refs: bool,
}

impl From<&Snapshot> for InfoOut {
    fn from(s: &Snapshot) -> InfoOut {
        let h = s.header();
        InfoOut {
            name: s.name().to_owned(),
            objects: s.len() as f64,
            bytes: s.size_sum(0..s.len()) as f64,
            text_bytes: s.text_len() as f64,
            time: h.time().map(str::to_owned),
            pid: h.pid().map(|p| p as f64),
            rss: h.rss().map(|r| r as f64),
            sorted: s.was_sorted(),
            has_paths: s.has_paths(),
            has_refs: s.has_refs(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FactsOut {
    name: String,
    time: Option<String>,
    objects: f64,
    bytes: f64,
    rss: Option<f64>,
    rss_coverage: Option<f64>,
    notes: Vec<String>,
}

impl From<&SnapshotFacts> for FactsOut {
    fn from(f: &SnapshotFacts) -> FactsOut {
        FactsOut {
            name: f.name.clone(),
            time: f.time.clone(),
            objects: f.objects as f64,
            bytes: f.bytes as f64,
            rss: f.rss.map(|r| r as f64),
            rss_coverage: f.rss_coverage,
            notes: f.notes.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupOut {
    type_name: String,
    shape: String,
    count: f64,
    bytes: f64,
    examples: Vec<String>,
    sites: Vec<(String, f64)>,
}

impl From<&ContentGroup> for GroupOut {
    fn from(g: &ContentGroup) -> GroupOut {
        GroupOut {
            type_name: g.type_name.clone(),
            shape: g.shape.clone(),
            count: g.count as f64,
            bytes: g.bytes as f64,
            examples: g.examples.clone(),
            sites: labelled_sites(&g.sites),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuspectOut {
    type_name: String,
    path: String,
    holders: f64,
    unreached: bool,
    garbage: bool,
    replaced: bool,
    contents: String,
    lens: Vec<Option<f64>>,
    net_bytes_per_interval: Vec<f64>,
    net_bytes: f64,
    net_count: f64,
    growing_intervals: usize,
    score: f64,
    entries: Vec<GroupOut>,
    sites: Vec<(String, f64)>,
    sentence: String,
    index: f64,
    retained: Vec<Option<f64>>,
}

impl From<&Suspect> for SuspectOut {
    fn from(s: &Suspect) -> SuspectOut {
        SuspectOut {
            type_name: s.type_name.clone(),
            path: s.path.clone(),
            holders: s.holders as f64,
            unreached: s.unreached,
            garbage: s.garbage,
            replaced: s.replaced,
            contents: s.contents.clone(),
            lens: s.lens.iter().map(|l| l.map(|n| n as f64)).collect(),
            net_bytes_per_interval: s.net_bytes_per_interval.iter().map(|&b| b as f64).collect(),
            net_bytes: s.net_bytes as f64,
            net_count: s.net_count as f64,
            growing_intervals: s.growing_intervals,
            score: s.score,
            entries: s.entries.iter().map(GroupOut::from).collect(),
            sites: labelled_sites(&s.sites),
            sentence: s.sentence.clone(),
            index: s.index as f64,
            retained: s.retained.iter().map(|r| r.map(|b| b as f64)).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TypeRowOut {
    type_name: String,
    new_count: f64,
    deleted_count: f64,
    count_delta: f64,
    new_bytes: f64,
    freed_bytes: f64,
    bytes_delta: f64,
    bytes_after: f64,
    retained_after: Option<f64>,
    counts: Vec<f64>,
    bytes: Vec<f64>,
}

impl From<(&TypeDelta, Option<&TypeSeries>)> for TypeRowOut {
    fn from((d, series): (&TypeDelta, Option<&TypeSeries>)) -> TypeRowOut {
        let floats = |v: &[u64]| v.iter().map(|&x| x as f64).collect();
        TypeRowOut {
            type_name: d.type_name.clone(),
            new_count: d.new_count as f64,
            deleted_count: d.deleted_count as f64,
            count_delta: d.count_delta() as f64,
            new_bytes: d.new_bytes as f64,
            freed_bytes: d.freed_bytes as f64,
            bytes_delta: d.bytes_delta() as f64,
            bytes_after: d.bytes_after as f64,
            retained_after: d.retained_after.map(|b| b as f64),
            counts: series.map_or_else(Vec::new, |s| floats(&s.counts)),
            bytes: series.map_or_else(Vec::new, |s| floats(&s.bytes)),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TypeGroupsOut {
    type_name: String,
    groups: Vec<GroupOut>,
}

impl From<&TypeGroups> for TypeGroupsOut {
    fn from(t: &TypeGroups) -> TypeGroupsOut {
        TypeGroupsOut { type_name: t.type_name.clone(), groups: t.groups.iter().map(GroupOut::from).collect() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrowingOut {
    type_name: String,
    path: String,
    len_before: f64,
    len_after: f64,
    size_before: f64,
    size_after: f64,
    contents_diff: Vec<(String, String)>,
    added: Vec<String>,
    added_total: f64,
    removed: Vec<String>,
    removed_total: f64,
    siblings: Option<SiblingsOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SiblingsOut {
    pattern: String,
    count: f64,
    len_before: f64,
    len_after: f64,
}

impl From<&Siblings> for SiblingsOut {
    fn from(s: &Siblings) -> SiblingsOut {
        SiblingsOut {
            pattern: s.pattern.clone(),
            count: s.count as f64,
            len_before: s.len_before as f64,
            len_after: s.len_after as f64,
        }
    }
}

impl From<&GrowingContainer> for GrowingOut {
    fn from(g: &GrowingContainer) -> GrowingOut {
        GrowingOut {
            type_name: g.type_name.clone(),
            path: g.path.clone(),
            len_before: g.len_before as f64,
            len_after: g.len_after as f64,
            size_before: g.size_before as f64,
            size_after: g.size_after as f64,
            contents_diff: g.contents_diff.iter().map(|(tag, item)| (tag.to_string(), item.clone())).collect(),
            added: g.added.clone(),
            added_total: g.added_total as f64,
            removed: g.removed.clone(),
            removed_total: g.removed_total as f64,
            siblings: g.siblings.as_ref().map(SiblingsOut::from),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalysisOut {
    snapshots: Vec<FactsOut>,
    suspects: Vec<SuspectOut>,
    before: String,
    after: String,
    types: Vec<TypeRowOut>,
    new_groups: Vec<TypeGroupsOut>,
    growing: Vec<GrowingOut>,
}

impl From<&Analysis> for AnalysisOut {
    fn from(a: &Analysis) -> AnalysisOut {
        // The core keeps the series in the comparison's row order.
        debug_assert!(a.comparison.rows.iter().zip(&a.types).all(|(r, t)| r.type_name == t.type_name));
        AnalysisOut {
            snapshots: a.snapshots.iter().map(FactsOut::from).collect(),
            suspects: a.suspects.iter().map(SuspectOut::from).collect(),
            before: a.comparison.before.clone(),
            after: a.comparison.after.clone(),
            types: a
                .comparison
                .rows
                .iter()
                .zip(a.types.iter().map(Some).chain(std::iter::repeat(None)))
                .map(TypeRowOut::from)
                .collect(),
            new_groups: a.new_groups.iter().map(TypeGroupsOut::from).collect(),
            growing: a.growing.iter().map(GrowingOut::from).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RawOut {
    type_name: String,
    lines: (f64, f64),
    changed: (f64, f64),
    /// `[kind, left, right, count]` per row: compact for 100k rows.
    rows: Vec<(&'static str, Option<String>, Option<String>, f64)>,
    truncated: bool,
}

impl From<RawDiff> for RawOut {
    fn from(d: RawDiff) -> RawOut {
        RawOut {
            type_name: d.type_name,
            lines: (d.lines.0 as f64, d.lines.1 as f64),
            changed: (d.changed.0 as f64, d.changed.1 as f64),
            rows: d
                .rows
                .into_iter()
                .map(|r| {
                    let kind = match r.kind {
                        crate::RawKind::Same => "same",
                        crate::RawKind::Changed => "changed",
                        crate::RawKind::Skipped => "skipped",
                    };
                    (kind, r.left, r.right, r.count as f64)
                })
                .collect(),
            truncated: d.truncated,
        }
    }
}

#[wasm_bindgen]
impl Workspace {
    /// An empty workspace.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// Parses a snapshot file (plain or gzip) under `key`; returns its header facts.
    /// `progress`, if given, is told how far a gzip file has been read (plain text is parsed
    /// where it lies). Errors name the file and line.
    pub fn load(
        &mut self,
        key: u32,
        name: &str,
        bytes: Vec<u8>,
        progress: Option<LoadProgress>,
    ) -> Result<JsValue, JsError> {
        let snapshot = match progress {
            Some(progress) if is_gzip(&bytes) => Snapshot::read_from(
                name,
                ReportingReader::new(&bytes, &progress),
                Some(bytes.len() as u64),
                &ReadOptions::default(),
            ),
            _ => Snapshot::parse(name, bytes),
        }
        .map_err(js_error)?;
        // Every comparison needs the id order: build it now, while another file may still
        // be inflating in a decode worker, rather than when the analysis is asked for.
        snapshot.by_id();
        let info = to_js(&InfoOut::from(&snapshot));
        self.remove(key);
        self.snapshots.push((key, snapshot));
        info
    }

    /// The snapshot text in `bytes` (inflated when gzip, as it is otherwise), keeping nothing.
    /// The page's decode workers call this so that files inflate in parallel before the
    /// analysis worker parses them; `progress`, if given, is told how far the file has been
    /// read. Errors name the file.
    pub fn inflate(&self, name: &str, bytes: Vec<u8>, progress: Option<LoadProgress>) -> Result<Vec<u8>, JsError> {
        let options = ReadOptions::default();
        match progress {
            Some(progress) => {
                decompress_from(ReportingReader::new(&bytes, &progress), Some(bytes.len() as u64), &options)
            }
            None => decompress(bytes, &options),
        }
        .map_err(|e| js_error(e.in_source(name)))
    }

    /// The raw lines of `type_name` in the snapshots under `before` and `after`, side by side:
    /// changed regions with context, or every line when `all`.
    pub fn raw(&self, before: u32, after: u32, type_name: &str, all: bool) -> Result<JsValue, JsError> {
        let (a, b) = (self.get(before)?, self.get(after)?);
        let options = RawOptions { context: if all { None } else { Some(3) }, ..RawOptions::default() };
        to_js(&RawOut::from(raw_diff(a, b, type_name, &options)))
    }

    fn get(&self, key: u32) -> Result<&Snapshot, JsError> {
        self.snapshots
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s)
            .ok_or_else(|| JsError::new("unknown snapshot key"))
    }

    /// Analyzes a small synthetic pair and keeps nothing, so that the engine optimizes the
    /// parser and the analysis before real files arrive (it optimizes a function only after it
    /// has run a while, never during one long call). With `retained`, a pair with edges: the
    /// reference graph and dominators too.
    pub fn warm_up(&self, retained: bool) -> Result<(), JsError> {
        for _ in 0..if retained { 1 } else { 2 } {
            to_js(&AnalysisOut::from(&crate::synthetic::analysis_of_leaking_pair(3000, retained)))?;
        }
        Ok(())
    }

    /// Writes to `bytes` of memory, one byte per page, and frees them. The allocator keeps
    /// the pages, so files that arrive next are read into memory already mapped instead of
    /// fresh pages that fault one by one on their first write (200 MiB is 51,200 faults).
    /// Memory already free is reused, not grown again.
    pub fn prepare_memory(&self, bytes: usize) {
        let mut block: Vec<u8> = Vec::with_capacity(bytes);
        for page in block.spare_capacity_mut().chunks_mut(4096) {
            page[0].write(1);
        }
        std::hint::black_box(&block);
    }

    /// Bytes of WebAssembly memory this worker holds (it grows, it never shrinks).
    pub fn memory_bytes(&self) -> f64 {
        (core::arch::wasm32::memory_size(0) * 65536) as f64
    }

    /// Forgets the snapshot under `key`.
    pub fn remove(&mut self, key: u32) {
        self.snapshots.retain(|(k, _)| *k != key);
        self.retained.retain(|(k, _)| *k != key);
    }

    /// The objects that `index` alone keeps alive (or, with no index, the tops of the
    /// dominator tree, module namespaces opened), most retained first, at most `limit`; computes the snapshot's
    /// dominators on first use. Errors when the snapshot has no edges.
    pub fn dominated(&mut self, key: u32, index: Option<u32>, limit: usize) -> Result<JsValue, JsError> {
        let (snap, r) = self.with_retained(key)?;
        let nodes: Vec<NodeOut> = match index {
            Some(i) => r.dominated_by(Some(i as usize)),
            None => r.tops(snap),
        }
        .into_iter()
        .take(limit)
        .map(|i| NodeOut::of(snap, r, i))
        .collect();
        to_js(&nodes)
    }

    /// Object `index`: its referrers (at most `limit`) and its immediate dominator.
    pub fn retainers(&mut self, key: u32, index: u32, limit: usize) -> Result<JsValue, JsError> {
        let (snap, r) = self.with_retained(key)?;
        let index = index as usize;
        if index >= snap.len() {
            return Err(JsError::new("no such object"));
        }
        let referrers = r.referrers(index);
        let idom = r.dominators.idom[index];
        to_js(&RetainersOut {
            object: NodeOut::of(snap, r, index),
            dominator: (idom != NO_NODE).then(|| NodeOut::of(snap, r, idom as usize)),
            referrer_count: referrers.len() as f64,
            referrers: referrers.into_iter().take(limit).map(|i| NodeOut::of(snap, r, i)).collect(),
        })
    }

    fn with_retained(&mut self, key: u32) -> Result<(&Snapshot, &Retained), JsError> {
        if !self.retained.iter().any(|(k, _)| *k == key) {
            let computed = Retained::of(self.get(key)?)
                .ok_or_else(|| JsError::new("this snapshot has no reference edges (capture with edges=True)"))?;
            self.retained.push((key, computed));
        }
        let snap = self.get(key)?;
        let r = self.retained.iter().find(|(k, _)| *k == key).map(|(_, r)| r).expect("just computed");
        Ok((snap, r))
    }

    /// Suspects, comparison and per-type series of the snapshots under `keys` (two or more).
    /// The comparison runs from `baseline` to `current` (keys among `keys`), by default from
    /// the oldest to the newest.
    pub fn analyze(
        &mut self,
        keys: Vec<u32>,
        top: usize,
        baseline: Option<u32>,
        current: Option<u32>,
    ) -> Result<JsValue, JsError> {
        if keys.len() < 2 {
            return Err(JsError::new("the analysis needs two or more snapshots"));
        }
        // Retained sizes are kept per snapshot: the dominator views reuse them.
        let mut all_edges = true;
        for &k in &keys {
            all_edges &= self.get(k)?.has_refs();
        }
        if all_edges {
            for &k in &keys {
                self.with_retained(k)?;
            }
        }
        let snaps: Vec<&Snapshot> = keys.iter().map(|&k| self.get(k)).collect::<Result<_, _>>()?;
        // Some only when every snapshot has them (a snapshot without edges has none cached).
        let retained: Option<Vec<&Retained>> =
            keys.iter().map(|k| self.retained.iter().find(|(key, _)| key == k).map(|(_, r)| r)).collect();
        let position =
            |key: u32| keys.iter().position(|&k| k == key).ok_or_else(|| JsError::new("unknown snapshot key"));
        let pair = match (baseline, current) {
            (Some(b), Some(c)) => Some((position(b)?, position(c)?)),
            _ => None,
        };
        to_js(&AnalysisOut::from(&analyze_with(&snaps, top, pair, retained.as_deref())))
    }
}

/// Allocation sites as the page shows them: the application's frame first (see `sites.rs`).
fn labelled_sites(v: &[(String, u64)]) -> Vec<(String, f64)> {
    crate::labelled_sites(v).into_iter().map(|(s, n)| (s, n as f64)).collect()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

/// The one place core errors become JS errors.
fn js_error(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}
