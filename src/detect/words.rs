//! The words people read for artefact kinds, ELF types and CPUs, so the explorer and
//! `inspect` say `ELF shared library, arm64 (aarch64)` rather than type names or numbers.

use super::{Artifact, Details, ElfInfo, ElfType, Kind};
use crate::oci::Arch;

impl Kind {
    /// What this kind of artefact is called, in lower case after the first word's capital.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Elf => "ELF binary",
            Kind::GoBinary => "Go binary",
            Kind::MachO => "Mach-O binary (macOS)",
            Kind::Pe => "PE binary (Windows)",
            Kind::PythonWheel => "Python wheel",
            Kind::PythonExtension => "Python extension module",
            Kind::NodeAddon => "Node.js native addon",
            Kind::NodePackage => "Node.js platform package",
            Kind::Jar => "Java archive",
            Kind::JniLibrary => "JNI library",
            Kind::PackageDb => "package database",
            Kind::Script => "script",
        }
    }
}

impl ElfType {
    /// What the ELF header's type means, for people.
    pub fn noun(self) -> &'static str {
        match self {
            ElfType::Executable => "executable",
            ElfType::StaticPie => "static-pie executable",
            ElfType::SharedObject => "shared library",
            ElfType::Relocatable => "object file",
            ElfType::Core => "core dump",
            ElfType::Other => "file",
        }
    }
}

impl ElfInfo {
    /// The header in words: `64-bit little-endian, AArch64, statically linked`.
    pub fn header_words(&self) -> String {
        format!(
            "{}-bit {}, {}{}",
            self.class,
            if self.big_endian {
                "big-endian"
            } else {
                "little-endian"
            },
            super::elf::machine_name(self.machine),
            if self.is_static {
                ", statically linked"
            } else {
                ""
            }
        )
    }
}

/// An OCI architecture with the name its toolchains use when that differs:
/// `arm64 (aarch64)`, `amd64 (x86-64)`, `arm/v7 (32-bit ARM)`.
pub fn cpu_words(arch: &Arch) -> String {
    let other = match arch.name.as_str() {
        "amd64" => Some("x86-64"),
        "arm64" => Some("aarch64"),
        "arm" => Some("32-bit ARM"),
        "386" => Some("32-bit x86"),
        "ppc64le" => Some("POWER, little-endian"),
        "ppc64" => Some("POWER, big-endian"),
        "s390x" => Some("IBM Z"),
        "loong64" => Some("LoongArch"),
        _ => None,
    };
    match other {
        Some(o) => format!("{arch} ({o})"),
        None => arch.to_string(),
    }
}

impl Artifact {
    /// What it is and for which CPU, in one line: `ELF shared library, arm64 (aarch64)`,
    /// `Python wheel, any CPU`.
    pub fn describe(&self) -> String {
        let cpu = self
            .arch
            .as_ref()
            .map_or_else(|| "any CPU".to_string(), cpu_words);
        format!("{}, {cpu}", self.what())
    }

    /// What it is, without the CPU: `ELF shared library`, `Go executable`.
    pub fn what(&self) -> String {
        let elf = match &self.details {
            Details::Elf(e) => Some(e),
            Details::Go { elf, .. } => elf.as_ref(),
            _ => None,
        };
        match (self.kind, elf) {
            (Kind::Elf, Some(e)) => format!("ELF {}", e.elf_type.noun()),
            (Kind::GoBinary, Some(e)) if e.elf_type != ElfType::Executable => {
                format!("Go {}", e.elf_type.noun())
            }
            (Kind::GoBinary, _) => "Go executable".to_string(),
            (k, _) => k.noun().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(elf_type: ElfType, arch: Arch) -> Artifact {
        Artifact {
            path: "/usr/lib/libz.so.1".into(),
            container: None,
            kind: Kind::Elf,
            arch: Some(arch),
            libc: None,
            interpreter: None,
            details: Details::Elf(ElfInfo {
                class: 64,
                machine: 183,
                elf_type,
                ..ElfInfo::default()
            }),
            sha256: None,
        }
    }

    #[test]
    fn an_elf_library_is_named_with_both_cpu_names() {
        let a = elf(ElfType::SharedObject, Arch::arm64());
        assert_eq!(a.describe(), "ELF shared library, arm64 (aarch64)");
        let Details::Elf(e) = &a.details else {
            unreachable!("built as ELF above")
        };
        assert_eq!(e.header_words(), "64-bit little-endian, AArch64");
    }

    #[test]
    fn an_arch_independent_artefact_says_any_cpu() {
        let mut a = elf(ElfType::Executable, Arch::amd64());
        a.kind = Kind::PythonWheel;
        a.arch = None;
        a.details = Details::Wheel(Default::default());
        assert_eq!(a.describe(), "Python wheel, any CPU");
    }

    #[test]
    fn a_variant_keeps_its_slash() {
        assert_eq!(
            cpu_words(&Arch::new("arm", Some("v7"))),
            "arm/v7 (32-bit ARM)"
        );
        assert_eq!(cpu_words(&Arch::new("riscv64", None)), "riscv64");
    }
}
