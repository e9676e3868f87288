//! Automatic file-based badges: the images list reads the files of the rows on screen in the
//! background while what they download fits in the explorer session's byte budget.

use std::collections::HashSet;

use super::*;
use crate::oci::Digest;
use crate::verdict;

/// The session's budget: bytes the automatic check may download, and those it has asked for.
#[derive(Debug, Clone, Default)]
pub struct AutoBudget {
    /// 0: the automatic check is off.
    pub limit: u64,
    pub used: u64,
    /// Images already paid for, so a read cancelled by leaving the list is not paid twice.
    charged: HashSet<Digest>,
    /// What the images list says, counted after each change (a frame only reads it).
    state: Option<AutoCheckState>,
}

impl AutoBudget {
    /// A new source is a new budget: nothing used, nothing paid for.
    pub(super) fn reset(&mut self) {
        self.used = 0;
        self.charged.clear();
        self.state = None;
    }
}

/// What the images list says of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoCheckState {
    pub used: u64,
    pub limit: u64,
    /// Rows whose image would be read for a file-based badge and is neither read nor being
    /// read (the budget did not reach them, or they are off screen).
    pub unread: usize,
}

impl App {
    /// Sets the session's budget in bytes (0 turns the automatic check off).
    pub fn set_auto_budget(&mut self, bytes: u64) {
        self.auto.limit = bytes;
        self.count_unread();
    }

    /// The budget on the current images list; `None` when the check is off or not needed
    /// (local images are read anyway). Counted by [`App::update`], not by the frame.
    pub fn auto_check_state(&self) -> Option<AutoCheckState> {
        self.auto.state
    }

    /// Counts again what [`App::auto_check_state`] says, after work completed or the list,
    /// its filter or the target changed.
    pub(super) fn count_unread(&mut self) {
        self.auto.state = self.unread_now();
    }

    fn unread_now(&self) -> Option<AutoCheckState> {
        if self.auto.limit == 0 || self.origin.local {
            return None;
        }
        let Some(ScreenKind::Images(list)) = self.screen().map(|s| &s.kind) else {
            return None;
        };
        let unread = list
            .list
            .visible()
            .into_iter()
            .filter(|&i| {
                self.wanted_image(list, i)
                    .is_some_and(|(d, _)| !self.known(&d))
            })
            .count();
        Some(AutoCheckState {
            used: self.auto.used,
            limit: self.auto.limit,
            unread,
        })
    }

    /// Asks, at low priority, for the images of the rows on screen that fit in what is left.
    pub(super) fn auto_check(&mut self, fx: &mut Vec<Effect>) {
        if self.auto.limit == 0 || self.origin.local {
            return;
        }
        let Some(Screen {
            id,
            kind: ScreenKind::Images(list),
        }) = self.stack.last()
        else {
            return;
        };
        let page = self.page();
        let visible = list.list.visible();
        // The rows the list draws: the selection stays on the last line when it moves past.
        let offset = list.list.sel().saturating_sub(page.saturating_sub(1));
        let mut jobs = Vec::new();
        for &i in visible.iter().skip(offset).take(page) {
            let Some((digest, cost)) = self.wanted_image(list, i) else {
                continue;
            };
            let Some(cost) = cost else {
                continue;
            };
            // An image paid for whose read was cancelled (the list was left) is asked again
            // for free.
            let paid = self.auto.charged.contains(&digest);
            let left = self.auto.limit.saturating_sub(self.auto.used);
            if self.known(&digest) || (!paid && cost > left) {
                continue;
            }
            let (Some(row), Some(media_type)) = (
                list.list.rows.ready().and_then(|r| r.get(i)),
                list.roots
                    .get(i)
                    .and_then(|r| r.ready())
                    .and_then(|info| verdict::pulled_entry(&info.root, &self.target))
                    .map(|e| e.media_type.clone()),
            ) else {
                continue;
            };
            if !paid {
                self.auto.used += cost;
                self.auto.charged.insert(digest.clone());
            }
            jobs.push(AnalyzeImage {
                row: row.clone(),
                digest,
                media_type,
                background: true,
            });
        }
        let owner = *id;
        for job in jobs {
            let _ = self.want_analysis(owner, job, fx);
        }
    }

    /// The image row `i` would be judged by from its files, with what reading them downloads
    /// (`None`: not known); no image for an archived row or one whose manifests are not read.
    fn wanted_image(&self, list: &ImagesScreen, i: usize) -> Option<(Digest, Option<u64>)> {
        let row = list.list.rows.ready()?.get(i)?;
        if row.unpullable.is_some() {
            return None;
        }
        let info = list.roots.get(i)?.ready()?;
        let e = verdict::pulled_entry(&info.root, &self.target)?;
        Some((e.digest.clone(), info.unread.get(&e.digest).copied()))
    }

    /// Whether the files of `digest` are read, failed, or being read.
    fn known(&self, digest: &Digest) -> bool {
        self.images.contains_key(digest)
            || self.failed.contains_key(digest)
            || self
                .pending
                .values()
                .any(|p| p.analyzing.as_ref() == Some(digest))
    }
}
