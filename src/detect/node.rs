//! Node.js: native addons (`*.node`), the claims of prebuildify directories
//! (`prebuilds/linux-arm64/x.musl.node`), and napi-rs platform packages' `package.json`.
//!
//! Names follow Node's `process.platform`/`process.arch` (`linux`, `x64`, `arm64`, `ia32`)
//! as prebuildify and npm's `os`/`cpu`/`libc` fields use them.

use crate::oci::Arch;

use super::{Libc, NodePackageInfo};

/// Largest `package.json` parsed; real ones are a few KiB.
pub const PACKAGE_JSON_CAP: u64 = 1024 * 1024;

/// Whether `path` is a Node addon.
pub fn is_addon(path: &str) -> bool {
    path.ends_with(".node")
}

/// Whether `path` is a `package.json` of an installed package.
pub fn is_package_json(path: &str) -> bool {
    path.ends_with("/package.json") && path.contains("/node_modules/")
}

/// Node's `process.arch` names to OCI.
pub fn arch_of_node_cpu(cpu: &str) -> Option<Arch> {
    let a = |n: &str, v: Option<&str>| Some(Arch::new(n, v));
    match cpu {
        "x64" => a("amd64", None),
        "arm64" => a("arm64", None),
        "arm" => a("arm", None),
        "ia32" => a("386", None),
        // Node's ppc64 on Linux is little-endian only.
        "ppc64" => a("ppc64le", None),
        "s390x" => a("s390x", None),
        "riscv64" => a("riscv64", None),
        "loong64" => a("loong64", None),
        "mips64el" => a("mips64le", None),
        _ => None,
    }
}

/// What a prebuildify path claims: `(os, arch, libc)` from `prebuilds/<os>-<arch>/` and
/// the file's tags (`.musl.`, `.glibc.`, `.armv7.`).
pub fn prebuild_claim(path: &str) -> Option<(String, Option<Arch>, Option<Libc>)> {
    let idx = path.rfind("/prebuilds/")?;
    let rest = &path[idx + "/prebuilds/".len()..];
    let (dir, file) = rest.split_once('/')?;
    let (os, archs) = dir.split_once('-')?;
    // `darwin-x64+arm64` holds a universal binary: no single arch.
    let mut arch = if archs.contains('+') {
        None
    } else {
        arch_of_node_cpu(archs)
    };
    let tags: Vec<&str> = file.split('.').collect();
    let libc = if tags.contains(&"musl") {
        Some(Libc::Musl)
    } else if tags.contains(&"glibc") {
        Some(Libc::Glibc)
    } else {
        None
    };
    if let Some(a) = &arch
        && a.name == "arm"
    {
        for v in ["armv6", "armv7", "armv8"] {
            if tags.contains(&v) {
                arch = Some(Arch::new("arm", Some(&v[3..])));
            }
        }
    }
    Some((os.to_string(), arch, libc))
}

/// Parses a `package.json`; `None` unless it declares `os`, `cpu` or `libc`. The arch is
/// the single positive `cpu` entry, if there is exactly one.
pub fn parse_package_json(text: &str) -> Option<(NodePackageInfo, Option<Arch>, Option<Libc>)> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let list = |k: &str| -> Vec<String> {
        match v.get(k) {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let (os, cpu, libc) = (list("os"), list("cpu"), list("libc"));
    if os.is_empty() && cpu.is_empty() && libc.is_empty() {
        return None;
    }
    let positive: Vec<&String> = cpu.iter().filter(|c| !c.starts_with('!')).collect();
    let arch = match positive.as_slice() {
        [one] => arch_of_node_cpu(one),
        _ => None,
    };
    let l = match libc
        .iter()
        .filter(|c| !c.starts_with('!'))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [one] if one.as_str() == "glibc" => Some(Libc::Glibc),
        [one] if one.as_str() == "musl" => Some(Libc::Musl),
        _ => None,
    };
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some((
        NodePackageInfo {
            name: s("name"),
            version: s("version"),
            os,
            cpu,
            libc,
        },
        arch,
        l,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn napi_rs_platform_package() {
        let p = format!(
            "{}/tests/fixtures/detect/crc32-linux-arm64-gnu.package.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let (info, arch, libc) = parse_package_json(&text).expect("declares os/cpu/libc");
        assert_eq!(info.name.as_deref(), Some("@node-rs/crc32-linux-arm64-gnu"));
        assert_eq!(info.cpu, vec!["arm64"]);
        assert_eq!(info.os, vec!["linux"]);
        assert_eq!(arch, Some(Arch::arm64()));
        assert_eq!(libc, Some(Libc::Glibc));
        assert!(parse_package_json(r#"{"name":"left-pad","version":"1.3.0"}"#).is_none());
        assert!(parse_package_json("not json").is_none());
        let (_, arch, _) = parse_package_json(r#"{"cpu":["x64","arm64"]}"#).unwrap();
        assert_eq!(arch, None);
    }

    #[test]
    fn prebuild_paths() {
        let (os, arch, libc) =
            prebuild_claim("/app/node_modules/x/prebuilds/linux-arm64/node.napi.musl.node")
                .unwrap();
        assert_eq!(os, "linux");
        assert_eq!(arch, Some(Arch::arm64()));
        assert_eq!(libc, Some(Libc::Musl));
        let (_, arch, _) = prebuild_claim("/a/prebuilds/linux-arm/node.napi.armv6.node").unwrap();
        assert_eq!(arch, Some(Arch::new("arm", Some("v6"))));
        let (os, arch, _) = prebuild_claim("/a/prebuilds/darwin-x64+arm64/node.napi.node").unwrap();
        assert_eq!((os.as_str(), arch), ("darwin", None));
        assert_eq!(prebuild_claim("/a/build/Release/x.node"), None);
    }
}
