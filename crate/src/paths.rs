//! Holder paths: the chain of edges from a root to an object, read as Python.

use crate::escape;
use crate::snapshot::Snapshot;

/// Longest chain followed; deeper objects show `…` at the front.
const MAX_DEPTH: usize = 64;

/// [`holder_path`] of object `index`, or `type at 0xID` when the snapshot records no paths.
pub fn path_or_address(snap: &Snapshot, index: usize) -> String {
    holder_path(snap, index).unwrap_or_else(|| {
        let o = snap.object(index);
        format!("{} at 0x{:x}", o.type_name(), o.id())
    })
}

/// The path from a root to object `index`, as FORMAT.md says readers show it:
/// `app.cache._store['k']`, `<thread worker-1> handle() locals['batch']`.
///
/// `None` when the snapshot records no paths.
///
/// # Example
/// ```
/// let text = "#heapsnap 1\n#columns\ttype\trepr\tsize\tlen\tid\tparent\tedge\n\
///             dict\t{…}\t64\t1\t20\t10\t.__dict__\n\
///             list\t[]\t56\t0\t30\t20\t['items']\n\
///             module\t<module 'app'>\t72\t-\t10\t-\tapp\n#end\t3\n";
/// let snap = heapsnap::Snapshot::parse("a", text.as_bytes().to_vec()).unwrap();
/// assert_eq!(heapsnap::holder_path(&snap, 1).unwrap(), "app.items");
/// ```
pub fn holder_path(snap: &Snapshot, index: usize) -> Option<String> {
    if !snap.has_paths() {
        return None;
    }
    let (edges, cut) = raw_edges(snap, index, MAX_DEPTH);
    let mut out = String::from(if cut { "…" } else { "" });
    for edge in edges {
        push_segment(&mut out, &escape::unescape(edge));
    }
    Some(out)
}

/// The edge labels, as written (escaped), of the chain from a root to object `index`, root
/// first; `<gone>` first when the chain starts at an object whose parent is not in the file,
/// `?` for an object without a label. The nearest `max` are kept; the second value says
/// whether the chain went on beyond them.
pub(crate) fn raw_edges(snap: &Snapshot, index: usize, max: usize) -> (Vec<&str>, bool) {
    let mut edges: Vec<&str> = Vec::new();
    let mut at = Some(index);
    let mut cut = false;
    while let Some(i) = at {
        if edges.len() == max {
            cut = true;
            break;
        }
        let obj = snap.object(i);
        edges.push(obj.raw_edge().unwrap_or("?"));
        at = snap.parent_index(i);
        if at.is_none() && obj.parent().is_some() {
            edges.push("<gone>");
        }
    }
    edges.reverse();
    (edges, cut)
}

/// The edge label, as written, of the root that object `index` was reached from (`app`,
/// `<unreached>`, `<garbage>` …); `None` when the snapshot records no paths or the chain
/// starts at an object whose parent is not in the file.
pub(crate) fn root_edge(snap: &Snapshot, index: usize) -> Option<&str> {
    let mut at = index;
    // (Parents form a tree, written by a breadth-first walk; the bound only guards bad files.)
    for _ in 0..=snap.len() {
        match snap.parent_index(at) {
            Some(parent) => at = parent,
            None => {
                let obj = snap.object(at);
                return obj.parent().is_none().then(|| obj.raw_edge()).flatten();
            }
        }
    }
    None
}

/// Appends one edge label to a path.
pub(crate) fn push_segment(out: &mut String, edge: &str) {
    if let Some(name) = dict_key_as_attribute(edge) {
        if let Some(stem) = out.strip_suffix(".__dict__") {
            out.truncate(stem.len());
            out.push('.');
            out.push_str(name);
            return;
        }
    }
    let starts_word = edge.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '<');
    if !out.is_empty() && !out.ends_with('…') && starts_word {
        out.push(' ');
    }
    out.push_str(edge);
}

/// `name` when `edge` is `['name']` and `name` is a Python identifier.
fn dict_key_as_attribute(edge: &str) -> Option<&str> {
    let name = edge.strip_prefix("['")?.strip_suffix("']")?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(edges: &[&str]) -> String {
        let mut out = String::new();
        for e in edges {
            push_segment(&mut out, e);
        }
        out
    }

    #[test]
    fn segments_read_as_python() {
        assert_eq!(
            join(&["app", ".__dict__", "['cache']", ".__dict__", "['_store']", "['k']"]),
            "app.cache._store['k']"
        );
        assert_eq!(
            join(&["<thread worker-1> handle()", "locals['batch']", "[0]"]),
            "<thread worker-1> handle() locals['batch'][0]"
        );
        assert_eq!(join(&["app", ".__dict__", "['not an identifier']"]), "app.__dict__['not an identifier']");
        assert_eq!(join(&["<unreached>", "<referent>", "[3]"]), "<unreached> <referent>[3]");
        assert_eq!(join(&["m", ".__dict__", "[42]"]), "m.__dict__[42]");
    }

    #[test]
    fn the_root_of_an_object_is_found_by_its_parents() {
        let snap = crate::synthetic::with_paths(
            "s",
            None,
            vec![
                "module\t<module 'm'>\t72\t-\t10\t-\tm".into(),
                "list\t[]\t56\t0\t20\t10\t.items".into(),
                "__main__.Node\tNode()\t48\t-\t30\t-\t<garbage>".into(),
                "dict\t{}\t64\t0\t40\t30\t.__dict__".into(),
                "dict\t{}\t64\t0\t50\t99\t['lost']".into(),
            ],
        );
        let index = |id: u64| (0..snap.len()).find(|&i| snap.object(i).id() == id).unwrap();
        assert_eq!(root_edge(&snap, index(0x20)), Some("m"));
        assert_eq!(root_edge(&snap, index(0x40)), Some("<garbage>"));
        assert_eq!(root_edge(&snap, index(0x30)), Some("<garbage>"));
        assert_eq!(root_edge(&snap, index(0x50)), None, "its parent is not in the file");
    }
}
