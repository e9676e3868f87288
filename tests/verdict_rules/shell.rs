//! Shell-form commands and exec wrappers: what `sh -c`, `exec "$@"` scripts, tini, dumb-init,
//! gosu and su-exec really start, confirmed by running real shells and wrappers in a chroot.

use super::*;

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
