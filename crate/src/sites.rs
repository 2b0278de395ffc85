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
    let (frame, via) = shown_frame(site);
    match via {
        Some(library) => format!("{} via {}", tail(frame, 1), tail(library, 2)),
        None => tail(frame, 1).to_owned(),
    }
}

/// [`site_label`] with the shown frame's whole path: for a list of sites, where the reader
/// goes to the file next.
pub fn site_label_long(site: &str) -> String {
    match shown_frame(site) {
        (frame, Some(library)) => format!("{frame} via {}", tail(library, 2)),
        (frame, None) => frame.to_owned(),
    }
}

/// A [`site_label_long`] with the shown frame's file name only, as [`site_label`] has it.
pub(crate) fn short_label(long: &str) -> String {
    match long.split_once(" via ") {
        Some((frame, via)) => format!("{} via {via}", tail(frame, 1)),
        None => tail(long, 1).to_owned(),
    }
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
    let mut out: Vec<(String, u64)> = Vec::with_capacity(sites.len());
    for (site, count) in sites {
        let label = site_label_long(site);
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += count,
            None => out.push((label, *count)),
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
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
        assert_eq!(short_label(&site_label_long(site)), site_label(site));
        // One frame, or only libraries': the innermost.
        assert_eq!(site_label("/srv/app/cache.py:26"), "cache.py:26");
        let libraries = "/venv/lib/python3.12/site-packages/sqlalchemy/orm/session.py:80<<frozen runpy>:88";
        assert_eq!(site_label(libraries), "session.py:80");
        assert_eq!(frames(libraries).collect::<Vec<_>>()[1], "<frozen runpy>:88");
        assert_eq!(site_label("<frozen runpy>:88</srv/app.py:4"), "app.py:4 via <frozen runpy>:88");
        assert_eq!(site_label("app.py:3"), "app.py:3");
        assert_eq!(site_label("C:\\Python311\\Lib\\json\\decoder.py:353<C:\\srv\\app.py:4"), "app.py:4 via json\\decoder.py:353");
    }
}
