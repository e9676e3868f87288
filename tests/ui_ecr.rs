//! The ECR screens for real: moto_server answers the ECR API (token, DescribeRepositories,
//! DescribeImages, BatchGetImage); the registry host is remapped by a `[[registry]]` entry to
//! a local docker-registry holding two demo images, whose htpasswd user is `AWS` with the
//! password from moto's token. One test function: it sets process environment variables.
//! moto has no archive storage class nor scan summaries: a proxy in front of it adds
//! `imageStatus` ARCHIVED and `lastArchivedAt` to its real DescribeImages answer for one image
//! (demo/old:old) only, and `imageScanFindingsSummary` for mac-arm64 only.

mod support_registry;
mod ui_support;

use archlens::ui::Launch;
use archlens::ui::app::ScreenKind;
use support_registry::{FakeEcr, Fault};
use ui_support::{Harness, demo_dir};

/// A manifest of the demo layout by digest, with its media type.
fn manifest(digest: &str) -> (String, String) {
    let hex = digest.trim_start_matches("sha256:");
    let bytes = std::fs::read(demo_dir().join("blobs/sha256").join(hex))
        .unwrap_or_else(|e| panic!("demo blob {digest}: {e}"));
    let text = String::from_utf8(bytes).expect("manifest is UTF-8");
    let v: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
    let mt = v["mediaType"]
        .as_str()
        .unwrap_or("application/vnd.oci.image.manifest.v1+json")
        .to_string();
    (text, mt)
}

/// The digest the demo layout's index.json gives a ref name.
fn digest_of(tag: &str) -> String {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo_dir().join("index.json")).expect("index.json"))
            .expect("index JSON");
    index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("{tag} not in the demo layout"))
        .to_string()
}

#[test]
fn ecr_repositories_images_and_a_failing_image() {
    // SAFETY: this test binary has a single test; the environment is set before any thread
    // of the SDK reads it.
    let f = unsafe { FakeEcr::start() };
    let (rt, ecr, api, reg) = (&f.rt, &f.ecr, &f.api, &f.reg);
    for tag in ["good", "mac-arm64"] {
        reg.push(&demo_dir(), tag, &format!("demo/app:{tag}"));
    }

    // The same manifests in moto, as ECR stores them: tagged tops, untagged children.
    let good = digest_of("good");
    let (good_text, good_mt) = manifest(&good);
    let children: Vec<String> = serde_json::from_str::<serde_json::Value>(&good_text)
        .expect("index JSON")["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| m["digest"].as_str().map(str::to_string))
        .collect();
    let mut puts: Vec<(String, Option<&str>)> = children.into_iter().map(|d| (d, None)).collect();
    puts.push((good, Some("good")));
    let mac = digest_of("mac-arm64");
    puts.push((mac.clone(), Some("mac-arm64")));
    // Attachments of mac-arm64, only in moto (never pulled): a cosign signature under its
    // `sha256-<hex>.sig` tag and an untagged SOCI v1 index naming it as `subject`.
    let (mac_text, mac_mt) = manifest(&mac);
    let empty = serde_json::json!({"mediaType": "application/vnd.oci.empty.v1+json",
        "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2});
    let subject = serde_json::json!({"mediaType": mac_mt, "digest": mac, "size": mac_text.len()});
    let sig = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2}]});
    let soci = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.amazon.soci.index.v1+json",
        "config": empty, "layers": [], "subject": subject});
    let sig_tag = format!("{}.sig", mac.replace(':', "-"));
    let extra: Vec<(String, Option<String>)> = vec![
        (serde_json::to_string(&sig).expect("json"), Some(sig_tag)),
        (serde_json::to_string(&soci).expect("json"), None),
    ];
    rt.block_on(async {
        ecr.create_repository()
            .repository_name("demo/app")
            .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
            .send()
            .await
            .expect("create demo/app");
        for (digest, tag) in &puts {
            let (text, mt) = if *tag == Some("good") {
                (good_text.clone(), good_mt.clone())
            } else {
                manifest(digest)
            };
            ecr.put_image()
                .repository_name("demo/app")
                .image_manifest(text)
                .image_manifest_media_type(mt)
                // moto computes index digests wrongly; ECR's are sha256 of the bytes.
                .image_digest(digest)
                .set_image_tag(tag.map(str::to_string))
                .send()
                .await
                .unwrap_or_else(|e| panic!("put_image {digest}: {e:?}"));
        }
        // An archived image in a repository of its own (never pulled: it cannot be).
        let old = digest_of("lambda-ok");
        let (text, mt) = manifest(&old);
        ecr.create_repository()
            .repository_name("demo/old")
            .send()
            .await
            .expect("create demo/old");
        ecr.put_image()
            .repository_name("demo/old")
            .image_manifest(text)
            .image_manifest_media_type(mt)
            .image_digest(&old)
            .image_tag("old")
            .send()
            .await
            .expect("put_image old");
        api.add(
            "/",
            Fault::MergeJson {
                array: "imageDetails".into(),
                key: "imageDigest".into(),
                value: old.clone(),
                // 2026-11-02T10:00:00Z in the AWS JSON protocol's epoch seconds.
                fields: serde_json::json!({"imageStatus": "ARCHIVED", "lastArchivedAt": 1_793_613_600.0}),
            },
            None,
        );
        for (text, tag) in &extra {
            ecr.put_image()
                .repository_name("demo/app")
                .image_manifest(text)
                .image_manifest_media_type("application/vnd.oci.image.manifest.v1+json")
                .image_digest(support_registry::sha256(text.as_bytes()))
                .set_image_tag(tag.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("put_image attachment {tag:?}: {e:?}"));
        }
    });

    // Injected: mac-arm64's scan summary (moto's DescribeImages has none).
    api.add(
        "/",
        Fault::MergeJson {
            array: "imageDetails".into(),
            key: "imageDigest".into(),
            value: mac.clone(),
            fields: serde_json::json!({"imageScanFindingsSummary": {
                "findingSeverityCounts": {"CRITICAL": 2, "MEDIUM": 1},
            }}),
        },
        None,
    );
    let mut opts = FakeEcr::options(&reg.addr);
    opts.aws.region = Some("us-east-1".into());
    // No automatic check (tests/ui_registry.rs has its own): the hint before `c` is looked at.
    opts.config.explorer.auto_check_mb = 0;
    let mut h = Harness::launch_with(
        Launch::Ecr {
            profile: None,
            region: Some("us-east-1".into()),
        },
        Some(opts.clone()),
    );
    let repos = h.render(120, 40);
    assert!(repos.contains("demo/app"), "{repos}");
    // Count and last push arrive after the listing (DescribeImages in the background), and
    // read at 80 columns: `demo/app  2  2026-12-01 07:16  2026-12-01 07:15`.
    let small = h.render(80, 24);
    let row = small
        .lines()
        .find(|l| l.contains("demo/app"))
        .unwrap_or_else(|| panic!("demo/app listed:\n{small}"));
    let words: Vec<&str> = row
        .trim_matches(|c| c == '│' || c == ' ')
        .split_whitespace()
        .collect();
    assert_eq!(words.first(), Some(&"demo/app"), "{small}");
    assert_eq!(
        words.get(1),
        Some(&"2"),
        "two tagged images, the signature tag not counted:\n{small}"
    );
    let minute = |w: Option<&&str>| w.is_some_and(|w| w.len() == 5 && w.as_bytes()[2] == b':');
    assert!(
        words
            .get(2)
            .is_some_and(|d| d.len() == 10 && d.as_bytes()[4] == b'-')
            && minute(words.get(3)),
        "last push to the minute:\n{small}"
    );
    assert!(!row.contains('T'), "no raw RFC 3339 time:\n{small}");
    // moto answers the tag mutability it was created with; it fits as a column at 80.
    assert!(
        small.contains("MUTABILITY") && row.contains(" immutable "),
        "{small}"
    );
    assert!(
        repos.contains("ECR") && repos.contains("region:us-east-1"),
        "{repos}"
    );
    h.keys(&["Enter"]);
    // Only manifests are read at first: a label is a hint, not a verdict.
    let first = h.render(120, 40);
    let mac = first
        .lines()
        .find(|l| l.contains("│mac-arm64 "))
        .unwrap_or_else(|| panic!("mac-arm64 is listed:\n{first}"));
    assert!(
        mac.contains("? labelled arm64") && !mac.contains("FAIL"),
        "{first}"
    );
    // Its signature and SOCI index are named beside it, not listed as images of their own.
    assert!(
        mac.contains("+1 SOCI index +1 signature"),
        "attachments of mac-arm64:\n{first}"
    );
    assert!(
        !first.contains(".sig") && !first.contains("<untagged>"),
        "an attachment listed as an image:\n{first}"
    );
    // `c` reads every listed image through ECR: now the badges are verdicts from the files.
    h.keys(&["c"]);
    let images = h.render(120, 40);
    let line = |tag: &str| {
        images
            .lines()
            .find(|l| l.contains(&format!("│{tag} ")))
            .unwrap_or_else(|| panic!("{tag} is listed:\n{images}"))
            .to_string()
    };
    assert!(line("mac-arm64").contains("FAIL"), "{images}");
    assert!(
        line("good").contains("amd64 arm64 +2 attestations") && line("good").contains("PASS"),
        "{images}"
    );
    h.select_tag("mac-arm64");
    let selected = h.render(80, 24);
    assert!(
        selected.contains("scan findings of mac-arm64: 2 critical, 1 medium"),
        "the selected image's scan findings:\n{selected}"
    );
    h.keys(&["Enter"]);
    let image = h.render(120, 40);
    assert!(
        matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Image(_))),
        "{image}"
    );
    assert!(
        image.contains("FAIL on apprunner") && image.contains("exec format error"),
        "{image}"
    );

    // Another region of the same moto (moto keeps state per region): one repository there.
    rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .load()
            .await;
        aws_sdk_ecr::Client::new(&conf)
            .create_repository()
            .repository_name("eu/only")
            .send()
            .await
            .expect("create eu/only in eu-west-1");
    });
    h.keys(&[":"]);
    h.typed("region eu-west-1");
    h.keys(&["Enter"]);
    let eu = h.render(120, 40);
    assert!(
        eu.contains("region:eu-west-1") && eu.contains("eu/only") && !eu.contains("demo/app"),
        "switched in place to eu-west-1:\n{eu}"
    );
    assert!(
        matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Repos(_)))
            && h.app.stack.len() == 1,
        "{eu}"
    );
    // Back, through another account id (moto's own): the header names it.
    h.keys(&[":"]);
    h.typed("region us-east-1");
    h.keys(&["Enter", ":"]);
    h.typed("registry 123456789012");
    h.keys(&["Enter"]);
    let back = h.render(120, 40);
    assert!(
        back.contains("region:us-east-1")
            && back.contains("registry:123456789012")
            && back.contains("demo/app")
            && !back.contains("eu/only"),
        "{back}"
    );
    h.keys(&["Enter"]);
    let again = h.render(120, 40);
    assert!(
        again.contains("│mac-arm64 "),
        "images of the switched registry:\n{again}"
    );
    h.keys(&[":"]);
    h.typed("registry 42");
    h.keys(&["Enter"]);
    let bad = h
        .app
        .status
        .as_ref()
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    assert!(bad.contains("12 digits"), "{bad}");

    // The archived image is listed as such, and Enter says why it does not open. The
    // automatic check is on: it never tries to read an archived image.
    opts.config.explorer.auto_check_mb = 300;
    let mut h = Harness::launch_with(
        Launch::Ecr {
            profile: None,
            region: Some("us-east-1".into()),
        },
        Some(opts),
    );
    h.render(120, 40);
    h.keys(&["Down", "Enter"]);
    let old = h.render(120, 40);
    let row = old
        .lines()
        .find(|l| l.contains("│old "))
        .unwrap_or_else(|| {
            panic!(
                "old is listed:
{old}"
            )
        });
    assert!(
        row.contains("⏸ ARCHIVED") && row.contains("since 2026-11-02 10:00 · unpullable"),
        "{old}"
    );
    let narrow = h.render(80, 24);
    assert!(
        narrow.contains("⏸ ARCHIVED") && narrow.contains("since 2026-11-02"),
        "{narrow}"
    );
    assert!(
        h.app.failed.is_empty()
            && h.app.images.is_empty()
            && narrow.contains("auto-check: 0 B of 300.0 MB used"),
        "nothing read of an archived image:\n{narrow}"
    );
    h.keys(&["Enter"]);
    let refused = h.render(120, 40);
    assert!(
        matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Images(_)))
            && refused.contains("demo/old:old is archived in ECR since 2026-11-02 10:00"),
        "{refused}"
    );
    h.keys(&["y"]);
    let copied = h
        .app
        .status
        .as_ref()
        .map(|(_, m)| m.clone())
        .unwrap_or_default();
    assert_eq!(
        copied,
        format!(
            "copied aws ecr update-image-storage-class --registry-id 123456789012 --region us-east-1 --repository-name demo/old --image-id imageDigest={} --target-storage-class STANDARD (OSC 52)",
            digest_of("lambda-ok")
        ),
        "y copies the restore command"
    );
}
