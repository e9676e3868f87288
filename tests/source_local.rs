//! Local image sources: OCI layouts written by tests/support, converted with the real
//! skopeo to oci-archive and docker-archive, and hand-made docker-save layouts.

mod support;

use std::path::Path;

use archlens::oci::Digest;
use archlens::oci::manifest::{Document, parse_document};
use archlens::scan::{Entry, MergedFs, scan_layer};
use archlens::source::{self, ImageSource, SourceError};
use support::{Blob, Image, Layer, p, skopeo_copy, tar_of, write_layout};

fn two_layer_image(arch: &str) -> Image {
    Image {
        arch: arch.into(),
        layers: vec![
            Blob::gzip(
                &Layer::new()
                    .dir("bin/")
                    .file_mode("bin/app", b"\x7fELF fake app", 0o755)
                    .symlink("bin/sh", "app")
                    .file("etc/conf", b"one")
                    .tar(),
            ),
            Blob::zstd(
                &Layer::new()
                    .whiteout("etc/conf")
                    .file("etc/conf.d/two", b"two")
                    .tar(),
            ),
        ],
    }
}

/// Everything an image's layers say, read through the source's verified streams.
fn scan_image(src: &dyn ImageSource) -> Vec<Vec<Entry>> {
    let root = src.root().unwrap();
    let doc = parse_document(&root.bytes, root.media_type.as_deref(), "root").unwrap();
    let Document::Image(m) = doc else {
        panic!("{}: expected an image manifest", src.describe())
    };
    let mut out = Vec::new();
    for l in m.layers() {
        let digest: Digest = l.digest().to_string().parse().unwrap();
        let blob = src.blob(&digest, l.size()).unwrap();
        let scan = scan_layer(blob, l.media_type().as_ref(), &digest).unwrap();
        out.push(scan.entries.iter().collect());
    }
    out
}

#[test]
fn oci_layout_by_name_and_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let written = write_layout(&dir, &[("v1", &two_layer_image("amd64"))]);
    let by_name = source::open(&format!("oci:{}:v1", dir.display())).unwrap();
    let root = by_name.root().unwrap();
    assert_eq!(root.digest, written[0].manifest);
    assert_eq!(by_name.describe(), format!("oci:{}:v1", dir.display()));
    let layers = scan_image(by_name.as_ref());
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0][1].path, "/bin/app");
    assert_eq!(layers[1][0].path, "/etc/conf.d/two");
    // Without :REF the only entry is the image; a bare layout dir is accepted as oci:.
    let alone = source::open(&format!("oci:{}", dir.display())).unwrap();
    assert_eq!(alone.root().unwrap().digest, written[0].manifest);
    let bare = source::open(&dir.to_string_lossy()).unwrap();
    assert_eq!(bare.root().unwrap().digest, written[0].manifest);
    // The manifest is also reachable by digest, and the config blob verifies.
    let m = by_name.manifest(&written[0].manifest, None).unwrap();
    assert_eq!(m.bytes, root.bytes);
    let mut config = Vec::new();
    let cfg_len = std::fs::metadata(dir.join("blobs/sha256").join(written[0].config.hex()))
        .unwrap()
        .len();
    std::io::Read::read_to_end(
        &mut by_name.blob(&written[0].config, cfg_len).unwrap(),
        &mut config,
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&config).contains("\"architecture\":\"amd64\""));
}

#[test]
fn several_names_need_a_ref_and_unnamed_platforms_form_an_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("multi");
    write_layout(
        &dir,
        &[
            ("v1", &two_layer_image("amd64")),
            ("v2", &two_layer_image("arm64")),
        ],
    );
    let err = source::open(&format!("oci:{}", dir.display()))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("holds 2 differently named images"), "{err}");
    assert!(err.contains(&format!("oci:{}:v2", dir.display())), "{err}");
    let err = source::open(&format!("oci:{}:v3", dir.display()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no image named \"v3\"") && err.contains("v1, v2"),
        "{err}"
    );

    // Same name on both entries (one per platform): a virtual index of the two.
    let dir2 = tmp.path().join("platforms");
    write_layout(
        &dir2,
        &[
            ("app", &two_layer_image("amd64")),
            ("app", &two_layer_image("arm64")),
        ],
    );
    let src = source::open(&format!("oci:{}:app", dir2.display())).unwrap();
    let root = src.root().unwrap();
    assert_eq!(root.digest, Digest::sha256_of(&root.bytes));
    let Document::Index(index) =
        parse_document(&root.bytes, root.media_type.as_deref(), "root").unwrap()
    else {
        panic!("expected an index")
    };
    assert_eq!(index.manifests().len(), 2);
    // No ref at all: index.json itself is the root.
    let src = source::open(&format!("oci:{}", dir2.display())).unwrap();
    let root = src.root().unwrap();
    let index_json = std::fs::read(dir2.join("index.json")).unwrap();
    assert_eq!(root.bytes, index_json);
    assert_eq!(root.digest, Digest::sha256_of(&index_json));
    assert_eq!(src.manifest(&root.digest, None).unwrap().bytes, index_json);
}

fn layout_for_conversion(tmp: &Path) -> String {
    let dir = tmp.join("src-layout");
    write_layout(&dir, &[("v1", &two_layer_image("amd64"))]);
    format!("oci:{}:v1", dir.display())
}

/// Docker schema 2 has no zstd layers (skopeo refuses to convert them): gzip + plain.
fn docker_compatible_layout(tmp: &Path) -> String {
    let mut image = two_layer_image("amd64");
    let tar1 = zstd::stream::decode_all(&image.layers[1].bytes[..]).unwrap();
    image.layers[1] = Blob::plain(&tar1);
    let dir = tmp.join("docker-src-layout");
    write_layout(&dir, &[("v1", &image)]);
    format!("oci:{}:v1", dir.display())
}

#[test]
fn oci_archive_round_trip_gives_the_same_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = layout_for_conversion(tmp.path());
    let archive = p(tmp.path(), "image.tar");
    skopeo_copy(&oci, &format!("oci-archive:{archive}:v1"));
    let from_dir = scan_image(source::open(&oci).unwrap().as_ref());
    let from_tar = scan_image(
        source::open(&format!("oci-archive:{archive}:v1"))
            .unwrap()
            .as_ref(),
    );
    assert_eq!(from_dir, from_tar);
    let alone = source::open(&format!("oci-archive:{archive}")).unwrap();
    assert_eq!(scan_image(alone.as_ref()), from_dir);
    // A bare path to the tar is recognised by its oci-layout entry.
    let bare = source::open(&archive).unwrap();
    assert!(
        bare.describe().starts_with("oci-archive:"),
        "{}",
        bare.describe()
    );
    assert_eq!(scan_image(bare.as_ref()), from_dir);
}

#[test]
fn docker_archive_round_trip_gives_the_same_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = docker_compatible_layout(tmp.path());
    let archive = p(tmp.path(), "docker.tar");
    skopeo_copy(
        &oci,
        &format!("docker-archive:{archive}:example.com/app:v1"),
    );
    let from_dir = scan_image(source::open(&oci).unwrap().as_ref());
    for reference in [
        format!("docker-archive:{archive}"),
        format!("docker-archive:{archive}:example.com/app:v1"),
        format!("docker-archive:{archive}:@0"),
    ] {
        let src = source::open(&reference).unwrap();
        assert_eq!(scan_image(src.as_ref()), from_dir, "{reference}");
    }
    let bare = source::open(&archive).unwrap();
    assert!(
        bare.describe().starts_with("docker-archive:"),
        "{}",
        bare.describe()
    );
    let err = source::open(&format!("docker-archive:{archive}:other:v9"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no image tagged other:v9") && err.contains("example.com/app:v1"),
        "{err}"
    );
}

/// `docker save` layouts skopeo does not write: classic `<id>/layer.tar` (before Docker
/// 25) and content-addressed `blobs/sha256/<hex>` (Docker 25+), made with the tar crate.
#[test]
fn docker_save_layouts_classic_and_docker25() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = layout_for_conversion(tmp.path());
    let expected = scan_image(source::open(&oci).unwrap().as_ref());
    let image = two_layer_image("amd64");
    // docker save stores layers uncompressed.
    let tar0 = decompress_gzip(&image.layers[0].bytes);
    let tar1 = zstd::stream::decode_all(&image.layers[1].bytes[..]).unwrap();
    let config = support::config_json(
        "amd64",
        &[Digest::sha256_of(&tar0), Digest::sha256_of(&tar1)],
    );
    let cfg = Digest::sha256_of(&config);

    let classic_manifest = serde_json::json!([{
        "Config": format!("{}.json", cfg.hex()),
        "RepoTags": ["app:old"],
        "Layers": ["aaaa/layer.tar", "bbbb/layer.tar"],
    }])
    .to_string();
    // The second layer is stored once and linked, as docker save and skopeo do.
    let shared = format!("{}.tar", Digest::sha256_of(&tar1).hex());
    let classic = support::tar_with_links(
        &[
            (&format!("{}.json", cfg.hex()), &config),
            ("aaaa/layer.tar", &tar0),
            (&shared, &tar1),
            ("manifest.json", classic_manifest.as_bytes()),
        ],
        &[("bbbb/layer.tar", &format!("../{shared}"))],
    );
    let classic_path = tmp.path().join("classic.tar");
    std::fs::write(&classic_path, classic).unwrap();
    let src = source::open(&format!(
        "docker-archive:{}:app:old",
        classic_path.display()
    ))
    .unwrap();
    assert_eq!(scan_image(src.as_ref()), expected);

    let b0 = format!("blobs/sha256/{}", Digest::sha256_of(&tar0).hex());
    let b1 = format!("blobs/sha256/{}", Digest::sha256_of(&tar1).hex());
    let bc = format!("blobs/sha256/{}", cfg.hex());
    let new_manifest = serde_json::json!([{
        "Config": bc, "RepoTags": ["docker.io/library/app:new"], "Layers": [b0, b1],
    }])
    .to_string();
    let docker25 = tar_of(&[
        (&bc, &config),
        (&b0, &tar0),
        (&b1, &tar1),
        ("manifest.json", new_manifest.as_bytes()),
    ]);
    let new_path = tmp.path().join("docker25.tar");
    std::fs::write(&new_path, docker25).unwrap();
    let src = source::open(&format!("docker-archive:{}:app:new", new_path.display())).unwrap();
    assert_eq!(scan_image(src.as_ref()), expected);
    // The synthesised manifest names the files' real digests.
    let root = src.root().unwrap();
    let text = String::from_utf8(root.bytes.clone()).unwrap();
    assert!(
        text.contains(&Digest::sha256_of(&tar1).to_string()),
        "{text}"
    );
    assert!(text.contains(&cfg.to_string()), "{text}");
}

fn decompress_gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
    out
}

#[test]
fn docker_archive_with_several_images_lists_the_choices() {
    let tmp = tempfile::tempdir().unwrap();
    let config = support::config_json("amd64", &[]);
    let manifest = serde_json::json!([
        {"Config": "c.json", "RepoTags": ["a:1"], "Layers": []},
        {"Config": "c.json", "RepoTags": ["b:2"], "Layers": []},
    ])
    .to_string();
    let path = tmp.path().join("two.tar");
    std::fs::write(
        &path,
        tar_of(&[("c.json", &config), ("manifest.json", manifest.as_bytes())]),
    )
    .unwrap();
    let err = source::open(&format!("docker-archive:{}", path.display()))
        .err()
        .unwrap();
    assert!(matches!(err, SourceError::Reference(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("holds 2 images") && msg.contains("a:1, b:2"),
        "{msg}"
    );
    assert!(source::open(&format!("docker-archive:{}:b:2", path.display())).is_ok());
}

#[test]
fn merged_view_of_a_layout_image() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = layout_for_conversion(tmp.path());
    let src = source::open(&oci).unwrap();
    let root = src.root().unwrap();
    let Document::Image(m) =
        parse_document(&root.bytes, root.media_type.as_deref(), "root").unwrap()
    else {
        panic!("expected an image")
    };
    let mut scans = Vec::new();
    for l in m.layers() {
        let d: Digest = l.digest().to_string().parse().unwrap();
        let scan =
            scan_layer(src.blob(&d, l.size()).unwrap(), l.media_type().as_ref(), &d).unwrap();
        scans.push((d, scan));
    }
    let refs: Vec<_> = scans.iter().map(|(d, s)| (d.clone(), s)).collect();
    let fs = MergedFs::build(&refs);
    assert_eq!(fs.resolve("/bin/sh").unwrap().0, "/bin/app");
    assert!(fs.get("/etc/conf").is_none());
    assert_eq!(fs.deleted("/etc/conf"), Some(1));
    assert!(fs.get("/etc/conf.d/two").is_some());
}

#[test]
fn registry_references_are_parsed_as_registry_references() {
    for r in [
        "public.ecr.aws/docker/library/alpine:3.20",
        "docker://alpine:3.20",
        "127.0.0.1:5000/app@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    ] {
        assert!(
            matches!(
                source::Reference::parse(r),
                Ok(source::Reference::Registry(_))
            ),
            "{r}"
        );
    }
}

/// A layout made entirely by a real tool: umoci (rootless) writes the layers, including
/// the `.wh.` whiteout for a file deleted between two repacks.
#[test]
fn umoci_layout_with_a_real_whiteout() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = p(tmp.path(), "lay");
    let image = format!("{layout}:t");
    let bundle = p(tmp.path(), "bundle");
    support::run_tool("umoci", "umoci", &["init", "--layout", &layout]);
    support::run_tool("umoci", "umoci", &["new", "--image", &image]);
    support::run_tool(
        "umoci",
        "umoci",
        &["unpack", "--rootless", "--image", &image, &bundle],
    );
    let rootfs = tmp.path().join("bundle/rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(rootfs.join("etc/a"), b"a\n").unwrap();
    std::fs::write(rootfs.join("etc/b"), b"b\n").unwrap();
    std::os::unix::fs::symlink("b", rootfs.join("etc/link")).unwrap();
    support::run_tool(
        "umoci",
        "umoci",
        &["repack", "--refresh-bundle", "--image", &image, &bundle],
    );
    std::fs::remove_file(rootfs.join("etc/a")).unwrap();
    support::run_tool("umoci", "umoci", &["repack", "--image", &image, &bundle]);

    let src = source::open(&format!("oci:{image}")).unwrap();
    let root = src.root().unwrap();
    let Document::Image(m) =
        parse_document(&root.bytes, root.media_type.as_deref(), "root").unwrap()
    else {
        panic!("expected an image")
    };
    let mut scans = Vec::new();
    for l in m.layers() {
        let d: Digest = l.digest().to_string().parse().unwrap();
        let scan =
            scan_layer(src.blob(&d, l.size()).unwrap(), l.media_type().as_ref(), &d).unwrap();
        assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);
        scans.push((d, scan));
    }
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[1].1.whiteouts, ["/etc/a"]);
    let refs: Vec<_> = scans.iter().map(|(d, s)| (d.clone(), s)).collect();
    let fs = MergedFs::build(&refs);
    assert!(fs.get("/etc/a").is_none());
    assert_eq!(fs.deleted("/etc/a"), Some(1));
    let (real, node) = fs.resolve("/etc/link").unwrap();
    assert_eq!(real, "/etc/b");
    assert_eq!(node.entry.size, 2);
}

/// Layers of one image are read in parallel: two streams from one oci-archive must not
/// disturb each other (each has its own file handle and offset).
#[test]
fn blob_streams_from_one_archive_are_independent() {
    let tmp = tempfile::tempdir().unwrap();
    let oci = layout_for_conversion(tmp.path());
    let archive = p(tmp.path(), "image.tar");
    skopeo_copy(&oci, &format!("oci-archive:{archive}:v1"));
    let src = source::open(&format!("oci-archive:{archive}:v1")).unwrap();
    let root = src.root().unwrap();
    let Document::Image(m) =
        parse_document(&root.bytes, root.media_type.as_deref(), "root").unwrap()
    else {
        panic!("expected an image")
    };
    let descs: Vec<(Digest, u64)> = m
        .layers()
        .iter()
        .map(|l| (l.digest().to_string().parse().unwrap(), l.size()))
        .collect();
    let mut a = src.blob(&descs[0].0, descs[0].1).unwrap();
    let mut b = src.blob(&descs[1].0, descs[1].1).unwrap();
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    let mut buf = [0u8; 7];
    loop {
        let na = std::io::Read::read(&mut a, &mut buf).unwrap();
        va.extend_from_slice(&buf[..na]);
        let nb = std::io::Read::read(&mut b, &mut buf).unwrap();
        vb.extend_from_slice(&buf[..nb]);
        if na == 0 && nb == 0 {
            break;
        }
    }
    assert_eq!(Digest::sha256_of(&va), descs[0].0);
    assert_eq!(Digest::sha256_of(&vb), descs[1].0);
}
