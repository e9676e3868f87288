//! Streaming layer scans and the merged filesystem built from them.
//!
//! A layer blob is read once, front to back: decompressed (gzip, zstd or none, sniffed),
//! walked as a tar, each regular file offered to [`crate::detect::classify`]. The result
//! is a [`LayerScan`]; [`MergedFs`] stacks those in order, applying whiteouts, so that
//! every path knows which layer added, changed or deleted it.

mod arena;
mod entries;
mod layer;
mod links;
mod lookup;
mod merged;
mod owner;
pub mod path;

use serde::{Deserialize, Serialize};

use crate::detect::Artifact;
use crate::oci::Digest;

pub use crate::oci::media::sniff;
pub use entries::{Cursor, Entries};
pub use layer::{decoded, scan_layer, scan_verified_file};
pub use lookup::{Children, WalkItem};
pub use merged::{LAYER_LIMIT, LayerChange, MergedFs, ResolveError, SYMLINK_HOP_LIMIT, layer16};
pub use owner::OwnerRun;

/// A layer that could not be scanned. Each variant names the layer and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading the blob itself failed (I/O, or its digest or size did not verify).
    #[error("cannot read layer {layer}: {detail}")]
    Source { layer: Digest, detail: String },
    #[error(
        "layer {layer} ({format}) is corrupt after {entries} entries: {detail}. The blob is damaged or is not a filesystem layer; pull or build the image again"
    )]
    Corrupt {
        layer: Digest,
        format: &'static str,
        entries: usize,
        detail: String,
    },
    #[error(
        "layer {layer} ({format}) is truncated before its first complete entry: {detail}. Pull or build the image again"
    )]
    Truncated {
        layer: Digest,
        format: &'static str,
        detail: String,
    },
}

/// What a tar entry is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "target", rename_all = "kebab-case")]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link and its target as written in the tar (relative or absolute).
    Symlink(String),
    /// A hard link to another path (absolute, normalised) in the same or an earlier layer. In
    /// a [`MergedFs`], the path is the live name that holds the shared content.
    Hardlink(String),
    /// Devices, fifos and the like.
    Other,
}

/// One entry of a layer's tar, with its path absolute and normalised (`/usr/bin/env`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
}

/// Everything learned from one layer blob.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerScan {
    /// Entries in tar order, whiteout markers excluded, packed.
    pub entries: Entries,
    /// Paths deleted by `.wh.NAME` markers (the deleted path, not the marker).
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`.
    pub opaque_dirs: Vec<String>,
    /// Artefacts found in this layer's files.
    pub artifacts: Vec<Artifact>,
    /// Non-fatal problems (a truncated tail, an unreadable file), for people.
    pub warnings: Vec<String>,
    /// Bytes of tar after decompression.
    pub uncompressed_size: u64,
    /// Owners other than root (0:0), as runs of entries: most files are root's, so the
    /// common case costs nothing, and a tree owned by one user is one run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerRun>,
}

/// How a path came to be in the merged filesystem, per layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

/// A path in the merged filesystem, as [`MergedFs::get`] and friends hand it out (built on
/// demand from the arena: the merged filesystem holds no `Node`s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The entry as the last layer that wrote it left it, except for hard links: of the
    /// names sharing a content, the first that survives is a `File` of the content's size
    /// (its artefacts are under that path) and the others are `Hardlink`s to it.
    pub entry: Entry,
    /// Index (into the image's layers) of the layer that last wrote it.
    pub layer: usize,
    /// Every layer that touched this path, in order.
    pub history: Vec<(usize, Change)>,
}
