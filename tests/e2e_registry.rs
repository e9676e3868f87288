//! The bundled demo images pushed to a real docker-registry (anonymous and htpasswd) give
//! exactly the verdicts of their local form; `ls` lists them; a warm cache fetches no blob.

mod support_registry;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support_registry::{Proxy, Registry, push_with};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const REFS: [&str; 4] = ["good", "mac-arm64", "musl-glibc", "python-wheel"];

/// A home of its own, so no user config, Docker credentials or cache leak in.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("docker")).expect("mkdir");
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Docker's `config.json` granting `user:pass` for `host`.
    fn login(&self, host: &str, user: &str, pass: &str) {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let json = serde_json::json!({"auths": {host: {"auth": auth}}});
        std::fs::write(self.path().join("docker/config.json"), json.to_string())
            .expect("write docker config");
    }

    fn cache(&self) -> PathBuf {
        self.path().join("cache")
    }

    /// Runs archlens; returns exit code, stdout and stderr.
    fn run(&self, args: &[&str], cached: bool) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_archlens"));
        cmd.args(args)
            .current_dir(ROOT)
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_CACHE_HOME", self.cache())
            .env("DOCKER_CONFIG", self.path().join("docker"))
            .env_remove("ARCHLENS_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE");
        if !cached {
            cmd.arg("--no-cache");
        }
        let out = cmd.output().expect("run archlens");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str], cached: bool) -> (i32, Value, String) {
        let (code, out, err) = self.run(args, cached);
        let json = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("archlens {args:?}: not JSON ({e}): {out}\nstderr: {err}"));
        (code, json, err)
    }
}

fn push_demo_refs(reg: &Registry) {
    let layout = Path::new(ROOT).join("assets/demo");
    for r in REFS {
        push_with(
            &layout,
            r,
            &format!("{}/demo:{r}", reg.addr),
            reg.creds.as_ref(),
        );
    }
}

/// The check JSON with the image's name taken out (it is the one thing that differs).
fn without_name(json: &Value) -> Value {
    let name = json["image"].as_str().expect("image name");
    let text = serde_json::to_string(&json["results"]).expect("json");
    let mut v: Value = serde_json::from_str(&text.replace(name, "IMAGE")).expect("json");
    v = serde_json::json!({
        "schema": json["schema"],
        "digest": json["digest"],
        "media_type": json["media_type"],
        "results": v,
    });
    v
}

fn assert_same_as_local(home: &Home, host: &str) {
    for r in REFS {
        let (lc, local, lerr) = home.json(
            &["check", &format!("oci:assets/demo:{r}"), "--format", "json"],
            false,
        );
        let remote_ref = format!("{host}/demo:{r}");
        let (rc, remote, rerr) = home.json(&["check", &remote_ref, "--format", "json"], false);
        assert_eq!(remote["image"], remote_ref.as_str());
        assert_eq!(rc, lc, "{r}: exit codes differ\n{lerr}\n{rerr}");
        assert_eq!(
            without_name(&remote),
            without_name(&local),
            "{r}: the registry form and the local form disagree"
        );
        // Something to compare: every demo image fails at least one built-in target.
        assert!(
            remote["results"]
                .as_array()
                .expect("results")
                .iter()
                .any(|x| x["verdict"] == "fail" && !x["findings"].as_array().expect("f").is_empty()),
            "{remote:#}"
        );
    }
    // The Lambda index error names the image as the user wrote it.
    let (_, good, _) = home.json(
        &[
            "check",
            &format!("{host}/demo:good"),
            "--target",
            "lambda",
            "--format",
            "json",
        ],
        false,
    );
    let pe = good["results"][0]["predicted_error"]
        .as_str()
        .expect("error");
    assert!(pe.contains(&format!("{host}/demo:good")), "{pe}");
}

#[test]
fn anonymous_registry_gives_the_local_verdicts_and_lists_them() {
    let reg = Registry::start(None);
    push_demo_refs(&reg);
    let home = Home::new();
    assert_same_as_local(&home, &reg.addr);

    // ls REGISTRY: the repositories.
    let (code, l, err) = home.json(&["ls", &reg.addr, "--format", "json"], false);
    assert_eq!(code, 0, "{err}");
    let repos: Vec<&str> = l["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(repos, ["demo"], "{l:#}");

    // ls REGISTRY/REPO: one entry per pushed tag, platforms, attestations grouped.
    let (code, l, err) = home.json(
        &["ls", &format!("{}/demo", reg.addr), "--format", "json"],
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        l["repository"].as_str().map(|r| r.ends_with("demo")),
        Some(true),
        "{l:#}"
    );
    let images = l["images"].as_array().expect("images");
    let tagged = |t: &str| {
        images
            .iter()
            .find(|i| {
                i["tags"]
                    .as_array()
                    .is_some_and(|ts| ts.iter().any(|x| x == t))
            })
            .unwrap_or_else(|| panic!("no image tagged {t} in {l:#}"))
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
    assert_eq!(plats, ["linux/amd64", "linux/arm64"], "{good:#}");
    let related = good["related"].as_array().expect("related");
    let att: Vec<&Value> = related
        .iter()
        .filter(|r| r["kind"] == "attestation")
        .collect();
    assert_eq!(att.len(), 2, "{good:#}");
    for a in att {
        assert!(
            good["platforms"]
                .as_array()
                .expect("platforms")
                .iter()
                .any(|p| p["digest"] == a["subject"]),
            "attestation {a} has no subject among the platforms"
        );
    }
    let mac = tagged("mac-arm64");
    assert_eq!(mac["kind"], "image");
    assert_eq!(mac["platforms"][0]["platform"], "linux/arm64", "{mac:#}");
    // Attestations and index children are never listed as images of their own.
    assert_eq!(images.len(), REFS.len(), "{l:#}");
    for r in REFS {
        tagged(r);
    }
}

#[test]
fn htpasswd_registry_with_docker_login_gives_the_local_verdicts() {
    let (user, pass) = ("e2e-user", "e2e-pass-s3cret");
    let reg = Registry::start(Some((user, pass)));
    push_demo_refs(&reg);

    // Without credentials: exit 2, saying what is missing, not a verdict.
    let nobody = Home::new();
    let (code, out, err) = nobody.run(
        &[
            "check",
            &format!("{}/demo:good", reg.addr),
            "--format",
            "json",
        ],
        false,
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("401") || err.to_lowercase().contains("auth") || err.contains("login"),
        "{err}"
    );

    // A wrong password: refused, and neither it nor its base64 form is echoed.
    let wrong = Home::new();
    let bad = "wrong-pass-0451";
    wrong.login(&reg.addr, user, bad);
    let (code, out, err) = wrong.run(&["check", &format!("{}/demo:good", reg.addr)], false);
    assert_eq!(code, 2, "{out}\n{err}");
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{bad}"))
    };
    for text in [&out, &err] {
        assert!(!text.contains(bad) && !text.contains(&encoded), "{text}");
    }

    let home = Home::new();
    home.login(&reg.addr, user, pass);
    assert_same_as_local(&home, &reg.addr);
    let (code, out, err) = home.run(&["check", &format!("{}/demo:mac-arm64", reg.addr)], false);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("exec format error"), "{out}");
    assert!(
        !out.contains(pass) && !err.contains(pass),
        "the password leaked"
    );
    let (code, out, err) = home.run(&["ls", &format!("{}/demo", reg.addr)], false);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("mac-arm64"), "{out}");
    for text in [&out, &err] {
        assert!(!text.contains(pass), "the password leaked: {text}");
    }
}

#[test]
fn second_run_with_a_cache_fetches_no_blob() {
    let reg = Registry::start(None);
    push_demo_refs(&reg);
    // archlens talks to the registry through a recording proxy.
    let proxy = Proxy::start(&reg.addr);
    let home = Home::new();
    for r in ["good", "mac-arm64"] {
        let image = format!("{}/demo:{r}", proxy.addr);
        proxy.clear();
        let (c1, first, e1) = home.json(&["check", &image, "--format", "json"], true);
        let cold: Vec<String> = proxy
            .seen()
            .into_iter()
            .filter(|s| s.path.contains("/blobs/"))
            .map(|s| s.path)
            .collect();
        assert!(
            !cold.is_empty(),
            "{r}: the first run fetched no blob through the proxy"
        );

        proxy.clear();
        let (c2, second, e2) = home.json(&["check", &image, "--format", "json"], true);
        assert_eq!(c1, c2, "{e1}\n{e2}");
        assert_eq!(first, second, "{r}: the cached run answered differently");
        let warm: Vec<String> = proxy
            .seen()
            .into_iter()
            .filter(|s| s.path.contains("/blobs/"))
            .map(|s| format!("{} {}", s.method, s.path))
            .collect();
        assert!(
            warm.is_empty(),
            "{r}: blob requests on the cached run: {warm:?}"
        );
    }
    assert!(
        std::fs::read_dir(home.cache().join("archlens"))
            .map(|d| d.count() > 0)
            .unwrap_or(false),
        "nothing was written under $XDG_CACHE_HOME/archlens"
    );
}
