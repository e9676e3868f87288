//! Two images side by side (normally two platform entries of one index): their native files,
//! config and layers. Native files byte-identical across two CPUs prove a mislabel.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analyze::{Entry, Image, Root};
use crate::detect::Artifact;
use crate::oci::{Arch, Digest, Platform};

/// The platforms `archlens diff INDEX` compares when none are named.
pub fn default_platforms() -> [Platform; 2] {
    [
        Platform::linux(Arch::amd64()),
        Platform::linux(Arch::arm64()),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error(
        "{reference} is a single image, not an index: compare it with another image (`archlens diff {reference} OTHER`)"
    )]
    NotAnIndex { reference: String },
    #[error("{reference} has no image for {platform}; it offers: {offered}")]
    NoPlatform {
        reference: String,
        platform: String,
        offered: String,
    },
    #[error(
        "{reference} is an index: say which of its platforms to compare, as {reference}@PLATFORM or with --platforms A,B (it offers: {offered})"
    )]
    NeedPlatform { reference: String, offered: String },
    #[error("diff compares two platforms of one index, or two references; {0} were given")]
    Arity(usize),
    #[error(
        "{reference}@{platform} names one image; compare two platforms of the index with `archlens diff {reference} --platforms A,B`, or give a second reference"
    )]
    OnePlatform { reference: String, platform: String },
}

/// The image entry of `root` for `platform`: the exact platform, else the only entry of the
/// same OS and CPU family (`linux/arm64` finds `linux/arm64/v8`).
pub fn pick<'a>(
    reference: &str,
    root: &'a Root,
    platform: &Platform,
) -> Result<&'a Entry, DiffError> {
    let exact = root
        .images()
        .find(|e| e.platform.as_ref() == Some(platform));
    let family = || {
        let mut same = root.images().filter(|e| {
            e.platform
                .as_ref()
                .is_some_and(|p| p.os == platform.os && p.arch.same_family(&platform.arch))
        });
        match (same.next(), same.next()) {
            (Some(e), None) => Some(e),
            _ => None,
        }
    };
    exact.or_else(family).ok_or_else(|| DiffError::NoPlatform {
        reference: reference.to_string(),
        platform: platform.to_string(),
        offered: offered(root),
    })
}

/// The platforms an index lists, for error messages.
pub fn offered(root: &Root) -> String {
    let all: Vec<String> = root
        .images()
        .filter_map(|e| e.platform.as_ref().map(|p| p.to_string()))
        .collect();
    if all.is_empty() {
        "no platform-labelled images".into()
    } else {
        all.join(", ")
    }
}

/// One side of a comparison, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// What the user named: `REF` or `REF@linux/arm64`.
    pub label: String,
    pub digest: Digest,
    /// The platform the index declares, else the one the config declares.
    pub platform: Platform,
    pub layers: usize,
    /// Compressed layer bytes.
    pub size: u64,
    pub uncompressed_size: u64,
    pub files: usize,
    pub wasted_bytes: u64,
    pub natives: usize,
}

/// How a native file compares between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Same sha256 on both sides.
    Identical,
    /// Same path, different content (or a different CPU).
    Different,
    /// Same path and CPU, but inside an archive: not compared byte for byte.
    Unhashed,
    OnlyA,
    OnlyB,
}

impl Status {
    /// The words for people, as text output and the explorer show them.
    pub fn words(self) -> &'static str {
        match self {
            Status::Identical => "same bytes",
            Status::Different => "different",
            Status::Unhashed => "not compared",
            Status::OnlyA => "only in A",
            Status::OnlyB => "only in B",
        }
    }
}

/// A native file as one side has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Native {
    /// What it is, in words (`ELF executable, amd64 (x86-64)`).
    pub what: String,
    pub arch: Option<Arch>,
    pub sha256: Option<Digest>,
    /// Code a Linux host loads (ELF): only such files are evidence of a mislabel.
    #[serde(skip)]
    pub linux: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NativeDiff {
    pub path: String,
    pub status: Status,
    pub a: Option<Native>,
    pub b: Option<Native>,
}

/// A config field whose value differs (`env PATH` for one variable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDiff {
    pub field: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Something the comparison proves, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
    /// The files that prove it.
    pub paths: Vec<String>,
}

/// Everything that tells the two images apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub a: Side,
    pub b: Side,
    /// Layers (by digest) both images hold.
    pub shared_layers: usize,
    /// Every native file of either side, by path.
    pub natives: Vec<NativeDiff>,
    pub config: Vec<ConfigDiff>,
    pub findings: Vec<Finding>,
}

impl Diff {
    /// How many native files have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.natives.iter().filter(|n| n.status == status).count()
    }
}

fn is_native(a: &Artifact) -> bool {
    a.kind.is_native()
}

fn side(label: &str, platform: Option<&Platform>, img: &Image) -> Side {
    Side {
        label: label.to_string(),
        digest: img.digest.clone(),
        platform: platform
            .cloned()
            .unwrap_or_else(|| img.config.platform.clone()),
        layers: img.layers.len(),
        size: img.layers.iter().map(|l| l.size).sum(),
        uncompressed_size: img.layers.iter().map(|l| l.scan.uncompressed_size).sum(),
        files: img.fs.len(),
        wasted_bytes: img.fs.wasted_total(),
        natives: img
            .fs
            .artifacts
            .iter()
            .filter(|(_, a)| is_native(a))
            .count(),
    }
}

fn natives_of(img: &Image) -> BTreeMap<&str, Native> {
    img.fs
        .artifacts
        .iter()
        .filter(|(_, a)| is_native(a))
        .map(|(_, a)| {
            (
                a.path.as_str(),
                Native {
                    what: a.what(),
                    arch: a.arch.clone(),
                    sha256: a.sha256.clone(),
                    linux: a.kind.is_linux_code(),
                },
            )
        })
        .collect()
}

fn status(a: &Native, b: &Native) -> Status {
    match (&a.sha256, &b.sha256) {
        (Some(x), Some(y)) if x == y => Status::Identical,
        (Some(_), Some(_)) => Status::Different,
        _ if a.arch != b.arch => Status::Different,
        _ => Status::Unhashed,
    }
}

/// Compares image `a` with image `b`. `label` and `platform` name each side as the user
/// chose it (the platform the index declares, when it is an index entry).
pub fn compare(a: (&str, Option<&Platform>, &Image), b: (&str, Option<&Platform>, &Image)) -> Diff {
    let (sa, sb) = (side(a.0, a.1, a.2), side(b.0, b.1, b.2));
    let (mut na, mut nb) = (natives_of(a.2), natives_of(b.2));
    let mut paths: Vec<&str> = na.keys().chain(nb.keys()).copied().collect();
    paths.sort_unstable();
    paths.dedup();
    let natives: Vec<NativeDiff> = paths
        .into_iter()
        .map(|p| {
            let (x, y) = (na.remove(p), nb.remove(p));
            let status = match (&x, &y) {
                (Some(x), Some(y)) => status(x, y),
                (Some(_), None) => Status::OnlyA,
                _ => Status::OnlyB,
            };
            NativeDiff {
                path: p.to_string(),
                status,
                a: x,
                b: y,
            }
        })
        .collect();
    let layers_a: Vec<&Digest> = a.2.layers.iter().map(|l| &l.digest).collect();
    let shared_layers =
        b.2.layers
            .iter()
            .filter(|l| layers_a.contains(&&l.digest))
            .count();
    let findings = mislabel(&sa, &sb, &natives).into_iter().collect();
    Diff {
        config: config_diff(a.2, b.2),
        a: sa,
        b: sb,
        shared_layers,
        natives,
        findings,
    }
}

/// Byte-identical CPU-specific files under two different CPU labels: one side carries the
/// other's binaries, whatever its label says. The side whose label the files contradict is named.
fn mislabel(a: &Side, b: &Side, natives: &[NativeDiff]) -> Option<Finding> {
    if a.platform.arch.same_family(&b.platform.arch) {
        return None;
    }
    let same: Vec<&NativeDiff> = natives
        .iter()
        .filter(|n| n.status == Status::Identical)
        .filter(|n| n.a.as_ref().is_some_and(|x| x.linux && x.arch.is_some()))
        .collect();
    // An executable names the problem best (it is what fails to start).
    let exe = |n: &&&NativeDiff| n.a.as_ref().is_some_and(|x| x.what.contains("executable"));
    let first = same
        .iter()
        .find(|n| exe(n) && n.path.contains("/bin/"))
        .or_else(|| same.iter().find(exe))
        .or(same.first())?;
    let arch = first.a.as_ref().and_then(|x| x.arch.clone())?;
    let wrong: Vec<&Side> = [a, b]
        .into_iter()
        .filter(|s| !s.platform.runs_arch(&arch))
        .collect();
    // A multi-arch build ships some files for every CPU alike (prebuilt addons for each
    // arch side by side); a mislabeled entry has no Linux code of its own label at all.
    let own_code = |side: &Side, files: fn(&NativeDiff) -> Option<&Native>| {
        natives.iter().filter_map(files).any(|x| {
            x.linux
                && x.arch
                    .as_ref()
                    .is_some_and(|arch| side.platform.runs_arch(arch))
        })
    };
    let has_own = wrong.iter().any(|s| {
        let files: fn(&NativeDiff) -> Option<&Native> = if std::ptr::eq(*s, a) {
            |n| n.a.as_ref()
        } else {
            |n| n.b.as_ref()
        };
        own_code(s, files)
    });
    if has_own {
        return None;
    }
    let who = match wrong.as_slice() {
        [one] => format!(
            "the {} entry holds {arch} binaries: it is mislabeled",
            one.platform
        ),
        _ => format!("neither label is the {arch} these files are built for"),
    };
    let paths: Vec<String> = same.iter().map(|n| n.path.clone()).collect();
    Some(Finding {
        code: "mislabeled-platform",
        message: format!(
            "{} of {} native files are byte-identical (same sha256) in {} and {}, for example {} ({arch}): {who}",
            same.len(),
            natives.len(),
            a.platform,
            b.platform,
            first.path,
        ),
        paths,
    })
}

fn joined(v: &Option<Vec<String>>) -> Option<String> {
    v.as_ref().map(|v| format!("{v:?}"))
}

fn config_diff(a: &Image, b: &Image) -> Vec<ConfigDiff> {
    let (ca, cb) = (&a.config, &b.config);
    let mut out = Vec::new();
    let mut field = |name: &str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push(ConfigDiff {
                field: name.to_string(),
                a: x,
                b: y,
            });
        }
    };
    field("entrypoint", joined(&ca.entrypoint), joined(&cb.entrypoint));
    field("cmd", joined(&ca.cmd), joined(&cb.cmd));
    field("user", ca.user.clone(), cb.user.clone());
    field("workdir", ca.workdir.clone(), cb.workdir.clone());
    let vars = |env: &[String]| -> BTreeMap<String, String> {
        env.iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (e.clone(), String::new()),
            })
            .collect()
    };
    let (mut ea, mut eb) = (vars(&ca.env), vars(&cb.env));
    let mut keys: Vec<String> = ea.keys().chain(eb.keys()).cloned().collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        let (x, y) = (ea.remove(&k), eb.remove(&k));
        field(&format!("env {k}"), x, y);
    }
    out
}

/// Splits `REF@os/arch[/variant]` into the reference and the platform asked for; a digest
/// (`REF@sha256:…`) or anything that is not a platform stays part of the reference.
pub fn split_platform(reference: &str) -> (&str, Option<Platform>) {
    match reference.rsplit_once('@') {
        Some((r, p)) if p.contains('/') && !p.contains(':') && !r.is_empty() => {
            // Only a known OS word makes a platform: `archive:/tmp/build@v2/image.tar` is a path.
            let os = p.split('/').next().unwrap_or_default();
            match p.parse() {
                Ok(platform) if crate::oci::platform::KNOWN_OS.contains(&os) => (r, Some(platform)),
                _ => (reference, None),
            }
        }
        _ => (reference, None),
    }
}

/// One image to compare: how to name it, the platform it was picked for, its entry.
#[derive(Debug, Clone)]
pub struct Pick<'a> {
    pub label: String,
    pub platform: Option<Platform>,
    pub entry: &'a Entry,
}

/// Which two images `archlens diff` compares: two platforms of one index (`refs` has one
/// root), or one image of each of two references (an index among them needs its platform:
/// `REF@os/arch`, else the matching one of `platforms`).
pub fn choose<'a>(
    refs: &[(&str, &'a Root)],
    platforms: Option<&[Platform; 2]>,
) -> Result<[Pick<'a>; 2], DiffError> {
    let pick_at = |reference: &str, root: &'a Root, p: &Platform| -> Result<Pick<'a>, DiffError> {
        let entry = pick(reference, root, p)?;
        Ok(Pick {
            label: format!("{reference}@{p}"),
            platform: entry.platform.clone(),
            entry,
        })
    };
    match refs {
        [(reference, root)] => {
            if let (reference, Some(p)) = split_platform(reference) {
                return Err(DiffError::OnePlatform {
                    reference: reference.to_string(),
                    platform: p.to_string(),
                });
            }
            if !root.is_index {
                return Err(DiffError::NotAnIndex {
                    reference: reference.to_string(),
                });
            }
            let defaults = default_platforms();
            let [pa, pb] = platforms.unwrap_or(&defaults);
            Ok([pick_at(reference, root, pa)?, pick_at(reference, root, pb)?])
        }
        [(ra, a), (rb, b)] => {
            let one = |reference: &str, root: &'a Root, i: usize| -> Result<Pick<'a>, DiffError> {
                let (reference, own) = split_platform(reference);
                if root.is_index {
                    let p = own.as_ref().or(platforms.and_then(|ps| ps.get(i)));
                    let p = p.ok_or_else(|| DiffError::NeedPlatform {
                        reference: reference.to_string(),
                        offered: offered(root),
                    })?;
                    return pick_at(reference, root, p);
                }
                let entry = root.images().next().ok_or_else(|| DiffError::NoPlatform {
                    reference: reference.to_string(),
                    platform: "any platform".into(),
                    offered: offered(root),
                })?;
                Ok(Pick {
                    label: reference.to_string(),
                    platform: None,
                    entry,
                })
            };
            Ok([one(ra, a, 0)?, one(rb, b, 1)?])
        }
        _ => Err(DiffError::Arity(refs.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::fixture;

    fn side(platform: &str) -> Side {
        Side {
            label: platform.into(),
            digest: Digest::sha256_of(platform.as_bytes()),
            platform: platform.parse().unwrap(),
            layers: 1,
            size: 0,
            uncompressed_size: 0,
            files: 0,
            wasted_bytes: 0,
            natives: 0,
        }
    }

    fn native(arch: &str, bytes: &[u8], linux: bool) -> Native {
        Native {
            what: "file".into(),
            arch: Some(Arch::new(arch, None)),
            sha256: Some(Digest::sha256_of(bytes)),
            linux,
        }
    }

    fn both(path: &str, arch: &str, linux: bool) -> NativeDiff {
        NativeDiff {
            path: path.into(),
            status: Status::Identical,
            a: Some(native(arch, b"same", linux)),
            b: Some(native(arch, b"same", linux)),
        }
    }

    #[test]
    fn files_shipped_alike_for_every_cpu_are_no_mislabel() {
        let (a, b) = (side("linux/amd64"), side("linux/arm64"));
        // pip's Windows launcher in both entries: data, not code a Linux host loads.
        let exe = both(
            "/usr/lib/python3/dist-packages/pip/_vendor/distlib/t64.exe",
            "amd64",
            false,
        );
        assert_eq!(mislabel(&a, &b, &[exe]), None);
        // Prebuilt addons for both CPUs side by side, and the entry's own arm64 binary.
        let x64 = both("/app/prebuilds/linux-x64/addon.node", "amd64", true);
        let own = NativeDiff {
            path: "/usr/local/bin/node".into(),
            status: Status::Different,
            a: Some(native("amd64", b"a", true)),
            b: Some(native("arm64", b"b", true)),
        };
        assert_eq!(mislabel(&a, &b, &[x64.clone(), own]), None);
        // Only amd64 code in the arm64 entry: mislabeled.
        let f = mislabel(&a, &b, &[x64]).unwrap();
        assert!(
            f.message
                .contains("the linux/arm64 entry holds amd64 binaries"),
            "{}",
            f.message
        );
    }

    #[test]
    fn a_platform_after_at_is_split_off_but_a_digest_is_not() {
        let (r, p) = split_platform("oci:dir:idx@linux/arm64/v8");
        assert_eq!(r, "oci:dir:idx");
        assert_eq!(p.map(|p| p.to_string()).as_deref(), Some("linux/arm64"));
        let pinned = "host/app@sha256:0123";
        assert_eq!(split_platform(pinned), (pinned, None));
        assert_eq!(split_platform("alpine:3.20"), ("alpine:3.20", None));
        // A path with an @ is not a platform unless an OS is named.
        let path = "docker-archive:/tmp/build@v2/image.tar";
        assert_eq!(split_platform(path), (path, None));
    }

    #[test]
    fn same_path_without_digests_is_told_apart_by_cpu_only() {
        let amd = fixture::image("app", Arch::amd64());
        let arm = fixture::image("app", Arch::arm64());
        let d = compare(("a", None, &amd), ("b", None, &arm));
        assert_eq!(d.natives.len(), 1);
        assert_eq!(d.natives[0].status, Status::Different);
        let d = compare(("a", None, &amd), ("b", None, &amd));
        assert_eq!(d.natives[0].status, Status::Unhashed);
        // No digests, so no proof of identical bytes: no finding, whatever the labels say.
        let arm_label = Platform::linux(Arch::arm64());
        let d = compare(("a", None, &amd), ("b", Some(&arm_label), &amd));
        assert!(d.findings.is_empty(), "{:?}", d.findings);
    }
}
