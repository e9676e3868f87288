//! Making strings from images and registries safe for a terminal, and small formatting helpers.

/// Replaces control characters (C0, DEL, C1, and the bidi overrides) with visible escapes,
/// so a file name cannot move the cursor, change colours or hide text.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(is_dangerous) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Sizes for people: `1.2 MB`, `340.0 kB`, `12 B` (SI units, as registries show them).
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("/usr/bin/ok"), "/usr/bin/ok");
        assert_eq!(sanitize("/a\u{1b}[31mred"), "/a\\u{1b}[31mred");
        assert_eq!(sanitize("x\u{9b}y\u{202e}z\n"), "x\\u{9b}y\\u{202e}z\\u{a}");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(1234), "1.2 kB");
        assert_eq!(human_size(340_000), "340.0 kB");
        assert_eq!(human_size(5_400_000_000), "5.4 GB");
    }
}
