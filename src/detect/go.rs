//! Go build info: find the `\xff Go buildinf:` header while streaming a binary and read
//! GOARCH, GOAMD64/GOARM/GOARM64, CGO_ENABLED, the main module and the Go version from it.
//!
//! Layout per Go's `debug/buildinfo` (Go 1.18+): a 32-byte header (14-byte magic, pointer
//! size, flags; flag 2 = strings inline), then two uvarint-length strings: the Go version
//! and the module info text. Older binaries store pointers instead; we report those as
//! Go binaries without build info.

use std::io::{self, Read};

use super::GoInfo;

/// The build info header's magic.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// How many bytes after the magic are kept for parsing (version + modinfo).
const TAIL: usize = 64 * 1024;
const CHUNK: usize = 256 * 1024;

/// A rolling search for the build info header over a file fed in order from offset 0.
/// Go aligns the header to 16 bytes, so only aligned offsets are compared, straight in
/// the fed slices; a header split across two feeds is completed from a 13-byte carry.
/// Once the header is found, the 64 KiB from it (`TAIL`) are kept.
#[derive(Debug, Default)]
pub struct Finder {
    /// File offset of the next byte to be fed.
    pos: u64,
    /// The start of a candidate that reached the end of the last feed (fewer than 14 bytes).
    carry: Vec<u8>,
    found: Option<Vec<u8>>,
}

impl Finder {
    pub fn new() -> Finder {
        Finder::default()
    }

    /// Feeds the next bytes of the file.
    pub fn feed(&mut self, bytes: &[u8]) {
        let start = self.pos;
        self.pos += bytes.len() as u64;
        if let Some(out) = &mut self.found {
            let need = TAIL.saturating_sub(out.len());
            out.extend_from_slice(&bytes[..need.min(bytes.len())]);
            return;
        }
        let mut from = 0usize;
        if !self.carry.is_empty() {
            let need = MAGIC.len() - self.carry.len();
            let take = need.min(bytes.len());
            self.carry.extend_from_slice(&bytes[..take]);
            if self.carry.len() < MAGIC.len() {
                return;
            }
            if self.carry[..] == MAGIC[..] {
                let mut out = std::mem::take(&mut self.carry);
                out.extend_from_slice(&bytes[take..bytes.len().min(take + TAIL)]);
                out.truncate(TAIL);
                self.found = Some(out);
                return;
            }
            self.carry.clear();
            from = take;
        }
        // The first 16-aligned file offset at or after `start + from`.
        let abs = start + from as u64;
        let mut i = from + ((16 - (abs % 16)) % 16) as usize;
        while i < bytes.len() {
            if bytes[i] == MAGIC[0] {
                let end = i + MAGIC.len();
                if end > bytes.len() {
                    if MAGIC.starts_with(&bytes[i..]) {
                        self.carry = bytes[i..].to_vec();
                    }
                    return;
                }
                if bytes[i..end] == MAGIC[..] {
                    let mut out = bytes[i..bytes.len().min(i + TAIL)].to_vec();
                    out.truncate(TAIL);
                    self.found = Some(out);
                    return;
                }
            }
            i += 16;
        }
    }

    /// Whether the header and every byte after it that gets parsed have been seen.
    pub fn complete(&self) -> bool {
        self.found.as_ref().is_some_and(|f| f.len() >= TAIL)
    }

    /// The bytes from the header on, if there was one.
    pub fn finish(self) -> Option<Vec<u8>> {
        self.found
    }
}

/// Searches `already` (the part of the file in memory, from offset 0) and then the rest
/// of `reader` through a [`Finder`]. Returns the bytes starting at the header, or `None`.
pub fn find_build_info(already: &[u8], reader: &mut dyn Read) -> io::Result<Option<Vec<u8>>> {
    let mut finder = Finder::new();
    finder.feed(already);
    let mut chunk = vec![0u8; CHUNK];
    while !finder.complete() {
        let n = read_some(reader, &mut chunk)?;
        if n == 0 {
            break;
        }
        finder.feed(&chunk[..n]);
    }
    Ok(finder.finish())
}

/// Reads once, retrying on `Interrupted`.
pub(crate) fn read_some(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Decodes a build info blob that starts at the magic. Returns `None` when it is not a
/// header at all; a pre-1.18 (pointer) header gives `has_build_info: false`.
pub fn parse_build_info(b: &[u8]) -> Option<GoInfo> {
    if !b.starts_with(MAGIC) || b.len() < 32 {
        return None;
    }
    let ptr_size = b[14];
    let flags = b[15];
    if ptr_size != 4 && ptr_size != 8 {
        return None;
    }
    let mut info = GoInfo::default();
    if flags & 2 == 0 {
        return Some(info);
    }
    let mut rest = &b[32..];
    let version = varint_bytes(&mut rest)?;
    let mut modinfo = varint_bytes(&mut rest).unwrap_or_default().to_vec();
    // The linker wraps modinfo in 16-byte sentinels; Go's reader strips them when the
    // byte before the trailing one is a newline, and so do we.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = modinfo[16..modinfo.len() - 16].to_vec();
    }
    info.go_version = Some(String::from_utf8_lossy(version).into_owned()).filter(|v| !v.is_empty());
    info.has_build_info = true;
    apply_modinfo(&String::from_utf8_lossy(&modinfo), &mut info);
    Some(info)
}

fn varint_bytes<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut len = 0u64;
    let mut shift = 0;
    loop {
        let (&c, rest) = b.split_first()?;
        *b = rest;
        len |= u64::from(c & 0x7f) << shift;
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    // A modinfo longer than what we kept is cut, not dropped: its first lines matter most.
    let take = len.min(b.len());
    let (s, rest) = b.split_at(take);
    *b = rest;
    Some(s)
}

/// Reads `path`, `build\tKEY=VALUE` lines of the module info text into `info`.
pub fn apply_modinfo(modinfo: &str, info: &mut GoInfo) {
    for line in modinfo.lines() {
        let mut parts = line.splitn(2, '\t');
        match (parts.next(), parts.next()) {
            (Some("path"), Some(p)) => info.module = Some(p.trim().to_string()),
            (Some("build"), Some(kv)) => {
                let Some((k, v)) = kv.split_once('=') else {
                    continue;
                };
                let v = v.trim().to_string();
                match k {
                    "GOARCH" => info.goarch = Some(v),
                    "GOOS" => info.goos = Some(v),
                    "CGO_ENABLED" => info.cgo = Some(v == "1"),
                    "GOAMD64" | "GOARM" | "GOARM64" | "GO386" | "GOMIPS" | "GOMIPS64"
                    | "GOPPC64" | "GORISCV64" => info.goarch_level = Some(v),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// The OCI variant a Go arch level implies (`GOARM=6` -> `v6`), for `arm` only;
/// GOAMD64 levels are not OCI variants that runtimes match on.
pub fn oci_variant(goarch: &str, level: Option<&str>) -> Option<String> {
    let level = level?;
    match goarch {
        // GOARM may carry ",softfloat" since Go 1.22.
        "arm" => {
            let n = level.split(',').next()?.trim();
            matches!(n, "5" | "6" | "7").then(|| format!("v{n}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_parses_build_info_of_a_real_go_binary_through_a_stream() {
        let p = format!(
            "{}/tests/fixtures/detect/go-hello-arm64",
            env!("CARGO_MANIFEST_DIR")
        );
        let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        // Only the first 4 KiB "in memory"; the rest comes through the reader.
        let mut rest = &b[4096..];
        let blob = find_build_info(&b[..4096], &mut rest)
            .unwrap()
            .expect("header");
        let info = parse_build_info(&blob).expect("parses");
        assert!(info.has_build_info);
        assert_eq!(info.go_version.as_deref(), Some("go1.19.8"));
        assert_eq!(info.goarch.as_deref(), Some("arm64"));
        assert_eq!(info.goos.as_deref(), Some("linux"));
        assert_eq!(info.cgo, Some(false));
        assert_eq!(info.module.as_deref(), Some("example.com/archlens/gohello"));
    }

    #[test]
    fn magic_split_across_reads_is_found_and_unaligned_copies_are_not() {
        let mut file = vec![0u8; 48];
        file.extend_from_slice(b"x");
        file.extend_from_slice(MAGIC); // offset 49: unaligned, a string literal
        file.resize(64, 0);
        file.extend_from_slice(MAGIC); // offset 64
        file.extend_from_slice(&[8, 2]);
        file.resize(96, 0);
        file.extend_from_slice(b"\x08go1.22.1\x1fbuild\tGOARCH=arm\nbuild\tGOARM=6\n");
        // The reader boundary (70) splits the aligned header at 64.
        let mut rest = &file[70..];
        let blob = find_build_info(&file[..70], &mut rest).unwrap().unwrap();
        let info = parse_build_info(&blob).unwrap();
        assert_eq!(info.go_version.as_deref(), Some("go1.22.1"));
        assert_eq!(info.goarch.as_deref(), Some("arm"));
        assert_eq!(info.goarch_level.as_deref(), Some("6"));
        assert_eq!(oci_variant("arm", Some("6")).as_deref(), Some("v6"));
        assert_eq!(oci_variant("amd64", Some("v3")), None);
    }

    #[test]
    fn any_feed_size_finds_the_same_header() {
        let p = format!(
            "{}/tests/fixtures/detect/go-hello-arm64",
            env!("CARGO_MANIFEST_DIR")
        );
        let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let whole = {
            let mut f = Finder::new();
            f.feed(&b);
            f.finish().expect("header")
        };
        for size in [1, 7, 13, 14, 15, 16, 17, 4095] {
            let mut f = Finder::new();
            for chunk in b.chunks(size) {
                f.feed(chunk);
                if f.complete() {
                    break;
                }
            }
            let got = f.finish().expect("header");
            assert_eq!(
                got[..],
                whole[..got.len().min(whole.len())],
                "feed size {size}"
            );
            assert!(got.starts_with(MAGIC));
        }
    }

    #[test]
    fn pointer_form_and_garbage() {
        let mut old = MAGIC.to_vec();
        old.extend_from_slice(&[8, 0]);
        old.resize(64, 0);
        assert_eq!(
            parse_build_info(&old).map(|i| i.has_build_info),
            Some(false)
        );
        let mut bad = MAGIC.to_vec();
        bad.extend_from_slice(&[8, 2]);
        bad.resize(32, 0);
        bad.extend_from_slice(&[0xff; 12]);
        assert_eq!(parse_build_info(&bad), None);
        assert_eq!(parse_build_info(b"\xff Go"), None);
    }
}
