//! Deploy targets: the built-in profiles from `assets/targets.toml`, or a raw platform.

use serde::{Deserialize, Serialize};

use crate::oci::{Arch, Platform};

/// Which runtime pulls and starts the image: decides the wording of predicted errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    Apprunner,
    Ecs,
    Lambda,
    /// containerd / Docker / Kubernetes nodes.
    Containerd,
}

/// A place an image is deployed to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The profile name (`apprunner`) or, for a raw platform, the platform as given.
    pub name: String,
    pub title: String,
    pub platform: Platform,
    /// Whether the service accepts an image index (Lambda does not).
    pub accepts_index: bool,
    pub runtime: Runtime,
    /// Where the facts of this profile are written.
    pub source: String,
    /// The CPU level every host of the target has, beyond its architecture.
    pub cpu_level: CpuLevel,
    /// Where that level is written, or why it is not known.
    pub cpu_source: String,
    /// The hosts of an arm64 target whose CPUs run no 32-bit arm code, when some do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aarch32_missing: Option<Aarch32Gap>,
    /// The title names several things (`EC2 / EKS nodes`), so sentences say "run".
    #[serde(skip)]
    pub plural: bool,
}

impl Target {
    /// "runs", or "run" after a plural title: `EC2 / EKS nodes on AWS Graviton run linux/arm64`.
    pub fn runs_word(&self) -> &'static str {
        if self.plural { "run" } else { "runs" }
    }
}

/// Hosts of an arm64 target without AArch32: 32-bit arm code fails there with exec format
/// error, though it runs on the target's other hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aarch32Gap {
    /// Which hosts (`Graviton4 ... and Graviton5 ...`).
    pub on: String,
    pub source: String,
}

/// How far a target's CPUs are known: amd64 `v1`..`v4`, arm64 `v8.0`..`v9.x`, arm `v5`..`v8`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum CpuLevel {
    /// Every host runs code of this level; lower levels run too.
    Known(String),
    /// The provider does not document its hosts' CPUs: anything above the base level may
    /// or may not run.
    Unknown,
}

impl CpuLevel {
    /// `unknown`, or a level as written in `targets.toml` (`v2`, `v8.2`).
    fn parse(s: &str) -> CpuLevel {
        match s.trim() {
            "" | "unknown" => CpuLevel::Unknown,
            l => CpuLevel::Known(l.to_ascii_lowercase()),
        }
    }

    /// The amd64 level (1..4) when it is known; `None` when it is not or is no amd64 level.
    pub fn amd64(&self) -> Option<u8> {
        match self {
            CpuLevel::Known(l) => amd64_level(l),
            CpuLevel::Unknown => None,
        }
    }
}

/// `v1`..`v4` as a number.
pub fn amd64_level(s: &str) -> Option<u8> {
    match s.trim() {
        "v1" => Some(1),
        "v2" => Some(2),
        "v3" => Some(3),
        "v4" => Some(4),
        _ => None,
    }
}

impl From<CpuLevel> for String {
    fn from(l: CpuLevel) -> String {
        match l {
            CpuLevel::Known(l) => l,
            CpuLevel::Unknown => "unknown".into(),
        }
    }
}

impl Target {
    /// Whether code built for `arch` runs on this target's CPU: its own architecture, or one
    /// it falls back to as containerd ranks them (arm/v7 on arm64, older variants).
    pub fn runs(&self, arch: &Arch) -> bool {
        self.platform.runs_arch(arch)
    }
}

#[derive(Deserialize)]
struct File {
    target: Vec<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: String,
    title: String,
    platform: String,
    accepts_index: bool,
    runtime: Runtime,
    source: String,
    cpu_level: String,
    cpu_source: String,
    aarch32_missing_on: Option<String>,
    aarch32_source: Option<String>,
    #[serde(default)]
    plural: bool,
}

const BUILTIN: &str = include_str!("../../assets/targets.toml");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "unknown target {0:?}: use a profile ({1}) or a platform such as linux/arm64 or linux/arm/v7; `archlens targets` lists them"
    )]
    Unknown(String, String),
    #[error(
        "unknown platform {given:?}: containerd knows no {what}; the closest are {closest}; `archlens targets` lists the profiles"
    )]
    UnknownPlatform {
        given: String,
        /// `OS "linxu"`, `architecture "arm46"`.
        what: String,
        closest: String,
    },
}

/// The known words nearest to `word`, best first.
fn nearest(word: &str, known: &[&'static str], n: usize) -> Vec<&'static str> {
    crate::text::closest(word, known.iter().copied(), n)
}

/// A raw target must name an OS and an architecture containerd knows: an index entry may
/// carry any words, but a target nobody can deploy to is a typo.
fn known_platform(given: &str, p: &Platform) -> Result<(), TargetError> {
    use crate::oci::platform::{KNOWN_ARCH, KNOWN_OS};
    let os_ok = KNOWN_OS.contains(&p.os.as_str());
    let arch_ok = KNOWN_ARCH.contains(&p.arch.name.as_str());
    if os_ok && arch_ok {
        return Ok(());
    }
    let oses = if os_ok {
        vec![
            KNOWN_OS
                .iter()
                .copied()
                .find(|o| *o == p.os)
                .unwrap_or("linux"),
        ]
    } else {
        nearest(&p.os, KNOWN_OS, 1)
    };
    let arches = if arch_ok {
        vec![
            KNOWN_ARCH
                .iter()
                .copied()
                .find(|a| *a == p.arch.name)
                .unwrap_or("amd64"),
        ]
    } else {
        nearest(&p.arch.name, KNOWN_ARCH, 3)
    };
    let closest: Vec<String> = oses
        .iter()
        .flat_map(|o| arches.iter().map(move |a| format!("{o}/{a}")))
        .collect();
    let short = |s: &str| s.chars().take(32).collect::<String>();
    Err(TargetError::UnknownPlatform {
        given: short(given),
        what: if os_ok {
            format!("architecture {:?}", short(&p.arch.name))
        } else {
            format!("OS {:?}", short(&p.os))
        },
        closest: closest.join(", "),
    })
}

/// The built-in profiles, in file order.
pub fn builtin() -> Vec<Target> {
    // The file is compiled in and covered by tests, so a parse failure cannot reach users.
    let file: File = match toml::from_str(BUILTIN) {
        Ok(f) => f,
        Err(_) => return Vec::new(),
    };
    file.target
        .into_iter()
        .filter_map(|p| {
            Some(Target {
                platform: p.platform.parse().ok()?,
                name: p.name,
                title: p.title,
                accepts_index: p.accepts_index,
                runtime: p.runtime,
                source: p.source,
                cpu_level: CpuLevel::parse(&p.cpu_level),
                cpu_source: p.cpu_source,
                aarch32_missing: p.aarch32_missing_on.map(|on| Aarch32Gap {
                    on,
                    source: p.aarch32_source.unwrap_or_default(),
                }),
                plural: p.plural,
            })
        })
        .collect()
}

/// The target of any platform, unchecked: an index entry's own platform, whatever its words.
pub fn raw(name: &str, platform: Platform) -> Target {
    Target {
        name: name.to_string(),
        title: format!("any {platform} host (containerd, Docker, Kubernetes)"),
        cpu_level: base_level(&platform.arch),
        cpu_source: "the platform names it; a platform without a variant means the architecture's first level, as containerd treats an amd64 host without one as v1".into(),
        platform,
        accepts_index: true,
        runtime: Runtime::Containerd,
        source: "OCI image index platform matching as implemented by containerd".into(),
        aarch32_missing: None,
        plural: false,
    }
}

/// A target by profile name, or a raw `os/arch[/variant]` platform.
pub fn lookup(name: &str) -> Result<Target, TargetError> {
    let all = builtin();
    if let Some(t) = all.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
        return Ok(t.clone());
    }
    match name.parse::<Platform>() {
        Ok(platform) => known_platform(name, &platform).map(|()| raw(name, platform)),
        Err(_) => Err(TargetError::Unknown(
            name.chars().take(64).collect(),
            all.iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// The level a raw platform names: its variant, or the architecture's first one.
fn base_level(arch: &Arch) -> CpuLevel {
    match (&arch.variant, arch.name.as_str()) {
        (Some(v), _) => CpuLevel::Known(v.clone()),
        (None, "amd64") => CpuLevel::Known("v1".into()),
        (None, "arm64") => CpuLevel::Known("v8.0".into()),
        (None, _) => CpuLevel::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_os_or_arch_is_refused_with_the_closest_known_ones() {
        let e = lookup("linux/arm46").unwrap_err().to_string();
        assert!(
            e.contains("architecture \"arm46\"") && e.contains("linux/arm64"),
            "{e}"
        );
        let e = lookup("linxu/amd64").unwrap_err().to_string();
        assert!(
            e.contains("OS \"linxu\"") && e.contains("linux/amd64"),
            "{e}"
        );
        let e = lookup("x/y").unwrap_err().to_string();
        assert!(e.contains("unknown platform \"x/y\""), "{e}");
        assert!(lookup("linux/arm/v7").is_ok());
        assert!(lookup("windows/amd64").is_ok());
    }

    #[test]
    fn a_plural_title_takes_a_plural_verb() {
        let g = lookup("graviton").unwrap();
        assert_eq!(
            format!("{} {} {}", g.title, g.runs_word(), g.platform),
            "EC2 / EKS nodes on AWS Graviton run linux/arm64"
        );
        assert_eq!(lookup("apprunner").unwrap().runs_word(), "runs");
        assert_eq!(lookup("linux/s390x").unwrap().runs_word(), "runs");
    }

    #[test]
    fn builtin_profiles_hold_the_platform_facts() {
        let all = builtin();
        let names: Vec<_> = all.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apprunner",
                "fargate",
                "fargate-arm64",
                "lambda",
                "lambda-arm64",
                "graviton"
            ]
        );
        // The headline fact: App Runner is linux/amd64 only.
        let ar = lookup("apprunner").unwrap();
        assert_eq!(ar.platform.to_string(), "linux/amd64");
        assert!(ar.source.contains("apprunner-roadmap#98"));
        assert!(!lookup("lambda").unwrap().accepts_index);
        assert!(!lookup("lambda-arm64").unwrap().accepts_index);
        assert_eq!(
            lookup("graviton").unwrap().platform.to_string(),
            "linux/arm64"
        );
        assert!(all.iter().all(|t| !t.source.is_empty()));
    }

    #[test]
    fn a_target_runs_its_own_cpu_and_the_ones_it_falls_back_to() {
        let graviton = lookup("graviton").unwrap();
        assert!(graviton.runs(&Arch::new("arm64", None)));
        assert!(graviton.runs(&Arch::new("arm", Some("v7"))));
        assert!(!graviton.runs(&Arch::new("amd64", None)));
        let v6 = lookup("linux/arm/v6").unwrap();
        assert!(!v6.runs(&Arch::new("arm", Some("v7"))));
        assert!(
            lookup("linux/arm/v7")
                .unwrap()
                .runs(&Arch::new("arm", Some("v6")))
        );
        assert!(!lookup("apprunner").unwrap().runs(&Arch::new("arm64", None)));
    }

    #[test]
    fn cpu_levels_are_stated_with_a_source_or_said_to_be_unknown() {
        for t in builtin() {
            assert!(t.cpu_source.len() > 40, "{}: {}", t.name, t.cpu_source);
        }
        // AWS does not document its x86 hosts: no amd64 level is promised.
        for name in ["apprunner", "fargate", "lambda"] {
            let t = lookup(name).unwrap();
            assert_eq!(t.cpu_level, CpuLevel::Unknown, "{name}");
            assert_eq!(t.cpu_level.amd64(), None);
        }
        assert_eq!(
            lookup("lambda-arm64").unwrap().cpu_level,
            CpuLevel::Known("v8.2".into())
        );
        assert_eq!(lookup("linux/amd64").unwrap().cpu_level.amd64(), Some(1));
        let v2 = lookup("linux/amd64/v2").unwrap();
        assert_eq!(v2.cpu_level.amd64(), Some(2));
        // Lower levels run on a higher host; higher ones do not match it.
        assert!(v2.runs(&Arch::new("amd64", None)));
        assert!(!v2.runs(&Arch::new("amd64", Some("v3"))));
        assert_eq!(
            serde_json::to_value(&v2).unwrap()["cpu_level"],
            serde_json::json!("v2")
        );
        assert_eq!(
            serde_json::to_value(lookup("fargate").unwrap()).unwrap()["cpu_level"],
            serde_json::json!("unknown")
        );
    }

    #[test]
    fn raw_platforms_are_targets_and_junk_is_explained() {
        let t = lookup("linux/arm/v7").unwrap();
        assert_eq!(t.platform.to_string(), "linux/arm/v7");
        assert!(t.accepts_index);
        let err = lookup("raspberry").unwrap_err().to_string();
        assert!(
            err.contains("apprunner") && err.contains("linux/arm64"),
            "{err}"
        );
    }
}
