//! The verdict rules on small images built from real binaries (Debian's `hello` for several
//! CPUs, a Go binary, wheels' extension modules, a Mach-O head: see tests/fixtures/detect/),
//! driven through the real binary's JSON, one rule per test.

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

/// An amd64 Debian-like base whose /bin/sh is a link to `shell` (`dash` or `busybox`; the
/// file is Debian's amd64 `hello`, standing in: only its CPU and its name matter here).
fn amd64_shell_base(shell: &str) -> Layer {
    amd64_base_with_glibc("2.36-9+deb12u14")
        .file_mode(&format!("usr/bin/{shell}"), &fixture("hello-amd64"), 0o755)
        .symlink("bin/sh", &format!("/usr/bin/{shell}"))
}

#[test]
fn sh_c_exec_of_an_arm64_server_fails_on_app_runner_with_dashs_words() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/sh", "-c", "exec /app/server"]}),
        vec![amd64_shell_base("dash").file_mode("app/server", &fixture("hello-arm64"), 0o755)],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "entrypoint-arch-mismatch");
    assert_eq!(f["path"], "/app/server");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("`/bin/sh -c 'exec /app/server'`"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "/bin/sh: 1: exec: /app/server: Exec format error"
    );
    let why = f["explanation"].as_str().unwrap();
    assert!(why.contains("dash") && why.contains("code 126"), "{why}");
    // What the shell execs is the entrypoint now, not "another binary in the image".
    assert!(!codes(&r).contains(&"foreign-binary"), "{r:#}");
    // On Graviton the arm64 server is what runs... and the amd64 shell is what fails.
    let g = check(t.path(), "graviton");
    assert_eq!(g["predicted_error"], "exec /bin/sh: exec format error");
}

#[test]
fn busybox_reads_a_foreign_binary_as_a_script() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/sh", "-c", "exec /app/server"]}),
        vec![amd64_shell_base("busybox").file_mode("app/server", &fixture("hello-arm64"), 0o755)],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let p = r["predicted_error"].as_str().unwrap();
    assert!(p.starts_with("/app/server: line N: syntax error"), "{p}");
    let why = finding(&r, "entrypoint-arch-mismatch")["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        why.contains("busybox sh") && why.contains("code 2"),
        "{why}"
    );
}

#[test]
fn shell_form_cmd_finds_node_on_path() {
    let t = tempfile::tempdir().unwrap();
    // `CMD node server.js` in a Dockerfile is stored as this.
    image(
        t.path(),
        "amd64",
        json!({"Cmd": ["/bin/sh", "-c", "node server.js"], "WorkingDir": "/app"}),
        vec![amd64_shell_base("dash").file_mode(
            "usr/local/bin/node",
            &fixture("hello-arm64"),
            0o755,
        )],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(
        finding(&r, "entrypoint-arch-mismatch")["path"],
        "/usr/local/bin/node"
    );
    assert_eq!(r["predicted_error"], "/bin/sh: 1: node: Exec format error");
}

#[test]
fn sh_c_python_module_with_env_prefix_and_set_up() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["sh", "-c", "set -e; cd /srv && PYTHONUNBUFFERED=1 exec python3 -m app"]}),
        vec![amd64_shell_base("dash").file_mode("usr/bin/python3", &fixture("hello-arm64"), 0o755)],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(
        finding(&r, "entrypoint-arch-mismatch")["path"],
        "/usr/bin/python3"
    );
    // `sh` was found on PATH; dash names itself by the argv[0] it was given.
    assert_eq!(
        r["predicted_error"],
        "sh: 1: exec: python3: Exec format error"
    );
}

/// The official node image's docker-entrypoint.sh (node:20-bookworm), verbatim.
const NODE_ENTRYPOINT: &str = r#"#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
"#;

#[test]
fn an_exec_args_wrapper_runs_what_cmd_names() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["node", "server.js"]}),
        vec![
            amd64_shell_base("dash")
                .file_mode("usr/local/bin/node", &fixture("hello-arm64"), 0o755)
                .file_mode(
                    "usr/local/bin/docker-entrypoint.sh",
                    NODE_ENTRYPOINT.as_bytes(),
                    0o755,
                ),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "entrypoint-arch-mismatch");
    assert_eq!(f["path"], "/usr/local/bin/node");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("started by /usr/local/bin/docker-entrypoint.sh at line 11"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "/usr/local/bin/docker-entrypoint.sh: 11: exec: node: Exec format error"
    );
    // With an amd64 node the same image passes.
    let t2 = tempfile::tempdir().unwrap();
    image(
        t2.path(),
        "amd64",
        json!({"Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["node", "server.js"]}),
        vec![
            amd64_shell_base("dash")
                .file_mode("usr/local/bin/node", &fixture("hello-amd64"), 0o755)
                .file_mode(
                    "usr/local/bin/docker-entrypoint.sh",
                    NODE_ENTRYPOINT.as_bytes(),
                    0o755,
                ),
        ],
    );
    let r = check(t2.path(), "apprunner");
    assert_eq!(r["verdict"], "pass", "{r:#}");
}

#[test]
fn a_wrapper_whose_cmd_is_missing_fails_as_the_shell_says() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/entrypoint.sh"], "Cmd": ["/app/server"]}),
        vec![amd64_shell_base("busybox").file_mode(
            "entrypoint.sh",
            b"#!/bin/sh\nset -e\nexec \"$@\"\n",
            0o755,
        )],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(codes(&r), ["entrypoint-not-found"]);
    assert_eq!(finding(&r, "entrypoint-not-found")["path"], "/app/server");
    assert_eq!(
        r["predicted_error"],
        "/entrypoint.sh: exec: line 3: /app/server: not found"
    );
}

#[test]
fn a_command_only_known_at_run_time_is_said_not_guessed() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/sh", "-c", "exec $APP_BIN --serve"]}),
        vec![amd64_shell_base("dash").file_mode("app/server", &fixture("hello-arm64"), 0o755)],
    );
    let r = check(t.path(), "apprunner");
    // The shell runs; what it starts is unknown, and the arm64 file is still reported.
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let f = finding(&r, "command-unknown");
    // A warning, so text output shows it: what runs could not be checked.
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("$APP_BIN"), "{f}");
    assert_eq!(finding(&r, "foreign-binary")["path"], "/app/server");
}

#[test]
fn a_shell_string_whose_programs_match_passes() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/sh", "-c", "/app/migrate && exec /app/server \"$@\"", "sh"], "Cmd": ["--port", "80"]}),
        vec![
            amd64_shell_base("dash")
                .file_mode("app/server", &fixture("hello-amd64"), 0o755)
                .file_mode("app/migrate", &fixture("hello-amd64"), 0o755),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "pass", "{r:#}");
}

/// A file of tests/fixtures/shell/ (see its README), inflated when gzipped.
fn shell_fixture(name: &str) -> Vec<u8> {
    use std::io::Read;
    let p = format!("{}/tests/fixtures/shell/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw =
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}; run scripts/fixtures/shell.sh"));
    if !name.ends_with(".gz") {
        return raw;
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{p}: {e}"));
    out
}

/// A file tree that is both an image layer and, written out, the root of a chroot: what
/// archlens reads and what really runs are the same bytes.
#[derive(Default, Clone)]
struct Root {
    files: Vec<(String, Vec<u8>, u32)>,
    links: Vec<(String, String)>,
}

impl Root {
    fn file(mut self, path: &str, data: Vec<u8>, mode: u32) -> Root {
        self.files.push((path.into(), data, mode));
        self
    }

    fn link(mut self, path: &str, target: &str) -> Root {
        self.links.push((path.into(), target.into()));
        self
    }

    fn layer(&self) -> Layer {
        let mut l = Layer::new().dir("proc");
        for (p, data, mode) in &self.files {
            l = l.file_mode(p, data, *mode);
        }
        for (p, t) in &self.links {
            l = l.symlink(p, t);
        }
        l
    }

    fn write(&self, dir: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        for (p, data, mode) in &self.files {
            let f = dir.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(&f, data).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(*mode)).unwrap();
        }
        for (p, t) in &self.links {
            std::os::unix::fs::symlink(t, dir.join(p)).unwrap();
        }
    }
}

/// Debian bookworm's amd64 `dash` (with the glibc it needs) or `busybox-static` as /bin/sh,
/// and an arm64 /app/server: the real files, not stand-ins.
fn real_shell_root(shell: &str) -> Root {
    let r = Root::default().file("app/server", shell_fixture("server-arm64"), 0o755);
    match shell {
        "dash" => r
            .file("bin/dash", shell_fixture("dash-amd64.gz"), 0o755)
            .link("bin/sh", "dash")
            .file(
                "lib/x86_64-linux-gnu/libc.so.6",
                shell_fixture("libc.so.6-amd64.gz"),
                0o755,
            )
            .file(
                "lib64/ld-linux-x86-64.so.2",
                shell_fixture("ld-linux-x86-64.so.2-amd64.gz"),
                0o755,
            ),
        _ => r
            .file("bin/busybox", shell_fixture("busybox-amd64.gz"), 0o755)
            .link("bin/sh", "busybox"),
    }
}

/// Starts `argv` as a container runtime on an amd64 host would: in a chroot of `root`, with
/// its own /proc (busybox needs /proc/self/exe). Returns stdout, stderr and the exit code.
fn run_in_chroot(root: &Path, argv: &[String]) -> (String, String, i32) {
    assert_eq!(
        std::env::consts::ARCH,
        "x86_64",
        "this test runs the amd64 shells natively: run it on an x86_64 host"
    );
    // With qemu registered in binfmt_misc the arm64 server would run here, unlike on the target.
    let binfmt = Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64");
    if let Ok(state) = std::fs::read_to_string(binfmt) {
        assert!(
            !state.starts_with("enabled"),
            "qemu-aarch64 is registered in binfmt_misc, so arm64 binaries run on this host: disable it (echo 0 > {})",
            binfmt.display()
        );
    }
    let out = Command::new("unshare")
        .args(["--fork", "--pid", "--mount"])
        .arg(format!("--mount-proc={}", root.join("proc").display()))
        .arg("chroot")
        .arg(root)
        .args(argv)
        .output()
        .unwrap_or_else(|e| {
            panic!("unshare: {e}; install util-linux (apt-get install util-linux)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.starts_with("unshare:") && !stderr.starts_with("chroot:"),
        "{stderr}: this test needs root (chroot, mount namespaces); run it as root"
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        out.status.code().unwrap_or(-1),
    )
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

#[test]
fn shells_really_print_the_predicted_error_when_the_entrypoint_is_started() {
    let wrapper = b"#!/bin/sh\nset -e\nexec \"$@\"\n".to_vec();
    let cases: Vec<(&str, Value, Root, &str)> = vec![
        (
            "dash",
            json!({"Entrypoint": ["/bin/sh", "-c", "exec /app/server"]}),
            real_shell_root("dash"),
            "entrypoint-arch-mismatch",
        ),
        (
            "dash",
            json!({"Cmd": ["/bin/sh", "-c", "/app/server"]}),
            real_shell_root("dash"),
            "entrypoint-arch-mismatch",
        ),
        (
            "dash",
            json!({"Entrypoint": ["/entrypoint.sh"], "Cmd": ["/app/server"]}),
            real_shell_root("dash").file("entrypoint.sh", wrapper.clone(), 0o755),
            "entrypoint-arch-mismatch",
        ),
        (
            "busybox",
            json!({"Entrypoint": ["/bin/sh", "-c", "exec /app/server"]}),
            real_shell_root("busybox"),
            "entrypoint-arch-mismatch",
        ),
        (
            "busybox",
            json!({"Entrypoint": ["/bin/sh", "-c", "cd /app && exec ./missing"]}),
            real_shell_root("busybox"),
            "entrypoint-not-found",
        ),
        (
            "busybox",
            json!({"Entrypoint": ["/entrypoint.sh"], "Cmd": ["/app/server"]}),
            real_shell_root("busybox").file("entrypoint.sh", wrapper, 0o755),
            "entrypoint-arch-mismatch",
        ),
    ];
    for (shell, config, root, code) in cases {
        let t = tempfile::tempdir().unwrap();
        image(t.path(), "amd64", config.clone(), vec![root.layer()]);
        let r = check(t.path(), "apprunner");
        assert_eq!(r["verdict"], "fail", "{shell} {config}: {r:#}");
        let f = finding(&r, code);
        let predicted = r["predicted_error"].as_str().unwrap().to_string();

        let dir = tempfile::tempdir().unwrap();
        root.write(dir.path());
        let argv: Vec<String> = ["Entrypoint", "Cmd"]
            .iter()
            .flat_map(|k| config[k].as_array().cloned().unwrap_or_default())
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let (stdout, stderr, status) = run_in_chroot(dir.path(), &argv);
        assert!(
            !stdout.contains("server up"),
            "{shell} {config}: it ran: {stdout}"
        );
        let last = stderr.lines().last().unwrap_or_default();
        match predicted.split_once("line N: syntax error") {
            // busybox reads the binary as a script: the line and the words depend on its bytes.
            Some((start, _)) => assert!(
                last.starts_with(&format!("{start}line ")) && last.contains("syntax error"),
                "{shell} {config}: predicted {predicted:?}, the shell printed {stderr:?}"
            ),
            None => assert_eq!(
                last, predicted,
                "{shell} {config}: the shell printed {stderr:?}"
            ),
        }
        if code == "entrypoint-arch-mismatch" {
            assert_eq!(status, exit_code_said(f), "{shell} {config}: {stderr}");
        } else {
            assert_eq!(status, 127, "{shell} {config}: {stderr}");
        }
    }

    // And an amd64 program started by the same shell passes, and really starts.
    let root = real_shell_root("dash").file("app/hello", fixture("hello-amd64"), 0o755);
    let config = json!({"Entrypoint": ["/bin/sh", "-c", "exec /app/hello"]});
    let t = tempfile::tempdir().unwrap();
    image(t.path(), "amd64", config, vec![root.layer()]);
    let r = check(t.path(), "apprunner");
    // The arm64 /app/server is still in the image, unused: a warning, not a failure.
    assert_eq!(r["verdict"], "warn", "{r:#}");
    assert_eq!(codes(&r), ["foreign-binary"]);
    let dir = tempfile::tempdir().unwrap();
    root.write(dir.path());
    let argv = ["/bin/sh", "-c", "exec /app/hello"].map(String::from);
    let (stdout, stderr, status) = run_in_chroot(dir.path(), &argv);
    assert_eq!((stdout.trim(), status), ("Hello, world!", 0), "{stderr}");
}

// Python extension modules as CPython's finder sees them. Suffixes a CPython tries, in order
// (`python3 -c 'import importlib.machinery as m; print(m.EXTENSION_SUFFIXES)'`, Debian 3.11
// amd64): `.cpython-311-x86_64-linux-gnu.so`, `.abi3.so`, `.so`; Alpine's says `-linux-musl`.
// The predicted lines are those host python3.11 printed for the same files (see images.sh).

const MARKUPSAFE: &str = "usr/local/lib/python3.11/site-packages/markupsafe";

/// An arm64 musl base: a static entrypoint (it starts anywhere) and musl's loader file names.
fn arm64_musl_base() -> Layer {
    Layer::new()
        .file_mode("bin/app", &fixture("static-pie-arm64"), 0o755)
        .file(
            "lib/ld-musl-aarch64.so.1",
            b"musl stand-in: only its presence is checked",
        )
        .symlink("lib/libc.musl-aarch64.so.1", "ld-musl-aarch64.so.1")
}

/// `/usr/local/lib/python3.11/site-packages/markupsafe/<file>` holding fixture `bytes`.
fn markupsafe(file: &str, bytes: &str) -> Layer {
    Layer::new().file(&format!("{MARKUPSAFE}/{file}"), &fixture(bytes))
}

#[test]
fn a_manylinux_named_module_in_a_musl_image_is_never_tried() {
    let t = tempfile::tempdir().unwrap();
    // A glibc arm64 shared object under a manylinux wheel's name.
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_musl_base(),
            markupsafe(
                "_speedups.cpython-311-aarch64-linux-gnu.so",
                "libarchlens-arm64.so",
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-libc-mismatch");
    assert_eq!(
        f["path"],
        format!("/{MARKUPSAFE}/_speedups.cpython-311-aarch64-linux-gnu.so")
    );
    assert!(f["message"].as_str().unwrap().contains("glibc"), "{f}");
    assert!(
        f["fix"].as_str().unwrap().contains("musllinux_1_2_aarch64"),
        "{f}"
    );
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("EXTENSION_SUFFIXES"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "ModuleNotFoundError: No module named 'markupsafe._speedups'"
    );
}

#[test]
fn a_module_with_a_variant_for_this_python_loads() {
    // The musl file beside the glibc one is never opened by a glibc Python.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            markupsafe(
                "_speedups.cpython-311-aarch64-linux-musl.so",
                "_speedups.cpython-311-aarch64-linux-musl.so",
            ),
            markupsafe(
                "_speedups.cpython-311-aarch64-linux-gnu.so",
                "libarchlens-arm64.so",
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "pass", "{r:#}");
}

#[test]
fn an_abi3_module_of_another_cpu_is_tried_and_refused_by_dlopen() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            markupsafe(
                "_speedups.abi3.so",
                "_speedups.cpython-311-x86_64-linux-gnu.so",
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert!(f["message"].as_str().unwrap().contains("amd64"), "{f}");
    assert_eq!(
        r["predicted_error"],
        format!(
            "ImportError: /{MARKUPSAFE}/_speedups.abi3.so: cannot open shared object file: No such file or directory"
        )
    );
}

#[test]
fn a_musl_module_under_an_untagged_name_fails_in_dlopen_on_glibc() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            markupsafe(
                "_speedups.abi3.so",
                "_speedups.cpython-311-aarch64-linux-musl.so",
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    finding(&r, "native-module-libc-mismatch");
    assert_eq!(
        r["predicted_error"],
        "ImportError: libc.musl-aarch64.so.1: cannot open shared object file: No such file or directory"
    );
}

#[test]
fn with_both_libcs_the_python_interpreter_decides() {
    let both = || {
        arm64_glibc_base().file(
            "lib/ld-musl-aarch64.so.1",
            b"musl stand-in: only its presence is checked",
        )
    };
    let musl_module = || {
        markupsafe(
            "_speedups.cpython-311-aarch64-linux-musl.so",
            "_speedups.cpython-311-aarch64-linux-musl.so",
        )
    };
    // No interpreter to ask and nothing contradicts: nothing is said.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![both(), musl_module()],
    );
    assert_eq!(check(t.path(), "graviton")["verdict"], "pass");

    // A glibc python3.11 (Debian's hello stands in for its ELF header) never tries the musl file.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            both().file_mode("usr/local/bin/python3.11", &fixture("hello-arm64"), 0o755),
            musl_module(),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-libc-mismatch");
    assert_eq!(f["severity"], "error");
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("its interpreter /usr/local/bin/python3.11 links against glibc"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "ModuleNotFoundError: No module named 'markupsafe._speedups'"
    );

    // Modules for both libcs and no interpreter: one kind cannot load, which is unknown.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            both(),
            musl_module(),
            Layer::new().file(
                "usr/local/lib/python3.11/site-packages/other/_native.cpython-311-aarch64-linux-gnu.so",
                &fixture("libarchlens-arm64.so"),
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let w = finding(&r, "native-module-libc-mismatch");
    assert_eq!(w["severity"], "warning");
    assert!(
        w["message"].as_str().unwrap().contains("cannot tell"),
        "{w}"
    );
}

fn cpu_fixture(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/cpu/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}; run scripts/fixtures/cpu.sh"))
}

/// Runs `file` (written under a temporary path) on an emulated x86-64-v2 CPU (Nehalem).
fn run_on_nehalem(file: &[u8]) -> (String, String, i32) {
    run_under_qemu("qemu-x86_64-static", "Nehalem", file)
}

/// Runs `file` under `qemu` emulating `cpu`: its path, its stderr's last line and its exit
/// code (128 + N for signal N, as a shell reports it).
fn run_under_qemu(qemu: &str, cpu: &str, file: &[u8]) -> (String, String, i32) {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app");
    std::fs::write(&path, file).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(qemu)
        .args(["-cpu", cpu])
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("{qemu}: {e}; install it with `apt-get install qemu-user-static`")
        });
    let code = match (out.status.code(), out.status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => -1,
    };
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = stderr
        .lines()
        .rfind(|l| !l.starts_with("qemu"))
        .unwrap_or_default()
        .to_string();
    (path.display().to_string(), last, code)
}

fn one_file_image(dir: &Path, layer: Layer) {
    image(
        dir,
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![layer],
    );
}

#[test]
fn a_goamd64_v3_binary_fails_on_v2_passes_on_v3_and_is_a_warning_where_aws_does_not_say() {
    let bin = cpu_fixture("go-amd64-v3");
    let t = tempfile::tempdir().unwrap();
    one_file_image(t.path(), Layer::new().file_mode("bin/app", &bin, 0o755));
    let line =
        "This program can only be run on AMD64 processors with v3 microarchitecture support.";

    let r = check(t.path(), "linux/amd64/v2");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(codes(&r), ["cpu-level-unsupported"]);
    assert_eq!(r["predicted_error"], line);
    let f = finding(&r, "cpu-level-unsupported");
    assert!(f["fix"].as_str().unwrap().contains("GOAMD64=v1"), "{f}");
    assert!(
        f["explanation"].as_str().unwrap().contains("GOAMD64=v3"),
        "{f}"
    );
    // A plain linux/amd64 host is v1, as containerd sees it.
    assert_eq!(check(t.path(), "linux/amd64")["verdict"], "fail");
    // On a v3 (or v4) host it runs: not "built for another architecture".
    for ok in ["linux/amd64/v3", "linux/amd64/v4"] {
        let r = check(t.path(), ok);
        assert_eq!(r["verdict"], "pass", "{ok}: {r:#}");
    }
    // AWS does not document Fargate / App Runner / Lambda x86 CPUs: a warning, with the reason.
    for aws in ["fargate", "apprunner", "lambda"] {
        let r = check(t.path(), aws);
        assert_eq!(r["verdict"], "warn", "{aws}: {r:#}");
        let f = finding(&r, "cpu-level-unsupported");
        assert_eq!(f["severity"], "warning");
        // A warning predicts nothing for sure; its explanation says what a v2 host prints.
        assert!(
            f["explanation"].as_str().unwrap().contains(line),
            "{aws}: {f}"
        );
    }
    let why = finding(&check(t.path(), "fargate"), "cpu-level-unsupported")["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(why.contains("containers-roadmap#1538"), "{why}");

    // The CPU says what we predicted, word for word.
    let (_, last, code) = run_on_nehalem(&bin);
    assert_eq!((last.as_str(), code), (line, 1));
}

#[test]
fn an_isa_note_is_refused_by_glibcs_loader_and_a_static_one_dies_with_sigill() {
    let loader = || {
        Layer::new()
            .file(
                "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                b"loader stand-in",
            )
            .symlink(
                "lib64/ld-linux-x86-64.so.2",
                "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            )
            .file("lib/x86_64-linux-gnu/libc.so.6", b"libc stand-in")
    };
    let dynamic = cpu_fixture("c-avx2-v3-note");
    let t = tempfile::tempdir().unwrap();
    one_file_image(t.path(), loader().file_mode("bin/app", &dynamic, 0o755));
    let r = check(t.path(), "linux/amd64/v2");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(codes(&r), ["cpu-level-unsupported"]);
    assert_eq!(
        r["predicted_error"],
        "/bin/app: CPU ISA level is lower than required"
    );
    let f = finding(&r, "cpu-level-unsupported");
    assert!(f["fix"].as_str().unwrap().contains("-march=x86-64"), "{f}");
    assert_eq!(check(t.path(), "linux/amd64/v3")["verdict"], "pass");
    let (path, last, code) = run_on_nehalem(&dynamic);
    assert_eq!(
        last,
        format!("{path}: CPU ISA level is lower than required")
    );
    assert_eq!(code, 127);

    let fixed = cpu_fixture("c-avx2-v3-static-note");
    let t = tempfile::tempdir().unwrap();
    one_file_image(t.path(), Layer::new().file_mode("bin/app", &fixed, 0o755));
    let r = check(t.path(), "linux/amd64/v2");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "cpu-level-unsupported");
    assert!(
        r["predicted_error"].as_str().unwrap().contains("SIGILL"),
        "{r:#}"
    );
    assert_eq!(exit_code_said(f), 132);
    let (_, _, code) = run_on_nehalem(&fixed);
    assert_eq!(code, 132);
}

#[test]
fn a_goarm_7_binary_on_an_armv6_cpu_dies_with_sigill_and_the_fix_is_goarm_6() {
    let bin = cpu_fixture("go-arm-v7");
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![Layer::new().file_mode("bin/app", &bin, 0o755)],
    );
    let r = check(t.path(), "linux/arm/v6");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "entrypoint-arch-mismatch");
    assert!(f["message"].as_str().unwrap().contains("GOARM=6"), "{f}");
    assert_eq!(
        f["fix"],
        "build it with GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0"
    );
    assert_eq!(exit_code_said(f), 132);
    assert_eq!(check(t.path(), "linux/arm/v7")["verdict"], "pass");
    // An ARMv6 CPU (the Raspberry Pi 1 / Zero core) stops it at the first v7 instruction.
    let (_, _, code) = run_under_qemu("qemu-arm-static", "arm1176", &bin);
    assert_eq!(code, 132);
}

// Native-library knowledge (assets/natives.toml): a library known to have no fallback is an
// error with its own line, one known to fall back a warning, an unknown one a warning.

/// A jar holding the x86_64 `libsqlitejdbc.so` of the sqlite-demo.jar fixture (our own C
/// file, gcc-built, see tests/fixtures/detect/README.md) at `inner`: no aarch64 variant.
fn x86_64_only_jar(inner: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut demo = zip::ZipArchive::new(std::io::Cursor::new(fixture("sqlite-demo.jar"))).unwrap();
    let mut so = Vec::new();
    demo.by_name("org/sqlite/native/Linux/x86_64/libsqlitejdbc.so")
        .unwrap()
        .read_to_end(&mut so)
        .unwrap();
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zw.start_file(inner, stored).unwrap();
    zw.write_all(&so).unwrap();
    zw.finish().unwrap().into_inner()
}

fn jar_image(inner: &str) -> Value {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            Layer::new().file("app/app.jar", &x86_64_only_jar(inner)),
        ],
    );
    check(t.path(), "graviton")
}

#[test]
fn sqlite_jdbc_without_aarch64_natives_fails_with_its_own_line() {
    let r = jar_image("org/sqlite/native/Linux/x86_64/libsqlitejdbc.so");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().unwrap().contains("sqlite-jdbc"),
        "{f}"
    );
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("SQLiteJDBCLoader.java"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "org.sqlite.NativeLibraryNotFoundException: No native library found for os.name=Linux, os.arch=aarch64, paths=[/org/sqlite/native/Linux/aarch64:...]"
    );
}

#[test]
fn netty_without_aarch_64_natives_is_a_warning_that_it_falls_back_to_nio() {
    let r = jar_image("META-INF/native/libnetty_transport_native_epoll_x86_64.so");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("falls back to the NIO transport"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains("aarch_64"), "{f}");
}

#[test]
fn an_unknown_jni_library_without_aarch64_natives_may_fail() {
    let r = jar_image("native/linux-x86_64/libacme_codec.so");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("may fail"), "{f}");
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("archlens does not know this library"),
        "{f}"
    );
}

#[test]
fn markupsafe_speedups_for_another_cpu_are_a_warning_when_its_python_fallback_is_there() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "arm64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            arm64_glibc_base(),
            markupsafe(
                "_speedups.cpython-311-x86_64-linux-gnu.so",
                "_speedups.cpython-311-x86_64-linux-gnu.so",
            ),
            Layer::new().file(
                &format!("{MARKUPSAFE}/_native.py"),
                b"# markupsafe's pure-Python escape\n",
            ),
        ],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("markupsafe falls back to its pure-Python escape functions"),
        "{f}"
    );
    assert!(r["predicted_error"].is_null(), "{r:#}");
}

/// A merged-/usr Debian base: `/lib` is a symlink to `usr/lib`, as in Debian 12.
fn amd64_merged_usr_glibc(version: &str) -> Layer {
    Layer::new()
        .file_mode("bin/app", &fixture("hello-amd64"), 0o755)
        .symlink("lib", "usr/lib")
        .symlink("lib64", "usr/lib64")
        .file("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", b"loader stand-in")
        .symlink("usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        .file("usr/lib/x86_64-linux-gnu/libc.so.6", b"libc stand-in")
        .file(
            "var/lib/dpkg/status.d/libc6",
            format!("Package: libc6\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n").as_bytes(),
        )
}

#[test]
fn the_glibc_error_names_libc_as_the_loader_found_it_on_merged_usr() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_merged_usr_glibc("2.31-13+deb11u11")],
    );
    let r = check(t.path(), "apprunner");
    // Debian 12's ld.so prints the ld.so.cache name, /lib/..., not the /usr/lib file it is.
    assert_eq!(
        r["predicted_error"],
        "/bin/app: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by /bin/app)"
    );
}

#[test]
fn a_loader_deleted_by_a_later_layer_is_said_to_be_deleted_by_that_layer() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            amd64_base_with_glibc("2.36-9+deb12u14"),
            Layer::new().whiteout("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let msg = finding(&r, "interpreter-missing")["message"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("needs the loader /lib64/ld-linux-x86-64.so.2"),
        "{msg}"
    );
    assert!(msg.contains("which layer 2 of 2 (sha256:"), "{msg}");
    assert!(
        msg.contains("deleted (as /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)"),
        "{msg}"
    );
    assert!(!msg.contains("no layer of the image has"), "{msg}");
}

#[test]
fn a_loader_no_layer_ever_had_is_said_to_be_absent() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/app/server"]}),
        vec![
            Layer::new().file("lib/ld-musl-x86_64.so.1", b"musl stand-in"),
            Layer::new().file_mode("app/server", &fixture("hello-amd64"), 0o755),
        ],
    );
    let r = check(t.path(), "apprunner");
    let msg = finding(&r, "interpreter-missing")["message"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("/lib64/ld-linux-x86-64.so.2, which no layer of the image has"),
        "{msg}"
    );
    assert!(!msg.contains("deleted"), "{msg}");
}

/// Turns the layout's one image into an index of it plus a SOCI v2 index entry, as
/// `soci convert` writes it, and tags the index `t`.
fn add_soci_v2_index(dir: &Path) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut image = index["manifests"][0].clone();
    image["annotations"] = json!({});
    image["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let cfg = put_blob(dir, b"{}");
    let soci = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.amazon.soci.index.v2+json", "size": 2, "digest": cfg.to_string()},
        "layers": [],
    }))
    .unwrap();
    let soci_d = put_blob(dir, &soci);
    let top = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [image.clone(), {
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": soci.len(), "digest": soci_d.to_string(),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"com.amazon.soci.image-manifest-digest": image["digest"]},
        }],
    }))
    .unwrap();
    let top_d = put_blob(dir, &top);
    write_index(
        dir,
        json!([{"mediaType": "application/vnd.oci.image.index.v1+json", "size": top.len(), "digest": top_d.to_string(),
                "annotations": {"org.opencontainers.image.ref.name": "t"}}]),
    );
}

#[test]
fn a_soci_v2_index_entry_is_named_as_such_and_is_no_platform() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_base_with_glibc("2.36-9+deb12u14")],
    );
    add_soci_v2_index(t.path());
    let r = check(t.path(), "lambda");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "index-not-supported");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("a SOCI index that `soci convert` appended"),
        "{msg}"
    );
    assert!(!msg.contains("BuildKit"), "{msg}");
    assert!(
        f["explanation"].as_str().unwrap().contains("soci convert"),
        "{f}"
    );
    // App Runner takes the index; the SOCI entry, though it says linux/amd64, is not an image.
    assert_eq!(check(t.path(), "apprunner")["verdict"], "pass");
    let inspect = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
            .args(["inspect", &format!("oci:{}:t", t.path().display())])
            .args(["--format", format, "--no-cache"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(
        inspect("text").contains("SOCI index of sha256:"),
        "{}",
        inspect("text")
    );
    let json: Value = serde_json::from_str(&inspect("json")).unwrap();
    let entries = json["manifests"].as_array().unwrap();
    assert_eq!(entries[1]["kind"], "other", "{json:#}");
    assert_eq!(entries[1]["artifact"], "soci-index", "{json:#}");
    assert_eq!(entries[0]["artifact"], Value::Null, "{json:#}");
}

#[test]
fn a_napi_rs_package_for_another_cpu_predicts_napi_rs_own_words() {
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![
            amd64_base_with_glibc("2.36-9+deb12u14").file(
                "app/node_modules/@node-rs/crc32-linux-arm64-gnu/package.json",
                br#"{"name":"@node-rs/crc32-linux-arm64-gnu","version":"1.10.8","os":["linux"],"cpu":["arm64"],"libc":["glibc"],"main":"crc32.linux-arm64-gnu.node"}"#,
            ),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(codes(&r), ["native-module-arch-mismatch"], "{r:#}");
    // Older napi-rs loaders word it differently: the explanation says how, with the source.
    let why = finding(&r, "native-module-arch-mismatch")["explanation"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        why.contains("`Error: Failed to load native binding`") && why.contains("js-binding.ts"),
        "{why}"
    );
    // What @node-rs/crc32 1.10.8's index.js throws when no platform package loads.
    assert_eq!(
        r["predicted_error"],
        "Error: Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again after removing both package-lock.json and node_modules directory."
    );
}

/// Wraps the layout's one image in an index whose only entry declares `platform`.
fn as_index(dir: &Path, platform: Value) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut image = index["manifests"][0].clone();
    image["annotations"] = json!({});
    image["platform"] = platform;
    let top = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [image],
    }))
    .unwrap();
    let top_d = put_blob(dir, &top);
    write_index(
        dir,
        json!([{"mediaType": "application/vnd.oci.image.index.v1+json", "size": top.len(), "digest": top_d.to_string(),
                "annotations": {"org.opencontainers.image.ref.name": "t"}}]),
    );
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

#[test]
fn an_index_with_only_an_amd64_v3_entry_is_a_warning_where_aws_names_no_level() {
    let t = tempfile::tempdir().unwrap();
    let bin = cpu_fixture("go-amd64-v3");
    one_file_image(t.path(), Layer::new().file_mode("bin/app", &bin, 0o755));
    as_index(
        t.path(),
        json!({"architecture": "amd64", "os": "linux", "variant": "v3"}),
    );
    // App Runner and Fargate document no CPU level: pulled, with the reason, not "no match".
    for target in ["apprunner", "fargate"] {
        let r = check(t.path(), target);
        assert_eq!(r["verdict"], "warn", "{target}: {r:#}");
        assert_eq!(r["decision"]["if_host_level"], true, "{r:#}");
        assert_eq!(r["image"]["platform"], "linux/amd64/v3");
        let w = finding(&r, "cpu-level-unsupported");
        assert!(
            w["message"].as_str().unwrap().contains(&format!(
                "only linux/amd64/v3 (x86-64-v3); the CPUs of {target} are not documented"
            )),
            "{w:#}"
        );
        assert!(
            w["explanation"]
                .as_str()
                .unwrap()
                .contains("aws/containers-roadmap#1538"),
            "{w:#}"
        );
    }
    let text = check_text(t.path(), "apprunner");
    assert!(
        text.contains("pulls the linux/amd64/v3 entry")
            && text.contains("only on a host of x86-64-v3"),
        "{text}"
    );
    // Named levels are matched as containerd does: a v2 host refuses it, a v3 host takes it.
    let r = check(t.path(), "linux/amd64/v2");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(codes(&r), ["no-matching-platform"]);
    assert_eq!(
        r["predicted_error"],
        "no matching manifest for linux/amd64/v2 in the manifest list entries"
    );
    assert_eq!(check(t.path(), "linux/amd64/v3")["verdict"], "pass");
    // Both outcomes the warning names, by running it: a v3 CPU (Haswell) starts it, a v2
    // CPU (Nehalem) stops it with Go's line.
    let (_, _, code) = run_under_qemu("qemu-x86_64-static", "Haswell", &bin);
    assert_eq!(code, 0);
    let (_, line, code) = run_on_nehalem(&bin);
    assert_eq!(
        (line.as_str(), code),
        (
            "This program can only be run on AMD64 processors with v3 microarchitecture support.",
            1
        )
    );
}

#[test]
fn an_arm_v7_binary_on_graviton_fails_on_graviton4_which_has_no_aarch32() {
    let t = tempfile::tempdir().unwrap();
    let bin = cpu_fixture("go-arm-v7");
    image(
        t.path(),
        "arm",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![Layer::new().file_mode("bin/app", &bin, 0o755)],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let w = finding(&r, "aarch32-unsupported");
    assert!(
        w["message"].as_str().unwrap().contains(
            "fails on Graviton4 (C8g, M8g, R8g, X8g, I8g) and Graviton5 (M9g) (no AArch32)"
        ),
        "{w:#}"
    );
    assert!(
        w["explanation"]
            .as_str()
            .unwrap()
            .contains("'32bit Backward Compatibility'"),
        "{w:#}"
    );
    let text = check_text(t.path(), "graviton");
    assert!(
        text.contains("(no AArch32) with `exec /bin/app: exec format error`"),
        "{text}"
    );
    // Fargate arm64 (Graviton2/3) and a plain arm64 host run 32-bit userspace.
    assert_eq!(check(t.path(), "fargate-arm64")["verdict"], "pass");
    assert_eq!(check(t.path(), "linux/arm64")["verdict"], "pass");
    // It is real ARMv7 code: an ARMv7 CPU (Cortex-A15) runs it.
    let (_, _, code) = run_under_qemu("qemu-arm-static", "cortex-a15", &bin);
    assert_eq!(code, 0);
}

#[test]
fn targets_print_each_cpu_level_and_its_source() {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["targets"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("cpu level unknown: AWS does not document the x86 host CPUs of App Runner"),
        "{text}"
    );
    assert!(
        text.contains("cpu level v8.2: Fargate arm64 tasks land on Graviton2"),
        "{text}"
    );
    assert!(
        text.contains("no 32-bit arm (AArch32) on Graviton4"),
        "{text}"
    );
}

fn wrapper_fixture(name: &str) -> Vec<u8> {
    use std::io::Read;
    let p = format!(
        "{}/tests/fixtures/wrappers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let raw =
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}; run scripts/fixtures/wrappers.sh"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{p}: {e}"));
    out
}

/// dash as /bin/sh, Debian's amd64 tini-static and gosu, and the arm64 /app/server.
fn real_wrapper_root() -> Root {
    real_shell_root("dash")
        .file("usr/bin/tini", wrapper_fixture("tini-static-amd64.gz"), 0o755)
        .file("usr/sbin/gosu", wrapper_fixture("gosu-amd64.gz"), 0o755)
        .file("usr/bin/dumb-init", wrapper_fixture("dumb-init-amd64.gz"), 0o755)
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n".to_vec(),
            0o644,
        )
        .file("etc/group", b"root:x:0:\nnogroup:x:65534:\n".to_vec(), 0o644)
}

#[test]
fn exec_wrappers_are_followed_to_the_server_they_exec_and_print_their_own_lines() {
    let root = real_wrapper_root();
    // (ENTRYPOINT, predicted line, what the real run's last stderr line starts with and holds)
    let cases: [(Vec<&str>, &str, &str, &str); 4] = [
        // Debian's dumb-init links glibc (read from its ELF): the same retry as a script.
        (
            vec!["/usr/bin/dumb-init", "--", "/app/server"],
            "/app/server: N: Syntax error: ... (/bin/sh reads the binary as a script)",
            "/app/server: ",
            ": Syntax error: ",
        ),
        // Debian's tini-static is glibc: its execvp runs the arm64 file again as a /bin/sh
        // script, and dash, not tini, prints the error.
        (
            vec!["/usr/bin/tini", "--", "/app/server"],
            "/app/server: N: Syntax error: ... (/bin/sh reads the binary as a script)",
            "/app/server: ",
            ": Syntax error: ",
        ),
        (
            vec!["/usr/sbin/gosu", "nobody", "/app/server"],
            "error: exec failed: exec format error",
            "error: exec failed: exec format error",
            "",
        ),
        // A docker-entrypoint.sh style chain: tini, then gosu, then the server.
        (
            vec![
                "/usr/bin/tini",
                "-s",
                "--",
                "/usr/sbin/gosu",
                "nobody",
                "/app/server",
            ],
            "error: exec failed: exec format error",
            "error: exec failed: exec format error",
            "",
        ),
    ];
    for (argv, line, starts, holds) in cases {
        let t = tempfile::tempdir().unwrap();
        image(
            t.path(),
            "amd64",
            json!({"Entrypoint": argv}),
            vec![root.layer()],
        );
        let r = check(t.path(), "apprunner");
        assert_eq!(r["verdict"], "fail", "{argv:?}: {r:#}");
        let f = finding(&r, "entrypoint-arch-mismatch");
        assert_eq!(f["path"], "/app/server", "{f:#}");
        assert_eq!(r["predicted_error"], line, "{argv:?}");
        // What really happens when the runtime starts it.
        let dir = tempfile::tempdir().unwrap();
        root.write(dir.path());
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let (_, stderr, code) = run_in_chroot(dir.path(), &argv);
        let got = stderr.lines().last().unwrap_or_default();
        assert!(
            got.starts_with(starts) && got.contains(holds),
            "{argv:?}: predicted {line:?}, got {stderr:?}"
        );
        assert_eq!(code, exit_code_said(f), "{argv:?}: {stderr}");
    }
    // The wrappers themselves are amd64: on arm64 the first one is what fails.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/usr/bin/tini", "--", "/app/server"]}),
        vec![root.layer()],
    );
    let r = check(t.path(), "graviton");
    assert_eq!(
        finding(&r, "entrypoint-arch-mismatch")["path"],
        "/usr/bin/tini"
    );
    assert_eq!(
        r["predicted_error"],
        "exec /usr/bin/tini: exec format error"
    );
}

#[test]
fn a_script_ending_in_an_if_block_is_a_visible_warning_not_a_pass() {
    let t = tempfile::tempdir().unwrap();
    let script = b"#!/bin/sh\nset -e\nif [ \"$1\" = serve ]; then\n  exec /app/server\nfi\n";
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/entry.sh"], "Cmd": ["serve"]}),
        vec![
            real_shell_root("dash")
                .file("entry.sh", script.to_vec(), 0o755)
                .layer(),
        ],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    let f = finding(&r, "command-unknown");
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().contains("`fi`"), "{f:#}");
    let text = check_text(t.path(), "apprunner");
    assert!(text.contains("warning [command-unknown]"), "{text}");
}

#[test]
fn a_cpython_312_module_in_a_python_311_image_is_never_imported() {
    let site = "usr/local/lib/python3.11/site-packages/markupsafe";
    let module = "_speedups.cpython-312-x86_64-linux-gnu.so";
    let base = || {
        amd64_base_with_glibc("2.36-9+deb12u14")
            .file_mode("usr/local/bin/python3.11", &fixture("hello-amd64"), 0o755)
            .file(
                "usr/local/lib/python3.11/os.py",
                b"# the standard library's os module",
            )
            .file(&format!("{site}/__init__.py"), b"")
            .file(&format!("{site}/{module}"), &fixture(module))
    };
    // Without markupsafe's pure-Python fallback the import fails.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![base()],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-python-mismatch");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("built for CPython 3.12, but the image runs Python 3.11"),
        "{f:#}"
    );
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("its interpreter /usr/local/bin/python3.11"),
        "{f:#}"
    );
    assert_eq!(
        r["predicted_error"],
        "ModuleNotFoundError: No module named 'markupsafe._speedups'"
    );
    // With its fallback (markupsafe/_native.py) it is a warning: markupsafe catches the error.
    let t = tempfile::tempdir().unwrap();
    image(
        t.path(),
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![base().file(&format!("{site}/_native.py"), b"# pure Python")],
    );
    let r = check(t.path(), "apprunner");
    assert_eq!(r["verdict"], "warn", "{r:#}");
    assert_eq!(
        finding(&r, "native-module-python-mismatch")["severity"],
        "warning"
    );
    // A real CPython 3.11 says what was predicted.
    let py = Command::new("python3.11").arg("--version").output();
    assert!(
        py.is_ok(),
        "python3.11 is needed: apt-get install python3.11"
    );
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("markupsafe");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), b"").unwrap();
    std::fs::write(pkg.join(module), fixture(module)).unwrap();
    let out = Command::new("python3.11")
        .args(["-S", "-c"])
        .arg(format!(
            "import sys; sys.path.insert(0, {:?}); import markupsafe._speedups",
            dir.path().display().to_string()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().last(),
        Some("ModuleNotFoundError: No module named 'markupsafe._speedups'"),
        "{stderr}"
    );
}

#[test]
fn rocksdbjni_without_an_aarch64_library_fails_with_its_loaders_line() {
    let r = jar_image("librocksdbjni-linux64.so");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "native-module-arch-mismatch");
    assert!(
        f["explanation"]
            .as_str()
            .unwrap()
            .contains("NativeLibraryLoader.java"),
        "{f}"
    );
    assert_eq!(
        r["predicted_error"],
        "java.lang.RuntimeException: librocksdbjni-linux-aarch64.so was not found inside JAR."
    );
}
