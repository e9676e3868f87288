//! The file viewer's reading and formatting: the first bytes of one file, streamed out of
//! the layer that wrote it (never the whole layer in memory), shown as text or a hex dump.

use std::io::Read;

use tar::EntryType;

use crate::oci::Digest;
use crate::scan::path::{normalise, normalise_str};
use crate::source::ImageSource;

/// Bytes read of a file at most: enough for a script, a WHEEL file, a package.json.
pub const HEAD_BYTES: usize = 64 * 1024;

/// Hard links followed at most (a link to a link is rare; a loop must still end).
const LINK_HOPS: usize = 8;

/// The first `limit` bytes of `path` in the layer blob `layer`, as the tree shows it: names
/// normalised as the scanner does (`./a//b` is `/a/b`), the last copy when a layer writes a
/// path twice, and a hard link read through to its target's bytes.
///
/// The blob is decompressed and its tar walked as a stream, only `limit` bytes of the file
/// kept. A registry's range read cannot help here: a gzip or zstd stream cannot be entered
/// mid-way, and the member's offset is only known by decoding everything before it. The
/// cache keeps layer scans, not layer blobs, so the bytes come from the source again.
pub fn read_head(
    src: &dyn ImageSource,
    layer: &Digest,
    size: u64,
    path: &str,
    limit: usize,
) -> Result<Vec<u8>, String> {
    let asked = normalise_str(path, "/").path;
    let (mut want, mut before) = (asked.clone(), usize::MAX);
    for _ in 0..=LINK_HOPS {
        match find_member(src, layer, size, &want, before, limit)? {
            Member::Bytes(b) => return Ok(b),
            // A tar hard link names a member written earlier in the same stream.
            Member::Link { target, index } => (want, before) = (target, index),
            Member::Missing if want == asked => {
                return Err(format!(
                    "{path} is not in layer {} (a whiteout, or a file of another layer?)",
                    layer.short()
                ));
            }
            Member::Missing => {
                return Err(format!(
                    "{path} is a hard link to {want}, which layer {} does not hold before it",
                    layer.short()
                ));
            }
            Member::NotFile => {
                return Err(format!(
                    "{want} in layer {} is not a regular file",
                    layer.short()
                ));
            }
        }
    }
    Err(format!(
        "{path} in layer {}: more than {LINK_HOPS} hard links in a row",
        layer.short()
    ))
}

/// What the last member named `want` (before member number `before`) is.
enum Member {
    Bytes(Vec<u8>),
    Link { target: String, index: usize },
    NotFile,
    Missing,
}

/// One pass over the layer's tar, up to member number `before`.
fn find_member(
    src: &dyn ImageSource,
    layer: &Digest,
    size: u64,
    want: &str,
    before: usize,
    limit: usize,
) -> Result<Member, String> {
    let failed = |e: std::io::Error| format!("layer {}: {e}", layer.short());
    let blob = src.blob(layer, size).map_err(|e| e.to_string())?;
    let mut tar = tar::Archive::new(crate::scan::decoded(blob).map_err(failed)?);
    let mut found = Member::Missing;
    for (index, entry) in tar.entries().map_err(failed)?.enumerate() {
        if index >= before {
            break;
        }
        let entry = entry.map_err(failed)?;
        if normalise(&entry.path_bytes()).path != want {
            continue;
        }
        // Keep walking: a later member of the same name replaces this one.
        found = match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut out = Vec::with_capacity(limit.min(HEAD_BYTES));
                entry
                    .take(limit as u64)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("{want} in layer {}: {e}", layer.short()))?;
                Member::Bytes(out)
            }
            EntryType::Link => match entry.link_name_bytes() {
                Some(t) => Member::Link {
                    target: normalise(&t).path,
                    index,
                },
                None => Member::NotFile,
            },
            _ => Member::NotFile,
        };
    }
    Ok(found)
}

/// Whether the bytes read as text: UTF-8 (a character cut at the end is fine), no NUL.
pub fn is_text(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > bytes.len(),
    }
}

/// The lines to show: text with tabs expanded and control characters escaped, or a hex
/// dump (`00000000  7f 45 4c 46 …  |.ELF|`).
pub fn lines(bytes: &[u8]) -> Vec<String> {
    window(bytes, 0, usize::MAX, usize::MAX)
}

/// Rows `from..from+n` of [`lines`] wrapped to `width` columns: a long line goes on in the
/// next rows rather than being cut off, and scrolling counts rows. Only the rows asked for
/// are kept (a frame draws only what is on screen).
pub fn window(bytes: &[u8], from: usize, n: usize, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    if is_text(bytes) {
        let text = String::from_utf8_lossy(bytes);
        let mut row = 0usize;
        for line in text.lines() {
            for piece in cut(&crate::text::sanitize(&line.replace('\t', "    ")), width) {
                if row >= from {
                    out.push(piece);
                    if out.len() >= n {
                        return out;
                    }
                }
                row += 1;
            }
        }
        return out;
    }
    // Every hex row but the last is HEX_ROW columns: skip to the first one on screen.
    let per = HEX_ROW.div_ceil(width);
    let mut skip = from % per;
    for (i, chunk) in bytes.chunks(16).enumerate().skip(from / per) {
        for piece in cut(&hex_row(i, chunk), width).into_iter().skip(skip) {
            out.push(piece);
            if out.len() >= n {
                return out;
            }
        }
        skip = 0;
    }
    out
}

/// Columns of a full hex-dump row: offset, 16 bytes, their characters.
const HEX_ROW: usize = 77;

fn hex_row(i: usize, chunk: &[u8]) -> String {
    let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String = chunk
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{:08x}  {:<47}  |{ascii}|", i * 16, hex.join(" "))
}

/// `line` in pieces of at most `width` display columns (a wide character is never split).
fn cut(line: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut cols = 0;
    for c in line.chars() {
        let mut buf = [0u8; 4];
        let w = ratatui::text::Span::raw(&*c.encode_utf8(&mut buf)).width();
        if cols + w > width && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            cols = 0;
        }
        piece.push(c);
        cols += w;
    }
    pieces.push(piece);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_shown_as_text_and_binaries_as_hex() {
        assert_eq!(
            lines(b"#!/bin/sh\n\techo \x1b[2J\n"),
            ["#!/bin/sh", "    echo \\u{1b}[2J"]
        );
        let elf = lines(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0");
        assert_eq!(
            elf[0],
            "00000000  7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00  |.ELF............|"
        );
        assert!(elf[1].starts_with("00000010  03 00 "));
        assert_eq!(window(b"a\nb\nc\n", 1, 1, 80), ["b"]);
        // A multi-byte character cut by the read limit is still text.
        assert!(is_text(&"héllo".as_bytes()[..2]));
    }

    #[test]
    fn long_lines_wrap_and_scrolling_counts_rows() {
        let text = b"abcdefghij\nxy\n";
        assert_eq!(window(text, 0, 9, 4), ["abcd", "efgh", "ij", "xy"]);
        // Row 2 is the end of the first line, not the second line.
        assert_eq!(window(text, 2, 2, 4), ["ij", "xy"]);
        // A wide character moves whole to the next row.
        assert_eq!(window("ab日本".as_bytes(), 0, 9, 3), ["ab", "日", "本"]);
        // A 77-column hex row at 40 columns is two rows; the third row starts the second.
        let bin = [0u8; 20];
        let rows = window(&bin, 0, 9, 40);
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert!(rows[2].starts_with("00000010"), "{rows:?}");
        assert_eq!(window(&bin, 2, 1, 40), [rows[2].clone()]);
    }
}
