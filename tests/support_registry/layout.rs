//! OCI layouts built from scratch (layers, images, attestations, indexes), the standard demo
//! content of the registry tests, and what its listing must show.

use std::io::Write;

use sha2::{Digest as _, Sha256};

use super::*;

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// A descriptor as JSON plus the bytes it describes.
#[derive(Clone)]
pub struct Blob {
    pub media_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

impl Blob {
    pub fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({"mediaType": self.media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

/// Writes blobs into an OCI layout directory.
pub struct Layout {
    pub dir: tempfile::TempDir,
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

impl Layout {
    pub fn new() -> Layout {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).expect("mkdir");
        std::fs::write(
            dir.path().join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("write oci-layout");
        Layout { dir }
    }

    pub fn add(&self, media_type: &str, bytes: Vec<u8>) -> Blob {
        let digest = sha256(&bytes);
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(self.dir.path().join("blobs/sha256").join(hex), &bytes).expect("write blob");
        Blob {
            media_type: media_type.to_string(),
            digest,
            bytes,
        }
    }

    /// A tar layer with the given files, compressed with gzip or zstd.
    pub fn layer(&self, files: &[(&str, &[u8])], zstd: bool) -> (Blob, String) {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o755);
            h.set_mtime(1_700_000_000);
            h.set_cksum();
            tar.append_data(&mut h, path, *data).expect("tar append");
        }
        let raw = tar.into_inner().expect("tar finish");
        let diff_id = sha256(&raw);
        let (mt, bytes) = if zstd {
            (
                "application/vnd.oci.image.layer.v1.tar+zstd",
                zstd::encode_all(&raw[..], 3).expect("zstd"),
            )
        } else {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&raw).expect("gzip");
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                e.finish().expect("gzip finish"),
            )
        };
        (self.add(mt, bytes), diff_id)
    }

    /// A single-platform image: one layer with `files`.
    pub fn image(
        &self,
        arch: &str,
        variant: Option<&str>,
        files: &[(&str, &[u8])],
        zstd: bool,
    ) -> (Blob, Blob) {
        let (layer, diff_id) = self.layer(files, zstd);
        let mut cfg = serde_json::json!({
            "architecture": arch, "os": "linux",
            "config": {"Entrypoint": ["/app"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        });
        if let Some(v) = variant {
            cfg["variant"] = v.into();
        }
        let config = self.add(
            "application/vnd.oci.image.config.v1+json",
            serde_json::to_vec(&cfg).expect("json"),
        );
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": [layer.descriptor()],
        });
        let m = self.add(
            "application/vnd.oci.image.manifest.v1+json",
            serde_json::to_vec(&manifest).expect("json"),
        );
        (m, layer)
    }

    /// A BuildKit-style attestation manifest for `subject`.
    pub fn attestation(&self, subject: &Blob) -> Blob {
        let stmt = serde_json::json!({"_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [{"name": "x", "digest": {"sha256": subject.digest.trim_start_matches("sha256:")}}],
            "predicate": {}});
        let layer = self.add(
            "application/vnd.in-toto+json",
            serde_json::to_vec(&stmt).expect("json"),
        );
        let cfg = self.add(
            "application/vnd.oci.image.config.v1+json",
            br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec(),
        );
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": cfg.descriptor(),
            "layers": [layer.descriptor()],
        });
        self.add(
            "application/vnd.oci.image.manifest.v1+json",
            serde_json::to_vec(&manifest).expect("json"),
        )
    }

    /// An index over `images` ((manifest, arch, variant)) with one attestation per image.
    pub fn index(&self, images: &[(&Blob, &str, Option<&str>)], attest: bool) -> Blob {
        let mut manifests = Vec::new();
        for (m, arch, variant) in images {
            let mut d = m.descriptor();
            d["platform"] = serde_json::json!({"architecture": arch, "os": "linux"});
            if let Some(v) = variant {
                d["platform"]["variant"] = (*v).into();
            }
            manifests.push(d);
        }
        if attest {
            for (m, _, _) in images {
                let a = self.attestation(m);
                let mut d = a.descriptor();
                d["platform"] = serde_json::json!({"architecture": "unknown", "os": "unknown"});
                d["annotations"] = serde_json::json!({
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": m.digest,
                });
                manifests.push(d);
            }
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        });
        self.add(
            "application/vnd.oci.image.index.v1+json",
            serde_json::to_vec(&index).expect("json"),
        )
    }

    /// Names `top` as `tag` in index.json (skopeo's `oci:DIR:tag`).
    pub fn tag(&self, top: &Blob, tag: &str) {
        let path = self.dir.path().join("index.json");
        let mut index: serde_json::Value = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| serde_json::json!({"schemaVersion": 2, "manifests": []}));
        let mut d = top.descriptor();
        d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": tag});
        index["manifests"]
            .as_array_mut()
            .expect("manifests")
            .push(d);
        std::fs::write(path, serde_json::to_vec(&index).expect("json")).expect("write index.json");
    }
}

/// The standard test repository content: a multi-arch index (amd64, arm64) with
/// attestations, and a single arm/v7 image whose layer is zstd-compressed.
pub struct Demo {
    pub layout: Layout,
    pub index: Blob,
    pub amd64: Blob,
    pub arm64: Blob,
    pub amd64_layer: Blob,
    pub zstd_image: Blob,
    pub zstd_layer: Blob,
}

pub fn demo() -> Demo {
    let layout = Layout::new();
    // A layer large enough that the fault proxy can cut it in the middle.
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let (amd64, amd64_layer) = layout.image(
        "amd64",
        None,
        &[("app", b"amd64 app\n"), ("data.bin", &big)],
        false,
    );
    let (arm64, _) = layout.image("arm64", Some("v8"), &[("app", b"arm64 app\n")], false);
    let index = layout.index(
        &[(&amd64, "amd64", None), (&arm64, "arm64", Some("v8"))],
        true,
    );
    layout.tag(&index, "multi");
    let (zstd_image, zstd_layer) =
        layout.image("arm", Some("v7"), &[("app", b"armv7 app\n")], true);
    layout.tag(&zstd_image, "zstd");
    Demo {
        layout,
        index,
        amd64,
        arm64,
        amd64_layer,
        zstd_image,
        zstd_layer,
    }
}

/// Pushes the demo content as `REPO:multi` and `REPO:zstd` to `dest_host`.
pub fn push_demo(d: &Demo, dest_host: &str, repo: &str, creds: Option<&(String, String)>) {
    push_with(
        d.layout.dir.path(),
        "multi",
        &format!("{dest_host}/{repo}:multi"),
        creds,
    );
    push_with(
        d.layout.dir.path(),
        "zstd",
        &format!("{dest_host}/{repo}:zstd"),
        creds,
    );
}

/// Asserts a repository listing holds exactly two images, the `multi` index with
/// linux/amd64 + linux/arm64 and its two attestations grouped under it (not listed as
/// images), and returns that index's row.
pub fn assert_multi_listed(l: &archlens::catalog::Listing) -> &archlens::catalog::ImageInfo {
    assert_eq!(
        l.images.len(),
        2,
        "children, attestations or referrers listed as images: {:#?}",
        l.images
    );
    let multi = l
        .images
        .iter()
        .find(|i| i.tags == ["multi"])
        .expect("multi listed");
    assert_eq!(multi.kind, archlens::catalog::ImageKind::Index);
    let mut plats: Vec<&str> = multi
        .platforms
        .iter()
        .map(|p| p.platform.as_str())
        .collect();
    plats.sort();
    assert_eq!(plats, ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        multi
            .related
            .iter()
            .filter(|r| r.kind == "attestation")
            .count(),
        2
    );
    multi
}
