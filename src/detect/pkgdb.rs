//! Package databases: dpkg's `status` (and distroless `status.d/*`) and Alpine's apk
//! `installed`. The architecture the distribution was built for, counted per package.
//!
//! Formats: deb-control(5) stanzas (`Package:`, `Status:`, `Architecture:`), apk's
//! installed database (one `X:value` line per field, `A:` is the arch, blank line between).

use crate::oci::Arch;

use super::PackageDbInfo;

/// The most of a package database read; bigger ones are counted from this much.
pub const PKGDB_CAP: u64 = 32 * 1024 * 1024;

/// Which database a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    Dpkg,
    Apk,
}

/// Whether `path` is a package database, and which.
pub fn manager_of(path: &str) -> Option<Manager> {
    if path == "/var/lib/dpkg/status" {
        return Some(Manager::Dpkg);
    }
    if let Some(name) = path.strip_prefix("/var/lib/dpkg/status.d/") {
        // Distroless puts `NAME` (a control stanza) beside `NAME.md5sums`.
        if !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums") {
            return Some(Manager::Dpkg);
        }
        return None;
    }
    (path == "/lib/apk/db/installed").then_some(Manager::Apk)
}

/// Counts installed packages per architecture.
/// `2:2.36-9+deb12u14` -> `2.36`: the Debian epoch and revision removed.
fn upstream_version(v: &str) -> String {
    let v = v.split_once(':').map_or(v, |(_, rest)| rest);
    v.split('-').next().unwrap_or(v).to_string()
}

pub fn parse(manager: Manager, text: &str) -> (PackageDbInfo, Option<Arch>) {
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut packages = 0u64;
    let mut glibc = None;
    for stanza in text.split("\n\n") {
        let mut has_pkg = false;
        let mut arch = None;
        let mut installed = true;
        let mut is_libc6 = false;
        let mut version = None;
        for line in stanza.lines() {
            match manager {
                Manager::Dpkg => {
                    if let Some((k, v)) = line.split_once(':') {
                        match k {
                            "Package" => {
                                has_pkg = true;
                                is_libc6 = v.trim() == "libc6";
                            }
                            "Version" => version = Some(v.trim().to_string()),
                            "Architecture" => arch = Some(v.trim().to_string()),
                            // "want flag status": only `installed` packages are on disk.
                            "Status" => {
                                installed = v.split_whitespace().nth(2) == Some("installed")
                            }
                            _ => {}
                        }
                    }
                }
                Manager::Apk => {
                    if line.starts_with("P:") {
                        has_pkg = true;
                    } else if let Some(a) = line.strip_prefix("A:") {
                        arch = Some(a.trim().to_string());
                    }
                }
            }
        }
        if !has_pkg || !installed {
            continue;
        }
        packages += 1;
        if is_libc6 && let Some(v) = &version {
            glibc = Some(upstream_version(v));
        }
        if let Some(a) = arch {
            match counts.iter_mut().find(|(k, _)| *k == a) {
                Some((_, n)) => *n += 1,
                None => counts.push((a, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let native: Vec<&String> = counts
        .iter()
        .map(|(a, _)| a)
        .filter(|a| !matches!(a.as_str(), "all" | "noarch"))
        .collect();
    let arch = match native.as_slice() {
        [one] => map_arch(manager, one),
        _ => None,
    };
    (
        PackageDbInfo {
            manager: match manager {
                Manager::Dpkg => "dpkg",
                Manager::Apk => "apk",
            }
            .to_string(),
            packages,
            architectures: counts,
            glibc,
        },
        arch,
    )
}

/// Distribution arch names to OCI. Debian armhf is ARMv7, Alpine armhf is ARMv6.
pub fn map_arch(manager: Manager, a: &str) -> Option<Arch> {
    let n = |n: &str, v: Option<&str>| Some(Arch::new(n, v));
    match (manager, a) {
        (Manager::Dpkg, "amd64") | (Manager::Apk, "x86_64") => n("amd64", None),
        (Manager::Dpkg, "arm64") | (Manager::Apk, "aarch64") => n("arm64", None),
        (Manager::Dpkg, "armhf") | (Manager::Apk, "armv7") => n("arm", Some("v7")),
        (Manager::Dpkg, "armel") | (Manager::Apk, "armhf") => n("arm", Some("v6")),
        (Manager::Dpkg, "i386") | (Manager::Apk, "x86") => n("386", None),
        (Manager::Dpkg, "ppc64el") | (Manager::Apk, "ppc64le") => n("ppc64le", None),
        (_, "s390x") => n("s390x", None),
        (_, "riscv64") => n("riscv64", None),
        (Manager::Dpkg, "mips64el") => n("mips64le", None),
        (Manager::Dpkg, "loong64") | (Manager::Apk, "loongarch64") => n("loong64", None),
        _ => None,
    }
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
    fn dpkg_status_of_an_amd64_debian() {
        assert_eq!(manager_of("/var/lib/dpkg/status"), Some(Manager::Dpkg));
        let (info, arch) = parse(Manager::Dpkg, &fixture("dpkg-status"));
        assert_eq!(info.manager, "dpkg");
        assert_eq!(info.packages, 12);
        assert_eq!(
            info.architectures,
            vec![("all".to_string(), 6), ("amd64".to_string(), 6)]
        );
        assert_eq!(arch, Some(Arch::amd64()));
    }

    #[test]
    fn removed_packages_do_not_count() {
        let text = "Package: a\nStatus: install ok installed\nArchitecture: arm64\n\n\
                    Package: b\nStatus: deinstall ok config-files\nArchitecture: amd64\n";
        let (info, arch) = parse(Manager::Dpkg, text);
        assert_eq!(info.packages, 1);
        assert_eq!(arch, Some(Arch::arm64()));
    }

    #[test]
    fn multiarch_has_no_single_arch() {
        let text = "Package: a\nArchitecture: amd64\n\nPackage: b\nArchitecture: i386\n";
        assert_eq!(parse(Manager::Dpkg, text).1, None);
    }

    #[test]
    fn apk_installed_and_alpine_armhf_is_v6() {
        assert_eq!(manager_of("/lib/apk/db/installed"), Some(Manager::Apk));
        let (info, arch) = parse(Manager::Apk, &fixture("apk-installed"));
        assert_eq!(info.packages, 4);
        assert_eq!(info.architectures, vec![("aarch64".to_string(), 4)]);
        assert_eq!(arch, Some(Arch::arm64()));
        assert_eq!(
            map_arch(Manager::Apk, "armhf"),
            Some(Arch::new("arm", Some("v6")))
        );
        assert_eq!(
            map_arch(Manager::Dpkg, "armhf"),
            Some(Arch::new("arm", Some("v7")))
        );
    }

    #[test]
    fn distroless_status_d() {
        assert_eq!(
            manager_of("/var/lib/dpkg/status.d/adduser"),
            Some(Manager::Dpkg)
        );
        assert_eq!(manager_of("/var/lib/dpkg/status.d/adduser.md5sums"), None);
        let (info, _) = parse(Manager::Dpkg, &fixture("status.d/adduser"));
        assert_eq!(info.packages, 1);
        assert_eq!(info.architectures, vec![("all".to_string(), 1)]);
    }
}
