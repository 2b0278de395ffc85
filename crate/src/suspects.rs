//! Leak suspects over N ≥ 2 snapshots of one process: holders whose contents grow, ranked
//! so that steady growth of one holder beats a one-off jump, and churn does not count.
//! The scoring is explained in `docs/SUSPECTS.md`.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::compare::Comparison;
use crate::groups::{group_by_shape, ranked, ContentGroup};
use crate::growth::{growing_containers, new_object_groups, GrowingContainer, TypeGroups};
use crate::holders::Attribution;
use crate::humanize::{length_unit, signed_bytes, thousands};
use crate::identity::{Matching, NONE};
use crate::parallel::both;
use crate::path_matching::from_different_processes;
use crate::paths::{path_or_address, root_edge};
use crate::retained::Retained;
use crate::siblings::{candidate_groups, label_key, pattern};
use crate::sites::most_common_label;
use crate::slots::replaced_slot;
use crate::snapshot::Snapshot;

/// Suspects scoring less than this share of the first suspect's score are left out.
pub const MIN_SHARE_OF_TOP: f64 = 0.01;
/// Holders that grew by fewer net bytes than this, or that score less, are not suspects.
pub const MIN_NET_BYTES: i64 = 1024;

/// The edge of the roots of garbage: reference cycles that nothing else refers to.
const GARBAGE_ROOT: &str = "<garbage>";

/// The edge of a class's registry of its subclasses (weak references), under the class.
const SUBCLASSES_EDGE: &str = "<subclasses>";

/// One snapshot as the analysis saw it.
#[derive(Clone, Debug, Serialize)]
pub struct SnapshotFacts {
    /// Name given at parse time.
    pub name: String,
    /// Capture time from the header.
    pub time: Option<String>,
    /// Number of objects.
    pub objects: u64,
    /// Sum of shallow sizes.
    pub bytes: u64,
    /// Process RSS from the header.
    pub rss: Option<u64>,
    /// Share of RSS the Python objects' shallow sizes explain (0..1), when RSS is known.
    pub rss_coverage: Option<f64>,
    /// Things worth knowing about how it was read (unsorted lines, no paths).
    pub notes: Vec<String>,
}

/// A holder whose contents grew, or several sibling holders of one type and path pattern
/// whose growth is spread among them (`__main__.VISITS[*]['events']`, a list per visitor).
#[derive(Clone, Debug, Serialize)]
pub struct Suspect {
    /// Type of the holder.
    pub type_name: String,
    /// Path from a root (`__main__._RECORD_CACHE`), or `<type> at 0x…` without paths; for
    /// several holders, their path pattern, `[*]` standing for the keys or indexes that differ.
    pub path: String,
    /// How many holders this suspect stands for: 1, or the siblings that share its path pattern.
    pub holders: usize,
    /// Whether no root reaches the holder.
    pub unreached: bool,
    /// Whether the holder is garbage: in reference cycles that nothing else refers to, which
    /// the collector frees, unless the process disabled it (a suspect only then).
    pub garbage: bool,
    /// Whether this names a slot of the holder rather than the holder: the holder grew with no
    /// more entries, mostly because the value in that slot was replaced by a larger one (a
    /// str rebuilt longer). `path`, `type_name`, `contents` and `lens` are then the slot's value's.
    pub replaced: bool,
    /// The holder's bounded contents in the last snapshot (of several, the one that grew most).
    pub contents: String,
    /// The holder's length in each snapshot, oldest first (`None`: absent, or no length); of
    /// several, the sum of the lengths of those present.
    pub lens: Vec<Option<u64>>,
    /// Net bytes charged to it in each interval.
    pub net_bytes_per_interval: Vec<i64>,
    /// Net bytes over all intervals.
    pub net_bytes: i64,
    /// Net objects over all intervals.
    pub net_count: i64,
    /// Intervals in which it grew.
    pub growing_intervals: usize,
    /// The score it is ranked by (see `docs/SUSPECTS.md`).
    pub score: f64,
    /// What its new entries look like (in the last interval in which it grew), largest group first.
    pub entries: Vec<ContentGroup>,
    /// Allocation sites of those entries.
    pub sites: Vec<(String, u64)>,
    /// The verdict in one sentence.
    pub sentence: String,
    /// Index of the holder in the newest snapshot (of several, the one that grew most).
    pub index: usize,
    /// The holder's retained size in each snapshot, oldest first, when every snapshot was
    /// captured with edges (empty otherwise); of several, the sum over those present.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retained: Vec<Option<u64>>,
}

/// Series of one type across the snapshots.
#[derive(Clone, Debug, Serialize)]
pub struct TypeSeries {
    /// Type name.
    pub type_name: String,
    /// Object count in each snapshot, oldest first.
    pub counts: Vec<u64>,
    /// Shallow bytes in each snapshot, oldest first.
    pub bytes: Vec<u64>,
}

/// Everything the analyzer says about N snapshots of one process.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// The snapshots, oldest first (by header time, then name).
    pub snapshots: Vec<SnapshotFacts>,
    /// Ranked suspects, most likely leak first.
    pub suspects: Vec<Suspect>,
    /// Per-type comparison of the baseline and the current snapshot (oldest and newest unless
    /// chosen with [`analyze_between`]).
    pub comparison: Comparison,
    /// Per-type series, in the comparison's row order.
    pub types: Vec<TypeSeries>,
    /// The new objects (baseline → current) of the types that gained most, grouped by shape.
    pub new_groups: Vec<TypeGroups>,
    /// Containers in both the baseline and the current snapshot whose length grew most.
    pub growing: Vec<GrowingContainer>,
}

/// Per-holder accumulation across intervals.
struct Track {
    net_bytes: Vec<i64>,
    net_count: i64,
}

/// Analyzes `snapshots` (any order; at least two), keeping the `top` suspects.
///
/// # Example
/// ```
/// let head = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n";
/// let snap = |n: usize, time: &str| {
///     let mut lines = vec![format!("dict\t{{…}}\t1000\t{n}\ta0\t-\tCACHE")];
///     lines.extend((0..n).map(|i| format!("list\t[{i}]\t640\t1\t{:x}\ta0\t[{i}]", 0x1000 + i)));
///     lines.sort();
///     let text = format!("{head}#time\t{time}\n{}\n#end\t{}\n", lines.join("\n"), n + 1);
///     heapsnap::Snapshot::parse(time, text.into_bytes()).unwrap()
/// };
/// let (a, b, c) = (snap(2, "t1"), snap(4, "t2"), snap(6, "t3"));
/// let analysis = heapsnap::analyze(&[&c, &a, &b], 5);
/// let top = &analysis.suspects[0];
/// assert_eq!(top.path, "CACHE");
/// assert_eq!(top.lens, vec![Some(2), Some(4), Some(6)]);
/// assert_eq!(top.net_bytes, 4 * 640);
/// ```
pub fn analyze(snapshots: &[&Snapshot], top: usize) -> Analysis {
    analyze_between(snapshots, top, None)
}

/// Like [`analyze`], with the comparison, new-object groups and growing containers computed
/// from `snapshots[baseline]` to `snapshots[current]` (indexes into `snapshots`) instead of
/// from the oldest to the newest; suspects and series still cover every snapshot.
///
/// # Panics
/// When there are fewer than two snapshots, or an index is out of range.
pub fn analyze_between(snapshots: &[&Snapshot], top: usize, pair: Option<(usize, usize)>) -> Analysis {
    analyze_with(snapshots, top, pair, None)
}

/// Like [`analyze_between`], reusing retained sizes already computed: `retained[i]` belongs
/// to `snapshots[i]`. Without them (`None`), they are computed when every snapshot has edges.
pub fn analyze_with(
    snapshots: &[&Snapshot],
    top: usize,
    pair: Option<(usize, usize)>,
    retained: Option<&[&Retained]>,
) -> Analysis {
    assert!(snapshots.len() >= 2, "analyze needs at least two snapshots");
    if let Some(given) = retained {
        assert_eq!(given.len(), snapshots.len(), "one Retained per snapshot");
    }
    if let Some((b, c)) = pair {
        assert!(b < snapshots.len() && c < snapshots.len(), "baseline or current out of range");
    }
    let mut snaps: Vec<&Snapshot> = snapshots.to_vec();
    snaps.sort_by(|a, b| a.header().time().cmp(&b.header().time()).then_with(|| a.name().cmp(b.name())));
    let matchings: Vec<Matching> = snaps.windows(2).map(|w| Matching::new(w[0], w[1])).collect();

    // Retained sizes need edges in every snapshot; they cost a dominator tree each.
    let computed: Vec<Retained> = if retained.is_none() && snaps.iter().all(|s| s.has_refs()) {
        snaps.iter().filter_map(|s| Retained::of(s)).collect()
    } else {
        vec![]
    };
    let retained: Vec<&Retained> = match retained {
        // Reorder the given ones as the snapshots were sorted.
        Some(given) => snaps
            .iter()
            .map(|s| given[snapshots.iter().position(|x| std::ptr::eq(*x, *s)).expect("input snapshot")])
            .collect(),
        None => computed.iter().collect(),
    };

    // The compared pair, by position in time order; oldest and newest unless chosen.
    let position = |i: usize| snaps.iter().position(|s| std::ptr::eq(*s, snapshots[i])).expect("input snapshot");
    let (b, c) = pair.map_or((0, snaps.len() - 1), |(b, c)| (position(b), position(c)));
    let (baseline, current) = (snaps[b], snaps[c]);
    let compare_pair = || {
        let computed = if c == b + 1 { None } else { Some(Matching::new(baseline, current)) };
        let whole = computed.as_ref().unwrap_or_else(|| &matchings[b]);
        let comparison = Comparison::from_matching(baseline, current, whole);
        let types = type_series(&snaps, &comparison);
        let new_groups = new_object_groups(current, whole, &comparison, top, 5);
        let growing = growing_containers(baseline, current, whole, top);
        (comparison, types, new_groups, growing)
    };
    // The suspects and the pair's comparison are independent: on two cores, at once.
    let (suspects, (mut comparison, types, new_groups, growing)) =
        both(|| rank_suspects(&snaps, &matchings, &retained, top), compare_pair);
    if let Some(r) = retained.get(c) {
        comparison.set_retained(current, &r.by_type);
    }
    let newest = snaps[snaps.len() - 1];
    let mut snapshots: Vec<SnapshotFacts> = snaps.iter().map(|s| facts(s)).collect();
    if newest.header().gc_disabled() {
        snapshots[snaps.len() - 1].notes.push(format!(
            "{}: the process had disabled its garbage collector (gc.disable()), so garbage in reference \
             cycles is never freed",
            newest.name()
        ));
    }
    for (k, pair) in snaps.windows(2).enumerate() {
        if from_different_processes(pair[0], pair[1]) {
            let pid = |s: &Snapshot| s.header().pid().map_or_else(|| "?".to_owned(), |p| p.to_string());
            snapshots[k + 1].notes.push(format!(
                "{} comes from another process than {} (pid {} vs {}): objects are matched by holder path and \
                 contents, not by address",
                pair[1].name(),
                pair[0].name(),
                pid(pair[1]),
                pid(pair[0])
            ));
        }
    }
    Analysis { snapshots, suspects, comparison, types, new_groups, growing }
}

/// The suspects over every interval, ranked (see `docs/SUSPECTS.md`): each holder's net growth
/// per interval, siblings merged, garbage and subclass registries left out, scored and cut.
fn rank_suspects(snaps: &[&Snapshot], matchings: &[Matching], retained: &[&Retained], top: usize) -> Vec<Suspect> {
    let intervals = snaps.len() - 1;
    let newest = snaps[intervals];
    let mut tracks: FxHashMap<u32, Track> = FxHashMap::default();
    let mut attributions: Vec<Attribution> = Vec::with_capacity(intervals);
    for (k, pair) in snaps.windows(2).enumerate() {
        let matching = &matchings[k];
        // Re-key the holders followed so far from snapshot k to snapshot k + 1.
        tracks = tracks
            .into_iter()
            .filter_map(|(h, t)| Some(matching.after_of_before[h as usize]).filter(|&n| n != NONE).map(|n| (n, t)))
            .collect();
        let attribution = Attribution::new(pair[0], pair[1], matching);
        for g in &attribution.holders {
            let track =
                tracks.entry(g.holder as u32).or_insert_with(|| Track { net_bytes: vec![0; intervals], net_count: 0 });
            track.net_bytes[k] += g.net_bytes();
            track.net_count += g.net_count();
        }
        attributions.push(attribution);
    }
    let siblings = merge_siblings(snaps, &attributions, &mut tracks);
    // Garbage in reference cycles is freed at the collector's next run: no leak, unless the
    // process disabled the collector.
    if !newest.header().gc_disabled() {
        tracks.retain(|&h, _| root_edge(newest, h as usize) != Some(GARBAGE_ROOT));
    }
    // A class's registry of its subclasses grows only while the classes it names live: whatever
    // holds them is the suspect (their weak references keep nothing alive).
    tracks.retain(|&h, _| newest.object(h as usize).raw_edge() != Some(SUBCLASSES_EDGE));

    let mut scored: Vec<(f64, u32, Track)> = tracks
        .into_iter()
        .filter_map(|(h, t)| {
            let total: i64 = t.net_bytes.iter().sum();
            let growing = t.net_bytes.iter().filter(|&&b| b > 0).count();
            // (Not a number of objects: a string rebuilt longer, a bytearray extended in
            // place, grow with as many objects as before.)
            let steadiness = growing as f64 / intervals as f64;
            let score = total as f64 * steadiness * steadiness;
            // The score is at most the net growth: this floor is also one on growth. A small
            // one-off change (a cache the first capture filled) is not worth a line.
            (score >= MIN_NET_BYTES as f64).then_some((score, h, t))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Noise floor: a holder scoring under 1% of the first is not worth a reader's time.
    let floor = scored.first().map_or(0.0, |s| s.0 * MIN_SHARE_OF_TOP);
    scored.retain(|s| s.0 >= floor);
    scored.truncate(top);

    scored
        .into_iter()
        .map(|(score, h, track)| {
            let (path, members) = match siblings.get(&h) {
                Some((path, members)) => (Some(path.clone()), members.iter().map(|&m| m as usize).collect()),
                None => (None, vec![h as usize]),
            };
            suspect(snaps, matchings, &attributions, retained, Holders { top: h as usize, members, path }, track, score)
        })
        .collect()
}

/// Sibling holders of one type and path pattern whose growth is spread among them are scored
/// as one (see `siblings.rs`): their tracks are summed under the one that grew most. Returns,
/// by that one, the pattern and the members (sorted by index).
///
/// Roots that are new (objects reached from no root, made since the last snapshot) are charged
/// what they hold, and roots that are gone have nothing left to be charged to: a group of roots
/// nets the roots of its label and type that went away in each interval.
fn merge_siblings(
    snaps: &[&Snapshot],
    attributions: &[Attribution],
    tracks: &mut FxHashMap<u32, Track>,
) -> FxHashMap<u32, (String, Vec<u32>)> {
    let intervals = attributions.len();
    let last = snaps[intervals];
    let mut holders: Vec<u32> = tracks.keys().copied().collect();
    holders.sort_unstable();
    let mut merged = FxHashMap::default();
    for candidates in candidate_groups(last, &holders) {
        let growth = |h: &u32| tracks[h].net_bytes.iter().sum::<i64>().max(0);
        // Spread: no one member gained more than half of what they gained together. A
        // member that did is a suspect of its own, and its siblings too if they grew enough.
        let spread = |members: &[u32]| {
            let (largest, top) = members.iter().map(|m| (growth(m), std::cmp::Reverse(*m))).max()?;
            let all: i64 = members.iter().map(growth).sum();
            (all > 0 && 2 * largest <= all).then_some(top.0)
        };
        if spread(&candidates).is_none() {
            continue;
        }
        let Some((path, members)) = pattern(last, &candidates) else { continue };
        let Some(top) = spread(&members) else { continue };
        let mut sum = Track { net_bytes: vec![0; intervals], net_count: 0 };
        for m in &members {
            let t = tracks.remove(m).expect("a track per member");
            sum.net_bytes.iter_mut().zip(&t.net_bytes).for_each(|(s, b)| *s += b);
            sum.net_count += t.net_count;
        }
        let top_object = last.object(top as usize);
        if top_object.parent().is_none() {
            let label = top_object.raw_edge().map(label_key);
            let same_root = |o: crate::ObjectRef<'_>| {
                o.parent().is_none() && o.raw_edge().map(label_key) == label && o.type_name() == top_object.type_name()
            };
            for (k, attribution) in attributions.iter().enumerate() {
                for gone in attribution.freed_roots.iter().filter(|g| same_root(snaps[k].object(g.holder))) {
                    sum.net_bytes[k] -= gone.freed_bytes as i64;
                    sum.net_count -= gone.freed_count as i64;
                }
            }
        }
        tracks.insert(top, sum);
        merged.insert(top, (path, members));
    }
    merged
}

/// The holders one suspect stands for.
struct Holders {
    /// Index in the newest snapshot of the one that grew most.
    top: usize,
    /// Indexes in the newest snapshot of all of them (`top` alone for one holder).
    members: Vec<usize>,
    /// Their path pattern, when several.
    path: Option<String>,
}

fn suspect(
    snaps: &[&Snapshot],
    matchings: &[Matching],
    attributions: &[Attribution],
    retained: &[&Retained],
    holders: Holders,
    track: Track,
    score: f64,
) -> Suspect {
    let last = *snaps.last().expect("at least two snapshots");
    let holder = holders.top;
    let obj = last.object(holder);
    // Each holder's index in each snapshot, following it back through the matchings.
    let index_in: Vec<Vec<Option<usize>>> = holders
        .members
        .iter()
        .map(|&m| {
            let mut index_in = vec![None; snaps.len()];
            index_in[snaps.len() - 1] = Some(m);
            for k in (1..snaps.len()).rev() {
                index_in[k - 1] =
                    index_in[k].map(|i| matchings[k - 1].before_of_after[i]).filter(|&p| p != NONE).map(|p| p as usize);
            }
            index_in
        })
        .collect();
    // Their summed length in each snapshot.
    let lens: Vec<Option<u64>> =
        (0..snaps.len()).map(|k| sum_present(&index_in, k, |i| snaps[k].object(i).length())).collect();
    // What they gained in the last interval in which they grew.
    let k = track.net_bytes.iter().rposition(|&b| b > 0).unwrap_or(track.net_bytes.len() - 1);
    let grown = snaps[k + 1];
    let at: Vec<usize> = index_in.iter().filter_map(|at| at[k + 1]).collect();
    let (charged, direct) = attributions[k].new_of_any(grown, &at);
    // Of roots grouped together (objects no root reaches), the new entries are the new roots.
    let new_roots: Vec<usize> = if holders.members.len() > 1 && obj.parent().is_none() {
        index_in.iter().filter(|at| at[k].is_none()).filter_map(|at| at[k + 1]).collect()
    } else {
        Vec::new()
    };
    let mut shown = match (new_roots.is_empty(), direct.is_empty()) {
        (false, _) => new_roots,
        (true, false) => direct,
        (true, true) => charged.clone(),
    };
    // A dict's entries are described by their values; by their keys only when it gained no values.
    let is_key = |&i: &usize| grown.object(i).raw_edge() == Some("<key>");
    if shown.iter().any(is_key) && !shown.iter().all(is_key) {
        shown.retain(|i| !is_key(i));
    }
    let entries: Vec<ContentGroup> = group_by_shape(grown, shown).into_iter().take(3).collect();
    // Where its entries were made; else where anything it gained was made.
    let sites = match entries.first() {
        Some(g) if !g.sites.is_empty() => g.sites.clone(),
        _ => {
            let mut counts: FxHashMap<String, u64> = FxHashMap::default();
            for &i in &charged {
                if let Some(site) = grown.object(i).site() {
                    *counts.entry(site.into_owned()).or_insert(0) += 1;
                }
            }
            ranked(counts, 5)
        }
    };
    let path = holders.path.unwrap_or_else(|| path_or_address(last, holder));
    let garbage = path.starts_with(GARBAGE_ROOT);
    let unreached = garbage || path.starts_with("<unreached>");
    let net_bytes: i64 = track.net_bytes.iter().sum();
    let growing_intervals = track.net_bytes.iter().filter(|&&b| b > 0).count();
    let mut s = Suspect {
        type_name: obj.type_name().to_owned(),
        path,
        holders: holders.members.len(),
        unreached,
        garbage,
        replaced: false,
        contents: obj.repr().into_owned(),
        lens,
        net_bytes_per_interval: track.net_bytes,
        net_bytes,
        net_count: track.net_count,
        growing_intervals,
        score,
        entries,
        sites,
        sentence: String::new(),
        index: holder,
        // (Siblings of one pattern sit at one depth: none dominates another, so their
        // retained sizes add up.)
        retained: retained
            .iter()
            .enumerate()
            .map(|(k, r)| sum_present(&index_in, k, |i| Some(r.dominators.retained[i])))
            .collect(),
    };
    if !grew_in_length(&s.lens) {
        if let Some(slot) = replaced_slot(snaps, &index_in, &s.path, s.net_bytes, MIN_NET_BYTES) {
            if let Some(now) = slot.objects[slot.top][snaps.len() - 1] {
                let value = last.object(now);
                s.path = slot.path;
                s.type_name = value.type_name().to_owned();
                s.contents = value.repr().into_owned();
                s.lens =
                    (0..snaps.len()).map(|k| sum_present(&slot.objects, k, |i| snaps[k].object(i).length())).collect();
                s.index = now;
                s.replaced = true;
            }
        }
    }
    let newest = snaps[snaps.len() - 1].header();
    s.sentence = sentence(&s, snaps.len(), newest.gc_disabled(), newest.get("garbage").is_some());
    s
}

/// `__main__._RECORD_CACHE (dict) grew 2,000 → 6,000 entries (+1.2 MiB) over 3 snapshots; …`
fn sentence(s: &Suspect, snapshots: usize, gc_disabled: bool, knows_garbage: bool) -> String {
    let mut out = if s.holders > 1 {
        format!("{} ({} × {})", s.path, thousands(s.holders as i64), s.type_name)
    } else {
        format!("{} ({})", s.path, s.type_name)
    };
    let first = s.lens.iter().flatten().next();
    match (first, s.lens.last().copied().flatten()) {
        (Some(&a), Some(b)) if b > a => {
            out += &format!(
                " grew {} → {} {}{} ({})",
                thousands(a as i64),
                thousands(b as i64),
                length_unit(&s.type_name),
                if s.holders > 1 { " in all" } else { "" },
                signed_bytes(s.net_bytes)
            )
        }
        _ if s.net_count > 0 => {
            out += &format!(" gained {} objects ({})", thousands(s.net_count), signed_bytes(s.net_bytes))
        }
        _ => {
            out += &format!(
                " grew by {} with no more objects (larger ones replaced smaller ones, or it grew in place)",
                signed_bytes(s.net_bytes).trim_start_matches('+')
            )
        }
    }
    out += &format!(" over {snapshots} snapshots");
    if s.growing_intervals < snapshots - 1 {
        out += &format!(", growing in {} of {} intervals", s.growing_intervals, snapshots - 1);
    }
    if s.replaced {
        let what = if s.holders > 1 { format!("larger {}s", s.type_name) } else { format!("a larger {}", s.type_name) };
        out += &format!(", replaced by {what} (rebuilt, as s += … does)");
    } else if let Some(g) = s.entries.first() {
        out += &format!("; new entries look like {}", short(&g.shape, 80));
        // (`<class …>`, `<function …>` name their type; `<redacted>` does not.)
        if g.type_name != "str" && (!g.shape.starts_with('<') || g.shape.starts_with("<redacted>")) {
            out += &format!(" ({})", g.type_name);
        }
    }
    // (The most common frame of the application's code: callers further out may differ.)
    if let Some(site) = most_common_label(&s.sites) {
        out += &format!("; created at {site}");
    }
    if s.garbage && gc_disabled {
        out += "; it is garbage in reference cycles (nothing else refers to it), never freed because the \
                process disabled the garbage collector (gc.disable())";
    } else if s.garbage {
        out += "; it is garbage in reference cycles (nothing else refers to it), which the collector frees";
    } else if s.unreached && knows_garbage {
        out += "; no root reaches it, and it is not garbage: C code holds it";
    } else if s.unreached && gc_disabled {
        out += "; no root reaches it, and the process disabled the garbage collector (gc.disable()): \
                garbage in reference cycles is never freed (or C code holds it)";
    } else if s.unreached {
        out += "; no root reaches it (held by C code, or garbage in a cycle)";
    }
    out
}

/// The sum over the rows present in snapshot `k` (`rows[m][k]`, an index there) of
/// `value(index)`; `None` when none of them gives a value.
fn sum_present(rows: &[Vec<Option<usize>>], k: usize, value: impl Fn(usize) -> Option<u64>) -> Option<u64> {
    rows.iter().filter_map(|at| at[k].and_then(&value)).fold(None, |sum, v| Some(sum.unwrap_or(0) + v))
}

/// Whether the length grew from the first snapshot that has one to the last.
fn grew_in_length(lens: &[Option<u64>]) -> bool {
    matches!((lens.iter().flatten().next(), lens.last().copied().flatten()), (Some(&a), Some(b)) if b > a)
}

/// The innermost frame of a site, with the file's directory dropped: `service.py:26`.
fn short(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        s.chars().take(width - 1).chain(std::iter::once('…')).collect()
    }
}

fn facts(s: &Snapshot) -> SnapshotFacts {
    let bytes: u64 = s.size_sum(0..s.len());
    let rss = s.header().rss();
    SnapshotFacts {
        name: s.name().to_owned(),
        time: s.header().time().map(str::to_owned),
        objects: s.len() as u64,
        bytes,
        rss,
        rss_coverage: rss.filter(|&r| r > 0).map(|r| bytes as f64 / r as f64),
        notes: notes(s),
    }
}

fn notes(s: &Snapshot) -> Vec<String> {
    let mut notes = Vec::new();
    if !s.was_sorted() {
        notes.push(format!("{}: lines were not in byte order (edited or concatenated?); sorted on reading", s.name()));
    }
    if !s.has_paths() {
        notes.push(format!("{}: no parent/edge columns, so no holder paths or suspects", s.name()));
    }
    notes
}

fn type_series(snaps: &[&Snapshot], comparison: &Comparison) -> Vec<TypeSeries> {
    let mut row_of: FxHashMap<&str, usize> = FxHashMap::default();
    let mut series: Vec<TypeSeries> = comparison
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            row_of.insert(&r.type_name, i);
            TypeSeries { type_name: r.type_name.clone(), counts: vec![0; snaps.len()], bytes: vec![0; snaps.len()] }
        })
        .collect();
    for (k, snap) in snaps.iter().enumerate() {
        let rows: Vec<Option<usize>> = snap.type_names().iter().map(|t| row_of.get(&**t).copied()).collect();
        for (t, range) in snap.type_runs() {
            if let Some(r) = rows[t as usize] {
                series[r].counts[k] += range.len() as u64;
                series[r].bytes[k] += snap.size_sum(range);
            }
        }
    }
    series
}
