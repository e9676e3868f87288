//! An on-disk cache keyed by content digest: manifests and configs as fetched, and the
//! analysis of each layer, so a second look at an image downloads nothing already seen.
//!
//! Entries are written to a temporary name and renamed (atomic on one filesystem); blobs are
//! checked against their digest and layer scans against a checksum line when read, and a
//! corrupt entry is deleted. Names on disk come only from validated digests.

use std::fs;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;

use sha2::{Digest as _, Sha256};

use crate::oci::Digest;
use crate::scan::LayerScan;

/// Bumped when the layer-scan format changes, so old entries are simply not found.
/// The archlens version is part of the key too: a newer classifier must not be served
/// an older one's findings.
const SCAN_FORMAT: &str = concat!("scan-v4-", env!("CARGO_PKG_VERSION"));
const SCAN_MAGIC: &str = concat!(
    "archlens-cache scan-v1-",
    env!("CARGO_PKG_VERSION"),
    " sha256:"
);

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {path}: {source}. Check permissions, or run with --no-cache")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no cache directory: neither XDG_CACHE_HOME nor HOME is set. Set one, pass a cache dir, or run with --no-cache"
    )]
    NoDir,
}

/// The cache. Cheap to share behind an `Arc`; safe for concurrent use by several threads
/// and processes (a reader sees a whole entry or none).
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    limit: u64,
    counter: AtomicU64,
    /// Host, pid and a random nonce: what makes this cache's temporary names its own among
    /// every process sharing the directory (pods on EFS are often all pid 1).
    owner: String,
}

impl Cache {
    /// The default directory: `$XDG_CACHE_HOME/archlens` (`~/.cache/archlens`) on Linux.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("archlens"))
    }

    /// Opens (creating) the cache at `dir`, or the default directory. `limit` is a size
    /// limit in bytes enforced by [`Cache::prune`] (and after writes).
    pub fn open(dir: Option<&Path>, limit: u64) -> Result<Cache, CacheError> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => Cache::default_dir().ok_or(CacheError::NoDir)?,
        };
        for sub in [
            "blobs/sha256",
            "blobs/sha512",
            &format!("{SCAN_FORMAT}/sha256"),
            &format!("{SCAN_FORMAT}/sha512"),
            "tmp",
        ] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|source| CacheError::Io { path: p, source })?;
        }
        // Tells backup tools the directory can be skipped (bford.info/cachedir).
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# archlens cache\n",
            );
        }
        Ok(Cache {
            dir,
            limit,
            counter: AtomicU64::new(0),
            owner: temp_owner(),
        })
    }

    /// The cache the configuration asks for: `None` with `--no-cache` (`disabled`) or
    /// `enabled = false`.
    pub fn from_config(
        c: &crate::config::CacheConfig,
        disabled: bool,
    ) -> Result<Option<Cache>, CacheError> {
        if disabled || !c.enabled {
            return Ok(None);
        }
        Cache::open(c.dir.as_deref(), c.max_size_mib.saturating_mul(1 << 20)).map(Some)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn blob_path(&self, d: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(d.algorithm().name())
            .join(d.hex())
    }

    fn scan_path(&self, d: &Digest) -> PathBuf {
        self.dir
            .join(SCAN_FORMAT)
            .join(d.algorithm().name())
            .join(format!("{}.json", d.hex()))
    }

    /// A small blob (manifest, index, config) by digest; a corrupt entry is deleted.
    pub fn get_blob(&self, d: &Digest) -> Option<Vec<u8>> {
        let path = self.blob_path(d);
        let bytes = fs::read(&path).ok()?;
        if !d.matches(&bytes) {
            let _ = fs::remove_file(&path);
            return None;
        }
        touch(&path);
        Some(bytes)
    }

    /// A cached blob parsed as JSON (manifests, configs).
    pub fn get_blob_json<T: DeserializeOwned>(&self, d: &Digest) -> Option<T> {
        serde_json::from_slice(&self.get_blob(d)?).ok()
    }

    /// Stores a blob; refuses bytes that do not match `d`.
    pub fn put_blob(&self, d: &Digest, bytes: &[u8]) -> Result<(), CacheError> {
        if !d.matches(bytes) {
            return Err(CacheError::Io {
                path: self.blob_path(d),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("refusing to cache bytes that do not hash to {d}"),
                ),
            });
        }
        self.write_atomic(&self.blob_path(d), bytes)?;
        self.prune_if_needed();
        Ok(())
    }

    /// The analysis of a layer by its (compressed) blob digest.
    pub fn get_layer_scan(&self, d: &Digest) -> Option<LayerScan> {
        let path = self.scan_path(d);
        let file = fs::File::open(&path).ok()?;
        // Parsed as it is read and checked at the end: a scan of a million files is tens
        // of megabytes of JSON, which need not be in memory next to the scan itself.
        let parsed = (|| {
            let mut r = std::io::BufReader::new(file);
            let mut head = String::new();
            r.read_line(&mut head).ok()?;
            let sum = head
                .strip_suffix('\n')?
                .strip_prefix(SCAN_MAGIC)?
                .to_string();
            let mut hashed = Hashing {
                inner: r,
                hash: Sha256::new(),
            };
            let scan = serde_json::from_reader::<_, LayerScan>(&mut hashed).ok()?;
            (hex::encode(hashed.hash.finalize()) == sum).then_some(scan)
        })();
        match parsed {
            Some(scan) => {
                touch(&path);
                Some(scan)
            }
            None => {
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    pub fn put_layer_scan(&self, d: &Digest, scan: &LayerScan) -> Result<(), CacheError> {
        let path = self.scan_path(d);
        let io = |source| CacheError::Io {
            path: path.clone(),
            source,
        };
        // The body goes to a file as it is serialised (never a buffer the size of the
        // scan); the header, which carries its digest, is put in front by a second copy.
        let body_tmp = self.temp_path("body");
        let result = (|| {
            let mut w = Hashing {
                inner: std::io::BufWriter::new(create_new(&body_tmp).map_err(io)?),
                hash: Sha256::new(),
            };
            serde_json::to_writer(&mut w, scan).map_err(|e| io(std::io::Error::other(e)))?;
            w.inner.flush().map_err(io)?;
            let head = format!("{SCAN_MAGIC}{}\n", hex::encode(w.hash.finalize()));
            let mut body = fs::File::open(&body_tmp).map_err(io)?;
            self.write_atomic_with(&path, |f| {
                f.write_all(head.as_bytes())?;
                std::io::copy(&mut body, f).map(|_| ())
            })
        })();
        let _ = fs::remove_file(&body_tmp);
        result?;
        self.prune_if_needed();
        Ok(())
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        self.write_atomic_with(path, |f| f.write_all(bytes))
    }

    fn write_atomic_with(
        &self,
        path: &Path,
        write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
    ) -> Result<(), CacheError> {
        let tmp = self.temp_path("tmp");
        let io = |source| CacheError::Io {
            path: path.to_path_buf(),
            source,
        };
        let result = (|| {
            let mut f = create_new(&tmp)?;
            write(&mut f)?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(io)
    }

    /// A name in `tmp/` no other writer of this directory uses, on this machine or another.
    fn temp_path(&self, extension: &str) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join("tmp")
            .join(format!("{}-{n}.{extension}", self.owner))
    }

    /// Total bytes of all entries.
    pub fn size(&self) -> u64 {
        self.entries().iter().map(|e| e.1).sum()
    }

    fn entries(&self) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let mut out = Vec::new();
        for top in ["blobs", SCAN_FORMAT] {
            for alg in ["sha256", "sha512"] {
                let Ok(rd) = fs::read_dir(self.dir.join(top).join(alg)) else {
                    continue;
                };
                for e in rd.flatten() {
                    if let Ok(m) = e.metadata()
                        && m.is_file()
                    {
                        let t = m.modified().unwrap_or(std::time::UNIX_EPOCH);
                        out.push((e.path(), m.len(), t));
                    }
                }
            }
        }
        out
    }

    fn prune_if_needed(&self) {
        // Listing the directory on every write would be slow for big caches; check every
        // 64th write, which bounds the overshoot.
        if self.counter.load(Ordering::Relaxed) % 64 == 1 {
            let _ = self.prune();
        }
    }

    /// Deletes least recently used entries until the cache is within its limit. Returns the
    /// bytes freed.
    pub fn prune(&self) -> Result<u64, CacheError> {
        let mut entries = self.entries();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.limit {
            return Ok(0);
        }
        entries.sort_by_key(|e| e.2);
        let mut freed = 0;
        for (path, len, _) in entries {
            if total <= self.limit {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
                freed += len;
            }
        }
        Ok(freed)
    }
}

/// Marks an entry as used now, for LRU pruning. Best effort.
fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}

/// Layer scans already known, by digest: the analysis asks before reading a layer. Defined
/// here, next to the on-disk cache, so sources and analysis both depend on the cache only.
pub trait LayerCache: Sync {
    fn get(&self, digest: &Digest) -> Option<LayerScan>;
    fn put(&self, digest: &Digest, scan: &LayerScan);
    /// Whether a scan of `digest` is kept (reading the layer would download nothing).
    fn has(&self, digest: &Digest) -> bool {
        self.get(digest).is_some()
    }
    /// The caller asked for `digest` (a miss) and then could not read the layer: caches that
    /// hand out claims on misses (the audit's) let the next reader try.
    fn abandon(&self, _digest: &Digest) {}
}

impl LayerCache for Cache {
    fn get(&self, digest: &Digest) -> Option<LayerScan> {
        self.get_layer_scan(digest)
    }
    fn put(&self, digest: &Digest, scan: &LayerScan) {
        // A cache that cannot be written only costs speed; the analysis itself stands.
        let _ = self.put_layer_scan(digest, scan);
    }
    fn has(&self, digest: &Digest) -> bool {
        // No parse: a budget check asks this for every layer of every listed image.
        self.scan_path(digest).is_file()
    }
}

/// Hashes what passes through, either way.
struct Hashing<T> {
    inner: T,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Refuses a name that exists: should two writers ever pick one name, one write fails (a
/// cache miss later) instead of both writing into one file.
fn create_new(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// `HOST-PID-NONCE`: the host name (pods sharing a volume differ there), the pid (processes
/// of one host), and 64 random bits (two containers with one host name and pid 1 each).
fn temp_owner() -> String {
    use std::hash::{BuildHasher, Hasher};
    // std seeds every RandomState from the OS's random source: random bits with no crate.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    format!("{}-{}-{:016x}", hostname(), std::process::id(), h.finish())
}

/// The host name, kept to characters safe in a file name.
fn hostname() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let name: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .take(64)
        .collect();
    if name.is_empty() { "host".into() } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Entry, EntryKind};

    fn scan() -> LayerScan {
        LayerScan {
            entries: vec![Entry {
                path: "/bin/sh".into(),
                kind: EntryKind::File,
                size: 3,
                mode: 0o755,
            }]
            .into(),
            uncompressed_size: 1024,
            ..LayerScan::default()
        }
    }

    #[test]
    fn blobs_and_scans_round_trip_and_corruption_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(Some(dir.path()), 1 << 20).unwrap();
        let bytes = br#"{"schemaVersion":2}"#;
        let d = Digest::sha256_of(bytes);
        assert!(c.get_blob(&d).is_none());
        c.put_blob(&d, bytes).unwrap();
        assert_eq!(c.get_blob(&d).as_deref(), Some(&bytes[..]));
        let v: serde_json::Value = c.get_blob_json(&d).unwrap();
        assert_eq!(v["schemaVersion"], 2);
        assert!(c.put_blob(&Digest::sha256_of(b"other"), bytes).is_err());

        let layer = Digest::sha256_of(b"layer");
        c.put_layer_scan(&layer, &scan()).unwrap();
        let back = c.get_layer_scan(&layer).unwrap();
        assert_eq!(back.entries, scan().entries);
        assert_eq!(back.uncompressed_size, 1024);

        // Flip a byte in each entry: both are detected and deleted.
        for p in [c.blob_path(&d), c.scan_path(&layer)] {
            let mut b = fs::read(&p).unwrap();
            let last = b.len() - 2;
            b[last] ^= 1;
            fs::write(&p, b).unwrap();
        }
        assert!(c.get_blob(&d).is_none());
        assert!(c.get_layer_scan(&layer).is_none());
        assert!(!c.blob_path(&d).exists());
        assert!(!c.scan_path(&layer).exists());
    }

    #[test]
    fn prune_keeps_within_limit_dropping_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(Some(dir.path()), 2500).unwrap();
        let mut ds = Vec::new();
        for i in 0..5u8 {
            let bytes = vec![i; 1000];
            let d = Digest::sha256_of(&bytes);
            c.put_blob(&d, &bytes).unwrap();
            let p = c.blob_path(&d);
            let f = fs::File::options().append(true).open(&p).unwrap();
            f.set_modified(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1000 + u64::from(i)),
            )
            .unwrap();
            ds.push(d);
        }
        c.prune().unwrap();
        assert!(c.size() <= 2500);
        assert!(c.get_blob(&ds[0]).is_none(), "oldest entry kept");
        assert!(c.get_blob(&ds[4]).is_some(), "newest entry dropped");
    }

    #[test]
    fn two_writers_of_one_directory_never_share_a_temporary_name() {
        // Two pods on one EFS volume, both pid 1: the same directory, two caches.
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            Cache::open(Some(dir.path()), 1 << 20).unwrap(),
            Cache::open(Some(dir.path()), 1 << 20).unwrap(),
        );
        let (ta, tb) = (a.temp_path("tmp"), b.temp_path("tmp"));
        assert_ne!(ta, tb, "the same counter value, different owners");
        let name = ta.file_name().unwrap().to_string_lossy().into_owned();
        let host = hostname();
        let pid = std::process::id();
        assert!(name.starts_with(&format!("{host}-{pid}-")), "{name}");
        assert_ne!(a.temp_path("tmp"), ta, "each name once");
        // Both write the same entry at once; each rename lands a whole entry.
        let bytes = vec![7u8; 100_000];
        let d = Digest::sha256_of(&bytes);
        std::thread::scope(|s| {
            for c in [&a, &b] {
                s.spawn(|| {
                    for _ in 0..20 {
                        c.put_blob(&d, &bytes).unwrap();
                        c.put_layer_scan(&d, &scan()).unwrap();
                    }
                });
            }
        });
        assert_eq!(b.get_blob(&d).as_deref(), Some(&bytes[..]));
        assert_eq!(a.get_layer_scan(&d).unwrap().entries, scan().entries);
        let left = fs::read_dir(dir.path().join("tmp")).unwrap().count();
        assert_eq!(left, 0, "no temporary file left behind");
    }
}
