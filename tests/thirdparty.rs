//! Verdicts on real third-party images (Debian packages, PyPI wheels, npm packages) built by
//! `scripts/fixtures/images.sh`, through the real binary and its JSON contract.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The stamp images.sh writes: sha256 of the scripts that build the images, so images
/// built by an older recipe are rebuilt rather than tested.
fn recipe_hash() -> String {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for f in [
        "scripts/fixtures/images.sh",
        "scripts/ocibuild.py",
        "scripts/fixtures/apt-download.sh",
    ] {
        let p = PathBuf::from(ROOT).join(f);
        h.update(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    }
    hex::encode(h.finalize())
}

/// The images directory, built once per test run when it is missing or stale. A failed
/// build fails every test with the script's output: these tests never skip.
fn images() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let r = BUILT.get_or_init(|| {
        let dir = PathBuf::from(ROOT).join("target/fixtures/images");
        let stamp = std::fs::read_to_string(dir.join(".stamp")).unwrap_or_default();
        if stamp.trim() == recipe_hash() {
            return Ok(dir);
        }
        let out = Command::new("bash")
            .arg(PathBuf::from(ROOT).join("scripts/fixtures/images.sh"))
            .current_dir(ROOT)
            .output()
            .map_err(|e| format!("cannot run bash scripts/fixtures/images.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/fixtures/images.sh failed ({}); it needs apt-get, dpkg-deb, pip, npm, python3, zstd and skopeo, and network access to Debian, PyPI and npm. Output:\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(dir)
    });
    match r {
        Ok(d) => d.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn image(name: &str) -> String {
    let p = images().join(name);
    assert!(p.exists(), "{} missing after images.sh", p.display());
    p.display().to_string()
}

fn archlens(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .arg("--no-cache")
        .current_dir(ROOT)
        .output()
        .expect("run archlens");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "archlens {args:?}: not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn check(reference: &str, targets: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", reference, "--format", "json"];
    for t in targets {
        args.extend(["--target", t]);
    }
    let (code, json) = archlens(&args);
    assert_eq!(json["schema"], "archlens.check/v1", "{json:#}");
    (code, json)
}

fn inspect(reference: &str) -> Value {
    let (code, json) = archlens(&["inspect", reference, "--format", "json"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["schema"], "archlens.inspect/v1");
    json
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v:#}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn result<'a>(json: &'a Value, target: &str) -> &'a Value {
    arr(&json["results"])
        .iter()
        .find(|r| r["target"] == target)
        .unwrap_or_else(|| panic!("no result for {target} in {json:#}"))
}

fn findings<'a>(r: &'a Value, code: &str) -> Vec<&'a Value> {
    arr(&r["findings"])
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn artifact<'a>(img: &'a Value, path: &str) -> &'a Value {
    arr(&img["artifacts"])
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("no artefact {path} in {}", img["platform"]))
}

/// What a user compares between two forms of one image: per target the verdict, the
/// platform run, the predicted error and each finding's code, severity and path.
fn verdict_view(json: &Value) -> Vec<Value> {
    let reference = s(&json["image"]);
    arr(&json["results"])
        .iter()
        .map(|r| {
            let fs: Vec<Value> = arr(&r["findings"])
                .iter()
                .map(|f| {
                    serde_json::json!([f["code"], f["severity"], f["path"], f["message"], f["fix"]])
                })
                .collect();
            serde_json::json!({
                "target": r["target"],
                "verdict": r["verdict"],
                "platform": r["image"]["platform"],
                "predicted_error": r["predicted_error"].as_str().map(|e| e.replace(reference, "REF")),
                "findings": fs,
            })
        })
        .collect()
}

const DEBIAN: [(&str, &str, u64, bool); 5] = [
    // platform, dpkg architecture, ELF e_machine, big-endian
    ("linux/amd64", "amd64", 62, false),
    ("linux/arm64", "arm64", 183, false),
    ("linux/arm/v7", "armhf", 40, false),
    ("linux/s390x", "s390x", 22, true),
    ("linux/ppc64le", "ppc64el", 21, false),
];

#[test]
fn debian_multi_picks_each_platforms_entry_and_passes_it() {
    let r = format!("oci:{}:latest", image("debian-multi"));
    let ins = inspect(&r);
    let targets: Vec<&str> = DEBIAN.iter().map(|d| d.0).collect();
    let (code, json) = check(&r, &targets);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        json["media_type"],
        "application/vnd.oci.image.index.v1+json"
    );
    for (platform, _, _, _) in DEBIAN {
        let res = result(&json, platform);
        assert_eq!(res["verdict"], "pass", "{res:#}");
        assert_eq!(res["image"]["platform"], platform);
        assert!(arr(&res["findings"]).is_empty(), "{res:#}");
        // The entry picked is the index's manifest for exactly that platform.
        let want = arr(&ins["manifests"])
            .iter()
            .find(|m| m["kind"] == "image" && m["platform"] == platform)
            .unwrap_or_else(|| panic!("no {platform} manifest in {ins:#}"));
        assert_eq!(res["image"]["digest"], want["digest"]);
    }
    // The built-in profiles: App Runner runs the amd64 entry, Graviton the arm64 one, and
    // Lambda refuses any index.
    let (_, json) = check(&r, &["apprunner", "graviton", "lambda"]);
    assert_eq!(
        result(&json, "apprunner")["image"]["platform"],
        "linux/amd64"
    );
    assert_eq!(result(&json, "apprunner")["verdict"], "pass");
    assert_eq!(
        result(&json, "graviton")["image"]["platform"],
        "linux/arm64"
    );
    assert_eq!(result(&json, "graviton")["verdict"], "pass");
    let lambda = result(&json, "lambda");
    assert_eq!(lambda["verdict"], "fail");
    assert_eq!(
        findings(lambda, "index-not-supported").len(),
        1,
        "{lambda:#}"
    );
}

#[test]
fn debian_multi_artifacts_match_their_platform() {
    let ins = inspect(&format!("oci:{}:latest", image("debian-multi")));
    let manifests = arr(&ins["manifests"]);
    let images: Vec<&Value> = arr(&ins["images"]).iter().collect();
    assert_eq!(images.len(), 5, "attestations are not images");
    // BuildKit-style attestations are grouped under their subject, one per platform.
    let att: Vec<&Value> = manifests
        .iter()
        .filter(|m| m["kind"] == "attestation")
        .collect();
    assert_eq!(att.len(), 5);
    for a in &att {
        assert!(images.iter().any(|i| i["digest"] == a["subject"]), "{a}");
    }
    for (platform, dpkg_arch, machine, big_endian) in DEBIAN {
        let img = images
            .iter()
            .find(|i| i["platform"] == platform)
            .unwrap_or_else(|| panic!("no {platform} image"));
        assert!(img["error"].is_null(), "{img:#}");
        assert_eq!(img["config_platform"], platform);
        let arch = platform.trim_start_matches("linux/");
        let arts = arr(&img["artifacts"]);
        assert!(
            arts.len() > 100,
            "{platform}: only {} artefacts",
            arts.len()
        );
        for a in arts {
            if !a["arch"].is_null() {
                assert_eq!(a["arch"], arch, "{platform}: {a}");
            }
            assert!(s(&a["layer"]).starts_with("sha256:"), "{a}");
        }
        let hello = artifact(img, "/usr/bin/hello");
        assert_eq!(hello["kind"], "elf");
        assert_eq!(hello["libc"], "glibc");
        assert_eq!(hello["details"]["machine"], machine, "{platform}");
        assert_eq!(hello["details"]["big_endian"], big_endian, "{platform}");
        // PT_INTERP names that architecture's glibc loader, and libc6 ships it.
        let interp = s(&hello["interpreter"]);
        let loader = interp.rsplit('/').next().unwrap_or(interp);
        assert!(loader.starts_with("ld"), "{platform}: {interp}");
        let shipped = arts
            .iter()
            .find(|a| {
                a["kind"] == "elf"
                    && s(&a["path"]).ends_with(&format!("/{loader}"))
                    && a["details"]["elf_type"] == "shared-object"
            })
            .unwrap_or_else(|| panic!("{platform}: loader {interp} not in the image"));
        assert_eq!(shipped["arch"], arch);
        let busybox = artifact(img, "/bin/busybox");
        assert_eq!(busybox["details"]["is_static"], true);
        assert_eq!(busybox["arch"], arch);
        let dpkg = artifact(img, "/var/lib/dpkg/status");
        assert_eq!(dpkg["kind"], "package-db");
        assert_eq!(dpkg["arch"], arch);
        assert_eq!(dpkg["details"]["manager"], "dpkg");
        assert_eq!(dpkg["details"]["packages"], 3);
        assert_eq!(
            dpkg["details"]["architectures"],
            serde_json::json!([[dpkg_arch, 3]]),
            "{platform}"
        );
    }
}

const MSGPACK_SO: &str =
    "/usr/local/lib/python3.11/site-packages/msgpack/_cmsgpack.cpython-311-aarch64-linux-musl.so";
const MARKUPSAFE_SO: &str =
    "/usr/local/lib/python3.11/site-packages/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so";

fn assert_python_verdicts(json: &Value) {
    for t in ["apprunner", "fargate", "lambda"] {
        let r = result(json, t);
        assert_eq!(r["verdict"], "fail");
        let native = findings(r, "native-module-arch-mismatch");
        assert_eq!(native.len(), 1, "{t}: only msgpack is wrong: {r:#}");
        let f = native[0];
        assert_eq!(f["severity"], "error");
        assert_eq!(f["path"], MSGPACK_SO);
        assert!(s(&f["message"]).contains("msgpack"), "{f}");
        assert!(s(&f["layer"]).starts_with("sha256:"));
        assert!(s(&f["fix"]).contains("pip"), "{f}");
        assert!(s(&f["fix"]).contains("x86_64"), "{f}");
        // markupsafe's x86_64 wheel matches an amd64 target.
        assert!(
            !arr(&r["findings"])
                .iter()
                .any(|f| s(&f["message"]).contains("markupsafe")),
            "{t}: {r:#}"
        );
    }
    // On arm64 it is the other way round: markupsafe's x86_64 module cannot load.
    for t in ["graviton", "fargate-arm64"] {
        let r = result(json, t);
        assert_eq!(r["verdict"], "fail");
        let native = findings(r, "native-module-arch-mismatch");
        assert!(
            native.iter().any(|f| f["path"] == MARKUPSAFE_SO),
            "{t}: {r:#}"
        );
    }
}

#[test]
fn python_wheels_musllinux_aarch64_fails_and_manylinux_x86_64_matches() {
    let r = format!("oci:{}:latest", image("python"));
    let (code, json) = check(&r, &[]);
    assert_eq!(code, 1);
    assert_python_verdicts(&json);

    let ins = inspect(&r);
    let img = &arr(&ins["images"])[0];
    let msgpack = artifact(img, MSGPACK_SO);
    assert_eq!(msgpack["kind"], "python-extension");
    assert_eq!(msgpack["arch"], "arm64");
    assert_eq!(msgpack["libc"], "musl");
    let wheel = artifact(
        img,
        "/usr/local/lib/python3.11/site-packages/msgpack-1.0.8.dist-info/WHEEL",
    );
    assert_eq!(
        wheel["details"]["tags"],
        serde_json::json!(["cp311-cp311-musllinux_1_1_aarch64"])
    );
    let markupsafe = artifact(img, MARKUPSAFE_SO);
    assert_eq!(markupsafe["arch"], "amd64");
    assert_eq!(markupsafe["libc"], "glibc");
}

#[test]
fn python_zstd_layers_give_the_same_verdicts() {
    let (_, gz) = check(&format!("oci:{}:latest", image("python")), &[]);
    let (_, zst) = check(&format!("oci:{}:latest", image("python-zstd")), &[]);
    assert_python_verdicts(&zst);
    assert_eq!(verdict_view(&gz), verdict_view(&zst));
    let ins = inspect(&format!("oci:{}:latest", image("python-zstd")));
    for l in arr(&arr(&ins["images"])[0]["layers"]) {
        assert_eq!(
            l["media_type"],
            "application/vnd.oci.image.layer.v1.tar+zstd"
        );
        assert!(arr(&l["warnings"]).is_empty(), "{l}");
    }
}

const CRC32_PKG: &str = "/app/node_modules/@node-rs/crc32-linux-arm64-gnu/package.json";

fn assert_node_verdicts(json: &Value) {
    for t in ["apprunner", "fargate", "lambda"] {
        let r = result(json, t);
        assert_eq!(r["verdict"], "fail", "{t}");
        let native = findings(r, "native-module-arch-mismatch");
        // Only crc32's arm64 binding; bufferutil's linux-x64 prebuild is the one node loads.
        assert_eq!(native.len(), 1, "{t}: {r:#}");
        let f = native[0];
        assert_eq!(f["severity"], "error");
        assert_eq!(f["path"], CRC32_PKG);
        assert!(s(&f["message"]).contains("arm64"), "{f}");
        assert!(s(&f["fix"]).contains("npm ci"), "{f}");
    }
}

#[test]
fn node_arm64_binding_fails_amd64_and_foreign_prebuilds_are_alternatives() {
    let r = format!("oci:{}:latest", image("node"));
    let (code, json) = check(&r, &[]);
    assert_eq!(code, 1);
    assert_node_verdicts(&json);

    let ins = inspect(&r);
    let img = &arr(&ins["images"])[0];
    let pb = "/app/node_modules/bufferutil/prebuilds";
    let linux = artifact(img, &format!("{pb}/linux-x64/bufferutil.node"));
    assert_eq!(
        (&linux["kind"], &linux["arch"]),
        (&"node-addon".into(), &"amd64".into())
    );
    assert_eq!(linux["libc"], "glibc");
    assert_eq!(
        artifact(img, &format!("{pb}/darwin-arm64/bufferutil.node"))["details"]["type"],
        "mach-o"
    );
    assert_eq!(
        artifact(img, &format!("{pb}/win32-x64/bufferutil.node"))["details"]["type"],
        "pe"
    );
    let pkg = artifact(img, CRC32_PKG);
    assert_eq!(pkg["details"]["cpu"], serde_json::json!(["arm64"]));
    assert_eq!(pkg["details"]["libc"], serde_json::json!(["glibc"]));
}

/// darwin-* and win32-* prebuilds are alternatives node-gyp-build never picks on Linux;
/// naming a Mach-O file as what breaks an arm64 deployment sends the user the wrong way
/// (bufferutil has no linux-arm64 prebuild and falls back to JavaScript).
#[test]
fn node_macos_and_windows_prebuilds_never_fail_any_target() {
    let (_, json) = check(&format!("oci:{}:latest", image("node")), &[]);
    for r in arr(&json["results"]) {
        for f in arr(&r["findings"]) {
            let p = f["path"].as_str().unwrap_or("");
            assert!(
                !p.contains("/prebuilds/darwin-") && !p.contains("/prebuilds/win32-"),
                "{}: a Mach-O/PE prebuild is blamed: {f:#}",
                r["target"]
            );
        }
    }
}

/// A bare command name is searched on PATH, never in the working directory: the finding
/// must not name `/app/node`, a path nobody looked at.
#[test]
fn entrypoint_not_on_path_names_no_workdir_path() {
    let (_, json) = check(&format!("oci:{}:latest", image("node")), &["apprunner"]);
    let r = result(&json, "apprunner");
    assert_eq!(
        r["predicted_error"],
        "exec: \"node\": executable file not found in $PATH"
    );
    let f = findings(r, "entrypoint-not-found");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_ne!(f[0]["path"], "/app/node", "{:#}", f[0]);
}

#[test]
fn node_docker_and_oci_archives_give_the_same_verdicts() {
    let (_, oci) = check(&format!("oci:{}:latest", image("node")), &[]);
    let want = verdict_view(&oci);
    for r in [
        format!("docker-archive:{}", image("node-docker.tar")),
        format!("oci-archive:{}:latest", image("node-oci.tar")),
    ] {
        let (code, json) = check(&r, &[]);
        assert_eq!(code, 1, "{r}");
        assert_node_verdicts(&json);
        assert_eq!(verdict_view(&json), want, "{r}");
    }
}

#[test]
fn java_jni_netty_aarch64_only_warns_and_sqlite_with_both_arches_is_fine() {
    let r = format!("oci:{}:latest", image("java"));
    let (_, json) = check(&r, &[]);
    let netty_so = "META-INF/native/libnetty_tcnative_linux_aarch_64.so";
    for t in ["apprunner", "fargate", "lambda"] {
        let res = result(&json, t);
        let native = findings(res, "native-module-arch-mismatch");
        assert!(
            native.iter().all(|f| !s(&f["path"]).contains("sqlite")),
            "sqlite-jdbc ships x86_64 and aarch64: {res:#}"
        );
        let mut paths: Vec<&str> = native.iter().map(|f| s(&f["path"])).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                format!("/app/app.jar!/BOOT-INF/lib/netty-tcnative.jar!/{netty_so}"),
                format!("/app/lib/netty-tcnative.jar!/{netty_so}"),
            ],
            "{t}: {res:#}"
        );
        for f in native {
            assert_eq!(f["severity"], "warning", "netty can fall back to Java: {f}");
            assert!(s(&f["fix"]).contains("x86_64"), "{f}");
        }
    }
    // On arm64 netty's aarch_64 library is the right one, and sqlite has it too.
    for t in ["graviton", "fargate-arm64"] {
        let res = result(&json, t);
        assert!(
            findings(res, "native-module-arch-mismatch").is_empty(),
            "{res:#}"
        );
    }

    let ins = inspect(&r);
    let img = &arr(&ins["images"])[0];
    let lib = artifact(img, &format!("/app/lib/netty-tcnative.jar!/{netty_so}"));
    assert_eq!(lib["kind"], "jni-library");
    assert_eq!(lib["arch"], "arm64");
    assert_eq!(lib["container"], "/app/lib/netty-tcnative.jar");
    // The fat jar is opened recursively: BOOT-INF/lib jars and the libraries inside them.
    let inner = "/app/app.jar!/BOOT-INF/lib/sqlite-jdbc.jar";
    assert_eq!(artifact(img, inner)["container"], "/app/app.jar");
    for (dir, arch) in [("x86_64", "amd64"), ("aarch64", "arm64")] {
        let so = artifact(
            img,
            &format!("{inner}!/org/sqlite/native/Linux/{dir}/libsqlitejdbc.so"),
        );
        assert_eq!(so["arch"], arch);
        assert_eq!(so["container"], inner);
        assert_eq!(so["kind"], "jni-library");
    }
}

#[test]
fn debian_multi_normalises_targets_and_names_missing_platforms() {
    let r = format!("oci:{}:latest", image("debian-multi"));
    let (code, json) = check(
        &r,
        &[
            "linux/arm64/v8",
            "linux/arm",
            "linux/arm/v6",
            "linux/riscv64",
        ],
    );
    assert_eq!(code, 1);
    // containerd: arm64/v8 is arm64, a bare arm is arm/v7.
    assert_eq!(
        result(&json, "linux/arm64/v8")["image"]["platform"],
        "linux/arm64"
    );
    assert_eq!(result(&json, "linux/arm64/v8")["verdict"], "pass");
    assert_eq!(
        result(&json, "linux/arm")["image"]["platform"],
        "linux/arm/v7"
    );
    assert_eq!(result(&json, "linux/arm")["verdict"], "pass");
    // Debian armhf is ARMv7: an ARMv6 host has no entry to fall back to.
    for t in ["linux/arm/v6", "linux/riscv64"] {
        let res = result(&json, t);
        assert_eq!(res["verdict"], "fail");
        assert!(res["image"].is_null(), "{res:#}");
        assert_eq!(
            res["predicted_error"],
            format!("no matching manifest for {t} in the manifest list entries")
        );
        let f = findings(res, "no-matching-platform");
        assert_eq!(f.len(), 1, "{res:#}");
        assert!(s(&f[0]["message"]).contains("linux/s390x"), "{}", f[0]);
    }
}

const ORJSON_SO: &str =
    "/usr/local/lib/python3.11/dist-packages/orjson/orjson.cpython-311-x86_64-linux-musl.so";
const UJSON_SO: &str =
    "/usr/local/lib/python3.11/dist-packages/ujson.cpython-311-aarch64-linux-gnu.so";

/// Runs the image's own Debian python3.11 with the image's own glibc loader on the trees
/// images.sh extracted (the app layer's dist-packages on PYTHONPATH, as its site.py would
/// add it); returns the last line it prints.
fn image_python(code: &str) -> String {
    let work = PathBuf::from(ROOT).join("target/fixtures/cache/work");
    let base = work.join("python-debian");
    let out = Command::new(base.join("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"))
        .arg("--library-path")
        .arg(format!(
            "{}:{}",
            base.join("lib/x86_64-linux-gnu").display(),
            base.join("usr/lib/x86_64-linux-gnu").display()
        ))
        .arg(base.join("usr/bin/python3.11"))
        .args(["-c", code])
        .env_clear()
        .env("PYTHONHOME", base.join("usr"))
        .env(
            "PYTHONPATH",
            work.join("python-musl-app/usr/local/lib/python3.11/dist-packages"),
        )
        .output()
        .expect("run the image's python3.11");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().last().unwrap_or_default().to_string()
}

#[test]
fn a_musllinux_wheel_in_a_debian_python_is_never_imported() {
    let r = format!("oci:{}:latest", image("python-musl-wheel"));
    let (code, json) = check(&r, &["apprunner"]);
    assert_eq!(code, 1);
    let res = result(&json, "apprunner");
    assert_eq!(res["verdict"], "fail");
    // orjson 3.10.7's .so links a bare libc.so: the file name is what says musl.
    let libc = findings(res, "native-module-libc-mismatch");
    assert_eq!(libc.len(), 1, "{res:#}");
    assert_eq!(libc[0]["path"], ORJSON_SO);
    assert_eq!(libc[0]["severity"], "error");
    assert!(
        s(&libc[0]["explanation"])
            .contains("its interpreter /usr/bin/python3.11 links against glibc"),
        "{}",
        libc[0]
    );
    assert!(
        s(&libc[0]["fix"]).contains("--platform manylinux2014_x86_64 --python-version 3.11"),
        "{}",
        libc[0]
    );
    let arch = findings(res, "native-module-arch-mismatch");
    assert_eq!(arch.len(), 1, "{res:#}");
    assert_eq!(arch[0]["path"], UJSON_SO);
    assert_eq!(
        res["predicted_error"],
        "ModuleNotFoundError: No module named 'orjson.orjson'"
    );

    // Truth: the image's python3.11 lists only gnu suffixes and fails as predicted.
    if cfg!(target_arch = "x86_64") {
        assert_eq!(
            image_python("import importlib.machinery as m; print(m.EXTENSION_SUFFIXES)"),
            "['.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so']"
        );
        assert_eq!(
            image_python("import orjson, ujson"),
            s(&res["predicted_error"])
        );
        assert_eq!(
            image_python("import ujson"),
            "ModuleNotFoundError: No module named 'ujson'"
        );
    }
}

/// Real packages the natives table knows to fall back: markupsafe 3.0.3's x86_64 wheel (its
/// `_native.py` is in the wheel) and bufferutil 4.1.0 (no linux-arm64 prebuild) on arm64
/// are warnings that say what they fall back to, never the reason a target fails.
#[test]
fn known_fallback_packages_are_warnings_on_real_wheels_and_prebuilds() {
    let (_, python) = check(&format!("oci:{}:latest", image("python")), &["graviton"]);
    let (_, node) = check(&format!("oci:{}:latest", image("node")), &["graviton"]);
    for (json, package, to) in [
        (
            &python,
            "markupsafe",
            "markupsafe falls back to its pure-Python escape functions",
        ),
        (
            &node,
            "bufferutil",
            "bufferutil falls back to its JavaScript implementation",
        ),
    ] {
        let r = result(json, "graviton");
        let f = findings(r, "native-module-arch-mismatch");
        let f = f
            .iter()
            .find(|f| s(&f["path"]).contains(&format!("/{package}/")))
            .unwrap_or_else(|| panic!("no {package} finding: {r:#}"));
        assert_eq!(f["severity"], "warning", "{f}");
        assert!(s(&f["message"]).contains(to), "{f}");
    }
}
