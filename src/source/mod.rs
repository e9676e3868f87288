//! Where image bytes come from, behind one trait: OCI layouts and archives, docker-archive
//! tarballs, local engines, registries and ECR. Every manifest and blob is checked on read.

pub mod archive;
pub mod aws;
pub mod docker_archive;
pub mod dockerref;
pub mod ecr;
pub mod engine;
pub mod layout;
pub mod reference;
pub mod registry;
pub mod verify;

use std::io::Read;

use crate::oci::Digest;
use crate::oci::limits::MANIFEST_MAX;

pub use reference::{Reference, is_local};

/// A manifest or index as fetched, with the digest of exactly these bytes.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub digest: Digest,
    /// The media type the transport declared (descriptor or `Content-Type`), if any.
    pub media_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Reference(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    NotFound(String),
    #[error(
        "{what}: digest mismatch: expected {expected}, got {actual}. The blob is corrupt; fetch or build the image again"
    )]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Manifest(#[from] crate::oci::manifest::ManifestError),
    /// Kept whole so callers can still tell a missing tag from a refused token.
    #[error(transparent)]
    Registry(#[from] registry::RegistryError),
}

impl SourceError {
    /// The ECR image this error is about, when ECR holds it but will not serve it.
    pub fn unpullable(&self) -> Option<&ecr::Unpullable> {
        match self {
            SourceError::Registry(registry::RegistryError::Unpullable(u)) => Some(u),
            _ => None,
        }
    }
}

/// A blob inside a file on disk: `file` is positioned at its first byte, `len` long.
pub struct BlobFile {
    pub file: std::fs::File,
    pub len: u64,
}

/// A place images can be read from. Implementations are cheap to share across threads:
/// layers of one image are read in parallel.
pub trait ImageSource: Send + Sync {
    /// A short name of the source for messages (`oci:assets/demo/good:latest`).
    fn describe(&self) -> String;

    /// The top manifest or index the reference names.
    fn root(&self) -> Result<Fetched, SourceError>;

    /// A manifest or index by digest (children of an index).
    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError>;

    /// A blob by digest, as a stream that checks digest and size as it is read and fails
    /// at the end if they do not match. `size` is the descriptor's size.
    fn blob(&self, digest: &Digest, size: u64) -> Result<Box<dyn Read + Send>, SourceError>;

    /// A blob whose bytes this source has already checked against `digest` (hashed them
    /// while opening), as a file handle at its first byte: a plain tar layer can then be
    /// walked by its headers, seeking over data nobody wants. `None` where nothing has
    /// checked it yet; [`ImageSource::blob`] then verifies as it streams.
    fn verified_file(&self, _digest: &Digest, _size: u64) -> Result<Option<BlobFile>, SourceError> {
        Ok(None)
    }

    /// A small blob (an image config) read whole; the caller has bounded `size`. Sources
    /// with a cache override this so a warm run fetches no blob at all.
    fn small_blob(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, SourceError> {
        let mut r = self.blob(digest, size)?;
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        r.read_to_end(&mut buf).map_err(|e| SourceError::Io {
            what: format!("blob {digest}"),
            source: e,
        })?;
        Ok(buf)
    }
}

/// Opens an image source from a reference string (see [`Reference::parse`]) with default
/// registry options.
pub fn open(reference: &str) -> Result<Box<dyn ImageSource>, SourceError> {
    open_with(reference, &registry::RegistryOptions::default())
}

/// Opens an image source; registry references use `opts` (credentials, config, cache).
pub fn open_with(
    reference: &str,
    opts: &registry::RegistryOptions,
) -> Result<Box<dyn ImageSource>, SourceError> {
    open_reference(&Reference::parse(reference)?, opts)
}

/// Opens a parsed reference.
pub fn open_reference(
    reference: &Reference,
    opts: &registry::RegistryOptions,
) -> Result<Box<dyn ImageSource>, SourceError> {
    match reference {
        Reference::Oci { dir, reference } => Ok(Box::new(layout::OciLayout::open_dir(
            dir,
            reference.as_deref(),
        )?)),
        Reference::OciArchive { file, reference } => Ok(Box::new(archive::open_oci_archive(
            file,
            reference.as_deref(),
        )?)),
        Reference::DockerArchive { file, image } => Ok(Box::new(
            docker_archive::DockerArchive::open(file, image.as_deref())?,
        )),
        Reference::Engine { engine, image } => {
            let spool = opts.cache.as_ref().map(|c| c.dir().join("spool"));
            Ok(Box::new(engine::EngineImage::open(
                *engine,
                image,
                spool.as_deref(),
            )?))
        }
        Reference::Registry(r) => registry::open_registry(r, opts),
    }
}

/// Checks a path named inside an image's own metadata (`manifest.json`, a tar entry) and
/// returns it normalised (`./a//b` -> `a/b`). Absolute paths and `..` are refused: they
/// would reach outside the layout or archive.
pub fn safe_relative(name: &str, what: &str) -> Result<String, SourceError> {
    let mut parts = Vec::new();
    let refuse = |why: &str| {
        SourceError::Invalid(format!(
            "{what}: refusing path {name:?}: {why}. The image metadata is malformed or hostile; rebuild the image"
        ))
    };
    if name.starts_with('/') {
        return Err(refuse("it is absolute"));
    }
    if name.contains('\0') {
        return Err(refuse("it contains a NUL byte"));
    }
    for comp in name.split('/') {
        match comp {
            "" | "." => {}
            ".." => return Err(refuse("it climbs out with `..`")),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(refuse("it is empty"));
    }
    Ok(parts.join("/"))
}

/// Something a layout can be read from: a directory or an indexed tar. Names are
/// relative and already checked with [`safe_relative`] or built from a digest.
pub trait Store: Send + Sync {
    /// Opens one file; returns its bytes as a stream and its length.
    fn open(&self, name: &str) -> Result<(Box<dyn Read + Send>, u64), SourceError>;
    /// How to name the file in messages (`dir/index.json`, `img.tar!index.json`).
    fn label(&self, name: &str) -> String;
}

/// Reads a small metadata file whole, refusing more than [`MANIFEST_MAX`] bytes.
pub fn read_metadata(store: &dyn Store, name: &str) -> Result<Vec<u8>, SourceError> {
    let (reader, len) = store.open(name)?;
    if len > MANIFEST_MAX {
        return Err(SourceError::Invalid(format!(
            "{} is {len} bytes, more than the {MANIFEST_MAX} allowed for image metadata",
            store.label(name)
        )));
    }
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    reader
        .take(MANIFEST_MAX)
        .read_to_end(&mut out)
        .map_err(|source| SourceError::Io {
            what: store.label(name),
            source,
        })?;
    Ok(out)
}
