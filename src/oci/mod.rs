//! The OCI data model: digests, platforms, media types, manifests and configs. Pure data, no I/O.

pub mod digest;
pub mod limits;
pub mod manifest;
pub mod media;
pub mod platform;

pub use digest::Digest;
pub use platform::{Arch, Platform};
