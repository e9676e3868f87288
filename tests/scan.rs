//! Layer scans and the merged filesystem, on layers built with the `tar` crate and
//! compressed with flate2 / zstd (see tests/support).

mod support;

use archlens::detect::{Artifact, Details, Kind, ScriptInfo};
use archlens::oci::Digest;
use archlens::scan::{Change, EntryKind, LayerScan, MergedFs, ResolveError, ScanError, scan_layer};
use archlens::source::verify::VerifyingReader;
use support::{Layer, OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_ZSTD, gzip, zstd};

fn digest(tag: &str) -> Digest {
    Digest::sha256_of(tag.as_bytes())
}

fn sample() -> Vec<u8> {
    Layer::new()
        .dir("usr/")
        .dir("usr/bin/")
        .file_mode("usr/bin/app", &vec![7u8; 100_000], 0o755)
        .symlink("usr/bin/sh", "busybox")
        .hardlink("usr/bin/app2", "usr/bin/app")
        .file("etc/os-release", b"ID=test\n")
        .tar()
}

fn paths(scan: &LayerScan) -> Vec<&str> {
    scan.entries.iter().map(|e| e.path.as_str()).collect()
}

#[test]
fn gzip_zstd_and_plain_give_the_same_entries() {
    let tar = sample();
    let d = digest("l");
    let plain = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap();
    let gz = scan_layer(&gzip(&tar)[..], OCI_LAYER_GZIP, &d).unwrap();
    let zs = scan_layer(&zstd(&tar)[..], OCI_LAYER_ZSTD, &d).unwrap();
    assert_eq!(
        paths(&plain),
        [
            "/usr",
            "/usr/bin",
            "/usr/bin/app",
            "/usr/bin/sh",
            "/usr/bin/app2",
            "/etc/os-release"
        ]
    );
    assert_eq!(plain.entries, gz.entries);
    assert_eq!(plain.entries, zs.entries);
    for s in [&plain, &gz, &zs] {
        assert_eq!(s.uncompressed_size, tar.len() as u64);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }
    let app = &plain.entries[2];
    assert_eq!(app.kind, EntryKind::File);
    assert_eq!(app.size, 100_000);
    assert_eq!(app.mode & 0o777, 0o755);
    assert_eq!(plain.entries[3].kind, EntryKind::Symlink("busybox".into()));
    assert_eq!(
        plain.entries[4].kind,
        EntryKind::Hardlink("/usr/bin/app".into())
    );
}

#[test]
fn magic_bytes_win_over_the_media_type_with_a_warning() {
    let tar = sample();
    let d = digest("mislabeled");
    // zstd bytes labelled gzip, as some tools do.
    let scan = scan_layer(&zstd(&tar)[..], OCI_LAYER_GZIP, &d).unwrap();
    assert_eq!(scan.entries.len(), 6);
    assert_eq!(scan.warnings.len(), 1, "{:?}", scan.warnings);
    assert!(scan.warnings[0].contains("says gzip but the bytes are zstd"));
    assert!(scan.warnings[0].contains(&d.to_string()));
    // gzip bytes labelled uncompressed.
    let scan = scan_layer(&gzip(&tar)[..], OCI_LAYER_TAR, &d).unwrap();
    assert_eq!(scan.entries.len(), 6);
    assert!(scan.warnings[0].contains("says uncompressed tar but the bytes are gzip"));
    // An unknown media type is simply sniffed.
    let scan = scan_layer(&gzip(&tar)[..], "application/x-custom", &d).unwrap();
    assert!(scan.warnings.is_empty());
}

#[test]
fn multi_member_gzip_is_read_to_the_end() {
    let tar = sample();
    let (a, b) = tar.split_at(2048);
    let mut blob = gzip(a);
    blob.extend(gzip(b));
    let scan = scan_layer(&blob[..], OCI_LAYER_GZIP, &digest("mm")).unwrap();
    assert_eq!(scan.entries.len(), 6);
    assert_eq!(scan.uncompressed_size, tar.len() as u64);
}

#[test]
fn whole_blob_is_read_so_the_digest_check_runs() {
    let mut tar = sample();
    // Extra zero blocks after the end-of-archive marker, as some tools write.
    tar.extend([0u8; 4096]);
    let blob = gzip(&tar);
    let good = Digest::sha256_of(&blob);
    let verified = VerifyingReader::new(&blob[..], good.clone(), blob.len() as u64);
    let scan = scan_layer(verified, OCI_LAYER_GZIP, &good).unwrap();
    assert_eq!(scan.entries.len(), 6);
    assert_eq!(scan.uncompressed_size, tar.len() as u64);

    let wrong = digest("not this blob");
    let verified = VerifyingReader::new(&blob[..], wrong.clone(), blob.len() as u64);
    let err = scan_layer(verified, OCI_LAYER_GZIP, &wrong).unwrap_err();
    assert!(matches!(err, ScanError::Source { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&wrong.to_string()), "{msg}");
    assert!(msg.contains("does not match its digest"), "{msg}");
}

#[test]
fn truncated_gzip_at_the_end_gives_a_partial_scan_with_a_warning() {
    let mut layer = Layer::new();
    for i in 0..50 {
        layer = layer.file(&format!("data/f{i}"), &[i as u8; 3000]);
    }
    let blob = gzip(&layer.tar());
    let cut = &blob[..blob.len() * 3 / 4];
    let d = digest("cut");
    let scan = scan_layer(cut, OCI_LAYER_GZIP, &d).unwrap();
    assert!(
        !scan.entries.is_empty() && scan.entries.len() < 50,
        "{}",
        scan.entries.len()
    );
    let w = scan.warnings.join("\n");
    assert!(
        w.contains(&format!(
            "layer {d} is truncated after {} entries",
            scan.entries.len()
        )),
        "{w}"
    );
}

#[test]
fn truncated_zstd_and_plain_tar_are_partial_too() {
    // zstd emits output per 128 KiB block: incompressible data makes the cut land after
    // whole blocks rather than inside the first one.
    let mut seed = 0x2545_f491u32;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect()
    };
    let mut layer = Layer::new();
    for i in 0..50 {
        layer = layer.file(&format!("data/f{i}"), &noise(3000));
    }
    let tar = layer.tar();
    let d = digest("cut");
    let z = zstd(&tar);
    let scan = scan_layer(&z[..z.len() * 9 / 10], OCI_LAYER_ZSTD, &d).unwrap();
    assert!(
        scan.warnings
            .iter()
            .any(|w| w.contains("is truncated after")),
        "{:?}",
        scan.warnings
    );
    // Cut inside a file's data.
    let scan = scan_layer(&tar[..tar.len() / 2 + 100], OCI_LAYER_TAR, &d).unwrap();
    assert!(
        scan.warnings
            .iter()
            .any(|w| w.contains("is truncated after")),
        "{:?}",
        scan.warnings
    );
    assert!(scan.entries.len() < 50);
    // Cut exactly after an entry: only the missing end-of-archive marker tells.
    let first_two = 2 * (512 + 3072);
    let scan = scan_layer(&tar[..first_two], OCI_LAYER_TAR, &d).unwrap();
    assert_eq!(scan.entries.len(), 2);
    assert!(
        scan.warnings
            .iter()
            .any(|w| w.contains("truncated after 2 entries") && w.contains("end-of-archive")),
        "{:?}",
        scan.warnings
    );
    // Cut inside a header.
    let scan = scan_layer(&tar[..512 + 3072 + 100], OCI_LAYER_TAR, &d).unwrap();
    assert_eq!(scan.entries.len(), 1);
    assert!(
        scan.warnings
            .iter()
            .any(|w| w.contains("is truncated after 1 entries"))
    );
}

#[test]
fn truncated_before_the_first_entry_is_an_error() {
    let blob = gzip(&sample());
    let d = digest("tiny");
    let err = scan_layer(&blob[..30], OCI_LAYER_GZIP, &d).unwrap_err();
    assert!(matches!(err, ScanError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().contains(&d.to_string()));
}

#[test]
fn corrupt_gzip_in_the_middle_is_an_error_naming_the_layer() {
    let mut layer = Layer::new();
    for i in 0..50 {
        // Varied content, so the deflate stream has real Huffman blocks to damage.
        let data: Vec<u8> = (0..3000u32)
            .map(|j| (j * 31 + i * 7) as u8 ^ (j >> 3) as u8)
            .collect();
        layer = layer.file(&format!("data/f{i}"), &data);
    }
    let mut blob = gzip(&layer.tar());
    let mid = blob.len() / 2;
    for b in &mut blob[mid..mid + 64] {
        *b ^= 0xa5;
    }
    let d = digest("corrupt");
    let err = scan_layer(&blob[..], OCI_LAYER_GZIP, &d).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ScanError::Corrupt { .. }), "{err:?}");
    assert!(
        msg.contains(&format!("layer {d} (gzip) is corrupt")),
        "{msg}"
    );
    assert!(msg.contains("pull or build the image again"), "{msg}");
}

#[test]
fn broken_tar_is_an_error() {
    let mut tar = sample();
    // Damage the second header's checksum field.
    let second = 512 * 3; // usr/, usr/bin/ headers, then usr/bin/app's header at 1024
    tar[second - 512 + 150] ^= 0x11;
    let d = digest("badtar");
    let err = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap_err();
    assert!(
        matches!(err, ScanError::Corrupt { entries: 2, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("cksum for usr/bin/app"), "{err}");
    // Not a tar at all.
    let err = scan_layer(&b"hello, this is not a tar file"[..], OCI_LAYER_TAR, &d).unwrap_err();
    assert!(err.to_string().contains(&d.to_string()));
}

#[test]
fn names_are_normalised_clamped_and_kept_readable() {
    let long = format!("opt/{}/bin/tool", "very-long-directory-name-".repeat(8));
    let tar = Layer::new()
        .raw_name_file(b"./usr/bin/x", b"x")
        .raw_name_file(b"../../etc/evil", b"evil")
        .raw_name_file(b"bin/bell\x07name\xff", b"ctl")
        .file(&long, b"gnu long name")
        .pax_file("srv/pax/named/file", b"pax")
        .tar();
    let d = digest("names");
    let scan = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap();
    assert_eq!(
        paths(&scan),
        [
            "/usr/bin/x".to_string(),
            "/etc/evil".to_string(),
            "/bin/bell\u{7}name\u{fffd}".to_string(),
            format!("/{long}"),
            "/srv/pax/named/file".to_string(),
        ]
    );
    assert_eq!(scan.warnings.len(), 1, "{:?}", scan.warnings);
    assert!(scan.warnings[0].contains("climbs above /"));
}

#[test]
fn whiteouts_and_opaque_markers_are_listed_not_entries() {
    let tar = Layer::new()
        .whiteout("etc/old.conf")
        .opaque("var/cache")
        .file("var/cache/new", b"n")
        .tar();
    let scan = scan_layer(&tar[..], OCI_LAYER_TAR, &digest("wh")).unwrap();
    assert_eq!(scan.whiteouts, ["/etc/old.conf"]);
    assert_eq!(scan.opaque_dirs, ["/var/cache"]);
    assert_eq!(paths(&scan), ["/var/cache/new"]);
}

fn scanned(tar: Vec<u8>, tag: &str) -> (Digest, LayerScan) {
    let d = digest(tag);
    let s = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap();
    (d, s)
}

fn merge(layers: &[(Digest, LayerScan)]) -> MergedFs {
    let refs: Vec<(Digest, &LayerScan)> = layers.iter().map(|(d, s)| (d.clone(), s)).collect();
    MergedFs::build(&refs)
}

fn script(path: &str) -> Artifact {
    Artifact {
        path: path.into(),
        container: None,
        kind: Kind::Script,
        arch: None,
        libc: None,
        interpreter: Some("/bin/sh".into()),
        details: Details::Script(ScriptInfo {
            interpreter: "/bin/sh".into(),
            args: vec![],
            tail: None,
        }),
    }
}

#[test]
fn whiteouts_opaque_dirs_and_revival() {
    let layers = vec![
        scanned(
            Layer::new()
                .file("etc/a", b"1")
                .file("etc/keep", b"k")
                .file("opt/x/one", b"1")
                .file("opt/x/sub/two", b"2")
                .file("var/lib/db", b"d")
                .tar(),
            "0",
        ),
        scanned(
            Layer::new()
                .whiteout("etc/a")
                .whiteout("var/lib")
                .opaque("opt/x")
                .file("opt/x/three", b"3")
                .tar(),
            "1",
        ),
        scanned(Layer::new().file("etc/a", b"again").tar(), "2"),
    ];
    let fs = merge(&layers);
    assert!(fs.get("/etc/keep").is_some());
    assert!(fs.get("/var/lib").is_none() && fs.get("/var/lib/db").is_none());
    assert!(fs.get("/var").is_some(), "only the whited-out path goes");
    assert_eq!(fs.deleted.get("/var/lib/db"), Some(&1));
    // Opaque: the dir stays, lower children go, the same layer's children stay.
    assert!(fs.get("/opt/x").is_some());
    assert!(fs.get("/opt/x/one").is_none() && fs.get("/opt/x/sub/two").is_none());
    assert_eq!(fs.get("/opt/x/three").unwrap().layer, 1);
    // Revived by layer 2: live again, no longer deleted, and its story is complete.
    let a = fs.get("/etc/a").unwrap();
    assert_eq!(a.layer, 2);
    assert_eq!(
        a.history,
        [(0, Change::Added), (1, Change::Deleted), (2, Change::Added)]
    );
    assert!(!fs.deleted.contains_key("/etc/a"));

    let l1: Vec<(&str, Change)> = fs
        .layer_changes(1)
        .iter()
        .map(|c| (c.path.as_str(), c.change))
        .collect();
    assert_eq!(
        l1,
        [
            ("/etc/a", Change::Deleted),
            ("/opt/x/one", Change::Deleted),
            ("/opt/x/sub", Change::Deleted),
            ("/opt/x/sub/two", Change::Deleted),
            ("/opt/x/three", Change::Added),
            ("/var/lib", Change::Deleted),
            ("/var/lib/db", Change::Deleted),
        ]
    );
    let l2: Vec<(&str, Change)> = fs
        .layer_changes(2)
        .iter()
        .map(|c| (c.path.as_str(), c.change))
        .collect();
    assert_eq!(l2, [("/etc/a", Change::Added)]);
}

#[test]
fn opaque_dir_refilled_by_the_same_layer_is_modified() {
    let layers = vec![
        scanned(Layer::new().file("app/main", b"v1").tar(), "0"),
        scanned(
            Layer::new().opaque("app").file("app/main", b"v2").tar(),
            "1",
        ),
    ];
    let fs = merge(&layers);
    let main = fs.get("/app/main").unwrap();
    assert_eq!(main.history, [(0, Change::Added), (1, Change::Modified)]);
    assert_eq!(fs.layer_changes(1)[0].change, Change::Modified);
}

#[test]
fn files_and_dirs_replace_each_other() {
    let layers = vec![
        scanned(
            Layer::new()
                .file("srv/data/a", b"a")
                .file("srv/data/b", b"b")
                .file("srv/conf", b"c")
                .tar(),
            "0",
        ),
        scanned(
            Layer::new()
                .file("srv/data", b"now a file")
                .dir("srv/conf/")
                .file("srv/conf/inner", b"i")
                .tar(),
            "1",
        ),
    ];
    let fs = merge(&layers);
    let data = fs.get("/srv/data").unwrap();
    assert_eq!(data.entry.kind, EntryKind::File);
    assert_eq!(data.history, [(0, Change::Added), (1, Change::Modified)]);
    assert!(fs.get("/srv/data/a").is_none());
    assert_eq!(fs.deleted.get("/srv/data/a"), Some(&1));
    assert_eq!(fs.get("/srv/conf").unwrap().entry.kind, EntryKind::Dir);
    assert!(fs.get("/srv/conf/inner").is_some());
    let names: Vec<&str> = fs
        .list_dir("/srv")
        .unwrap()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(names, ["conf", "data"]);
}

#[test]
fn artefacts_only_of_live_files_from_the_layer_that_wrote_them() {
    let (d0, mut s0) = scanned(
        Layer::new()
            .file("bin/a", b"#!/bin/sh\n")
            .file("bin/b", b"#!/bin/sh\n")
            .file("bin/c", b"#!/bin/sh\n")
            .file("app/app.jar", b"PK")
            .tar(),
        "0",
    );
    // The classifier is another module's job; the artefacts are planted to test the merge.
    s0.artifacts = vec![
        script("/bin/a"),
        script("/bin/b"),
        script("/bin/c"),
        script("/app/app.jar!/lib/x.so"),
    ];
    let (d1, mut s1) = scanned(
        Layer::new()
            .whiteout("bin/a")
            .file("bin/b", b"#!/bin/bash\n")
            .tar(),
        "1",
    );
    s1.artifacts = vec![script("/bin/b")];
    let fs = merge(&[(d0, s0), (d1, s1)]);
    let kept: Vec<(usize, &str)> = fs
        .artifacts
        .iter()
        .map(|(l, a)| (*l, a.path.as_str()))
        .collect();
    assert_eq!(
        kept,
        [(0, "/bin/c"), (0, "/app/app.jar!/lib/x.so"), (1, "/bin/b")]
    );
}

#[test]
fn symlinks_resolve_across_layers() {
    let layers = vec![
        scanned(
            Layer::new()
                .dir("usr/")
                .dir("usr/lib/")
                .file("usr/lib/ld-musl-x86_64.so.1", b"ld")
                .symlink("lib", "usr/lib")
                .file("bin/busybox", b"bb")
                .tar(),
            "0",
        ),
        scanned(
            Layer::new()
                .symlink("bin/sh", "busybox")
                .symlink("usr/local/bin/entry", "/bin/sh")
                .symlink("usr/local/bin/up", "../../lib/ld-musl-x86_64.so.1")
                .hardlink("bin/bb2", "bin/busybox")
                .tar(),
            "1",
        ),
    ];
    let fs = merge(&layers);
    let (real, node) = fs.resolve("/usr/local/bin/entry").unwrap();
    assert_eq!(real, "/bin/busybox");
    assert_eq!(node.layer, 0);
    // Relative target, through a symlinked parent (/lib -> usr/lib).
    let (real, _) = fs.resolve("/usr/local/bin/up").unwrap();
    assert_eq!(real, "/usr/lib/ld-musl-x86_64.so.1");
    let (real, _) = fs.resolve("/lib/ld-musl-x86_64.so.1").unwrap();
    assert_eq!(real, "/usr/lib/ld-musl-x86_64.so.1");
    // A hard link leads to its target; with the target's path deleted, to itself.
    assert_eq!(fs.resolve("/bin/bb2").unwrap().0, "/bin/busybox");
    let mut with_delete = layers.clone();
    with_delete.push(scanned(Layer::new().whiteout("bin/busybox").tar(), "2"));
    let fs2 = merge(&with_delete);
    assert_eq!(fs2.resolve("/bin/bb2").unwrap().0, "/bin/bb2");
    assert!(fs2.resolve("/bin/sh").is_err());
    // A directory through a symlink can be listed.
    let names: Vec<&str> = fs
        .list_dir("/lib")
        .unwrap()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(names, ["ld-musl-x86_64.so.1"]);
    assert_eq!(
        fs.resolve("/bin/missing"),
        Err(ResolveError::NotFound {
            path: "/bin/missing".into(),
            missing: "/bin/missing".into()
        })
    );
    assert!(matches!(
        fs.resolve("/bin/busybox/x"),
        Err(ResolveError::NotADirectory { .. })
    ));
}

#[test]
fn symlink_loops_stop_after_40_hops() {
    let mut chain = Layer::new().symlink("a", "b").symlink("b", "a");
    // A chain of exactly 40 links resolves, 41 does not (Linux MAXSYMLINKS).
    for i in 0..41 {
        chain = chain.symlink(&format!("c{i}"), &format!("c{}", i + 1));
    }
    chain = chain.file("c41", b"end");
    let fs = merge(&[scanned(chain.tar(), "loop")]);
    let err = fs.resolve("/a").unwrap_err();
    assert!(
        err.to_string()
            .contains("too many levels of symbolic links"),
        "{err}"
    );
    assert_eq!(fs.resolve("/c1").unwrap().0, "/c41");
    assert!(matches!(fs.resolve("/c0"), Err(ResolveError::Loop { .. })));
}

#[test]
fn children_skip_subtrees_and_keep_name_order() {
    let fs = merge(&[scanned(
        Layer::new()
            .file("a/x", b"")
            .file("a/y/deep/z", b"")
            .file("a-b", b"")
            .file("a.c", b"")
            .file("b", b"")
            .tar(),
        "kids",
    )]);
    let root: Vec<&str> = fs.children("/").map(|(n, _)| n).collect();
    assert_eq!(root, ["a", "a-b", "a.c", "b"]);
    let a: Vec<&str> = fs.children("/a").map(|(n, _)| n).collect();
    assert_eq!(a, ["x", "y"]);
    assert_eq!(
        fs.get("/a/y/deep").unwrap().entry.kind,
        EntryKind::Dir,
        "parents are implied"
    );
}
