//! `archlens audit` with no SOURCE: the ECR registry of the current account and region, as
//! moto_server answers the ECR API, its host remapped by a `[[registry]]` entry to a
//! docker-registry (htpasswd user `AWS`, moto's token password) holding a generated fleet.

mod support_registry;

use std::process::Command;

use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use base64::Engine as _;
use serde_json::Value;
use support_registry::fleet::{self, HOSTILE, Kind};
use support_registry::{Moto, Proxy, Registry};

const HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
/// The same account in a second region, for an audit of several ECR registries.
const WEST: &str = "123456789012.dkr.ecr.us-west-2.amazonaws.com";

#[test]
fn audit_of_the_default_ecr_registry() {
    let moto = Moto::start();
    // archlens reaches moto through a proxy that counts its calls.
    let api = Proxy::start(moto.endpoint.trim_start_matches("http://"));
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    // Configured explicitly so the test process environment stays untouched.
    let client_in = |region: &'static str| {
        let conf = aws_sdk_ecr::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .endpoint_url(&moto.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_ecr::Client::from_conf(conf)
    };
    let ecr = client_in("us-east-1");
    let (_, password) = support_registry::ecr_login(&rt, &ecr);
    let password = password.as_str();
    // The token as ECR hands it out (base64 of `AWS:password`): neither may be printed.
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    let reg = Registry::start(Some(("AWS", password)));
    let f = fleet::push_fleet(&reg.addr, reg.creds.clone(), 4, 3);

    // ECR's record of the same manifests: index children untagged, then each tag.
    rt.block_on(async {
        for repo in &f.repositories {
            ecr.create_repository()
                .repository_name(repo)
                .send()
                .await
                .expect("create repository");
        }
        for img in &f.images {
            let mut puts: Vec<(&support_registry::Blob, Option<&str>)> =
                img.children.iter().map(|c| (c, None)).collect();
            puts.extend(img.tags.iter().map(|t| (&img.top, Some(t.as_str()))));
            for (blob, tag) in puts {
                ecr.put_image()
                    .repository_name(&img.repository)
                    .image_manifest(String::from_utf8(blob.bytes.clone()).expect("utf8"))
                    .image_manifest_media_type(&blob.media_type)
                    .image_digest(&blob.digest)
                    .set_image_tag(tag.map(str::to_string))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put_image {}: {e:?}", blob.digest));
            }
        }
    });

    let home = tempfile::tempdir().expect("tempdir");
    let h = home.path();
    let config = h.join("archlens.toml");
    std::fs::write(
        &config,
        format!(
            "[[registry]]\nprefix = \"{HOST}\"\nlocation = \"{0}\"\ninsecure = true\n\
             [[registry]]\nprefix = \"{WEST}\"\nlocation = \"{0}\"\ninsecure = true\n",
            reg.addr
        ),
    )
    .expect("write config");
    let out_dir = h.join("out");
    let run = |args: &[&str]| {
        let out =
            support_registry::archlens_on_fake_ecr(&config, &format!("http://{}", api.addr), h)
                .args(args)
                .output()
                .expect("run archlens");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for text in [&stdout, &stderr] {
            assert!(
                !text.contains(&token) && !text.contains(password),
                "printed a credential:\n{text}"
            );
        }
        assert!(out.status.success(), "archlens {args:?}:\n{stderr}");
        (stdout, stderr)
    };

    // Every tag: one record per digest, in the caller's own registry.
    let dir = format!("{}/", out_dir.display());
    let (_, err) = run(&[
        "audit", "--tags", "all", "-t", "graviton", "-t", "lambda", "--out", &dir,
    ]);
    let text = std::fs::read_to_string(out_dir.join("audit.jsonl")).expect("records");
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    assert_eq!(recs.len(), f.images.len(), "{err}");
    // One registry client for the whole run: one token, not one per image or repository.
    let logins = api
        .seen()
        .iter()
        .filter(|s| s.is("GetAuthorizationToken"))
        .count();
    assert!(f.images.len() > 4, "several images: {}", f.images.len());
    assert_eq!(
        logins,
        1,
        "GetAuthorizationToken calls for {} images",
        f.images.len()
    );
    for r in &recs {
        assert_eq!(r["status"], "assessed", "{r}");
        let reference = r["reference"].as_str().unwrap_or("");
        assert!(reference.starts_with(&format!("{HOST}/")), "{reference}");
    }
    let verdict_of = |kind: Kind, target: usize| {
        let img = f.images.iter().find(|i| i.kind == kind).expect("kind");
        let r = recs
            .iter()
            .find(|r| r["digest"] == img.top.digest.as_str())
            .expect("record");
        r["results"][target]["verdict"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // arm64 images run on Graviton; an index is refused by Lambda; the x86-64 addon fails.
    assert_eq!(verdict_of(Kind::Arm64, 0), "pass");
    assert_eq!(verdict_of(Kind::Multi, 0), "pass");
    assert_eq!(verdict_of(Kind::Multi, 1), "fail");
    assert_eq!(verdict_of(Kind::ForeignAddon, 0), "fail");
    assert_eq!(verdict_of(Kind::Amd64, 1), "pass");

    // The default tag choice: `latest` of each repository.
    let (md, _) = run(&[
        "audit", "-t", "graviton", "-t", "lambda", "--format", "markdown",
    ]);
    let row = md
        .lines()
        .find(|l| l.starts_with("| graviton |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert_eq!(row, "| graviton | linux/arm64 | 2 | 0 | 2 | 0 |", "{md}");
    assert!(md.contains("index refused"), "{md}");
    assert!(!md.contains(HOSTILE), "{md}");

    // The first repository replicated to us-west-2: the same names and digests in a second
    // registry are records of their own, sorted by registry, and resume as such.
    let west = client_in("us-west-2");
    let first = &f.repositories[0];
    let replicated: Vec<_> = f.images.iter().filter(|i| &i.repository == first).collect();
    rt.block_on(async {
        west.create_repository()
            .repository_name(first)
            .send()
            .await
            .expect("create repository in us-west-2");
        for img in &replicated {
            let mut puts: Vec<(&support_registry::Blob, Option<&str>)> =
                img.children.iter().map(|c| (c, None)).collect();
            puts.extend(img.tags.iter().map(|t| (&img.top, Some(t.as_str()))));
            for (blob, tag) in puts {
                west.put_image()
                    .repository_name(first)
                    .image_manifest(String::from_utf8(blob.bytes.clone()).expect("utf8"))
                    .image_manifest_media_type(&blob.media_type)
                    .image_digest(&blob.digest)
                    .set_image_tag(tag.map(str::to_string))
                    .send()
                    .await
                    .expect("put_image in us-west-2");
            }
        }
    });
    let both = h.join("both.jsonl");
    let both_s = both.display().to_string();
    let two = |extra: &[&str]| {
        let mut a = vec![
            "audit",
            "--region",
            "us-east-1",
            "--region",
            "us-west-2",
            "--tags",
            "all",
            "-t",
            "graviton",
            "-t",
            "lambda",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    api.clear();
    let (_, err) = two(&["--out", &both_s]);
    let text = std::fs::read_to_string(&both).expect("records");
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    assert_eq!(recs.len(), f.images.len() + replicated.len(), "{err}");
    let hosts: Vec<&str> = recs
        .iter()
        .map(|r| {
            r["reference"]
                .as_str()
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("")
        })
        .collect();
    let east_n = hosts.iter().filter(|h| **h == HOST).count();
    assert_eq!(
        (east_n, hosts.len() - east_n),
        (f.images.len(), replicated.len())
    );
    let mut sorted = hosts.clone();
    sorted.sort();
    assert_eq!(hosts, sorted, "records are grouped by registry");
    for r in recs
        .iter()
        .filter(|r| r["reference"].as_str().is_some_and(|x| x.starts_with(WEST)))
    {
        assert_eq!(
            r["repository"],
            first.as_str(),
            "the name stays the repository's"
        );
        assert_eq!(r["status"], "assessed", "{r}");
    }
    let logins = api
        .seen()
        .iter()
        .filter(|s| s.is("GetAuthorizationToken"))
        .count();
    assert_eq!(logins, 2, "one token per registry");
    // Resuming reads nothing again: the west copies are not taken for the east ones.
    let (_, err) = two(&["--out", &both_s]);
    assert!(err.contains("read 0 new images"), "{err}");
    assert_eq!(std::fs::read_to_string(&both).expect("records"), text);
    // Shards (by repository name) merge to the same file.
    let mut parts = Vec::new();
    for i in 0..2 {
        let p = h.join(format!("part{i}.jsonl")).display().to_string();
        two(&["--shard", &format!("{i}/2"), "--out", &p]);
        parts.push(p);
    }
    let merged = h.join("merged.jsonl").display().to_string();
    let mut m = vec!["audit", "merge"];
    m.extend(parts.iter().map(String::as_str));
    m.extend(["--out", &merged]);
    run(&m);
    assert_eq!(std::fs::read_to_string(&merged).expect("merged"), text);
    // Several regions name several ECR registries; a registry host is one.
    let out = Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "audit",
            "localhost:1",
            "--region",
            "us-east-1",
            "--region",
            "us-west-2",
        ])
        .output()
        .expect("run archlens");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not ECR"));
}
