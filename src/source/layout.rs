//! OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), read from a
//! directory or, through the same code, from an indexed tar (see [`super::archive`]).
//!
//! Which image a reference names: with `:REF`, the `index.json` entries whose
//! `org.opencontainers.image.ref.name` is REF (one entry -> that manifest or index;
//! several, e.g. one per platform -> a virtual index of just those). Without REF: a single
//! entry is the image; several entries that carry at most one distinct name are taken as
//! the platforms of one image, so `index.json` itself is the root index (digest = sha256 of
//! its bytes); several distinct names are ambiguous and the error lists them.

use std::fs::File;
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use super::verify::{VerifyingReader, read_small};
use super::{Fetched, ImageSource, SourceError, Store, read_metadata};
use crate::oci::limits::MANIFEST_MAX;
use crate::oci::manifest::{Document, parse_document};
use crate::oci::{Digest, media};

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A layout directory on disk.
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: &Path) -> DirStore {
        DirStore {
            root: root.to_path_buf(),
        }
    }
}

impl Store for DirStore {
    fn open(&self, name: &str) -> Result<(Box<dyn std::io::Read + Send>, u64), SourceError> {
        let path = self.root.join(name);
        let file = File::open(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                SourceError::NotFound(format!("{}: no such file", path.display()))
            } else {
                SourceError::Io {
                    what: path.display().to_string(),
                    source,
                }
            }
        })?;
        let len = file
            .metadata()
            .map_err(|source| SourceError::Io {
                what: path.display().to_string(),
                source,
            })?
            .len();
        Ok((Box::new(file), len))
    }

    fn label(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }
}

/// An OCI image layout as an [`ImageSource`].
pub struct OciLayout<S> {
    store: S,
    label: String,
    root: Fetched,
}

impl OciLayout<DirStore> {
    /// Opens the layout directory `dir`, choosing the image as the module docs describe.
    pub fn open_dir(dir: &Path, reference: Option<&str>) -> Result<Self, SourceError> {
        if !dir.is_dir() {
            return Err(SourceError::NotFound(format!(
                "{}: no such directory (an OCI layout is a directory with oci-layout and index.json)",
                dir.display()
            )));
        }
        let label = match reference {
            Some(r) => format!("oci:{}:{r}", dir.display()),
            None => format!("oci:{}", dir.display()),
        };
        OciLayout::open(DirStore::new(dir), label, reference)
    }
}

/// The entries of a layout directory's `index.json`, read as every layout source reads it
/// (capped, parsed, refused if it is not an index); for listing the images a layout holds.
pub fn index_entries(dir: &Path) -> Result<Vec<Descriptor>, SourceError> {
    let store = DirStore::new(dir);
    let label = store.label("index.json");
    let bytes = read_metadata(&store, "index.json").map_err(|e| match e {
        SourceError::NotFound(what) => SourceError::NotFound(format!(
            "{what}; is {} an OCI image layout? (`skopeo copy` writes one with oci:DIR:TAG)",
            dir.display()
        )),
        e => e,
    })?;
    match parse_document(&bytes, Some(media::OCI_INDEX), &label)? {
        Document::Index(index) => Ok(index.manifests().clone()),
        Document::Image(_) => Err(SourceError::Invalid(format!(
            "{label} is an image manifest, not an index"
        ))),
    }
}

fn blob_name(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().name(), digest.hex())
}

impl<S: Store> OciLayout<S> {
    /// Opens a layout held by any store. `label` names the source in messages.
    pub(crate) fn open(
        store: S,
        label: String,
        reference: Option<&str>,
    ) -> Result<Self, SourceError> {
        let marker = read_metadata(&store, "oci-layout").map_err(|e| match e {
            SourceError::NotFound(_) => SourceError::Invalid(format!(
                "{label}: not an OCI image layout: {} is missing. Create a layout with `skopeo copy <image> oci:DIR:TAG`",
                store.label("oci-layout")
            )),
            e => e,
        })?;
        let marker: serde_json::Value = serde_json::from_slice(&marker).map_err(|e| {
            SourceError::Invalid(format!(
                "{} is not valid JSON: {e}",
                store.label("oci-layout")
            ))
        })?;
        if marker
            .get("imageLayoutVersion")
            .and_then(|v| v.as_str())
            .is_none()
        {
            return Err(SourceError::Invalid(format!(
                "{} has no imageLayoutVersion: not an OCI image layout",
                store.label("oci-layout")
            )));
        }
        let index_label = store.label("index.json");
        let index_bytes = read_metadata(&store, "index.json")?;
        let doc = parse_document(&index_bytes, Some(media::OCI_INDEX), &index_label)?;
        let Document::Index(index) = doc else {
            return Err(SourceError::Invalid(format!(
                "{index_label} is not an image index"
            )));
        };
        let entries = index.manifests();
        let mut layout = OciLayout {
            store,
            label,
            root: Fetched {
                digest: Digest::sha256_of(&index_bytes),
                media_type: Some(media::OCI_INDEX.to_string()),
                bytes: index_bytes.clone(),
            },
        };
        if entries.is_empty() {
            return Err(SourceError::NotFound(format!(
                "{index_label} lists no images"
            )));
        }
        let name_of = |d: &Descriptor| {
            d.annotations()
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
                .cloned()
        };
        let mut names: Vec<String> = entries.iter().filter_map(name_of).collect();
        names.sort();
        names.dedup();
        let chosen: Vec<&Descriptor> = match reference {
            Some(r) => {
                let hits: Vec<&Descriptor> = entries
                    .iter()
                    .filter(|d| name_of(d).as_deref() == Some(r))
                    .collect();
                if hits.is_empty() {
                    let listed = if names.is_empty() {
                        "none of its entries has a name; omit the :REF".to_string()
                    } else {
                        format!("names present: {}", names.join(", "))
                    };
                    return Err(SourceError::NotFound(format!(
                        "{}: no image named {r:?} in {index_label} ({listed})",
                        layout.label
                    )));
                }
                hits
            }
            None if entries.len() == 1 => entries.iter().collect(),
            None if names.len() > 1 => {
                let dir = layout.label.clone();
                let choices: Vec<String> = names.iter().map(|n| format!("{dir}:{n}")).collect();
                return Err(SourceError::Reference(format!(
                    "{dir} holds {} differently named images; pick one: {}",
                    names.len(),
                    choices.join(", ")
                )));
            }
            // Platforms of one image listed directly in index.json: the index is the root.
            None => return Ok(layout),
        };
        if let [one] = chosen.as_slice() {
            let digest = descriptor_digest(one, &index_label)?;
            let media_type = one.media_type().to_string();
            let bytes = layout.read_manifest(&digest, one.size())?;
            layout.root = Fetched {
                digest,
                media_type: Some(media_type),
                bytes,
            };
            return Ok(layout);
        }
        // Several entries share the name (one per platform): a virtual index of them.
        let manifests: Vec<serde_json::Value> = chosen
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(|e| SourceError::Invalid(format!("{index_label}: {e}")))?;
        let virtual_index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": manifests,
        });
        let bytes = serde_json::to_vec(&virtual_index)
            .map_err(|e| SourceError::Invalid(format!("{index_label}: {e}")))?;
        layout.root = Fetched {
            digest: Digest::sha256_of(&bytes),
            media_type: Some(media::OCI_INDEX.to_string()),
            bytes,
        };
        Ok(layout)
    }

    fn read_manifest(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, SourceError> {
        let name = blob_name(digest);
        let (reader, _) = self.store.open(&name)?;
        read_small(reader, digest, size, MANIFEST_MAX).map_err(|source| SourceError::Io {
            what: self.store.label(&name),
            source,
        })
    }
}

/// A descriptor's digest, strictly checked (it becomes a file name).
pub(crate) fn descriptor_digest(d: &Descriptor, what: &str) -> Result<Digest, SourceError> {
    d.digest().to_string().parse().map_err(|e| {
        SourceError::Invalid(format!("{what}: a descriptor has an unusable digest: {e}"))
    })
}

impl<S: Store> ImageSource for OciLayout<S> {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn root(&self) -> Result<Fetched, SourceError> {
        Ok(self.root.clone())
    }

    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
        if *digest == self.root.digest {
            return Ok(self.root.clone());
        }
        let name = blob_name(digest);
        let (_, len) = self.store.open(&name)?;
        let bytes = self.read_manifest(digest, len)?;
        Ok(Fetched {
            digest: digest.clone(),
            media_type: media_type.map(str::to_string),
            bytes,
        })
    }

    fn blob(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Box<dyn std::io::Read + Send>, SourceError> {
        let name = blob_name(digest);
        let (reader, len) = self.store.open(&name)?;
        if len != size {
            return Err(SourceError::Invalid(format!(
                "blob {digest}: its descriptor says {size} bytes but {} holds {len}; the manifest or the layout is corrupt, rebuild the image",
                self.store.label(&name)
            )));
        }
        Ok(Box::new(VerifyingReader::new(reader, digest.clone(), size)))
    }
}
