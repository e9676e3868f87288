//! Every verdict the screens show, assembled and cached here once per image and target;
//! views and screens only read them.

use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::analyze::{Entry, Image};
use crate::oci::{Digest, Platform};
use crate::catalog::{ImageRow, RootInfo};
use crate::ui::tree::Tree;
use crate::verdict::{self, Selection, Target, TargetResult, Verdict};

/// The verdicts computed so far, per (root or image digest, target name).
#[derive(Debug, Default)]
pub(super) struct Verdicts {
    /// Verdicts of roots, computed once their image is read (the views only read them:
    /// evaluating a large image on every frame would cost a frame).
    roots: HashMap<(Digest, String), TargetResult>,
    /// Verdicts of single images (index entries), whatever the index picks.
    entries: HashMap<(Digest, String), TargetResult>,
}

impl Verdicts {
    /// Forgets every verdict (a reload reads the images again).
    pub(super) fn clear(&mut self) {
        self.roots.clear();
        self.entries.clear();
    }
}

impl App {
    /// The verdict of a root for a target, once the image it would run has been read.
    pub fn root_result(&self, info: &RootInfo, target: &Target) -> Option<&TargetResult> {
        self.verdicts
            .roots
            .get(&(info.root.digest.clone(), target.name.clone()))
    }

    /// The verdict of one read image for a target (an index entry, whether chosen or not).
    pub fn entry_result(&self, digest: &Digest, target: &Target) -> Option<&TargetResult> {
        self.verdicts
            .entries
            .get(&(digest.clone(), target.name.clone()))
    }

    /// Computes the verdicts the screens on the stack show and are not cached yet.
    pub(super) fn refresh_results(&mut self) {
        let mut roots: Vec<(ImageRow, Arc<RootInfo>, Vec<Target>)> = Vec::new();
        let mut entries: Vec<(ImageRow, Arc<RootInfo>, Digest, Option<Platform>)> = Vec::new();
        let active = vec![self.target.clone()];
        for s in &self.stack {
            match &s.kind {
                ScreenKind::Images(ImagesScreen {
                    list:
                        FilteredList {
                            rows: Load::Ready(rows),
                            ..
                        },
                    roots: infos,
                    ..
                }) => {
                    for (row, info) in rows.iter().zip(infos) {
                        if let Load::Ready(info) = info {
                            roots.push((row.clone(), Arc::clone(info), active.clone()));
                        }
                    }
                }
                ScreenKind::Index(IndexScreen {
                    row,
                    info: Load::Ready(info),
                    ..
                }) => {
                    roots.push((row.clone(), Arc::clone(info), active.clone()));
                    for e in info.root.images() {
                        entries.push((
                            row.clone(),
                            Arc::clone(info),
                            e.digest.clone(),
                            e.platform.clone(),
                        ));
                    }
                }
                ScreenKind::Image(i) => {
                    roots.push((i.row.clone(), Arc::clone(&i.info), active.clone()));
                    entries.push((
                        i.row.clone(),
                        Arc::clone(&i.info),
                        i.digest.clone(),
                        i.platform.clone(),
                    ));
                }
                ScreenKind::Verdict(VerdictScreen { row, info, .. }) => {
                    roots.push((row.clone(), Arc::clone(info), self.targets.clone()));
                }
                _ => {}
            }
        }
        for (row, info, targets) in roots {
            for t in targets {
                let key = (info.root.digest.clone(), t.name.clone());
                if self.verdicts.roots.contains_key(&key) {
                    continue;
                }
                if let Some(r) = verdict_for(&self.images, &self.failed, &row.reference, &info, &t)
                {
                    self.verdicts.roots.insert(key, r);
                }
            }
        }
        for (row, info, digest, platform) in entries {
            let key = (digest.clone(), self.target.name.clone());
            if self.verdicts.entries.contains_key(&key) {
                continue;
            }
            if let Some(img) = self.images.get(&digest) {
                let r = entry_verdict(
                    &self.target,
                    &row.reference,
                    &info,
                    &digest,
                    platform.as_ref(),
                    img,
                );
                self.verdicts.entries.insert(key, r);
            }
        }
    }

    /// The verdict of the root of a verdict screen for target number `t`.
    pub(super) fn verdict_of(
        &self,
        row: &ImageRow,
        info: &RootInfo,
        t: usize,
    ) -> Option<TargetResult> {
        let t = self.targets.get(t)?;
        verdict_for(&self.images, &self.failed, &row.reference, info, t)
    }
}

/// How many findings the verdict of a root for target number `t` has (0 while its image is
/// being read).
pub(super) fn findings_count(
    images: &HashMap<Digest, Arc<Image>>,
    failed: &HashMap<Digest, String>,
    targets: &[Target],
    row: &ImageRow,
    info: &RootInfo,
    t: usize,
) -> usize {
    targets
        .get(t)
        .and_then(|t| verdict_for(images, failed, &row.reference, info, t))
        .map_or(0, |r| r.findings.len())
}

/// The image `target` would run from this root, when it runs one: the image to read for
/// its verdict.
pub(super) fn chosen_entry<'a>(info: &'a RootInfo, target: &Target) -> Option<&'a Entry> {
    match verdict::select(&info.root, target) {
        Selection::Image { entry, .. } => Some(entry),
        _ => None,
    }
}

/// Shows the tree of a freshly read image with the file behind the first finding (or a
/// requested path) revealed, so the cause is on screen at once.
pub(super) fn first_tree(
    s: &mut ImageScreen,
    target: &Target,
    built: Option<Box<Tree>>,
    verdicts: &mut Verdicts,
) {
    if s.image.ready().is_none() {
        return;
    }
    // The verdict is kept for the views, so a big image is evaluated once.
    let key = (s.digest.clone(), target.name.clone());
    if !verdicts.entries.contains_key(&key)
        && let Some(r) = image_verdict(target, s)
    {
        verdicts.entries.insert(key.clone(), r);
    }
    let culprit = verdicts.entries.get(&key).and_then(|r| {
        r.findings
            .iter()
            .filter(|f| f.severity >= verdict::Severity::Warning)
            .find_map(|f| {
                f.path
                    .as_deref()
                    .map(|p| p.split('!').next().unwrap_or(p).to_string())
            })
    });
    s.show_tree(target, built, culprit);
}

/// This image's files against a target (the entry itself, whatever the index would pick).
pub fn image_verdict(target: &Target, s: &ImageScreen) -> Option<TargetResult> {
    let img = s.image.ready()?;
    Some(entry_verdict(
        target,
        &s.row.reference,
        &s.info,
        &s.digest,
        s.platform.as_ref(),
        img,
    ))
}

/// One image of a root against a target, whether or not the target would pick it.
pub fn entry_verdict(
    target: &Target,
    reference: &str,
    info: &RootInfo,
    digest: &Digest,
    platform: Option<&Platform>,
    img: &Image,
) -> TargetResult {
    let platforms: Vec<String> = info
        .root
        .images()
        .filter_map(|e| e.platform.as_ref().map(ToString::to_string))
        .collect();
    let index_platform = if info.root.is_index { platform } else { None };
    let findings = verdict::evaluate_image(reference, target, index_platform, &platforms, img);
    let chosen = verdict::Chosen {
        digest: digest.clone(),
        platform: platform.cloned(),
    };
    TargetResult::from_findings(target, Some(chosen), findings)
}

/// The full verdict of a root for a target, when the image it would run has been read (or
/// cannot be: then the verdict says so). None while the image is still being read.
pub fn verdict_for(
    images: &HashMap<Digest, Arc<Image>>,
    failed: &HashMap<Digest, String>,
    reference: &str,
    info: &RootInfo,
    target: &Target,
) -> Option<TargetResult> {
    match verdict::select(&info.root, target) {
        Selection::Image { entry, .. } => {
            if let Some(img) = images.get(&entry.digest) {
                Some(verdict::evaluate(
                    reference,
                    &info.root,
                    target,
                    Some(img),
                    None,
                ))
            } else {
                failed
                    .get(&entry.digest)
                    .map(|e| verdict::evaluate(reference, &info.root, target, None, Some(e)))
            }
        }
        _ => Some(verdict::evaluate(reference, &info.root, target, None, None)),
    }
}

/// A few words for a badge (the verdict screen has the full finding).
pub(super) fn short_reason(code: verdict::Code) -> &'static str {
    use verdict::Code as C;
    match code {
        C::NoMatchingPlatform => "no such platform",
        C::IndexNotSupported => "index refused",
        C::EntrypointArchMismatch => "entrypoint arch",
        C::EntrypointNotFound => "no entrypoint",
        C::EntrypointNotExecutable => "not executable",
        C::InterpreterMissing => "no ELF loader",
        C::NativeModuleArchMismatch => "native module arch",
        C::MislabeledPlatform => "mislabeled",
        C::ForeignBinary => "foreign binary",
        C::PlatformFallback => "fallback",
        C::ImageUnreadable => "unreadable",
        // Codes added later read as their JSON name until they get a short form here.
        other => other.as_str(),
    }
}

/// A list badge: the verdict for a target, from the content when the image was read, else
/// from the manifests alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub verdict: Verdict,
    /// True when only manifests were used (the files may still break it).
    pub from_manifest: bool,
    /// True when the verdict is final: the files were read, or the manifests alone decide
    /// (no entry for the target, an index Lambda refuses). A label alone never settles it:
    /// the runtime runs whatever the files are.
    pub settled: bool,
    pub note: String,
}

pub fn badge(app: &App, info: &RootInfo, target: &Target) -> Badge {
    let runs = |p: Option<&Platform>| p.and_then(|p| target.platform.rank(p));
    match verdict::select(&info.root, target) {
        Selection::NoMatch => Badge {
            verdict: Verdict::Fail,
            from_manifest: true,
            settled: true,
            note: format!("no {}", target.platform.arch),
        },
        Selection::IndexRejected { .. } => Badge {
            verdict: Verdict::Fail,
            from_manifest: true,
            settled: true,
            note: "index refused".into(),
        },
        Selection::Image { entry, fallback } => {
            // Cached only once the chosen image has been read (or failed to be).
            if let Some(r) = app.root_result(info, target) {
                let note = r
                    .findings
                    .iter()
                    .find(|f| f.severity >= verdict::Severity::Warning)
                    .map_or_else(
                        || "files checked".into(),
                        |f| short_reason(f.code).to_string(),
                    );
                return Badge {
                    verdict: r.verdict,
                    from_manifest: false,
                    settled: true,
                    note,
                };
            }
            let declared = entry.platform.as_ref().or(info.config_platform.as_ref());
            let (verdict, note) = match runs(declared) {
                Some(0) if !fallback => (Verdict::Pass, "label ok".to_string()),
                Some(_) => (Verdict::Warn, "fallback".to_string()),
                None => (
                    Verdict::Fail,
                    format!(
                        "labelled {}",
                        declared.map_or_else(|| "?".to_string(), |p| p.arch.to_string())
                    ),
                ),
            };
            Badge {
                verdict,
                from_manifest: true,
                settled: false,
                note,
            }
        }
    }
}
