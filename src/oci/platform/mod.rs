//! Platforms (`linux/arm64`, `linux/arm/v7`, `windows(10.0.20348)/amd64`) and the way container
//! runtimes parse, normalise and match them, following containerd's `platforms` package.

mod matcher;
mod parse;

pub use parse::{KNOWN_ARCH, KNOWN_OS};
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CPU architecture with its optional variant, in OCI names (`amd64`, `arm64`, `arm/v7`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arch {
    pub name: String,
    pub variant: Option<String>,
}

/// An operating system plus an architecture, as in an image index entry. Built through the
/// constructors, which normalise every field as containerd does before it compares them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub arch: Arch,
    /// `os.version`; runtimes compare it only on Windows (build numbers, `10.0.20348.3091`).
    pub os_version: Option<String>,
    /// `os.features` (`win32k`), sorted and without duplicates or empty strings.
    pub os_features: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid platform {0:?}: expected OS[(VERSION+FEATURE)]/ARCH[/VARIANT] or a single OS or architecture word, for example linux/amd64, linux/arm/v7, arm64 or windows(10.0.20348)/amd64"
)]
pub struct PlatformError(pub String);

impl PlatformError {
    fn of(s: &str) -> PlatformError {
        PlatformError(s.chars().take(80).collect())
    }
}

impl Arch {
    /// Builds an architecture from raw names, normalised as containerd does.
    pub fn new(name: &str, variant: Option<&str>) -> Arch {
        let (name, variant) = parse::normalize_arch(name, variant.unwrap_or_default());
        Arch {
            name,
            variant: Some(variant).filter(|v| !v.is_empty()),
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
            os: parse::normalize_os(os),
            arch,
            os_version: None,
            os_features: Vec::new(),
        }
    }

    pub fn linux(arch: Arch) -> Platform {
        Platform::new("linux", arch)
    }

    /// Sets `os.version`; an empty one is no version, as in the OCI spec.
    pub fn with_os_version(mut self, version: &str) -> Platform {
        let version = version.trim();
        self.os_version = (!version.is_empty()).then(|| version.to_string());
        self
    }

    /// Sets `os.features`, which are compared as a set.
    pub fn with_os_features<S: AsRef<str>>(
        mut self,
        features: impl IntoIterator<Item = S>,
    ) -> Platform {
        let mut features: Vec<String> = features
            .into_iter()
            .map(|f| f.as_ref().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        features.sort();
        features.dedup();
        self.os_features = features;
        self
    }

    /// Whether a host of this platform runs code built for `arch` (same OS assumed). The one
    /// answer to "does this CPU run there", for the rules and the tree alike.
    pub fn runs_arch(&self, arch: &Arch) -> bool {
        self.rank(&Platform::new(&self.os, arch.clone())).is_some()
    }
}

impl FromStr for Arch {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('/');
        let name = parts.next().filter(|n| parse::valid_word(n));
        let variant = parts.next();
        match name {
            Some(name) if parts.next().is_none() && variant.is_none_or(parse::valid_word) => {
                Ok(Arch::new(name, variant))
            }
            _ => Err(PlatformError::of(s)),
        }
    }
}

/// Parses containerd's specifier syntax: `os[(version+feature...)]/arch[/variant]`, or one
/// word that names an OS (the architecture is this machine's) or an architecture (on linux).
impl FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse::parse(s).ok_or_else(|| PlatformError::of(s))
    }
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

/// `os/arch[/variant]`; a version or features go in brackets after the OS, percent-encoded
/// where they hold the syntax's own characters, so the text parses back to the same value.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.os)?;
        if self.os_version.is_some() || !self.os_features.is_empty() {
            f.write_str("(")?;
            if let Some(v) = &self.os_version {
                f.write_str(&parse::encode_option(v))?;
            }
            for feature in &self.os_features {
                write!(f, "+{}", parse::encode_option(feature))?;
            }
            f.write_str(")")?;
        }
        write!(f, "/{}", self.arch)
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
