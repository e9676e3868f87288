//! Layer scans and the merged filesystem, on layers built with the `tar` crate and
//! compressed with flate2 / zstd (see tests/support).

mod support;

use archlens::detect::{Artifact, Details, Kind, ScriptInfo};
use archlens::oci::Digest;
use archlens::scan::{Change, EntryKind, LayerScan, MergedFs, ResolveError, ScanError, scan_layer};
use archlens::source::verify::VerifyingReader;
use serde_json::{Value, json};
use support::{
    Blob, Layer, OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_ZSTD, gzip, put_blob, write_index, zstd,
};

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

fn paths(scan: &LayerScan) -> Vec<String> {
    scan.entries.iter().map(|e| e.path).collect()
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
    let entries: Vec<_> = plain.entries.iter().collect();
    let app = &entries[2];
    assert_eq!(app.kind, EntryKind::File);
    assert_eq!(app.size, 100_000);
    assert_eq!(app.mode & 0o777, 0o755);
    assert_eq!(entries[3].kind, EntryKind::Symlink("busybox".into()));
    assert_eq!(entries[4].kind, EntryKind::Hardlink("/usr/bin/app".into()));
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
        sha256: None,
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
    assert_eq!(fs.deleted("/var/lib/db"), Some(1));
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
    assert!(fs.deleted("/etc/a").is_none());

    let changes = fs.layer_changes(1);
    let l1: Vec<(&str, Change)> = changes
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
    let changes = fs.layer_changes(2);
    let l2: Vec<(&str, Change)> = changes
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
    assert_eq!(fs.deleted("/srv/data/a"), Some(1));
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

// --- Hard links as overlayfs keeps them (fixtures: tests/fixtures/hardlink/README.md).

const TOOL: &str = "/usr/bin/tool";
const LINK: &str = "/usr/local/bin/tool";

fn hardlink_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/hardlink/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; rebuild it with scripts/fixtures/hardlink.sh"))
}

/// One entry of a layer tar for the hard-link tests.
enum Put<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    /// A hard link and its target, named as tar does (relative, no leading slash).
    Link(&'a str, &'a str),
    /// A whiteout marker `.wh.NAME`: an empty regular file.
    Whiteout(&'a str),
}

/// A layer tar as `docker build` writes one. Every entry has mode 755: a hard link's header
/// carries its file's mode in real tars, and appliers apply it to the shared inode.
fn tar_of(entries: &[Put]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for put in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o755);
        h.set_mtime(1_700_000_000);
        h.set_size(0);
        match put {
            Put::Dir(path) => {
                h.set_entry_type(tar::EntryType::Directory);
                b.append_data(&mut h, path, &[][..]).unwrap();
            }
            Put::File(path, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, *data).unwrap();
            }
            Put::Link(path, target) => {
                h.set_entry_type(tar::EntryType::Link);
                b.append_link(&mut h, path, target).unwrap();
            }
            Put::Whiteout(path) => {
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, path, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// Layer 1 of the issue: an arm64 tool and a hard link to it in /usr/local/bin.
fn arm64_tool_with_link(arm64: &[u8]) -> Vec<u8> {
    tar_of(&[
        Put::Dir("usr/"),
        Put::Dir("usr/bin/"),
        Put::File("usr/bin/tool", arm64),
        Put::Dir("usr/local/"),
        Put::Dir("usr/local/bin/"),
        Put::Link("usr/local/bin/tool", "usr/bin/tool"),
    ])
}

/// What the rules see at `path`: the real path, its size and the CPU of its artefact.
fn content_at(fs: &MergedFs, path: &str) -> (String, u64, String) {
    let (real, node) = fs.resolve(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let arch = fs
        .artifacts
        .iter()
        .find(|(_, a)| a.path == real && a.container.is_none())
        .and_then(|(_, a)| a.arch.as_ref())
        .map_or_else(|| "no artefact".to_string(), |a| a.name.clone());
    (real, node.entry.size, arch)
}

/// Extracts layer tars in order as containerd's applier does onto overlayfs: a whiteout
/// deletes its name, an entry first removes whatever non-directory is at its path (so a
/// hard link to the old file keeps the old bytes), a hard link is made to its target.
fn extract_as_overlayfs(layers: &[Vec<u8>], root: &std::path::Path) {
    for tar in layers {
        let mut archive = tar::Archive::new(&tar[..]);
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let rel = entry.path().unwrap().into_owned();
            let dst = root.join(&rel);
            let name = rel.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(gone) = name.strip_prefix(".wh.") {
                let victim = dst.with_file_name(gone);
                if victim.is_dir() {
                    std::fs::remove_dir_all(&victim).unwrap();
                } else {
                    std::fs::remove_file(&victim).unwrap();
                }
                continue;
            }
            if dst.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
                std::fs::remove_file(&dst).unwrap();
            }
            assert!(entry.unpack_in(root).unwrap(), "{rel:?} escapes the root");
        }
    }
}

fn find_tool(name: &str, package: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is missing: install it with `apt-get install {package}` (needed to run the arm64 side of the hard-link tests)")
        })
}

/// Whether the host runs arm64 ELF files by itself (a binfmt_misc qemu handler).
fn host_runs_arm64() -> bool {
    std::fs::read_dir("/proc/sys/fs/binfmt_misc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("aarch64"))
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|s| s.starts_with("enabled")))
}

/// chroot(2) then execve(2), as runc starts an entrypoint: no PATH search and no /bin/sh
/// retry on ENOEXEC (which `chroot` and execvp do), so the error is the kernel's.
const LAUNCH: &str = r#"
import os, sys
os.chroot(sys.argv[1]); os.chdir("/")
try:
    os.execve(sys.argv[2], sys.argv[2:], {"PATH": "/usr/local/bin:/usr/bin:/bin"})
except OSError as e:
    sys.exit(f"exec {sys.argv[2]}: {e.strerror}")
"#;

/// Runs `path` in a chroot of `root`: natively, or under qemu-aarch64-static copied into the
/// root (as an arm64 machine would run it). Returns (success, stdout, stderr).
fn run_in_chroot(root: &std::path::Path, path: &str, arm64: bool) -> (bool, String, String) {
    assert_eq!(
        std::env::consts::ARCH,
        "x86_64",
        "the hard-link run checks run amd64 natively and arm64 under qemu: they need an x86-64 host"
    );
    let python = find_tool("python3", "python3");
    let mut cmd = std::process::Command::new(python);
    cmd.args(["-c", LAUNCH]).arg(root);
    if arm64 {
        let qemu = find_tool("qemu-aarch64-static", "qemu-user-static");
        std::fs::copy(&qemu, root.join("qemu-aarch64-static")).unwrap();
        cmd.arg("/qemu-aarch64-static");
    }
    let out = cmd.arg(path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("PermissionError"),
        "the run checks chroot, which needs root: {stderr}"
    );
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// `archlens check --format json` of a one-image layout whose entrypoint is `entrypoint`,
/// for `target`: that target's result.
fn check_layout(layers: &[Vec<u8>], arch: &str, entrypoint: &str, target: &str) -> Value {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let blobs: Vec<Blob> = layers.iter().map(|l| Blob::gzip(l)).collect();
    let cfg = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux", "config": {"Entrypoint": [entrypoint]},
        "rootfs": {"type": "layers", "diff_ids": blobs.iter().map(|b| b.diff_id.to_string()).collect::<Vec<_>>()},
    }))
    .unwrap();
    let cfg_d = put_blob(dir, &cfg);
    let layer_descs: Vec<Value> = blobs
        .iter()
        .map(|b| {
            put_blob(dir, &b.bytes);
            json!({"mediaType": b.media_type, "size": b.bytes.len(), "digest": b.digest().to_string()})
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": cfg.len(), "digest": cfg_d.to_string()},
        "layers": layer_descs,
    }))
    .unwrap();
    let d = put_blob(dir, &manifest);
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    write_index(
        dir,
        json!([{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": manifest.len(), "digest": d.to_string(),
                "annotations": {"org.opencontainers.image.ref.name": "t"}}]),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args(["check", &format!("oci:{}:t", dir.display())])
        .args(["--target", target, "--format", "json", "--no-cache"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["results"][0].clone()
}

#[test]
fn a_hard_link_keeps_the_arm64_bytes_when_a_later_layer_overwrites_its_target() {
    let arm64 = hardlink_fixture("tool-arm64");
    let amd64 = hardlink_fixture("tool-amd64");
    let layers = vec![
        arm64_tool_with_link(&arm64),
        tar_of(&[Put::File("usr/bin/tool", &amd64)]),
    ];
    let scans: Vec<(Digest, LayerScan)> = layers
        .iter()
        .enumerate()
        .map(|(i, t)| scanned(t.clone(), &format!("hl{i}")))
        .collect();
    let fs = merge(&scans);
    assert_eq!(
        content_at(&fs, LINK),
        (LINK.to_string(), arm64.len() as u64, "arm64".to_string())
    );
    assert_eq!(
        content_at(&fs, TOOL),
        (TOOL.to_string(), amd64.len() as u64, "amd64".to_string())
    );

    // The truth, by running: the link is the arm64 build, the overwritten name the amd64 one.
    let root = tempfile::tempdir().unwrap();
    extract_as_overlayfs(&layers, root.path());
    let (ok, out, err) = run_in_chroot(root.path(), LINK, true);
    assert!(ok, "{LINK} under qemu-aarch64: {err}");
    assert_eq!(out.trim(), "archlens fixture tool: arm64");
    let (ok, out, err) = run_in_chroot(root.path(), TOOL, false);
    assert!(ok, "{TOOL} natively: {err}");
    assert_eq!(out.trim(), "archlens fixture tool: amd64");
    // On an amd64 target the link fails as archlens now predicts (exec format error).
    let (ok, _, err) = run_in_chroot(root.path(), LINK, false);
    if host_runs_arm64() {
        assert!(ok, "binfmt_misc runs arm64 here, yet {LINK} failed: {err}");
    } else {
        assert!(
            !ok && err.contains(&format!("exec {LINK}: Exec format error")),
            "{LINK}: {err}"
        );
    }

    // archlens check agrees with the run, for an image whose entrypoint is the link.
    let r = check_layout(&layers, "arm64", LINK, "graviton");
    assert_ne!(r["verdict"], "fail", "{r:#}");
    assert_eq!(r["predicted_error"], Value::Null, "{r:#}");
    let foreign: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["path"])
        .collect();
    assert_eq!(foreign, [TOOL], "only the amd64 name is foreign: {r:#}");
    let r = check_layout(&layers, "arm64", LINK, "apprunner");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(
        r["predicted_error"],
        format!("exec {LINK}: exec format error"),
        "{r:#}"
    );
}

#[test]
fn deleting_either_name_of_a_hard_link_leaves_the_other_with_the_content() {
    let arm64 = hardlink_fixture("tool-arm64");
    for (gone, kept) in [(TOOL, LINK), (LINK, TOOL)] {
        let (dir, name) = gone.rsplit_once('/').unwrap();
        let whiteout = format!("{}/.wh.{name}", &dir[1..]);
        let layers = vec![
            arm64_tool_with_link(&arm64),
            tar_of(&[Put::Whiteout(&whiteout)]),
        ];
        let scans: Vec<(Digest, LayerScan)> = layers
            .iter()
            .enumerate()
            .map(|(i, t)| scanned(t.clone(), &format!("del{i}")))
            .collect();
        let fs = merge(&scans);
        assert!(fs.resolve(gone).is_err(), "{gone} should be deleted");
        assert_eq!(
            content_at(&fs, kept),
            (kept.to_string(), arm64.len() as u64, "arm64".to_string()),
            "after deleting {gone}"
        );
        assert_eq!(fs.artifacts.len(), 1, "{:?}", fs.artifacts);

        let root = tempfile::tempdir().unwrap();
        extract_as_overlayfs(&layers, root.path());
        let (ok, out, err) = run_in_chroot(root.path(), kept, true);
        assert!(ok, "{kept} after deleting {gone}: {err}");
        assert_eq!(out.trim(), "archlens fixture tool: arm64");
        // The kernel answers before any CPU matters (qemu itself exits without a word).
        let (ok, _, err) = run_in_chroot(root.path(), gone, false);
        assert!(
            !ok && err.contains(&format!("exec {gone}: No such file or directory")),
            "{gone}: {err}"
        );
    }
}
