//! The whole ECR path for real: moto_server answers the ECR API (token, DescribeRepositories,
//! DescribeImages, BatchGetImage); the registry host is remapped by a `[[registry]]` entry to
//! a local docker-registry whose htpasswd user is `AWS` with the password from moto's token.
//! One test function: it sets process environment variables for the AWS SDK.

mod support_registry;

use std::io::Read;
use std::time::Duration;

use archlens::catalog;
use archlens::oci::Digest;
use archlens::source::registry::{RegistryOptions, RetryPolicy, open_registry};
use aws_sdk_ecr::types::ImageIdentifier;
use support_registry::{Blob, ECR_HOST as HOST, FakeEcr, Fault, Proxy, demo, push_demo};

#[test]
fn ecr_listing_token_and_pull_through_a_remapped_host() {
    // The SDK reaches moto through a proxy that can inject AWS error answers.
    // SAFETY: this test binary has a single test, so no other thread reads the environment
    // while it is changed; the SDK reads it afterwards.
    let f = unsafe { FakeEcr::start() };
    let (rt, ecr, api, reg) = (&f.rt, &f.ecr, &f.api, &f.reg);
    // The password moto hands out becomes the htpasswd password of user AWS.
    let password = f.password.as_str();
    assert_eq!(f.user, "AWS");
    let v2 = Proxy::start(&reg.addr);
    let d = demo();
    push_demo(&d, &reg.addr, "team/app", reg.creds.as_ref());

    // The same manifests in moto, as ECR stores them: tagged tops, untagged children, and a
    // SOCI-style referrer of the zstd image.
    let attestations: Vec<Blob> = serde_json::from_slice::<serde_json::Value>(&d.index.bytes)
        .expect("index json")["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter(|m| m["annotations"].is_object())
        .map(|m| {
            let digest = m["digest"].as_str().expect("digest").to_string();
            let hex = digest.trim_start_matches("sha256:");
            Blob {
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                bytes: std::fs::read(d.layout.dir.path().join("blobs/sha256").join(hex))
                    .expect("attestation blob"),
                digest,
            }
        })
        .collect();
    assert_eq!(attestations.len(), 2);
    let soci = support_registry::Layout::new();
    let soci_cfg = soci.add("application/vnd.amazon.soci.index.v1+json", b"{}".to_vec());
    let soci_manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.amazon.soci.index.v1+json",
        "config": soci_cfg.descriptor(),
        "layers": [],
        "subject": d.zstd_image.descriptor(),
    });
    let soci = soci.add(
        "application/vnd.oci.image.manifest.v1+json",
        serde_json::to_vec(&soci_manifest).expect("json"),
    );
    rt.block_on(async {
        ecr.create_repository()
            .repository_name("team/app")
            .send()
            .await
            .expect("create team/app");
        ecr.create_repository()
            .repository_name("other")
            .send()
            .await
            .expect("create other");
        let mut puts: Vec<(&Blob, Option<&str>)> = vec![
            (&d.amd64, None),
            (&d.arm64, None),
            (&d.index, Some("multi")),
            (&d.zstd_image, Some("zstd")),
            (&soci, None),
        ];
        for a in &attestations {
            puts.push((a, None));
        }
        for (blob, tag) in puts {
            ecr.put_image()
                .repository_name("team/app")
                .image_manifest(String::from_utf8(blob.bytes.clone()).expect("utf8"))
                .image_manifest_media_type(&blob.media_type)
                // moto computes index digests wrongly; ECR's are sha256 of the bytes.
                .image_digest(&blob.digest)
                .set_image_tag(tag.map(str::to_string))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put_image {}: {e:?}", blob.digest));
        }
        let got = ecr
            .batch_get_image()
            .repository_name("team/app")
            .image_ids(ImageIdentifier::builder().image_tag("multi").build())
            .send()
            .await
            .expect("batch_get_image");
        assert_eq!(got.images().len(), 1);
    });

    let opts = RegistryOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            budget: Duration::from_secs(20),
        },
        ..FakeEcr::options(&v2.addr)
    };

    // DescribeRepositories.
    let l = catalog::list(HOST, &opts).expect("list repositories");
    let names: Vec<&str> = l.repositories.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["other", "team/app"]);
    // DescribeImages per repository: the tagged images (multi, zstd; not the index children,
    // attestations or the SOCI index) and the latest push.
    let counts: Vec<Option<usize>> = l.repositories.iter().map(|r| r.image_count).collect();
    assert_eq!(counts, [Some(0), Some(2)]);
    let pushed = l.repositories[1].last_pushed_at.as_deref().unwrap_or("");
    assert!(
        pushed.len() >= 16 && pushed.as_bytes()[10] == b'T',
        "{pushed}"
    );
    assert_eq!(l.repositories[0].last_pushed_at, None);
    let text = archlens::report::listing::render_listing_text(&l);
    let row = text
        .lines()
        .find(|r| r.starts_with("team/app"))
        .unwrap_or("");
    assert!(
        text.starts_with("REPOSITORY  IMAGES  LAST PUSH") && row.contains(&pushed[..10]),
        "{text}"
    );

    // No target: the caller's own registry in the configured region.
    let l = catalog::list_default_ecr(&opts).expect("default registry");
    assert_eq!(l.registry, HOST);
    assert_eq!(l.repositories.len(), 2);

    // DescribeImages + BatchGetImage, grouped; the zstd image's platform comes from its
    // config, read over the v2 API with the ECR token.
    let l = catalog::list(&format!("{HOST}/team/app"), &opts).expect("list images");
    let multi = support_registry::assert_multi_listed(&l);
    assert!(multi.pushed_at.is_some(), "pushedAt missing");
    let z = l.images.iter().find(|i| i.tags == ["zstd"]).expect("zstd");
    assert_eq!(z.platforms.len(), 1);
    assert_eq!(z.platforms[0].platform, "linux/arm/v7");
    assert_eq!(z.related.len(), 1);
    assert_eq!(z.related[0].kind, "soci-index");
    assert_eq!(z.related[0].digest, soci.digest);
    assert_eq!(
        (z.related[0].artifact, z.related[0].found),
        (
            archlens::oci::manifest::Artifact::SociIndex,
            catalog::Found::Subject
        )
    );

    // A pull: the ECR token authenticates against the remapped registry.
    let src = open_registry(&format!("{HOST}/team/app:multi"), &opts).expect("open");
    assert_eq!(src.root().expect("root").bytes, d.index.bytes);
    let layer: Digest = d.amd64_layer.digest.parse().expect("digest");
    let mut b = src
        .blob(&layer, d.amd64_layer.bytes.len() as u64)
        .expect("blob");
    let mut got = Vec::new();
    b.read_to_end(&mut got).expect("read blob");
    assert_eq!(got, d.amd64_layer.bytes);

    // A missing repository says so, with the region.
    let e = catalog::list(&format!("{HOST}/nope"), &opts)
        .expect_err("missing repo listed")
        .to_string();
    assert!(e.contains("nope") && e.contains("us-east-1"), "{e}");
    assert!(!e.contains(password), "credential in error: {e}");

    // IAM denials name the action.
    let denied = |action: &str| {
        Fault::Respond(
            400,
            vec![
                ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                ("x-amzn-ErrorType".into(), "AccessDeniedException".into()),
            ],
            format!(
                r#"{{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {action}"}}"#
            ),
        )
    };
    api.add("/", denied("ecr:DescribeImages"), Some(1));
    let e = catalog::list(&format!("{HOST}/team/app"), &opts)
        .expect_err("denied listed")
        .to_string();
    assert!(
        e.contains("ECR denied ecr:DescribeImages on team/app"),
        "{e}"
    );
    assert!(e.contains("AmazonEC2ContainerRegistryReadOnly"), "{e}");
    v2.add("/manifests/", Fault::Status(403, None), Some(1));
    let e = open_registry(&format!("{HOST}/team/app:zstd"), &opts)
        .expect("open")
        .root()
        .expect_err("403 accepted")
        .to_string();
    assert!(e.contains("ECR refused ecr:BatchGetImage"), "{e}");

    // ThrottlingException is retried by the SDK and the listing still succeeds.
    let throttled = Fault::Respond(
        400,
        vec![
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("x-amzn-ErrorType".into(), "ThrottlingException".into()),
        ],
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into(),
    );
    api.add("/", throttled, Some(2));
    let l = catalog::list(HOST, &opts).expect("list after throttling");
    assert_eq!(l.repositories.len(), 2);

    // Nothing was ever written through the registry API.
    for s in v2.seen() {
        assert_eq!(s.method, "GET", "{} {}", s.method, s.path);
    }
}
