//! What `ls` says of ECR repositories and images beyond counts: tag mutability (moto answers
//! it, `*_WITH_EXCLUSION` included), pull-through cache repositories and scan findings. moto
//! implements neither DescribePullThroughCacheRules nor `imageScanFindingsSummary`, so a
//! proxy in front of it injects them: the whole DescribePullThroughCacheRules answer (rule
//! `docker-hub` -> `registry-1.docker.io`), and `imageScanFindingsSummary` merged into the
//! `zstd` image's ImageDetail of moto's real DescribeImages answer.
//! One test function: it sets process environment variables for the AWS SDK.

mod support_registry;

use archlens::catalog;
use aws_sdk_ecr::types::{
    ImageTagMutability, ImageTagMutabilityExclusionFilter, ImageTagMutabilityExclusionFilterType,
};
use serde_json::{Value, json};
use support_registry::{ECR_HOST as HOST, FakeEcr, Fault, demo, push_demo};

#[test]
fn ls_shows_tag_mutability_pull_through_upstreams_and_scan_findings() {
    // SAFETY: this test binary has a single test, so no other thread reads the environment
    // while it is changed; the SDK reads it afterwards.
    let f = unsafe { FakeEcr::start() };
    let (rt, ecr, api) = (&f.rt, &f.ecr, &f.api);
    let d = demo();
    push_demo(&d, &f.reg.addr, "team/app", f.reg.creds.as_ref());
    rt.block_on(async {
        ecr.create_repository()
            .repository_name("team/app")
            .image_tag_mutability(ImageTagMutability::ImmutableWithExclusion)
            .image_tag_mutability_exclusion_filters(
                ImageTagMutabilityExclusionFilter::builder()
                    .filter_type(ImageTagMutabilityExclusionFilterType::Wildcard)
                    .filter("latest")
                    .build()
                    .expect("filter"),
            )
            .send()
            .await
            .expect("create team/app");
    });
    for name in ["plain", "docker-hub/library/nginx"] {
        f.create(name);
    }
    f.put("team/app", &d.zstd_image, Some("zstd"));
    f.put("team/app", &d.amd64, Some("amd64"));
    // Injected: the pull-through cache rules (moto has no such call) ...
    api.add(
        "/",
        Fault::AnswerTarget {
            operation: "DescribePullThroughCacheRules".into(),
            body: json!({"pullThroughCacheRules": [
                {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io",
                 "registryId": "123456789012", "upstreamRegistry": "docker-hub"},
                {"ecrRepositoryPrefix": "team/app/x", "upstreamRegistryUrl": "ghcr.io"},
            ]})
            .to_string(),
        },
        None,
    );
    // ... and the zstd image's scan summary (moto's DescribeImages has none).
    api.add(
        "/",
        Fault::MergeJson {
            array: "imageDetails".into(),
            key: "imageDigest".into(),
            value: d.zstd_image.digest.clone(),
            fields: json!({"imageScanFindingsSummary": {
                "imageScanCompletedAt": 1_793_613_600.0,
                "vulnerabilitySourceUpdatedAt": 1_793_613_600.0,
                "findingSeverityCounts": {"CRITICAL": 1, "HIGH": 3, "LOW": 0},
            }}),
        },
        None,
    );
    let opts = FakeEcr::options(&f.reg.addr);

    // Repositories: mutability as moto answers it, the upstream of the one under `docker-hub/`.
    let l = catalog::list(HOST, &opts).expect("list repositories");
    let repo = |n: &str| {
        l.repositories
            .iter()
            .find(|r| r.name == n)
            .unwrap_or_else(|| panic!("{n} in {:?}", l.repositories))
    };
    assert_eq!(
        repo("team/app").tag_mutability.as_deref(),
        Some("IMMUTABLE_WITH_EXCLUSION")
    );
    assert_eq!(repo("plain").tag_mutability.as_deref(), Some("MUTABLE"));
    assert_eq!(
        repo("docker-hub/library/nginx")
            .pull_through_upstream
            .as_deref(),
        Some("registry-1.docker.io")
    );
    // `team/app` is not under the prefix `team/app/x`, nor `plain` under any.
    assert_eq!(repo("team/app").pull_through_upstream, None);
    assert_eq!(repo("plain").pull_through_upstream, None);
    let text = archlens::report::render_listing_text(&l);
    let head = text.lines().next().unwrap_or("");
    assert!(
        head.contains("MUTABILITY") && head.contains("PULL-THROUGH"),
        "{text}"
    );
    let row = |n: &str| {
        text.lines()
            .find(|r| r.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("{n} in {text}"))
            .to_string()
    };
    assert!(
        row("team/app").contains("immutable except filters"),
        "{text}"
    );
    assert!(row("plain").contains("mutable"), "{text}");
    assert!(
        row("docker-hub/library/nginx").contains("registry-1.docker.io"),
        "{text}"
    );
    let j: Value = serde_json::from_str(&archlens::report::render_listing_json(&l)).expect("json");
    let nginx = j["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .find(|r| r["name"] == "docker-hub/library/nginx")
        .expect("nginx in json");
    assert_eq!(
        (&nginx["tag_mutability"], &nginx["pull_through_upstream"]),
        (&json!("MUTABLE"), &json!("registry-1.docker.io"))
    );

    // Images: the scan counts of the scanned one; the other says nothing.
    let l = catalog::list(&format!("{HOST}/team/app"), &opts).expect("list images");
    let z = l.images.iter().find(|i| i.tags == ["zstd"]).expect("zstd");
    let counts = z.scan_findings.as_ref().expect("zstd scan findings");
    assert_eq!(
        (counts.get("CRITICAL"), counts.get("HIGH")),
        (Some(&1), Some(&3))
    );
    let a = l
        .images
        .iter()
        .find(|i| i.tags == ["amd64"])
        .expect("amd64");
    assert_eq!(a.scan_findings, None);
    let text = archlens::report::render_listing_text(&l);
    assert!(
        text.lines().next().unwrap_or("").contains("FINDINGS"),
        "{text}"
    );
    let zrow = text.lines().find(|r| r.starts_with("zstd")).unwrap_or("");
    assert!(zrow.contains("1C 3H") && !zrow.contains("0L"), "{text}");
    let j: Value = serde_json::from_str(&archlens::report::render_listing_json(&l)).expect("json");
    let zj = j["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["tags"][0] == "zstd")
        .expect("zstd in json");
    assert_eq!(
        zj["scan_findings"],
        json!({"CRITICAL": 1, "HIGH": 3, "LOW": 0})
    );
}
