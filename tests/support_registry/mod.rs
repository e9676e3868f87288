//! Test helpers for the registry and ECR tests: real services started on loopback ports
//! (Debian's docker-registry, moto_server), OCI layouts built from scratch, and a small
//! fault-injecting HTTP proxy that sits in front of the real registry.
#![allow(dead_code)]

pub mod fleet;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// Paths of the real tools, from `scripts/services.sh` (which installs them if missing).
pub struct Services {
    pub docker_registry: PathBuf,
    pub skopeo: PathBuf,
    pub htpasswd: PathBuf,
    pub moto_server: PathBuf,
}

pub fn services() -> &'static Services {
    static S: OnceLock<Services> = OnceLock::new();
    S.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(root.join("scripts/services.sh"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/services.sh: {e}"));
        assert!(
            out.status.success(),
            "scripts/services.sh failed; it installs docker-registry, skopeo, apache2-utils (apt) and moto[server] (pip, into target/moto-venv). Run it by hand to see why:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |k: &str| {
            let p = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("scripts/services.sh did not print {k}=: {text}"));
            let p = PathBuf::from(p.trim());
            assert!(p.exists(), "{k} {} does not exist; run scripts/services.sh", p.display());
            p
        };
        Services {
            docker_registry: get("DOCKER_REGISTRY"),
            skopeo: get("SKOPEO"),
            htpasswd: get("HTPASSWD"),
            moto_server: get("MOTO_SERVER"),
        }
    })
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local addr").port()
}

/// Waits until `addr` answers an HTTP GET of `path` with any status line.
pub fn wait_http(addr: &str, path: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early with {status}");
        }
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not answer on {addr} within 30 s");
}

/// A docker-registry on 127.0.0.1 with its own config, storage and optional htpasswd.
pub struct Registry {
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub creds: Option<(String, String)>,
    child: Child,
}

impl Registry {
    pub fn start(creds: Option<(&str, &str)>) -> Registry {
        let s = services();
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut auth = String::new();
        if let Some((user, pass)) = creds {
            let htp = dir.path().join("htpasswd");
            let st = Command::new(&s.htpasswd)
                .args(["-Bbc"])
                .arg(&htp)
                .args([user, pass])
                .stderr(Stdio::null())
                .status()
                .expect("run htpasswd (apt-get install apache2-utils)");
            assert!(st.success(), "htpasswd failed");
            auth = format!(
                "auth:\n  htpasswd:\n    realm: archlens-test\n    path: {}\n",
                htp.display()
            );
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: false\nhttp:\n  addr: {addr}\n{auth}",
            dir.path().join("data").display()
        );
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).expect("write registry config");
        let mut child = Command::new(&s.docker_registry)
            .arg("serve")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        wait_http(&addr, "/v2/", &mut child, "docker-registry");
        Registry {
            addr,
            dir,
            creds: creds.map(|(u, p)| (u.to_string(), p.to_string())),
            child,
        }
    }

    /// Pushes every image of an OCI layout (`tag` names the layout's ref) with skopeo.
    pub fn push(&self, layout: &Path, tag: &str, dest: &str) {
        push_with(
            layout,
            tag,
            &format!("{}/{dest}", self.addr),
            self.creds.as_ref(),
        );
    }
}

pub fn push_with(layout: &Path, tag: &str, dest: &str, creds: Option<&(String, String)>) {
    let mut cmd = Command::new(&services().skopeo);
    cmd.args([
        "--insecure-policy",
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
    ]);
    if let Some((u, p)) = creds {
        cmd.arg(format!("--dest-creds={u}:{p}"));
    }
    cmd.arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{dest}"));
    let out = cmd.output().expect("run skopeo (apt-get install skopeo)");
    assert!(
        out.status.success(),
        "skopeo copy to {dest} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server on a free loopback port.
pub struct Moto {
    pub endpoint: String,
    child: Child,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let mut child = Command::new(&services().moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server (scripts/services.sh installs it)");
        let addr = format!("127.0.0.1:{port}");
        wait_http(&addr, "/moto-api/", &mut child, "moto_server");
        Moto {
            endpoint: format!("http://{addr}"),
            child,
        }
    }
}

/// Points this process's AWS SDK at `endpoint` (moto) with dummy credentials and no other
/// source of configuration.
///
/// # Safety
/// Changes the environment: call it only in a test binary with a single test, before any
/// other thread (the SDK's included) reads the environment.
pub unsafe fn use_fake_aws(endpoint: &str) {
    unsafe {
        std::env::set_var("AWS_ENDPOINT_URL_ECR", endpoint);
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::remove_var("AWS_SESSION_TOKEN");
        std::env::remove_var("AWS_PROFILE");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/archlens-test/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/archlens-test/credentials",
        );
    }
}

/// An ECR client on the environment set by [`use_fake_aws`], with the runtime that drives it.
pub fn ecr_client() -> (tokio::runtime::Runtime, aws_sdk_ecr::Client) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ecr = rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        aws_sdk_ecr::Client::new(&conf)
    });
    (rt, ecr)
}

/// The user and password of ECR's `GetAuthorizationToken` (base64 of `AWS:<password>`):
/// the tests give the real registry this htpasswd entry, so ECR's Basic auth runs for real.
pub fn ecr_login(rt: &tokio::runtime::Runtime, ecr: &aws_sdk_ecr::Client) -> (String, String) {
    use base64::Engine as _;
    let token = rt
        .block_on(ecr.get_authorization_token().send())
        .expect("moto GetAuthorizationToken");
    let token = token.authorization_data()[0]
        .authorization_token()
        .expect("token")
        .to_string();
    let decoded = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(token)
            .expect("base64"),
    )
    .expect("utf8");
    let (user, password) = decoded.split_once(':').expect("user:password");
    (user.to_string(), password.to_string())
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- OCI layouts built from scratch -----------------------------------------------------

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

// ---- a fault-injecting proxy --------------------------------------------------------------

/// What the proxy does to a request whose path contains `path_contains`.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status (and `Retry-After` seconds if given) instead of forwarding.
    Status(u16, Option<u64>),
    /// Forward, but close the connection after this many body bytes.
    Cut(usize),
    /// Forward this many body bytes, then hold the connection open, silent, for this long.
    StallAfter(usize, Duration),
    /// Forward with one body byte changed.
    Corrupt,
    /// Wait before answering.
    Delay(Duration),
    /// Answer with a redirect to `location + path`.
    Redirect(String),
    /// Rewrite a query text (`n=1000` -> `n=1`) before forwarding.
    Rewrite(String, String),
    /// Answer with exactly this status, headers and body.
    Respond(u16, Vec<(String, String)>, String),
    /// Forward, adding this header to the answer (a `Link` that loops, say).
    Header(String, String),
    /// Demand `Authorization: Bearer <token>`, handing it out at `/token` for Basic `user:pass`.
    Bearer { token: String, basic: String },
    /// Answer an AWS JSON call whose `X-Amz-Target` ends with `.{operation}` with `body`,
    /// instead of forwarding: an operation the upstream (moto) does not implement.
    AnswerTarget { operation: String, body: String },
    /// Forward, then merge `fields` into each object of the JSON answer's `array` whose `key`
    /// equals `value`: a real answer with fields the upstream (moto) does not implement.
    MergeJson {
        array: String,
        key: String,
        value: String,
        fields: serde_json::Value,
    },
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub path_contains: String,
    pub fault: Fault,
    /// How many times it fires; `None` for always.
    pub times: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
}

/// A loopback HTTP/1.1 proxy forwarding to `upstream`, one request per connection.
pub struct Proxy {
    pub addr: String,
    pub rules: Arc<Mutex<Vec<Rule>>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        Proxy::start_on("127.0.0.1", upstream)
    }

    /// `host` picks the name the proxy is reached by in URLs (`localhost` makes it a
    /// different origin from `127.0.0.1` for redirect tests); it always binds 127.0.0.1.
    pub fn start_on(host: &str, upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let addr = format!("{host}:{port}");
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (r, s, st, up, me) = (
            rules.clone(),
            seen.clone(),
            stop.clone(),
            upstream.to_string(),
            addr.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s, up, me) = (r.clone(), s.clone(), up.clone(), me.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, &up, &me, &r, &s);
                });
            }
        });
        Proxy {
            addr,
            rules,
            seen,
            stop,
        }
    }

    pub fn add(&self, path_contains: &str, fault: Fault, times: Option<usize>) {
        self.rules.lock().expect("rules").push(Rule {
            path_contains: path_contains.to_string(),
            fault,
            times,
        });
    }

    pub fn clear(&self) {
        self.rules.lock().expect("rules").clear();
        self.seen.lock().expect("seen").clear();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let port = self.addr.rsplit(':').next().unwrap_or("0");
        let _ = TcpStream::connect(format!("127.0.0.1:{port}"));
    }
}

fn take_faults(rules: &Mutex<Vec<Rule>>, path: &str) -> Vec<Fault> {
    let mut rules = rules.lock().expect("rules");
    let mut out = Vec::new();
    for r in rules.iter_mut() {
        if path.contains(&r.path_contains) && r.times != Some(0) {
            if let Some(t) = r.times.as_mut() {
                *t -= 1;
            }
            out.push(r.fault.clone());
        }
    }
    out
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut h = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    conn.write_all(h.as_bytes())?;
    conn.write_all(body)?;
    conn.flush()
}

fn handle(
    mut conn: TcpStream,
    upstream: &str,
    me: &str,
    rules: &Mutex<Vec<Rule>>,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let mut path = parts.next().unwrap_or("").to_string();
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone());
    seen.lock().expect("seen").push(Seen {
        method: method.clone(),
        path: path.clone(),
        authorization: auth.clone(),
    });
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut request_body = vec![0u8; length];
    reader.read_exact(&mut request_body)?;
    let amz_target = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let faults = take_faults(rules, &path);
    let mut cut = None;
    let mut stall = None;
    let mut corrupt = false;
    let mut extra_headers = String::new();
    let mut merges = Vec::new();
    for f in &faults {
        match f {
            Fault::Status(code, retry) => {
                let h: Vec<(&str, String)> = retry
                    .iter()
                    .map(|s| ("Retry-After", s.to_string()))
                    .collect();
                return respond(
                    &mut conn,
                    *code,
                    &h,
                    b"{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected\"}]}",
                );
            }
            Fault::Delay(d) => std::thread::sleep(*d),
            Fault::Respond(code, h, body) => {
                let h: Vec<(&str, String)> =
                    h.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                return respond(&mut conn, *code, &h, body.as_bytes());
            }
            Fault::Redirect(loc) => {
                return respond(&mut conn, 307, &[("Location", format!("{loc}{path}"))], b"");
            }
            Fault::Rewrite(from, to) => path = path.replace(from.as_str(), to),
            Fault::Cut(n) => cut = Some(*n),
            Fault::StallAfter(n, d) => stall = Some((*n, *d)),
            Fault::Header(k, v) => extra_headers.push_str(&format!("{k}: {v}\r\n")),
            Fault::Corrupt => corrupt = true,
            Fault::MergeJson { .. } => merges.push(f.clone()),
            Fault::AnswerTarget { operation, body }
                if amz_target.ends_with(&format!(".{operation}")) =>
            {
                let h = [("Content-Type", "application/x-amz-json-1.1".to_string())];
                return respond(&mut conn, 200, &h, body.as_bytes());
            }
            Fault::AnswerTarget { .. } => {}
            Fault::Bearer { token, basic } => {
                if path.starts_with("/token") {
                    use base64::Engine as _;
                    let want = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(basic)
                    );
                    if auth.as_deref() != Some(want.as_str()) {
                        return respond(&mut conn, 401, &[], b"{}");
                    }
                    let body = serde_json::json!({ "token": token }).to_string();
                    return respond(
                        &mut conn,
                        200,
                        &[("Content-Type", "application/json".into())],
                        body.as_bytes(),
                    );
                }
                if auth.as_deref() != Some(format!("Bearer {token}").as_str()) {
                    let challenge = format!(
                        "Bearer realm=\"http://{me}/token\",service=\"archlens-test\",scope=\"repository:x:pull\""
                    );
                    return respond(&mut conn, 401, &[("WWW-Authenticate", challenge)], b"{}");
                }
            }
        }
    }
    // Forward. Authorization is passed on unless it is the proxy's own bearer token.
    let mut up = TcpStream::connect(upstream)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n");
    for (k, v) in &headers {
        let lk = k.to_ascii_lowercase();
        if lk == "host" || lk == "connection" {
            continue;
        }
        if lk == "authorization" && v.starts_with("Bearer ") {
            continue;
        }
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    up.write_all(req.as_bytes())?;
    up.write_all(&request_body)?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(split);
    let mut body = body.to_vec();
    let mut head = head.to_vec();
    if let Some(merged) = merge_json(&body, &merges) {
        body = merged;
        head = with_length(&head, body.len());
    }
    let head = head.as_slice();
    if corrupt && !body.is_empty() {
        let mid = body.len() / 2;
        body[mid] ^= 0xff;
    }
    match head.strip_suffix(b"\r\n\r\n") {
        Some(h) if !extra_headers.is_empty() => {
            conn.write_all(h)?;
            conn.write_all(b"\r\n")?;
            conn.write_all(extra_headers.as_bytes())?;
            conn.write_all(b"\r\n")?;
        }
        _ => conn.write_all(head)?,
    }
    if let Some((n, d)) = stall {
        conn.write_all(&body[..n.min(body.len())])?;
        conn.flush()?;
        std::thread::sleep(d);
        return Ok(());
    }
    match cut {
        Some(n) => {
            conn.write_all(&body[..n.min(body.len())])?;
            conn.flush()?;
            let _ = conn.shutdown(Shutdown::Both);
        }
        None => conn.write_all(&body)?,
    }
    conn.flush()
}

/// The body with every [`Fault::MergeJson`] applied, or `None` when none applies.
fn merge_json(body: &[u8], merges: &[Fault]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    for m in merges {
        let Fault::MergeJson {
            array,
            key,
            value,
            fields,
        } = m
        else {
            continue;
        };
        let Some(items) = v.get_mut(array.as_str()).and_then(|a| a.as_array_mut()) else {
            continue;
        };
        for item in items {
            if item.get(key.as_str()).and_then(|k| k.as_str()) != Some(value.as_str()) {
                continue;
            }
            if let (Some(obj), Some(add)) = (item.as_object_mut(), fields.as_object()) {
                for (k, f) in add {
                    obj.insert(k.clone(), f.clone());
                    changed = true;
                }
            }
        }
    }
    changed.then(|| serde_json::to_vec(&v).expect("json"))
}

/// A response head with its `Content-Length` set to `len` (and no chunked encoding).
fn with_length(head: &[u8], len: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for line in text.trim_end().split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("content-length:") || lower.starts_with("transfer-encoding:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    out.into_bytes()
}

/// A Docker config file granting `user:pass` for `host`.
pub fn docker_config(dir: &Path, host: &str, user: &str, pass: &str) -> PathBuf {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let p = dir.join("docker-config.json");
    let mut auths = BTreeMap::new();
    auths.insert(host.to_string(), serde_json::json!({ "auth": auth }));
    std::fs::write(&p, serde_json::json!({ "auths": auths }).to_string())
        .expect("write docker config");
    p
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
