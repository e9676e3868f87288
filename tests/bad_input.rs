//! Hostile or broken input: every failure is an error (never a panic) that names the
//! file, layer or digest and says what to do.

mod support;

use std::io::Read;

use archlens::oci::{Digest, media};
use archlens::scan::scan_layer;
use archlens::source::{self, SourceError};
use support::{Blob, Image, Layer, put_blob, tar_of, write_index, write_layout};

fn image() -> Image {
    Image {
        arch: "arm64".into(),
        layers: vec![Blob::gzip(&Layer::new().file("bin/app", b"app").tar())],
    }
}

fn open_err(reference: &str) -> SourceError {
    match source::open(reference) {
        Ok(src) => panic!(
            "{reference}: opened {} although it is broken",
            src.describe()
        ),
        Err(e) => e,
    }
}

#[test]
fn digest_mismatch_names_the_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let w = write_layout(&dir, &[("t", &image())]);
    // Same size, different bytes: in the middle (the decoder fails first) and in the
    // gzip trailer. Either way the digest mismatch is what gets reported.
    let blob_path = dir.join("blobs/sha256").join(w[0].layers[0].hex());
    let original = std::fs::read(&blob_path).unwrap();
    let src = source::open(&format!("oci:{}:t", dir.display())).unwrap();
    let layer = &w[0].layers[0];
    for at in [original.len() / 2, original.len() - 1] {
        let mut bytes = original.clone();
        bytes[at] ^= 0xff;
        std::fs::write(&blob_path, &bytes).unwrap();
        let stream = src.blob(layer, bytes.len() as u64).unwrap();
        let err = scan_layer(stream, support::OCI_LAYER_GZIP, layer).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("cannot read layer {layer}")),
            "{msg}"
        );
        assert!(msg.contains("does not match its digest"), "{msg}");
    }

    // A corrupted manifest blob is caught when the image is opened.
    let m = dir.join("blobs/sha256").join(w[0].manifest.hex());
    let mut text = std::fs::read(&m).unwrap();
    text[0] = b' ';
    std::fs::write(&m, text).unwrap();
    let msg = open_err(&format!("oci:{}:t", dir.display())).to_string();
    assert!(msg.contains(&w[0].manifest.to_string()), "{msg}");
    assert!(msg.contains("does not match its digest"), "{msg}");
}

#[test]
fn absurd_sizes_in_descriptors_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let w = write_layout(&dir, &[("t", &image())]);
    let src = source::open(&format!("oci:{}:t", dir.display())).unwrap();
    let layer = &w[0].layers[0];
    let err = src.blob(layer, 1 << 60).err().unwrap().to_string();
    assert!(
        err.contains(&layer.to_string()) && err.contains("1152921504606846976"),
        "{err}"
    );

    // index.json claiming a 1 EiB manifest.
    write_index(
        &dir,
        serde_json::json!([{
            "mediaType": media::OCI_MANIFEST,
            "size": 1u64 << 60,
            "digest": w[0].manifest.to_string(),
            "annotations": {"org.opencontainers.image.ref.name": "t"},
        }]),
    );
    let msg = open_err(&format!("oci:{}:t", dir.display())).to_string();
    assert!(
        msg.contains("more than the") && msg.contains(&w[0].manifest.to_string()),
        "{msg}"
    );
}

#[test]
fn path_traversal_in_index_json_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    write_layout(&dir, &[("t", &image())]);
    std::fs::write(tmp.path().join("secret"), b"outside").unwrap();
    write_index(
        &dir,
        serde_json::json!([{
            "mediaType": media::OCI_MANIFEST,
            "size": 7,
            "digest": "sha256:../../../secret",
            "annotations": {"org.opencontainers.image.ref.name": "t"},
        }]),
    );
    let msg = open_err(&format!("oci:{}:t", dir.display())).to_string();
    assert!(msg.contains("index.json"), "{msg}");
}

#[test]
fn path_traversal_in_docker_manifest_json_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let config = support::config_json("amd64", &[]);
    for evil in ["../../etc/passwd", "/etc/passwd"] {
        let manifest =
            serde_json::json!([{"Config": "c.json", "RepoTags": ["a:1"], "Layers": [evil]}])
                .to_string();
        let path = tmp.path().join("evil.tar");
        std::fs::write(
            &path,
            tar_of(&[("c.json", &config), ("manifest.json", manifest.as_bytes())]),
        )
        .unwrap();
        let msg = open_err(&format!("docker-archive:{}", path.display())).to_string();
        assert!(msg.contains("refusing path") && msg.contains(evil), "{msg}");
    }
}

#[test]
fn schema1_manifests_are_refused_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    write_layout(&dir, &[("t", &image())]);
    let schema1 = br#"{"schemaVersion":1,"name":"x","tag":"t","architecture":"amd64","fsLayers":[],"history":[]}"#;
    let d = put_blob(&dir, schema1);
    write_index(
        &dir,
        serde_json::json!([{
            "mediaType": media::DOCKER_SCHEMA1_SIGNED,
            "size": schema1.len(),
            "digest": d.to_string(),
            "annotations": {"org.opencontainers.image.ref.name": "t"},
        }]),
    );
    // The layout opens (it only fetches bytes); parsing the root says what is wrong.
    let src = source::open(&format!("oci:{}:t", dir.display())).unwrap();
    let root = src.root().unwrap();
    let err = archlens::oci::manifest::parse_document(
        &root.bytes,
        root.media_type.as_deref(),
        &root.digest.to_string(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("schema 1") && err.contains(&d.to_string()),
        "{err}"
    );
}

#[test]
fn broken_layouts_and_archives_say_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir(&dir).unwrap();
    let msg = open_err(&format!("oci:{}", dir.display())).to_string();
    assert!(
        msg.contains("not an OCI image layout") && msg.contains("oci-layout"),
        "{msg}"
    );

    let dir = tmp.path().join("garbage");
    write_layout(&dir, &[("t", &image())]);
    std::fs::write(dir.join("index.json"), b"{ not json").unwrap();
    let msg = open_err(&format!("oci:{}", dir.display())).to_string();
    assert!(msg.contains("index.json is not valid JSON"), "{msg}");

    let msg = open_err(&format!("oci:{}", tmp.path().join("nope").display())).to_string();
    assert!(msg.contains("no such directory"), "{msg}");

    let not_tar = tmp.path().join("not.tar");
    std::fs::write(&not_tar, vec![0x42u8; 3000]).unwrap();
    let msg = open_err(&format!("oci-archive:{}", not_tar.display())).to_string();
    assert!(
        msg.contains("not.tar") && msg.contains("not a readable tar archive"),
        "{msg}"
    );

    let no_manifest = tmp.path().join("plain.tar");
    std::fs::write(&no_manifest, tar_of(&[("hello", b"x")])).unwrap();
    let msg = open_err(&format!("docker-archive:{}", no_manifest.display())).to_string();
    assert!(msg.contains("manifest.json is missing"), "{msg}");
}

#[test]
fn a_blob_stream_longer_than_its_descriptor_stops_early() {
    let d = Digest::sha256_of(b"whatever");
    let mut r = source::verify::VerifyingReader::new(std::io::repeat(7), d.clone(), 10_000);
    let mut sink = Vec::new();
    let err = r.read_to_end(&mut sink).unwrap_err();
    assert!(sink.len() <= 10_001);
    assert!(err.to_string().contains(&d.to_string()));
}

#[test]
fn hostile_tar_names_never_leave_the_root() {
    let tar = Layer::new()
        .raw_name_file(b"../../../../tmp/pwned", b"x")
        .raw_name_file(b"/abs/path", b"y")
        .tar();
    let d = Digest::sha256_of(b"hostile");
    let scan = scan_layer(&tar[..], support::OCI_LAYER_TAR, &d).unwrap();
    let paths: Vec<String> = scan.entries.iter().map(|e| e.path).collect();
    assert_eq!(paths, ["/tmp/pwned", "/abs/path"]);
    assert!(
        scan.warnings[0].contains(&d.to_string()) && scan.warnings[0].contains("climbs above /")
    );
}

#[test]
fn an_absurd_timeout_is_refused_not_a_panic() {
    // `now + u64::MAX seconds` would overflow the clock; the flag is bounded instead.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "--timeout",
            "18446744073709551615",
            "check",
            "oci:assets/demo:good",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--timeout") && err.contains("1..=86400"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_image_with_more_layers_than_can_be_stacked_is_unreadable_not_judged() {
    // 65,536 references to one empty layer file: cheap to write, one past the limit.
    let tmp = tempfile::tempdir().unwrap();
    let count = archlens::scan::LAYER_LIMIT + 1;
    let config = support::config_json("amd64", &[]);
    let manifest = serde_json::json!([{
        "Config": "c.json",
        "RepoTags": ["tall:1"],
        "Layers": vec!["l.tar"; count],
    }])
    .to_string();
    let empty_layer = Layer::new().tar();
    let path = tmp.path().join("tall.tar");
    std::fs::write(
        &path,
        tar_of(&[
            ("c.json", &config),
            ("l.tar", &empty_layer),
            ("manifest.json", manifest.as_bytes()),
        ]),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", &format!("docker-archive:{}", path.display())])
        .args(["--target", "linux/amd64", "--no-cache"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("65536 filesystem layers"), "{text}");
    assert!(text.contains("at most 65535"), "{text}");
    assert!(text.contains("Squash the image"), "{text}");
    assert!(!text.contains("pass"), "{text}");
}
