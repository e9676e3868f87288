//! The caps on image metadata read whole into memory: one home for every source and listing.
//! Real manifests, indexes and configs are a few KiB; a cap only stops corrupt or hostile input.

/// A manifest, an index, `index.json` or `manifest.json`: held whole to be hashed and parsed.
pub const MANIFEST_MAX: u64 = 8 << 20;

/// An image config blob (read for its platform, entrypoint and environment).
pub const CONFIG_MAX: u64 = 8 << 20;

/// One page of a registry's `/v2/_catalog` or `tags/list` answer.
pub const LIST_PAGE_MAX: u64 = 64 << 20;

/// An error body, read only for the message it carries.
pub const ERROR_BODY_MAX: u64 = 16 << 10;
