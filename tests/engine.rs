//! `docker-daemon:` and `podman:` against the real engines: Debian's dockerd and
//! `podman system service`, each on a private socket in a temp dir, started once for this test
//! binary and stopped by PID when it exits. Images are loaded with skopeo, `docker load` and
//! `podman load`, and must get the same verdicts and culprit paths as the layouts they came from.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use archlens::catalog::{Catalog, EngineCatalog};
use archlens::source::engine::EngineKind;
use archlens::source::engine::api::Engine;
use archlens::source::engine::endpoint::Located;
use archlens::source::engine::http::Endpoint;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The two engines, started once; their sockets live in `dir`.
struct Engines {
    dir: PathBuf,
    docker: PathBuf,
    /// The same dockerd on loopback TCP (`host:port`).
    docker_tcp: String,
    podman: PathBuf,
    /// The watchdog shells; they end on their own once this process has.
    _watchdogs: Vec<std::process::Child>,
}

fn tool(name: &str, package: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .expect("run sh");
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !p.is_empty(),
        "{name} is missing; install it with: apt-get install {package} (scripts/test.sh does)"
    );
    PathBuf::from(p)
}

/// Starts `cmd` under a watchdog shell that stops it by PID (and removes `dir`) once this test
/// process is gone, so a failing test leaves no daemon and no data behind.
fn start(dir: &Path, name: &str, cmd: &str, socket: &Path) -> std::process::Child {
    let me = std::process::id();
    let script = format!(
        "{cmd} >{log} 2>&1 & d=$!; echo $d >{pid}; \
         while kill -0 {me} 2>/dev/null && kill -0 $d 2>/dev/null; do sleep 0.2; done; \
         kill $d 2>/dev/null; wait $d 2>/dev/null; rm -rf {dir}/{name}-data; rm -rf {dir}",
        log = dir.join(format!("{name}.log")).display(),
        pid = dir.join(format!("{name}.pid")).display(),
        dir = dir.display(),
    );
    let watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(60) {
        if socket.exists()
            && let Ok(r) =
                archlens::source::engine::http::get(&Endpoint::Unix(socket.into()), "/_ping")
            && r.status == 200
        {
            eprintln!("{name} ready in {:?}", t0.elapsed());
            return watchdog;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    // Stop the daemon by its PID; its watchdog then ends too.
    if let Ok(pid) = std::fs::read_to_string(dir.join(format!("{name}.pid"))) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let mut watchdog = watchdog;
    let _ = watchdog.wait();
    panic!(
        "{name} did not answer on {} within 60 s:\n{log}",
        socket.display()
    );
}

fn engines() -> &'static Engines {
    static E: OnceLock<Engines> = OnceLock::new();
    E.get_or_init(|| {
        let dockerd = tool("dockerd", "docker.io");
        let podman = tool("podman", "podman");
        tool("skopeo", "skopeo");
        // Kept: the watchdogs remove it once the daemons are stopped.
        let dir = tempfile::Builder::new()
            .prefix("archlens-engine-")
            .tempdir_in("/tmp")
            .expect("tempdir")
            .keep();
        let d = dir.display();
        let docker = dir.join("docker.sock");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let docker_tcp = format!("127.0.0.1:{port}");
        let dockerd_watch = start(
            &dir,
            "dockerd",
            &format!(
                "{} --host unix://{d}/docker.sock --host tcp://{docker_tcp} --data-root {d}/dockerd-data/root --exec-root {d}/dockerd-data/exec --pidfile {d}/dockerd-data/pid --storage-driver vfs --iptables=false --bridge=none",
                dockerd.display()
            ),
            &docker,
        );
        let podman_sock = dir.join("podman.sock");
        let podman_watch = start(
            &dir,
            "podman",
            &format!(
                "{} {} system service --time 0 unix://{d}/podman.sock",
                podman.display(),
                podman_storage(&dir)
            ),
            &podman_sock,
        );
        Engines {
            dir,
            docker,
            podman: podman_sock,
            docker_tcp,
            _watchdogs: vec![dockerd_watch, podman_watch],
        }
    })
}

fn podman_storage(dir: &Path) -> String {
    let d = dir.display();
    format!("--root {d}/podman-data/root --runroot {d}/podman-data/run --storage-driver vfs")
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `skopeo copy oci:… docker-daemon:NAME` into both engines (Podman through its Docker API).
fn load_layout(layout: &str, name: &str) {
    let e = engines();
    for sock in [&e.docker, &e.podman] {
        run(
            Command::new("skopeo").args([
                "copy",
                "-q",
                layout,
                &format!("docker-daemon:{name}"),
                "--dest-daemon-host",
                &format!("unix://{}", sock.display()),
            ]),
            &format!("skopeo copy {layout} to {}", sock.display()),
        );
    }
}

fn archlens(args: &[&str]) -> (i32, String, String) {
    let e = engines();
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .arg("--no-cache")
        .env("DOCKER_HOST", format!("unix://{}", e.docker.display()))
        .env("CONTAINER_HOST", format!("unix://{}", e.podman.display()))
        .current_dir(ROOT)
        .output()
        .expect("run archlens");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a user compares between two checks: per target the verdict, the predicted error,
/// and each finding's code, severity, culprit path, message and fix. Layer digests differ
/// (a registry's are compressed, `docker save`'s are not), so they are left out.
fn verdicts(reference: &str) -> (i32, Value) {
    let (code, out, err) = archlens(&["check", reference, "--format", "json"]);
    let json: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{reference}: not JSON ({e}): {out}\n{err}"));
    let results = json["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{reference}: no results: {json:#}"))
        .iter()
        .map(|r| {
            let findings: Vec<Value> = r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    serde_json::json!([f["code"], f["severity"], f["path"], f["message"], f["fix"]])
                })
                .collect();
            serde_json::json!({
                "target": r["target"],
                "verdict": r["verdict"],
                "platform": r["platform"],
                "image_platform": r["image"]["platform"],
                "predicted_error": r["predicted_error"],
                "findings": findings,
            })
        })
        .collect();
    (code, Value::Array(results))
}

fn assert_same(layout: &str, name: &str) {
    let (want_code, want) = verdicts(layout);
    assert!(
        want.as_array().is_some_and(|a| !a.is_empty()),
        "{layout} gave no verdicts"
    );
    for engine in ["docker-daemon", "podman"] {
        let r = format!("{engine}:{name}");
        let (code, got) = verdicts(&r);
        assert_eq!(got, want, "{r} and {layout} disagree");
        assert_eq!(code, want_code, "{r} exits differently from {layout}");
    }
}

/// A single-platform layout of an index's linux/amd64 image, which is what a pull on an
/// amd64 machine puts in the engine.
fn amd64_layout(tag: &str) -> String {
    let dir = engines().dir.join(format!("layout-{tag}"));
    if !dir.exists() {
        run(
            Command::new("skopeo").args([
                "copy",
                "-q",
                "--override-os",
                "linux",
                "--override-arch",
                "amd64",
                &format!("oci:{ROOT}/assets/demo:{tag}"),
                &format!("oci:{}:{tag}", dir.display()),
            ]),
            "skopeo copy the amd64 image",
        );
    }
    format!("oci:{}:{tag}", dir.display())
}

#[test]
fn demo_images_get_the_layouts_verdicts_from_docker_and_podman() {
    for tag in [
        "mac-arm64",
        "python-wheel",
        "node-addon",
        "musl-glibc",
        "lambda-ok",
    ] {
        let layout = format!("oci:assets/demo:{tag}");
        load_layout(
            &format!("oci:{ROOT}/assets/demo:{tag}"),
            &format!("demo:{tag}"),
        );
        assert_same(&layout, &format!("demo:{tag}"));
    }
    // The failure archlens exists for, as a user sees it before `docker push`.
    let (code, out, _) = archlens(&["check", "docker-daemon:demo:mac-arm64", "-t", "apprunner"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("exec /usr/local/bin/docker-entrypoint.sh: exec format error"),
        "{out}"
    );
    assert!(out.contains("path:  /bin/busybox"), "{out}");
}

#[test]
fn index_demos_compare_with_the_image_an_amd64_pull_stores() {
    for tag in ["good", "mislabeled"] {
        let layout = amd64_layout(tag);
        load_layout(&layout, &format!("demo-index:{tag}"));
        assert_same(&layout, &format!("demo-index:{tag}"));
    }
}

fn fixtures() -> PathBuf {
    let dir = PathBuf::from(ROOT).join("target/fixtures/images");
    assert!(
        dir.join(".stamp").is_file(),
        "the third-party fixtures are not built; run scripts/fixtures/images.sh (scripts/test.sh does)"
    );
    dir
}

#[test]
fn third_party_fixtures_get_the_layouts_verdicts() {
    let dir = fixtures();
    for name in ["python", "node", "java"] {
        let layout = format!("oci:{}:latest", dir.join(name).display());
        load_layout(&layout, &format!("fx/{name}:latest"));
        assert_same(&layout, &format!("fx/{name}:latest"));
    }
}

#[test]
fn docker_load_and_podman_load_archives_read_the_same() {
    let e = engines();
    let tar = fixtures().join("node-docker.tar");
    run(
        Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}", e.docker.display()))
            .arg("load")
            .arg("-i")
            .arg(&tar),
        "docker load",
    );
    run(
        Command::new("podman")
            .args(podman_storage(&e.dir).split(' '))
            .arg("load")
            .arg("-i")
            .arg(&tar),
        "podman load",
    );
    let archive = format!("docker-archive:{}", tar.display());
    let (_, want) = verdicts(&archive);
    for r in [
        "docker-daemon:archlens-fixtures/node:latest",
        "podman:archlens-fixtures/node:latest",
    ] {
        assert_eq!(verdicts(r).1, want, "{r} and {archive} disagree");
    }
}

#[test]
fn errors_say_what_to_do_in_one_sentence() {
    load_layout(
        &format!("oci:{ROOT}/assets/demo:lambda-ok"),
        "errs/lambda-ok:v1",
    );
    let (code, _, err) = archlens(&["check", "docker-daemon:errs/lambda-ok:v2"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no image errs/lambda-ok:v2"), "{err}");
    assert!(err.contains("closest: errs/lambda-ok:v1"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let (_, _, err) = archlens(&["check", "podman:errs/lambda-ok:v2"]);
    assert!(
        err.contains("closest: docker.io/errs/lambda-ok:v1"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", "docker-daemon:app", "--no-cache"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .expect("run archlens");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("no Docker engine at unix:///nonexistent/docker.sock (from DOCKER_HOST)"),
        "{err}"
    );
    assert!(err.contains("sudo systemctl start docker"), "{err}");

    // dockerd makes its socket root:docker 0660; someone outside the group is refused.
    let setpriv = tool("setpriv", "util-linux");
    let out = Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", "docker-daemon:app", "--no-cache"])
        .env(
            "DOCKER_HOST",
            format!("unix://{}", engines().docker.display()),
        )
        .env("HOME", "/tmp")
        .output()
        .expect("run archlens as nobody");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("permission denied on"), "{err}");
    assert!(err.contains("sudo usermod -aG docker $USER"), "{err}");
}

/// Each engine's catalog spools into its own directory, so a test can tell whether it saved.
fn spool(kind: EngineKind) -> PathBuf {
    engines().dir.join(format!("spool-{}", kind.transport()))
}

fn catalog(kind: EngineKind) -> EngineCatalog {
    let e = engines();
    let sock = match kind {
        EngineKind::Docker => &e.docker,
        EngineKind::Podman => &e.podman,
    };
    let engine = Engine::connect(
        kind,
        Located {
            endpoint: Endpoint::Unix(sock.clone()),
            from: "the test".into(),
        },
    )
    .expect("connect");
    EngineCatalog::with_engine(engine, Some(spool(kind)))
}

#[test]
fn ls_lists_the_engines_images_with_their_platforms() {
    load_layout(&format!("oci:{ROOT}/assets/demo:mac-arm64"), "ls/app:arm");
    for (engine, tag) in [
        ("docker-daemon:", "ls/app:arm"),
        ("podman:", "docker.io/ls/app:arm"),
    ] {
        let (code, out, err) = archlens(&["ls", engine, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let json: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        let image = json["images"]
            .as_array()
            .and_then(|a| {
                a.iter().find(|i| {
                    i["tags"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == tag))
                })
            })
            .unwrap_or_else(|| panic!("{tag} not listed by ls {engine}: {json:#}"));
        assert_eq!(
            image["platforms"][0]["platform"], "linux/arm64",
            "{image:#}"
        );
    }
}

#[test]
fn docker_host_over_tcp_reaches_the_engine() {
    load_layout(&format!("oci:{ROOT}/assets/demo:lambda-ok"), "tcp/app:v1");
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "check",
            "docker-daemon:tcp/app:v1",
            "-t",
            "lambda",
            "--no-cache",
        ])
        .env("DOCKER_HOST", format!("tcp://{}", engines().docker_tcp))
        .output()
        .expect("run archlens");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("lambda  linux/amd64    PASS"), "{text}");
}

#[test]
fn the_explorer_lists_engine_images_and_opens_them() {
    load_layout(&format!("oci:{ROOT}/assets/demo:mac-arm64"), "list/app:arm");
    for kind in [EngineKind::Docker, EngineKind::Podman] {
        let c = catalog(kind);
        let repos = c.repositories().expect("repositories");
        assert_eq!(repos.len(), 1);
        let rows = c.images(&repos[0].name).expect("images");
        let row = rows
            .iter()
            .find(|r| r.tags.iter().any(|t| t.ends_with("list/app:arm")))
            .unwrap_or_else(|| panic!("list/app:arm not listed: {rows:?}"));
        assert!(row.reference.starts_with(kind.transport()), "{row:?}");
        assert_eq!(row.pushed.as_deref().map(|p| &p[..10]), Some("2025-01-01"));
        assert!(row.size.is_some_and(|s| s > 1_000_000), "{row:?}");

        // Platform chips and the badge come from the engine, without a save.
        let t0 = Instant::now();
        let info = c.root_info(row).expect("known").expect("inspect");
        assert_eq!(info.platforms(), vec!["arm64".to_string()]);
        assert!(t0.elapsed() < Duration::from_secs(2));
        let spooled = || std::fs::read_dir(spool(kind)).map_or(0, |d| d.count());
        assert_eq!(spooled(), 0, "listing saved an image");

        // Opening it reads the layers through the saved archive, as the image screen does.
        let src = c.open(row).expect("open");
        let entry = info.root.images().next().expect("one image");
        let progress = archlens::analyze::Progress::default();
        let image = archlens::analyze::analyze_image(
            src.as_ref(),
            &entry.digest,
            Some(&entry.media_type),
            None,
            &progress,
        )
        .expect("analyse");
        assert_eq!(image.layers.len(), 4);
        assert_eq!(spooled(), 1, "one save for the image opened");
        drop(src);
        drop(c);
        assert_eq!(spooled(), 0, "the spool outlived the catalog");
    }
}

#[path = "ui_support/mod.rs"]
mod ui_support;

#[test]
fn archlens_local_shows_the_images_with_a_target_badge_and_opens_one() {
    load_layout(&format!("oci:{ROOT}/assets/demo:mac-arm64"), "ui/app:arm");
    let opts = archlens::ui::Options {
        launch: archlens::ui::Launch::Engine {
            kind: EngineKind::Docker,
        },
        target: None,
        registry: None,
        cache: None,
    };
    let settings = archlens::ui::keymap::load(None, false);
    let (app, _, fx) = archlens::ui::new_app(&opts, settings).expect("app");
    // The launch's own catalog would find the engine through DOCKER_HOST; this one is told.
    let mut h = ui_support::Harness {
        app,
        catalog: std::sync::Arc::new(catalog(EngineKind::Docker)),
    };
    h.pump(fx);
    // Rows are images (several tags share one when their ID is the same): find it by ID.
    let id = h
        .catalog
        .images("")
        .expect("images")
        .into_iter()
        .find(|r| r.tags.iter().any(|t| t == "ui/app:arm"))
        .and_then(|r| r.digest)
        .expect("ui/app:arm listed")
        .short();
    let screen = h.render(140, 60);
    let row = screen
        .lines()
        .find(|l| l.contains(&id[7..]))
        .unwrap_or_else(|| panic!("{id} not listed:\n{screen}"));
    // Listing saves nothing: the badge is the engine's label until the files are read.
    assert!(row.contains("? labelled arm64"), "{row}");
    h.select_tag("ui/app:arm");
    h.keys(&["Enter"]);
    let screen = h.render(140, 60);
    assert!(
        screen.contains("exec /usr/local/bin/docker-entrypoint.sh: exec format error"),
        "{screen}"
    );
    // Back on the list, the row's badge now comes from the files that were read.
    h.keys(&["Esc"]);
    let screen = h.render(140, 60);
    let row = screen
        .lines()
        .find(|l| l.contains(&id[7..]))
        .unwrap_or_else(|| panic!("{id} not listed:\n{screen}"));
    assert!(row.contains("FAIL entrypoint arch"), "{row}");
}

/// `audit docker-daemon:` / `podman:` reads one repository per image name, as on a registry:
/// `--tags latest` finds the tag, `--repos` selects by name, and a registry port is no tag.
#[test]
fn audit_reads_one_repository_per_image_name() {
    let demo = |tag: &str| format!("oci:{ROOT}/assets/demo:{tag}");
    load_layout(&demo("mac-arm64"), "audit/app:latest");
    load_layout(&demo("mac-arm64"), "audit/app:v1");
    load_layout(&demo("python-wheel"), "audit/app:v0");
    load_layout(&demo("node-addon"), "localhost:5000/audit/web:v2");
    for (engine, prefix) in [("docker-daemon:", ""), ("podman:", "docker.io/")] {
        let (code, out, err) = archlens(&[
            "audit", engine, "--repos", "*audit/*", "--tags", "latest", "-t", "graviton",
            "--format", "jsonl",
        ]);
        assert!(code == 0 || code == 1, "audit {engine}: {err}");
        let recs: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        let got: Vec<(String, Value)> = recs
            .iter()
            .map(|r| {
                (
                    r["repository"].as_str().unwrap_or("").to_string(),
                    r["tags"].clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    format!("{prefix}audit/app"),
                    serde_json::json!(["latest", "v1"])
                ),
                (
                    "localhost:5000/audit/web".to_string(),
                    serde_json::json!(["v2"])
                ),
            ],
            "audit {engine}:\n{out}\n{err}"
        );
        assert!(
            recs.iter().all(|r| r["status"] == "assessed"),
            "audit {engine}:\n{out}"
        );
    }
}
