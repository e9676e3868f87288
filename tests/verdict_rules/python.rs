//! Python extension modules as CPython's finder sees them: suffixes, tags, C libraries and
//! interpreter versions, with the lines a real CPython 3.11 prints.

use super::*;

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
