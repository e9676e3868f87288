//! Registry faults against a real docker-registry behind the fault-injecting proxy: token
//! endpoint failures, Link loops, missing tags, HTTP-date Retry-After, stalls and deadlines,
//! refusals by a redirect host, and network failures as the CLI words them.

mod support_registry;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use archlens::catalog;
use archlens::oci::Digest;
use archlens::source::registry::{
    CommandDeadline, Notices, RegistryOptions, RetryPolicy, open_registry,
};
use support_registry::{Fault, Proxy, Registry, demo, docker_config, free_port, push_demo};

/// Fast retries, a roomy cap on `Retry-After`, and the notices kept for the test to read.
fn opts() -> (RegistryOptions, Arc<Mutex<Vec<String>>>) {
    let said: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = said.clone();
    let o = RegistryOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(20),
        },
        timeout: Duration::from_secs(10),
        docker_config: Some("/nonexistent/archlens-test/config.json".into()),
        notices: Notices::new(move |m| sink.lock().expect("notices").push(m.to_string())),
        ..RegistryOptions::default()
    };
    (o, said)
}

fn count(proxy: &Proxy, part: &str) -> usize {
    proxy
        .seen()
        .iter()
        .filter(|s| s.path.contains(part))
        .count()
}

fn bearer() -> Fault {
    Fault::Bearer {
        token: "tok".into(),
        basic: "bob:builder".into(),
    }
}

#[test]
fn token_endpoint_failures_are_retried_and_not_blamed_on_credentials() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    // The token service fails twice, then hands out the token.
    proxy.add("/token", Fault::Status(503, None), Some(2));
    proxy.add("/", bearer(), None);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut o, _) = opts();
    o.docker_config = Some(docker_config(dir.path(), &proxy.addr, "bob", "builder"));
    let reference = format!("{}/demo:multi", proxy.addr);
    let src = open_registry(&reference, &o).expect("open");
    assert_eq!(
        src.root()
            .expect("root after a failing token service")
            .bytes,
        d.index.bytes
    );
    assert_eq!(count(&proxy, "/token"), 3, "token request not retried");

    // Failing for ever: the error says the token service failed, not the credentials.
    proxy.clear();
    proxy.add("/token", Fault::Status(503, None), None);
    proxy.add("/", bearer(), None);
    let src = open_registry(&reference, &o).expect("open");
    let e = src.root().expect_err("token 503 accepted").to_string();
    assert!(e.contains("token for manifest demo:multi"), "{e}");
    assert!(
        e.contains("gave up after 4 attempts") && e.contains("HTTP 503"),
        "{e}"
    );
    assert!(!e.contains("refused") && !e.contains("docker login"), "{e}");
}

#[test]
fn link_loops_and_repeated_pages_stop_with_one_warning() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "one", None);
    push_demo(&d, &reg.addr, "two", None);
    let proxy = Proxy::start(&reg.addr);
    let (o, said) = opts();

    // A catalog whose next page is itself.
    proxy.add(
        "_catalog",
        Fault::Header("Link".into(), r#"</v2/_catalog?n=1000>; rel="next""#.into()),
        None,
    );
    let t = Instant::now();
    let l = catalog::list(&proxy.addr, &o).expect("catalog");
    let names: Vec<&str> = l.repositories.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["one", "two"], "repositories repeated");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(count(&proxy, "_catalog"), 1);
    let warnings = said.lock().expect("notices").clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("links back to a page already read"),
        "{warnings:?}"
    );

    // A tag list whose "next" is a new URL with the same page, then loops.
    proxy.clear();
    said.lock().expect("notices").clear();
    proxy.add(
        "tags/list?n=1000",
        Fault::Header(
            "Link".into(),
            r#"</v2/two/tags/list?n=1000&again=1>; rel="next""#.into(),
        ),
        None,
    );
    let l = catalog::list(&format!("{}/two", proxy.addr), &o).expect("images");
    let mut tags: Vec<String> = l.images.iter().flat_map(|i| i.tags.clone()).collect();
    tags.sort();
    assert_eq!(tags, ["multi", "zstd"], "tags repeated");
    assert_eq!(count(&proxy, "tags/list"), 2);
    let warnings = said.lock().expect("notices").clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("repeats a page already read"),
        "{warnings:?}"
    );
}

#[test]
fn missing_tags_in_a_listing_fetch_the_tag_list_once() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    // Every tag's manifest is gone (deleted between the list and the fetch).
    proxy.add("/manifests/", Fault::Status(404, None), None);
    let (o, _) = opts();
    let l = catalog::list(&format!("{}/demo", proxy.addr), &o).expect("listing");
    assert!(l.images.is_empty(), "{:?}", l.images);
    assert_eq!(count(&proxy, "/manifests/"), 2);
    assert_eq!(
        count(&proxy, "tags/list"),
        1,
        "the tag list was fetched again for each missing tag"
    );

    // Opened on its own, a missing tag still names the closest ones.
    let e = open_registry(&format!("{}/demo:mult", proxy.addr), &o)
        .expect("open")
        .root()
        .expect_err("missing tag found")
        .to_string();
    assert!(e.contains("Closest existing tags: multi, zstd"), "{e}");
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    proxy.add(
        "/manifests/multi",
        Fault::Respond(429, vec![("Retry-After".into(), when)], "{}".into()),
        Some(1),
    );
    let (o, _) = opts();
    let src = open_registry(&format!("{}/demo:multi", proxy.addr), &o).expect("open");
    let t = Instant::now();
    assert_eq!(src.root().expect("root after 429").bytes, d.index.bytes);
    // The date has whole seconds: the wait is between 2 and 3 s.
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "HTTP-date Retry-After ignored: {:?}",
        t.elapsed()
    );
}

#[test]
fn stalled_answers_fail_by_the_stated_deadlines() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    let reference = format!("{}/demo:multi", proxy.addr);
    let (mut o, said) = opts();
    o.retry.budget = Duration::from_secs(4);

    // The registry accepts the connection and says nothing: the per-request deadline.
    proxy.add("/manifests/", Fault::Delay(Duration::from_secs(60)), None);
    let t = Instant::now();
    let e = open_registry(&reference, &o)
        .expect("open")
        .root()
        .expect_err("stalled manifest accepted")
        .to_string();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(
        e.contains("no answer within 4.0 s (the per-request deadline)"),
        "{e}"
    );
    let notes = said.lock().expect("notices").clone();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&format!("waiting for {}", proxy.addr))),
        "{notes:?}"
    );

    // Every blob stalls: each fails by the same deadline, not after all retries.
    proxy.clear();
    proxy.add("/blobs/", Fault::Delay(Duration::from_secs(60)), None);
    let src = open_registry(&reference, &o).expect("open");
    let layer: Digest = d.amd64_layer.digest.parse().expect("digest");
    let t = Instant::now();
    let e = match src.blob(&layer, d.amd64_layer.bytes.len() as u64) {
        Ok(_) => panic!("stalled blob opened"),
        Err(e) => e.to_string(),
    };
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    assert!(e.contains("no answer within 4.0 s"), "{e}");

    // A blob that stops half-way: the deadline counts from its last byte.
    proxy.clear();
    proxy.add(
        &d.amd64_layer.digest,
        Fault::StallAfter(100_000, Duration::from_secs(60)),
        None,
    );
    let mut b = src
        .blob(&layer, d.amd64_layer.bytes.len() as u64)
        .expect("blob opens");
    let t = Instant::now();
    let mut sink = Vec::new();
    let e = std::io::Read::read_to_end(&mut b, &mut sink)
        .expect_err("stalled body accepted")
        .to_string();
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    assert!(
        e.contains("no answer within 4.0 s (the per-request deadline)"),
        "{e}"
    );
    assert!(!sink.is_empty(), "nothing read before the stall");

    // The command's deadline wins when it comes first.
    proxy.clear();
    proxy.add("/blobs/", Fault::Delay(Duration::from_secs(60)), None);
    o.retry.budget = Duration::from_secs(60);
    o.deadline = Some(CommandDeadline::from_now(Duration::from_secs(2)));
    let t = Instant::now();
    let src = open_registry(&reference, &o).expect("open");
    let e = match src.blob(&layer, d.amd64_layer.bytes.len() as u64) {
        Ok(_) => panic!("stalled blob opened"),
        Err(e) => e.to_string(),
    };
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert!(
        e.contains("no answer within 2.0 s (the command's --timeout)"),
        "{e}"
    );
}

#[test]
fn a_refusal_by_the_redirect_host_is_named_as_that_host() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    // The storage host of a presigned URL: another origin, refusing every download.
    let storage = Proxy::start_on("localhost", &reg.addr);
    storage.add("/blobs/", Fault::Status(403, None), None);
    let front = Proxy::start(&reg.addr);
    front.add("/", bearer(), None);
    front.add(
        "/blobs/",
        Fault::Redirect(format!("http://{}", storage.addr)),
        None,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut o, _) = opts();
    o.docker_config = Some(docker_config(dir.path(), &front.addr, "bob", "builder"));
    let src = open_registry(&format!("{}/demo:multi", front.addr), &o).expect("open");
    src.root().expect("root");
    let layer: Digest = d.amd64_layer.digest.parse().expect("digest");
    let e = match src.blob(&layer, d.amd64_layer.bytes.len() as u64) {
        Ok(_) => panic!("refused blob opened"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains(&format!(
            "{}, where {} redirected the download, refused it (HTTP 403)",
            storage.addr, front.addr
        )),
        "{e}"
    );
    assert!(
        !e.contains("docker login") && !e.contains("credentials were refused"),
        "{e}"
    );
}

fn archlens(args: &[&str]) -> (Option<i32>, String, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("write config");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .env("ARCHLENS_CONFIG", &config)
        .env("DOCKER_CONFIG", "/nonexistent/archlens-test")
        .output()
        .expect("run archlens");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        t.elapsed(),
    )
}

#[test]
fn the_cli_waits_visibly_and_stops_at_its_timeout() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    proxy.add("/v2/", Fault::Delay(Duration::from_secs(60)), None);
    let image = format!("{}/demo:multi", proxy.addr);
    let (code, err, took) = archlens(&["--no-cache", "--timeout", "5", "check", &image]);
    assert_eq!(code, Some(2), "{err}");
    assert!(took < Duration::from_secs(9), "{took:?}: {err}");
    assert!(
        err.contains(&format!("archlens: waiting for {}", proxy.addr)),
        "{err}"
    );
    assert!(
        err.contains("no answer within 5.0 s (the command's --timeout)"),
        "{err}"
    );
}

#[test]
fn the_cli_names_refused_connections_and_unknown_names() {
    let port = free_port();
    let (code, err, _) = archlens(&["--no-cache", "inspect", &format!("127.0.0.1:{port}/x:y")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("connection refused by 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("that the registry is running"), "{err}");
    assert!(
        !err.contains("overloaded") && !err.contains("attempts in"),
        "{err}"
    );

    let (code, err, _) = archlens(&["--no-cache", "inspect", "nonexistent.invalid/x:y"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("the name nonexistent.invalid could not be resolved (DNS)"),
        "{err}"
    );
    assert!(
        !err.contains("overloaded") && !err.contains("attempts in"),
        "{err}"
    );
}

fn archlens_out(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(args)
        .env("ARCHLENS_CONFIG", &config)
        .env("DOCKER_CONFIG", "/nonexistent/archlens-test")
        .env("NO_COLOR", "1")
        .output()
        .expect("run archlens");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_unreadable_image_is_an_error_not_a_failing_image() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    // The amd64 image's layer is gone; the arm64 image reads fine.
    proxy.add(&d.amd64_layer.digest, Fault::Status(404, None), None);
    let image = format!("{}/demo:multi", proxy.addr);
    let args = |format: &'static str| {
        [
            "--no-cache",
            "check",
            "-t",
            "linux/amd64",
            "-t",
            "linux/arm64",
            "--format",
            format,
        ]
    };
    let mut a = args("json").to_vec();
    a.push(&image);
    let (code, out, err) = archlens_out(&a);
    assert_eq!(code, Some(2), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("check JSON");
    let results = v["results"].as_array().expect("results");
    let amd64 = results
        .iter()
        .find(|r| r["platform"] == "linux/amd64")
        .expect("amd64 result");
    assert_eq!(amd64["verdict"], "error", "{amd64}");
    let cause = amd64["error"].as_str().expect("error cause");
    assert!(
        cause.contains("could not be read") && cause.contains(&d.amd64_layer.digest),
        "{cause}"
    );
    let arm64 = results
        .iter()
        .find(|r| r["platform"] == "linux/arm64")
        .expect("arm64 result");
    assert_ne!(arm64["verdict"], "error", "{arm64}");
    assert!(arm64.get("error").is_none(), "{arm64}");

    let mut a = args("text").to_vec();
    a.push(&image);
    let (code, out, err) = archlens_out(&a);
    assert_eq!(code, Some(2), "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("linux/amd64"))
        .unwrap_or_else(|| panic!("no amd64 row: {out}"));
    assert!(
        row.contains("ERROR") && row.contains("could not be read"),
        "{row}"
    );
    assert!(!row.contains("FAIL"), "{row}");
}

#[test]
fn json_escapes_c1_controls_and_bidi_overrides_from_registries_and_paths() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    // A registry whose catalog holds names no real registry would accept.
    proxy.add(
        "_catalog",
        Fault::Respond(
            200,
            vec![("Content-Type".into(), "application/json".into())],
            r#"{"repositories":["csi\u009b31mred","rtl\u202egpj.exe","iso\u2066x\u2069"]}"#.into(),
        ),
        None,
    );
    let (code, out, err) = archlens_out(&["--no-cache", "ls", &proxy.addr, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    for raw in ['\u{9b}', '\u{202e}', '\u{2066}', '\u{2069}'] {
        assert!(!out.contains(raw), "raw U+{:04X} in {out}", u32::from(raw));
    }
    for escaped in [r"csi\u009b31mred", r"rtl\u202egpj.exe", r"iso\u2066x\u2069"] {
        assert!(out.contains(escaped), "{escaped} not in {out}");
    }
    let v: serde_json::Value = serde_json::from_str(&out).expect("ls JSON");
    let names: Vec<&str> = v["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.contains(&"rtl\u{202e}gpj.exe"), "{names:?}");

    // An image file path holding them, through check and inspect.
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = dir.path().join("lay\u{202e}out\u{9b}");
    std::os::unix::fs::symlink(d.layout.dir.path(), &evil).expect("symlink");
    let reference = format!("oci:{}:zstd", evil.display());
    for cmd in ["inspect", "check"] {
        let (_, out, err) = archlens_out(&["--no-cache", cmd, &reference, "--format", "json"]);
        assert!(out.contains(r"lay\u202eout\u009b"), "{cmd}: {out}{err}");
        assert!(
            !out.contains('\u{202e}') && !out.contains('\u{9b}'),
            "{cmd}: raw control in {out}"
        );
    }
}
