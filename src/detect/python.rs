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

/// What an extension file's name says to CPython's finder, which tries, per directory, the
/// suffixes of `importlib.machinery.EXTENSION_SUFFIXES` in order: `.cpython-311-x86_64-linux-gnu.so`,
/// `.abi3.so`, `.so`. A name with none of them is never tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionSuffix {
    /// `.cpython-311-x86_64-linux-gnu.so`: the tag between the stem and `.so`.
    Tagged(String),
    Abi3,
    Plain,
}

impl ExtensionSuffix {
    /// The order CPython tries it in (lower first).
    pub fn rank(&self) -> u8 {
        match self {
            ExtensionSuffix::Tagged(_) => 0,
            ExtensionSuffix::Abi3 => 1,
            ExtensionSuffix::Plain => 2,
        }
    }

    /// The multiarch triplet of a `cpython-311-<triplet>` tag (`x86_64-linux-musl`).
    pub fn triplet(&self) -> Option<&str> {
        let ExtensionSuffix::Tagged(tag) = self else {
            return None;
        };
        let rest = tag.strip_prefix("cpython-")?;
        rest.split_once('-').map(|(_, t)| t)
    }
}

/// The module stem and suffix of an extension file (`orjson.cpython-311-x86_64-linux-musl.so`
/// -> `orjson`, tagged); `None` for names no Linux CPython tries (`.pyd`, `.dylib`).
pub fn extension_suffix(path: &str) -> Option<(&str, ExtensionSuffix)> {
    let name = path.rsplit('/').next()?;
    let (stem, middle) = match name.strip_suffix(".so")?.split_once('.') {
        Some((stem, middle)) => (stem, middle),
        None => (name.strip_suffix(".so")?, ""),
    };
    let suffix = match middle {
        "" => ExtensionSuffix::Plain,
        "abi3" => ExtensionSuffix::Abi3,
        tag => ExtensionSuffix::Tagged(tag.to_string()),
    };
    Some((stem, suffix))
}

/// The multiarch triplet CPython is built with for `arch` and `libc` (its `SOABI` tail):
/// Debian's python3.11 on amd64 accepts `.cpython-311-x86_64-linux-gnu.so`, Alpine's
/// `.cpython-311-x86_64-linux-musl.so`.
pub fn python_triplet(arch: &Arch, libc: Libc) -> Option<String> {
    let libc = match libc {
        Libc::Glibc => "gnu",
        Libc::Musl => "musl",
        Libc::Other => return None,
    };
    let machine = match (arch.name.as_str(), arch.variant.as_deref()) {
        ("amd64", _) => "x86_64",
        ("arm64", _) => "aarch64",
        ("386", _) => "i386",
        ("ppc64le", _) => "powerpc64le",
        ("ppc64", _) => "powerpc64",
        ("s390x", _) => "s390x",
        ("riscv64", _) => "riscv64",
        ("loong64", _) => "loongarch64",
        ("arm", Some("v6" | "v5")) => return Some(format!("arm-linux-{libc}eabi")),
        ("arm", _) => return Some(format!("arm-linux-{libc}eabihf")),
        _ => return None,
    };
    Some(format!("{machine}-linux-{libc}"))
}

/// The machine part of a triplet (`aarch64` of `aarch64-linux-gnu`).
pub fn triplet_machine(triplet: &str) -> &str {
    triplet.split_once("-linux-").map_or(triplet, |(m, _)| m)
}

/// The libc a triplet names (`-linux-gnu*` glibc, `-linux-musl*` musl).
pub fn triplet_libc(triplet: &str) -> Option<Libc> {
    let (_, tail) = triplet.split_once("-linux-")?;
    if tail.starts_with("gnu") {
        Some(Libc::Glibc)
    } else if tail.starts_with("musl") {
        Some(Libc::Musl)
    } else {
        None
    }
}

/// The `X.Y` of the first `pythonX.Y` directory in a path (`/usr/local/lib/python3.11/...`):
/// the one CPython version that reads that site-packages.
pub fn python_version_in(path: &str) -> Option<&str> {
    let mut parts = path.split('/');
    parts
        .find_map(|p| {
            let v = p.strip_prefix("python")?;
            let (major, minor) = v.split_once('.')?;
            (!major.is_empty()
                && !minor.is_empty()
                && major
                    .chars()
                    .chain(minor.chars())
                    .all(|c| c.is_ascii_digit()))
            .then_some(v)
        })
        .filter(|_| parts.next().is_some())
}

/// Whether `path` names a CPython interpreter or its shared library (`/usr/local/bin/python3.11`,
/// `libpython3.11.so.1.0`), whose ELF tells which libc the image's Python is built for.
pub fn is_interpreter_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let versioned =
        |rest: &str| rest.is_empty() || rest.chars().all(|c| c.is_ascii_digit() || c == '.');
    if let Some(rest) = name.strip_prefix("libpython3") {
        return rest.contains(".so");
    }
    path.contains("/bin/") && name.strip_prefix("python").is_some_and(versioned)
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
    fn extension_suffixes_as_cpython_reads_them() {
        let (stem, s) = extension_suffix(
            "/usr/local/lib/python3.11/site-packages/orjson/orjson.cpython-311-x86_64-linux-musl.so",
        )
        .unwrap();
        assert_eq!(stem, "orjson");
        assert_eq!(s.triplet(), Some("x86_64-linux-musl"));
        assert_eq!(s.rank(), 0);
        assert_eq!(
            extension_suffix("/x/ujson.abi3.so"),
            Some(("ujson", ExtensionSuffix::Abi3))
        );
        assert_eq!(
            extension_suffix("/x/_cffi.so"),
            Some(("_cffi", ExtensionSuffix::Plain))
        );
        assert_eq!(extension_suffix("/x/_a.cp311-win_amd64.pyd"), None);
        // PyPy's tag is not CPython's: no triplet, so a CPython never matches it.
        let (_, pypy) = extension_suffix("/x/_a.pypy39-pp73-x86_64-linux-gnu.so").unwrap();
        assert_eq!(pypy.triplet(), None);
    }

    #[test]
    fn triplets_are_those_of_importlib_extension_suffixes() {
        // Debian python3.11 amd64: ['.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so'].
        assert_eq!(
            python_triplet(&Arch::amd64(), Libc::Glibc).as_deref(),
            Some("x86_64-linux-gnu")
        );
        assert_eq!(
            python_triplet(&Arch::amd64(), Libc::Musl).as_deref(),
            Some("x86_64-linux-musl")
        );
        assert_eq!(
            python_triplet(&Arch::new("arm", Some("v7")), Libc::Glibc).as_deref(),
            Some("arm-linux-gnueabihf")
        );
        assert_eq!(python_triplet(&Arch::arm64(), Libc::Other), None);
        assert_eq!(triplet_machine("aarch64-linux-gnu"), "aarch64");
        assert_eq!(triplet_libc("arm-linux-musleabihf"), Some(Libc::Musl));
        assert_eq!(triplet_libc("x86_64-linux-gnu"), Some(Libc::Glibc));
        assert!(is_interpreter_path("/usr/local/bin/python3.11"));
        assert!(is_interpreter_path("/usr/bin/python3"));
        assert!(is_interpreter_path(
            "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"
        ));
        assert!(!is_interpreter_path("/usr/bin/python3-config"));
        assert!(!is_interpreter_path("/usr/lib/python3.11/os.py"));
        assert_eq!(
            python_version_in("/usr/local/lib/python3.11/site-packages/x/_a.so"),
            Some("3.11")
        );
        assert_eq!(
            python_version_in("/usr/lib/python3/dist-packages/x.so"),
            None
        );
        assert_eq!(python_version_in("/usr/local/bin/python3.11"), None);
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
