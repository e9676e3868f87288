//! The file viewer's reading and formatting: the first bytes of one file, streamed out of
//! the layer that wrote it (never the whole layer in memory), shown as text or a hex dump.

use std::io::{BufRead, BufReader, Read};

use crate::oci::Digest;
use crate::source::ImageSource;

/// Bytes read of a file at most: enough for a script, a WHEEL file, a package.json.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The first `limit` bytes of `path` in the layer blob `layer`: the blob is decompressed and
/// its tar walked only up to that member.
pub fn read_head(
    src: &dyn ImageSource,
    layer: &Digest,
    size: u64,
    path: &str,
    limit: usize,
) -> Result<Vec<u8>, String> {
    let blob = src.blob(layer, size).map_err(|e| e.to_string())?;
    let mut raw = BufReader::new(blob);
    let magic = raw
        .fill_buf()
        .map_err(|e| format!("layer {}: {e}", layer.short()))?;
    let decoded: Box<dyn Read> = if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(raw)
                .map_err(|e| format!("layer {}: zstd: {e}", layer.short()))?,
        )
    } else {
        Box::new(raw)
    };
    let want = path.trim_start_matches('/');
    let mut tar = tar::Archive::new(decoded);
    let entries = tar
        .entries()
        .map_err(|e| format!("layer {}: {e}", layer.short()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("layer {}: {e}", layer.short()))?;
        let name = entry.path_bytes();
        let name = String::from_utf8_lossy(&name);
        let name = name.trim_start_matches("./").trim_start_matches('/');
        if name.trim_end_matches('/') == want {
            let mut out = Vec::with_capacity(limit.min(HEAD_BYTES));
            entry
                .take(limit as u64)
                .read_to_end(&mut out)
                .map_err(|e| format!("{path} in layer {}: {e}", layer.short()))?;
            return Ok(out);
        }
    }
    Err(format!(
        "{path} is not in layer {} (a hard link or a whiteout?)",
        layer.short()
    ))
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
    window(bytes, 0, usize::MAX)
}

/// Lines `from..from+n` of [`lines`], made without formatting the others (a frame draws
/// only what is on screen).
pub fn window(bytes: &[u8], from: usize, n: usize) -> Vec<String> {
    if is_text(bytes) {
        let text = String::from_utf8_lossy(bytes);
        return text
            .lines()
            .skip(from)
            .take(n)
            .map(|l| crate::text::sanitize(&l.replace('\t', "    ")))
            .collect();
    }
    bytes
        .chunks(16)
        .enumerate()
        .skip(from)
        .take(n)
        .map(|(i, chunk)| {
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
        })
        .collect()
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
        assert_eq!(window(b"a\nb\nc\n", 1, 1), ["b"]);
        // A multi-byte character cut by the read limit is still text.
        assert!(is_text(&"héllo".as_bytes()[..2]));
    }
}
