//! Reading one object line: a fast path for well-formed lines, and a plain reference reader
//! that is used when the fast path declines a line and says what is wrong with it.
//!
//! The fast path walks the line once: text fields end at the next tab or newline that a
//! [`Structural`] cursor gives (64 bytes classified at a time), numbers are parsed byte by
//! byte where they stand.

use crate::error::ErrorKind;
use crate::escape;
use crate::snapshot::NO_PARENT;
use crate::structural::Structural;

/// What the reader does with each declared column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Type,
    Repr,
    Size,
    Len,
    Id,
    Parent,
    Edge,
    Site,
    Refs,
    Ignored,
}

impl Role {
    pub(crate) fn of(name: &str) -> Role {
        match name {
            "type" => Role::Type,
            "repr" => Role::Repr,
            "size" => Role::Size,
            "len" => Role::Len,
            "id" => Role::Id,
            "parent" => Role::Parent,
            "edge" => Role::Edge,
            "site" => Role::Site,
            "refs" => Role::Refs,
            _ => Role::Ignored,
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Role::Type | Role::Repr | Role::Edge | Role::Site | Role::Refs | Role::Ignored)
    }

    /// Whether the parsed model keeps the column as text (the others become columns of
    /// numbers, or the interned type).
    pub(crate) fn is_kept(self) -> bool {
        self.is_text() && self != Role::Type
    }
}

/// Pushes on `kept` the start and end of each kept text field of `line` (which starts at
/// `start` in the buffer, has as many fields as `roles` and no newline).
pub(crate) fn push_kept_fields(line: &[u8], start: usize, roles: &[Role], kept: &mut Vec<u32>) {
    let mut at = start;
    for (field, role) in line.split(|&b| b == b'\t').zip(roles) {
        if role.is_kept() {
            kept.extend([at as u32, (at + field.len()) as u32]);
        }
        at += field.len() + 1;
    }
}

/// The values of one object line.
#[derive(Debug, Default)]
pub(crate) struct LineFields<'d> {
    /// The type field, escaped.
    pub type_name: &'d [u8],
    pub size: u64,
    pub len: Option<u64>,
    pub id: u64,
    /// `0` when absent (`-` or no column).
    pub parent: u64,
    /// Whether the type field holds a backslash (its escapes are not checked yet).
    pub type_escaped: bool,
}

/// A line read by [`read_fast`]: its fields, where it ends (before `\r\n`/`\n`), and
/// where the next line starts.
pub(crate) struct ReadLine<'d> {
    pub fields: LineFields<'d>,
    pub end: usize,
    pub next: usize,
}

/// Reads the well-formed object line starting at `pos`, or declines (`None`) when anything
/// is unusual: a bad number or escape, a wrong column count, a missing newline.
///
/// `cursor` gives the tabs, newlines and backslashes from `pos` on. After a line is read, it
/// is at the next line; after a decline, anywhere (the caller seeks it). The start and end of
/// each text field the model keeps (see [`Role::is_kept`]) are pushed on `kept` (after a
/// decline, some may have been: the caller truncates it).
#[inline]
pub(crate) fn read_fast<'d>(
    data: &'d [u8],
    pos: usize,
    roles: &[Role],
    cursor: &mut Structural<'_>,
    kept: &mut Vec<u32>,
) -> Option<ReadLine<'d>> {
    let mut f = LineFields::default();
    let mut has_size = false;
    let mut has_id = false;
    let mut p = pos;
    let last_col = roles.len() - 1;
    for (col, &role) in roles.iter().enumerate() {
        let last = col == last_col;
        if role.is_text() {
            let (start, mut escaped) = (p, false);
            let end = loop {
                let at = cursor.next_position()?;
                match data[at] {
                    b'\\' => escaped = true,
                    b'\t' if !last => {
                        p = at + 1;
                        break at;
                    }
                    b'\n' if last => {
                        p = at + 1;
                        break if at > start && data[at - 1] == b'\r' { at - 1 } else { at };
                    }
                    _ => return None,
                }
            };
            let field = &data[start..end];
            if role == Role::Type {
                f.type_name = field;
                f.type_escaped = escaped;
            } else {
                if escaped && matches!(role, Role::Repr | Role::Edge | Role::Site) && !escape::is_valid(field) {
                    return None;
                }
                kept.extend([start as u32, end as u32]);
            }
            if last {
                return (has_size && has_id).then_some(ReadLine { fields: f, end, next: p });
            }
            continue;
        }
        let start = p;
        let absent = matches!(role, Role::Len | Role::Parent) && data.get(p) == Some(&b'-');
        if absent {
            p += 1;
        } else if role == Role::Id || role == Role::Parent {
            let (v, q) = hex_at(data, p)?;
            if role == Role::Id {
                f.id = v;
                has_id = true;
            } else if v == NO_PARENT {
                return None; // `-` spells no parent
            } else {
                f.parent = v;
            }
            p = q;
        } else {
            let (v, q) = dec_at(data, p)?;
            if role == Role::Size {
                f.size = v;
                has_size = true;
            } else {
                f.len = Some(v);
            }
            p = q;
        }
        debug_assert!(p > start);
        // Digits and `-` are never tabs or newlines: the cursor's next one ends the field.
        let at = cursor.next_position()?;
        if !last {
            if at != p || data[p] != b'\t' {
                return None;
            }
            p += 1;
        } else {
            let end = p;
            match data.get(p) {
                Some(b'\n') if at == p => p += 1,
                Some(b'\r') if at == p + 1 && data[p + 1] == b'\n' => p += 2,
                _ => return None,
            }
            return (has_size && has_id).then_some(ReadLine { fields: f, end, next: p });
        }
    }
    None
}

/// Reads one object line (without its newline or `\r`), checking everything and naming the
/// first problem: a bad number or type escape (left to right), then the column count, then
/// the escapes of the other text fields.
pub(crate) fn read_checked<'d>(line: &'d [u8], roles: &[Role]) -> Result<LineFields<'d>, ErrorKind> {
    let mut f = LineFields::default();
    let mut found = 0;
    for (col, field) in line.split(|&b| b == b'\t').enumerate() {
        found += 1;
        match roles.get(col) {
            Some(Role::Type) => {
                check_escapes(field)?;
                f.type_name = field;
            }
            Some(Role::Size) => f.size = parse_dec(field).ok_or(ErrorKind::BadNumber { column: "size" })?,
            Some(Role::Len) if field != b"-" => {
                f.len = Some(parse_dec(field).ok_or(ErrorKind::BadNumber { column: "len" })?);
            }
            Some(Role::Id) => f.id = parse_hex(field).ok_or(ErrorKind::BadNumber { column: "id" })?,
            Some(Role::Parent) if field != b"-" => {
                f.parent =
                    parse_hex(field).filter(|&v| v != NO_PARENT).ok_or(ErrorKind::BadNumber { column: "parent" })?;
            }
            _ => {}
        }
    }
    if found != roles.len() {
        return Err(ErrorKind::ColumnCount { expected: roles.len(), found });
    }
    for (role, field) in roles.iter().zip(line.split(|&b| b == b'\t')) {
        if matches!(role, Role::Repr | Role::Edge | Role::Site) {
            check_escapes(field)?;
        }
    }
    Ok(f)
}

pub(crate) fn check_escapes(field: &[u8]) -> Result<(), ErrorKind> {
    if escape::is_valid(field) {
        Ok(())
    } else {
        Err(ErrorKind::BadEscape)
    }
}

/// The decimal number at `data[p..]` (1 to 20 digits, no leading zero) and where it ends.
#[inline]
fn dec_at(data: &[u8], p: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    let mut q = p;
    while let Some(&b) = data.get(q) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Up to 19 digits cannot overflow; only a 20th needs the check (which, in
        // WebAssembly, is a call to a 128-bit multiply).
        v = if q - p < 19 { v * 10 + u64::from(d) } else { v.checked_mul(10)?.checked_add(u64::from(d))? };
        q += 1;
    }
    (q > p && q - p <= 20 && (data[p] != b'0' || q - p == 1)).then_some((v, q))
}

/// Value of each byte as a hexadecimal digit, or `0xFF`.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xFF,
        };
        b += 1;
    }
    table
};

/// Value of each byte as a lowercase hexadecimal digit, or `0xFF`.
const LOWER_HEX_VALUE: [u8; 256] = {
    let mut table = HEX_VALUE;
    let mut b = b'A';
    while b <= b'F' {
        table[b as usize] = 0xFF;
        b += 1;
    }
    table
};

/// The id at `data[p..]`, as the capture writes ids (1 to 16 lowercase hexadecimal digits, no
/// leading zero), and where it ends. A digit that breaks that form ends the number early.
#[inline]
fn hex_at(data: &[u8], p: usize) -> Option<(u64, usize)> {
    let digits = data.get(p..)?;
    let mut v: u64 = 0;
    let mut n = 0;
    while n < digits.len() {
        let d = LOWER_HEX_VALUE[usize::from(digits[n])];
        if d == 0xFF {
            break;
        }
        v = (v << 4) | u64::from(d);
        n += 1;
    }
    (n > 0 && n <= 16 && (digits[0] != b'0' || n == 1)).then_some((v, p + n))
}

/// How many of the 16 bytes at `data[p..]` are hex digits before the first that is not, and
/// the value of those digits (0 for none).
#[inline]
fn hex_prefix16(data: &[u8], p: usize) -> (usize, u64) {
    let a = u64::from_le_bytes(data[p..p + 8].try_into().expect("8 bytes"));
    let b = u64::from_le_bytes(data[p + 8..p + 16].try_into().expect("8 bytes"));
    let (not_a, not_b) = (non_hex_bytes(a), non_hex_bytes(b));
    let digits = if not_a != 0 {
        not_a.trailing_zeros() as usize / 8
    } else if not_b != 0 {
        8 + not_b.trailing_zeros() as usize / 8
    } else {
        16
    };
    let value = match digits {
        0 => 0,
        1..=8 => hex8(a, digits),
        _ => (hex8(a, 8) << (4 * (digits - 8))) | hex8(b, digits - 8),
    };
    (digits, value)
}

/// A whole field as a decimal number (no leading zero: each number has one spelling, so a
/// line rebuilt from the numbers is the line of the file).
pub(crate) fn parse_dec(field: &[u8]) -> Option<u64> {
    dec_at(field, 0).filter(|&(_, end)| end == field.len()).map(|(v, _)| v)
}

/// A whole field as an id: lowercase hexadecimal without a leading zero (one spelling, as
/// for [`parse_dec`]).
pub(crate) fn parse_hex(field: &[u8]) -> Option<u64> {
    hex_at(field, 0).filter(|&(_, end)| end == field.len()).map(|(v, _)| v)
}

/// Calls `emit` with each hexadecimal number of a space-separated list; tokens that are not 1
/// to 16 hex digits are skipped (as [`parse_hex`] of each token would). Eight digits at a time
/// where 16 bytes can be read; a byte at a time near the end.
#[inline]
pub(crate) fn for_each_hex(list: &[u8], mut emit: impl FnMut(u64)) {
    let mut p = 0;
    while p + 16 <= list.len() {
        let (digits, value) = hex_prefix16(list, p);
        let end = p + digits;
        if end < list.len() && list[end] != b' ' || digits == 0 {
            // not a whole token of 1 to 16 digits (or an empty one): go past the next space
            match memchr::memchr(b' ', &list[p..]) {
                Some(space) => p += space + 1,
                None => return,
            }
            continue;
        }
        emit(value);
        p = end + 1;
    }
    if p < list.len() {
        for_each_hex_bytewise(&list[p..], emit);
    }
}

/// `0x80` in each byte of `x` (eight bytes, little-endian) that is not an ASCII hex digit.
#[inline]
fn non_hex_bytes(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let high = ONES * 0x80;
    let ascii = !x & high; // bytes below 0x80; sums below cannot carry into the next byte
    let low7 = (x | (ONES * 0x20)) & !high; // 'A'..'F' folded to 'a'..'f'
    let at_least = |lo: u64| (low7 + ONES * (0x80 - lo)) & high;
    let above = |hi: u64| (low7 + ONES * (0x7F - hi)) & high;
    let digit = at_least(0x30) & !above(0x39);
    let letter = at_least(0x61) & !above(0x66);
    !((digit | letter) & ascii) & high
}

/// The value of the first `digits` (1 to 8) hex digits of `x` (eight bytes, little-endian,
/// known to be hex digits up to `digits`).
#[inline]
fn hex8(x: u64, digits: usize) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bytes past the digits become '0', and are shifted out at the end.
    let keep = if digits == 8 { u64::MAX } else { (1u64 << (8 * digits)) - 1 };
    let x = (x & keep) | ((ONES * 0x30) & !keep);
    let nibbles = (x & (ONES * 0x0F)) + ((x >> 6) & ONES) * 9; // byte k: the k-th digit's value
    let pairs = ((nibbles & 0x000F_000F_000F_000F) << 4) | ((nibbles >> 8) & 0x000F_000F_000F_000F);
    let quads = ((pairs & 0x0000_00FF_0000_00FF) << 8) | ((pairs >> 16) & 0x0000_00FF_0000_00FF);
    let value = ((quads & 0xFFFF) << 16) | ((quads >> 32) & 0xFFFF);
    value >> (4 * (8 - digits))
}

/// [`for_each_hex`] a byte at a time.
fn for_each_hex_bytewise(list: &[u8], mut emit: impl FnMut(u64)) {
    let (mut value, mut digits, mut valid) = (0u64, 0u32, true);
    for &b in list {
        let d = HEX_VALUE[usize::from(b)];
        if d != 0xFF {
            value = (value << 4) | u64::from(d);
            digits += 1;
        } else if b == b' ' {
            if valid && (1..=16).contains(&digits) {
                emit(value);
            }
            (value, digits, valid) = (0, 0, true);
        } else {
            valid = false;
        }
    }
    if valid && (1..=16).contains(&digits) {
        emit(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 1 to 16 hex digits, by the standard library.
    fn naive_hex(token: &[u8]) -> Option<u64> {
        let digits = (1..=16).contains(&token.len()) && token.iter().all(u8::is_ascii_hexdigit);
        digits.then(|| u64::from_str_radix(std::str::from_utf8(token).unwrap(), 16).unwrap())
    }

    const ROLES: &[Role] = &[Role::Type, Role::Repr, Role::Size, Role::Len, Role::Id, Role::Parent, Role::Edge];

    #[test]
    fn numbers() {
        assert_eq!(parse_dec(b"0"), Some(0));
        assert_eq!(parse_dec(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_dec(b"18446744073709551616"), None);
        assert_eq!(parse_dec(b"000000000000000000001"), None);
        assert_eq!(parse_dec(b"1x"), None);
        assert_eq!(parse_dec(b""), None);
        assert_eq!(parse_dec(b"08"), None, "one spelling per number");
        assert_eq!(parse_dec(b"00"), None);
        assert_eq!(parse_hex(b"7fa0"), Some(0x7fa0));
        assert_eq!(parse_hex(b"7fA0"), None, "ids are lowercase");
        assert_eq!(parse_hex(b"07fa0"), None, "and have no leading zero");
        assert_eq!(parse_hex(b"0"), Some(0));
        assert_eq!(parse_hex(b"ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_hex(b"1ffffffffffffffff"), None);
        assert_eq!(parse_hex(b"g"), None);
    }

    #[test]
    fn fast_and_checked_agree_on_good_lines() {
        for line in
            [&b"dict\t{'a': 1}\t64\t1\t7f0\t-\t-\n"[..], b"str\t'\\t'\t50\t-\tab\t7f0\t.x\r\n", b"t\t\t1\t2\t3\t4\t\n"]
        {
            let fast =
                read_fast(line, 0, ROLES, &mut Structural::new(line, 0), &mut Vec::new()).expect("fast path reads it");
            let body = &line[..fast.end];
            let checked = read_checked(body, ROLES).unwrap();
            assert_eq!(fast.next, line.len());
            assert_eq!(
                (fast.fields.type_name, fast.fields.size, fast.fields.len, fast.fields.id, fast.fields.parent),
                (checked.type_name, checked.size, checked.len, checked.id, checked.parent)
            );
        }
    }

    #[test]
    fn fast_path_declines_bad_lines() {
        for line in [
            &b"dict\t{}\t64\t1\t7f0\t-\n"[..],
            b"dict\t{}\t64\t1\t7f0\t-\t-\textra\n",
            b"dict\t{}\tx\t1\t7f0\t-\t-\n",
            b"dict\t{}\t64\t1\t7f0\t-\t\\q\n",
            b"dict\t{}\t64\t1\t7f0\t-\t-",
        ] {
            assert!(
                read_fast(line, 0, ROLES, &mut Structural::new(line, 0), &mut Vec::new()).is_none(),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    proptest! {
        #[test]
        fn decimal_numbers_read_like_std(digits in "[0-9]{1,22}", tail in "[\t\n x]?") {
            let data = format!("{digits}{tail}");
            let canonical = digits.len() <= 20 && (!digits.starts_with('0') || digits.len() == 1);
            let expected = if canonical { digits.parse::<u64>().ok().map(|v| (v, digits.len())) } else { None };
            prop_assert_eq!(dec_at(data.as_bytes(), 0), expected);
        }

        #[test]
        fn hex_numbers_read_like_a_naive_reader(data in "[0-9a-fA-F]{0,20}[\t\n g-]?[0-9a-f]{0,20}", at in 0usize..24) {
            let (bytes, p) = (data.as_bytes(), at.min(data.len()));
            let run = bytes[p..].iter().take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).count();
            let leading_zero = run > 1 && bytes[p] == b'0';
            let expected = naive_hex(&bytes[p..p + run]).filter(|_| !leading_zero).map(|v| (v, p + run));
            prop_assert_eq!(hex_at(bytes, p), expected);
        }

        #[test]
        fn hex_lists_read_like_each_token(
            list in prop_oneof![
                "[0-9a-fA-F g\u{e9}-]{0,60}",
                proptest::collection::vec("[0-9a-fA-F]{0,19}", 0..8).prop_map(|tokens| tokens.join(" ")),
            ]
        ) {
            let mut one_pass = Vec::new();
            for_each_hex(list.as_bytes(), |v| one_pass.push(v));
            let by_token: Vec<u64> = list.as_bytes().split(|&b| b == b' ').filter_map(naive_hex).collect();
            prop_assert_eq!(one_pass, by_token);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// The fast path reads exactly the lines the reference reads, with the same values.
        #[test]
        fn fast_path_agrees_with_reference(
            fields in proptest::collection::vec(
                r"[0-9]{1,2}|[0-9]{1,2}|-|[0-9a-fA-F]{0,3}|[0-9]{19,21}|[a-z' ]{0,5}|[tx\\\r]{1,4}|[0-9a-f]{16,17}", 6..9),
            crlf in any::<bool>(),
        ) {
            let mut line = fields.join("\t").into_bytes();
            line.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            // What the snapshot reader hands the reference: the line without `\n` and one `\r`.
            let content = &line[..line.len() - 1];
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            let checked = read_checked(content, ROLES);
            match read_fast(&line, 0, ROLES, &mut Structural::new(&line, 0), &mut Vec::new()) {
                Some(fast) => {
                    prop_assert_eq!(fast.next, line.len());
                    let type_ok = !fast.fields.type_escaped || escape::is_valid(fast.fields.type_name);
                    if type_ok {
                        let c = checked.expect("reference reads what the fast path reads");
                        prop_assert_eq!(fast.end, content.len());
                        prop_assert_eq!(
                            (fast.fields.type_name, fast.fields.size, fast.fields.len, fast.fields.id, fast.fields.parent),
                            (c.type_name, c.size, c.len, c.id, c.parent)
                        );
                    } else {
                        prop_assert!(matches!(checked, Err(ErrorKind::BadEscape)));
                    }
                }
                None => prop_assert!(checked.is_err(), "fast path declined a good line"),
            }
        }
    }
}
