//! Which index entries a host runs and which it prefers, as containerd's `platforms.Only`
//! decides: CPU fallbacks in order, Windows build compatibility, and `os.features` subsets.

use super::{Arch, Platform};

/// arm64 variants and the older ones a CPU of that variant also runs, newest first: an
/// Armv9.x core implements Armv8.(x+5), capped at v8.9 (containerd/platforms PR #8).
const ARM64_LEVELS: &[(&str, &[(u8, u8)])] = &[
    ("", &[(8, 0)]),
    ("v8.1", &[(8, 1)]),
    ("v8.2", &[(8, 2)]),
    ("v8.3", &[(8, 3)]),
    ("v8.4", &[(8, 4)]),
    ("v8.5", &[(8, 5)]),
    ("v8.6", &[(8, 6)]),
    ("v8.7", &[(8, 7)]),
    ("v8.8", &[(8, 8)]),
    ("v8.9", &[(8, 9)]),
    ("v9", &[(9, 0), (8, 5)]),
    ("v9.1", &[(9, 1), (8, 6)]),
    ("v9.2", &[(9, 2), (8, 7)]),
    ("v9.3", &[(9, 3), (8, 8)]),
    ("v9.4", &[(9, 4), (8, 9)]),
    ("v9.5", &[(9, 5), (8, 9)]),
    ("v9.6", &[(9, 6), (8, 9)]),
    ("v9.7", &[(9, 7), (8, 9)]),
];

const MAX_LEVEL: i64 = 16;

/// Windows Server 2022 (21H2, build 20348): from here on a host also runs containers of the
/// previous LTSC build (the "stable ABI"); before it, host and container builds must be equal.
const LTSC2022: u16 = 20348;
/// Windows Server 2025 (build 26100).
const LTSC2025: u16 = 26100;
/// The LTSC builds with a stable ABI, ascending.
const STABLE_ABI_LTSC: &[u16] = &[LTSC2022, LTSC2025];

impl Platform {
    /// The platforms a host of this platform runs, best first, as containerd's
    /// `platforms.Only` orders them: amd64/vN runs vN..v1 and 386; arm64 runs its older
    /// v8.x/v9.x levels and then arm/v8..v5; arm/vN runs vN..v5. An arm64 variant containerd
    /// does not know runs nothing, not even itself.
    pub fn runnable(&self) -> Vec<Platform> {
        let with = |name: &str, variant: &str| Platform {
            arch: Arch::new(name, Some(variant)),
            ..self.clone()
        };
        // Levels past any real CPU's would only make a huge list out of a typo.
        let level = |v: &Option<String>| {
            v.as_deref()
                .and_then(|v| v.strip_prefix('v').unwrap_or(v).parse::<i64>().ok())
                .map(|n| n.min(MAX_LEVEL))
        };
        let variant = self.arch.variant.as_deref().unwrap_or_default();
        match self.arch.name.as_str() {
            "amd64" => {
                let mut out = vec![self.clone()];
                if let Some(n) = level(&self.arch.variant).filter(|n| *n > 1) {
                    out.extend((1..n).rev().map(|n| with("amd64", &format!("v{n}"))));
                }
                out.push(with("386", ""));
                out
            }
            "arm" => {
                let mut out = vec![self.clone()];
                if let Some(n) = level(&self.arch.variant).filter(|n| *n > 5) {
                    out.extend((5..n).rev().map(|n| with("arm", &format!("v{n}"))));
                }
                out
            }
            "arm64" => {
                let Some((_, lines)) = ARM64_LEVELS.iter().find(|(v, _)| *v == variant) else {
                    return Vec::new();
                };
                let mut out: Vec<Platform> = lines
                    .iter()
                    .flat_map(|&(major, top)| {
                        (0..=top).rev().map(move |minor| match minor {
                            0 => format!("v{major}"),
                            _ => format!("v{major}.{minor}"),
                        })
                    })
                    .map(|v| with("arm64", &v))
                    .collect();
                // Every Armv8 and Armv9 core runs 32-bit Armv8 code, and so arm/v7..v5.
                out.extend(with("arm", "v8").runnable());
                out
            }
            _ => vec![self.clone()],
        }
    }

    /// Rank of `candidate` for a host of this platform: `Some(0)` is an exact match,
    /// larger is a fallback, `None` will not run. Among entries the host runs equally well,
    /// the one that asks for more of the host's `os.features` ranks first, as in containerd.
    pub fn rank(&self, candidate: &Platform) -> Option<usize> {
        let position = self
            .runnable()
            .iter()
            .position(|entry| entry.accepts(candidate))?;
        let wanted = self.os_features.len();
        let missing = wanted.saturating_sub(candidate.os_features.len());
        Some(position * (wanted + 1) + missing)
    }

    /// containerd's single-platform matcher: same OS, CPU and variant, a Windows build this
    /// host runs, and no `os.features` the host lacks.
    fn accepts(&self, candidate: &Platform) -> bool {
        let windows = self.os == "windows";
        self.os == candidate.os
            && self.arch == candidate.arch
            && (!windows
                || windows_runs(self.os_version.as_deref(), candidate.os_version.as_deref()))
            && candidate
                .os_features
                .iter()
                // Older containerd ignored win32k, so entries that list it still match.
                .filter(|f| !(windows && *f == "win32k"))
                .all(|f| self.os_features.contains(f))
    }
}

/// A Windows `major.minor.build[.revision]`; unreadable versions are all zeros, as in containerd.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct WindowsVersion {
    major: u8,
    minor: u8,
    build: u16,
}

impl WindowsVersion {
    fn parse(s: &str) -> WindowsVersion {
        WindowsVersion::read(s).unwrap_or_default()
    }

    fn read(s: &str) -> Option<WindowsVersion> {
        if s.matches('.').count() < 2 {
            return None;
        }
        let mut parts = s.split('.');
        let mut next = || {
            parts
                .next()
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        };
        Some(WindowsVersion {
            major: next()?.parse().ok()?,
            minor: next()?.parse().ok()?,
            build: next()?.parse().ok()?,
        })
    }
}

/// Whether a host of Windows version `host` runs a container image of version `image`. A
/// host or image that states no version matches any, as containerd lets it.
fn windows_runs(host: Option<&str>, image: Option<&str>) -> bool {
    let host = WindowsVersion::parse(host.unwrap_or_default());
    let Some(image) = image else { return true };
    if host == WindowsVersion::default() {
        return true;
    }
    let image = WindowsVersion::parse(image);
    if (host.major, host.minor) != (image.major, image.minor) {
        return false;
    }
    if host.build < LTSC2022 {
        return host.build == image.build;
    }
    // The oldest image build a host runs is the newest stable-ABI LTSC before it (or
    // LTSC 2022 itself, for a 2022 host).
    let oldest = STABLE_ABI_LTSC
        .iter()
        .rev()
        .find(|&&ltsc| host.build > ltsc)
        .copied()
        .unwrap_or(LTSC2022);
    (oldest..=host.build).contains(&image.build)
}

#[cfg(test)]
pub(super) fn windows_build_runs(host: u16, image: u16) -> bool {
    windows_runs(
        Some(&format!("10.0.{host}")),
        Some(&format!("10.0.{image}")),
    )
}
