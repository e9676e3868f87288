//! Making strings from images and registries safe for a terminal, and formatting for people:
//! sizes and dates (UTC, to the minute, or how long ago).

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

/// An RFC 3339 time as people read it, in UTC to the minute: `2026-12-01 07:16`. Text that
/// is not such a time is shown as it came. The one date format of `ls` and the explorer.
pub fn display_time(time: &str) -> String {
    match unix_seconds(time) {
        Some(secs) => {
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}",
                rem / 3600,
                rem % 3600 / 60
            )
        }
        None => time.to_string(),
    }
}

/// How long before `now` (Unix seconds) an RFC 3339 time was: `5 min ago`, `3 h ago`,
/// `3 d ago`; `None` when `time` is not such a time. For panes that also show the exact time.
pub fn time_ago(time: &str, now: i64) -> Option<String> {
    let secs = now - unix_seconds(time)?;
    Some(match secs {
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 60 * 86_400 => format!("{} d ago", s / 86_400),
        s if s < 730 * 86_400 => format!("{} mo ago", s / (30 * 86_400)),
        s => format!("{} y ago", s / (365 * 86_400)),
    })
}

/// The clock now, in Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)` (a space for the `T` is accepted) in Unix seconds.
fn unix_seconds(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let shaped = b.len() >= 16
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':';
    if !shaped {
        return None;
    }
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    let mut rest = &t[16..];
    let mut sec = 0;
    if let Some(r) = rest.strip_prefix(':') {
        sec = num(17..19)?;
        rest = r.get(2..)?;
        if let Some(frac) = rest.strip_prefix('.') {
            rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    let offset = match rest.as_bytes() {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let two = |r: std::ops::Range<usize>| -> Option<i64> {
                let s = rest.get(r)?;
                s.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| s.parse().ok())?
            };
            let (oh, om) = (two(1..3)?, two(4..6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc_to_the_minute() {
        assert_eq!(display_time("2026-12-01T07:16:27.55Z"), "2026-12-01 07:16");
        // An offset is turned to UTC, so every date on a screen compares.
        assert_eq!(
            display_time("2026-12-01T07:16:27+02:00"),
            "2026-12-01 05:16"
        );
        assert_eq!(
            display_time("2026-01-01T00:30:00-01:00"),
            "2026-01-01 01:30"
        );
        assert_eq!(display_time("2024-02-29 23:59"), "2024-02-29 23:59");
        assert_eq!(display_time("yesterday"), "yesterday");
        assert_eq!(display_time("2026-12-01"), "2026-12-01");
        assert_eq!(display_time("2026-13-01T00:00:00Z"), "2026-13-01T00:00:00Z");
        // Offsets out of range, or signed twice, are no time.
        assert_eq!(
            display_time("2026-12-01T07:16:27+99:99"),
            "2026-12-01T07:16:27+99:99"
        );
        assert_eq!(
            display_time("2026-12-01T07:16:27+-1:00"),
            "2026-12-01T07:16:27+-1:00"
        );
    }

    #[test]
    fn ages_as_people_say_them() {
        let now = unix_seconds("2026-12-04T07:16:27Z").unwrap();
        assert_eq!(
            time_ago("2026-12-01T07:16:27.55Z", now).as_deref(),
            Some("3 d ago")
        );
        assert_eq!(
            time_ago("2026-12-04T07:11:00Z", now).as_deref(),
            Some("5 min ago")
        );
        assert_eq!(
            time_ago("2026-12-04T02:00:00Z", now).as_deref(),
            Some("5 h ago")
        );
        assert_eq!(
            time_ago("2024-12-01T00:00:00Z", now).as_deref(),
            Some("2 y ago")
        );
        assert_eq!(time_ago("soon", now), None);
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
    }

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
