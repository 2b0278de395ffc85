//! The WebAssembly binding: converts between JS and the core, computes nothing itself.
//!
//! The only module that touches wasm-bindgen. It defines its own output types, built from the
//! core's through `From`, and turns every core error into a JS error in one helper.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Comparison, Snapshot, Summary, TypeDelta, TypeTotal};

/// A parsed snapshot held in wasm memory; JS keeps only this handle.
#[wasm_bindgen]
pub struct SnapshotHandle {
    inner: Snapshot,
}

/// Header facts the page shows and orders files by.
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
    header: Vec<(String, String)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeltaOut {
    type_name: String,
    count_before: f64,
    count_after: f64,
    new_count: f64,
    deleted_count: f64,
    count_delta: f64,
    bytes_before: f64,
    bytes_after: f64,
    new_bytes: f64,
    freed_bytes: f64,
    bytes_delta: f64,
}

impl From<&TypeDelta> for DeltaOut {
    fn from(d: &TypeDelta) -> DeltaOut {
        DeltaOut {
            type_name: d.type_name.clone(),
            count_before: d.count_before as f64,
            count_after: d.count_after as f64,
            new_count: d.new_count as f64,
            deleted_count: d.deleted_count as f64,
            count_delta: d.count_delta() as f64,
            bytes_before: d.bytes_before as f64,
            bytes_after: d.bytes_after as f64,
            new_bytes: d.new_bytes as f64,
            freed_bytes: d.freed_bytes as f64,
            bytes_delta: d.bytes_delta() as f64,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ComparisonOut {
    before: String,
    after: String,
    rows: Vec<DeltaOut>,
}

impl From<&Comparison> for ComparisonOut {
    fn from(c: &Comparison) -> ComparisonOut {
        ComparisonOut { before: c.before.clone(), after: c.after.clone(), rows: c.rows.iter().map(DeltaOut::from).collect() }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TotalOut {
    type_name: String,
    count: f64,
    bytes: f64,
}

impl From<&TypeTotal> for TotalOut {
    fn from(t: &TypeTotal) -> TotalOut {
        TotalOut { type_name: t.type_name.clone(), count: t.count as f64, bytes: t.bytes as f64 }
    }
}

/// Parses the bytes of a snapshot file (plain or gzip). Errors name the file and line.
#[wasm_bindgen(js_name = parseSnapshot)]
pub fn parse_snapshot(name: &str, bytes: Vec<u8>) -> Result<SnapshotHandle, JsError> {
    Snapshot::parse(name, bytes).map(|inner| SnapshotHandle { inner }).map_err(js_error)
}

#[wasm_bindgen]
impl SnapshotHandle {
    /// Header facts: name, object count, time, pid, RSS, every header line.
    pub fn info(&self) -> Result<JsValue, JsError> {
        let s = &self.inner;
        let h = s.header();
        let info = InfoOut {
            name: s.name().to_owned(),
            objects: s.len() as f64,
            bytes: s.sizes().iter().sum::<u64>() as f64,
            text_bytes: s.text_len() as f64,
            time: h.time().map(str::to_owned),
            pid: h.pid().map(|p| p as f64),
            rss: h.rss().map(|r| r as f64),
            sorted: s.is_sorted(),
            header: h.fields.clone(),
        };
        to_js(&info)
    }

    /// Per-type totals, largest first.
    pub fn summary(&self) -> Result<JsValue, JsError> {
        let rows: Vec<TotalOut> = Summary::of(&self.inner).types.iter().map(TotalOut::from).collect();
        to_js(&rows)
    }

    /// The per-type comparison from `self` (baseline) to `after`, by byte growth.
    pub fn compare(&self, after: &SnapshotHandle) -> Result<JsValue, JsError> {
        to_js(&ComparisonOut::from(&Comparison::new(&self.inner, &after.inner)))
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))
}

/// The one place core errors become JS errors.
fn js_error(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}
