//! The "shape" of an object's contents: what objects made by the same code have in common.
//!
//! Dicts are shaped by their keys (`{id, user, ts}`); anything else by its contents with
//! runs of digits and long hex ids masked (`'user#'`, `UUID('#-#-#-#-#')`), so records that
//! differ only in their numbers group.

use std::ops::Range;

/// The shape of bounded contents `repr` (as unescaped for display).
///
/// # Example
/// ```
/// use heapsnap::shape_of;
/// assert_eq!(shape_of("{'id': 7, 'user': 'u7', 'tags': [1, 2]}"), "{id, user, tags}");
/// assert_eq!(shape_of("{'a': 1, …12}"), "{a, …}");
/// assert_eq!(shape_of("'session-1234'"), "'session-#'");
/// ```
pub fn shape_of(repr: &str) -> String {
    let body = repr.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
    if let Some(keys) = body.and_then(dict_keys) {
        return format!("{{{}}}", keys.join(", "));
    }
    if let Some((file, line)) = code_location(repr) {
        // `<function f at app/v2/jobs.py:12>`: the file says which code, it is not data; its digits stay.
        return format!("{}{}:#{}", mask_digits(&repr[..file.start]), &repr[file], mask_digits(&repr[line.end..]));
    }
    mask_digits(repr)
}

/// In the repr of code or a definition (`<function f at a.py:12>`, `<coroutine g at a.py:3>`),
/// where its file name is and where its line number is.
fn code_location(repr: &str) -> Option<(Range<usize>, Range<usize>)> {
    if !repr.starts_with('<') || !repr.ends_with('>') {
        return None;
    }
    let file = repr.rfind(" at ")? + 4;
    let colon = file + repr[file..].rfind(':')?;
    let digits = repr[colon + 1..].bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && colon > file && !repr[file..colon].contains(' '))
        .then_some((file..colon, colon + 1..colon + 1 + digits))
}

/// Top-level keys of a dict literal's inside, or `None` if it is not one.
fn dict_keys(body: &str) -> Option<Vec<String>> {
    if body.is_empty() {
        return Some(Vec::new());
    }
    let mut keys = Vec::new();
    for item in split_top_level(body, ',') {
        let item = item.trim();
        if item.starts_with('…') {
            keys.push("…".to_owned());
            continue;
        }
        let colon = find_top_level(item, ':')?;
        let key = item[..colon].trim();
        keys.push(unquote_identifier(key).map_or_else(|| mask_digits(key), str::to_owned));
    }
    Some(keys)
}

fn unquote_identifier(key: &str) -> Option<&str> {
    let inner = key.strip_prefix('\'').and_then(|k| k.strip_suffix('\''))?;
    let mut chars = inner.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')).then_some(inner)
}

/// Splits on `sep` outside brackets and quotes.
pub(crate) fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut rest = s;
    while let Some(at) = find_top_level(rest, sep) {
        parts.push(&s[start..start + at]);
        start += at + sep.len_utf8();
        rest = &s[start..];
    }
    parts.push(&s[start..]);
    parts
}

/// Byte offset of the first `target` outside brackets and quoted strings.
fn find_top_level(s: &str, target: char) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth -= 1,
            _ if c == target && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Masks runs of digits as `#`, and whole hex words of 8 or more characters that hold a digit
/// (a hash, a UUID's first part) with the hex words joined to them by `-` (the UUID's other
/// parts), so that ids made by one line of code share a shape. Short words keep their letters:
/// `cb20` is `cb#`.
fn mask_digits(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut hex_chain = false; // the word before was masked whole, and a `-` follows it so far
    while i < bytes.len() {
        // (Every byte of a multi-byte character is >= 0x80, never alphanumeric: runs split at characters.)
        let start = i;
        let word = bytes[i].is_ascii_alphanumeric();
        let (mut hex, mut digit) = (true, false);
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() == word {
            hex &= bytes[i].is_ascii_hexdigit();
            digit |= bytes[i].is_ascii_digit();
            i += 1;
        }
        if !word {
            hex_chain = hex_chain && &s[start..i] == "-";
            out.push_str(&s[start..i]);
        } else if hex && (hex_chain || digit && i - start >= 8) {
            out.push('#');
            hex_chain = true;
        } else {
            hex_chain = false;
            let mut in_digits = false;
            for &b in &bytes[start..i] {
                if b.is_ascii_digit() {
                    if !in_digits {
                        out.push('#');
                    }
                } else {
                    out.push(char::from(b));
                }
                in_digits = b.is_ascii_digit();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape_of("{}"), "{}");
        assert_eq!(shape_of("{'a:b': 1, 2: 'x, y', 'k': {'n': 1}}"), "{'a:b', #, k}");
        assert_eq!(shape_of("{'q': 'it\\'s, ok', 'r': 1}"), "{q, r}");
        assert_eq!(shape_of("[1, 22, 333]"), "[#, #, #]");
        assert_eq!(shape_of("{1, 2}"), "{#, #}");
        assert_eq!(shape_of("<function f at a.py:12>"), "<function f at a.py:#>");
        assert_eq!(
            shape_of("<function g.<locals>.<lambda> at /srv/v2/app3.py:40>"),
            "<function g.<locals>.<lambda> at /srv/v2/app3.py:#>"
        );
        assert_eq!(shape_of("<coroutine w at /srv/v2/a.py:40 suspended>"), "<coroutine w at /srv/v2/a.py:# suspended>");
        assert_eq!(shape_of("<module 'plugin_2_10'>"), "<module 'plugin_#_#'>");
        assert_eq!(shape_of("'/api/orders/123'"), "'/api/orders/#'");
        assert_eq!(shape_of("UUID('2b5180f4-bfd7-4b22-93ac-879049c947e9')"), "UUID('#-#-#-#-#')");
        assert_eq!(
            shape_of("'sha 9f86d081884c7d65 face user7a x1f cb20 abc-d1'"),
            "'sha # face user#a x#f cb# abc-d#'"
        );
        assert_eq!(shape_of("'run-0a1b2c3d-e4f5-ab-7 e'"), "'run-#-#-#-# e'");
        assert_eq!(shape_of("'naïve 12 ü3'"), "'naïve # ü#'");
    }
}
