//! A plain tar layer in a file already verified is walked by its headers, seeking over the
//! data nobody wants: it must find exactly what reading every byte finds.

mod support;

use std::io::{Seek, SeekFrom, Write};

use archlens::oci::Digest;
use archlens::scan::{LayerScan, scan_layer, scan_verified_file};
use support::{Layer, OCI_LAYER_GZIP, OCI_LAYER_TAR, gzip};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/detect/{name}")).unwrap()
}

/// Every kind of file a classifier reads, between large files none does.
fn mixed_layer() -> Vec<u8> {
    let filler = vec![b'x'; 300_000];
    Layer::new()
        .file("usr/share/doc/big.txt", &filler)
        .file_mode("usr/bin/hello", &fixture("hello-arm64"), 0o755)
        .file("usr/share/doc/more.txt", &filler)
        .file_mode("usr/bin/hello-go", &fixture("go-hello-arm64"), 0o755)
        .file(
            "usr/lib/python3/site-packages/_speedups.cpython-311-x86_64-linux-gnu.so",
            &fixture("_speedups.cpython-311-x86_64-linux-gnu.so"),
        )
        .file(
            "usr/lib/python3/site-packages/x-1.0.dist-info/WHEEL",
            &fixture("WHEEL.musllinux-aarch64"),
        )
        .file(
            "app/node_modules/bufferutil/build/bufferutil.node",
            &fixture("bufferutil-linux-x64.node"),
        )
        .file("app/app.jar", &fixture("sqlite-demo.jar"))
        .file("var/lib/dpkg/status", &fixture("dpkg-status"))
        .file_mode(
            "entrypoint.sh",
            b"#!/bin/sh\nexec /usr/bin/hello \"$@\"\n",
            0o755,
        )
        .file("usr/share/doc/tail.txt", &filler)
        .tar()
}

/// Writes `bytes` after some other bytes, as a member of an archive sits in its file.
fn in_a_file(bytes: &[u8]) -> (std::fs::File, u64) {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(&[0u8; 1536]).unwrap();
    f.write_all(bytes).unwrap();
    f.write_all(&[0xffu8; 4096]).unwrap();
    f.seek(SeekFrom::Start(1536)).unwrap();
    (f, bytes.len() as u64)
}

fn same(a: &LayerScan, b: &LayerScan) {
    assert_eq!(a.entries, b.entries);
    assert_eq!(a.artifacts, b.artifacts);
    assert_eq!(a.warnings, b.warnings);
    assert_eq!(a.whiteouts, b.whiteouts);
    assert_eq!(a.uncompressed_size, b.uncompressed_size);
}

#[test]
fn headers_only_finds_every_artefact_reading_finds() {
    let tar = mixed_layer();
    let d = Digest::sha256_of(&tar);
    let read = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap();
    let (file, len) = in_a_file(&tar);
    let walked = scan_verified_file(file, len, OCI_LAYER_TAR, &d).unwrap();
    same(&read, &walked);
    let mut kinds: Vec<String> = walked
        .artifacts
        .iter()
        .map(|a| format!("{} {:?}", a.path, a.kind))
        .collect();
    kinds.sort();
    for want in [
        "/usr/bin/hello Elf",
        "/usr/bin/hello-go GoBinary",
        "/app/app.jar Jar",
        "/var/lib/dpkg/status PackageDb",
        "/entrypoint.sh Script",
        "/app/node_modules/bufferutil/build/bufferutil.node NodeAddon",
        "/usr/lib/python3/site-packages/x-1.0.dist-info/WHEEL PythonWheel",
    ] {
        assert!(
            kinds.iter().any(|k| k == want),
            "{want} missing: {kinds:#?}"
        );
    }
    // A gzip blob behind the same call is decoded whole, with the same result.
    let gz = gzip(&tar);
    let (file, len) = in_a_file(&gz);
    let decoded = scan_verified_file(file, len, OCI_LAYER_GZIP, &d).unwrap();
    assert_eq!(decoded.entries, read.entries);
    assert_eq!(decoded.artifacts, read.artifacts);
}

#[test]
fn a_cut_inside_skipped_data_is_a_partial_scan_as_when_reading() {
    let tar = mixed_layer();
    let d = Digest::sha256_of(b"cut");
    // Inside the last filler file, inside the first one, and right after an entry.
    for cut in [tar.len() - 100_000, 512 + 1000, 512 + 300_032] {
        let read = scan_layer(&tar[..cut], OCI_LAYER_TAR, &d);
        let (file, _) = in_a_file(&tar[..cut]);
        let walked = scan_verified_file(file, cut as u64, OCI_LAYER_TAR, &d);
        match (read, walked) {
            (Ok(read), Ok(walked)) => {
                assert_eq!(read.entries, walked.entries, "cut at {cut}");
                assert_eq!(read.artifacts, walked.artifacts, "cut at {cut}");
                assert_eq!(read.warnings, walked.warnings, "cut at {cut}");
                assert!(
                    walked
                        .warnings
                        .iter()
                        .any(|w| w.contains("is truncated after")),
                    "cut at {cut}: {:?}",
                    walked.warnings
                );
            }
            (Err(read), Err(walked)) => assert_eq!(read.to_string(), walked.to_string()),
            (read, walked) => panic!("cut at {cut}: reading gave {read:?}, walking {walked:?}"),
        }
    }
}

/// `archlens diff` proves two builds byte-identical by each native file's sha256, which the
/// scanner only starts once a file's first bytes show native magic: it must still cover
/// every byte, in a stream and when the rest of the layer is seeked over.
#[test]
fn native_files_carry_the_sha256_of_their_bytes_and_no_other_file_does() {
    use sha2::{Digest as _, Sha256};
    let pe = fixture("_speedups.cp311-win_amd64.pyd");
    let macho = fixture("fsevents.node");
    let elf = fixture("hello-arm64");
    let mut not_elf = b"\x7fELF".to_vec();
    not_elf.extend(vec![0u8; 9000]);
    let class = [&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52][..], &[7u8; 5000]].concat();
    let tar = Layer::new()
        .file("usr/share/doc/big.txt", &vec![b'x'; 300_000])
        .file_mode("usr/bin/hello", &elf, 0o755)
        .file("app/_speedups.pyd", &pe)
        .file("app/fsevents.node", &macho)
        .file("app/broken.so", &not_elf)
        .file("app/Main.class", &class)
        .file_mode("entrypoint.sh", b"#!/bin/sh\nexec hello\n", 0o755)
        .tar();
    let d = Digest::sha256_of(&tar);
    let read = scan_layer(&tar[..], OCI_LAYER_TAR, &d).unwrap();
    let (file, len) = in_a_file(&tar);
    let walked = scan_verified_file(file, len, OCI_LAYER_TAR, &d).unwrap();
    let sha = |b: &[u8]| format!("sha256:{}", hex::encode(Sha256::digest(b)));
    for scan in [&read, &walked] {
        let digests: Vec<(String, Option<String>)> = scan
            .artifacts
            .iter()
            .map(|a| (a.path.clone(), a.sha256.as_ref().map(|d| d.to_string())))
            .collect();
        for (path, bytes) in [
            ("/usr/bin/hello", &elf),
            ("/app/_speedups.pyd", &pe),
            ("/app/fsevents.node", &macho),
        ] {
            assert!(
                digests.contains(&(path.to_string(), Some(sha(bytes)))),
                "{path}: {digests:#?}"
            );
        }
        assert!(
            digests.contains(&("/entrypoint.sh".to_string(), None)),
            "a script is no native file: {digests:#?}"
        );
        assert_eq!(
            digests.iter().filter(|(_, d)| d.is_some()).count(),
            3,
            "{digests:#?}"
        );
    }
}
