//! Images in a local engine (`docker-daemon:NAME[:TAG]|ID`, `podman:NAME`), read through the
//! Docker Engine API: inspect for the platform, `docker save` spooled to disk for the layers.
//!
//! The save stream is a docker-archive whose `manifest.json` comes last, so the archive is
//! spooled to a file (the cache directory, else a temp dir) and read by [`DockerArchive`];
//! nothing of it is held in memory. The spool is made once, when manifests or blobs are
//! first asked for, and removed when the source is dropped.

pub mod api;
pub mod endpoint;
pub mod http;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use api::{Engine, Inspect, Summary};

use super::docker_archive::{DockerArchive, canonical};
use super::{Fetched, ImageSource, SourceError, safe_relative};
use crate::oci::Digest;

/// Which engine a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Docker,
    Podman,
}

impl EngineKind {
    /// The reference prefix without its colon (`docker-daemon`, `podman`).
    pub fn transport(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker-daemon",
            EngineKind::Podman => "podman",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Docker => "Docker",
            EngineKind::Podman => "Podman",
        }
    }

    fn start_hint(self) -> &'static str {
        match self {
            EngineKind::Docker => {
                "start Docker (`sudo systemctl start docker`, or Docker Desktop), or point DOCKER_HOST at its socket"
            }
            EngineKind::Podman => {
                "start Podman's API service (`systemctl --user start podman.socket`, or `podman system service --time 0 &`), or point CONTAINER_HOST at its socket"
            }
        }
    }
}

/// Finds and connects to the engine of `kind` as the environment names it.
pub fn connect(kind: EngineKind) -> Result<Engine, SourceError> {
    let located =
        endpoint::locate(kind, &endpoint::Env::current()).map_err(SourceError::Reference)?;
    Engine::connect(kind, located).map_err(SourceError::NotFound)
}

/// Up to three tags of `images` nearest to `wanted` by edit distance, nearest first.
pub fn closest(images: &[Summary], wanted: &str) -> Vec<String> {
    crate::text::closest_by(
        &canonical(wanted),
        images.iter().flat_map(Summary::tags),
        3,
        |t| canonical(t),
    )
}

/// One engine image as an [`ImageSource`].
pub struct EngineImage {
    engine: Engine,
    label: String,
    pub inspect: Inspect,
    /// The image ID as a digest: the listing names the image by it before the archive exists.
    id: Option<Digest>,
    spool_dir: Option<PathBuf>,
    spooled: Mutex<Option<Arc<Spooled>>>,
}

struct Spooled {
    archive: DockerArchive,
    /// Kept so the file lives as long as the archive reads it.
    _file: tempfile::NamedTempFile,
}

impl EngineImage {
    /// Connects to the engine and inspects `name`; an unknown name fails with the closest
    /// tags the engine holds. `spool_dir` is where `docker save` is spooled (else a temp dir).
    pub fn open(
        kind: EngineKind,
        name: &str,
        spool_dir: Option<&Path>,
    ) -> Result<EngineImage, SourceError> {
        let engine = connect(kind)?;
        EngineImage::with_engine(engine, name, spool_dir)
    }

    /// As [`EngineImage::open`] on an engine already connected.
    pub fn with_engine(
        engine: Engine,
        name: &str,
        spool_dir: Option<&Path>,
    ) -> Result<EngineImage, SourceError> {
        let label = format!("{}:{name}", engine.kind.transport());
        let Some(inspect) = engine.inspect(name).map_err(SourceError::NotFound)? else {
            let near = engine.list().map(|l| closest(&l, name)).unwrap_or_default();
            let list = match engine.kind {
                EngineKind::Docker => "docker images",
                EngineKind::Podman => "podman images",
            };
            let hint = if near.is_empty() {
                format!("it holds no tagged images (`{list}`)")
            } else {
                format!("closest: {} (`{list}` lists all)", near.join(", "))
            };
            return Err(SourceError::NotFound(format!(
                "{} has no image {name}; {hint}",
                engine.label()
            )));
        };
        Ok(EngineImage {
            id: inspect.id.parse().ok(),
            label,
            engine,
            inspect,
            spool_dir: spool_dir.map(Path::to_path_buf),
            spooled: Mutex::new(None),
        })
    }

    /// The image ID (the config's digest).
    pub fn id(&self) -> Option<&Digest> {
        self.id.as_ref()
    }

    /// `docker save` once, to disk, then read as a docker-archive. Layers are read in
    /// parallel, so the first caller saves and the rest wait for it.
    fn spooled(&self) -> Result<Arc<Spooled>, SourceError> {
        let mut slot = self.spooled.lock().map_err(|_| {
            SourceError::Invalid(format!("{}: a reader of the spool panicked", self.label))
        })?;
        if let Some(s) = slot.as_ref() {
            return Ok(Arc::clone(s));
        }
        let io = |what: &str, source| SourceError::Io {
            what: format!("{}: {what}", self.label),
            source,
        };
        if let Some(d) = &self.spool_dir {
            sweep(d);
        }
        let mut file = match &self.spool_dir {
            Some(d) => std::fs::create_dir_all(d)
                .and_then(|()| {
                    tempfile::Builder::new()
                        .prefix("save-")
                        .suffix(".tar")
                        .tempfile_in(d)
                })
                .map_err(|e| io(&format!("spool file in {}", d.display()), e))?,
            None => tempfile::Builder::new()
                .prefix("archlens-save-")
                .suffix(".tar")
                .tempfile()
                .map_err(|e| io("spool file", e))?,
        };
        let body = self
            .engine
            .save(&self.inspect.id)
            .map_err(SourceError::NotFound)?;
        let known = spool(body, file.as_file_mut())
            .map_err(|e| io(&format!("saving the image from {}", self.engine.label()), e))?;
        let archive = DockerArchive::open_known(file.path(), None, &known)?;
        let s = Arc::new(Spooled {
            archive,
            _file: file,
        });
        *slot = Some(Arc::clone(&s));
        Ok(s)
    }
}

/// Spools older than a day were left by a process that was killed (a dropped source removes
/// its own); they would otherwise fill the cache directory.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        let ours = e.file_name().to_string_lossy().starts_with("save-");
        if old && ours {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Copies a tar stream to `out` whole, hashing each regular file on the way, so the layers
/// of a classic `docker save` (named by ID, not digest) are read once here and once to scan.
fn spool(body: impl Read, out: &mut std::fs::File) -> std::io::Result<HashMap<String, Digest>> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut tee = Tee {
        inner: body,
        out: &mut out,
    };
    let mut known = HashMap::new();
    {
        let mut archive = tar::Archive::new(&mut tee);
        let mut buf = vec![0u8; 256 * 1024];
        for entry in archive.entries()? {
            let mut entry = entry?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mut hasher = Digest::sha256_of(&[]).hasher();
            loop {
                let n = entry.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            // Names the archive reader would refuse are never asked for.
            if let (Ok(name), Ok(d)) = (
                safe_relative(&raw, "docker save"),
                format!("sha256:{}", hasher.finish_hex()).parse::<Digest>(),
            ) {
                known.insert(name, d);
            }
        }
    }
    // The end-of-archive blocks and record padding, so the file is the stream byte for byte.
    std::io::copy(&mut tee, &mut std::io::sink())?;
    out.flush()?;
    Ok(known)
}

/// A reader that writes everything it reads to `out`.
struct Tee<R, W> {
    inner: R,
    out: W,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

impl ImageSource for EngineImage {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn root(&self) -> Result<Fetched, SourceError> {
        self.spooled()?.archive.root()
    }

    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
        let s = self.spooled()?;
        // The explorer lists an engine image by its ID before anything is saved.
        if self.id.as_ref() == Some(digest) {
            return s.archive.root();
        }
        s.archive.manifest(digest, media_type)
    }

    fn blob(&self, digest: &Digest, size: u64) -> Result<Box<dyn Read + Send>, SourceError> {
        self.spooled()?.archive.blob(digest, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(tags: &[&str]) -> Summary {
        Summary {
            id: "sha256:00".into(),
            repo_tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            created: 0,
            size: 0,
        }
    }

    #[test]
    fn the_spool_is_the_stream_byte_for_byte_with_each_file_hashed() {
        use std::io::Seek;
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("abc/layer.tar", &b"layer bytes"[..]),
            ("manifest.json", b"[]"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, data).unwrap();
        }
        let stream = b.into_inner().unwrap();
        let mut file = tempfile::tempfile().unwrap();
        let known = spool(&stream[..], &mut file).unwrap();
        assert_eq!(known["abc/layer.tar"], Digest::sha256_of(b"layer bytes"));
        assert_eq!(known["manifest.json"], Digest::sha256_of(b"[]"));
        let mut written = Vec::new();
        file.rewind().unwrap();
        file.read_to_end(&mut written).unwrap();
        assert_eq!(written, stream);
    }

    #[test]
    fn unknown_names_get_the_nearest_tags() {
        let images = [
            summary(&["myapp:latest", "myapp:v2"]),
            summary(&["<none>:<none>"]),
            summary(&["postgres:16"]),
        ];
        let near = closest(&images, "myap");
        assert_eq!(near[0], "myapp:latest");
        assert!(!near.iter().any(|t| t.contains("<none>")));
    }
}
