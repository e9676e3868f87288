//! The assessments the screens show, asked of the core once per (root, target) and kept
//! until an image they depend on arrives. Nothing here decides a verdict: screens and views
//! only read [`Assessment`]s.

use std::collections::HashMap;
use std::sync::Arc;

use super::state::{App, ScreenKind};
use crate::analyze::Image;
use crate::catalog::RootInfo;
use crate::oci::Digest;
use crate::ui::screen::{Judgement, Load};
use crate::verdict::{Assessment, Read, Target, TargetResult};

/// The cache: one assessment per (root digest, target name).
#[derive(Debug, Default)]
pub struct Verdicts {
    map: HashMap<(Digest, String), Assessment>,
}

impl Verdicts {
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Drops every assessment the files of `digest` take part in (they just arrived).
    pub fn forget(&mut self, digest: &Digest) {
        self.map
            .retain(|_, a| !a.entries.iter().any(|e| &e.digest == digest));
    }

    fn get(&self, info: &RootInfo, target: &Target) -> Option<&Assessment> {
        self.map
            .get(&(info.root.digest.clone(), target.name.clone()))
    }
}

/// Asks the core for the assessment of `info` on `target` with the files read so far.
fn assess(
    images: &HashMap<Digest, Arc<Image>>,
    failed: &HashMap<Digest, String>,
    reference: &str,
    info: &RootInfo,
    target: &Target,
) -> Assessment {
    let read = |d: &Digest| match (images.get(d), failed.get(d)) {
        (Some(img), _) => Read::Image(img),
        (None, Some(e)) => Read::Failed(e),
        (None, None) => Read::NotYet,
    };
    Assessment::new(
        reference,
        &info.root,
        info.config_platform.as_ref(),
        target,
        &read,
    )
}

impl App {
    /// The assessment of a root for a target, once the screens on the stack asked for it.
    pub fn assessment(&self, info: &RootInfo, target: &Target) -> Option<&Assessment> {
        self.verdicts.get(info, target)
    }

    /// The position of the active target in the target list.
    pub(super) fn target_pos(&self) -> usize {
        self.targets
            .iter()
            .position(|t| t.name == self.target.name)
            .unwrap_or(0)
    }

    /// The final verdict of a verdict screen's root for target number `t`.
    pub(super) fn verdict_of(&self, info: &RootInfo, t: usize) -> Option<&TargetResult> {
        let t = self.targets.get(t)?;
        self.assessment(info, t)?.result.as_ref()
    }

    /// Asks for the assessments the screens on the stack show and are not cached yet, then
    /// lets each image screen's tree mark its files by its own assessment.
    pub(super) fn refresh_results(&mut self) {
        let mut wanted: Vec<(String, Arc<RootInfo>, Vec<Target>)> = Vec::new();
        let active = vec![self.target.clone()];
        for s in &self.stack {
            match &s.kind {
                ScreenKind::Images(l) => {
                    for (_, row, info) in l.loaded_roots() {
                        wanted.push((row.reference.clone(), info, active.clone()));
                    }
                }
                ScreenKind::Index(i) => {
                    if let Some(info) = i.info.ready() {
                        wanted.push((i.row.reference.clone(), Arc::clone(info), active.clone()));
                    }
                }
                ScreenKind::Image(i) => {
                    wanted.push((i.row.reference.clone(), Arc::clone(&i.info), active.clone()));
                }
                ScreenKind::Verdict(v) => {
                    wanted.push((
                        v.row.reference.clone(),
                        Arc::clone(&v.info),
                        self.targets.clone(),
                    ));
                }
                ScreenKind::Repos(_) | ScreenKind::Diff(_) => {}
            }
        }
        for (reference, info, targets) in wanted {
            for t in targets {
                let key = (info.root.digest.clone(), t.name.clone());
                if !self.verdicts.map.contains_key(&key) {
                    let a = assess(&self.images, &self.failed, &reference, &info, &t);
                    self.verdicts.map.insert(key, a);
                }
            }
        }
        let (verdicts, target) = (&self.verdicts, &self.target);
        for s in &mut self.stack {
            match &mut s.kind {
                ScreenKind::Image(img) => {
                    let entry = verdicts
                        .get(&img.info, target)
                        .and_then(|a| a.entry(&img.digest));
                    img.judge(Judgement::of(entry, target));
                }
                // Only while a filter is typed: the words are for `/arm64`, `/FAIL`.
                ScreenKind::Images(l) if !l.list.pattern().is_empty() => {
                    let words = l
                        .roots
                        .iter()
                        .map(|r| match r {
                            Load::Ready(info) => filter_words(verdicts.get(info, target), info),
                            Load::Failed(e) => format!("unreadable\n{e}"),
                            Load::Loading(_) => String::new(),
                        })
                        .collect();
                    l.list.set_extra(words);
                }
                ScreenKind::Index(i) if !i.pattern().is_empty() => {
                    let words = match (i.info.ready(), &i.info) {
                        (Some(info), _) => {
                            let a = verdicts.get(info, target);
                            info.root
                                .entries
                                .iter()
                                .map(|e| entry_word(a, &e.digest))
                                .collect()
                        }
                        _ => Vec::new(),
                    };
                    i.set_verdicts(words);
                }
                _ => {}
            }
        }
    }
}

/// What `/` finds an image row by beyond its tags: its platforms and its badge's words.
fn filter_words(a: Option<&Assessment>, info: &RootInfo) -> String {
    let mut out = info.platforms().join("\n");
    if let Some(a) = a {
        let s = a.summary();
        out.push('\n');
        // An unsettled badge reads `?` on screen: a filter on FAIL must not find it.
        out.push_str(if s.settled { s.verdict_word() } else { "?" });
        out.push('\n');
        out.push_str(&s.note);
    }
    out
}

/// The verdict word an index row shows for the entry `digest` (empty before it is judged).
fn entry_word(a: Option<&Assessment>, digest: &Digest) -> String {
    a.and_then(|a| a.entry(digest)?.verdict())
        .map_or_else(String::new, |v| v.word().to_string())
}
