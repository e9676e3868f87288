//! Mach-O (thin and universal) and PE binaries: files that never run on Linux, recognised
//! from their first bytes so the report can say "this is a macOS/Windows binary".
//!
//! Formats: Apple's `<mach-o/loader.h>` and `<mach-o/fat.h>` (magics, cputype, filetype);
//! Microsoft's PE/COFF specification (e_lfanew at 0x3c, `PE\0\0`, Machine, Characteristics).

use crate::oci::Arch;

use super::ForeignBinary;

/// Which foreign format a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    MachO,
    Pe,
}

/// A recognised foreign binary.
#[derive(Debug, Clone, PartialEq)]
pub struct Foreign {
    pub format: Format,
    /// The CPU in OCI names; `None` for a universal binary with several, or an unknown CPU.
    pub arch: Option<Arch>,
    pub info: ForeignBinary,
}

const CPU_ARCH_ABI64: u32 = 0x0100_0000;
const CPU_ARCH_ABI64_32: u32 = 0x0200_0000;

/// (Mach-O cputype name, OCI arch).
fn macho_cpu(cputype: u32) -> (&'static str, Option<Arch>) {
    match cputype {
        7 => ("i386", Some(Arch::new("386", None))),
        x if x == 7 | CPU_ARCH_ABI64 => ("x86_64", Some(Arch::amd64())),
        12 => ("arm", Some(Arch::new("arm", None))),
        x if x == 12 | CPU_ARCH_ABI64 => ("arm64", Some(Arch::arm64())),
        x if x == 12 | CPU_ARCH_ABI64_32 => ("arm64_32", None),
        18 => ("ppc", Some(Arch::new("ppc", None))),
        x if x == 18 | CPU_ARCH_ABI64 => ("ppc64", Some(Arch::new("ppc64", None))),
        _ => ("unknown CPU", None),
    }
}

fn macho_filetype(t: u32) -> &'static str {
    match t {
        1 => "object",
        2 => "executable",
        6 => "dynamic library",
        8 => "bundle",
        _ => "file",
    }
}

/// Recognises a Mach-O or PE binary from the first bytes of a file (4 KiB is plenty for
/// every header this reads). `None` for anything else, including Java class files, which
/// share the universal binary's `0xcafebabe` magic.
pub fn sniff(head: &[u8]) -> Option<Foreign> {
    sniff_macho(head).or_else(|| sniff_pe(head))
}

fn be32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn le32(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn le16(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}

fn sniff_macho(b: &[u8]) -> Option<Foreign> {
    let magic = be32(b, 0)?;
    match magic {
        0xcafe_babe | 0xcafe_babf => {
            // A class file has minor/major version here: major >= 45 (JDK 1.1), so as a
            // big-endian u32 it is >= 45. Universal binaries hold a handful of slices.
            let n = be32(b, 4)?;
            if n == 0 || n >= 45 {
                return None;
            }
            let entry = if magic == 0xcafe_babe { 20 } else { 32 };
            let mut names = Vec::new();
            let mut arches = Vec::new();
            for i in 0..n as usize {
                let cputype = be32(b, 8 + i * entry)?;
                let (name, arch) = macho_cpu(cputype);
                // Unknown CPU types in every slot: more likely not a Mach-O at all.
                if arch.is_none() && name == "unknown CPU" {
                    return None;
                }
                names.push(name);
                arches.extend(arch);
            }
            arches.dedup();
            let arch = (arches.len() == 1).then(|| arches.remove(0));
            Some(Foreign {
                format: Format::MachO,
                arch,
                info: ForeignBinary {
                    description: format!("Mach-O universal binary ({})", names.join(", ")),
                    cpu: names.join(","),
                },
            })
        }
        0xfeed_face | 0xfeed_facf | 0xcefa_edfe | 0xcffa_edfe => {
            let little = matches!(magic, 0xcefa_edfe | 0xcffa_edfe);
            let bits = if matches!(magic, 0xfeed_facf | 0xcffa_edfe) {
                64
            } else {
                32
            };
            let rd = |o| if little { le32(b, o) } else { be32(b, o) };
            let (name, arch) = macho_cpu(rd(4)?);
            let filetype = macho_filetype(rd(12)?);
            Some(Foreign {
                format: Format::MachO,
                arch,
                info: ForeignBinary {
                    description: format!("Mach-O {bits}-bit {name} {filetype}"),
                    cpu: name.to_string(),
                },
            })
        }
        _ => None,
    }
}

fn sniff_pe(b: &[u8]) -> Option<Foreign> {
    if !b.starts_with(b"MZ") {
        return None;
    }
    let pe = le32(b, 0x3c)? as usize;
    if b.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let machine = le16(b, pe + 4)?;
    let characteristics = le16(b, pe + 22)?;
    let opt_magic = le16(b, pe + 24);
    let (cpu, arch) = match machine {
        0x8664 => ("x86-64", Some(Arch::amd64())),
        0xaa64 => ("arm64", Some(Arch::arm64())),
        0x14c => ("i386", Some(Arch::new("386", None))),
        0x1c0 | 0x1c2 => ("ARM", Some(Arch::new("arm", None))),
        0x1c4 => ("ARMv7 Thumb-2", Some(Arch::new("arm", Some("v7")))),
        _ => ("unknown CPU", None),
    };
    let format = match opt_magic {
        Some(0x20b) => "PE32+",
        _ => "PE32",
    };
    let what = if characteristics & 0x2000 != 0 {
        "DLL"
    } else if characteristics & 0x0002 != 0 {
        "executable"
    } else {
        "object"
    };
    Some(Foreign {
        format: Format::Pe,
        arch,
        info: ForeignBinary {
            description: format!("{format} {cpu} {what} (Windows)"),
            cpu: cpu.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::detect::fixture;

    #[test]
    fn universal_macho_lists_both_slices() {
        let f = sniff(&fixture("fsevents.node")).expect("Mach-O");
        assert_eq!(f.format, Format::MachO);
        assert_eq!(
            f.info.description,
            "Mach-O universal binary (x86_64, arm64)"
        );
        assert_eq!(f.arch, None);
    }

    #[test]
    fn thin_macho_arm64_executable() {
        let f = sniff(&fixture("esbuild-darwin-arm64.head")).expect("Mach-O");
        assert_eq!(f.arch, Some(Arch::arm64()));
        assert_eq!(f.info.description, "Mach-O 64-bit arm64 executable");
    }

    #[test]
    fn pe_dlls() {
        let f = sniff(&fixture("_speedups.cp311-win_amd64.pyd")).expect("PE");
        assert_eq!(f.format, Format::Pe);
        assert_eq!(f.arch, Some(Arch::amd64()));
        assert_eq!(f.info.description, "PE32+ x86-64 DLL (Windows)");
        let n = sniff(&fixture("bufferutil-win32-x64.node")).expect("PE");
        assert_eq!(n.arch, Some(Arch::amd64()));
    }

    #[test]
    fn java_class_and_text_are_not_foreign() {
        // Java 8 class file header: cafebabe, minor 0, major 52.
        assert_eq!(sniff(b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x1d"), None);
        assert_eq!(sniff(b"MZ is a text file"), None);
        assert_eq!(sniff(&fixture("hello-amd64")), None);
        for n in 0..64 {
            let _ = sniff(&fixture("fsevents.node")[..n]);
        }
    }
}
