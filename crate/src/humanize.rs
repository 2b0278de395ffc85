//! Numbers for people: `1,234,567` and `1.2 MiB`.

/// `n` with thousands separators: `-1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the length of an object of type `type_name` counts: `characters` of a str, `bytes`
/// of bytes and bytearrays, `entries` of anything else.
pub fn length_unit(type_name: &str) -> &'static str {
    match type_name {
        "str" => "characters",
        "bytes" | "bytearray" => "bytes",
        _ => "entries",
    }
}

/// `n` bytes in binary units with one decimal: `512 B`, `1.5 KiB`, `-3.2 MiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let sign = if n < 0 { "-" } else { "" };
    let abs = n.unsigned_abs();
    if abs < 1024 {
        return format!("{sign}{abs} B");
    }
    let mut value = abs as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{sign}{value:.1} {}", UNITS[unit])
}

/// Like [`bytes`], with an explicit `+` for growth.
pub fn signed_bytes(n: i64) -> String {
    if n > 0 {
        format!("+{}", bytes(n))
    } else {
        bytes(n)
    }
}

/// Like [`thousands`], with an explicit `+` for growth.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", thousands(n))
    } else {
        thousands(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(signed_bytes(3 * 1024 * 1024), "+3.0 MiB");
        assert_eq!(signed(-5), "-5");
    }
}
