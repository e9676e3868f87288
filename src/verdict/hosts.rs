//! What a target's hosts run besides their exact platform: index entries of a higher CPU level
//! (`linux/amd64/v3`, `linux/arm64/v9`) and fallback platforms (arm/v7 on arm64, AArch32).

use crate::oci::{Arch, Platform};

use super::target::{CpuLevel, Runtime, Target};
use super::{Code, Finding, rules};

/// How a target meets an index entry of its own CPU that asks for a higher level than the
/// platform its runtime matches with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Gap {
    /// The provider documents no level: a host may have it or not, and its runtime may or
    /// may not match levels.
    HostUnknown,
    /// Every host has the level (`have`), but the provider does not say whether its runtime
    /// matches levels; containerd's default does not.
    MatcherUnknown { have: String },
    /// The runtime refuses it: its hosts guarantee only `have`, as containerd ranks levels.
    Refused { have: String },
}

impl Gap {
    /// Whether the entry may be pulled (with a warning) rather than refused.
    pub(super) fn pulled(&self) -> bool {
        !matches!(self, Gap::Refused { .. })
    }
}

/// How `target` meets `entry` when its platform match refuses it, and how low the entry's
/// level is (larger is lower). None when the entry is not a higher level of the target's own
/// CPU (another CPU or OS, or a variant no level of this CPU runs).
pub(super) fn gap(target: &Target, entry: &Platform) -> Option<(Gap, usize)> {
    let host = &target.platform;
    if entry.os != host.os || entry.arch.name != host.arch.name || host.rank(entry).is_some() {
        return None;
    }
    let at = |level: &str| Platform {
        arch: Arch::new(&host.arch.name, Some(level)),
        ..host.clone()
    };
    let top = match host.arch.name.as_str() {
        "amd64" => "v4",
        "arm64" => "v9.7",
        _ => return None,
    };
    let depth = at(top).rank(entry)?;
    let gap = match &target.cpu_level {
        CpuLevel::Unknown => Gap::HostUnknown,
        CpuLevel::Known(have)
            if target.runtime != Runtime::Containerd && at(have).rank(entry).is_some() =>
        {
            Gap::MatcherUnknown { have: have.clone() }
        }
        CpuLevel::Known(have) => Gap::Refused { have: have.clone() },
    };
    Some((gap, depth))
}

/// Of `entries`, the one a host of the target's CPU at the lowest level above its own
/// would take, with how the target meets it. `choose` and the summary both ask this, so
/// the badge and the finding name the same entry.
pub(super) fn nearest<'p, T>(
    target: &Target,
    entries: impl Iterator<Item = (&'p Platform, T)>,
) -> Option<(Gap, T)> {
    entries
        .filter_map(|(p, t)| {
            let (gap, depth) = gap(target, p)?;
            Some((depth, gap, t))
        })
        .max_by_key(|(depth, _, _)| *depth)
        .map(|(_, gap, t)| (gap, t))
}

/// A level as CPU vendors write it: `x86-64-v3`, `Armv9.0`.
pub(super) fn level_name(arch: &Arch) -> String {
    let v = arch.variant.as_deref().unwrap_or_default();
    match arch.name.as_str() {
        "amd64" if v.is_empty() => "x86-64-v1".into(),
        "amd64" => format!("x86-64-{v}"),
        "arm64" if v.is_empty() => "Armv8.0".into(),
        "arm64" if v.contains('.') => format!("Arm{v}"),
        "arm64" => format!("Arm{v}.0"),
        _ => arch.to_string(),
    }
}

fn have_name(target: &Target, have: &str) -> String {
    level_name(&Arch::new(&target.platform.arch.name, Some(have)))
}

/// Why containerd refuses a higher arm64 or amd64 level whatever the host really has: the
/// platform it names the host with carries no such level.
fn containerd_names(target: &Target) -> &'static str {
    match target.platform.arch.name.as_str() {
        "arm64" => {
            "containerd names every arm64 host linux/arm64/v8: it reads 'CPU architecture: 8' from /proc/cpuinfo, which Armv9 cores print too (containerd/platforms cpuinfo_linux.go), so it refuses such an entry even on an Armv9 host."
        }
        _ => {
            "containerd's default platform carries no amd64 level (containerd/platforms cpuinfo.go reads a variant only on ARM), so it names every x86 host plain linux/amd64, that is v1, and refuses such an entry."
        }
    }
}

/// The warning for an entry pulled only if the host has its level and the runtime matches it.
pub(super) fn pulled_warning(
    target: &Target,
    entry: &Platform,
    gap: &Gap,
    platforms: &[String],
    reference: &str,
    pull_error: &str,
) -> Finding {
    let need = level_name(&entry.arch);
    let (message, hosts) = match gap {
        Gap::MatcherUnknown { have } => (
            format!(
                "the index has no plain {} entry, only {entry} ({need}); {}'s hosts have {}, but whether its runtime matches CPU levels is not documented",
                target.platform,
                target.name,
                have_name(target, have)
            ),
            format!("Its hosts have that level: {}", target.cpu_source),
        ),
        _ => (
            format!(
                "the index has no plain {} entry, only {entry} ({need}); the CPUs of {} are not documented, so it is pulled and runs only on a host with {need}",
                target.platform, target.name
            ),
            format!(
                "Whether a host has {need} is not written: {}",
                target.cpu_source
            ),
        ),
    };
    Finding::warning(Code::CpuLevelUnsupported, message)
        .fix(rules::multiarch_fix(target, platforms, reference))
        .predicts(pull_error)
        .because(format!(
            "{entry} asks for a host of {need} or newer: a runtime that knows its host's level takes entries of that level and below, as containerd ranks them. {hosts} Nor does AWS say how its runtime names the host; {} Where the host lacks {need}, or its runtime ignores levels, the pull fails with \"{pull_error}\"; on a {need} host whose runtime matches levels it is pulled and starts. An entry of the baseline level runs on every host.",
            containerd_names(target)
        ))
}

/// The words a no-match adds when the index does hold an entry of the target's CPU, at a
/// level its hosts are not matched with: (message tail, explanation).
pub(super) fn refused_words(target: &Target, entry: &Platform, have: &str) -> (String, String) {
    let need = level_name(&entry.arch);
    let have = have_name(target, have);
    let profile = target.name != target.platform.to_string();
    let mut why = format!(
        "{entry} asks for {need}; a host of {} is matched as {have}, and a host takes entries of its own level and below, as containerd ranks them, never a higher one.",
        target.title
    );
    if profile && target.runtime == Runtime::Containerd {
        why.push_str(&format!(
            " Its hosts guarantee {have} ({}), and {}",
            target.cpu_source,
            containerd_names(target)
        ));
    } else if profile {
        why.push_str(&format!(" {}", target.cpu_source));
    }
    why.push_str(&format!(
        " Build the entry for the baseline ({}) as well.",
        target.platform
    ));
    (
        format!(
            ", only {entry}, which asks for {need}; {} guarantees {have}",
            target.name
        ),
        why,
    )
}

/// The warning for an entry taken as a fallback (arm/v7 on arm64): it runs only where the
/// host's CPU executes that code, and not at all on hosts without AArch32.
pub(super) fn fallback_warning(
    target: &Target,
    entry: &Platform,
    platforms: &[String],
    reference: &str,
) -> Finding {
    let gap = target
        .aarch32_missing
        .as_ref()
        .filter(|_| entry.arch.name == "arm");
    let (message, why) = match gap {
        Some(gap) => (
            format!(
                "no {} entry; the runtime falls back to {entry}, 32-bit code that fails on {} (no AArch32) with exec format error",
                target.platform, gap.on
            ),
            format!(
                " {entry} is 32-bit arm code. {} have no AArch32, so there the kernel refuses every 32-bit program and the start fails with exec format error; the older hosts run it. {}",
                gap.on, gap.source
            ),
        ),
        None => (
            format!(
                "no exact {} entry; the runtime falls back to {entry}, which runs only where the host supports it",
                target.platform
            ),
            " It runs only on hosts whose CPU also executes that platform's code.".to_string(),
        ),
    };
    Finding::warning(Code::PlatformFallback, message)
        .fix(rules::multiarch_fix(target, platforms, reference))
        .because(format!(
            "The index has no entry for exactly {}, so the runtime takes the best compatible one, as containerd ranks them.{why}",
            target.platform
        ))
}
