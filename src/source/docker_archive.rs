//! `docker save` tarballs (`docker-archive:FILE[:NAME:TAG]`): the classic layout
//! (`<id>/layer.tar`), skopeo's (`<hex>.tar`) and Docker 25+'s (`blobs/sha256/<hex>`).
//!
//! The archive has no manifest of its own, so one is synthesised: a Docker schema 2
//! manifest whose config digest is the sha256 of the config file and whose layer digests
//! are the sha256 of each layer file, so every later read still verifies.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use serde::Deserialize;

use super::archive::TarStore;
use super::verify::VerifyingReader;
use super::{BlobFile, Fetched, ImageSource, SourceError, Store, read_metadata, safe_relative};
use crate::oci::{Digest, media};

/// Docker's own media types for a schema 2 manifest's layers.
const LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
const LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker schema 2 has no zstd layer type; the OCI one is what Docker itself writes.
const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// One image of `manifest.json`.
#[derive(Debug, Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// A docker-archive as an [`ImageSource`].
pub struct DockerArchive {
    store: TarStore,
    label: String,
    manifest: Fetched,
    /// Digest -> (file in the archive, size, hashed by `open`: its bytes are known to match).
    blobs: HashMap<Digest, (String, u64, bool)>,
}

/// `docker.io/library/x:1` and `x:1` name the same image; a missing tag means `latest`.
pub(crate) fn canonical(name: &str) -> String {
    let name = name
        .strip_prefix("docker.io/library/")
        .or_else(|| name.strip_prefix("docker.io/"))
        .unwrap_or(name);
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

impl DockerArchive {
    /// Indexes the archive, picks the image (`NAME:TAG`, `@N`, or the only one) and
    /// synthesises its manifest (hashing layer files whose name is not their digest).
    pub fn open(file: &Path, image: Option<&str>) -> Result<DockerArchive, SourceError> {
        DockerArchive::open_known(file, image, &HashMap::new())
    }

    /// As [`DockerArchive::open`], with the sha256 of files already hashed by whoever wrote
    /// the archive (name -> digest), so layers are not read twice; reads still verify them.
    pub fn open_known(
        file: &Path,
        image: Option<&str>,
        known: &HashMap<String, Digest>,
    ) -> Result<DockerArchive, SourceError> {
        let store = TarStore::index(file)?;
        let label = match image {
            Some(i) => format!("docker-archive:{}:{i}", file.display()),
            None => format!("docker-archive:{}", file.display()),
        };
        let what = store.label("manifest.json");
        let bytes = read_metadata(&store, "manifest.json").map_err(|e| match e {
            SourceError::NotFound(_) => SourceError::Invalid(format!(
                "{label}: {what} is missing: not a docker-archive (docker save) tarball"
            )),
            e => e,
        })?;
        let images: Vec<SavedImage> = serde_json::from_slice(&bytes).map_err(|e| {
            SourceError::Invalid(format!(
                "{what} is not a docker save manifest (a list of Config/RepoTags/Layers): {e}"
            ))
        })?;
        let chosen = pick(&images, image, &label)?;
        let mut blobs = HashMap::new();

        let config_name = safe_relative(&chosen.config, &what)?;
        let config_bytes = read_metadata(&store, &config_name)?;
        let config_digest = Digest::sha256_of(&config_bytes);
        blobs.insert(
            config_digest.clone(),
            (config_name, config_bytes.len() as u64, false),
        );

        let names = chosen
            .layers
            .iter()
            .map(|layer| safe_relative(layer, &what))
            .collect::<Result<Vec<_>, _>>()?;
        let described = describe_layers(&store, &label, &names, known)?;
        let mut layers = Vec::new();
        for (name, (digest, size, media_type, hashed)) in names.into_iter().zip(described) {
            layers.push(serde_json::json!({
                "mediaType": media_type,
                "size": size,
                "digest": digest.to_string(),
            }));
            blobs.insert(digest, (name, size, hashed));
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::DOCKER_MANIFEST,
            "config": {
                "mediaType": media::DOCKER_CONFIG,
                "size": config_bytes.len(),
                "digest": config_digest.to_string(),
            },
            "layers": layers,
        });
        let bytes = serde_json::to_vec(&manifest)
            .map_err(|e| SourceError::Invalid(format!("{label}: {e}")))?;
        Ok(DockerArchive {
            store,
            label,
            manifest: Fetched {
                digest: Digest::sha256_of(&bytes),
                media_type: Some(media::DOCKER_MANIFEST.to_string()),
                bytes,
            },
            blobs,
        })
    }
}

fn pick<'a>(
    images: &'a [SavedImage],
    wanted: Option<&str>,
    label: &str,
) -> Result<&'a SavedImage, SourceError> {
    let tags = |i: &SavedImage| i.repo_tags.clone().unwrap_or_default();
    let choices = || {
        images
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let t = tags(i);
                if t.is_empty() {
                    format!("@{n}")
                } else {
                    t.join(" / ")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        None => match images {
            [] => Err(SourceError::NotFound(format!(
                "{label}: manifest.json lists no images"
            ))),
            [one] => Ok(one),
            _ => Err(SourceError::Reference(format!(
                "{label} holds {} images; name one as docker-archive:FILE:NAME:TAG (or :@N). Choices: {}",
                images.len(),
                choices()
            ))),
        },
        Some(w) => {
            if let Some(n) = w.strip_prefix('@')
                && let Ok(n) = n.parse::<usize>()
            {
                return images.get(n).ok_or_else(|| {
                    SourceError::NotFound(format!(
                        "{label}: there is no image @{n}; choices: {}",
                        choices()
                    ))
                });
            }
            let want = canonical(w);
            images
                .iter()
                .find(|i| tags(i).iter().any(|t| canonical(t) == want))
                .ok_or_else(|| {
                    SourceError::NotFound(format!(
                        "{label}: no image tagged {w}; choices: {}",
                        choices()
                    ))
                })
        }
    }
}

/// A layer file's digest, size, media type, and whether `open` hashed it.
type Described = (Digest, u64, &'static str, bool);

/// Describes every layer, hashing on one thread per core, largest first: hashing is most
/// of opening a big archive, and one large layer should not wait behind the small ones.
/// Each distinct file is read once, and opened only when its turn comes: a manifest may
/// list one file thousands of times, more than a process may hold open.
fn describe_layers(
    store: &TarStore,
    label: &str,
    names: &[String],
    known: &HashMap<String, Digest>,
) -> Result<Vec<Described>, SourceError> {
    // In manifest order, so a missing file is reported as it was when layers were read one by one.
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    for name in names.iter().map(String::as_str) {
        if seen.insert(name) {
            order.push((name, store.open(name)?.1));
        }
    }
    order.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(order.len())
        .max(1);
    let queue = Mutex::new(order.into_iter());
    let done = Mutex::new(HashMap::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((name, _)) = next else {
                        break;
                    };
                    let r = store.open(name).and_then(|(reader, size)| {
                        describe_layer(store, name, reader, size, known.get(name))
                    });
                    if let Ok(mut d) = done.lock() {
                        d.insert(name, r);
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    let mut described = Vec::with_capacity(names.len());
    for name in names {
        if let Some(Ok(d)) = done.get(name.as_str()) {
            described.push(d.clone());
            continue;
        }
        return Err(match done.remove(name.as_str()) {
            Some(Err(e)) => e,
            _ => SourceError::Invalid(format!(
                "{label}: a thread hashing its layers stopped before {name}; try again"
            )),
        });
    }
    Ok(described)
}

/// Digest, size and media type of a layer file, and whether it was hashed here. Docker 25+
/// stores layers content-addressed (`blobs/sha256/<hex>`): the name is the digest, and
/// reading verifies it anyway. Other names say nothing trustworthy, so the file is hashed
/// (streamed, not buffered).
fn describe_layer(
    store: &TarStore,
    name: &str,
    mut reader: Box<dyn Read + Send>,
    size: u64,
    known: Option<&Digest>,
) -> Result<Described, SourceError> {
    let io = |source| SourceError::Io {
        what: store.label(name),
        source,
    };
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        let n = reader.read(&mut magic[got..]).map_err(io)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let media_type = match media::sniff(&magic[..got]) {
        media::Compression::Gzip => LAYER_GZIP,
        media::Compression::Zstd => LAYER_ZSTD,
        _ => LAYER_TAR,
    };
    if let Some(d) = known {
        return Ok((d.clone(), size, media_type, false));
    }
    if let Some(hex) = name.strip_prefix("blobs/sha256/")
        && let Ok(d) = format!("sha256:{hex}").parse::<Digest>()
    {
        return Ok((d, size, media_type, false));
    }
    let mut hasher = Digest::sha256_of(&[]).hasher();
    hasher.update(&magic[..got]);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest = format!("sha256:{}", hasher.finish_hex())
        .parse()
        .map_err(|e| SourceError::Invalid(format!("{}: {e}", store.label(name))))?;
    Ok((digest, size, media_type, true))
}

impl ImageSource for DockerArchive {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn root(&self) -> Result<Fetched, SourceError> {
        Ok(self.manifest.clone())
    }

    fn manifest(&self, digest: &Digest, _media_type: Option<&str>) -> Result<Fetched, SourceError> {
        if *digest == self.manifest.digest {
            return Ok(self.manifest.clone());
        }
        Err(SourceError::NotFound(format!(
            "{}: no manifest {digest} (a docker-archive holds one synthesised manifest per image)",
            self.label
        )))
    }

    fn blob(&self, digest: &Digest, size: u64) -> Result<Box<dyn Read + Send>, SourceError> {
        let Some((name, actual, _)) = self.blobs.get(digest) else {
            return Err(SourceError::NotFound(format!(
                "{}: no blob {digest} in this image",
                self.label
            )));
        };
        if *actual != size {
            return Err(SourceError::Invalid(format!(
                "blob {digest}: the descriptor says {size} bytes but {} holds {actual}",
                self.store.label(name)
            )));
        }
        let (reader, _) = self.store.open(name)?;
        Ok(Box::new(VerifyingReader::new(reader, digest.clone(), size)))
    }

    fn verified_file(&self, digest: &Digest, size: u64) -> Result<Option<BlobFile>, SourceError> {
        match self.blobs.get(digest) {
            Some((name, actual, true)) if *actual == size => Ok(Some(self.store.open_file(name)?)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn names_compare_like_docker() {
        assert_eq!(canonical("docker.io/library/app:1"), "app:1");
        assert_eq!(canonical("app"), "app:latest");
        assert_eq!(canonical("localhost:5000/app"), "localhost:5000/app:latest");
    }
}
