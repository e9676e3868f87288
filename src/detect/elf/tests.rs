//! ELF parsing on real bytes and on hand-made headers.

use super::*;

use crate::detect::fixture;

fn facts(name: &str) -> ElfFacts {
    let b = fixture(name);
    parse(&b, b.len() as u64).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn debian_hello_on_seven_architectures() {
    for (file, arch, interp) in [
        ("hello-amd64", "amd64", "/lib64/ld-linux-x86-64.so.2"),
        ("hello-arm64", "arm64", "/lib/ld-linux-aarch64.so.1"),
        ("hello-armhf", "arm/v7", "/lib/ld-linux-armhf.so.3"),
        // Debian armel targets ARMv5TE; its .ARM.attributes say so.
        ("hello-armel", "arm/v5", "/lib/ld-linux.so.3"),
        ("hello-i386", "386", "/lib/ld-linux.so.2"),
        ("hello-ppc64el", "ppc64le", "/lib64/ld64.so.2"),
        ("hello-s390x", "s390x", "/lib/ld64.so.1"),
    ] {
        let f = facts(file);
        assert_eq!(
            f.arch.map(|a| a.to_string()).as_deref(),
            Some(arch),
            "{file}"
        );
        assert_eq!(f.info.interpreter.as_deref(), Some(interp), "{file}");
        assert_eq!(f.info.elf_type, ElfType::Executable, "{file}");
        assert!(!f.info.is_static, "{file}");
        assert_eq!(f.libc, Some(Libc::Glibc), "{file}");
        assert!(f.info.needed.contains(&"libc.so.6".to_string()), "{file}");
        assert_eq!(f.info.min_glibc.as_deref(), Some("2.34"), "{file}");
        assert!(f.info.notes.is_empty(), "{file}: {:?}", f.info.notes);
        assert!(!f.go_note, "{file}");
    }
    assert!(facts("hello-s390x").info.big_endian);
    assert_eq!(facts("hello-i386").info.class, 32);
}

#[test]
fn libc_from_interpreter_or_needed() {
    let none: Vec<String> = Vec::new();
    assert_eq!(
        libc_of(Some("/lib/ld-musl-x86_64.so.1"), &none),
        Some(Libc::Musl)
    );
    assert_eq!(
        libc_of(Some("/lib/ld-musl-aarch64.so.1"), &none),
        Some(Libc::Musl)
    );
    assert_eq!(
        libc_of(Some("/lib64/ld-linux-x86-64.so.2"), &none),
        Some(Libc::Glibc)
    );
    assert_eq!(
        libc_of(Some("/system/bin/linker64"), &none),
        Some(Libc::Other)
    );
    assert_eq!(libc_of(None, &["libc.so".to_string()]), Some(Libc::Other));
    assert_eq!(libc_of(None, &["libm.so.6".to_string()]), None);
}

#[test]
fn freebsd_elf_is_noted() {
    let mut b = fixture("hello-amd64");
    b[7] = 9;
    let f = parse(&b, b.len() as u64).unwrap();
    assert!(
        f.info.notes.iter().any(|n| n.contains("FreeBSD")),
        "{:?}",
        f.info.notes
    );
}

#[test]
fn float_abi_flag_alone_gives_v7_or_v6() {
    assert_eq!(
        arch_of_elf_machine(40, 32, false, 0x0500_0400).map(|a| a.to_string()),
        Some("arm/v7".into())
    );
    assert_eq!(
        arch_of_elf_machine(40, 32, false, 0x0500_0200).map(|a| a.to_string()),
        Some("arm/v6".into())
    );
    assert_eq!(
        arch_of_elf_machine(8, 64, false, 0).map(|a| a.to_string()),
        Some("mips64le".into())
    );
    assert_eq!(
        arch_of_elf_machine(21, 64, true, 1).map(|a| a.to_string()),
        Some("ppc64".into())
    );
    assert_eq!(arch_of_elf_machine(0x1234, 64, false, 0), None);
}

#[test]
fn static_static_pie_and_shared_object() {
    let s = facts("static-arm64.head");
    assert_eq!(s.arch, Some(Arch::arm64()));
    assert_eq!(s.info.elf_type, ElfType::Executable);
    assert!(s.info.is_static);
    assert_eq!(s.libc, None);

    let sp = facts("static-pie-arm64");
    assert_eq!(sp.info.elf_type, ElfType::StaticPie);
    assert!(sp.info.is_static);
    assert_eq!(sp.info.interpreter, None);

    let so = facts("libarchlens-arm64.so");
    assert_eq!(so.info.elf_type, ElfType::SharedObject);
    assert_eq!(so.info.soname.as_deref(), Some("libarchlens.so.1"));
    assert_eq!(so.info.min_glibc.as_deref(), Some("2.17"));
    assert_eq!(so.libc, Some(Libc::Glibc));
}

#[test]
fn musl_extension_module() {
    let f = facts("_speedups.cpython-311-aarch64-linux-musl.so");
    assert_eq!(f.arch, Some(Arch::arm64()));
    assert_eq!(f.libc, Some(Libc::Musl));
    assert_eq!(f.info.needed, vec!["libc.musl-aarch64.so.1".to_string()]);
    assert_eq!(f.info.min_glibc, None);
}

#[test]
fn static_pie_head_says_what_it_could_not_reach() {
    let b = fixture("static-pie-arm64");
    let f = parse(&b[..16384], b.len() as u64).unwrap();
    assert!(
        f.info
            .notes
            .iter()
            .any(|n| n.contains("dynamic section") && n.contains("beyond")),
        "{:?}",
        f.info.notes
    );
}

#[test]
fn a_dynamic_segment_beyond_the_prefix_can_be_supplied_as_an_extent() {
    let b = fixture("hello-arm64");
    let first = parse(&b[..4096], b.len() as u64).unwrap();
    assert!(first.info.needed.is_empty());
    let [(off, len)] = first.wanted[..] else {
        panic!("{:?}", first.wanted)
    };
    let (off_us, len_us) = (off as usize, len as usize);
    let extent = (off, b[off_us..off_us + len_us].to_vec());
    let full = parse_with(&b[..4096], &[extent], b.len() as u64).unwrap();
    assert!(full.wanted.is_empty());
    assert_eq!(full.info.needed, vec!["libc.so.6", "ld-linux-aarch64.so.1"]);
    assert_eq!(full.info.min_glibc.as_deref(), Some("2.34"));
}

#[test]
fn arm_attributes_at_the_end_of_the_file_can_be_supplied_as_an_extent() {
    let b = fixture("hello-armel");
    let first = parse(&b[..4096], b.len() as u64).unwrap();
    // The soft-float flag alone says v6; Debian armel really is ARMv5TE.
    assert_eq!(first.arch, Some(Arch::new("arm", Some("v6"))));
    assert!(
        first
            .info
            .notes
            .iter()
            .any(|n| n.contains(".ARM.attributes"))
    );
    let extents: Vec<Extent> = first
        .wanted
        .iter()
        .map(|&(o, l)| (o, b[o as usize..(o + l) as usize].to_vec()))
        .collect();
    let full = parse_with(&b[..4096], &extents, b.len() as u64).unwrap();
    assert_eq!(full.arch, Some(Arch::new("arm", Some("v5"))));
    assert!(full.info.notes.is_empty(), "{:?}", full.info.notes);
}

#[test]
fn go_binary_has_go_note() {
    assert!(facts("go-hello-arm64").go_note);
}

#[test]
fn every_prefix_parses_or_errors_without_panic() {
    for name in ["hello-armhf", "hello-s390x", "hello-i386"] {
        let b = fixture(name);
        for n in 0..=b.len() {
            let _ = parse(&b[..n], b.len() as u64);
        }
    }
}

#[test]
fn random_header_corruption_never_panics() {
    // A fixed-seed xorshift: reproducible, and no extra crate for a fuzz-ish loop.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in ["hello-armel", "hello-ppc64el", "libarchlens-arm64.so"] {
        let base = fixture(name);
        for _ in 0..3000 {
            let mut b = base.clone();
            // Mostly the ELF header and program headers, sometimes anywhere.
            for _ in 0..(1 + next() % 8) {
                let r = next();
                let span = if r % 4 == 0 { b.len() } else { 512 };
                let at = (next() as usize) % span;
                b[at] = (r >> 8) as u8;
            }
            let _ = parse(&b, b.len() as u64);
        }
    }
}

#[test]
fn hostile_headers_give_errors_or_notes() {
    let mut b = fixture("hello-amd64");
    // e_phnum = 0xffff, e_phoff near u64::MAX.
    b[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    b[32..40].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
    let f = parse(&b, b.len() as u64).unwrap();
    assert!(f.info.interpreter.is_none());
    assert!(!f.info.notes.is_empty());
    assert_eq!(parse(b"\x7fELF\x03\x01", 6), Err(ElfError::Truncated(6)));
    let mut bad = fixture("hello-amd64");
    bad[4] = 9;
    assert_eq!(parse(&bad, 100), Err(ElfError::Invalid("class (byte 4)")));
    assert_eq!(parse(b"MZ", 2), Err(ElfError::NotElf));
}

#[test]
fn isa_needed_properties_are_read_bounded() {
    use super::property::isa_needed;
    let prop = |kind: u32, size: u32, data: &[u8]| {
        let mut v = kind.to_le_bytes().to_vec();
        v.extend_from_slice(&size.to_le_bytes());
        v.extend_from_slice(data);
        v
    };
    // An unrelated property (x86 feature_1: IBT/SHSTK) first, then ISA_1_NEEDED with v4.
    let mut desc = prop(0xc000_0002, 4, &[3, 0, 0, 0, 0, 0, 0, 0]);
    desc.extend(prop(0xc000_8002, 4, &[0x0f, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(isa_needed(&desc, false, 8), Some(4));
    assert_eq!(
        isa_needed(&prop(0xc000_8002, 4, &[3, 0, 0, 0]), false, 4),
        Some(2)
    );
    // Big-endian words are read as such.
    let mut be = 0xc000_8002u32.to_be_bytes().to_vec();
    be.extend_from_slice(&4u32.to_be_bytes());
    be.extend_from_slice(&5u32.to_be_bytes());
    assert_eq!(isa_needed(&be, true, 4), Some(3));
    // A size that runs past the end, or wraps, ends the walk without a level.
    assert_eq!(isa_needed(&prop(1, u32::MAX, &[0; 8]), false, 8), None);
    assert_eq!(isa_needed(&prop(0xc000_8002, 2, &[7, 0]), false, 8), None);
    assert_eq!(isa_needed(&[], false, 8), None);
    // Zero-sized properties repeated forever stop at the walk's cap.
    let many: Vec<u8> = (0..10_000).flat_map(|_| prop(1, 0, &[])).collect();
    assert_eq!(isa_needed(&many, false, 8), None);
}
