//! The Explain overlay's text: the model behind a verdict (registry, runtime, build) told
//! with the facts of the image on screen, not as generic prose.
//!
//! Pure functions of the manifests, the analysed image (if read) and the verdict.

use std::collections::BTreeMap;

use crate::analyze::Image;
use crate::catalog::{RootInfo, short_platform};
use crate::oci::Platform;
use crate::verdict::{self, Selection, Severity, Target, TargetResult, Verdict};

/// One paragraph of the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Para {
    pub title: &'static str,
    pub text: String,
}

/// Builds the explanation. Strings from the image are sanitised here.
pub fn explain(
    label: &str,
    info: &RootInfo,
    target: &Target,
    image: Option<&Image>,
    result: Option<&TargetResult>,
) -> Vec<Para> {
    let clean = crate::text::sanitize;
    let label = clean(label);
    let mut out = Vec::new();
    let platforms: Vec<String> = info
        .root
        .images()
        .filter_map(|e| e.platform.as_ref().map(ToString::to_string))
        .collect();
    let atts = info.attestation_count();
    let what = if info.root.is_index {
        format!(
            "`{label}` is an index (manifest list) of {} image{}: {}{}.",
            platforms.len(),
            if platforms.len() == 1 { "" } else { "s" },
            if platforms.is_empty() {
                "none with a platform".to_string()
            } else {
                platforms.join(", ")
            },
            if atts > 0 {
                format!(
                    ", plus {atts} attestation{} (provenance/SBOM records BuildKit adds by default; they describe an image and never run)",
                    if atts == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "`{label}` is a single image, not an index; its config says {}.",
            info.config_platform
                .as_ref()
                .map_or_else(|| "no platform".to_string(), ToString::to_string)
        )
    };
    out.push(Para {
        title: "What the registry holds",
        text: format!(
            "A registry stores manifests and layer bytes as pushed. It never checks that the files inside match the architecture the manifest or config claims. {what}"
        ),
    });

    let t = &target.platform;
    let runtime = match verdict::select(&info.root, target) {
        Selection::Image { entry, fallback } if !info.root.is_index => {
            let label_p = info.config_platform.as_ref();
            let agrees = label_p.is_some_and(|p| t.rank(p).is_some());
            let _ = (entry, fallback);
            format!(
                "{} runs {t} only. A single image is not matched against the host: the runtime pulls it and starts it whatever its label says. The label says {}, {}. The files decide what really happens.",
                target.title,
                label_p.map_or_else(|| "nothing".to_string(), ToString::to_string),
                if agrees {
                    "which agrees with the target"
                } else {
                    "which this target cannot run, but nothing stops the pull"
                }
            )
        }
        Selection::Image { entry, fallback } => format!(
            "{} runs {t}. From an index the runtime takes the entry for its own platform: here {} ({}){}.",
            target.title,
            entry
                .platform
                .as_ref()
                .map_or_else(|| "?".to_string(), ToString::to_string),
            entry.digest.short(),
            if fallback {
                ", a fallback that runs only where the host CPU supports it"
            } else {
                ""
            }
        ),
        Selection::NoMatch => format!(
            "{} runs {t}. The index offers {} but no {t} entry, so the pull fails before anything starts.",
            target.title,
            if platforms.is_empty() {
                "nothing".to_string()
            } else {
                platforms.join(", ")
            }
        ),
        Selection::IndexRejected { .. } => format!(
            "{} wants one single-platform image and refuses an index outright{}.",
            target.title,
            if atts > 0 {
                "; BuildKit's default attestations make even a one-platform build an index"
            } else {
                ""
            }
        ),
    };
    out.push(Para {
        title: "What the runtime does",
        text: runtime,
    });

    let happens = match result {
        Some(r) => {
            let mut s = match r.verdict {
                Verdict::Pass => format!("Verdict for {}: pass. The files that start match {t}.", target.name),
                Verdict::Warn => format!("Verdict for {}: warn. It starts, but look at the findings.", target.name),
                Verdict::Fail => format!("Verdict for {}: FAIL.", target.name),
            };
            if let Some(e) = &r.predicted_error {
                s.push_str(&format!(" The runtime will print: {}", clean(e)));
            }
            for f in r.findings.iter().filter(|f| f.severity == Severity::Error).take(3) {
                s.push_str(&format!(" • {}", clean(&f.message)));
            }
            s
        }
        None => "The files have not been read yet: open the image (Enter) or its verdict (v). The label may not match the files.".to_string(),
    };
    out.push(Para {
        title: "What will happen",
        text: happens,
    });

    let content = image.and_then(dominant_arch);
    let mut build = "Builds follow the CPU of the machine that runs them unless told otherwise: `docker build` on an Apple-silicon Mac makes arm64 images, on most CI runners amd64.".to_string();
    if let Some(arch) = &content {
        build.push_str(&format!(" Most native files in this image are {arch}"));
        if t.rank(&Platform::new(&t.os, crate::oci::Arch::new(arch, None)))
            .is_none()
        {
            build.push_str(&format!(
                ", so it was most likely built on {} machine, not for {t}.",
                if arch.starts_with("arm64") {
                    "an arm64 (e.g. Apple-silicon)"
                } else {
                    "another"
                }
            ));
        } else {
            build.push('.');
        }
    }
    if let Some(fix) = result.and_then(|r| r.findings.iter().find_map(|f| f.fix.as_deref())) {
        build.push_str(&format!(" To fix it: {}", clean(fix)));
    }
    out.push(Para {
        title: "Why builds end up like this",
        text: build,
    });
    out
}

/// The architecture most native files of the image are built for.
fn dominant_arch(image: &Image) -> Option<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (_, a) in &image.fs.artifacts {
        if let Some(arch) = &a.arch {
            *count
                .entry(short_platform(&Platform::linux(arch.clone())))
                .or_default() += 1;
        }
    }
    count.into_iter().max_by_key(|(_, n)| *n).map(|(a, _)| a)
}
