//! The real binary against "ECR": moto_server answers the ECR API, and the registry host is
//! remapped by a `[[registry]]` entry to a docker-registry whose htpasswd user is `AWS` with
//! moto's token password. Verdicts must equal the local ones; no credential is ever printed.

mod support_registry;

use std::path::{Path, PathBuf};

use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use base64::Engine as _;
use serde_json::Value;
use support_registry::{Moto, Registry, push_with};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// moto's default account.
const ACCOUNT: &str = "123456789012";
const REFS: [&str; 3] = ["good", "mac-arm64", "musl-glibc"];

fn host() -> String {
    format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com")
}

/// moto + registry holding `assets/demo` refs as `demo:<ref>`, a config file remapping the
/// ECR host, and the secrets that must never be printed.
struct Ecr {
    moto: Moto,
    _registry: Registry,
    home: tempfile::TempDir,
    config: PathBuf,
    token: String,
    password: String,
}

fn manifest_media_type(bytes: &[u8], fallback: &str) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| v["mediaType"].as_str().map(str::to_string))
        .unwrap_or_else(|| fallback.to_string())
}

fn demo_blob(digest: &str) -> Vec<u8> {
    let hex = digest.trim_start_matches("sha256:");
    let p = Path::new(ROOT).join("assets/demo/blobs/sha256").join(hex);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

impl Ecr {
    fn start() -> Ecr {
        let moto = Moto::start();
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        // Configured explicitly so the test process environment stays untouched.
        let conf = aws_sdk_ecr::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        let ecr = aws_sdk_ecr::Client::from_conf(conf);
        let token = rt
            .block_on(ecr.get_authorization_token().send())
            .expect("moto GetAuthorizationToken");
        let token = token.authorization_data()[0]
            .authorization_token()
            .expect("token")
            .to_string();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&token)
            .expect("token is base64");
        let decoded = String::from_utf8(decoded).expect("token is text");
        let (user, password) = decoded.split_once(':').expect("AWS:password");
        assert_eq!(user, "AWS");
        let registry = Registry::start(Some(("AWS", password)));
        let layout = Path::new(ROOT).join("assets/demo");
        for r in REFS {
            push_with(
                &layout,
                r,
                &format!("{}/demo:{r}", registry.addr),
                registry.creds.as_ref(),
            );
        }

        // ECR's own record of the same manifests: index children first, untagged.
        let index: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json"))
                .expect("index.json is JSON");
        let mut puts: Vec<(String, String, Option<String>)> = Vec::new();
        for r in REFS {
            let d = index["manifests"]
                .as_array()
                .expect("manifests")
                .iter()
                .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == r)
                .unwrap_or_else(|| panic!("no {r} in assets/demo/index.json"));
            let digest = d["digest"].as_str().expect("digest").to_string();
            let mt = d["mediaType"].as_str().expect("mediaType").to_string();
            let bytes = demo_blob(&digest);
            if let Some(children) = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["manifests"].as_array().cloned())
            {
                for c in children {
                    let cd = c["digest"].as_str().expect("digest").to_string();
                    let cmt = c["mediaType"].as_str().expect("mediaType").to_string();
                    puts.push((cd, cmt, None));
                }
            }
            puts.push((digest, mt, Some(r.to_string())));
        }
        rt.block_on(async {
            ecr.create_repository()
                .repository_name("demo")
                .send()
                .await
                .expect("create repository demo");
            for (digest, mt, tag) in &puts {
                let bytes = demo_blob(digest);
                let mt = manifest_media_type(&bytes, mt);
                ecr.put_image()
                    .repository_name("demo")
                    .image_manifest(String::from_utf8(bytes).expect("manifest is UTF-8"))
                    .image_manifest_media_type(mt)
                    // ECR's imageDigest is the sha256 of the manifest bytes; moto needs telling.
                    .image_digest(digest)
                    .set_image_tag(tag.clone())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put_image {digest}: {e:?}"));
            }
        });

        let home = tempfile::tempdir().expect("tempdir");
        let config = home.path().join("archlens.toml");
        std::fs::write(
            &config,
            format!(
                "[[registry]]\nprefix = \"{}\"\nlocation = \"{}\"\ninsecure = true\n",
                host(),
                registry.addr
            ),
        )
        .expect("write config");
        Ecr {
            moto,
            _registry: registry,
            home,
            config,
            token,
            password: password.to_string(),
        }
    }

    /// Runs archlens with dummy AWS credentials and the ECR endpoint pointed at moto.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let h = self.home.path();
        let out = support_registry::archlens_on_fake_ecr(&self.config, &self.moto.endpoint, h)
            .args(args)
            .current_dir(ROOT)
            .output()
            .expect("run archlens");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(&self.token) && !text.contains(&self.password),
                "archlens {args:?} printed a credential:\n{text}"
            );
        }
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let (code, out, err) = self.run(args);
        let v = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("archlens {args:?}: not JSON ({e}): {out}\nstderr: {err}"));
        (code, v, err)
    }
}

/// The check JSON with the image's name replaced, the one thing that may differ.
fn without_name(json: &Value) -> Value {
    let name = json["image"].as_str().expect("image name");
    let text = serde_json::to_string(&json["results"]).expect("json");
    serde_json::json!({
        "digest": json["digest"],
        "media_type": json["media_type"],
        "results": serde_json::from_str::<Value>(&text.replace(name, "IMAGE")).expect("json"),
    })
}

#[test]
fn ecr_images_get_the_verdicts_of_their_local_form() {
    let e = Ecr::start();
    for r in REFS {
        let (lc, local, _) =
            e.json(&["check", &format!("oci:assets/demo:{r}"), "--format", "json"]);
        let image = format!("{}/demo:{r}", host());
        let (code, remote, err) = e.json(&["check", &image, "--format", "json"]);
        assert_eq!(code, lc, "{r}: {err}");
        assert_eq!(remote["image"], image.as_str());
        assert_eq!(without_name(&remote), without_name(&local), "{r}");
    }
    // The headline case, as a user reads it: the Mac-built image fails App Runner.
    let (code, text, _) = e.run(&[
        "check",
        &format!("{}/demo:mac-arm64", host()),
        "--target",
        "apprunner",
    ]);
    assert_eq!(code, 1);
    assert!(
        text.contains("exec /usr/local/bin/docker-entrypoint.sh: exec format error"),
        "{text}"
    );
    // A tag ECR does not have: exit 2 naming it, and still no credential in the message.
    let (code, _, err) = e.run(&[
        "check",
        &format!("{}/demo:nope", host()),
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn ls_lists_the_default_ecr_registry_and_its_images() {
    let e = Ecr::start();
    // No argument: the caller's own registry, found through the ECR API.
    for args in [
        vec!["ls", "--format", "json"],
        vec!["ls", &host(), "--format", "json"],
    ] {
        let (code, l, err) = e.json(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(l["registry"], host().as_str(), "{l:#}");
        let names: Vec<&str> = l["repositories"]
            .as_array()
            .expect("repositories")
            .iter()
            .map(|r| r["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, ["demo"], "{l:#}");
        assert_eq!(l["repositories"][0]["image_count"], REFS.len(), "{l:#}");
        assert!(l["repositories"][0]["last_pushed_at"].is_string(), "{l:#}");
    }

    let (code, l, err) = e.json(&["ls", &format!("{}/demo", host()), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let images = l["images"].as_array().expect("images");
    assert_eq!(
        images.len(),
        REFS.len(),
        "children or attestations listed alone: {l:#}"
    );
    let tagged = |t: &str| {
        images
            .iter()
            .find(|i| i["tags"] == serde_json::json!([t]))
            .unwrap_or_else(|| panic!("no image tagged {t}: {l:#}"))
    };
    let good = tagged("good");
    assert_eq!(good["kind"], "index");
    let mut plats: Vec<&str> = good["platforms"]
        .as_array()
        .expect("platforms")
        .iter()
        .map(|p| p["platform"].as_str().expect("platform"))
        .collect();
    plats.sort();
    assert_eq!(plats, ["linux/amd64", "linux/arm64"]);
    let att: Vec<&Value> = good["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter(|r| r["kind"] == "attestation")
        .collect();
    assert_eq!(att.len(), 2, "{good:#}");
    assert!(!good["pushed_at"].is_null(), "{good:#}");
    let mac = tagged("mac-arm64");
    assert_eq!(mac["kind"], "image");
    assert_eq!(mac["platforms"][0]["platform"], "linux/arm64", "{mac:#}");
    assert_eq!(
        tagged("musl-glibc")["platforms"][0]["platform"],
        "linux/amd64"
    );

    // The text form, which is what people paste into tickets.
    let (code, text, _) = e.run(&["ls", &format!("{}/demo", host())]);
    assert_eq!(code, 0);
    assert!(
        text.contains("mac-arm64") && text.contains("linux/arm64"),
        "{text}"
    );
}
