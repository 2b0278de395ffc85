//! The seed's view, kept: the sorted lines of one type in two snapshots, side by side.
//!
//! Lines are sorted, so a merge of the two runs of the type is the exact line diff (what
//! `diff` or `comm` print on the sorted files). Changed regions come with a few lines of
//! context; long unchanged stretches are folded into one "skipped" row.

use std::cmp::Ordering;

use serde::Serialize;

use crate::snapshot::Snapshot;

/// What a row of the side-by-side view holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RawKind {
    /// The same line on both sides.
    Same,
    /// A changed region: a line only in the baseline, only in the later snapshot, or both.
    Changed,
    /// Unchanged lines left out (`count` of them).
    Skipped,
}

/// One row of the side-by-side view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawRow {
    /// What the row is.
    pub kind: RawKind,
    /// The baseline's line (as written, escaped), if any.
    pub left: Option<String>,
    /// The later snapshot's line, if any.
    pub right: Option<String>,
    /// For a skipped row, how many unchanged lines it stands for.
    pub count: u64,
}

/// The lines of one type in two snapshots, side by side.
#[derive(Clone, Debug, Serialize)]
pub struct RawDiff {
    /// The type.
    pub type_name: String,
    /// Lines of the type in the baseline and in the later snapshot.
    pub lines: (u64, u64),
    /// Lines only in the baseline, and only in the later snapshot.
    pub changed: (u64, u64),
    /// The rows, in order.
    pub rows: Vec<RawRow>,
    /// Whether rows were left out at the end to stay under the row limit.
    pub truncated: bool,
}

/// Options of [`raw_diff`].
#[derive(Clone, Copy, Debug)]
pub struct RawOptions {
    /// Unchanged lines shown around each changed region; `None` shows every line.
    pub context: Option<usize>,
    /// Most rows returned.
    pub max_rows: usize,
}

impl Default for RawOptions {
    fn default() -> RawOptions {
        RawOptions { context: Some(3), max_rows: 100_000 }
    }
}

/// The lines of type `type_name` in `before` and `after`, side by side.
///
/// # Example
/// ```
/// let head = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n";
/// let a = format!("{head}str\t'a'\t50\t1\t10\nstr\t'b'\t50\t1\t20\n#end\t2\n");
/// let b = format!("{head}str\t'a'\t50\t1\t10\nstr\t'c'\t50\t1\t30\n#end\t2\n");
/// let (a, b) = (heapsnap::Snapshot::parse("a", a.into_bytes())?, heapsnap::Snapshot::parse("b", b.into_bytes())?);
/// let diff = heapsnap::raw_diff(&a, &b, "str", &heapsnap::RawOptions::default());
/// assert_eq!(diff.changed, (1, 1));
/// assert_eq!(diff.rows[1].left.as_deref(), Some("str\t'b'\t50\t1\t20"));
/// assert_eq!(diff.rows[1].right.as_deref(), Some("str\t'c'\t50\t1\t30"));
/// # Ok::<(), heapsnap::Error>(())
/// ```
pub fn raw_diff(before: &Snapshot, after: &Snapshot, type_name: &str, options: &RawOptions) -> RawDiff {
    let (a, b) = (lines_of(before, type_name), lines_of(after, type_name));
    let (a, b): (Vec<&str>, Vec<&str>) =
        (a.iter().map(String::as_str).collect(), b.iter().map(String::as_str).collect());
    let ops = merge(&a, &b);
    let mut diff = RawDiff {
        type_name: type_name.to_owned(),
        lines: (a.len() as u64, b.len() as u64),
        changed: (
            ops.iter().filter(|o| matches!(o, Op::Left(_))).count() as u64,
            ops.iter().filter(|o| matches!(o, Op::Right(_))).count() as u64,
        ),
        rows: Vec::new(),
        truncated: false,
    };
    let near_change = near_changes(&ops, options.context);
    let mut k = 0;
    while k < ops.len() {
        if diff.rows.len() >= options.max_rows {
            diff.truncated = true;
            break;
        }
        match ops[k] {
            Op::Same(line) if near_change[k] => {
                diff.rows.push(row(RawKind::Same, Some(line), Some(line)));
                k += 1;
            }
            Op::Same(_) => {
                let start = k;
                while k < ops.len() && matches!(ops[k], Op::Same(_)) && !near_change[k] {
                    k += 1;
                }
                diff.rows.push(RawRow { kind: RawKind::Skipped, left: None, right: None, count: (k - start) as u64 });
            }
            _ => {
                // A changed region: its removed lines on the left, its added lines on the right.
                let end = (k..ops.len()).find(|&j| matches!(ops[j], Op::Same(_))).unwrap_or(ops.len());
                let left: Vec<&str> =
                    ops[k..end].iter().filter_map(|o| if let Op::Left(l) = o { Some(*l) } else { None }).collect();
                let right: Vec<&str> =
                    ops[k..end].iter().filter_map(|o| if let Op::Right(l) = o { Some(*l) } else { None }).collect();
                for n in 0..left.len().max(right.len()) {
                    diff.rows.push(row(RawKind::Changed, left.get(n).copied(), right.get(n).copied()));
                }
                k = end;
            }
        }
    }
    diff.rows.truncate(options.max_rows);
    diff
}

/// The lines of type `type_name`, in file (byte) order.
fn lines_of(s: &Snapshot, type_name: &str) -> Vec<String> {
    let Some(ix) = s.type_names().iter().position(|t| &**t == type_name) else { return Vec::new() };
    s.type_runs()
        .filter(|&(t, _)| t as usize == ix)
        .flat_map(|(_, range)| range.map(|i| s.object(i).raw_line()))
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Op<'a> {
    Same(&'a str),
    Left(&'a str),
    Right(&'a str),
}

/// The merge of two sorted line lists (byte order), as a line diff.
fn merge<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let mut ops = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match order {
            Ordering::Equal => {
                ops.push(Op::Same(a[i]));
                i += 1;
                j += 1;
            }
            Ordering::Less => {
                ops.push(Op::Left(a[i]));
                i += 1;
            }
            Ordering::Greater => {
                ops.push(Op::Right(b[j]));
                j += 1;
            }
        }
    }
    ops
}

/// Whether each op is within `context` ops of a change (every op when `context` is `None`).
fn near_changes(ops: &[Op<'_>], context: Option<usize>) -> Vec<bool> {
    let Some(context) = context else { return vec![true; ops.len()] };
    let mut near = vec![false; ops.len()];
    let mut last_change: Option<usize> = None;
    for (k, op) in ops.iter().enumerate() {
        if !matches!(op, Op::Same(_)) {
            last_change = Some(k);
        }
        near[k] = last_change.is_some_and(|c| k - c <= context);
    }
    let mut next_change: Option<usize> = None;
    for k in (0..ops.len()).rev() {
        if !matches!(ops[k], Op::Same(_)) {
            next_change = Some(k);
        }
        near[k] |= next_change.is_some_and(|c| c - k <= context);
    }
    near
}

fn row(kind: RawKind, left: Option<&str>, right: Option<&str>) -> RawRow {
    RawRow { kind, left: left.map(str::to_owned), right: right.map(str::to_owned), count: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(lines: &[&str]) -> Snapshot {
        let mut lines = lines.to_vec();
        lines.sort();
        let text =
            format!("#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\n{}\n#end\t{}\n", lines.join("\n"), lines.len());
        Snapshot::parse("s", text.into_bytes()).unwrap()
    }

    #[test]
    fn folds_unchanged_lines_and_pairs_changes() {
        let same: Vec<String> = (0..20).map(|i| format!("int\t{i}\t28\t-\t{:x}", 100 + i)).collect();
        let mut a: Vec<&str> = same.iter().map(String::as_str).collect();
        let mut b = a.clone();
        a.push("int\t30\t28\t-\t1f0");
        b.push("int\t31\t28\t-\t1f1");
        b.push("int\t32\t28\t-\t1f2");
        a.push("str\t'x'\t50\t1\t200");
        b.push("str\t'x'\t50\t1\t200");
        let (a, b) = (snap(&a), snap(&b));
        let diff = raw_diff(&a, &b, "int", &RawOptions { context: Some(2), max_rows: 100 });
        assert_eq!(diff.lines, (21, 22));
        assert_eq!(diff.changed, (1, 2));
        let kinds: Vec<RawKind> = diff.rows.iter().map(|r| r.kind).collect();
        // Sorted by bytes, "int\t30" … "int\t32" come after "int\t3" and before "int\t4".
        assert!(kinds.contains(&RawKind::Skipped));
        let changed: Vec<&RawRow> = diff.rows.iter().filter(|r| r.kind == RawKind::Changed).collect();
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].left.as_deref(), Some("int\t30\t28\t-\t1f0"));
        assert_eq!(changed[0].right.as_deref(), Some("int\t31\t28\t-\t1f1"));
        assert_eq!((changed[1].left.as_deref(), changed[1].right.as_deref()), (None, Some("int\t32\t28\t-\t1f2")));
        let skipped: u64 = diff.rows.iter().map(|r| r.count).sum();
        let shown_same = diff.rows.iter().filter(|r| r.kind == RawKind::Same).count() as u64;
        assert_eq!(skipped + shown_same, 20);
        let all = raw_diff(&a, &b, "int", &RawOptions { context: None, max_rows: 100 });
        assert_eq!(all.rows.len(), 22);
        let cut = raw_diff(&a, &b, "int", &RawOptions { context: None, max_rows: 5 });
        assert!(cut.truncated && cut.rows.len() == 5);
        assert_eq!(raw_diff(&a, &b, "float", &RawOptions::default()).rows, vec![]);
    }
}
