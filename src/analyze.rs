//! The analysis pipeline: from a source to the images it holds, and from one image to its
//! merged filesystem and artefacts. Manifest-level facts ([`load_root`]) come first and cheap;
//! layers are read only by [`analyze_image`], in parallel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

use crate::oci::limits::CONFIG_MAX;
use crate::oci::manifest::{self, Document, EntryKind};
use crate::oci::{Digest, Platform, media};
use crate::scan::{self, LAYER_LIMIT, LayerScan, MergedFs};
use crate::source::{ImageSource, SourceError};

/// Layer scans already known, by digest (the on-disk cache implements it).
pub use crate::cache::LayerCache;

/// One manifest listed by the reference: an index entry, or the single image itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub digest: Digest,
    pub media_type: String,
    /// The platform the index declares for it (none for a single manifest).
    pub platform: Option<Platform>,
    pub kind: EntryKind,
    /// For an attestation or a SOCI index, the digest of the image it describes.
    pub subject: Option<String>,
    /// What a non-image entry is (SOCI index, signature, ...); absent for an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<manifest::Artifact>,
    pub size: u64,
}

/// What the reference points at, learned from manifests only.
#[derive(Debug, Clone, Serialize)]
pub struct Root {
    pub digest: Digest,
    pub media_type: String,
    /// True when the reference is an index (manifest list), false for a single image.
    pub is_index: bool,
    /// Every manifest: the index entries (nested indexes flattened), or the single image.
    pub entries: Vec<Entry>,
}

impl Root {
    /// The runnable images (attestations and other artefacts left out).
    pub fn images(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.kind == EntryKind::Image)
    }

    /// The kinds of non-image entries, each once, in a fixed order.
    pub fn artifacts(&self) -> Vec<manifest::Artifact> {
        let mut kinds: Vec<_> = self.entries.iter().filter_map(|e| e.artifact).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// Attestations whose subject is `digest`.
    pub fn attestations_of<'a>(&'a self, digest: &'a Digest) -> impl Iterator<Item = &'a Entry> {
        let d = digest.to_string();
        self.entries
            .iter()
            .filter(move |e| e.kind == EntryKind::Attestation && e.subject.as_deref() == Some(&d))
    }
}

/// The parts of an image config that decide what runs.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// `config.Labels`, sorted by key; bounded (see [`MAX_LABELS`]), not sanitised: shown
    /// through `text::sanitize` like every string from an image.
    #[serde(skip)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// The platform the config declares.
    #[serde(skip)]
    pub platform: Platform,
    /// `created_by` of the history items that made a layer, in layer order (may be shorter
    /// than the layers when the history is incomplete).
    #[serde(skip)]
    pub layer_history: Vec<String>,
}

impl Config {
    /// The value of `PATH` in the config, or the default runtimes use when unset.
    pub fn path_var(&self) -> String {
        self.env
            .iter()
            .find_map(|e| e.strip_prefix("PATH=").map(str::to_string))
            .unwrap_or_else(|| DEFAULT_PATH.to_string())
    }
}

/// Labels kept of a config, and characters kept of each key and value: a config is data
/// from outside, and the explorer only shows them.
pub const MAX_LABELS: usize = 256;
const MAX_LABEL_CHARS: usize = 2048;

/// The `PATH` runc and containerd use when the image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One layer of an analysed image.
#[derive(Debug, Clone)]
pub struct Layer {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub created_by: Option<String>,
    pub scan: Arc<LayerScan>,
}

/// An image read to the last byte: config, layers and the merged filesystem.
#[derive(Debug, Clone)]
pub struct Image {
    pub digest: Digest,
    pub media_type: String,
    pub config_digest: Digest,
    pub config: Config,
    pub layers: Vec<Layer>,
    pub fs: MergedFs,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("layer {layer}: {detail}")]
    Layer { layer: Digest, detail: String },
    #[error("{0}")]
    Invalid(String),
}

/// Live counters a caller can show while layers are read.
#[derive(Debug, Default)]
pub struct Progress {
    pub layers_total: AtomicUsize,
    pub layers_done: AtomicUsize,
    pub bytes_total: AtomicU64,
    pub bytes_read: AtomicU64,
}

/// Reads the top manifest or index and lists what it holds, without touching layers.
pub fn load_root(src: &dyn ImageSource) -> Result<Root, AnalyzeError> {
    let top = src.root()?;
    let what = top.digest.to_string();
    let doc = manifest::parse_document(&top.bytes, top.media_type.as_deref(), &what)?;
    match doc {
        Document::Image(m) => {
            let media_type = m
                .media_type()
                .as_ref()
                .map(|m| m.to_string())
                .or(top.media_type.clone())
                .unwrap_or_else(|| media::OCI_MANIFEST.to_string());
            Ok(Root {
                digest: top.digest.clone(),
                media_type: media_type.clone(),
                is_index: false,
                entries: vec![Entry {
                    digest: top.digest,
                    media_type,
                    platform: None,
                    kind: EntryKind::Image,
                    subject: None,
                    artifact: None,
                    size: top.bytes.len() as u64,
                }],
            })
        }
        Document::Index(index) => {
            let media_type = index
                .media_type()
                .as_ref()
                .map(|m| m.to_string())
                .or(top.media_type.clone())
                .unwrap_or_else(|| media::OCI_INDEX.to_string());
            let mut entries = Vec::new();
            flatten(src, &index, &mut entries, 0)?;
            Ok(Root {
                digest: top.digest,
                media_type,
                is_index: true,
                entries,
            })
        }
    }
}

/// Collects index entries, opening nested indexes (as `oci:` layouts with several tags and
/// some registries produce) up to a small depth.
fn flatten(
    src: &dyn ImageSource,
    index: &oci_spec::image::ImageIndex,
    out: &mut Vec<Entry>,
    depth: usize,
) -> Result<(), AnalyzeError> {
    for d in index.manifests() {
        let digest: Digest = d
            .digest()
            .to_string()
            .parse()
            .map_err(|e| AnalyzeError::Invalid(format!("index entry: {e}")))?;
        let media_type = d.media_type().to_string();
        if media::is_index(&media_type) && depth < 2 {
            let child = src.manifest(&digest, Some(&media_type))?;
            if let Document::Index(i) =
                manifest::parse_document(&child.bytes, Some(&media_type), &digest.to_string())?
            {
                flatten(src, &i, out, depth + 1)?;
                continue;
            }
        }
        let (kind, subject) = manifest::entry_kind(d);
        out.push(Entry {
            digest,
            media_type,
            platform: manifest::descriptor_platform(d),
            kind,
            subject,
            artifact: manifest::artifact(d),
            size: d.size(),
        });
    }
    Ok(())
}

/// Reads one image: its manifest, config, and every layer (in parallel, or from `cache`),
/// then stacks the layers into the merged filesystem.
pub fn analyze_image(
    src: &dyn ImageSource,
    digest: &Digest,
    media_type: Option<&str>,
    cache: Option<&dyn LayerCache>,
    progress: &Progress,
) -> Result<Image, AnalyzeError> {
    let fetched = src.manifest(digest, media_type)?;
    let what = digest.to_string();
    let m = match manifest::parse_document(&fetched.bytes, media_type, &what)? {
        Document::Image(m) => m,
        Document::Index(_) => {
            return Err(AnalyzeError::Invalid(format!(
                "{what} is an index, not an image: pick one of its platforms"
            )));
        }
    };
    let config_digest: Digest = m
        .config()
        .digest()
        .to_string()
        .parse()
        .map_err(|e| AnalyzeError::Invalid(format!("{what}: config: {e}")))?;
    let config_bytes = read_small_blob(src, &config_digest, m.config().size())?;
    let cfg = manifest::parse_config(&config_bytes, &format!("config {config_digest}"))?;
    let config = summarise_config(&cfg);

    let descs: Vec<_> = m
        .layers()
        .iter()
        .filter(|l| media::is_filesystem_layer(l.media_type().as_ref()))
        .collect();
    let mut wanted = Vec::with_capacity(descs.len());
    for d in &descs {
        let digest: Digest = d
            .digest()
            .to_string()
            .parse()
            .map_err(|e| AnalyzeError::Invalid(format!("{what}: layer: {e}")))?;
        wanted.push((digest, d.media_type().to_string(), d.size()));
    }
    if wanted.len() > LAYER_LIMIT {
        // Stacking stops at the limit, so a binary in a layer above it would go unseen:
        // refuse the image rather than judge part of it.
        return Err(AnalyzeError::Invalid(format!(
            "{what} has {} filesystem layers; archlens stacks at most {LAYER_LIMIT} (and no container runtime mounts that many: overlayfs stops at about 500), so its files were not checked. Squash the image or rebuild it with fewer layers",
            wanted.len()
        )));
    }
    progress
        .layers_total
        .fetch_add(wanted.len(), Ordering::Relaxed);
    progress
        .bytes_total
        .fetch_add(wanted.iter().map(|w| w.2).sum(), Ordering::Relaxed);

    let scans = scan_layers(src, &wanted, cache, progress)?;
    let layer_refs: Vec<(Digest, &LayerScan)> = wanted
        .iter()
        .zip(&scans)
        .map(|(w, s)| (w.0.clone(), s.as_ref()))
        .collect();
    let fs = MergedFs::build(&layer_refs);
    let layers = wanted
        .into_iter()
        .zip(scans)
        .enumerate()
        .map(|(i, ((digest, media_type, size), scan))| Layer {
            digest,
            media_type,
            size,
            created_by: config.layer_history.get(i).cloned(),
            scan,
        })
        .collect();
    Ok(Image {
        digest: digest.clone(),
        media_type: media_type
            .map(str::to_string)
            .or(fetched.media_type)
            .unwrap_or_else(|| media::OCI_MANIFEST.to_string()),
        config_digest,
        config,
        layers,
        fs,
    })
}

fn read_small_blob(
    src: &dyn ImageSource,
    digest: &Digest,
    size: u64,
) -> Result<Vec<u8>, AnalyzeError> {
    if size > CONFIG_MAX {
        return Err(AnalyzeError::Invalid(format!(
            "blob {digest} claims {size} bytes; a config is never that large: the manifest is corrupt"
        )));
    }
    Ok(src.small_blob(digest, size)?)
}

/// Scans layers on a small pool of threads (one per core, at most one per layer).
fn scan_layers(
    src: &dyn ImageSource,
    wanted: &[(Digest, String, u64)],
    cache: Option<&dyn LayerCache>,
    progress: &Progress,
) -> Result<Vec<Arc<LayerScan>>, AnalyzeError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(wanted.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Arc<LayerScan>, AnalyzeError>>> =
        (0..wanted.len()).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<&mut Option<_>>> =
        results.iter_mut().map(std::sync::Mutex::new).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((digest, media_type, size)) = wanted.get(i) else {
                        break;
                    };
                    let r = scan_one(src, digest, media_type, *size, cache, progress);
                    progress.layers_done.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut slot) = slots[i].lock() {
                        **slot = Some(r);
                    }
                }
            });
        }
    });
    drop(slots);
    results
        .into_iter()
        .zip(wanted)
        .map(|(r, w)| {
            r.unwrap_or_else(|| {
                Err(AnalyzeError::Layer {
                    layer: w.0.clone(),
                    detail: "the worker reading this layer stopped".into(),
                })
            })
        })
        .collect()
}

fn scan_one(
    src: &dyn ImageSource,
    digest: &Digest,
    media_type: &str,
    size: u64,
    cache: Option<&dyn LayerCache>,
    progress: &Progress,
) -> Result<Arc<LayerScan>, AnalyzeError> {
    if let Some(hit) = cache.and_then(|c| c.get(digest)) {
        progress.bytes_read.fetch_add(size, Ordering::Relaxed);
        return Ok(Arc::new(hit));
    }
    let scanned = read_layer(src, digest, media_type, size, progress);
    let scan = match scanned {
        Ok(scan) => scan,
        Err(e) => {
            if let Some(c) = cache {
                c.abandon(digest);
            }
            return Err(e);
        }
    };
    if let Some(c) = cache {
        c.put(digest, &scan);
    }
    Ok(Arc::new(scan))
}

/// Downloads and scans one layer (no cache).
fn read_layer(
    src: &dyn ImageSource,
    digest: &Digest,
    media_type: &str,
    size: u64,
    progress: &Progress,
) -> Result<LayerScan, AnalyzeError> {
    let scanned = if let Some(file) = src.verified_file(digest, size)? {
        // Checked when the source was opened: a plain tar is walked by its headers.
        let scan = scan::scan_verified_file(file.file, file.len, media_type, digest);
        progress.bytes_read.fetch_add(size, Ordering::Relaxed);
        scan
    } else {
        let blob = src.blob(digest, size)?;
        let counted = CountingReader {
            inner: blob,
            counter: &progress.bytes_read,
        };
        scan::scan_layer(counted, media_type, digest)
    };
    scanned.map_err(|e| AnalyzeError::Layer {
        layer: digest.clone(),
        detail: e.to_string(),
    })
}

struct CountingReader<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
}

impl<R: std::io::Read> std::io::Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn summarise_config(cfg: &oci_spec::image::ImageConfiguration) -> Config {
    let c = cfg.config().as_ref();
    let layer_history = cfg
        .history()
        .as_ref()
        .map(|h| {
            h.iter()
                .filter(|h| !h.empty_layer().unwrap_or(false))
                .map(|h| h.created_by().clone().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    Config {
        entrypoint: c.and_then(|c| c.entrypoint().clone()),
        cmd: c.and_then(|c| c.cmd().clone()),
        env: c.and_then(|c| c.env().clone()).unwrap_or_default(),
        workdir: c
            .and_then(|c| c.working_dir().clone())
            .filter(|w| !w.is_empty()),
        user: c.and_then(|c| c.user().clone()).filter(|u| !u.is_empty()),
        labels: c
            .and_then(|c| c.labels().as_ref())
            .map(|l| {
                let cut = |s: &String| s.chars().take(MAX_LABEL_CHARS).collect::<String>();
                let mut sorted: Vec<_> = l.iter().collect();
                sorted.sort();
                sorted
                    .into_iter()
                    .take(MAX_LABELS)
                    .map(|(k, v)| (cut(k), cut(v)))
                    .collect()
            })
            .unwrap_or_default(),
        platform: manifest::config_platform(cfg),
        layer_history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_labels_are_kept_sorted_and_bounded() {
        let long = "v".repeat(5000);
        let json = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"org.opencontainers.image.source": "https://x", "a": long}},
            "rootfs": {"type": "layers", "diff_ids": []}
        });
        let cfg: oci_spec::image::ImageConfiguration = serde_json::from_value(json).unwrap();
        let c = summarise_config(&cfg);
        let keys: Vec<&str> = c.labels.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "org.opencontainers.image.source"]);
        assert_eq!(c.labels["a"].len(), MAX_LABEL_CHARS);
    }
}
