//! A generated fleet for `audit` tests: tens of repositories and a few hundred tags pushed
//! straight over the registry HTTP API (skopeo per tag would take minutes). Base layers are
//! uploaded once and mounted into every repository; each tag adds only a config, a manifest
//! and a small layer of its own.
//!
//! Kinds by repository (index mod 4): amd64-only images, arm64-only images, amd64+arm64
//! indexes, and arm64 images carrying an x86-64 Node addon (a foreign native `.so`) under a
//! package directory with a hostile name. In every repository `latest` and the last version
//! tag name the same manifest. Binaries are the GNU hello fixtures of tests/fixtures/detect.

use std::io::Write;

use super::{Blob, sha256};

/// The package directory of the foreign addon: markup a report must escape.
pub const HOSTILE: &str = "<svg onload=alert(1)>";

/// What one kind of repository holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Amd64,
    Arm64,
    Multi,
    ForeignAddon,
}

/// One pushed image (one manifest digest), with every tag naming it.
#[derive(Clone)]
pub struct Pushed {
    pub repository: String,
    pub tags: Vec<String>,
    pub kind: Kind,
    /// The tagged manifest or index.
    pub top: Blob,
    /// The platform manifests of an index (empty for a single image).
    pub children: Vec<Blob>,
    /// Compressed bytes of the layers a target pulls for one platform.
    pub layer_bytes: u64,
}

pub struct Fleet {
    pub repositories: Vec<String>,
    pub images: Vec<Pushed>,
    pub tags: usize,
}

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/detect")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A gzip tar layer and its diff id.
fn layer(files: &[(String, Vec<u8>)]) -> (Blob, String) {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, path, &data[..])
            .expect("tar append");
    }
    let raw = tar.into_inner().expect("tar");
    let diff_id = sha256(&raw);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&raw).expect("gzip");
    let bytes = e.finish().expect("gzip");
    (
        Blob {
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
            digest: sha256(&bytes),
            bytes,
        },
        diff_id,
    )
}

fn json_blob(media_type: &str, v: &serde_json::Value) -> Blob {
    let bytes = serde_json::to_vec(v).expect("json");
    Blob {
        media_type: media_type.into(),
        digest: sha256(&bytes),
        bytes,
    }
}

/// Incompressible filler, so a base layer's size is what dedupe saves.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A small blocking client for the registry's push API.
pub struct Pusher {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
}

impl Pusher {
    pub fn new(addr: &str, auth: Option<(String, String)>) -> Pusher {
        Pusher {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            http: reqwest::Client::new(),
            base: format!("http://{addr}/v2"),
            auth,
        }
    }

    fn send(&self, r: reqwest::RequestBuilder) -> reqwest::Response {
        let r = match &self.auth {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        };
        self.rt.block_on(r.send()).expect("registry request")
    }

    /// Uploads a blob (POST then PUT), or mounts it from `from` when that repository has it.
    pub fn blob(&self, repo: &str, b: &Blob, from: Option<&str>) {
        if let Some(from) = from {
            let url = format!(
                "{}/{repo}/blobs/uploads/?mount={}&from={from}",
                self.base, b.digest
            );
            let r = self.send(self.http.post(url));
            if r.status().as_u16() == 201 {
                return;
            }
        }
        // A monolithic upload in one POST; a registry that does not take one starts a
        // session instead, finished by the PUT below.
        let r = self.send(
            self.http
                .post(format!(
                    "{}/{repo}/blobs/uploads/?digest={}",
                    self.base, b.digest
                ))
                .header("content-type", "application/octet-stream")
                .body(b.bytes.clone()),
        );
        if r.status().as_u16() == 201 {
            return;
        }
        assert_eq!(r.status().as_u16(), 202, "start upload to {repo}");
        let loc = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("upload location")
            .to_string();
        let loc = if loc.starts_with("http") {
            loc
        } else {
            format!("{}{loc}", self.base.trim_end_matches("/v2"))
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let r = self.send(
            self.http
                .put(format!("{loc}{sep}digest={}", b.digest))
                .header("content-type", "application/octet-stream")
                .body(b.bytes.clone()),
        );
        assert_eq!(r.status().as_u16(), 201, "upload {} to {repo}", b.digest);
    }

    pub fn manifest(&self, repo: &str, reference: &str, m: &Blob) {
        let r = self.send(
            self.http
                .put(format!("{}/{repo}/manifests/{reference}", self.base))
                .header("content-type", &m.media_type)
                .body(m.bytes.clone()),
        );
        assert_eq!(
            r.status().as_u16(),
            201,
            "put manifest {repo}:{reference}: {:?}",
            self.rt.block_on(r.text())
        );
    }
}

/// A single-platform manifest over `layers`, with its config.
fn image(arch: &str, layers: &[&(Blob, String)], entry: &str) -> (Blob, Blob) {
    let config = json_blob(
        "application/vnd.oci.image.config.v1+json",
        &serde_json::json!({
            "architecture": arch, "os": "linux",
            "config": {"Entrypoint": [entry], "Env": ["PATH=/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| &l.1).collect::<Vec<_>>()},
        }),
    );
    let manifest = json_blob(
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config.descriptor(),
            "layers": layers.iter().map(|l| l.0.descriptor()).collect::<Vec<_>>(),
        }),
    );
    (manifest, config)
}

struct Bases {
    amd: (Blob, String),
    arm: (Blob, String),
    addon: (Blob, String),
}

impl Bases {
    fn new() -> Bases {
        Bases {
            amd: layer(&[
                ("bin/hello".into(), fixture("hello-amd64")),
                // The ELF loader hello names (any x86-64 ELF file stands in for it).
                ("lib64/ld-linux-x86-64.so.2".into(), fixture("hello-amd64")),
                ("usr/share/base.bin".into(), filler(1, 150_000)),
            ]),
            arm: layer(&[
                ("bin/hello".into(), fixture("hello-arm64")),
                ("lib/ld-linux-aarch64.so.1".into(), fixture("hello-arm64")),
                ("usr/share/base.bin".into(), filler(2, 150_000)),
            ]),
            addon: layer(&[(
                format!("app/node_modules/{HOSTILE}/build/Release/addon.node"),
                fixture("bufferutil-linux-x64.node"),
            )]),
        }
    }
}

/// Pushes `repos` repositories of `tags` version tags each (plus `latest` on the last) to
/// the registry at `addr`, four repositories at a time.
pub fn push_fleet(addr: &str, auth: Option<(String, String)>, repos: usize, tags: usize) -> Fleet {
    let bases = Bases::new();
    let first = repo_name(0);
    let p = Pusher::new(addr, auth.clone());
    for b in [&bases.amd.0, &bases.arm.0, &bases.addon.0] {
        p.blob(&first, b, None);
    }
    let mut per_repo: Vec<(usize, Vec<Pushed>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let (bases, auth, first) = (&bases, auth.clone(), &first);
                s.spawn(move || {
                    let p = Pusher::new(addr, auth);
                    (k..repos)
                        .step_by(4)
                        .map(|r| (r, push_repo(&p, r, tags, bases, first, &version)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("push thread"))
            .collect()
    });
    per_repo.sort_by_key(|(r, _)| *r);
    let images: Vec<Pushed> = per_repo.into_iter().flat_map(|(_, v)| v).collect();
    Fleet {
        repositories: (0..repos).map(repo_name).collect(),
        tags: images.iter().map(|i| i.tags.len()).sum(),
        images,
    }
}

fn version(t: usize) -> String {
    format!("v1.{t}")
}

/// One repository of the fleet's kind `r` whose `tags` images are tagged with 12-digit hex
/// names, as CI pushes commit hashes; `latest` names the last.
pub fn push_commits(addr: &str, r: usize, tags: usize) -> Vec<Pushed> {
    let bases = Bases::new();
    let first = repo_name(r);
    let p = Pusher::new(addr, None);
    for b in [&bases.amd.0, &bases.arm.0, &bases.addon.0] {
        p.blob(&first, b, None);
    }
    let hash = |t: usize| {
        format!(
            "{:012x}",
            (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16
        )
    };
    push_repo(&p, r, tags, &bases, &first, &hash)
}

fn repo_name(r: usize) -> String {
    format!("team{}/svc-{r:02}", r % 3)
}

fn push_repo(
    p: &Pusher,
    r: usize,
    tags: usize,
    bases: &Bases,
    first: &str,
    name: &dyn Fn(usize) -> String,
) -> Vec<Pushed> {
    let kind = [Kind::Amd64, Kind::Arm64, Kind::Multi, Kind::ForeignAddon][r % 4];
    let repo = repo_name(r);
    let (base_amd, base_arm, addon) = (&bases.amd, &bases.arm, &bases.addon);
    if repo != first {
        for b in [&base_amd.0, &base_arm.0, &addon.0] {
            p.blob(&repo, b, Some(first));
        }
    }
    let mut out = Vec::new();
    for t in 1..=tags {
        let own = layer(&[("etc/build-id".into(), format!("{repo}:{t}\n").into_bytes())]);
        p.blob(&repo, &own.0, None);
        let one = |arch: &str, base: &(Blob, String), extra: Option<&(Blob, String)>| {
            let mut layers = vec![base, &own];
            layers.extend(extra);
            let (m, c) = image(arch, &layers, "/bin/hello");
            p.blob(&repo, &c, None);
            let bytes: u64 = layers.iter().map(|l| l.0.bytes.len() as u64).sum();
            (m, bytes)
        };
        let (top, children, layer_bytes) = match kind {
            Kind::Amd64 => {
                let (m, n) = one("amd64", base_amd, None);
                (m, vec![], n)
            }
            Kind::Arm64 => {
                let (m, n) = one("arm64", base_arm, None);
                (m, vec![], n)
            }
            Kind::ForeignAddon => {
                let (m, n) = one("arm64", base_arm, Some(addon));
                (m, vec![], n)
            }
            Kind::Multi => {
                let (a, n) = one("amd64", base_amd, None);
                let (b, _) = one("arm64", base_arm, None);
                for c in [&a, &b] {
                    p.manifest(&repo, &c.digest, c);
                }
                let index = json_blob(
                    "application/vnd.oci.image.index.v1+json",
                    &serde_json::json!({
                        "schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [
                            {"mediaType": a.media_type, "digest": a.digest, "size": a.bytes.len(),
                             "platform": {"architecture": "amd64", "os": "linux"}},
                            {"mediaType": b.media_type, "digest": b.digest, "size": b.bytes.len(),
                             "platform": {"architecture": "arm64", "os": "linux"}},
                        ],
                    }),
                );
                (index, vec![a, b], n)
            }
        };
        let tag = name(t);
        p.manifest(&repo, &tag, &top);
        let mut names = vec![tag];
        if t == tags {
            p.manifest(&repo, "latest", &top);
            names.push("latest".into());
        }
        out.push(Pushed {
            repository: repo.clone(),
            tags: names,
            kind,
            top,
            children,
            layer_bytes,
        });
    }
    out
}
