//! Field escaping of the snapshot format: `\\`, `\t`, `\n`, `\r` and `\xHH`.

use std::borrow::Cow;

/// Whether every backslash in `field` starts an escape the format defines.
pub fn is_valid(field: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &field[i..]) {
        let p = i + at + 1;
        match field.get(p) {
            Some(b'\\' | b't' | b'n' | b'r') => i = p + 1,
            Some(b'x') => {
                let hex = field.get(p + 1..p + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i = p + 3;
            }
            _ => return false,
        }
    }
    true
}

/// The text `field` stands for, borrowed when it holds no escape.
///
/// Invalid escapes (which the parser has already refused) are kept as they are.
pub fn unescape(field: &str) -> Cow<'_, str> {
    if !field.contains('\\') {
        return Cow::Borrowed(field);
    }
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let (ch, used) = match tail.as_bytes().first() {
            Some(b'\\') => ('\\', 1),
            Some(b't') => ('\t', 1),
            Some(b'n') => ('\n', 1),
            Some(b'r') => ('\r', 1),
            Some(b'x') => match tail.get(1..3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => (char::from(b), 3),
                None => ('\\', 0),
            },
            _ => ('\\', 0),
        };
        out.push(ch);
        rest = &tail[used..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_escapes() {
        assert!(is_valid(br"a\\b\tc\nd\re\x1f"));
        assert!(is_valid(b"no escapes"));
        assert!(!is_valid(br"bad \q"));
        assert!(!is_valid(br"cut \x1"));
        assert!(!is_valid(b"trailing \\"));
    }

    #[test]
    fn unescape_round() {
        assert_eq!(unescape(r"a\\b\tc\x07"), "a\\b\tc\u{7}");
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
    }
}
