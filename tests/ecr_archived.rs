//! Archived ECR images, as `ls` and `check`/`inspect` tell them. moto answers the ECR API but
//! has no archive storage class, so a proxy in front of it adds to its real DescribeImages
//! answer, for the `zstd` image only, the fields moto lacks: `imageStatus` (ARCHIVED, then
//! ACTIVATING) and `lastArchivedAt`. The registry proxy answers 404 to pulls of that image,
//! as ECR does for an archived one (ECR User Guide, "Archiving an image").
//! One test function: it sets process environment variables for the AWS SDK.

mod support_registry;

use archlens::catalog;
use archlens::source::ecr::ImageStatus;
use serde_json::{Value, json};
use support_registry::{Blob, ECR_HOST as HOST, FakeEcr, Fault, Proxy, Seen, demo, push_demo};
/// 2026-11-02T10:00:00Z, as the AWS JSON protocol sends times (epoch seconds).
const ARCHIVED_AT: f64 = 1_793_613_600.0;

/// The fields moto does not implement, injected into the `zstd` image's ImageDetail.
fn inject(api: &Proxy, digest: &str, status: &str) {
    api.clear();
    api.add(
        "/",
        Fault::MergeJson {
            array: "imageDetails".into(),
            key: "imageDigest".into(),
            value: digest.into(),
            fields: json!({ "imageStatus": status, "lastArchivedAt": ARCHIVED_AT }),
        },
        None,
    );
}

/// The DescribeImages calls the API proxy saw, in order.
fn describe_images(api: &Proxy) -> Vec<Seen> {
    api.seen()
        .into_iter()
        .filter(|s| s.is("DescribeImages"))
        .collect()
}

/// Runs the binary with the AWS SDK pointed at the API proxy and `config` remapping the host.
fn archlens(api: &Proxy, config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let home = config.parent().expect("config dir");
    let out = support_registry::archlens_on_fake_ecr(config, &format!("http://{}", api.addr), home)
        .args(args)
        .output()
        .expect("run archlens");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn archived_images_are_listed_as_such_and_checked_with_the_restore_command() {
    // SAFETY: this test binary has a single test, so no other thread reads the environment
    // while it is changed; the SDK reads it afterwards.
    let f = unsafe { FakeEcr::start() };
    let api = &f.api;
    let v2 = Proxy::start(&f.reg.addr);
    let d = demo();
    push_demo(&d, &f.reg.addr, "team/app", f.reg.creds.as_ref());
    f.create("team/app");
    let puts: [(&Blob, Option<&str>); 4] = [
        (&d.amd64, None),
        (&d.arm64, None),
        (&d.index, Some("multi")),
        (&d.zstd_image, Some("zstd")),
    ];
    for (blob, tag) in puts {
        f.put("team/app", blob, tag);
    }
    let archived = d.zstd_image.digest.clone();
    inject(api, &archived, "ARCHIVED");
    // ECR's answer to a pull of an archived image, by tag or by digest.
    v2.add("/manifests/zstd", Fault::Status(404, None), None);
    v2.add(
        &format!("/manifests/{archived}"),
        Fault::Status(404, None),
        None,
    );

    // The listing names its status and when it was archived; the other image is untouched.
    let opts = FakeEcr::options(&v2.addr);
    let l = catalog::list(&format!("{HOST}/team/app"), &opts).expect("list images");
    let z = l.images.iter().find(|i| i.tags == ["zstd"]).expect("zstd");
    assert_eq!(z.image_status, Some(ImageStatus::Archived));
    assert_eq!(z.last_archived_at.as_deref(), Some("2026-11-02T10:00:00Z"));
    let multi = l
        .images
        .iter()
        .find(|i| i.tags == ["multi"])
        .expect("multi");
    assert_eq!(multi.image_status, None, "moto says nothing of multi");
    let text = archlens::report::render_listing_text(&l);
    let row = text.lines().find(|r| r.starts_with("zstd")).unwrap_or("");
    assert!(
        text.lines().next().unwrap_or("").contains("STATUS")
            && row.contains("archived 2026-11-02 10:00"),
        "{text}"
    );
    assert!(
        text.contains("note: 1 archived image: pulls fail until restored with `aws ecr update-image-storage-class --repository-name team/app"),
        "{text}"
    );
    let j: Value = serde_json::from_str(&archlens::report::render_listing_json(&l)).expect("json");
    let zj = j["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "zstd")
        .expect("zstd in json");
    assert_eq!(
        (&zj["image_status"], &zj["last_archived_at"]),
        (&json!("archived"), &json!("2026-11-02T10:00:00Z"))
    );

    // check and inspect: a result of their own with the restore command, exit status 3.
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("archlens.toml");
    std::fs::write(
        &config,
        format!(
            "[[registry]]\nprefix = \"{HOST}\"\nlocation = \"{}\"\ninsecure = true\n",
            v2.addr
        ),
    )
    .expect("write config");
    let image = format!("{HOST}/team/app:zstd");
    let restore = format!(
        "aws ecr update-image-storage-class --registry-id 123456789012 --region us-east-1 --repository-name team/app --image-id imageDigest={archived} --target-storage-class STANDARD"
    );
    api.seen.lock().expect("seen").clear();
    let (code, out, err) = archlens(api, &config, &["check", &image]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("archived in ECR since 2026-11-02 10:00 (ARCHIVED): every pull fails until it is restored"),
        "{out}"
    );
    // One DescribeImages naming the image (any status), not a listing of the repository.
    let described = describe_images(api);
    assert_eq!(described.len(), 1, "{described:#?}");
    assert!(
        described[0]
            .body
            .contains(r#""imageIds":[{"imageTag":"zstd"}]"#)
            && described[0].body.contains(r#""imageStatus":"ANY""#),
        "{described:#?}"
    );
    assert!(out.contains(&format!("restore: {restore}")), "{out}");
    assert!(!out.contains("not found") && err.is_empty(), "{out}{err}");
    let (code, out, _) = archlens(
        api,
        &config,
        &["check", &image, "--format", "json", "-t", "lambda"],
    );
    assert_eq!(code, 3);
    let j: Value = serde_json::from_str(&out).expect("check json");
    assert_eq!(
        (&j["status"], &j["image_status"], &j["restore_command"]),
        (&json!("unpullable"), &json!("archived"), &json!(restore))
    );
    assert_eq!(j["results"][0]["target"], "lambda");
    assert_eq!(j["results"][0]["verdict"], "unpullable");
    let by_digest = format!("{HOST}/team/app@{archived}");
    let (code, out, err) = archlens(api, &config, &["inspect", &by_digest]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("archived in ECR since 2026-11-02 10:00"),
        "{out}"
    );
    // `diff` exits as `check` does, with the same restore command.
    let (code, out, err) = archlens(api, &config, &["diff", &image, &by_digest]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains(&format!("restore: {restore}")), "{out}");

    // Being restored: said so, and no command to run again.
    inject(api, &archived, "ACTIVATING");
    let (code, out, _) = archlens(api, &config, &["check", &image]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("being restored from ECR's archive since 2026-11-02 10:00 (ACTIVATING)")
            && !out.contains("restore: aws"),
        "{out}"
    );

    // An endpoint that refuses `imageIds` with the status filter: the repository is listed
    // to find the image, and the answer is the same.
    inject(api, &archived, "ARCHIVED");
    api.add(
        "/",
        Fault::RefuseTarget {
            operation: "DescribeImages".into(),
            body_contains: "imageIds".into(),
            code: "InvalidParameterException".into(),
        },
        None,
    );
    let (code, out, _) = archlens(api, &config, &["check", &by_digest]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("archived in ECR since 2026-11-02 10:00"),
        "{out}"
    );
    let described = describe_images(api);
    assert!(
        described.len() >= 2
            && described[0]
                .body
                .contains(&format!(r#""imageDigest":"{archived}""#))
            && described[1..].iter().all(|s| !s.body.contains("imageIds")),
        "the refused call, then the listing: {described:#?}"
    );
    inject(api, &archived, "ARCHIVED");

    // A pullable image is checked as always, and a missing tag is still "not found".
    let (code, out, err) = archlens(api, &config, &["check", &format!("{HOST}/team/app:multi")]);
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(!out.contains("archived"), "{out}");
    let (code, _, err) = archlens(api, &config, &["check", &format!("{HOST}/team/app:nope")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("not found") && !err.contains("archived"),
        "{err}"
    );
}
