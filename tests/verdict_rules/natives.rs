//! Native-library knowledge (assets/natives.toml), loaders deleted or absent, SOCI index entries
//! and napi-rs packages: each with the line the library or loader really prints.

use super::*;

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
pub(super) fn add_soci_v2_index(dir: &Path) {
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
