//! Request bookkeeping: ids, owners, cancellation, and completions handed to their screens.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::verdicts::*;
use super::*;
use crate::analyze::{Image, Progress};
use crate::oci::Digest;
use crate::ui::browse::{ImageRow, RootInfo};
use crate::ui::tasks::{Completion, Job, Output, Request};
use crate::ui::tree::Tree;

#[derive(Debug, Clone)]
pub(super) enum Purpose {
    Repos,
    Images,
    Root(usize),
    Analyze(Digest),
}

#[derive(Debug)]
pub(super) struct Pending {
    pub(super) owners: Vec<u64>,
    pub(super) purpose: Purpose,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) progress: Arc<Progress>,
}

impl App {
    // ---- requests and completions ----

    pub(super) fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn request<T>(
        &mut self,
        owner: u64,
        job: Job,
        purpose: Purpose,
        fx: &mut Vec<Effect>,
    ) -> Load<T> {
        let id = self.new_id();
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Progress::default());
        self.pending.insert(
            id,
            Pending {
                owners: vec![owner],
                purpose,
                cancel: Arc::clone(&cancel),
                progress: Arc::clone(&progress),
            },
        );
        fx.push(Effect::Submit(Request {
            id,
            job,
            cancel,
            progress,
        }));
        Load::Loading(id)
    }

    /// Asks for the analysis of one image for screen `owner`, sharing a running one.
    pub(super) fn want_image(
        &mut self,
        owner: u64,
        row: &ImageRow,
        digest: &Digest,
        media_type: &str,
        fx: &mut Vec<Effect>,
    ) -> Load<Arc<Image>> {
        if let Some(img) = self.images.get(digest) {
            return Load::Ready(Arc::clone(img));
        }
        if let Some(e) = self.failed.get(digest) {
            return Load::Failed(e.clone());
        }
        for (id, p) in &mut self.pending {
            if matches!(&p.purpose, Purpose::Analyze(d) if d == digest) {
                if !p.owners.contains(&owner) {
                    p.owners.push(owner);
                }
                return Load::Loading(*id);
            }
        }
        self.request(
            owner,
            Job::Analyze {
                row: row.clone(),
                digest: digest.clone(),
                media_type: media_type.to_string(),
            },
            Purpose::Analyze(digest.clone()),
            fx,
        )
    }

    pub(super) fn complete(&mut self, c: Completion, fx: &mut Vec<Effect>) {
        // Requests of screens the user left were removed: their results are dropped here.
        let Some(p) = self.pending.remove(&c.id) else {
            return;
        };
        match (p.purpose, c.result) {
            (Purpose::Analyze(d), Ok(Output::Image(img, tree))) => {
                self.images.insert(d.clone(), img);
                self.image_arrived(&d, tree, fx);
            }
            (Purpose::Analyze(d), Err(e)) => {
                self.status = Some((
                    Level::Error,
                    format!(
                        "image {} could not be read: {e}. Press r to retry",
                        d.short()
                    ),
                ));
                self.failed.insert(d.clone(), e);
                self.image_arrived(&d, None, fx);
            }
            (purpose, result) => {
                let owner = p.owners.first().copied().unwrap_or(0);
                let Some(screen) = self.stack.iter_mut().find(|s| s.id == owner) else {
                    return;
                };
                let mut replace: Option<(ImageRow, Arc<RootInfo>)> = None;
                let mut fetch_roots = false;
                let mut single_repo = None;
                let mut read_row: Option<usize> = None;
                match (&mut screen.kind, purpose, result) {
                    (ScreenKind::Repos { rows, .. }, Purpose::Repos, r) => {
                        *rows = match r {
                            Ok(Output::Repositories(v)) => {
                                if self.enter_single_repo && v.len() == 1 {
                                    single_repo = v.first().map(|r| r.name.clone());
                                }
                                Load::Ready(v)
                            }
                            Ok(_) => Load::Failed("unexpected answer".into()),
                            Err(e) => Load::Failed(e),
                        };
                    }
                    (ScreenKind::Images { rows, .. }, Purpose::Images, r) => match r {
                        Ok(Output::Images(v)) => {
                            *rows = Load::Ready(v);
                            fetch_roots = true;
                        }
                        Ok(_) => *rows = Load::Failed("unexpected answer".into()),
                        Err(e) => *rows = Load::Failed(e),
                    },
                    (ScreenKind::Images { roots, .. }, Purpose::Root(i), r) => {
                        if let Some(slot) = roots.get_mut(i) {
                            *slot = match r {
                                Ok(Output::Root(info)) => {
                                    read_row = Some(i);
                                    Load::Ready(info)
                                }
                                Ok(_) => Load::Failed("unexpected answer".into()),
                                Err(e) => Load::Failed(e),
                            };
                        }
                    }
                    (ScreenKind::Index { info, row, .. }, Purpose::Root(_), r) => match r {
                        Ok(Output::Root(i)) => {
                            if i.root.is_index {
                                *info = Load::Ready(i);
                            } else {
                                replace = Some((row.clone(), i));
                            }
                        }
                        Ok(_) => *info = Load::Failed("unexpected answer".into()),
                        Err(e) => *info = Load::Failed(e),
                    },
                    _ => {}
                }
                if fetch_roots {
                    self.fetch_roots(owner, fx);
                }
                if let Some(i) = read_row
                    && self.origin.local
                {
                    self.read_rows(owner, Some(i), fx);
                }
                if let Some(name) = single_repo
                    && self.stack.len() == 1
                {
                    self.push_images(name, fx);
                }
                if let Some((row, info)) = replace {
                    // A single image has no index to show: its image screen takes the place.
                    if let Some(pos) = self.stack.iter().position(|s| s.id == owner) {
                        let old = self.stack.remove(pos);
                        self.release(old.id);
                        if let Some(entry) = info.root.images().next().cloned() {
                            let platform = info.config_platform.clone();
                            self.push_image_at(pos, row, Arc::clone(&info), &entry, platform, fx);
                        }
                    }
                }
            }
        }
    }

    /// Starts one manifest-only job per image row, for the platform chips and badges.
    pub(super) fn fetch_roots(&mut self, owner: u64, fx: &mut Vec<Effect>) {
        let rows: Vec<ImageRow> = match self.stack.iter().find(|s| s.id == owner).map(|s| &s.kind) {
            Some(ScreenKind::Images {
                rows: Load::Ready(v),
                ..
            }) => v.clone(),
            _ => return,
        };
        let loads: Vec<_> = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| self.request(owner, Job::Root { row }, Purpose::Root(i), fx))
            .collect();
        if let Some(ScreenKind::Images { roots, .. }) = self
            .stack
            .iter_mut()
            .find(|s| s.id == owner)
            .map(|s| &mut s.kind)
        {
            *roots = loads;
        }
    }

    /// Hands a finished (or failed) analysis to the screens that wait for it.
    /// `tree` is the merged tree the worker built, so a big image costs no frame here.
    pub(super) fn image_arrived(
        &mut self,
        digest: &Digest,
        mut tree: Option<Box<Tree>>,
        _fx: &mut [Effect],
    ) {
        let target = self.target.clone();
        let ready = self.images.get(digest).cloned();
        let failed = self.failed.get(digest).cloned();
        for s in &mut self.stack {
            if let ScreenKind::Image(img) = &mut s.kind
                && &img.digest == digest
            {
                match (&ready, &failed) {
                    (Some(i), _) => {
                        img.image = Load::Ready(Arc::clone(i));
                        first_tree(img, &target, tree.take(), &mut self.entry_results);
                    }
                    (None, Some(e)) => img.image = Load::Failed(e.clone()),
                    _ => {}
                }
            }
        }
    }

    /// Cancels the requests only `owner` was waiting for.
    pub(super) fn release(&mut self, owner: u64) {
        self.pending.retain(|_, p| {
            p.owners.retain(|o| *o != owner);
            if p.owners.is_empty() {
                p.cancel.store(true, Ordering::Relaxed);
                false
            } else {
                true
            }
        });
    }
}
