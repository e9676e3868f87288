//! TEMPORARY: the old per-screen selection API, kept only until the UI renders
//! [`super::Assessment`]. Deleted in the same change.
#![allow(dead_code)]

use crate::analyze::{Entry, Image, Root};
use crate::oci::Platform;

use super::{
    Chosen, Code, Finding, Runtime, Severity, Target, TargetResult, evaluate_image, rules,
};

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
fn _unused_runtime_platform_name(p: &Platform) -> String {
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
                    _unused_runtime_platform_name(&target.platform)
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
                explanation: String::new(),
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
                explanation: String::new(),
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
 explanation: String::new(),
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
                    explanation: String::new(),
                }),
            }
            TargetResult::from_findings(target, chosen, findings)
        }
    }
}
