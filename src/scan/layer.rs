//! Reading one layer blob front to back: sniff the compression, walk the tar once, offer
//! each regular file to the classifiers, and read the blob to its very end.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use crate::detect;
use crate::oci::Digest;
use crate::oci::digest::Hasher;
use crate::oci::media::{Compression, layer_compression, sniff};

use super::path::{file_name, join, normalise, parent};
use super::{Entry, EntryKind, LayerScan, ScanError};

/// Compressed bytes are read in large chunks: fewer syscalls, and the decoders work on
/// big slices.
const RAW_BUFFER: usize = 256 * 1024;
/// Tar headers are 512 bytes; a buffer in front of the decoder turns those many small
/// reads into few large decode calls.
const TAR_BUFFER: usize = 128 * 1024;
/// A plain tar read from a file: big enough to hold many small files (skipping them is
/// then free), small enough that refilling it after a seek over a large one is cheap.
const SKIP_BUFFER: usize = 64 * 1024;

/// What failed underneath the decoder (the source: a file, a network stream, the digest
/// check). Such failures are never "truncation": the blob itself is not what was published.
#[derive(Default)]
struct TapState {
    error: Option<String>,
}

/// Shares the blob, so that after a decode failure the rest of it can still be read
/// through the verifier: a digest mismatch explains a "corrupt" stream better.
struct SourceTap<R> {
    inner: Rc<RefCell<R>>,
    state: Rc<RefCell<TapState>>,
}

impl<R: Read> Read for SourceTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.borrow_mut().read(buf).inspect_err(|e| {
            let mut s = self.state.borrow_mut();
            if s.error.is_none() {
                s.error = Some(e.to_string());
            }
        })
    }
}

/// Counts decompressed bytes (the layer's uncompressed size).
struct Counter<R> {
    inner: R,
    count: Rc<RefCell<u64>>,
}

impl<R: Read> Read for Counter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.count.borrow_mut() += n as u64;
        Ok(n)
    }
}

/// Counts what one tar entry yielded and remembers a stream error that passed through,
/// so a read failure inside a classifier is not mistaken for a classifier bug. Passes the
/// bytes to `gate`, which hashes only a file whose head shows native magic.
struct EntryReader<'a, R> {
    inner: &'a mut R,
    read: u64,
    error: Option<(io::ErrorKind, String)>,
    gate: Gate<'a>,
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                if let Some(b) = buf.get(..n) {
                    self.gate.feed(b);
                }
                Ok(n)
            }
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some((e.kind(), e.to_string()));
                }
                Err(e)
            }
        }
    }
}

/// When a file's sha256 starts: only native files keep a digest, so no other file is
/// hashed at all. The head the classifier reads first waits here until its magic decides,
/// then seeds the hasher or is dropped.
enum Gate<'a> {
    /// Every byte read so far, until `want` of them (the classifier's head) are in.
    Sniffing {
        path: &'a str,
        head: Vec<u8>,
        want: usize,
    },
    Hashing(Hasher),
    Off,
}

impl<'a> Gate<'a> {
    fn new(path: &'a str, size: u64) -> Gate<'a> {
        if size == 0 || detect::routed_by_path(path) {
            return Gate::Off;
        }
        let want = usize::try_from(size.min(detect::HEAD)).unwrap_or(0);
        Gate::Sniffing {
            path,
            head: Vec::with_capacity(want),
            want,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        match self {
            Gate::Off => {}
            Gate::Hashing(h) => h.update(bytes),
            Gate::Sniffing { path, head, want } => {
                head.extend_from_slice(bytes);
                if head.len() >= *want {
                    *self = if detect::native_magic(path, head) {
                        Gate::seeded(head)
                    } else {
                        Gate::Off
                    };
                }
            }
        }
    }

    fn seeded(head: &[u8]) -> Gate<'a> {
        let mut h = Hasher::sha256();
        h.update(head);
        Gate::Hashing(h)
    }

    /// The file proved to be a native artefact: hash on, with whatever is still waiting.
    /// (A gate already off stays off: the artefact then has no digest rather than a wrong one.)
    fn keep(&mut self) {
        if let Gate::Sniffing { head, .. } = self {
            *self = Gate::seeded(head);
        }
    }

    fn hashing(&self) -> bool {
        matches!(self, Gate::Hashing(_))
    }

    fn finish(self) -> Option<Digest> {
        match self {
            Gate::Hashing(h) => Some(h.finish()),
            _ => None,
        }
    }
}

fn compression_name(c: Compression) -> &'static str {
    match c {
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
        Compression::None => "uncompressed tar",
        Compression::Unknown => "unknown",
    }
}

/// `head` (a blob from its first byte) decompressed as `c` says.
fn decoder<'a, R: BufRead + 'a>(c: Compression, head: R) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match c {
        // Multi-member: some tools write a layer as several concatenated gzip members.
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(head)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(head)?),
        _ => Box::new(head),
    })
}

/// The tar stream inside a layer blob, its compression sniffed as [`scan_layer`] does: for
/// readers that want one member (the file viewer) rather than a scan.
pub fn decoded<'a>(blob: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
    let mut raw = BufReader::with_capacity(RAW_BUFFER, blob);
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut raw, &mut magic)?;
    let c = sniff(&magic[..got]);
    decoder(c, Cursor::new(magic[..got].to_vec()).chain(raw))
}

/// Scans one layer blob. `media_type` is the descriptor's; the magic bytes decide when the
/// two disagree (noted as a warning). `layer` names the blob in warnings and errors.
///
/// The whole blob is read to its end, so a verifying reader underneath sees EOF and
/// checks the digest. A blob cut short after some entries gives a partial scan with a
/// warning; corruption, or a cut before the first entry, is an error.
pub fn scan_layer(
    blob: impl Read,
    media_type: &str,
    layer: &Digest,
) -> Result<LayerScan, ScanError> {
    let tap_state = Rc::new(RefCell::new(TapState::default()));
    let blob = Rc::new(RefCell::new(blob));
    let mut raw = BufReader::with_capacity(
        RAW_BUFFER,
        SourceTap {
            inner: Rc::clone(&blob),
            state: Rc::clone(&tap_state),
        },
    );
    let source_failed = |e: io::Error| ScanError::Source {
        layer: layer.clone(),
        detail: tap_state
            .borrow()
            .error
            .clone()
            .unwrap_or_else(|| e.to_string()),
    };

    let mut magic = [0u8; 4];
    let got = read_up_to(&mut raw, &mut magic).map_err(source_failed)?;
    let sniffed = sniff(&magic[..got]);
    let mut scan = LayerScan::default();
    let declared = layer_compression(media_type);
    if declared != Compression::Unknown && declared != sniffed {
        scan.warnings.push(format!(
            "layer {layer}: media type {media_type} says {} but the bytes are {}; read as {}",
            compression_name(declared),
            compression_name(sniffed),
            compression_name(sniffed)
        ));
    }
    let format = compression_name(sniffed);
    let head = Cursor::new(magic[..got].to_vec()).chain(raw);
    let decoded = decoder(sniffed, head).map_err(|e| ScanError::Corrupt {
        layer: layer.clone(),
        format,
        entries: 0,
        detail: format!("cannot start the zstd decoder: {e}"),
    })?;
    let count = Rc::new(RefCell::new(0u64));
    let counted = BufReader::with_capacity(
        TAR_BUFFER,
        Counter {
            inner: decoded,
            count: Rc::clone(&count),
        },
    );
    let mut archive = tar::Archive::new(counted);
    let mut entries = 0usize;
    let mut last_end = 0u64;
    let walked = walk(&mut archive, &mut scan, layer, &mut entries, &mut last_end);
    // The tar's end-of-archive marker is not the blob's end: read the rest (padding,
    // further gzip members) so the digest check underneath runs.
    let outcome = walked.and_then(|()| {
        let mut rest = archive.into_inner();
        io::copy(&mut rest, &mut io::sink()).map(|_| ())
    });
    scan.uncompressed_size = *count.borrow();
    scan.entries.shrink_to_fit();
    let Err(e) = outcome else {
        return Ok(ended(scan, layer, entries, last_end));
    };
    if tap_state.borrow().error.is_none() {
        // Finish reading the blob so a verifying source can say whether the bytes are
        // the published ones; its verdict (if any) is recorded by the tap.
        let mut rest = SourceTap {
            inner: Rc::clone(&blob),
            state: Rc::clone(&tap_state),
        };
        let _ = io::copy(&mut rest, &mut io::sink());
    }
    if tap_state.borrow().error.is_some() {
        return Err(source_failed(e));
    }
    judge_failure(e, scan, layer, format, entries)
}

/// What a walk that failed (not at the source) means: a cut after some entries is a
/// partial scan with a warning; a cut before any, or bad bytes, is an error.
fn judge_failure(
    e: io::Error,
    mut scan: LayerScan,
    layer: &Digest,
    format: &'static str,
    entries: usize,
) -> Result<LayerScan, ScanError> {
    if is_truncation(&e) && entries > 0 {
        scan.warnings.push(format!(
            "layer {layer} is truncated after {entries} entries: {e}; the files after that point are missing from this scan"
        ));
        return Ok(scan);
    }
    if is_truncation(&e) {
        return Err(ScanError::Truncated {
            layer: layer.clone(),
            format,
            detail: e.to_string(),
        });
    }
    Err(ScanError::Corrupt {
        layer: layer.clone(),
        format,
        entries,
        detail: e.to_string(),
    })
}

/// A walk that reached the end of the tar.
fn ended(mut scan: LayerScan, layer: &Digest, entries: usize, last_end: u64) -> LayerScan {
    // Every tar writer in use (Go's archive/tar, GNU tar, the tar crate) ends with zero
    // blocks; a stream that stops exactly after an entry was cut on a block boundary,
    // which no decoder notices.
    if entries > 0 && scan.uncompressed_size == last_end {
        scan.warnings.push(format!(
            "layer {layer} is truncated after {entries} entries: the tar has no end-of-archive marker; files after that point may be missing"
        ));
    }
    scan
}

/// Scans a layer blob held in a file whose bytes are already known to match `layer`
/// (`file` at its first byte, `len` long). A plain tar is walked by its headers: the data
/// no classifier reads is seeked over, never read (what `dive` and `tar -t` do). A
/// compressed blob has to be decoded whole, so it goes through [`scan_layer`].
pub fn scan_verified_file(
    mut file: File,
    len: u64,
    media_type: &str,
    layer: &Digest,
) -> Result<LayerScan, ScanError> {
    let source_failed = |e: io::Error| ScanError::Source {
        layer: layer.clone(),
        detail: e.to_string(),
    };
    let start = file.stream_position().map_err(source_failed)?;
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut (&mut file).take(len), &mut magic).map_err(source_failed)?;
    file.seek(SeekFrom::Start(start)).map_err(source_failed)?;
    let plain = sniff(&magic[..got]) == Compression::None;
    if !plain || layer_compression(media_type) != Compression::None {
        // Compressed, or a media type that disagrees (scan_layer says so in a warning).
        return scan_layer(file.take(len), media_type, layer);
    }
    let mut scan = LayerScan {
        uncompressed_size: len,
        ..LayerScan::default()
    };
    let mut archive = tar::Archive::new(Skipping {
        inner: BufReader::with_capacity(SKIP_BUFFER, file),
        pos: 0,
        len,
    });
    let (mut entries, mut last_end) = (0usize, 0u64);
    let format = compression_name(Compression::None);
    let walked = archive.entries_with_seek().and_then(|all| {
        for entry in all {
            let mut entry = entry?;
            let data = entry.header().entry_size().unwrap_or(0);
            last_end = entry
                .raw_file_position()
                .saturating_add(data.div_ceil(512).saturating_mul(512));
            record(&mut entry, &mut scan, layer, Body::Seek { end: len })?;
            entries += 1;
        }
        Ok(())
    });
    scan.entries.shrink_to_fit();
    match walked {
        Ok(()) => Ok(ended(scan, layer, entries, last_end)),
        Err(e) => judge_failure(e, scan, layer, format, entries),
    }
}

/// A plain tar in a file, read through a buffer that seeks within itself where it can:
/// most skipped files are smaller than the buffer. Reads stop at `len`; a seek past it
/// reads as the end.
struct Skipping {
    inner: BufReader<File>,
    /// Offset from the blob's first byte.
    pos: u64,
    len: u64,
}

impl Read for Skipping {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Skipping {
    /// The tar crate only skips forward from where it is (`SeekFrom::Current`).
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(by) = to else {
            return Err(io::Error::other("a layer is only ever skipped forward"));
        };
        let pos = self
            .pos
            .checked_add_signed(by)
            .ok_or_else(|| io::Error::other("seek out of the layer"))?;
        self.inner.seek_relative(by)?;
        self.pos = pos;
        Ok(pos)
    }
}

/// What happens to the data a classifier left unread.
#[derive(Clone, Copy)]
enum Body {
    /// Read through, in order (a stream).
    Drain,
    /// Left to the tar crate to seek over; the blob holds `end` bytes.
    Seek { end: u64 },
}

/// Whether a failure means "the stream stopped early" rather than "the bytes are wrong".
/// The `tar` crate reports a short final block or a short skip with these messages
/// (tar 0.4 `archive.rs`) and kind `Other`, so the text is all there is to go on.
fn is_truncation(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        return true;
    }
    let msg = e.to_string();
    msg.contains("failed to read entire block") || msg.contains("unexpected EOF during skip")
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    scan: &mut LayerScan,
    layer: &Digest,
    count: &mut usize,
    last_end: &mut u64,
) -> io::Result<()> {
    for entry in archive.entries()? {
        let mut entry = entry?;
        let data = entry.header().entry_size().unwrap_or(0);
        // Data is padded to whole 512-byte blocks.
        *last_end = entry
            .raw_file_position()
            .saturating_add(data.div_ceil(512).saturating_mul(512));
        record(&mut entry, scan, layer, Body::Drain)?;
        *count += 1;
    }
    Ok(())
}

fn record<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    scan: &mut LayerScan,
    layer: &Digest,
    body: Body,
) -> io::Result<()> {
    let etype = entry.header().entry_type();
    if etype.is_pax_global_extensions()
        || etype.is_pax_local_extensions()
        || etype.is_gnu_longname()
        || etype.is_gnu_longlink()
    {
        return Ok(());
    }
    let raw = entry.path_bytes().into_owned();
    let norm = normalise(&raw);
    if norm.clamped {
        scan.warnings.push(format!(
            "layer {layer}: entry {:?} climbs above /; treated as {}",
            String::from_utf8_lossy(&raw),
            norm.path
        ));
    }
    let path = norm.path;
    let name = file_name(&path);
    if let Some(target) = name.strip_prefix(".wh.") {
        // OCI image spec, layer.md "Whiteouts": `.wh..wh..opq` makes the directory
        // opaque, `.wh.NAME` deletes NAME from the layers below.
        if target == ".wh..opq" {
            scan.opaque_dirs.push(parent(&path).to_string());
        } else if target.is_empty() || target == "." || target == ".." {
            scan.warnings.push(format!(
                "layer {layer}: ignoring a malformed whiteout {path:?}"
            ));
        } else {
            scan.whiteouts.push(join(parent(&path), target));
        }
        return Ok(());
    }
    if path == "/" {
        return Ok(());
    }
    let link = || {
        entry
            .link_name_bytes()
            .map(|b| b.into_owned())
            .unwrap_or_default()
    };
    let kind = match etype {
        tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
            EntryKind::File
        }
        tar::EntryType::Directory => EntryKind::Dir,
        tar::EntryType::Symlink => {
            EntryKind::Symlink(String::from_utf8_lossy(&link()).into_owned())
        }
        tar::EntryType::Link => {
            let target = normalise(&link());
            if target.clamped {
                scan.warnings.push(format!(
                    "layer {layer}: hard link {path} points above /; treated as {}",
                    target.path
                ));
            }
            EntryKind::Hardlink(target.path)
        }
        _ => EntryKind::Other,
    };
    let mode = entry.header().mode().unwrap_or(0);
    let id = |v: io::Result<u64>| v.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    let owner = (id(entry.header().uid()), id(entry.header().gid()));
    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };
    if kind == EntryKind::File {
        let start = entry.raw_file_position();
        // Measured in stored bytes (a sparse file stores fewer than its size).
        let stored = entry.header().entry_size().unwrap_or(size);
        let mut reader = EntryReader {
            inner: entry,
            read: 0,
            error: None,
            gate: Gate::new(&path, size),
        };
        let found = {
            let mut limited = (&mut reader).take(size);
            detect::classify(&path, size, &mut limited)
        };
        if let Some((error_kind, msg)) = reader.error.take() {
            return Err(io::Error::new(error_kind, msg));
        }
        let mut artifacts = match found {
            Ok(artifacts) => artifacts,
            Err(e) => {
                scan.warnings
                    .push(format!("layer {layer}: could not classify {path}: {e}"));
                Vec::new()
            }
        };
        // Only an artefact's own bytes are worth a digest (platform diffs compare them);
        // everything else passes through unhashed.
        let own = artifacts
            .iter()
            .position(|a| a.container.is_none() && a.path == path && a.kind.is_native());
        if own.is_some() {
            reader.gate.keep();
        } else {
            reader.gate = Gate::Off;
        }
        let got = match body {
            // Whatever the classifier left unread still has to pass through, in order; a
            // native file's digest needs every byte even where the rest could be skipped.
            Body::Drain => {
                io::copy(&mut reader, &mut io::sink())?;
                reader.read
            }
            Body::Seek { .. } if reader.gate.hashing() => {
                io::copy(&mut reader, &mut io::sink())?;
                reader.read
            }
            Body::Seek { end } => {
                let got = end.saturating_sub(start).min(stored);
                if got < stored { got } else { size }
            }
        };
        if got < size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{path} ends after {got} of its {size} bytes"),
            ));
        }
        let digest = std::mem::replace(&mut reader.gate, Gate::Off).finish();
        if let (Some(i), Some(d)) = (own, digest)
            && let Some(a) = artifacts.get_mut(i)
        {
            a.sha256 = Some(d);
        }
        scan.artifacts.extend(artifacts);
    }
    if let (Ok(uid), Ok(gid)) = owner {
        scan.note_owner(scan.entries.len(), uid, gid);
    }
    scan.entries.push(&Entry {
        path,
        kind,
        size,
        mode,
    });
    Ok(())
}
