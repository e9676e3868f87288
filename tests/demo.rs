//! The bundled demo images (assets/demo, see its README) give the verdicts their README
//! promises, through the real binary and its JSON contract.

use std::process::Command;

use serde_json::Value;

fn archlens(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .arg("--no-cache")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run archlens");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn check(r: &str) -> (i32, Value) {
    let (code, json, stderr) =
        archlens(&["check", &format!("oci:assets/demo:{r}"), "--format", "json"]);
    assert_eq!(json["schema"], "archlens.check/v1", "{stderr}");
    (code, json)
}

fn result<'a>(json: &'a Value, target: &str) -> &'a Value {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == target)
        .unwrap_or_else(|| panic!("no result for {target}"))
}

fn verdicts(json: &Value) -> Vec<(String, String)> {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn codes(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {r:#}"))
}

fn expect(json: &Value, want: &[(&str, &str)]) {
    let got = verdicts(json);
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{json:#}");
}

#[test]
fn good_multiarch_index_passes_everywhere_but_lambda() {
    let (code, json) = check("good");
    expect(
        &json,
        &[
            ("apprunner", "pass"),
            ("fargate", "pass"),
            ("fargate-arm64", "pass"),
            ("lambda", "fail"),
            ("lambda-arm64", "fail"),
            ("graviton", "pass"),
        ],
    );
    assert_eq!(code, 1);
    let lambda = result(&json, "lambda");
    assert_eq!(codes(lambda), ["index-not-supported"]);
    assert!(
        lambda["predicted_error"]
            .as_str()
            .unwrap()
            .contains("media type for the source image oci:assets/demo:good is not supported")
    );
    assert!(
        finding(lambda, "index-not-supported")["fix"]
            .as_str()
            .unwrap()
            .contains("--platform linux/amd64 --provenance=false --sbom=false")
    );
    // Two platform images: the attestations are not what made it an index.
    let msg = finding(lambda, "index-not-supported")["message"]
        .as_str()
        .unwrap();
    assert!(!msg.contains("only because"), "{msg}");
    // App Runner runs the amd64 entry; graviton the arm64 one.
    assert_eq!(
        result(&json, "apprunner")["image"]["platform"],
        "linux/amd64"
    );
    assert_eq!(
        result(&json, "graviton")["image"]["platform"],
        "linux/arm64"
    );
}

#[test]
fn mac_built_arm64_image_fails_on_app_runner_with_exec_format_error() {
    let (code, json) = check("mac-arm64");
    expect(
        &json,
        &[
            ("apprunner", "fail"),
            ("fargate", "fail"),
            ("fargate-arm64", "pass"),
            ("lambda", "fail"),
            ("lambda-arm64", "pass"),
            ("graviton", "pass"),
        ],
    );
    assert_eq!(code, 1);
    let ar = result(&json, "apprunner");
    assert_eq!(
        ar["predicted_error"],
        "exec /usr/local/bin/docker-entrypoint.sh: exec format error"
    );
    let f = finding(ar, "entrypoint-arch-mismatch");
    assert_eq!(f["severity"], "error");
    // The script runs /bin/sh, a link to busybox: the file that breaks it is busybox.
    assert_eq!(f["path"], "/bin/busybox");
    assert!(f["layer"].as_str().unwrap().starts_with("sha256:"));
    assert!(f["message"].as_str().unwrap().contains("arm64"), "{f}");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("docker buildx build --platform linux/amd64")
    );
    let lambda = result(&json, "lambda");
    assert!(
        lambda["predicted_error"]
            .as_str()
            .unwrap()
            .starts_with("Runtime.InvalidEntrypoint")
    );
}

#[test]
fn mislabeled_arm64_entry_holding_amd64_binaries_is_caught() {
    let (_, json) = check("mislabeled");
    expect(
        &json,
        &[
            ("apprunner", "pass"),
            ("fargate", "pass"),
            ("fargate-arm64", "fail"),
            ("lambda", "fail"),
            ("lambda-arm64", "fail"),
            ("graviton", "fail"),
        ],
    );
    let g = result(&json, "graviton");
    assert_eq!(g["image"]["platform"], "linux/arm64");
    assert_eq!(
        g["predicted_error"],
        "exec /usr/local/bin/server: exec format error"
    );
    let f = finding(g, "entrypoint-arch-mismatch");
    assert_eq!(f["path"], "/usr/local/bin/server");
    let m = finding(g, "mislabeled-platform");
    assert!(m["message"].as_str().unwrap().contains("amd64"), "{m}");
}

#[test]
fn aarch64_wheel_in_an_amd64_image_is_a_native_module_mismatch() {
    let (_, json) = check("python-wheel");
    let ar = result(&json, "apprunner");
    assert_eq!(ar["verdict"], "fail");
    let f = finding(ar, "native-module-arch-mismatch");
    assert!(
        f["path"]
            .as_str()
            .unwrap()
            .ends_with("aarch64-linux-gnu.so"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains("pip"));
    // On arm64 the amd64 entrypoint fails first.
    assert_eq!(result(&json, "graviton")["verdict"], "fail");
    assert!(codes(result(&json, "graviton")).contains(&"entrypoint-arch-mismatch".to_string()));
}

#[test]
fn node_modules_installed_on_arm64_break_an_amd64_image() {
    let (_, json) = check("node-addon");
    let ar = result(&json, "apprunner");
    assert_eq!(ar["verdict"], "fail");
    let f = finding(ar, "native-module-arch-mismatch");
    assert!(
        f["path"]
            .as_str()
            .unwrap()
            .contains("crc32-linux-arm64-gnu"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains("npm ci"));
}

#[test]
fn glibc_binary_in_a_musl_image_has_no_interpreter() {
    let (_, json) = check("musl-glibc");
    let ar = result(&json, "apprunner");
    assert_eq!(ar["verdict"], "fail");
    assert_eq!(
        ar["predicted_error"],
        "exec /app/server: no such file or directory"
    );
    let f = finding(ar, "interpreter-missing");
    assert_eq!(f["path"], "/app/server");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(
        result(&json, "graviton")["predicted_error"],
        "exec /app/server: exec format error"
    );
}

#[test]
fn single_platform_amd64_image_passes_lambda() {
    let (code, json) = check("lambda-ok");
    expect(
        &json,
        &[
            ("apprunner", "pass"),
            ("fargate", "pass"),
            ("fargate-arm64", "fail"),
            ("lambda", "pass"),
            ("lambda-arm64", "fail"),
            ("graviton", "fail"),
        ],
    );
    assert_eq!(code, 1);
    let (code, json) = {
        let (c, j, _) = archlens(&[
            "check",
            "oci:assets/demo:lambda-ok",
            "--target",
            "lambda",
            "--target",
            "apprunner",
            "--format",
            "json",
        ]);
        (c, j)
    };
    assert_eq!(code, 0, "{json:#}");
}

#[test]
fn raw_platform_targets_work() {
    let (_, json, _) = archlens(&[
        "check",
        "oci:assets/demo:good",
        "--target",
        "linux/arm/v7",
        "--target",
        "linux/arm64/v8",
        "--format",
        "json",
    ]);
    let v7 = result(&json, "linux/arm/v7");
    assert_eq!(v7["verdict"], "fail");
    assert_eq!(
        v7["predicted_error"],
        "no matching manifest for linux/arm/v7 in the manifest list entries"
    );
    assert_eq!(result(&json, "linux/arm64/v8")["verdict"], "pass");
}

#[test]
fn inspect_lists_attestations_as_attestations_and_artifacts_with_arch() {
    let (code, json, _) = archlens(&["inspect", "oci:assets/demo:good", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(json["schema"], "archlens.inspect/v1");
    let manifests = json["manifests"].as_array().unwrap();
    let att: Vec<_> = manifests
        .iter()
        .filter(|m| m["kind"] == "attestation")
        .collect();
    assert_eq!(att.len(), 2);
    for a in &att {
        let subject = a["subject"].as_str().unwrap();
        assert!(
            manifests
                .iter()
                .any(|m| m["kind"] == "image" && m["digest"] == subject)
        );
    }
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "attestations are not analysed as images");
    for img in images {
        let plat = img["platform"].as_str().unwrap();
        let arch = plat.trim_start_matches("linux/");
        let server = img["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["path"] == "/usr/local/bin/server")
            .unwrap_or_else(|| panic!("no server artefact in {plat}"));
        assert_eq!(server["arch"], arch);
        assert_eq!(server["libc"], "glibc");
        assert!(server["layer"].as_str().unwrap().starts_with("sha256:"));
    }
}

#[test]
fn text_output_names_the_file_and_the_fix() {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "check",
            "oci:assets/demo:mac-arm64",
            "--target",
            "apprunner",
            "--no-cache",
        ])
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text.contains('\x1b'), "colour despite NO_COLOR / a pipe");
    assert!(text.contains("apprunner"));
    assert!(text.contains("FAIL"));
    assert!(text.contains("exec /usr/local/bin/docker-entrypoint.sh: exec format error"));
    assert!(text.contains("/bin/busybox"));
    assert!(text.contains("fix:"));
}

#[test]
fn unknown_target_and_missing_image_exit_2_with_advice() {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", "oci:assets/demo:good", "--target", "raspberry"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown target") && err.contains("archlens targets"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", "oci:assets/demo:nope", "--no-cache"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope"), "{err}");
}

fn text_of(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .arg("--no-cache")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run archlens");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn piped_inspect_keeps_whole_layer_commands_and_names_artefacts_in_words() {
    let (code, text, err) = text_of(&["inspect", "oci:assets/demo:node-addon"]);
    assert_eq!(code, Some(0), "{err}");
    let (_, json, _) = archlens(&["inspect", "oci:assets/demo:node-addon", "--format", "json"]);
    let longest = json["images"][0]["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["created_by"].as_str())
        .max_by_key(|c| c.chars().count())
        .expect("a layer with history")
        .to_string();
    assert!(
        longest.chars().count() > 60,
        "no long command to test: {longest}"
    );
    assert!(
        text.contains(&longest),
        "created_by cut when piped:\n{text}"
    );
    assert!(
        text.contains("Node.js native addon"),
        "kinds not in words:\n{text}"
    );
    assert!(!text.contains(" node-addon "), "{text}");
}

#[test]
fn a_raw_target_is_named_once_in_check_text() {
    let (code, text, _) = text_of(&["check", "oci:assets/demo:good", "--target", "linux/s390x"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL linux/s390x"), "{text}");
    assert!(!text.contains("linux/s390x on linux/s390x"), "{text}");
}

#[test]
fn ls_on_a_local_layout_points_to_inspect_and_open() {
    let (code, _, err) = text_of(&["ls", "oci:assets/demo"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("archlens inspect oci:assets/demo") && err.contains("archlens open"),
        "{err}"
    );
}

#[test]
fn check_refuses_an_unknown_platform_with_the_closest_ones() {
    let (code, _, err) = text_of(&["check", "oci:assets/demo:good", "--target", "linux/arm46"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("unknown platform") && err.contains("linux/arm64"),
        "{err}"
    );
}
