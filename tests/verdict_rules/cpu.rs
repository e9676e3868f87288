//! CPU levels and variants: GOAMD64, x86 ISA notes, GOARM, index entries asking for a level, and
//! hosts without AArch32, confirmed under qemu-user with the named CPU models.

use super::*;

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
