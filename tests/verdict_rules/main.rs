//! The verdict rules on small images built from real binaries (Debian's `hello` for several
//! CPUs, a Go binary, wheels' extension modules, a Mach-O head: see tests/fixtures/detect/),
//! driven through the real binary's JSON, one rule per test.

#[path = "../support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::{Blob, Layer, put_blob, write_index};

fn fixture(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/detect/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}; run scripts/fixtures/detect.sh"))
}

/// Writes a one-image layout whose config has `config` (Entrypoint, Cmd, Env...) and the
/// given layers, labelled `arch`.
fn image(dir: &Path, arch: &str, config: Value, layers: Vec<Layer>) {
    let blobs: Vec<Blob> = layers.into_iter().map(|l| Blob::gzip(&l.tar())).collect();
    let cfg = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": blobs.iter().map(|b| b.diff_id.to_string()).collect::<Vec<_>>()},
    }))
    .unwrap();
    let cfg_d = put_blob(dir, &cfg);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": cfg.len(), "digest": cfg_d.to_string()},
        "layers": blobs.iter().map(|b| { put_blob(dir, &b.bytes); json!({"mediaType": b.media_type, "size": b.bytes.len(), "digest": b.digest().to_string()}) }).collect::<Vec<_>>(),
    }))
    .unwrap();
    let d = put_blob(dir, &manifest);
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    write_index(
        dir,
        json!([{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": manifest.len(), "digest": d.to_string(),
                "annotations": {"org.opencontainers.image.ref.name": "t"}}]),
    );
}

/// `archlens check` on the layout for one target; returns that target's result.
fn check(dir: &Path, target: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "check",
            &format!("oci:{}:t", dir.display()),
            "--target",
            target,
            "--format",
            "json",
            "--no-cache",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let r = v["results"][0].clone();
    // Every finding says why, in its own words: the explain screen shows it as is.
    for f in r["findings"].as_array().unwrap() {
        let why = f["explanation"].as_str().unwrap_or_default();
        assert!(why.len() > 40, "no explanation: {f:#}");
    }
    r
}

fn finding<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {r:#}"))
}

fn codes(r: &Value) -> Vec<&str> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

/// An arm64 glibc base: Debian's hello as /bin/app, with the loader and libc file names present.
fn arm64_glibc_base() -> Layer {
    Layer::new()
        .file_mode("bin/app", &fixture("hello-arm64"), 0o755)
        .file(
            "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
            b"loader stand-in: only its presence is checked",
        )
        .symlink(
            "lib/ld-linux-aarch64.so.1",
            "aarch64-linux-gnu/ld-linux-aarch64.so.1",
        )
        .file(
            "lib/aarch64-linux-gnu/libc.so.6",
            b"libc stand-in: only its presence is checked",
        )
}

#[test]
fn debian_hello_passes_on_its_own_cpu_and_fails_elsewhere() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![arm64_glibc_base()],
    );
    assert_eq!(check(t.path(), "graviton")["verdict"], "pass");
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["predicted_error"], "exec /bin/app: exec format error");
}

#[test]
fn musl_extension_in_a_glibc_image_does_not_load() {
    let t = tempfile::tempdir().unwrap();
    let site = "usr/local/lib/python3.11/site-packages/markupsafe";
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            Layer::new().file(
                &format!("{site}/_speedups.cpython-311-aarch64-linux-musl.so"),
                &fixture("_speedups.cpython-311-aarch64-linux-musl.so"),
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-libc-mismatch");
    assert!(f["message"].as_str().unwrap().contains("musl"));
    assert_eq!(
        r["predicted_error"],
        "ModuleNotFoundError: No module named 'markupsafe._speedups'"
    );
}

#[test]
fn a_foreign_binary_deleted_by_a_later_layer_does_not_count() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base().file_mode("opt/tool", &fixture("hello-amd64"), 0o755),
            Layer::new().whiteout("opt/tool"),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "pass", "{r:#}");
    // Without the whiteout the amd64 file is reported.
    let t2 = tempfile::tempdir().unwrap();
    image(
        t2.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![arm64_glibc_base().file_mode("opt/tool", &fixture("hello-amd64"), 0o755)],
    );
    let r = check(t2.path(), "graviton");
    assert_eq!(r["verdict"], "warn");
    assert_eq!(finding(&r, "foreign-binary")["path"], "/opt/tool");
}

#[test]
fn entrypoint_found_on_path_through_a_symlink_added_in_a_later_layer() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["tool"], "Env": ["PATH=/usr/local/bin:/usr/bin"]}),
        vec![
            arm64_glibc_base().file_mode("opt/real/tool", &fixture("hello-amd64"), 0o755),
            Layer::new().symlink("usr/local/bin/tool", "../../../opt/real/tool"),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail");
    let f = finding(&r, "entrypoint-arch-mismatch");
    assert_eq!(f["path"], "/opt/real/tool");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("a link to /opt/real/tool")
    );
    // The runtime names the path it looked up, not the link target.
    assert_eq!(
        r["predicted_error"],
        "exec /usr/local/bin/tool: exec format error"
    );
}

#[test]
fn a_command_missing_from_path_is_reported_as_runc_does() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Cmd": ["server", "--port", "80"]}),
        vec![arm64_glibc_base()],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(codes(&r), ["entrypoint-not-found"]);
    assert_eq!(
        r["predicted_error"],
        "exec: \"server\": executable file not found in $PATH"
    );
}

#[test]
fn env_shebang_whose_program_is_missing() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/app/run.py"]}),
        vec![
            arm64_glibc_base()
                .file_mode("usr/bin/env", &fixture("hello-arm64"), 0o755)
                .file_mode(
                    "app/run.py",
                    b"#!/usr/bin/env python3\nprint('hi')\n",
                    0o755,
                ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail");
    let f = finding(&r, "interpreter-missing");
    assert_eq!(f["path"], "/app/run.py");
    assert_eq!(
        r["predicted_error"],
        "/usr/bin/env: 'python3': No such file or directory"
    );
}

#[test]
fn armv7_binary_on_an_armv6_cpu_dies_with_sigill_not_exec_format_error() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            Layer::new()
                .file_mode("bin/app", &fixture("hello-armhf"), 0o755)
                .file("lib/ld-linux-armhf.so.3", b"loader stand-in"),
        ],
    );
    let r = check(t.path(), "linux/arm/v6");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert!(
        r["predicted_error"].as_str().unwrap().contains("SIGILL"),
        "{r:#}"
    );
    assert_eq!(check(t.path(), "linux/arm/v7")["verdict"], "pass");
}

#[test]
fn a_macos_binary_as_entrypoint() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/usr/local/bin/esbuild"]}),
        vec![Layer::new().file_mode(
            "usr/local/bin/esbuild",
            &fixture("esbuild-darwin-arm64.head"),
            0o755,
        )],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail");
    let f = finding(&r, "entrypoint-arch-mismatch");
    assert!(f["message"].as_str().unwrap().contains("macOS"), "{f}");
    assert_eq!(
        r["predicted_error"],
        "exec /usr/local/bin/esbuild: exec format error"
    );
}

#[test]
fn go_binary_gets_a_goarch_hint() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/app"]}),
        vec![Layer::new().file_mode("app", &fixture("go-hello-arm64"), 0o755)],
    );
    let r = check(t.path(), "fargate");
    assert_eq!(r["verdict"], "fail");
    let f = finding(&r, "entrypoint-arch-mismatch");
    let m = f["message"].as_str().unwrap();
    assert!(m.contains("GOARCH=amd64"), "{m}");
    assert!(m.contains("runtimePlatform.cpuArchitecture = ARM64"), "{m}");
    // Labelled amd64, content arm64.
    assert!(codes(&r).contains(&"mislabeled-platform"));
}

#[test]
fn control_characters_in_file_names_never_reach_the_terminal() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![arm64_glibc_base().file_mode(
            "opt/\x1b[2J\x1b]0;pwned\x07x",
            &fixture("hello-amd64"),
            0o755,
        )],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "check",
            &format!("oci:{}:t", t.path().display()),
            "--target",
            "graviton",
            "--no-cache",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/opt/\\u{1b}[2J"), "{text}");
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
}

#[test]
fn an_entrypoint_without_execute_bit_is_refused_with_permission_denied() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/app/run"], "Env": ["PATH=/app"]}),
        vec![arm64_glibc_base().file_mode("app/run", &fixture("hello-arm64"), 0o644)],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail");
    let f = finding(&r, "entrypoint-not-executable");
    assert_eq!(f["path"], "/app/run");
    assert!(f["fix"].as_str().unwrap().contains("chmod"));
    assert_eq!(r["predicted_error"], "exec /app/run: permission denied");

    // Looked up by name, a non-executable file is skipped as runc's LookPath does.
    let t2 = tempfile::tempdir().unwrap();
    image(
        t2.path(),
        "arm64",
        json!({"Entrypoint": ["run"], "Env": ["PATH=/app"]}),
        vec![arm64_glibc_base().file_mode("app/run", &fixture("hello-arm64"), 0o644)],
    );
    let r = check(t2.path(), "graviton");
    assert_eq!(
        r["predicted_error"],
        "exec: \"run\": executable file not found in $PATH"
    );
}

/// An amd64 glibc base whose dpkg database says which glibc it has (`status.d/libc6`, as
/// distroless images record it), with Debian 12's `hello` (needs GLIBC_2.34) as /bin/app.
fn amd64_base_with_glibc(version: &str) -> Layer {
    Layer::new()
        .file_mode("bin/app", &fixture("hello-amd64"), 0o755)
        .file("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", b"loader stand-in")
        .symlink("lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .file("lib/x86_64-linux-gnu/libc.so.6", b"libc stand-in")
        .file(
            "var/lib/dpkg/status.d/libc6",
            format!("Package: libc6\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n").as_bytes(),
        )
}

#[test]
fn a_binary_built_against_a_newer_glibc_than_the_image_has() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_base_with_glibc("2.31-13+deb11u11")],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "glibc-too-old");
    assert!(
        f["message"].as_str().unwrap().contains("needs glibc 2.34"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "/bin/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /bin/app)"
    );
    // The same binary on Debian 12's glibc runs.
    let t2 = tempfile::tempdir().unwrap();
    image(
        t2.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_base_with_glibc("2.36-9+deb12u14")],
    );
    assert_eq!(check(t2.path(), "apprunner")["verdict"], "pass");
}

#[test]
fn a_glibc_binary_in_a_musl_image_is_a_loader_story_not_a_cpu_story() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/app/server"]}),
        vec![
            Layer::new()
                .file(
                    "lib/ld-musl-x86_64.so.1",
                    b"musl stand-in: only its presence is checked",
                )
                .symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
            Layer::new().file_mode("app/server", &fixture("hello-amd64"), 0o755),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(
        r["predicted_error"],
        "exec /app/server: no such file or directory"
    );
    let f = finding(&r, "interpreter-missing");
    // The file that breaks is named with the layer that wrote it, so the tree marks it.
    assert_eq!(f["path"], "/app/server");
    assert!(f["layer"].as_str().unwrap().starts_with("sha256:"), "{f}");
    let why = f["explanation"].as_str().unwrap();
    for said in [
        "PT_INTERP",
        "/lib64/ld-linux-x86-64.so.2",
        "C library",
        "musl",
        "the CPU is right",
    ] {
        assert!(why.contains(said), "{said:?} missing: {why}");
    }
    for not_said in ["Apple", "exec format error", "built on an"] {
        assert!(!why.contains(not_said), "{not_said:?} in: {why}");
    }
}

#[test]
fn an_arm64_label_over_amd64_files_is_fixed_by_building_per_targetarch() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_base_with_glibc("2.36-9+deb12u14")],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let m = finding(&r, "mislabeled-platform");
    assert_eq!(m["path"], "/bin/app");
    let fix = m["fix"].as_str().unwrap();
    assert!(
        fix.contains("TARGETARCH") && fix.contains("prebuilt amd64"),
        "{fix}"
    );
    // Built for the label, the target's platform first; never "rebuild for amd64".
    assert!(fix.contains("--platform linux/arm64,linux/amd64"), "{fix}");
    assert!(!fix.contains("label and content agree"), "{fix}");
    let why = m["explanation"].as_str().unwrap();
    assert!(
        why.contains("labelled linux/arm64") && why.contains("Relabelling would not help"),
        "{why}"
    );
    // The entrypoint's own finding tells the same cause, not "build on the right machine".
    let e = finding(&r, "entrypoint-arch-mismatch");
    assert!(e["fix"].as_str().unwrap().contains("TARGETARCH"), "{e}");
    assert!(
        e["explanation"]
            .as_str()
            .unwrap()
            .contains("asked for the right platform"),
        "{e}"
    );
}

#[test]
fn an_amd64_label_over_arm64_files_runs_on_graviton_and_fails_on_app_runner() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![arm64_glibc_base()],
    );
    // A single image is run whatever its label: the arm64 files start on arm64.
    let g = check(t.path(), "graviton");
    assert_eq!(g["verdict"], "warn", "{g:#}");
    let m = finding(&g, "mislabeled-platform");
    assert!(
        m["message"]
            .as_str()
            .unwrap()
            .contains("only because the runtime ignores the label")
    );
    let fix = m["fix"].as_str().unwrap();
    assert!(
        fix.contains("TARGETARCH") && fix.contains("--platform linux/arm64"),
        "{fix}"
    );
    assert!(
        m["explanation"]
            .as_str()
            .unwrap()
            .contains("on a linux/amd64 host, which the label promises"),
        "{m}"
    );
    let a = check(t.path(), "apprunner");
    assert_eq!(a["verdict"], "fail");
    let fix = finding(&a, "mislabeled-platform")["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("--platform linux/amd64"), "{fix}");
    assert!(
        finding(&a, "entrypoint-arch-mismatch")["fix"]
            .as_str()
            .unwrap()
            .contains("TARGETARCH")
    );
}

/// The explanation's "exits with code N".
fn exit_code_said(f: &Value) -> i32 {
    let why = f["explanation"].as_str().unwrap();
    let i = why
        .find("exits with code ")
        .unwrap_or_else(|| panic!("{why}"))
        + 16;
    why[i..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{why}"))
}

/// `archlens check` for people, on one target.
fn check_text(dir: &Path, target: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", &format!("oci:{}:t", dir.display())])
        .args(["--target", target, "--no-cache"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

mod cpu;
mod lambda;
mod natives;
mod python;
mod shell;
