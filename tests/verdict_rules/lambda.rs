//! Lambda and an index of one image: when BuildKit's attestations or a SOCI v2 conversion
//! alone made the index, the refusal says so and gives the fix for that cause.

use super::natives::add_soci_v2_index;
use super::*;

/// Turns the layout's one image into an index of it plus a BuildKit provenance attestation
/// (platform unknown/unknown, `vnd.docker.reference.*` annotations, one in-toto layer), as
/// `docker buildx build --push` writes it by default, and tags the index `t`.
fn add_buildkit_attestation(dir: &Path) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut image = index["manifests"][0].clone();
    image["annotations"] = json!({});
    image["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let statement = br#"{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://slsa.dev/provenance/v0.2","subject":[],"predicate":{}}"#;
    let layer = put_blob(dir, statement);
    let cfg = put_blob(dir, br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#);
    let att = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 87, "digest": cfg.to_string()},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "size": statement.len(), "digest": layer.to_string(),
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
    }))
    .unwrap();
    let att_d = put_blob(dir, &att);
    let top = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [image.clone(), {
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "size": att.len(), "digest": att_d.to_string(),
            "platform": {"architecture": "unknown", "os": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": image["digest"]},
        }],
    }))
    .unwrap();
    let top_d = put_blob(dir, &top);
    write_index(
        dir,
        json!([{"mediaType": "application/vnd.oci.image.index.v1+json", "size": top.len(), "digest": top_d.to_string(),
                "annotations": {"org.opencontainers.image.ref.name": "t"}}]),
    );
}

fn amd64_image(dir: &Path) {
    image(
        dir,
        "amd64",
        json!({"Entrypoint": ["/bin/app"]}),
        vec![amd64_base_with_glibc("2.36-9+deb12u14")],
    );
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn one_image_and_buildkit_attestations_is_an_index_only_because_of_them() {
    let t = tempfile::tempdir().unwrap();
    amd64_image(t.path());
    // Pushed alone, the image passes Lambda: only the index stands in the way.
    assert_eq!(check(t.path(), "lambda")["verdict"], "pass");
    add_buildkit_attestation(t.path());
    let r = check(t.path(), "lambda");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(codes(&r), ["index-not-supported"]);
    let f = finding(&r, "index-not-supported");
    let msg = text(&f["message"]);
    assert!(
        msg.contains("holds a single linux/amd64 image and is an index only because of attestation manifests that BuildKit adds by default"),
        "{msg}"
    );
    assert!(!msg.contains("SOCI"), "{msg}");
    assert_eq!(
        text(&f["fix"]),
        "docker buildx build --platform linux/amd64 --provenance=false --sbom=false -t IMAGE --push ."
    );
    assert!(
        text(&f["explanation"]).contains("Build attestations"),
        "{f}"
    );
    assert!(
        text(&r["predicted_error"]).contains("media type for the source image"),
        "{r:#}"
    );
    // On arm64 Lambda the amd64 image would not run alone either: no "only because", and the
    // fix builds arm64.
    let r = check(t.path(), "lambda-arm64");
    let f = finding(&r, "index-not-supported");
    assert!(!text(&f["message"]).contains("only because"), "{f}");
    assert!(
        text(&f["fix"]).contains("--platform linux/arm64 --provenance=false --sbom=false"),
        "{f}"
    );
}

#[test]
fn one_image_converted_by_soci_v2_says_to_keep_soci_for_fargate() {
    let t = tempfile::tempdir().unwrap();
    amd64_image(t.path());
    add_soci_v2_index(t.path());
    let r = check(t.path(), "lambda");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    let f = finding(&r, "index-not-supported");
    let msg = text(&f["message"]);
    assert!(
        msg.contains("holds a single linux/amd64 image and is an index only because of a SOCI index that `soci convert` appended"),
        "{msg}"
    );
    let fix = text(&f["fix"]);
    assert!(
        fix.contains("the image as built, before `soci convert`")
            && fix.contains("run `soci convert` only on the tags Fargate pulls"),
        "{fix}"
    );
    assert!(fix.starts_with("give lambda the image as built"), "{fix}");
    let why = text(&f["explanation"]);
    assert!(
        why.contains("lazy loading on ECS on Fargate") && why.contains("cdk-github-runners#768"),
        "{why}"
    );
    // The header counts the SOCI index as what it is, not as an image.
    let text = check_text(t.path(), "lambda");
    assert!(
        text.contains("index of 1 image (linux/amd64) + 1 SOCI index\n"),
        "{text}"
    );
    // Fargate takes the index and runs its one image.
    assert_eq!(check(t.path(), "fargate")["verdict"], "pass");
}
