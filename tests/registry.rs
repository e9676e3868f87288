//! The registry source and listings against a real docker-registry on loopback, with and
//! without htpasswd auth, and through a fault-injecting proxy.

mod support_registry;

use std::io::Read;
use std::time::{Duration, Instant};

use archlens::catalog;
use archlens::config::{Config, RegistryEntry};
use archlens::oci::Digest;
use archlens::source::registry::{RegistryOptions, RetryPolicy, open_registry};
use support_registry::{Fault, Proxy, Registry, demo, docker_config, push_demo};

fn opts() -> RegistryOptions {
    RegistryOptions {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            budget: Duration::from_secs(20),
        },
        timeout: Duration::from_secs(5),
        // No stray ~/.docker/config.json may leak into the tests.
        docker_config: Some("/nonexistent/archlens-test/config.json".into()),
        ..RegistryOptions::default()
    }
}

fn digest(s: &str) -> Digest {
    s.parse().expect("digest")
}

fn read_all(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

#[test]
fn anonymous_pull_of_index_attestations_and_zstd_layers() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "team/demo", None);
    let o = opts();

    let src = open_registry(&format!("docker://{}/team/demo:multi", reg.addr), &o).expect("open");
    let root = src.root().expect("root");
    assert_eq!(
        root.digest.to_string(),
        d.index.digest,
        "index digest differs from what was pushed"
    );
    assert_eq!(root.bytes, d.index.bytes);
    assert_eq!(
        root.media_type.as_deref(),
        Some("application/vnd.oci.image.index.v1+json")
    );

    let child = src
        .manifest(&digest(&d.arm64.digest), None)
        .expect("child manifest");
    assert_eq!(child.bytes, d.arm64.bytes);

    let mut blob = src
        .blob(
            &digest(&d.amd64_layer.digest),
            d.amd64_layer.bytes.len() as u64,
        )
        .expect("blob");
    assert_eq!(read_all(&mut blob).expect("read blob"), d.amd64_layer.bytes);

    // By digest, and the zstd image.
    let by_digest = open_registry(
        &format!("{}/team/demo@{}", reg.addr, d.zstd_image.digest),
        &o,
    )
    .expect("open");
    assert_eq!(by_digest.root().expect("root").bytes, d.zstd_image.bytes);
    let mut z = by_digest
        .blob(
            &digest(&d.zstd_layer.digest),
            d.zstd_layer.bytes.len() as u64,
        )
        .expect("zstd blob");
    let z = read_all(&mut z).expect("read zstd");
    assert_eq!(&z[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");

    // A wrong size is caught at the end of the stream.
    let mut short = src
        .blob(
            &digest(&d.amd64_layer.digest),
            d.amd64_layer.bytes.len() as u64 - 1,
        )
        .expect("blob");
    let e = read_all(&mut short).expect_err("size mismatch accepted");
    assert!(e.to_string().contains("more than"), "{e}");

    // Listing: the catalog, then images grouped with their platforms and attestations.
    let l = catalog::list(&reg.addr, &o).expect("catalog");
    assert_eq!(
        l.repositories
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["team/demo"]
    );
    let l = catalog::list(&format!("{}/team/demo", reg.addr), &o).expect("images");
    let multi = support_registry::assert_multi_listed(&l);
    let att = multi
        .related
        .iter()
        .find(|r| r.kind == "attestation")
        .expect("attestation");
    assert!(att.subject.is_some(), "attestation without its subject");
    let z = l
        .images
        .iter()
        .find(|i| i.tags == ["zstd"])
        .expect("zstd listed");
    assert_eq!(z.platforms[0].platform, "linux/arm/v7");
    let text = archlens::report::render_listing_text(&l);
    assert!(text.contains("linux/amd64,linux/arm64"), "{text}");
    assert!(text.contains("2 attestation"), "{text}");
}

#[test]
fn htpasswd_basic_auth_from_docker_config() {
    let reg = Registry::start(Some(("alice", "wonderland")));
    let d = demo();
    push_demo(&d, &reg.addr, "demo", reg.creds.as_ref());
    let reference = format!("{}/demo:zstd", reg.addr);

    let e = open_registry(&reference, &opts())
        .expect("open")
        .root()
        .expect_err("no creds accepted");
    let msg = e.to_string();
    assert!(msg.contains(&format!("docker login {}", reg.addr)), "{msg}");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts();
    o.docker_config = Some(docker_config(dir.path(), &reg.addr, "alice", "wrong"));
    let e = open_registry(&reference, &o)
        .expect("open")
        .root()
        .expect_err("bad creds accepted");
    let msg = e.to_string();
    assert!(msg.contains("were refused"), "{msg}");
    assert!(!msg.contains("wrong"), "password in error: {msg}");

    o.docker_config = Some(docker_config(dir.path(), &reg.addr, "alice", "wonderland"));
    let src = open_registry(&reference, &o).expect("open");
    assert_eq!(src.root().expect("root").bytes, d.zstd_image.bytes);
    let mut b = src
        .blob(
            &digest(&d.zstd_layer.digest),
            d.zstd_layer.bytes.len() as u64,
        )
        .expect("blob");
    assert_eq!(read_all(&mut b).expect("read"), d.zstd_layer.bytes);
}

#[test]
fn unknown_tag_names_the_closest_tags() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let e = open_registry(&format!("{}/demo:mult", reg.addr), &opts())
        .expect("open")
        .root()
        .expect_err("missing tag found");
    let msg = e.to_string();
    assert!(msg.contains("\"mult\""), "{msg}");
    assert!(msg.contains("Closest existing tags: multi, zstd"), "{msg}");
}

#[test]
fn faults_retries_digest_checks_redirects_and_bearer_tokens() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    let o = opts();
    let reference = format!("{}/demo:multi", proxy.addr);
    let layer = digest(&d.amd64_layer.digest);
    let size = d.amd64_layer.bytes.len() as u64;

    // 503 twice, then the real answer.
    proxy.add("/manifests/multi", Fault::Status(503, None), Some(2));
    let src = open_registry(&reference, &o).expect("open");
    assert_eq!(src.root().expect("root after 503s").bytes, d.index.bytes);
    assert_eq!(
        proxy
            .seen()
            .iter()
            .filter(|s| s.path.contains("/manifests/multi"))
            .count(),
        3
    );

    // 429 with Retry-After: 1 is honoured.
    proxy.clear();
    proxy.add("/manifests/multi", Fault::Status(429, Some(1)), Some(1));
    let t = Instant::now();
    src.root().expect("root after 429");
    assert!(
        t.elapsed() >= Duration::from_millis(190),
        "Retry-After ignored"
    );

    // Failing for ever: bounded, and the error says what and how often.
    proxy.clear();
    proxy.add("/manifests/multi", Fault::Status(500, None), None);
    let e = src.root().expect_err("500 for ever accepted").to_string();
    assert!(e.contains("gave up after 4 attempts"), "{e}");
    assert!(e.contains("HTTP 500"), "{e}");

    // A connection cut in the middle of a blob is resumed with Range; the data is intact.
    proxy.clear();
    proxy.add(&d.amd64_layer.digest, Fault::Cut(100_000), Some(1));
    let mut b = src.blob(&layer, size).expect("blob");
    assert_eq!(
        read_all(&mut b).expect("read after cut"),
        d.amd64_layer.bytes
    );
    let gets: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.path.contains(&d.amd64_layer.digest))
        .collect();
    assert_eq!(gets.len(), 2, "no resume after the cut");

    // A blob with a changed byte fails its digest check, naming the digest.
    proxy.clear();
    proxy.add(&d.amd64_layer.digest, Fault::Corrupt, Some(1));
    let mut b = src.blob(&layer, size).expect("blob");
    let e = read_all(&mut b)
        .expect_err("corrupt blob accepted")
        .to_string();
    assert!(
        e.contains("digest mismatch") && e.contains(&d.amd64_layer.digest),
        "{e}"
    );

    // A manifest with a changed byte, fetched by digest.
    proxy.clear();
    proxy.add(
        &format!("/manifests/{}", d.arm64.digest),
        Fault::Corrupt,
        Some(1),
    );
    let e = src
        .manifest(&digest(&d.arm64.digest), None)
        .expect_err("corrupt manifest")
        .to_string();
    assert!(e.contains("digest mismatch"), "{e}");

    // Slow answers time out and are retried.
    proxy.clear();
    proxy.add(
        "/manifests/multi",
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    );
    let mut slow = opts();
    slow.timeout = Duration::from_millis(500);
    let s = open_registry(&reference, &slow).expect("open");
    assert_eq!(
        s.root().expect("root after a slow answer").bytes,
        d.index.bytes
    );

    // archlens never writes to a registry.
    for s in proxy.seen() {
        assert_eq!(s.method, "GET", "{} {}", s.method, s.path);
    }

    // Bearer challenge: token fetched with Basic creds, then used.
    proxy.clear();
    proxy.add(
        "/",
        Fault::Bearer {
            token: "tok123".into(),
            basic: "bob:builder".into(),
        },
        None,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bo = opts();
    bo.docker_config = Some(docker_config(dir.path(), &proxy.addr, "bob", "builder"));
    let s = open_registry(&reference, &bo).expect("open");
    assert_eq!(s.root().expect("root with bearer").bytes, d.index.bytes);
    let seen = proxy.seen();
    assert!(
        seen.iter()
            .any(|s| s.path.starts_with("/token")
                && s.path.contains("scope=repository%3Ademo%3Apull")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.authorization.as_deref() == Some("Bearer tok123"))
    );
}

#[test]
fn redirects_never_carry_credentials_to_another_host() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    // The "storage" host: another origin (localhost vs 127.0.0.1), forwarding to the registry.
    let storage = Proxy::start_on("localhost", &reg.addr);
    let front = Proxy::start(&reg.addr);
    front.add(
        "/",
        Fault::Bearer {
            token: "t0k".into(),
            basic: "u:p".into(),
        },
        None,
    );
    front.add(
        "/blobs/",
        Fault::Redirect(format!("http://{}", storage.addr)),
        None,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts();
    o.docker_config = Some(docker_config(dir.path(), &front.addr, "u", "p"));
    let src = open_registry(&format!("{}/demo:multi", front.addr), &o).expect("open");
    src.root().expect("root");
    let layer = digest(&d.amd64_layer.digest);
    let mut b = src
        .blob(&layer, d.amd64_layer.bytes.len() as u64)
        .expect("blob");
    assert_eq!(read_all(&mut b).expect("read"), d.amd64_layer.bytes);
    let at_storage = storage.seen();
    assert!(!at_storage.is_empty(), "redirect not followed");
    for s in at_storage {
        assert_eq!(
            s.authorization, None,
            "credentials sent to the redirect target {}",
            s.path
        );
    }
}

#[test]
fn catalog_and_tags_follow_link_pagination_and_remapping() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "one", None);
    push_demo(&d, &reg.addr, "two", None);
    let proxy = Proxy::start(&reg.addr);
    proxy.add(
        "n=1000",
        Fault::Rewrite("n=1000".into(), "n=1".into()),
        None,
    );
    // A made-up registry name remapped to the proxy by a [[registry]] entry.
    let mut o = opts();
    o.config = Config {
        registries: vec![RegistryEntry {
            prefix: "registry.example.test".into(),
            location: Some(proxy.addr.clone()),
            insecure: true,
        }],
        ..Config::default()
    };
    let l = catalog::list("registry.example.test", &o).expect("catalog");
    let names: Vec<&str> = l.repositories.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["one", "two"]);
    assert!(
        proxy
            .seen()
            .iter()
            .filter(|s| s.path.contains("_catalog"))
            .count()
            >= 2,
        "no second page"
    );
    let l = catalog::list("registry.example.test/two", &o).expect("images");
    let mut tags: Vec<String> = l.images.iter().flat_map(|i| i.tags.clone()).collect();
    tags.sort();
    assert_eq!(tags, ["multi", "zstd"]);
    let json: serde_json::Value =
        serde_json::from_str(&archlens::report::render_listing_json(&l)).expect("json");
    assert_eq!(json["registry"], "registry.example.test");
    assert_eq!(json["repository"], "two");

    // A registry that refuses the catalog gets a clear message.
    proxy.add("_catalog", Fault::Status(403, None), None);
    let e = catalog::list("registry.example.test", &o)
        .expect_err("refused catalog")
        .to_string();
    assert!(e.contains("refuses to list its repositories"), "{e}");
}

#[test]
fn manifests_are_cached_by_digest() {
    let reg = Registry::start(None);
    let d = demo();
    push_demo(&d, &reg.addr, "demo", None);
    let proxy = Proxy::start(&reg.addr);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts();
    o.cache = Some(std::sync::Arc::new(
        archlens::cache::Cache::open(Some(dir.path()), 1 << 30).expect("cache"),
    ));
    let src = open_registry(&format!("{}/demo@{}", proxy.addr, d.index.digest), &o).expect("open");
    assert_eq!(src.root().expect("root").bytes, d.index.bytes);
    assert_eq!(src.root().expect("root again").bytes, d.index.bytes);
    let fetches = proxy
        .seen()
        .iter()
        .filter(|s| s.path.contains("/manifests/"))
        .count();
    assert_eq!(fetches, 1, "second look downloaded the manifest again");
}
