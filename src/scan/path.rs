//! Path normalisation for tar entry names: every path in a scan is absolute, `/`-separated,
//! free of `.` and `..`, and valid UTF-8 (lossy), whatever the tar wrote.

/// A normalised absolute path, and whether a `..` tried to climb above `/` (clamped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    pub path: String,
    pub clamped: bool,
}

/// Normalises raw tar path bytes: `./usr/bin/x` and `usr//bin/./x` become `/usr/bin/x`;
/// a `..` at the root stays at the root, as a container runtime's chroot-confined
/// extraction would, and is reported so the caller can warn. Bytes that are not UTF-8
/// become U+FFFD; control characters are kept (they are legal in Linux file names).
pub fn normalise(raw: &[u8]) -> Normalised {
    let text = String::from_utf8_lossy(raw);
    normalise_str(&text, "/")
}

/// Normalises `path` relative to the absolute directory `base` (used for relative
/// symlink targets); an absolute `path` ignores `base`.
pub fn normalise_str(path: &str, base: &str) -> Normalised {
    let mut parts: Vec<&str> = Vec::new();
    let mut clamped = false;
    let start = if path.starts_with('/') { "" } else { base };
    for comp in start.split('/').chain(path.split('/')) {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    clamped = true;
                }
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Normalised { path: out, clamped }
}

/// The parent of a normalised absolute path (`/` for `/x` and for `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a normalised absolute path (empty for `/`).
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `dir` joined with `name`, for a normalised absolute `dir`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether `path` is `dir` itself or below it.
pub fn is_within(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dot_and_double_slashes() {
        assert_eq!(normalise(b"./usr/bin/x").path, "/usr/bin/x");
        assert_eq!(normalise(b"usr//bin/./x/").path, "/usr/bin/x");
        assert_eq!(normalise(b"./").path, "/");
        assert!(!normalise(b"./a/../b").clamped);
        assert_eq!(normalise(b"./a/../b").path, "/b");
    }

    #[test]
    fn climbing_above_root_is_clamped_and_reported() {
        let n = normalise(b"../../etc/passwd");
        assert_eq!(n.path, "/etc/passwd");
        assert!(n.clamped);
    }

    #[test]
    fn invalid_utf8_is_lossy_and_control_characters_stay() {
        let n = normalise(b"bin/a\xffb\x01c");
        assert_eq!(n.path, "/bin/a\u{fffd}b\u{1}c");
    }

    #[test]
    fn relative_symlink_targets() {
        assert_eq!(normalise_str("../lib/x", "/usr/bin").path, "/usr/lib/x");
        assert_eq!(normalise_str("/opt/y", "/usr/bin").path, "/opt/y");
        assert_eq!(parent("/usr/bin"), "/usr");
        assert_eq!(parent("/usr"), "/");
        assert_eq!(file_name("/usr/bin"), "bin");
        assert!(is_within("/a/b", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(is_within("/a", "/a"));
    }
}
