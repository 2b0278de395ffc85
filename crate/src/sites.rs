//! Allocation sites: which frame of a traceback to show.
//!
//! A site is written innermost frame first, `file:line<file:line…` (FORMAT.md). Under
//! `PYTHONTRACEMALLOC=N` with N > 1, the innermost frame is often the standard library's or a
//! package's (`json/decoder.py:353` for every dict `json.loads` makes): the frame that answers
//! "where was it created" is the innermost one in the application's own code.

/// Whether `file` is the interpreter's or an installed package's, not the application's.
pub fn is_library(file: &str) -> bool {
    file.starts_with('<') // <frozen importlib._bootstrap>, <string>
        || ["/site-packages/", "/dist-packages/", "/lib/python", "\\Lib\\", "/lib/pypy"].iter().any(|p| file.contains(p))
}

/// The frame to show of `site`: the innermost one in the application's code, or the
/// innermost one when all are libraries'; and the innermost frame when that is another.
pub fn shown_frame(site: &str) -> (&str, Option<&str>) {
    let innermost = frames(site).next().unwrap_or(site);
    match frames(site).find(|frame| !is_library(file_of(frame))) {
        Some(frame) if frame != innermost => (frame, Some(innermost)),
        _ => (innermost, None),
    }
}

/// The frames of `site`, innermost first: split at each `<` that ends a line number (a file
/// may start with `<` too: `<frozen runpy>:88`).
fn frames(site: &str) -> impl Iterator<Item = &str> {
    let bytes = site.as_bytes();
    let mut start = 0;
    let mut at = 0;
    std::iter::from_fn(move || {
        while start < bytes.len() {
            if at == bytes.len() || bytes[at] == b'<' && at > start && bytes[at - 1].is_ascii_digit() {
                let frame = &site[start..at];
                start = at + 1;
                at = start;
                return Some(frame);
            }
            at += 1;
        }
        None
    })
}

/// `jsonleak.py:6`, or `jsonleak.py:6 via json/decoder.py:353` when the innermost frame is a
/// library's: the shown frame by its file name, the library's by its last two components.
///
/// # Example
/// ```
/// let site = "/usr/lib/python3.11/json/decoder.py:353</srv/app/views.py:6</srv/app/views.py:9";
/// assert_eq!(heapsnap::site_label(site), "views.py:6 via json/decoder.py:353");
/// assert_eq!(heapsnap::site_label("/srv/app/cache.py:26"), "cache.py:26");
/// ```
pub fn site_label(site: &str) -> String {
    label(shown_frame(site), 1)
}

/// [`site_label`] with the shown frame's whole path: for a list of sites, where the reader
/// goes to the file next.
pub fn site_label_long(site: &str) -> String {
    label(shown_frame(site), usize::MAX)
}

/// A shown frame (and the library's it came through) as text, the frame by its last `parts`
/// path components.
fn label((frame, via): (&str, Option<&str>), parts: usize) -> String {
    match via {
        Some(library) => format!("{} via {}", tail(frame, parts), tail(library, 2)),
        None => tail(frame, parts).to_owned(),
    }
}

/// The [`site_label`] of the most common shown frame of `sites` (sites whose callers further
/// out differ count together), ties broken as [`labelled_sites`] does.
pub(crate) fn most_common_label(sites: &[(String, u64)]) -> Option<String> {
    let (site, _) = shown_frames(sites).into_iter().next()?;
    Some(site_label(site))
}

/// `sites` (`(site, count)`) as a reader is shown them: by [`site_label_long`], those of one
/// label merged (callers further out differ), most common first, then by label.
///
/// # Example
/// ```
/// let sites = vec![
///     ("/usr/lib/python3.11/json/decoder.py:353</srv/app/views.py:6</srv/app/a.py:1".to_owned(), 3),
///     ("/usr/lib/python3.11/json/decoder.py:353</srv/app/views.py:6</srv/app/b.py:2".to_owned(), 2),
///     ("/srv/app/cache.py:26".to_owned(), 4),
/// ];
/// assert_eq!(
///     heapsnap::labelled_sites(&sites),
///     vec![("/srv/app/views.py:6 via json/decoder.py:353".to_owned(), 5), ("/srv/app/cache.py:26".to_owned(), 4)]
/// );
/// ```
pub fn labelled_sites(sites: &[(String, u64)]) -> Vec<(String, u64)> {
    shown_frames(sites).into_iter().map(|(site, count)| (site_label_long(site), count)).collect()
}

/// `sites` merged by their [`site_label_long`], each as one of its sites and the summed count,
/// most common first, then by that label.
fn shown_frames(sites: &[(String, u64)]) -> Vec<(&str, u64)> {
    let mut out: Vec<(String, &str, u64)> = Vec::with_capacity(sites.len());
    for (site, count) in sites {
        let long = site_label_long(site);
        match out.iter_mut().find(|(l, _, _)| *l == long) {
            Some((_, _, n)) => *n += count,
            None => out.push((long, site, *count)),
        }
    }
    out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    out.into_iter().map(|(_, site, count)| (site, count)).collect()
}

fn file_of(frame: &str) -> &str {
    frame.rsplit_once(':').map_or(frame, |(file, _)| file)
}

/// The last `n` components of a frame's path (with its line).
fn tail(frame: &str, n: usize) -> &str {
    let mut cut = frame.len();
    for _ in 0..n {
        match frame[..cut].rfind(['/', '\\']) {
            Some(at) => cut = at,
            None => return frame,
        }
    }
    &frame[cut + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_frame_of_the_application_is_shown() {
        let site = "/usr/lib/python3.11/json/decoder.py:353</usr/lib/python3.11/json/__init__.py:346\
                    </srv/app/handlers.py:6</srv/app/main.py:9";
        assert_eq!(shown_frame(site), ("/srv/app/handlers.py:6", Some("/usr/lib/python3.11/json/decoder.py:353")));
        assert_eq!(site_label(site), "handlers.py:6 via json/decoder.py:353");
        assert_eq!(site_label_long(site), "/srv/app/handlers.py:6 via json/decoder.py:353");
        assert_eq!(
            most_common_label(&[(site.to_owned(), 2), ("/srv/app/other.py:1".to_owned(), 1)]).unwrap(),
            site_label(site)
        );
        // One frame, or only libraries': the innermost.
        assert_eq!(site_label("/srv/app/cache.py:26"), "cache.py:26");
        let libraries = "/venv/lib/python3.12/site-packages/sqlalchemy/orm/session.py:80<<frozen runpy>:88";
        assert_eq!(site_label(libraries), "session.py:80");
        assert_eq!(frames(libraries).collect::<Vec<_>>()[1], "<frozen runpy>:88");
        assert_eq!(site_label("<frozen runpy>:88</srv/app.py:4"), "app.py:4 via <frozen runpy>:88");
        assert_eq!(site_label("app.py:3"), "app.py:3");
        assert_eq!(
            site_label("C:\\Python311\\Lib\\json\\decoder.py:353<C:\\srv\\app.py:4"),
            "app.py:4 via json\\decoder.py:353"
        );
    }
}
