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

/// The `n` of `items` nearest to `wanted` by edit distance on `key`, nearest first; ties in
/// key order, and items with the same key once. For "did you mean" hints.
pub fn closest_by<T>(
    wanted: &str,
    items: impl IntoIterator<Item = T>,
    n: usize,
    key: impl Fn(&T) -> String,
) -> Vec<T> {
    let mut scored: Vec<(usize, String, T)> = items
        .into_iter()
        .map(|t| {
            let k = key(&t);
            (edit_distance(wanted, &k), k, t)
        })
        .collect();
    scored.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, _, t)| t).collect()
}

/// [`closest_by`] on the items themselves.
pub fn closest<T: AsRef<str>>(
    wanted: &str,
    items: impl IntoIterator<Item = T>,
    n: usize,
) -> Vec<T> {
    closest_by(wanted, items, n, |t| t.as_ref().to_string())
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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

    #[test]
    fn nearest_names_first() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let tags = ["3.19", "3.20", "3.20.1", "edge", "latest", "3.20"];
        assert_eq!(closest("3.2O", tags, 2), ["3.20", "3.19"]);
        // Compared by key, returned whole.
        let near = closest_by(
            "myap:latest",
            ["postgres:16", "myapp:latest", "myapp:v2"],
            1,
            |t| t.to_string(),
        );
        assert_eq!(near, ["myapp:latest"]);
    }
}
