//! Media types of manifests and layers, and what each one means to archlens.

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// Every manifest media type a registry may answer with; sent as `Accept`.
pub const ALL_MANIFESTS: [&str; 6] = [
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1_SIGNED,
    DOCKER_SCHEMA1,
];

/// How a layer blob is compressed, as its media type claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
    /// The media type says nothing (e.g. Docker's `...rootfs.diff.tar.gzip` is clear, a
    /// custom type is not): sniff the magic bytes.
    Unknown,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// RFC 8878 section 3.1.1: the zstd frame magic 0xFD2FB528, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The compression a blob's first four bytes say: gzip, zstd, or none (a plain tar).
/// The bytes decide, not the media type: registries serve layers whose type is wrong.
pub fn sniff(magic: &[u8]) -> Compression {
    if magic.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if magic == ZSTD_MAGIC {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// The compression a layer media type declares. Magic bytes are checked as well by the
/// scanner, since some tools label zstd layers as gzip.
pub fn layer_compression(media_type: &str) -> Compression {
    let m = media_type.to_ascii_lowercase();
    if m.ends_with("+gzip") || m.ends_with(".tar.gzip") || m.ends_with("tar.gz") {
        Compression::Gzip
    } else if m.ends_with("+zstd") || m.ends_with(".tar.zstd") {
        Compression::Zstd
    } else if m.ends_with(".tar") || m.ends_with("layer.v1.tar") {
        Compression::None
    } else {
        Compression::Unknown
    }
}

/// Whether a layer media type holds a filesystem (as opposed to an attestation or an
/// artifact blob that must not be unpacked).
pub fn is_filesystem_layer(media_type: &str) -> bool {
    let m = media_type.to_ascii_lowercase();
    m.contains(".layer.") || m.contains("rootfs.diff.tar") || m.contains("image.rootfs")
}

pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

pub fn is_schema1(media_type: &str) -> bool {
    media_type == DOCKER_SCHEMA1 || media_type == DOCKER_SCHEMA1_SIGNED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_from_media_type() {
        assert_eq!(
            layer_compression("application/vnd.oci.image.layer.v1.tar+gzip"),
            Compression::Gzip
        );
        assert_eq!(
            layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            Compression::Gzip
        );
        assert_eq!(
            layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"),
            Compression::Zstd
        );
        assert_eq!(
            layer_compression("application/vnd.oci.image.layer.v1.tar"),
            Compression::None
        );
        assert!(is_filesystem_layer(
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        ));
        assert!(!is_filesystem_layer(IN_TOTO));
    }
}
