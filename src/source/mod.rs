//! Where image bytes come from, behind one trait: OCI layout directories and archives,
//! docker-archive tarballs, and (later) registries.
//!
//! Every manifest and blob a source hands out is checked against its digest and size;
//! a mismatch is an error that names the digest.

pub mod dockerref;
pub mod ecr;
pub mod registry;

use std::io::Read;

use crate::oci::Digest;

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
}
