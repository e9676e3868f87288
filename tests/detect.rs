//! Drives `detect::classify` the way the layer scanner does: a path, a size and a reader
//! that hands out the file in small pieces, over the real fixtures in tests/fixtures/detect.

use std::io::{self, Read};

use archlens::detect::{
    Artifact, Details, DetectError, ElfType, JAR_MEMORY_THRESHOLD, JAR_SPOOL_CAP, Kind, Libc,
    classify,
};
use archlens::oci::Arch;

fn fixture(name: &str) -> Vec<u8> {
    let p = format!(
        "{}/tests/fixtures/detect/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!("{p}: {e}; rebuild the fixtures with scripts/fixtures/detect.sh")
    })
}

/// A reader that hands out at most `chunk` bytes per call (as a tar stream over a
/// decompressor does) and counts what was taken.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
    taken: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.data.len() - self.taken);
        buf[..n].copy_from_slice(&self.data[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

fn run(path: &str, data: &[u8]) -> Vec<Artifact> {
    let mut r = Trickle {
        data,
        chunk: 1000,
        taken: 0,
    };
    classify(path, data.len() as u64, &mut r).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn one(path: &str, data: &[u8]) -> Artifact {
    let mut v = run(path, data);
    assert_eq!(v.len(), 1, "{path}: {v:?}");
    v.remove(0)
}

#[test]
fn elf_executables_for_each_debian_arch() {
    for (file, arch) in [
        ("hello-amd64", "amd64"),
        ("hello-arm64", "arm64"),
        ("hello-armhf", "arm/v7"),
        ("hello-armel", "arm/v5"),
        ("hello-i386", "386"),
        ("hello-ppc64el", "ppc64le"),
        ("hello-s390x", "s390x"),
    ] {
        let a = one("/usr/bin/hello", &fixture(file));
        assert_eq!(a.kind, Kind::Elf, "{file}");
        assert_eq!(a.path, "/usr/bin/hello");
        assert_eq!(
            a.arch.as_ref().map(ToString::to_string).as_deref(),
            Some(arch)
        );
        assert_eq!(a.libc, Some(Libc::Glibc), "{file}");
        assert!(a.interpreter.is_some(), "{file}");
        let Details::Elf(info) = &a.details else {
            panic!("{file}: {:?}", a.details)
        };
        assert_eq!(info.elf_type, ElfType::Executable);
        assert_eq!(info.min_glibc.as_deref(), Some("2.34"));
    }
}

#[test]
fn go_binary_build_info_is_found_in_the_stream() {
    let data = fixture("go-hello-arm64");
    let a = one("/app/server", &data);
    assert_eq!(a.kind, Kind::GoBinary);
    assert_eq!(a.arch, Some(Arch::arm64()));
    assert_eq!(a.libc, None);
    let Details::Go { elf, go } = &a.details else {
        panic!("{:?}", a.details)
    };
    assert!(go.has_build_info);
    assert_eq!(go.goarch.as_deref(), Some("arm64"));
    assert_eq!(go.cgo, Some(false));
    assert_eq!(go.go_version.as_deref(), Some("go1.19.8"));
    assert_eq!(go.module.as_deref(), Some("example.com/archlens/gohello"));
    assert!(elf.as_ref().is_some_and(|e| e.is_static));
}

#[test]
fn static_binaries() {
    let a = one("/bin/tiny", &fixture("static-arm64.head"));
    let Details::Elf(info) = &a.details else {
        panic!()
    };
    assert!(info.is_static);
    assert_eq!(a.interpreter, None);
    let a = one("/bin/tiny-pie", &fixture("static-pie-arm64"));
    let Details::Elf(info) = &a.details else {
        panic!()
    };
    assert_eq!(info.elf_type, ElfType::StaticPie);
    assert_eq!(a.arch, Some(Arch::arm64()));
}

#[test]
fn python_extension_and_wheel() {
    let p = "/usr/local/lib/python3.11/site-packages/markupsafe/_speedups.cpython-311-aarch64-linux-musl.so";
    let a = one(p, &fixture("_speedups.cpython-311-aarch64-linux-musl.so"));
    assert_eq!(a.kind, Kind::PythonExtension);
    assert_eq!(a.arch, Some(Arch::arm64()));
    assert_eq!(a.libc, Some(Libc::Musl));
    let Details::Elf(info) = &a.details else {
        panic!()
    };
    assert_eq!(info.claimed_arch, Some(Arch::arm64()));
    assert!(info.notes.is_empty(), "{:?}", info.notes);

    let w = one(
        "/usr/local/lib/python3.11/site-packages/MarkupSafe-2.1.5.dist-info/WHEEL",
        &fixture("WHEEL.musllinux-aarch64"),
    );
    assert_eq!(w.kind, Kind::PythonWheel);
    assert_eq!(w.arch, Some(Arch::arm64()));
    assert_eq!(w.libc, Some(Libc::Musl));
}

#[test]
fn elf_evidence_outranks_a_lying_extension_name() {
    // An x86-64 module renamed as if it were aarch64: the header wins, the claim is kept.
    let p = "/usr/lib/python3/dist-packages/_speedups.cpython-311-aarch64-linux-gnu.so";
    let a = one(p, &fixture("_speedups.cpython-311-x86_64-linux-gnu.so"));
    assert_eq!(a.arch, Some(Arch::amd64()));
    let Details::Elf(info) = &a.details else {
        panic!()
    };
    assert_eq!(info.claimed_arch, Some(Arch::arm64()));
    assert!(
        info.notes
            .iter()
            .any(|n| n.contains("arm64") && n.contains("amd64")),
        "{:?}",
        info.notes
    );
}

#[test]
fn windows_extension_in_a_linux_image() {
    let p = "/usr/lib/python3/site-packages/markupsafe/_speedups.cp311-win_amd64.pyd";
    let a = one(p, &fixture("_speedups.cp311-win_amd64.pyd"));
    assert_eq!(a.kind, Kind::PythonExtension);
    let Details::Pe(pe) = &a.details else {
        panic!("{:?}", a.details)
    };
    assert!(pe.description.contains("PE32+"), "{}", pe.description);
    // A macOS build of an extension copied into a Linux image.
    let a = one(
        "/usr/local/lib/python3.11/site-packages/_x.cpython-311-darwin.so",
        &fixture("fsevents.node"),
    );
    assert_eq!(a.kind, Kind::PythonExtension);
    assert!(matches!(a.details, Details::MachO(_)));
    // A Windows executable outside a Python tree is just a PE.
    let a = one("/opt/tool.exe", &fixture("_speedups.cp311-win_amd64.pyd"));
    assert_eq!(a.kind, Kind::Pe);
}

#[test]
fn node_addons() {
    let a = one(
        "/app/node_modules/fsevents/fsevents.node",
        &fixture("fsevents.node"),
    );
    assert_eq!(a.kind, Kind::NodeAddon);
    assert_eq!(a.arch, None);
    let Details::MachO(m) = &a.details else {
        panic!("{:?}", a.details)
    };
    assert!(m.description.starts_with("Mach-O universal"));

    let a = one(
        "/app/node_modules/bufferutil/prebuilds/linux-x64/node.napi.node",
        &fixture("bufferutil-linux-x64.node"),
    );
    assert_eq!(a.kind, Kind::NodeAddon);
    assert_eq!(a.arch, Some(Arch::amd64()));
    let Details::Elf(info) = &a.details else {
        panic!()
    };
    assert_eq!(info.claimed_arch, Some(Arch::amd64()));
    assert_eq!(info.soname.as_deref(), Some("bufferutil.node"));

    let p = one(
        "/app/node_modules/@node-rs/crc32-linux-arm64-gnu/package.json",
        &fixture("crc32-linux-arm64-gnu.package.json"),
    );
    assert_eq!(p.kind, Kind::NodePackage);
    assert_eq!(p.arch, Some(Arch::arm64()));
    assert_eq!(p.libc, Some(Libc::Glibc));
    // The same file outside node_modules is an ordinary file.
    assert!(
        run(
            "/app/package.json",
            &fixture("crc32-linux-arm64-gnu.package.json")
        )
        .is_empty()
    );
}

#[test]
fn jars_yield_themselves_and_their_jni_libraries() {
    let out = run("/app/app.jar", &fixture("fat-demo.jar"));
    assert_eq!(out[0].kind, Kind::Jar);
    assert_eq!(out[0].path, "/app/app.jar");
    let jni: Vec<&Artifact> = out.iter().filter(|a| a.kind == Kind::JniLibrary).collect();
    assert_eq!(jni.len(), 4, "{out:?}");
    let arches: Vec<String> = jni
        .iter()
        .filter_map(|a| a.arch.as_ref().map(ToString::to_string))
        .collect();
    for want in ["amd64", "arm64", "arm/v7"] {
        assert!(arches.iter().any(|a| a == want), "{want} in {arches:?}");
    }
}

#[test]
fn a_jar_over_the_cap_is_not_read() {
    struct Refuse;
    impl Read for Refuse {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("must not be read"))
        }
    }
    let out = classify("/app/huge.jar", JAR_SPOOL_CAP + 1, &mut Refuse).unwrap();
    let Details::Jar(info) = &out[0].details else {
        panic!()
    };
    assert!(
        info.not_inspected
            .as_deref()
            .is_some_and(|s| s.contains("limit"))
    );
}

#[test]
fn a_jar_larger_than_memory_allows_is_spooled_and_inspected() {
    use std::io::Write;
    // A real zip (written by the zip crate): 9 MB of stored padding, then a real arm64 ELF
    // in sqlite-jdbc's layout, so the central directory lies past the memory threshold.
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zw.start_file("assets/padding.bin", stored).unwrap();
    zw.write_all(&vec![7u8; 9 * 1024 * 1024]).unwrap();
    zw.start_file("org/sqlite/native/Linux/aarch64/libsqlitejdbc.so", stored)
        .unwrap();
    zw.write_all(&fixture("libarchlens-arm64.so")).unwrap();
    let bytes = zw.finish().unwrap().into_inner();
    assert!(bytes.len() as u64 > JAR_MEMORY_THRESHOLD);
    let out = classify("/app/big.jar", bytes.len() as u64, &mut &bytes[..]).unwrap();
    let jni: Vec<_> = out.iter().filter(|a| a.kind == Kind::JniLibrary).collect();
    assert_eq!(jni.len(), 1, "{out:?}");
    assert_eq!(
        jni[0].path,
        "/app/big.jar!/org/sqlite/native/Linux/aarch64/libsqlitejdbc.so"
    );
    assert_eq!(jni[0].arch, Some(Arch::arm64()));
}

#[test]
fn package_databases() {
    let a = one("/var/lib/dpkg/status", &fixture("dpkg-status"));
    assert_eq!(a.kind, Kind::PackageDb);
    assert_eq!(a.arch, Some(Arch::amd64()));
    let a = one("/lib/apk/db/installed", &fixture("apk-installed"));
    assert_eq!(a.arch, Some(Arch::arm64()));
    let Details::PackageDb(info) = &a.details else {
        panic!()
    };
    assert_eq!(info.manager, "apk");
    let a = one(
        "/var/lib/dpkg/status.d/adduser",
        &fixture("status.d/adduser"),
    );
    assert_eq!(a.kind, Kind::PackageDb);
}

#[test]
fn scripts() {
    let a = one(
        "/usr/local/bin/docker-entrypoint.sh",
        b"#!/usr/bin/env -S node --enable-source-maps\r\nconsole.log(1)\n",
    );
    assert_eq!(a.kind, Kind::Script);
    assert_eq!(a.interpreter.as_deref(), Some("/usr/bin/env"));
    let Details::Script(s) = &a.details else {
        panic!()
    };
    assert_eq!(s.command(), Some("node"));
}

#[test]
fn ordinary_files_cost_a_small_peek() {
    let big = vec![b'x'; 10 * 1024 * 1024];
    let mut r = Trickle {
        data: &big,
        chunk: 1 << 20,
        taken: 0,
    };
    let out = classify("/usr/share/doc/big.txt", big.len() as u64, &mut r).unwrap();
    assert!(out.is_empty());
    assert!(
        r.taken <= 4096,
        "read {} bytes of an ordinary file",
        r.taken
    );
    // A Java class file shares the universal Mach-O magic but is not one.
    assert!(run("/app/A.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x41\x00\x10").is_empty());
    assert!(run("/app/Main.bin", b"\xca\xfe\xba\xbe\x00\x00\x00\x34rest").is_empty());
    assert!(run("/empty", b"").is_empty());
}

#[test]
fn broken_input_names_the_file() {
    let mut head = fixture("hello-amd64");
    head.truncate(30);
    let mut r = &head[..];
    match classify("/usr/bin/cut-short", 30, &mut r) {
        Err(e @ DetectError::Malformed { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("/usr/bin/cut-short") && msg.contains("truncated"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("gzip stream corrupt"))
        }
    }
    match classify("/usr/bin/x", 100, &mut Broken) {
        Err(e @ DetectError::Io { .. }) => assert!(e.to_string().contains("/usr/bin/x")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_prefix_of_real_binaries_classifies_without_panic() {
    for name in [
        "hello-arm64",
        "fsevents.node",
        "_speedups.cp311-win_amd64.pyd",
    ] {
        let data = fixture(name);
        for n in (0..data.len().min(8192)).chain([data.len() / 2]) {
            let mut r = &data[..n];
            let _ = classify("/x/y.node", n as u64, &mut r);
        }
    }
}

#[test]
fn artifacts_round_trip_through_json() {
    let a = one("/app/server", &fixture("go-hello-arm64"));
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.contains("\"kind\":\"go-binary\""), "{json}");
    let back: Artifact = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn a_stream_that_breaks_after_the_headers_keeps_the_elf_facts() {
    struct Chain<'a>(&'a [u8]);
    impl Read for Chain<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("unexpected end of gzip stream"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    // A real ELF padded to 5 MiB: the 4 MiB prefix arrives, then the stream fails
    // while the rest is searched for Go build info.
    let mut data = fixture("hello-arm64");
    data.resize(5 << 20, 0);
    let mut r = Chain(&data[..(4 << 20) + 1000]);
    let out = classify("/usr/bin/hello", data.len() as u64, &mut r).expect("header facts kept");
    assert_eq!(out[0].arch, Some(Arch::arm64()));
    let Details::Elf(info) = &out[0].details else {
        panic!()
    };
    assert!(
        info.notes
            .iter()
            .any(|n| n.contains("Go build info") && n.contains("gzip")),
        "{:?}",
        info.notes
    );

    // When the prefix itself cannot be read, the error names the file.
    let mut r = Chain(&data[..65536]);
    match classify("/usr/bin/hello", data.len() as u64, &mut r) {
        Err(e) => assert!(e.to_string().contains("/usr/bin/hello"), "{e}"),
        Ok(v) => panic!("expected the read error to surface: {v:?}"),
    }
}

#[test]
fn corrupted_binaries_and_jars_never_panic() {
    // Fixed-seed xorshift so a failure reproduces.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (path, name) in [
        ("/app/app.jar", "sqlite-demo.jar"),
        ("/app/n.node", "fsevents.node"),
        ("/app/x.pyd", "_speedups.cp311-win_amd64.pyd"),
        ("/app/x.so", "_speedups.cpython-311-aarch64-linux-musl.so"),
    ] {
        let base = fixture(name);
        for _ in 0..400 {
            let mut b = base.clone();
            for _ in 0..(1 + next() % 6) {
                let r = next();
                // Jars keep their directory at the end; binaries their headers at the start.
                let at = if r % 2 == 0 {
                    b.len() - 1 - (next() as usize % b.len().min(600))
                } else {
                    next() as usize % b.len().min(600)
                };
                b[at] = (r >> 8) as u8;
            }
            let mut r = &b[..];
            let _ = classify(path, b.len() as u64, &mut r);
        }
    }
}

fn cpu_fixture(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/cpu/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p)
        .unwrap_or_else(|e| panic!("{p}: {e}; rebuild the fixtures with scripts/fixtures/cpu.sh"))
}

fn x86_level(a: &Artifact) -> Option<u8> {
    match &a.details {
        Details::Elf(e) => e.x86_level_needed,
        Details::Go { elf, .. } => elf.as_ref().and_then(|e| e.x86_level_needed),
        other => panic!("{other:?}"),
    }
}

#[test]
fn amd64_levels_from_go_build_info_and_the_gnu_property_note() {
    let go = one("/app", &cpu_fixture("go-amd64-v3"));
    assert_eq!(go.kind, Kind::GoBinary);
    let Details::Go { go: info, .. } = &go.details else {
        panic!("{go:?}")
    };
    assert_eq!(info.goarch_level.as_deref(), Some("v3"));
    // The level is not an OCI variant: the arch stays amd64, which every amd64 host matches.
    assert_eq!(go.arch, Some(Arch::new("amd64", None)));
    // Go writes no GNU property note.
    assert_eq!(x86_level(&go), None);

    assert_eq!(
        x86_level(&one("/a", &cpu_fixture("c-avx2-v3-note"))),
        Some(3)
    );
    assert_eq!(
        x86_level(&one("/a", &cpu_fixture("c-avx2-v3-static-note"))),
        Some(3)
    );
    // gcc's own note says only "baseline" whatever -march said.
    assert_eq!(
        x86_level(&one("/a", &cpu_fixture("c-avx2-v3-nonote"))),
        Some(1)
    );
    // Debian's hello (2022 toolchain) has a property note too, at baseline or none.
    assert!(x86_level(&one("/a", &fixture("hello-amd64"))).is_none_or(|l| l == 1));
    // arm64 binaries carry other property bits (BTI/PAC); they are never an x86 level.
    assert_eq!(x86_level(&one("/a", &fixture("hello-arm64"))), None);
}

#[test]
fn hostile_property_notes_never_panic_and_never_claim_a_level() {
    let good = cpu_fixture("c-avx2-v3-note");
    // Every byte of the first 1 KiB (headers and the note) set to a few hostile values.
    for at in 0..1024.min(good.len()) {
        for v in [0x00, 0xff, 0x7f, 0x08] {
            let mut b = good.clone();
            b[at] = v;
            let mut r = Trickle {
                data: &b,
                chunk: 4096,
                taken: 0,
            };
            if let Ok(arts) = classify("/a", b.len() as u64, &mut r) {
                for a in &arts {
                    if let Details::Elf(e) = &a.details {
                        assert!(e.x86_level_needed.is_none_or(|l| (1..=4).contains(&l)));
                    }
                }
            }
        }
    }
}
