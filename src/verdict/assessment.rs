//! One assessment per (reference, target): the whole question as the runtime meets it —
//! whether it takes the index, which entry it pulls and why, that image's verdict, and for
//! every other entry whether it is pulled. `check`, JSON and every screen render this value.
//!
//! ```
//! # use archlens::verdict::{Assessment, Read};
//! # fn show(root: &archlens::analyze::Root, t: &archlens::verdict::Target) {
//! let a = Assessment::new("registry/app:1", root, None, t, &|_| Read::NotYet);
//! println!("{} {}", a.summary().verdict_word(), a.summary().note);
//! # }
//! ```

use serde::Serialize;

use crate::analyze::{Entry, Image, Root};
use crate::oci::manifest::{self, Artifact};
use crate::oci::{Digest, Platform};

use super::hosts::{self, Gap};
use super::target::{self, Runtime};
use super::{Chosen, Code, Finding, Severity, Target, TargetResult, Verdict, rules};

/// What is known of one image's files when the assessment is made.
#[derive(Debug, Clone, Copy)]
pub enum Read<'a> {
    Image(&'a Image),
    Failed(&'a str),
    NotYet,
}

/// What the runtime does with the reference, decided from manifests alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Decision {
    /// A single manifest: pulled and started whatever its config says.
    Single { digest: Digest },
    /// The index entry the runtime pulls. `fallback` is set when no entry matches exactly
    /// and a compatible platform (arm/v7 on arm64) is taken instead. `if_host_level` is set
    /// when the entry asks for a CPU level (amd64/v3) the target's hosts may lack: it is
    /// pulled only by a host of that level whose runtime matches levels.
    Pulls {
        digest: Digest,
        platform: Platform,
        fallback: bool,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        if_host_level: bool,
    },
    /// No entry the target can run: the pull fails before anything starts.
    NoMatch,
    /// The target refuses every index (Lambda); `would_match` is the entry it would take
    /// were that image pushed on its own.
    Refused { would_match: Option<Digest> },
}

impl Decision {
    /// The image the runtime pulls and starts, if any.
    pub fn pulled(&self) -> Option<&Digest> {
        match self {
            Decision::Single { digest } | Decision::Pulls { digest, .. } => Some(digest),
            Decision::NoMatch | Decision::Refused { .. } => None,
        }
    }
}

/// Against what an entry's files were judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The target pulls this entry: its files decide the target's verdict.
    Pulled,
    /// The target refuses the index; this is what it would run if the image were pushed alone.
    Alone,
    /// Not pulled by the target: judged on the platform its index entry declares.
    OwnPlatform,
    /// Not pulled, and the index declares no platform for it: nothing ever pulls it.
    Never,
}

/// One runnable entry of the reference, as this target sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryAssessment {
    pub digest: Digest,
    pub media_type: String,
    /// The platform the index declares (the config's, for a single image once read).
    pub platform: Option<Platform>,
    pub basis: Basis,
    /// The files' verdict on `basis`, once the image was read (or failed to be).
    pub files: Option<TargetResult>,
}

impl EntryAssessment {
    /// The platform the files were judged on: the target's, or the entry's own.
    pub fn judged_on<'a>(&'a self, target: &'a Target) -> Option<&'a Platform> {
        match self.basis {
            Basis::Pulled | Basis::Alone => Some(&target.platform),
            Basis::OwnPlatform => self.platform.as_ref(),
            Basis::Never => None,
        }
    }

    /// The verdict this entry's row shows: its files' on its basis (for the pulled entry,
    /// the target's own), None before its files are read. Cells and filters both ask this.
    pub fn verdict(&self) -> Option<Verdict> {
        self.files.as_ref().map(|r| r.verdict)
    }

    /// Every file a finding of this entry names, without the part inside an archive.
    pub fn culprits(&self) -> Vec<&str> {
        self.files.as_ref().map_or_else(Vec::new, |r| {
            r.findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning)
                .filter_map(|f| f.path.as_deref())
                .map(|p| p.split('!').next().unwrap_or(p))
                .collect()
        })
    }
}

/// The verdict for one reference on one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub reference: String,
    pub target: Target,
    pub decision: Decision,
    /// The target's verdict, once it is final: the pulled image was read (or could not be),
    /// or the manifests alone decide (no entry, an index refused). None while the image the
    /// target pulls is still unread; [`Assessment::summary`] then gives a hint from labels.
    pub result: Option<TargetResult>,
    /// Every runnable entry, in index order.
    pub entries: Vec<EntryAssessment>,
}

/// A few words on the verdict for lists and headlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub verdict: Verdict,
    /// Final: the files were read, or the manifests alone decide. A label alone never
    /// settles it: the runtime runs whatever the files are.
    pub settled: bool,
    /// True when the files were read.
    pub from_files: bool,
    pub note: String,
}

impl Summary {
    pub fn verdict_word(&self) -> &'static str {
        self.verdict.word()
    }
}

/// The entry a target's runtime pulls from `root`, or None when it pulls nothing.
/// `check` reads exactly these images.
pub fn pulled_entry<'a>(root: &'a Root, target: &Target) -> Option<&'a Entry> {
    match choose(root, target) {
        Choice::Image { entry, .. } => Some(entry),
        _ => None,
    }
}

enum Choice<'a> {
    Image {
        entry: &'a Entry,
        fallback: bool,
        /// Set when the entry asks for a CPU level the hosts may lack.
        gap: Option<Gap>,
    },
    /// `level` is an entry of the target's CPU at a level its hosts are not matched with.
    NoMatch {
        level: Option<(&'a Entry, String)>,
    },
    Refused {
        would_match: Option<&'a Entry>,
    },
}

/// Picks the manifest as containerd does: a single image runs whatever its label; from an
/// index the best-ranked compatible platform wins; a target that refuses indexes takes none.
fn choose<'a>(root: &'a Root, target: &Target) -> Choice<'a> {
    if !root.is_index {
        return match root.images().next() {
            Some(entry) => Choice::Image {
                entry,
                fallback: false,
                gap: None,
            },
            None => Choice::NoMatch { level: None },
        };
    }
    let best = root
        .images()
        .filter_map(|e| {
            let p = e.platform.as_ref()?;
            target.platform.rank(p).map(|r| (r, e))
        })
        .min_by_key(|(r, _)| *r);
    // With no entry the platform matches, the lowest level above it is what a host of
    // that level would take.
    let leveled = hosts::nearest(
        target,
        root.images()
            .filter_map(|e| e.platform.as_ref().map(|p| (p, e))),
    );
    if !target.accepts_index {
        return Choice::Refused {
            would_match: best
                .map(|(_, e)| e)
                .or_else(|| leveled.as_ref().map(|(_, e)| *e)),
        };
    }
    match (best, leveled) {
        (Some((rank, entry)), _) => Choice::Image {
            entry,
            // A lower level of the host's own CPU (amd64/v2 on a v3 host) runs everywhere
            // the host does; only another CPU's code (arm on arm64, 386) is a fallback.
            fallback: rank > 0
                && entry
                    .platform
                    .as_ref()
                    .is_some_and(|p| !p.arch.same_family(&target.platform.arch)),
            gap: None,
        },
        (None, Some((gap, entry))) if gap.pulled() => Choice::Image {
            entry,
            fallback: false,
            gap: Some(gap),
        },
        (None, Some((Gap::Refused { have }, entry))) => Choice::NoMatch {
            level: Some((entry, have)),
        },
        (None, _) => Choice::NoMatch { level: None },
    }
}

impl Assessment {
    /// Assesses `root` for `target`. `config_platform` is the single image's config
    /// platform when known from manifests; `read` says what is known of each image's files.
    pub fn new<'a>(
        reference: &str,
        root: &Root,
        config_platform: Option<&Platform>,
        target: &Target,
        read: &dyn Fn(&Digest) -> Read<'a>,
    ) -> Assessment {
        let platforms: Vec<String> = root
            .images()
            .filter_map(|e| e.platform.as_ref().map(ToString::to_string))
            .collect();
        let ctx = Ctx {
            reference,
            root,
            target,
            platforms: &platforms,
        };
        let choice = choose(root, target);
        let (decision, result) = match &choice {
            Choice::NoMatch { level } => (Decision::NoMatch, Some(ctx.no_match(level.as_ref()))),
            Choice::Refused { would_match } => (
                Decision::Refused {
                    would_match: would_match.map(|e| e.digest.clone()),
                },
                Some(ctx.refused(*would_match)),
            ),
            Choice::Image {
                entry,
                fallback,
                gap,
            } => {
                let decision = if root.is_index {
                    Decision::Pulls {
                        digest: entry.digest.clone(),
                        platform: entry.platform.clone().unwrap_or_else(|| {
                            // An index entry without a platform is never chosen.
                            target.platform.clone()
                        }),
                        fallback: *fallback,
                        if_host_level: gap.is_some(),
                    }
                } else {
                    Decision::Single {
                        digest: entry.digest.clone(),
                    }
                };
                let how = Pull {
                    fallback: *fallback,
                    gap: gap.as_ref(),
                };
                let result = ctx.files(entry, target, how, read(&entry.digest));
                (decision, result)
            }
        };
        let would_match = match &choice {
            Choice::Refused { would_match } => would_match.map(|e| &e.digest),
            _ => None,
        };
        let entries = root
            .images()
            .map(|e| {
                let basis = if decision.pulled() == Some(&e.digest) {
                    Basis::Pulled
                } else if would_match == Some(&e.digest) {
                    Basis::Alone
                } else if e.platform.is_some() {
                    Basis::OwnPlatform
                } else {
                    Basis::Never
                };
                let files = match basis {
                    Basis::Pulled => result.clone(),
                    Basis::Alone => {
                        let alone = Target {
                            accepts_index: true,
                            ..target.clone()
                        };
                        ctx.files(e, &alone, Pull::default(), read(&e.digest))
                    }
                    Basis::OwnPlatform => e
                        .platform
                        .as_ref()
                        .map(|p| target::raw(&p.to_string(), p.clone()))
                        .and_then(|own| ctx.files(e, &own, Pull::default(), read(&e.digest))),
                    Basis::Never => None,
                };
                EntryAssessment {
                    digest: e.digest.clone(),
                    media_type: e.media_type.clone(),
                    platform: e.platform.clone().or_else(|| match read(&e.digest) {
                        Read::Image(img) if !root.is_index => Some(img.config.platform.clone()),
                        _ => config_platform.filter(|_| !root.is_index).cloned(),
                    }),
                    basis,
                    files,
                }
            })
            .collect();
        Assessment {
            reference: reference.to_string(),
            target: target.clone(),
            decision,
            result,
            entries,
        }
    }

    /// This target's view of one entry (`digest` of an index entry or of the single image).
    pub fn entry(&self, digest: &Digest) -> Option<&EntryAssessment> {
        self.entries.iter().find(|e| &e.digest == digest)
    }

    /// The entry the target pulls.
    pub fn pulled(&self) -> Option<&EntryAssessment> {
        self.decision.pulled().and_then(|d| self.entry(d))
    }

    /// The verdict in a few words: final when settled, else a hint from the labels.
    pub fn summary(&self) -> Summary {
        if let Some(r) = &self.result {
            let from_files = self.pulled().is_some();
            let note = match self.decision {
                Decision::NoMatch => hosts::nearest(
                    &self.target,
                    self.entries
                        .iter()
                        .filter_map(|e| e.platform.as_ref().map(|p| (p, p))),
                )
                .map(|(_, p)| p)
                .map_or_else(
                    || format!("no {}", self.target.platform.arch),
                    |p| format!("only {}", p.arch),
                ),
                _ => r
                    .findings
                    .iter()
                    .find(|f| f.severity >= Severity::Warning)
                    .map_or_else(|| "files checked".to_string(), |f| f.code.short().into()),
            };
            return Summary {
                verdict: r.verdict,
                settled: true,
                from_files,
                note,
            };
        }
        // The pulled image is unread: its label is all there is, and a label never decides.
        let declared = self.pulled().and_then(|e| e.platform.as_ref());
        let fallback = matches!(self.decision, Decision::Pulls { fallback: true, .. });
        let if_level = matches!(
            self.decision,
            Decision::Pulls {
                if_host_level: true,
                ..
            }
        );
        let (verdict, note) = match declared.and_then(|p| self.target.platform.rank(p)) {
            _ if if_level => (Verdict::Warn, Code::CpuLevelUnsupported.short().to_string()),
            Some(0) if !fallback => (Verdict::Pass, "label ok".to_string()),
            Some(_)
                if !fallback
                    && declared.is_some_and(|p| p.arch.same_family(&self.target.platform.arch)) =>
            {
                (Verdict::Pass, "label ok".to_string())
            }
            Some(_) => (Verdict::Warn, "fallback".to_string()),
            None => (
                Verdict::Fail,
                format!(
                    "labelled {}",
                    declared.map_or_else(|| "?".to_string(), |p| p.arch.to_string())
                ),
            ),
        };
        Summary {
            verdict,
            settled: false,
            from_files: false,
            note,
        }
    }

    /// What the runtime does with the reference, in one sentence every screen shares.
    pub fn decision_text(&self) -> String {
        let t = &self.target;
        let label = |d: &Digest| {
            self.entry(d)
                .and_then(|e| e.platform.as_ref())
                .map_or_else(String::new, |p| format!(" (labelled {p})"))
        };
        match &self.decision {
            Decision::Single { digest } => format!(
                "{} runs the single image {}{} whatever its label says",
                t.name,
                digest.short(),
                label(digest)
            ),
            Decision::Pulls {
                digest,
                platform,
                fallback,
                if_host_level,
            } => format!(
                "{} pulls the {platform} entry {}{}",
                t.name,
                digest.short(),
                if *fallback {
                    format!(" as a fallback: the index has no {} entry", t.platform)
                } else if *if_host_level {
                    format!(
                        " only on a host of {} whose runtime matches CPU levels: the index has no plain {} entry",
                        hosts::level_name(&platform.arch),
                        t.platform
                    )
                } else {
                    String::new()
                }
            ),
            Decision::NoMatch => format!(
                "{} pulls nothing: the index has no {} entry",
                t.name, t.platform
            ),
            Decision::Refused { .. } => format!(
                "{} refuses the index itself: nothing is pulled or run",
                t.name
            ),
        }
    }

    /// Whether the verdict is still waiting for the pulled image's files.
    pub fn pending(&self) -> bool {
        self.result.is_none()
    }
}

/// How the runtime came to pull an entry, beyond an exact match.
#[derive(Default, Clone, Copy)]
struct Pull<'g> {
    fallback: bool,
    gap: Option<&'g Gap>,
}

/// What every finding of one assessment shares.
struct Ctx<'r> {
    reference: &'r str,
    root: &'r Root,
    target: &'r Target,
    platforms: &'r [String],
}

/// The kinds of entries that alone make `root` an index: it holds `image` and no other
/// image, and besides only BuildKit attestations and SOCI indexes. `None` otherwise.
fn index_made_by(root: &Root, image: &Entry) -> Option<Vec<Artifact>> {
    let lone = root.images().all(|e| e.digest == image.digest);
    let kinds = root.artifacts();
    let only = kinds
        .iter()
        .all(|k| matches!(k, Artifact::BuildkitAttestation | Artifact::SociIndex));
    (root.is_index && lone && only && !kinds.is_empty()).then_some(kinds)
}

impl Ctx<'_> {
    /// The line the runtime prints when no index entry matches its platform.
    fn pull_error(&self) -> String {
        let target = self.target;
        match target.runtime {
            Runtime::Containerd => format!(
                "no matching manifest for {} in the manifest list entries",
                runtime_platform_name(&target.platform)
            ),
            _ => format!(
                "CannotPullContainerError: ... image Manifest does not contain descriptor matching platform '{}'",
                target.platform
            ),
        }
    }

    fn no_match(&self, level: Option<&(&Entry, String)>) -> TargetResult {
        let target = self.target;
        let predicted = self.pull_error();
        let words = level
            .and_then(|(e, have)| Some(hosts::refused_words(target, e.platform.as_ref()?, have)));
        let offers = if self.platforms.is_empty() {
            "no platforms".to_string()
        } else {
            self.platforms.join(", ")
        };
        let finding = Finding {
            severity: Severity::Error,
            code: Code::NoMatchingPlatform,
            path: None,
            layer: None,
            message: format!(
                "the index offers {offers} but no {} image{}: the pull fails before anything starts",
                target.platform,
                words.as_ref().map_or("", |(tail, _)| tail.as_str())
            ),
            fix: Some(rules::multiarch_fix(target, self.platforms, self.reference)),
            predicted_error: Some(predicted),
            explanation: match words {
                Some((_, why)) => format!(
                    "An index is a list of images, one per platform. The runtime on {} looks for an entry it runs, finds none and stops at the pull. {why}",
                    target.title
                ),
                None => format!(
                    "An index is a list of images, one per platform. The runtime on {} looks for a {} entry, finds none and stops at the pull; the images that are there never start. The build that pushed it was not asked for {}.",
                    target.title, target.platform, target.platform
                ),
            },
        };
        TargetResult::from_findings(target, None, vec![finding])
    }

    fn refused(&self, would_match: Option<&Entry>) -> TargetResult {
        let target = self.target;
        let extras = self.root.artifacts();
        let made_by = would_match.and_then(|e| index_made_by(self.root, e));
        let (message, fix, why) = match (&made_by, would_match.and_then(|e| e.platform.as_ref())) {
            (Some(kinds), Some(p)) => self.made_by_words(kinds, p),
            _ => (
                format!(
                    "{} does not accept an image index (manifest list){}; push a single-platform {} image",
                    target.title,
                    if extras.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", and besides its images this one lists {}",
                            manifest::describe_all(&extras)
                        )
                    },
                    target.platform
                ),
                rules::single_platform_fix(target, self.reference),
                if extras.contains(&Artifact::SociIndex) {
                    "`soci convert` appends its SOCI index to an index, which turns even a single-platform image into one."
                } else {
                    "BuildKit adds provenance attestations by default, which turns even a one-platform build into an index."
                }
                .to_string(),
            ),
        };
        let finding = Finding {
            severity: Severity::Error,
            code: Code::IndexNotSupported,
            path: None,
            layer: None,
            message,
            fix: Some(fix),
            predicted_error: Some(format!(
                "The image manifest, config or layer media type for the source image {} is not supported.",
                self.reference
            )),
            explanation: format!(
                "{} takes one single-platform image manifest and refuses an image index, whatever platforms it lists. {why}",
                target.title,
            ),
        };
        // Nothing runs: the service refuses the reference before any image is chosen.
        TargetResult::from_findings(target, None, vec![finding])
    }

    /// Message, fix and reason for an index of one image that only its attestations or
    /// SOCI index made an index: the image itself would do, pushed without them.
    fn made_by_words(&self, kinds: &[Artifact], p: &Platform) -> (String, String, String) {
        let target = self.target;
        let soci = kinds.contains(&Artifact::SociIndex);
        let buildkit = kinds.contains(&Artifact::BuildkitAttestation);
        let message = format!(
            "{} does not accept an image index (manifest list); this one holds a single {p} image and is an index only because of {}",
            target.title,
            manifest::describe_all(kinds)
        );
        let build = rules::single_platform_fix(target, self.reference);
        let fix = match (soci, buildkit) {
            (true, true) => format!(
                "give {} an image built without attestations and not converted by `soci convert`: `{build}`; run `soci convert` only on the tags Fargate pulls",
                target.name
            ),
            (true, false) => format!(
                "give {} the image as built, before `soci convert`, under a tag of its own (or rebuild it: `{build}`); run `soci convert` only on the tags Fargate pulls",
                target.name
            ),
            _ => build,
        };
        let mut why = Vec::new();
        if buildkit {
            why.push("docker buildx (0.10 and later) adds a provenance attestation by default, and BuildKit stores attestations as extra manifests of an image index, so even a one-platform build is pushed as an index; `--provenance=false --sbom=false` pushes the image manifest alone (Docker docs, Build attestations).");
        }
        if soci {
            why.push("A SOCI index serves lazy loading on ECS on Fargate; `soci convert` (SOCI v2) appends it to an image index, so a single image becomes an index, and Lambda, which does not read SOCI indexes, then refuses it (CloudSnorkel/cdk-github-runners#768).");
        }
        (message, fix, why.join(" "))
    }

    /// The verdict of `entry`'s files on `target`, once they were read (or failed to be).
    fn files(
        &self,
        entry: &Entry,
        target: &Target,
        how: Pull<'_>,
        read: Read<'_>,
    ) -> Option<TargetResult> {
        let mut findings = Vec::new();
        if let (Some(gap), Some(p)) = (how.gap, entry.platform.as_ref()) {
            findings.push(hosts::pulled_warning(
                target,
                p,
                gap,
                self.platforms,
                self.reference,
                &self.pull_error(),
            ));
        }
        if let (true, Some(p)) = (how.fallback, entry.platform.as_ref()) {
            findings.push(hosts::fallback_warning(
                target,
                p,
                self.platforms,
                self.reference,
            ));
        }
        let image = match read {
            Read::NotYet => return None,
            Read::Image(img) => Some(img),
            Read::Failed(e) => {
                findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::ImageUnreadable,
                    path: None,
                    layer: None,
                    message: format!("image {} could not be read: {e}", entry.digest),
                    fix: None,
                    predicted_error: None,
                    explanation: "The image could not be read, so its files were not checked: the verdict says nothing about them.".into(),
                });
                None
            }
        };
        let index_platform = if self.root.is_index {
            entry.platform.as_ref()
        } else {
            None
        };
        if let Some(img) = image {
            findings.extend(rules::evaluate_image(
                self.reference,
                target,
                index_platform,
                self.platforms,
                img,
            ));
        }
        let chosen = Chosen {
            digest: entry.digest.clone(),
            platform: entry
                .platform
                .clone()
                .or_else(|| image.map(|i| i.config.platform.clone())),
        };
        Some(TargetResult::from_findings(target, Some(chosen), findings))
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
