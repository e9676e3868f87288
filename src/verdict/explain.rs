//! The story behind one assessment, in paragraphs: what the registry holds, what the runtime
//! does with it, what will happen, and why — told from the finding in focus, not as prose.
//!
//! Pure: a function of the assessment, the manifests and the entry in focus.

use crate::analyze::Root;
use crate::oci::Platform;
use crate::oci::manifest::{self, Artifact, EntryKind};
use crate::text::sanitize;

use super::{Assessment, Basis, Decision, EntryAssessment, Finding, Severity, Verdict};

/// One paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Para {
    pub title: &'static str,
    pub text: String,
}

/// What to explain: an assessment, seen from one entry and one finding.
pub struct Focus<'a> {
    /// The reference as the user knows it (a tag or a digest).
    pub label: &'a str,
    pub root: &'a Root,
    /// The single image's config platform, when known.
    pub config_platform: Option<&'a Platform>,
    pub assessment: &'a Assessment,
    /// The entry on screen (defaults to the pulled one).
    pub entry: Option<&'a EntryAssessment>,
    /// The finding selected on screen (defaults to the most severe of the entry in focus).
    pub finding: Option<&'a Finding>,
}

/// Builds the explanation. Strings from the image are sanitised here.
pub fn explain(f: &Focus) -> Vec<Para> {
    let a = f.assessment;
    let entry = f.entry.or_else(|| a.pulled());
    vec![
        Para {
            title: "What the registry holds",
            text: registry(f),
        },
        Para {
            title: "What the runtime does",
            text: runtime(f),
        },
        Para {
            title: "What will happen",
            text: happens(a, entry),
        },
        Para {
            title: "Why",
            text: why(a, entry, f.finding),
        },
    ]
}

fn registry(f: &Focus) -> String {
    let label = sanitize(f.label);
    let platforms: Vec<String> = f
        .root
        .images()
        .filter_map(|e| e.platform.as_ref().map(ToString::to_string))
        .collect();
    let atts = f
        .root
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Attestation)
        .count();
    let what = if f.root.is_index {
        format!(
            "`{label}` is an index (manifest list) of {} image{}: {}{}{}.",
            platforms.len(),
            plural(platforms.len()),
            if platforms.is_empty() {
                "none with a platform".to_string()
            } else {
                platforms.join(", ")
            },
            if atts > 0 {
                format!(
                    ", plus {atts} attestation{} (provenance/SBOM records BuildKit adds by default; they describe an image and never run)",
                    plural(atts)
                )
            } else {
                String::new()
            },
            {
                let others: Vec<Artifact> = f
                    .root
                    .artifacts()
                    .into_iter()
                    .filter(|a| *a != Artifact::BuildkitAttestation)
                    .collect();
                if others.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", plus {} (not images; nothing in them runs)",
                        manifest::describe_all(&others)
                    )
                }
            }
        )
    } else {
        format!(
            "`{label}` is a single image, not an index; its config says {}.",
            f.config_platform
                .map_or_else(|| "no platform".to_string(), ToString::to_string)
        )
    };
    format!(
        "A registry stores manifests and layer bytes as pushed. It never checks that the files inside match the architecture the manifest or config claims. {what}"
    )
}

fn runtime(f: &Focus) -> String {
    let a = f.assessment;
    let t = &a.target;
    let p = &t.platform;
    let mut s = match &a.decision {
        Decision::Single { .. } => format!(
            "{} {} {p} only. A single image is not matched against the host: the runtime pulls it and starts it whatever its label says, so the files decide what really happens.",
            t.title,
            t.runs_word()
        ),
        Decision::Pulls {
            fallback,
            if_host_level,
            ..
        } => format!(
            "{} {} {p}. From an index the runtime takes the entry for its own platform{}.",
            t.title,
            t.runs_word(),
            if *fallback {
                "; with none for it, it falls back to a compatible one that runs only where the host CPU supports it"
            } else if *if_host_level {
                "; this index has only entries of a higher CPU level, which a host takes only if it has that level and its runtime matches levels"
            } else {
                ""
            }
        ),
        Decision::NoMatch => {
            let offers: Vec<String> = f
                .root
                .images()
                .filter_map(|e| e.platform.as_ref().map(ToString::to_string))
                .collect();
            let higher = f
                .root
                .images()
                .filter_map(|e| e.platform.as_ref())
                .find(|e| super::hosts::gap(t, e).is_some())
                .map_or_else(String::new, |e| {
                    format!(
                        " ({e} asks for {}, more than {p} hosts are matched with)",
                        super::hosts::level_name(&e.arch)
                    )
                });
            format!(
                "{} {} {p}. The index offers {}{higher} but no {p} entry, so the pull fails before anything starts.",
                t.title,
                t.runs_word(),
                if offers.is_empty() {
                    "nothing".to_string()
                } else {
                    offers.join(", ")
                }
            )
        }
        Decision::Refused { .. } => format!(
            "{} wants one single-platform image and refuses an index outright, whatever its entries{}.",
            t.title,
            {
                let kinds = f.root.artifacts();
                if kinds.contains(&Artifact::SociIndex) {
                    "; `soci convert` appends a SOCI index, which makes even a single-platform image an index"
                } else if kinds.contains(&Artifact::BuildkitAttestation) {
                    "; BuildKit's default attestations make even a one-platform build an index"
                } else {
                    ""
                }
            }
        ),
    };
    s.push_str(&format!(" In short: {}.", sanitize(&a.decision_text())));
    if let Some(e) = f.entry {
        match e.basis {
            Basis::OwnPlatform => s.push_str(&format!(
                " The entry on screen ({}) is not pulled by {}; its files are judged on its own platform, {}.",
                e.digest.short(),
                t.name,
                e.platform.as_ref().map_or_else(|| "?".into(), ToString::to_string)
            )),
            Basis::Alone => s.push_str(&format!(
                " The entry on screen ({}) is what {} would run if it were pushed on its own.",
                e.digest.short(),
                t.name
            )),
            Basis::Never => s.push_str(" The entry on screen declares no platform, so no runtime ever pulls it."),
            Basis::Pulled => {}
        }
    }
    s
}

fn happens(a: &Assessment, entry: Option<&EntryAssessment>) -> String {
    let t = &a.target;
    let Some(r) = &a.result else {
        return format!(
            "The files of the image {} pulls have not been read yet: open it (Enter) or read them (c). Its label may not match its files.",
            t.name
        );
    };
    let mut s = match r.verdict {
        Verdict::Pass => format!(
            "Verdict for {}: pass. What starts matches {}.",
            t.name, t.platform
        ),
        Verdict::Warn => format!(
            "Verdict for {}: warn. It starts, but read the findings.",
            t.name
        ),
        Verdict::Fail => format!("Verdict for {}: FAIL.", t.name),
    };
    if let Some(e) = &r.predicted_error {
        s.push_str(&format!(" The runtime will print: {}", sanitize(e)));
    }
    for f in r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .take(3)
    {
        s.push_str(&format!(" • {}", sanitize(&f.message)));
    }
    if let Some(e) = entry.filter(|e| e.basis != Basis::Pulled)
        && let Some(own) = &e.files
    {
        s.push_str(&format!(
            " The entry on screen, on {}: {}.",
            own.platform,
            match own.verdict {
                Verdict::Pass => "pass",
                Verdict::Warn => "warn",
                Verdict::Fail => "fail",
            }
        ));
    }
    s
}

fn why(a: &Assessment, entry: Option<&EntryAssessment>, selected: Option<&Finding>) -> String {
    let focus = selected.or_else(|| {
        // The entry's own files first, then the target's verdict (an index refused, no match).
        entry
            .and_then(|e| e.files.as_ref())
            .into_iter()
            .chain(a.result.as_ref())
            .flat_map(|r| r.findings.iter())
            .find(|f| f.severity >= Severity::Warning)
    });
    let Some(f) = focus else {
        return format!(
            "Nothing on {} stops it: the command that starts and every native file it loads fit {}.",
            a.target.name, a.target.platform
        );
    };
    let mut s = sanitize(&f.explanation);
    if let Some(p) = &f.path {
        s.push_str(&format!(" The file: {}.", sanitize(p)));
    }
    if let Some(fix) = &f.fix {
        s.push_str(&format!(" To fix it: {}", sanitize(fix)));
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
