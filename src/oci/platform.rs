//! Platforms (`linux/arm64`, `linux/arm/v7`) and the way container runtimes match them.
//!
//! Normalisation and the fallback order follow containerd's `platforms` package, because
//! that is what ECS, EKS, App Runner and Docker use to pick an entry from an index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CPU architecture with its optional variant, in OCI names (`amd64`, `arm64`, `arm/v7`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arch {
    pub name: String,
    pub variant: Option<String>,
}

/// An operating system plus an architecture, as in an image index entry.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub arch: Arch,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid platform {0:?}: expected OS/ARCH[/VARIANT], for example linux/amd64 or linux/arm/v7"
)]
pub struct PlatformError(pub String);

impl Arch {
    /// Builds an architecture from raw names, normalised as containerd does.
    pub fn new(name: &str, variant: Option<&str>) -> Arch {
        let name = name.trim().to_ascii_lowercase();
        let variant = variant
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        let (name, variant) = match (name.as_str(), variant.as_deref()) {
            ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v.filter(|v| *v != "v1")),
            ("i386" | "i486" | "i586" | "i686" | "386", v) => ("386", v),
            ("aarch64" | "arm64", Some("v8") | Some("8")) | ("aarch64" | "arm64", None) => {
                ("arm64", None)
            }
            ("aarch64" | "arm64", v) => ("arm64", v),
            ("armhf", _) => ("arm", Some("v7")),
            ("armel", _) => ("arm", Some("v6")),
            ("arm", None) => ("arm", Some("v7")),
            ("arm", Some("5" | "6" | "7" | "8")) => {
                return Arch {
                    name: "arm".into(),
                    variant: variant.map(|v| format!("v{v}")),
                };
            }
            (n, v) => (n, v),
        };
        Arch {
            name: name.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    pub fn amd64() -> Arch {
        Arch::new("amd64", None)
    }

    pub fn arm64() -> Arch {
        Arch::new("arm64", None)
    }

    /// Whether this architecture is the same CPU family as `other`, ignoring variants
    /// (`arm/v6` and `arm/v7` are one family; `arm` and `arm64` are not).
    pub fn same_family(&self, other: &Arch) -> bool {
        self.name == other.name
    }
}

impl Platform {
    pub fn new(os: &str, arch: Arch) -> Platform {
        Platform {
            os: os.trim().to_ascii_lowercase(),
            arch,
        }
    }

    pub fn linux(arch: Arch) -> Platform {
        Platform::new("linux", arch)
    }

    /// The platforms a host of this platform runs, best first, as containerd's
    /// `platforms.Only` orders them: arm64 also runs arm/v8..v5, arm/v7 runs v6 and v5,
    /// amd64 runs 386 where the kernel has 32-bit support.
    pub fn runnable(&self) -> Vec<Platform> {
        let mut out = vec![self.clone()];
        let arm = |v: &str| Platform::new(&self.os, Arch::new("arm", Some(v)));
        match (self.arch.name.as_str(), self.arch.variant.as_deref()) {
            ("arm64", _) => out.extend(["v8", "v7", "v6", "v5"].map(arm)),
            ("arm", Some("v8")) => out.extend(["v7", "v6", "v5"].map(arm)),
            ("arm", Some("v7")) => out.extend(["v6", "v5"].map(arm)),
            ("arm", Some("v6")) => out.push(arm("v5")),
            ("amd64", _) => out.push(Platform::new(&self.os, Arch::new("386", None))),
            _ => {}
        }
        out
    }

    /// Whether a host of this platform runs code built for `arch` (same OS assumed). The one
    /// answer to "does this CPU run there", for the rules and the tree alike.
    pub fn runs_arch(&self, arch: &Arch) -> bool {
        self.rank(&Platform::new(&self.os, arch.clone())).is_some()
    }

    /// Rank of `candidate` for a host of this platform: `Some(0)` is an exact match,
    /// larger is a fallback, `None` will not run.
    pub fn rank(&self, candidate: &Platform) -> Option<usize> {
        self.runnable().iter().position(|p| {
            p.os == candidate.os
                && p.arch.name == candidate.arch.name
                && (p.arch.variant == candidate.arch.variant
                    // An amd64 host runs amd64/v2.. images only if its CPU does; containerd
                    // treats a missing variant as a match, and so do we.
                    || (p.arch.name == "amd64" && p.arch.variant.is_none()))
        })
    }
}

impl FromStr for Arch {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('/');
        let name = parts.next().filter(|n| valid_word(n));
        let variant = parts.next();
        if parts.next().is_some() || name.is_none() || variant.is_some_and(|v| !valid_word(v)) {
            return Err(PlatformError(s.chars().take(80).collect()));
        }
        Ok(Arch::new(name.unwrap_or_default(), variant))
    }
}

impl FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PlatformError(s.chars().take(80).collect());
        let (os, rest) = s.split_once('/').ok_or_else(err)?;
        if !valid_word(os) {
            return Err(err());
        }
        let arch: Arch = rest.parse().map_err(|_| err())?;
        Ok(Platform::new(os, arch))
    }
}

fn valid_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}/{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

impl fmt::Debug for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
string_serde!(Arch);
string_serde!(Platform);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn normalises_like_containerd() {
        assert_eq!(p("linux/aarch64").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/armhf").to_string(), "linux/arm/v7");
        assert_eq!(p("linux/armel").to_string(), "linux/arm/v6");
        assert_eq!(p("linux/x86_64").to_string(), "linux/amd64");
        assert_eq!(p("Linux/AMD64").to_string(), "linux/amd64");
        assert_eq!(p("linux/s390x").to_string(), "linux/s390x");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "linux",
            "linux/",
            "linux/arm/v7/x",
            "/amd64",
            "linux/a\u{1b}b",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn arm64_host_falls_back_to_32_bit_arm_but_amd64_does_not_run_arm() {
        let host = p("linux/arm64");
        assert_eq!(host.rank(&p("linux/arm64")), Some(0));
        assert_eq!(host.rank(&p("linux/arm64/v8")), Some(0));
        assert!(host.rank(&p("linux/arm/v7")).is_some());
        assert_eq!(host.rank(&p("linux/amd64")), None);
        let x86 = p("linux/amd64");
        assert_eq!(x86.rank(&p("linux/arm64")), None);
        assert_eq!(x86.rank(&p("linux/386")), Some(1));
        assert_eq!(x86.rank(&p("windows/amd64")), None);
        assert_eq!(p("linux/arm/v6").rank(&p("linux/arm/v7")), None);
    }
}
