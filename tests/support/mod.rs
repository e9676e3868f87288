//! Test helpers that build real image bytes: layer tars with the `tar` crate (gzip, zstd
//! or plain), OCI layouts on disk, docker-archive tarballs, and calls to real tools (skopeo).
//!
//! Use from a test crate with `mod support;`. Everything is written under a temp dir the
//! caller owns; nothing here touches the network.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use archlens::oci::{Digest, media};

pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// Builds one layer tar in memory. Paths are written as given (`usr/bin/x`, as
/// `docker build` writes them, without a leading `./`).
pub struct Layer {
    tar: tar::Builder<Vec<u8>>,
}

impl Default for Layer {
    fn default() -> Self {
        Self::new()
    }
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(1_700_000_000);
    h.set_uid(0);
    h.set_gid(0);
    h
}

impl Layer {
    pub fn new() -> Layer {
        Layer {
            tar: tar::Builder::new(Vec::new()),
        }
    }

    pub fn dir(mut self, path: &str) -> Self {
        let mut h = header(tar::EntryType::Directory, 0, 0o755);
        self.tar
            .append_data(&mut h, path, &[][..])
            .expect("append dir");
        self
    }

    pub fn file(self, path: &str, data: &[u8]) -> Self {
        self.file_mode(path, data, 0o644)
    }

    pub fn file_mode(mut self, path: &str, data: &[u8], mode: u32) -> Self {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, mode);
        self.tar
            .append_data(&mut h, path, data)
            .expect("append file");
        self
    }

    /// A regular file owned by `uid:gid`.
    pub fn file_owned(mut self, path: &str, data: &[u8], uid: u64, gid: u64) -> Self {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o640);
        h.set_uid(uid);
        h.set_gid(gid);
        self.tar
            .append_data(&mut h, path, data)
            .expect("append owned file");
        self
    }

    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Symlink, 0, 0o777);
        self.tar
            .append_link(&mut h, path, target)
            .expect("append symlink");
        self
    }

    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = header(tar::EntryType::Link, 0, 0o644);
        self.tar
            .append_link(&mut h, path, target)
            .expect("append hard link");
        self
    }

    /// A `.wh.NAME` marker deleting `path` from the layers below.
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&marker, b"")
    }

    /// A `.wh..wh..opq` marker making `dir` opaque.
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    /// A regular file whose name bytes are written verbatim into the header (no checks):
    /// for `..` traversal and control characters. At most 100 bytes.
    pub fn raw_name_file(mut self, name: &[u8], data: &[u8]) -> Self {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        let field = &mut h.as_old_mut().name;
        assert!(name.len() <= field.len(), "raw names are at most 100 bytes");
        field[..name.len()].copy_from_slice(name);
        h.set_cksum();
        self.tar.append(&h, data).expect("append raw file");
        self
    }

    /// A file whose path is carried by a PAX `path` record (as Go and BuildKit write long names).
    pub fn pax_file(mut self, path: &str, data: &[u8]) -> Self {
        self.tar
            .append_pax_extensions([("path", path.as_bytes())])
            .expect("append pax");
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        let short = b"pax-placeholder";
        h.as_old_mut().name[..short.len()].copy_from_slice(short);
        h.set_cksum();
        self.tar.append(&h, data).expect("append pax file");
        self
    }

    /// The finished tar, with its two zero blocks of end-of-archive marker.
    pub fn tar(self) -> Vec<u8> {
        self.tar.into_inner().expect("finish tar")
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip finish")
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).expect("zstd")
}

/// A layer as it goes into an image: its blob, media type and diff id.
#[derive(Clone)]
pub struct Blob {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub diff_id: Digest,
}

impl Blob {
    pub fn gzip(tar: &[u8]) -> Blob {
        Blob {
            bytes: gzip(tar),
            media_type: OCI_LAYER_GZIP.into(),
            diff_id: Digest::sha256_of(tar),
        }
    }
    pub fn zstd(tar: &[u8]) -> Blob {
        Blob {
            bytes: zstd(tar),
            media_type: OCI_LAYER_ZSTD.into(),
            diff_id: Digest::sha256_of(tar),
        }
    }
    pub fn plain(tar: &[u8]) -> Blob {
        Blob {
            bytes: tar.to_vec(),
            media_type: OCI_LAYER_TAR.into(),
            diff_id: Digest::sha256_of(tar),
        }
    }
    pub fn digest(&self) -> Digest {
        Digest::sha256_of(&self.bytes)
    }
}

/// An image to write into a layout.
pub struct Image {
    pub arch: String,
    pub layers: Vec<Blob>,
}

/// What [`write_layout`] wrote for one image.
pub struct Written {
    pub manifest: Digest,
    pub manifest_size: u64,
    pub config: Digest,
    pub layers: Vec<Digest>,
}

/// Writes `bytes` under `dir/blobs/sha256/` and returns its digest.
pub fn put_blob(dir: &Path, bytes: &[u8]) -> Digest {
    let d = Digest::sha256_of(bytes);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir blobs");
    std::fs::write(blobs.join(d.hex()), bytes).expect("write blob");
    d
}

pub fn config_json(arch: &str, diff_ids: &[Digest]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {"Entrypoint": ["/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>()},
    }))
    .expect("config json")
}

/// Writes the blobs and manifest of one image into `dir` (no index.json).
pub fn write_image(dir: &Path, image: &Image) -> Written {
    let diff_ids: Vec<Digest> = image.layers.iter().map(|b| b.diff_id.clone()).collect();
    let config = config_json(&image.arch, &diff_ids);
    let config_digest = put_blob(dir, &config);
    let layers: Vec<serde_json::Value> = image
        .layers
        .iter()
        .map(|b| {
            put_blob(dir, &b.bytes);
            serde_json::json!({"mediaType": b.media_type, "size": b.bytes.len(), "digest": b.digest().to_string()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": {"mediaType": media::OCI_CONFIG, "size": config.len(), "digest": config_digest.to_string()},
        "layers": layers,
    }))
    .expect("manifest json");
    let manifest_digest = put_blob(dir, &manifest);
    Written {
        manifest: manifest_digest,
        manifest_size: manifest.len() as u64,
        config: config_digest,
        layers: image.layers.iter().map(Blob::digest).collect(),
    }
}

/// Writes an OCI layout with one index.json entry per `(ref name, image)`.
pub fn write_layout(dir: &Path, images: &[(&str, &Image)]) -> Vec<Written> {
    std::fs::create_dir_all(dir).expect("mkdir layout");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
    let mut written = Vec::new();
    let mut entries = Vec::new();
    for (name, image) in images {
        let w = write_image(dir, image);
        entries.push(serde_json::json!({
            "mediaType": media::OCI_MANIFEST,
            "size": w.manifest_size,
            "digest": w.manifest.to_string(),
            "platform": {"architecture": image.arch, "os": "linux"},
            "annotations": {"org.opencontainers.image.ref.name": name},
        }));
        written.push(w);
    }
    write_index(dir, serde_json::json!(entries));
    written
}

/// Replaces `dir/index.json` with an index holding `manifests`.
pub fn write_index(dir: &Path, manifests: serde_json::Value) {
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&index).expect("index json"),
    )
    .expect("write index.json");
}

/// Builds a tar archive from `(name, bytes)` pairs, for hand-made docker-archives.
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    tar_with_links(files, &[])
}

/// Like [`tar_of`], plus `(name, target)` symlinks after the files (as `docker save` and
/// skopeo link `<id>/layer.tar` to a shared layer file).
pub fn tar_with_links(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        b.append_data(&mut h, name, *data).expect("append");
    }
    for (name, target) in links {
        let mut h = header(tar::EntryType::Symlink, 0, 0o777);
        b.append_link(&mut h, name, target).expect("append link");
    }
    b.into_inner().expect("finish tar")
}

/// Runs a real tool and fails the test, with install advice, when it is missing or fails.
pub fn run_tool(tool: &str, package: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {tool} ({e}); install with: apt-get install {package}")
    });
    assert!(
        out.status.success(),
        "{tool} {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `skopeo copy --insecure-policy FROM TO`, local transports only.
pub fn skopeo_copy(from: &str, to: &str) {
    run_tool(
        "skopeo",
        "skopeo",
        &["--insecure-policy", "copy", "--quiet", from, to],
    );
}

/// A path inside `dir` as a string for references.
pub fn p(dir: &Path, name: &str) -> String {
    let path: PathBuf = dir.join(name);
    path.to_string_lossy().into_owned()
}
