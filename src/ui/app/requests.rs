//! Request bookkeeping and the typed request/completion pairs: each kind of work names the
//! answer it gets, so a completion always carries its own request's output.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::analyze::{Image, Progress};
use crate::catalog::{ImageRow, RepoRow, RepoStats, RootInfo, Switch};
use crate::oci::Digest;
use crate::ui::tree::Tree;

/// One kind of background work and the type of its answer.
pub trait Work: Debug + Clone {
    type Output: Debug + Clone;
}

/// The repositories of the catalog, after moving it first when `switch` says where.
#[derive(Debug, Clone, Default)]
pub struct LoadRepositories {
    pub switch: Option<Switch>,
}

impl Work for LoadRepositories {
    type Output = Vec<RepoRow>;
}

/// Image count and last push of one chunk of the listed repositories, at low priority; per
/// repository, `None` when it cannot be described. The next chunk is asked when this one
/// answers, so rows fill as chunks arrive and leaving the screen stops between chunks.
#[derive(Debug, Clone)]
pub struct LoadRepoStats {
    pub repositories: Vec<String>,
    /// The repositories after this chunk, asked next.
    pub rest: Vec<String>,
}

/// Repositories per stats job: one DescribeImages each, so a chunk is seconds, not minutes.
pub const STATS_CHUNK: usize = 25;

impl LoadRepoStats {
    /// The first chunk of `names`, the rest kept for the next; `None` when nothing is left.
    pub fn chunk(mut names: Vec<String>) -> Option<LoadRepoStats> {
        if names.is_empty() {
            return None;
        }
        let rest = names.split_off(names.len().min(STATS_CHUNK));
        Some(LoadRepoStats {
            repositories: names,
            rest,
        })
    }
}

impl Work for LoadRepoStats {
    type Output = Vec<Option<RepoStats>>;
}

impl Job {
    /// Work nobody waits for: it runs after every other queued job.
    pub fn low_priority(&self) -> bool {
        match self {
            Job::RepoStats(_) => true,
            Job::Analyze(a) => a.background,
            _ => false,
        }
    }
}

/// The images (tags) of one repository.
#[derive(Debug, Clone)]
pub struct LoadImages {
    pub repository: String,
}

impl Work for LoadImages {
    type Output = Vec<ImageRow>;
}

/// The manifests of one image row (manifest or index, and the config's platform).
#[derive(Debug, Clone)]
pub struct LoadRoot {
    pub row: ImageRow,
}

impl Work for LoadRoot {
    type Output = Arc<RootInfo>;
}

/// Every layer of one image, read and merged.
#[derive(Debug, Clone)]
pub struct AnalyzeImage {
    pub row: ImageRow,
    pub digest: Digest,
    pub media_type: String,
    /// Asked by the automatic check, not by the user: it waits behind every other job.
    pub background: bool,
}

/// The image and its merged file tree (top layer selected), built by the worker and not in
/// a frame.
#[derive(Debug, Clone)]
pub struct Analyzed {
    pub image: Arc<Image>,
    pub tree: Option<Box<Tree>>,
}

impl Work for AnalyzeImage {
    type Output = Analyzed;
}

/// The first bytes of one file, from the layer that last wrote it (the file viewer).
#[derive(Debug, Clone)]
pub struct ReadFile {
    pub row: ImageRow,
    pub layer: Digest,
    /// The layer blob's size, for the source.
    pub size: u64,
    pub path: String,
}

impl Work for ReadFile {
    type Output = Arc<Vec<u8>>;
}

/// What to do.
#[derive(Debug, Clone)]
pub enum Job {
    ReadFile(ReadFile),
    Repositories(LoadRepositories),
    RepoStats(LoadRepoStats),
    Images(LoadImages),
    Root(LoadRoot),
    Analyze(AnalyzeImage),
}

/// The answer to one request of kind `W`, with the request it answers.
#[derive(Debug, Clone)]
pub struct Reply<W: Work> {
    pub id: u64,
    pub job: W,
    pub result: Result<W::Output, String>,
}

impl<W: Work> Reply<W> {
    pub fn new(id: u64, job: &W, result: Result<W::Output, String>) -> Reply<W> {
        Reply {
            id,
            job: job.clone(),
            result,
        }
    }
}

/// What came back: one variant per kind of [`Job`], each with that job's output.
#[derive(Debug, Clone)]
pub enum Completion {
    ReadFile(Reply<ReadFile>),
    Repositories(Reply<LoadRepositories>),
    RepoStats(Reply<LoadRepoStats>),
    Images(Reply<LoadImages>),
    Root(Reply<LoadRoot>),
    Analyze(Reply<AnalyzeImage>),
}

impl Completion {
    pub fn id(&self) -> u64 {
        match self {
            Completion::ReadFile(r) => r.id,
            Completion::Repositories(r) => r.id,
            Completion::RepoStats(r) => r.id,
            Completion::Images(r) => r.id,
            Completion::Root(r) => r.id,
            Completion::Analyze(r) => r.id,
        }
    }

    /// Why the job failed, if it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            Completion::ReadFile(r) => r.result.as_ref().err(),
            Completion::Repositories(r) => r.result.as_ref().err(),
            Completion::RepoStats(r) => r.result.as_ref().err(),
            Completion::Images(r) => r.result.as_ref().err(),
            Completion::Root(r) => r.result.as_ref().err(),
            Completion::Analyze(r) => r.result.as_ref().err(),
        }
        .map(String::as_str)
    }
}

/// A request as the app issues it.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: u64,
    pub job: Job,
    pub cancel: Arc<AtomicBool>,
    pub progress: Arc<Progress>,
}

#[derive(Debug)]
pub(super) struct Pending {
    pub(super) owners: Vec<u64>,
    /// The image an analysis request reads, so a second screen can share it.
    pub(super) analyzing: Option<Digest>,
    /// Queued at low priority (see [`Job::low_priority`]).
    pub(super) background: bool,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) progress: Arc<Progress>,
}

impl App {
    pub(super) fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn request<T>(&mut self, owner: u64, job: Job, fx: &mut Vec<Effect>) -> Load<T> {
        let id = self.new_id();
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(Progress::default());
        let analyzing = match &job {
            Job::Analyze(a) => Some(a.digest.clone()),
            _ => None,
        };
        self.pending.insert(
            id,
            Pending {
                owners: vec![owner],
                analyzing,
                background: job.low_priority(),
                cancel: Arc::clone(&cancel),
                progress: Arc::clone(&progress),
            },
        );
        fx.push(Effect::Submit(Box::new(Request {
            id,
            job,
            cancel,
            progress,
        })));
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
        let job = AnalyzeImage {
            row: row.clone(),
            digest: digest.clone(),
            media_type: media_type.to_string(),
            background: false,
        };
        self.want_analysis(owner, job, fx)
    }

    /// [`App::want_image`] for a prepared job (the automatic check's are low priority).
    pub(super) fn want_analysis(
        &mut self,
        owner: u64,
        job: AnalyzeImage,
        fx: &mut Vec<Effect>,
    ) -> Load<Arc<Image>> {
        let digest = &job.digest;
        if let Some(img) = self.images.get(digest) {
            return Load::Ready(Arc::clone(img));
        }
        if let Some(e) = self.failed.get(digest) {
            return Load::Failed(e.clone());
        }
        for (id, p) in &mut self.pending {
            if p.analyzing.as_ref() == Some(digest) {
                if !p.owners.contains(&owner) {
                    p.owners.push(owner);
                }
                if p.background && !job.background {
                    p.background = false;
                    fx.push(Effect::Promote(*id));
                }
                return Load::Loading(*id);
            }
        }
        self.request(owner, Job::Analyze(job), fx)
    }

    pub(super) fn complete(&mut self, c: Completion, fx: &mut Vec<Effect>) {
        // Requests of screens the user left were removed: their results are dropped here.
        let Some(p) = self.pending.remove(&c.id()) else {
            return;
        };
        match c {
            Completion::ReadFile(r) => {
                if let Some(v) = &mut self.viewer
                    && matches!(v.content, Load::Loading(id) if id == r.id)
                {
                    v.content = match r.result {
                        Ok(b) => Load::Ready(b),
                        Err(e) => Load::Failed(e),
                    };
                }
            }
            Completion::Analyze(Reply {
                job, result: Ok(a), ..
            }) => {
                let d = job.digest;
                self.images.insert(d.clone(), a.image);
                self.image_arrived(&d, a.tree, fx);
            }
            Completion::Analyze(Reply {
                job,
                result: Err(e),
                ..
            }) => {
                let d = job.digest;
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
            other => {
                let owner = p.owners.first().copied().unwrap_or(0);
                let Some(screen) = self.stack.iter_mut().find(|s| s.id == owner) else {
                    return;
                };
                let mut replace: Option<(ImageRow, Arc<RootInfo>)> = None;
                let mut fetch_roots = false;
                let mut single_repo = None;
                let mut read_row: Option<usize> = None;
                let mut want_stats: Vec<String> = Vec::new();
                match (&mut screen.kind, other) {
                    (ScreenKind::Repos(s), Completion::Repositories(r)) => {
                        s.list.rows = match r.result {
                            Ok(v) => {
                                if self.enter_single_repo && v.len() == 1 {
                                    single_repo = v.first().map(|r| r.name.clone());
                                }
                                if self.origin.ecr {
                                    want_stats = v
                                        .iter()
                                        .filter(|r| r.images.is_none() && r.last_push.is_none())
                                        .map(|r| r.name.clone())
                                        .collect();
                                }
                                Load::Ready(v)
                            }
                            Err(e) => Load::Failed(e),
                        };
                    }
                    (ScreenKind::Repos(s), Completion::RepoStats(r)) => {
                        // A chunk that failed as a whole (no client) says the next would too.
                        if r.result.is_ok() {
                            want_stats = r.job.rest.clone();
                        }
                        // A repository that cannot be described keeps its `-`: opening it
                        // names the failure.
                        if let (Ok(all), Some(rows)) = (r.result, s.list.rows.ready_mut()) {
                            for (name, stats) in r.job.repositories.iter().zip(all) {
                                if let (Some(stats), Some(row)) =
                                    (stats, rows.iter_mut().find(|row| &row.name == name))
                                {
                                    row.images = Some(stats.images);
                                    row.last_push = stats.last_push;
                                }
                            }
                        }
                    }
                    (ScreenKind::Images(s), Completion::Images(r)) => match r.result {
                        Ok(v) => {
                            s.list.rows = Load::Ready(v);
                            fetch_roots = true;
                        }
                        Err(e) => s.list.rows = Load::Failed(e),
                    },
                    (ScreenKind::Images(s), Completion::Root(r)) => {
                        // The row whose manifests these are: its slot waits for this request.
                        let slot = s
                            .roots
                            .iter()
                            .position(|l| matches!(l, Load::Loading(id) if *id == r.id));
                        if let Some(i) = slot
                            && let Some(slot) = s.roots.get_mut(i)
                        {
                            *slot = match r.result {
                                Ok(info) => {
                                    read_row = Some(i);
                                    Load::Ready(info)
                                }
                                Err(e) => Load::Failed(e),
                            };
                        }
                    }
                    (ScreenKind::Index(s), Completion::Root(r)) => match r.result {
                        Ok(i) => {
                            if i.root.is_index {
                                s.info = Load::Ready(i);
                            } else {
                                replace = Some((s.row.clone(), i));
                            }
                        }
                        Err(e) => s.info = Load::Failed(e),
                    },
                    _ => {}
                }
                if let Some(chunk) = LoadRepoStats::chunk(want_stats) {
                    let _: Load<()> = self.request(owner, Job::RepoStats(chunk), fx);
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
            Some(ScreenKind::Images(s)) => match &s.list.rows {
                Load::Ready(v) => v.clone(),
                _ => return,
            },
            _ => return,
        };
        // An archived image's manifests answer 404: its row says what it is instead.
        let loads: Vec<_> = rows
            .into_iter()
            .map(|row| match &row.unpullable {
                Some(u) => Load::Failed(u.summary()),
                None => self.request(owner, Job::Root(LoadRoot { row }), fx),
            })
            .collect();
        if let Some(ScreenKind::Images(s)) = self
            .stack
            .iter_mut()
            .find(|s| s.id == owner)
            .map(|s| &mut s.kind)
        {
            s.roots = loads;
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
        // Assessments that waited for these files are asked again.
        self.verdicts.forget(digest);
        let ready = self.images.get(digest).cloned();
        let failed = self.failed.get(digest).cloned();
        for s in &mut self.stack {
            if let ScreenKind::Diff(d) = &mut s.kind {
                d.arrived(&self.images, &self.failed);
            }
            if let ScreenKind::Image(img) = &mut s.kind
                && &img.digest == digest
            {
                match (&ready, &failed) {
                    (Some(i), _) => {
                        img.image = Load::Ready(Arc::clone(i));
                        img.show_tree(tree.take());
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
