//! Verdicts: will an image run on a target, and if not, which file breaks it, what the
//! runtime will print, and how to fix the build.
//!
//! [`select`] works from manifests alone (cheap, for list badges); [`evaluate`] adds the
//! content rules once the chosen image has been read.

mod finding;
mod rules;
pub mod target;

use serde::Serialize;

use crate::analyze::{Entry, Image, Root};
use crate::oci::{Digest, Platform};

pub use finding::{Code, Finding, Severity, Verdict};
pub use rules::evaluate_image;
pub use target::{Runtime, Target};

/// The image a target would run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    pub digest: Digest,
    /// The platform the index declares for it, or for a single image the config's.
    pub platform: Option<Platform>,
}

/// The verdict for one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetResult {
    pub target: String,
    pub platform: Platform,
    pub verdict: Verdict,
    pub image: Option<Chosen>,
    pub predicted_error: Option<String>,
    pub findings: Vec<Finding>,
}

impl TargetResult {
    /// Builds a result from findings: `fail` on any error, `warn` on any warning.
    pub fn from_findings(
        target: &Target,
        image: Option<Chosen>,
        mut findings: Vec<Finding>,
    ) -> TargetResult {
        // Most severe first, keeping the rules' order within a severity.
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let verdict = match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => Verdict::Fail,
            Some(Severity::Warning) => Verdict::Warn,
            _ => Verdict::Pass,
        };
        let predicted_error = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .find_map(|f| f.predicted_error.clone());
        TargetResult {
            target: target.name.clone(),
            platform: target.platform.clone(),
            verdict,
            image,
            predicted_error,
            findings,
        }
    }
}

/// Which manifest a target's runtime would run, decided from manifests alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection<'a> {
    /// This image would be pulled and started. `fallback` is set when the index has no
    /// exact match and a compatible platform (arm/v7 on arm64) is used instead.
    Image { entry: &'a Entry, fallback: bool },
    /// The index has no entry the target can run: the pull fails.
    NoMatch,
    /// The target refuses indexes (Lambda); `would_run` is the entry it would match.
    IndexRejected { would_run: Option<&'a Entry> },
}

/// Picks the manifest a target's runtime would run, as containerd does: a single image is
/// run whatever its label; from an index the best-ranked compatible platform wins.
pub fn select<'a>(root: &'a Root, target: &Target) -> Selection<'a> {
    let best = root
        .images()
        .filter_map(|e| {
            let p = e.platform.as_ref()?;
            target.platform.rank(p).map(|r| (r, e))
        })
        .min_by_key(|(r, _)| *r);
    if !root.is_index {
        return match root.images().next() {
            Some(entry) => Selection::Image {
                entry,
                fallback: false,
            },
            None => Selection::NoMatch,
        };
    }
    if !target.accepts_index {
        return Selection::IndexRejected {
            would_run: best.map(|(_, e)| e),
        };
    }
    match best {
        Some((rank, entry)) => Selection::Image {
            entry,
            fallback: rank > 0,
        },
        None => Selection::NoMatch,
    }
}

/// The platform string runtimes print in "no matching manifest" errors (`linux/arm64/v8`).
fn runtime_platform_name(p: &Platform) -> String {
    if p.arch.name == "arm64" && p.arch.variant.is_none() {
        format!("{p}/v8")
    } else {
        p.to_string()
    }
}

/// The verdict for `target`. `image` is the analysed image that [`select`] chose (None
/// when nothing was chosen or it could not be read; `read_error` says why).
pub fn evaluate(
    reference: &str,
    root: &Root,
    target: &Target,
    image: Option<&Image>,
    read_error: Option<&str>,
) -> TargetResult {
    let platforms: Vec<String> = root
        .images()
        .filter_map(|e| e.platform.as_ref().map(|p| p.to_string()))
        .collect();
    match select(root, target) {
        Selection::NoMatch => {
            let predicted = match target.runtime {
                Runtime::Containerd => format!(
                    "no matching manifest for {} in the manifest list entries",
                    runtime_platform_name(&target.platform)
                ),
                _ => format!(
                    "CannotPullContainerError: ... image Manifest does not contain descriptor matching platform '{}'",
                    target.platform
                ),
            };
            let finding = Finding {
                severity: Severity::Error,
                code: Code::NoMatchingPlatform,
                path: None,
                layer: None,
                message: format!(
                    "the index offers {} but no {} image: the pull fails before anything starts",
                    if platforms.is_empty() {
                        "no platforms".to_string()
                    } else {
                        platforms.join(", ")
                    },
                    target.platform
                ),
                fix: Some(rules::multiarch_fix(target, &platforms, reference)),
                predicted_error: Some(predicted),
                explanation: format!(
                    "An index is a list of images, one per platform. The runtime on {} looks for a {} entry, finds none and stops at the pull; the images that are there never start. The build that pushed it was not asked for {}.",
                    target.title, target.platform, target.platform
                ),
            };
            TargetResult::from_findings(target, None, vec![finding])
        }
        Selection::IndexRejected { would_run } => {
            let finding = Finding {
                severity: Severity::Error,
                code: Code::IndexNotSupported,
                path: None,
                layer: None,
                message: format!(
                    "{} does not accept an image index (manifest list){}; push a single-platform {} image",
                    target.title,
                    if root
                        .entries
                        .iter()
                        .any(|e| e.kind != crate::oci::manifest::EntryKind::Image)
                    {
                        ", and this one also carries attestation manifests that BuildKit adds by default"
                    } else {
                        ""
                    },
                    target.platform
                ),
                fix: Some(rules::single_platform_fix(target, reference)),
                predicted_error: Some(format!(
                    "The image manifest, config or layer media type for the source image {reference} is not supported."
                )),
                explanation: format!(
                    "{} takes one single-platform image manifest and refuses an image index, whatever platforms it lists. BuildKit adds provenance attestations by default, which turns even a one-platform build into an index.",
                    target.title
                ),
            };
            let chosen = would_run.map(|e| Chosen {
                digest: e.digest.clone(),
                platform: e.platform.clone(),
            });
            TargetResult::from_findings(target, chosen, vec![finding])
        }
        Selection::Image { entry, fallback } => {
            let mut findings = Vec::new();
            if fallback {
                findings.push(Finding {
                    severity: Severity::Warning,
                    code: Code::PlatformFallback,
                    path: None,
                    layer: None,
                    message: format!(
                        "no exact {} entry; the runtime falls back to {}, which runs only where the host supports it",
                        target.platform,
                        entry
                            .platform
                            .as_ref()
                            .map(|p| p.to_string())
                            .unwrap_or_default()
                    ),
                    fix: Some(rules::multiarch_fix(target, &platforms, reference)),
                    predicted_error: None,
                    explanation: format!(
                        "The index has no entry for exactly {}, so the runtime takes the best compatible one, as containerd ranks them. It runs only on hosts whose CPU also executes that platform's code.",
                        target.platform
                    ),
                });
            }
            let declared = entry
                .platform
                .clone()
                .or_else(|| image.map(|i| i.config.platform.clone()));
            let chosen = Some(Chosen {
                digest: entry.digest.clone(),
                platform: declared,
            });
            match image {
                Some(img) => {
                    findings.extend(evaluate_image(
                        reference,
                        target,
                        entry.platform.as_ref(),
                        &platforms,
                        img,
                    ));
                }
                None => findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::ImageUnreadable,
                    path: None,
                    layer: None,
                    message: format!(
                        "image {} could not be read: {}",
                        entry.digest,
                        read_error.unwrap_or("unknown error")
                    ),
                    fix: None,
                    predicted_error: None,
                    explanation: "The image could not be read, so its files were not checked: the verdict says nothing about them.".into(),
                }),
            }
            TargetResult::from_findings(target, chosen, findings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::manifest::EntryKind;

    fn entry(n: u8, platform: Option<&str>, kind: EntryKind) -> Entry {
        Entry {
            digest: Digest::sha256_of(&[n]),
            media_type: crate::oci::media::OCI_MANIFEST.into(),
            platform: platform.map(|p| p.parse().unwrap()),
            kind,
            subject: None,
            size: 100,
        }
    }

    fn index(entries: Vec<Entry>) -> Root {
        Root {
            digest: Digest::sha256_of(b"index"),
            media_type: crate::oci::media::OCI_INDEX.into(),
            is_index: true,
            entries,
        }
    }

    fn t(name: &str) -> Target {
        target::lookup(name).unwrap()
    }

    #[test]
    fn app_runner_picks_the_amd64_entry_and_refuses_an_arm64_only_index() {
        let both = index(vec![
            entry(1, Some("linux/arm64"), EntryKind::Image),
            entry(2, Some("linux/amd64"), EntryKind::Image),
            entry(3, Some("unknown/unknown"), EntryKind::Attestation),
        ]);
        match select(&both, &t("apprunner")) {
            Selection::Image { entry, fallback } => {
                assert_eq!(entry.digest, Digest::sha256_of(&[2]));
                assert!(!fallback);
            }
            other => panic!("{other:?}"),
        }
        let arm_only = index(vec![entry(1, Some("linux/arm64"), EntryKind::Image)]);
        assert_eq!(select(&arm_only, &t("apprunner")), Selection::NoMatch);
        let r = evaluate("example.com/app:1", &arm_only, &t("apprunner"), None, None);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, Code::NoMatchingPlatform);
        assert_eq!(
            r.predicted_error.as_deref(),
            Some(
                "CannotPullContainerError: ... image Manifest does not contain descriptor matching platform 'linux/amd64'"
            )
        );
        assert!(
            r.findings[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("--platform linux/amd64,linux/arm64 -t example.com/app:1")
        );
    }

    #[test]
    fn containerd_names_arm64_v8_in_its_error() {
        let amd_only = index(vec![entry(1, Some("linux/amd64"), EntryKind::Image)]);
        let r = evaluate("x", &amd_only, &t("graviton"), None, None);
        assert_eq!(
            r.predicted_error.as_deref(),
            Some("no matching manifest for linux/arm64/v8 in the manifest list entries")
        );
    }

    #[test]
    fn lambda_rejects_any_index_even_with_the_right_platform() {
        let root = index(vec![
            entry(1, Some("linux/amd64"), EntryKind::Image),
            entry(2, Some("unknown/unknown"), EntryKind::Attestation),
        ]);
        let r = evaluate(
            "acct.dkr.ecr.eu-west-1.amazonaws.com/fn:1",
            &root,
            &t("lambda"),
            None,
            None,
        );
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, Code::IndexNotSupported);
        assert!(r.findings[0].message.contains("attestation"));
        let fix = r.findings[0].fix.as_deref().unwrap();
        assert!(
            fix.contains("--platform linux/amd64 --provenance=false --sbom=false"),
            "{fix}"
        );
        assert_eq!(r.image.unwrap().digest, Digest::sha256_of(&[1]));
    }

    #[test]
    fn arm64_host_falls_back_to_arm_v7_with_a_warning() {
        let root = index(vec![entry(1, Some("linux/arm/v7"), EntryKind::Image)]);
        match select(&root, &t("graviton")) {
            Selection::Image { fallback, .. } => assert!(fallback),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_single_image_is_run_whatever_its_label() {
        let root = Root {
            digest: Digest::sha256_of(b"m"),
            media_type: crate::oci::media::OCI_MANIFEST.into(),
            is_index: false,
            entries: vec![entry(1, None, EntryKind::Image)],
        };
        assert!(matches!(
            select(&root, &t("fargate-arm64")),
            Selection::Image {
                fallback: false,
                ..
            }
        ));
        assert!(matches!(
            select(&root, &t("lambda")),
            Selection::Image { .. }
        ));
    }
}
