//! containerd's platform specifier syntax and its normalisation of OS and architecture names,
//! so a name means here what it means to the runtime that pulls the image.

use super::{Arch, Platform};

// Longer words are not platform names; the caps keep hostile input out of error messages.
const MAX_WORD: usize = 32;
const MAX_OS_OPTIONS: usize = 512;

/// Operating systems a single-word specifier may name (Go's GOOS list, as containerd has it).
pub const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// Architectures a single-word specifier may name, after normalisation: containerd's list
/// (Go's GOARCH names) less the ones Go has no port for (`s390`, `sparc`, `ppc`, `armbe`, ...),
/// since no image is built for them and such a word is likelier a slip (`s390` for `s390x`).
pub const KNOWN_ARCH: &[&str] = &[
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
    "ppc64le", "riscv64", "s390x", "wasm",
];

pub(super) fn normalize_os(os: &str) -> String {
    let os = clean(&os.trim().to_ascii_lowercase());
    if os == "macos" { "darwin".into() } else { os }
}

/// A word from an image, safe to print: kept as it is when it could be a platform word,
/// else with control characters escaped and cut to a few dozen characters. Such a word
/// never matches a target either way, so every caller can print a platform as it is.
pub(super) fn clean(word: &str) -> String {
    const MAX_SHOWN: usize = 64;
    if word.is_empty() || valid_word(word) {
        return word.to_string();
    }
    let safe = crate::text::sanitize(word);
    match safe.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", &safe[..cut]),
        None => safe,
    }
}

/// containerd's aliases and default variants. It leaves names it does not know alone
/// (`i686` stays `i686`), and drops the variant that is the family's baseline (amd64 v1,
/// arm64 v8) so that `arm64` and `arm64/v8` are one platform.
pub(super) fn normalize_arch(name: &str, variant: &str) -> (String, String) {
    let name = clean(&name.trim().to_ascii_lowercase());
    let variant = clean(&variant.trim().to_ascii_lowercase());
    let (name, variant) = match (name.as_str(), variant.as_str()) {
        ("i386", _) => ("386", ""),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
        ("aarch64" | "arm64", "8" | "v8" | "v8.0") => ("arm64", ""),
        ("aarch64" | "arm64", "9" | "9.0" | "v9.0") => ("arm64", "v9"),
        ("aarch64" | "arm64", v) => ("arm64", v),
        ("armhf", _) => ("arm", "v7"),
        ("armel", _) => ("arm", "v6"),
        ("arm", "" | "7") => ("arm", "v7"),
        ("arm", v @ ("5" | "6" | "8")) => return ("arm".into(), format!("v{v}")),
        (n, v) => (n, v),
    };
    (name.to_string(), variant.to_string())
}

/// The OCI name of the machine archlens runs on, which a bare OS word takes as containerd does.
pub(super) fn local_arch() -> Arch {
    let name = match std::env::consts::ARCH {
        "x86" => "386",
        "powerpc" => "ppc",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        "mips" if cfg!(target_endian = "little") => "mipsle",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        other => other,
    };
    Arch::new(name, None)
}

pub(super) fn valid_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_WORD
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn option_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'%' | b'-')
}

/// Parses a specifier; `None` when containerd would refuse it.
pub(super) fn parse(s: &str) -> Option<Platform> {
    let parts: Vec<&str> = s.splitn(4, '/').collect();
    let (os, version, features) = parse_os(parts[0])?;
    if !parts[1..].iter().all(|p| valid_word(p)) {
        return None;
    }
    let with_options = |p: Platform| p.with_os_version(&version).with_os_features(&features);
    match parts[..] {
        [word] => {
            let os = normalize_os(os);
            if KNOWN_OS.contains(&os.as_str()) {
                return Some(with_options(Platform::new(&os, local_arch())));
            }
            // An architecture word takes no OS options; containerd pairs it with the local
            // OS, archlens with linux, the OS of every image it judges.
            let arch = Arch::new(word, None);
            KNOWN_ARCH
                .contains(&arch.name.as_str())
                .then(|| Platform::linux(arch))
        }
        [_, arch] => Some(with_options(Platform::new(os, Arch::new(arch, None)))),
        [_, arch, variant] => Some(with_options(Platform::new(
            os,
            Arch::new(arch, Some(variant)),
        ))),
        _ => None,
    }
}

/// `name[(version+feature+...)]`, the first component, with options percent-decoded.
fn parse_os(part: &str) -> Option<(&str, String, Vec<String>)> {
    let (name, options) = match part.split_once('(') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')')?)),
        None => (part, None),
    };
    let name_ok = name.len() <= MAX_WORD
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !name_ok {
        return None;
    }
    let Some(options) = options else {
        return Some((name, String::new(), Vec::new()));
    };
    if options.len() > MAX_OS_OPTIONS || !options.bytes().all(|b| option_char(b) || b == b'+') {
        return None;
    }
    let mut items = options.split('+');
    let version = decode_option(items.next().unwrap_or_default())?;
    let mut features = Vec::new();
    for raw in items {
        if raw.is_empty() {
            return None;
        }
        features.push(decode_option(raw)?);
    }
    Some((name, version, features))
}

/// Undoes [`encode_option`]; a `%` not followed by two hex digits is an error, as in Go's
/// `url.PathUnescape`.
fn decode_option(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes every byte the parser does not take raw (the syntax's own `%+()/`, and
/// controls or other text a `%XX` decoded to), so the text parses back to the same value.
pub(super) fn encode_option(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if option_char(b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // fuzz/regressions/oci_platform/crash-6078a774...: `%19` decoded to a control character
    // that Display wrote raw, so the printed platform no longer parsed.
    #[test]
    fn decoded_controls_are_encoded_again_when_printed() {
        let p = parse("linux(10.0+a%19b+%E2%9C%93)/arm64").expect("parses");
        let text = p.to_string();
        assert!(text.is_ascii(), "{text}");
        assert_eq!(parse(&text), Some(p));
    }

    #[test]
    fn words_from_images_are_safe_to_print() {
        let p = Platform::new("linux\u{1b}[2J", Arch::new("arm64\u{202e}", None));
        let text = p.to_string();
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
        assert_eq!(p.os, "linux\\u{1b}[2j");
        let long = Arch::new(&"x".repeat(10_000), Some("!"));
        assert_eq!(long.name.chars().count(), 65, "cut to 64 and an ellipsis");
        assert!(clean(&"\u{7}".repeat(100)).ends_with('…'));
        // Ordinary words are left alone.
        assert_eq!(Arch::new("arm64", Some("v8")), Arch::arm64());
    }
}
