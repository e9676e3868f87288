//! Python: installed wheels (`*.dist-info/WHEEL` tags) and compiled extension modules
//! (`*.so` under a Python path, or named with a `cpython-311-aarch64-linux-gnu` tag).
//!
//! Formats: the wheel spec (PEP 427, `Tag:` lines; PEP 600/656 manylinux/musllinux
//! platform tags) and CPython's extension suffixes (`EXT_SUFFIX`, the multiarch triplet).

use crate::oci::Arch;

use super::{Libc, WheelInfo};

/// Whether `path` is an installed wheel's `WHEEL` metadata file.
pub fn is_wheel_metadata(path: &str) -> bool {
    path.strip_suffix("/WHEEL")
        .is_some_and(|dir| dir.ends_with(".dist-info"))
}

/// Parses a `WHEEL` file. Name and version come from the `NAME-VERSION.dist-info`
/// directory (PEP 427 escapes `-` in both, so the last `-` separates them).
pub fn parse_wheel(path: &str, text: &str) -> (WheelInfo, Option<Arch>, Option<Libc>) {
    let dir = path
        .strip_suffix("/WHEEL")
        .and_then(|d| d.rsplit('/').next())
        .and_then(|d| d.strip_suffix(".dist-info"));
    let (name, version) = match dir.and_then(|d| d.rsplit_once('-')) {
        Some((n, v)) => (Some(n.to_string()), Some(v.to_string())),
        None => (dir.map(str::to_string), None),
    };
    let mut tags = Vec::new();
    let mut root_is_purelib = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "Tag" => tags.push(v.to_string()),
            "Root-Is-Purelib" => root_is_purelib = Some(v.eq_ignore_ascii_case("true")),
            _ => {}
        }
    }
    let (arch, libc) = arch_of_tags(&tags);
    (
        WheelInfo {
            name,
            version,
            tags,
            root_is_purelib,
        },
        arch,
        libc,
    )
}

/// The Linux architecture and libc the tags name, when they name exactly one arch;
/// `any` and non-Linux platforms give `None`.
pub fn arch_of_tags(tags: &[String]) -> (Option<Arch>, Option<Libc>) {
    let mut arches: Vec<Arch> = Vec::new();
    let mut libc = None;
    for tag in tags {
        // python-abi-platform; each part may be a `.`-joined set.
        let Some(platforms) = tag.rsplit('-').next() else {
            continue;
        };
        for plat in platforms.split('.') {
            let (l, arch) = if let Some(rest) = plat.strip_prefix("musllinux_") {
                (Some(Libc::Musl), rest.splitn(3, '_').nth(2))
            } else if let Some(rest) = plat.strip_prefix("manylinux_") {
                (Some(Libc::Glibc), rest.splitn(3, '_').nth(2))
            } else if let Some(rest) = plat.strip_prefix("manylinux") {
                // manylinux1_x86_64, manylinux2010_x86_64, manylinux2014_aarch64
                (Some(Libc::Glibc), rest.split_once('_').map(|(_, a)| a))
            } else if let Some(rest) = plat.strip_prefix("linux_") {
                (None, Some(rest))
            } else {
                continue;
            };
            if let Some(a) = arch.and_then(arch_of_python_machine)
                && !arches.contains(&a)
            {
                arches.push(a);
            }
            libc = libc.or(l);
        }
    }
    let arch = (arches.len() == 1).then(|| arches.remove(0));
    (arch, libc)
}

/// Python/`uname -m` machine names (as in platform tags and multiarch triplets) to OCI.
pub fn arch_of_python_machine(m: &str) -> Option<Arch> {
    let a = |n: &str, v: Option<&str>| Some(Arch::new(n, v));
    match m {
        "x86_64" => a("amd64", None),
        "aarch64" => a("arm64", None),
        "armv7l" | "arm" => a("arm", Some("v7")),
        "armv6l" => a("arm", Some("v6")),
        "i686" | "i386" => a("386", None),
        "ppc64le" | "powerpc64le" => a("ppc64le", None),
        "ppc64" | "powerpc64" => a("ppc64", None),
        "s390x" => a("s390x", None),
        "riscv64" => a("riscv64", None),
        "loongarch64" => a("loong64", None),
        _ => None,
    }
}

/// What an extension module's file name claims: `x.cpython-311-aarch64-linux-gnu.so` ->
/// (arm64, glibc); `arm-linux-gnueabihf` -> arm/v7. `abi3.so` names claim nothing.
pub fn extension_name_claim(path: &str) -> Option<(Arch, Libc)> {
    let name = path.rsplit('/').next()?;
    let stem = name.strip_suffix(".so")?;
    let (before, after) = stem.rsplit_once("-linux-")?;
    let machine = before.rsplit('-').next()?;
    let libc = if after.starts_with("musl") {
        Libc::Musl
    } else if after.starts_with("gnu") {
        Libc::Glibc
    } else {
        return None;
    };
    let arch = if after == "gnueabihf" || after == "musleabihf" {
        Arch::new("arm", Some("v7"))
    } else if after == "gnueabi" || after == "musleabi" {
        Arch::new("arm", Some("v6"))
    } else {
        arch_of_python_machine(machine)?
    };
    Some((arch, libc))
}

/// Whether an ELF at `path` should be reported as a Python extension module.
pub fn is_extension_path(path: &str) -> bool {
    let Some(name) = path.rsplit('/').next() else {
        return false;
    };
    name.ends_with(".so")
        && (path.contains("/site-packages/")
            || path.contains("/dist-packages/")
            || path.contains("/lib-dynload/")
            || extension_name_claim(path).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = format!(
            "{}/tests/fixtures/detect/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn manylinux_and_musllinux_wheels() {
        let path = "/usr/lib/python3/site-packages/MarkupSafe-2.1.5.dist-info/WHEEL";
        assert!(is_wheel_metadata(path));
        let (info, arch, libc) = parse_wheel(path, &fixture("WHEEL.manylinux-x86_64"));
        assert_eq!(info.name.as_deref(), Some("MarkupSafe"));
        assert_eq!(info.version.as_deref(), Some("2.1.5"));
        assert_eq!(info.root_is_purelib, Some(false));
        assert_eq!(
            info.tags,
            vec![
                "cp311-cp311-manylinux_2_17_x86_64",
                "cp311-cp311-manylinux2014_x86_64"
            ]
        );
        assert_eq!(arch, Some(Arch::amd64()));
        assert_eq!(libc, Some(Libc::Glibc));

        let (_, arch, libc) = parse_wheel(path, &fixture("WHEEL.musllinux-aarch64"));
        assert_eq!(arch, Some(Arch::arm64()));
        assert_eq!(libc, Some(Libc::Musl));
    }

    #[test]
    fn pure_and_foreign_tags_name_no_linux_arch() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(arch_of_tags(&tags(&["py3-none-any"])), (None, None));
        assert_eq!(
            arch_of_tags(&tags(&["cp311-cp311-win_amd64"])),
            (None, None)
        );
        assert_eq!(
            arch_of_tags(&tags(&[
                "cp311-cp311-manylinux_2_17_x86_64.manylinux_2_17_aarch64"
            ])),
            (None, Some(Libc::Glibc))
        );
        assert_eq!(
            arch_of_tags(&tags(&["cp39-cp39-linux_armv7l"])).0,
            Some(Arch::new("arm", Some("v7")))
        );
    }

    #[test]
    fn extension_names() {
        let p = "/usr/local/lib/python3.11/site-packages/markupsafe/_speedups.cpython-311-aarch64-linux-musl.so";
        assert_eq!(extension_name_claim(p), Some((Arch::arm64(), Libc::Musl)));
        assert!(is_extension_path(p));
        assert_eq!(
            extension_name_claim("/x/_a.cpython-311-arm-linux-gnueabihf.so"),
            Some((Arch::new("arm", Some("v7")), Libc::Glibc))
        );
        assert_eq!(extension_name_claim("/x/_a.abi3.so"), None);
        assert!(is_extension_path(
            "/usr/lib/python3/dist-packages/_a.abi3.so"
        ));
        assert!(!is_extension_path("/usr/lib/x86_64-linux-gnu/libz.so"));
    }
}
