//! `archlens diff` on the demo indexes (assets/demo, built by scripts/build-demo.sh) and the
//! wasted-space accounting of `inspect`, through the real binary. The mislabel proof is
//! checked against the bytes themselves: hashed here, and run in a chroot natively and
//! under qemu-aarch64-static.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use support::{Blob, Image, Layer, p, write_layout};

fn archlens(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .arg("--no-cache")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run archlens");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `diff ARGS --format json`, which must exit with `status` (1: a finding, as `check` fails).
fn diff_json(args: &[&str], status: i32) -> Value {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let (code, out, err) = archlens(&all);
    assert_eq!(code, status, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["schema"], "archlens.diff/v1");
    v
}

fn native<'a>(d: &'a Value, path: &str) -> &'a Value {
    d["natives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["path"] == path)
        .unwrap_or_else(|| panic!("no native {path} in {d:#}"))
}

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo");

fn blob(digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    std::fs::read(Path::new(DEMO).join("blobs/sha256").join(hex)).unwrap()
}

/// The manifest digest of `arch` in the demo index named `name`, read from the layout
/// directly (not through archlens).
fn entry_of(name: &str, arch: &str) -> String {
    let top: Value =
        serde_json::from_slice(&std::fs::read(Path::new(DEMO).join("index.json")).unwrap())
            .unwrap();
    let idx = top["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == name)
        .unwrap();
    let index: Value = serde_json::from_slice(&blob(idx["digest"].as_str().unwrap())).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == arch)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Unpacks every layer of the manifest `digest` into `root`, in order.
fn unpack(digest: &str, root: &Path) {
    let m: Value = serde_json::from_slice(&blob(digest)).unwrap();
    for l in m["layers"].as_array().unwrap() {
        let bytes = blob(l["digest"].as_str().unwrap());
        let mut a = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        a.unpack(root).unwrap();
    }
}

/// chroot(2) then execve(2), as runc starts an entrypoint, so the error is the kernel's.
const LAUNCH: &str = r#"
import os, sys
os.chroot(sys.argv[1]); os.chdir("/")
try:
    os.execve(sys.argv[2], sys.argv[2:], {})
except OSError as e:
    sys.exit(f"exec {sys.argv[2]}: {e.strerror}")
"#;

/// Runs `path` in a chroot of `root`, natively or under qemu-aarch64-static (as an arm64
/// machine would). Returns (success, stdout + stderr).
fn run_in_chroot(root: &Path, path: &str, arm64: bool) -> (bool, String) {
    assert_eq!(
        std::env::consts::ARCH,
        "x86_64",
        "the run checks need an x86-64 host"
    );
    let mut cmd = Command::new("python3");
    cmd.args(["-c", LAUNCH]).arg(root);
    if arm64 {
        let qemu = Path::new("/usr/bin/qemu-aarch64-static");
        assert!(
            qemu.is_file(),
            "install qemu-user-static for the arm64 run checks"
        );
        std::fs::copy(qemu, root.join("qemu-aarch64-static")).unwrap();
        cmd.arg("/qemu-aarch64-static");
    }
    let out = cmd.arg(path).output().expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("PermissionError"),
        "the run checks chroot, which needs root: {text}"
    );
    (out.status.success(), text)
}

#[test]
fn mislabeled_index_shows_byte_identical_natives_as_the_proof() {
    let d = diff_json(&["oci:assets/demo:mislabeled"], 1);
    assert_eq!(d["a"]["platform"], "linux/amd64");
    assert_eq!(d["b"]["platform"], "linux/arm64");
    assert_eq!(d["summary"]["identical"], 3, "{d:#}");
    assert_eq!(d["summary"]["different"], 0);
    let server = native(&d, "/usr/local/bin/server");
    assert_eq!(server["status"], "identical");
    assert_eq!(server["b"]["arch"], "amd64");
    let f = &d["findings"][0];
    assert_eq!(f["code"], "mislabeled-platform");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("the linux/arm64 entry holds amd64 binaries"),
        "{msg}"
    );
    assert!(
        f["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/usr/local/bin/server")
    );

    // The digest archlens reports is the file's: unpack the arm64 entry and hash it here.
    let t = tempfile::tempdir().unwrap();
    unpack(&entry_of("mislabeled", "arm64"), t.path());
    let bytes = std::fs::read(t.path().join("usr/local/bin/server")).unwrap();
    let sha = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    assert_eq!(server["b"]["sha256"], sha);
    assert_eq!(server["a"]["sha256"], sha);
    // And the bytes are amd64 code: they run on this x86-64 host and not on an arm64 CPU.
    let (ok, out) = run_in_chroot(t.path(), "/usr/local/bin/server", false);
    assert!(ok && out.contains("linux/amd64"), "{out}");
    let (ok, out) = run_in_chroot(t.path(), "/usr/local/bin/server", true);
    assert!(!ok, "amd64 bytes ran under qemu-aarch64: {out}");
}

#[test]
fn good_index_differs_in_every_native_file_and_has_no_finding() {
    let d = diff_json(&["oci:assets/demo:good"], 0);
    let server = native(&d, "/usr/local/bin/server");
    assert_eq!(server["status"], "different");
    assert_eq!(
        (server["a"]["arch"].as_str(), server["b"]["arch"].as_str()),
        (Some("amd64"), Some("arm64"))
    );
    assert_eq!(d["summary"]["identical"], 0);
    assert_eq!(d["summary"]["only_a"], 2, "{d:#}");
    assert_eq!(d["summary"]["only_b"], 2);
    assert_eq!(
        native(&d, "/lib/aarch64-linux-gnu/libc.so.6")["status"],
        "only-b"
    );
    assert_eq!(d["findings"], Value::Array(vec![]));
    assert_eq!(d["shared_layers"], 0);

    // The arm64 server really is arm64 code: it runs under qemu-aarch64.
    let t = tempfile::tempdir().unwrap();
    unpack(&entry_of("good", "arm64"), t.path());
    let (ok, out) = run_in_chroot(t.path(), "/usr/local/bin/server", true);
    assert!(ok && out.contains("linux/arm64"), "{out}");
}

#[test]
fn text_report_is_aligned_and_names_the_mislabel() {
    let (code, out, err) = archlens(&["diff", "oci:assets/demo:mislabeled"]);
    // A finding fails the comparison as a failing target fails `check`.
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("mislabeled-platform"), "{out}");
    assert!(
        out.contains("NATIVE FILES  3 same bytes, 0 different, 0 only in A, 0 only in B"),
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.ends_with("/usr/local/bin/server"))
        .unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["same", "bytes", "amd64", "amd64", "/usr/local/bin/server"]
    );
    let header = out.lines().find(|l| l.contains("A ARCH")).unwrap();
    assert_eq!(header.find("PATH"), row.find("/usr/local"), "{out}");
}

#[test]
fn two_references_compare_config_and_natives() {
    let d = diff_json(
        &["oci:assets/demo:lambda-ok", "oci:assets/demo:python-wheel"],
        0,
    );
    assert_eq!(d["shared_layers"], 2);
    assert_eq!(d["summary"]["identical"], 3);
    let ext = "/usr/local/lib/python3.11/site-packages/ujson.cpython-311-aarch64-linux-gnu.so";
    assert_eq!(native(&d, ext)["status"], "only-b");
    let config = d["config"].as_array().unwrap();
    let field = |f: &str| {
        config
            .iter()
            .find(|c| c["field"] == f)
            .unwrap_or_else(|| panic!("{f}: {config:?}"))
    };
    assert_eq!(
        (
            field("workdir")["a"].as_str(),
            field("workdir")["b"].as_str()
        ),
        (Some("/"), Some("/app"))
    );
    assert_eq!(field("env PYTHONUNBUFFERED")["a"], Value::Null);
    // Two platforms of the same CPU are no mislabel, however alike.
    assert_eq!(d["findings"], Value::Array(vec![]));
}

#[test]
fn ref_at_platform_picks_an_entry_of_each_index() {
    let d = diff_json(
        &[
            "oci:assets/demo:good@linux/arm64",
            "oci:assets/demo:mislabeled@linux/arm64",
        ],
        0,
    );
    assert_eq!(d["a"]["label"], "oci:assets/demo:good@linux/arm64");
    assert_eq!(
        (d["a"]["platform"].as_str(), d["b"]["platform"].as_str()),
        (Some("linux/arm64"), Some("linux/arm64"))
    );
    let server = native(&d, "/usr/local/bin/server");
    assert_eq!(server["status"], "different");
    assert_eq!(
        (server["a"]["arch"].as_str(), server["b"]["arch"].as_str()),
        (Some("arm64"), Some("amd64"))
    );
}

/// The exit statuses without root or qemu: 0 no finding, 1 a mislabel, 2 unreadable.
#[test]
fn exit_status_says_whether_a_mislabel_was_found() {
    let (code, out, err) = archlens(&["diff", "oci:assets/demo:good", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = archlens(&["diff", "oci:assets/demo:mislabeled", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("mislabeled-platform"), "{out}");
    let (code, _, err) = archlens(&["diff", "oci:assets/demo:no-such-tag"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn errors_say_what_to_do() {
    let (code, _, err) = archlens(&["diff", "oci:assets/demo:lambda-ok"]);
    assert_eq!(code, 2);
    assert!(err.contains("is a single image, not an index"), "{err}");
    assert!(
        err.contains("archlens diff oci:assets/demo:lambda-ok OTHER"),
        "{err}"
    );
    let (code, _, err) = archlens(&[
        "diff",
        "oci:assets/demo:good",
        "--platforms",
        "linux/amd64,linux/s390x",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no image for linux/s390x; it offers: linux/amd64, linux/arm64"),
        "{err}"
    );
    let (code, _, err) = archlens(&["diff", "oci:assets/demo:good", "oci:assets/demo:musl-glibc"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "is an index: say which of its platforms to compare, as oci:assets/demo:good@PLATFORM or with --platforms A,B (it offers: linux/amd64, linux/arm64)"
        ),
        "{err}"
    );
}

#[test]
fn inspect_counts_bytes_later_layers_overwrite_or_delete() {
    let t = tempfile::tempdir().unwrap();
    let base = Layer::new()
        .dir("data")
        .file("data/big", &[7u8; 1000])
        .file("etc/conf", &[1u8; 10])
        .file("keep", &[2u8; 5])
        .tar();
    let edit = Layer::new()
        .file("etc/conf", &[3u8; 12])
        .file("tmp/x", &[4u8; 300])
        .tar();
    let clean = Layer::new().whiteout("data").whiteout("tmp/x").tar();
    let img = Image {
        arch: "amd64".into(),
        layers: vec![Blob::gzip(&base), Blob::gzip(&edit), Blob::gzip(&clean)],
    };
    write_layout(t.path(), &[("w", &img)]);
    let r = format!("oci:{}:w", p(t.path(), ""));
    let (code, out, err) = archlens(&["inspect", &r, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let image = &v["images"][0];
    let per_layer: Vec<u64> = image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["wasted_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(per_layer, [1010, 300, 0]);
    assert_eq!(image["wasted_bytes"], 1310);

    let (_, text, _) = archlens(&["inspect", &r]);
    assert!(
        text.contains("1.0 kB wasted: overwritten or deleted by later layers"),
        "{text}"
    );
    assert!(
        text.contains("wasted space     1.3 kB in files later layers overwrite or delete"),
        "{text}"
    );
}

#[test]
fn a_deleted_name_of_a_hard_linked_file_wastes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let lower = Layer::new()
        .file("bin/a", &[5u8; 50])
        .hardlink("bin/b", "bin/a")
        .tar();
    let upper = Layer::new().whiteout("bin/a").tar();
    let img = Image {
        arch: "amd64".into(),
        layers: vec![Blob::gzip(&lower), Blob::gzip(&upper)],
    };
    write_layout(t.path(), &[("h", &img)]);
    let r = format!("oci:{}:h", p(t.path(), ""));
    let (code, out, err) = archlens(&["inspect", &r, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // The 50 bytes live on as /bin/b: nothing is wasted.
    assert_eq!(v["images"][0]["wasted_bytes"], 0, "{v:#}");
}
