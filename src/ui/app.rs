//! The state of the terminal UI and the one function that changes it: [`App::update`] takes
//! an [`Action`] (a key, a click, a finished background job) and returns [`Effect`]s to run.
//!
//! Nothing here draws or does I/O; views read this state, workers answer the requests.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::browse::{ImageRow, RepoRow, RootInfo};
use super::keymap::{Bind, KeyCode, KeyPress, Keymap, Theme};
use super::tasks::{Completion, Job, Output, Request};
use super::tree::{Filter, SortBy, Tree, View};
use crate::analyze::{Entry, Image, Progress};
use crate::oci::manifest::EntryKind;
use crate::oci::{Digest, Platform};
use crate::verdict::{self, Selection, Target, TargetResult, Verdict};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyPress),
    Mouse(Mouse),
    Resize(u16, u16),
    /// Time passed (spinners, progress gauges).
    Tick,
    Done(Completion),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
    Click { x: u16, y: u16 },
}

/// What the runner must do after an update.
#[derive(Debug, Clone)]
pub enum Effect {
    Submit(Request),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
}

/// A value that arrives from a background job.
#[derive(Debug, Clone)]
pub enum Load<T> {
    Loading(u64),
    Ready(T),
    Failed(String),
}

impl<T> Load<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Layers,
    Files,
    Details,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictPane {
    Targets,
    Findings,
}

/// One screen of the navigation stack.
#[derive(Debug, Clone)]
pub struct Screen {
    pub id: u64,
    pub kind: ScreenKind,
}

#[derive(Debug, Clone)]
pub enum ScreenKind {
    Repos {
        rows: Load<Vec<RepoRow>>,
        sel: usize,
        filter: String,
    },
    Images {
        repo: String,
        rows: Load<Vec<ImageRow>>,
        /// Manifest facts per row (same order as `rows`).
        roots: Vec<Load<Arc<RootInfo>>>,
        sel: usize,
        filter: String,
    },
    Index {
        row: ImageRow,
        info: Load<Arc<RootInfo>>,
        sel: usize,
    },
    Image(Box<ImageScreen>),
    Verdict {
        row: ImageRow,
        info: Arc<RootInfo>,
        sel_target: usize,
        sel_finding: usize,
        pane: VerdictPane,
    },
}

/// The dive-like screen of one image.
#[derive(Debug, Clone)]
pub struct ImageScreen {
    pub row: ImageRow,
    pub info: Arc<RootInfo>,
    pub digest: Digest,
    pub media_type: String,
    /// The platform the index declares for this entry (or the config's, for a single image).
    pub platform: Option<Platform>,
    pub image: Load<Arc<Image>>,
    pub tree: Option<Tree>,
    pub view: View,
    pub layer: usize,
    pub pane: Pane,
    pub detail_scroll: u16,
    /// A path to select once the tree exists (a jump from the verdict screen).
    pub reveal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help { scroll: u16 },
    Targets { sel: usize },
    Explain { scroll: u16 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

#[derive(Debug, Clone)]
enum Purpose {
    Repos,
    Images,
    Root(usize),
    Analyze(Digest),
}

#[derive(Debug)]
struct Pending {
    owners: Vec<u64>,
    purpose: Purpose,
    cancel: Arc<AtomicBool>,
    progress: Arc<Progress>,
}

/// Where the UI was pointed at, for the breadcrumb.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub source: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Images on local disk: reading their files is cheap, so list badges are settled from
    /// the files straight away instead of waiting for `c`.
    pub local: bool,
}

/// The whole UI state.
pub struct App {
    pub origin: Origin,
    pub keymap: Keymap,
    pub theme: Theme,
    pub targets: Vec<Target>,
    pub target: Target,
    pub stack: Vec<Screen>,
    pub overlay: Option<Overlay>,
    pub input: Option<Input>,
    pub status: Option<(Level, String)>,
    pub size: (u16, u16),
    pub tick: u64,
    pub images: HashMap<Digest, Arc<Image>>,
    pub failed: HashMap<Digest, String>,
    /// Verdicts of roots per target name, computed once their image is read (the views only
    /// read them: evaluating a large image on every frame would cost a frame).
    results: HashMap<(Digest, String), TargetResult>,
    /// Verdicts of single images (index entries) per target name, whatever the index picks.
    entry_results: HashMap<(Digest, String), TargetResult>,
    pending: HashMap<u64, Pending>,
    next_id: u64,
    pub quit: bool,
    /// Open the only repository straight away (a local layout is one repository).
    pub enter_single_repo: bool,
    /// The merged tree of the last image screen left, with its image digest.
    last_tree: Option<(Digest, Box<Tree>)>,
}

/// Rows a page key moves when the terminal size is not known yet.
const DEFAULT_PAGE: usize = 10;

impl App {
    /// A new app on its first screen; the returned effects start loading it.
    pub fn new(origin: Origin, keymap: Keymap, theme: Theme, target: Target) -> App {
        let mut targets = verdict::target::builtin();
        if !targets.iter().any(|t| t.name == target.name) {
            targets.push(target.clone());
        }
        App {
            origin,
            keymap,
            theme,
            targets,
            target,
            stack: Vec::new(),
            overlay: None,
            input: None,
            status: None,
            size: (80, 24),
            tick: 0,
            images: HashMap::new(),
            failed: HashMap::new(),
            results: HashMap::new(),
            entry_results: HashMap::new(),
            pending: HashMap::new(),
            next_id: 1,
            quit: false,
            enter_single_repo: false,
            last_tree: None,
        }
    }

    /// Starts on the repository list.
    pub fn open_repositories(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        let id = self.new_id();
        let load = self.request(id, Job::Repositories, Purpose::Repos, &mut fx);
        self.stack.push(Screen {
            id,
            kind: ScreenKind::Repos {
                rows: load,
                sel: 0,
                filter: String::new(),
            },
        });
        fx
    }

    /// Starts on one image or index (`archlens open IMAGE`).
    pub fn open_image(&mut self, row: ImageRow) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.push_index(row, None, &mut fx);
        fx
    }

    pub fn screen(&self) -> Option<&Screen> {
        self.stack.last()
    }

    /// Whether background work is running (for the spinner).
    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Live counters of the analysis of `digest`, when one is running.
    pub fn progress_of(&self, digest: &Digest) -> Option<&Progress> {
        self.pending.values().find_map(|p| match &p.purpose {
            Purpose::Analyze(d) if d == digest => Some(p.progress.as_ref()),
            _ => None,
        })
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick => self.tick = self.tick.wrapping_add(1),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Done(c) => self.complete(c, &mut fx),
            Action::Key(k) => self.key(k, &mut fx),
            Action::Mouse(m) => self.mouse(m),
        }
        self.refresh_results();
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    /// The verdict of a root for a target, once the image it would run has been read.
    pub fn root_result(&self, info: &RootInfo, target: &Target) -> Option<&TargetResult> {
        self.results
            .get(&(info.root.digest.clone(), target.name.clone()))
    }

    /// The verdict of one read image for a target (an index entry, whether chosen or not).
    pub fn entry_result(&self, digest: &Digest, target: &Target) -> Option<&TargetResult> {
        self.entry_results
            .get(&(digest.clone(), target.name.clone()))
    }

    /// Computes the verdicts the screens on the stack show and are not cached yet.
    fn refresh_results(&mut self) {
        let mut roots: Vec<(ImageRow, Arc<RootInfo>, Vec<Target>)> = Vec::new();
        let mut entries: Vec<(ImageRow, Arc<RootInfo>, Digest, Option<Platform>)> = Vec::new();
        let active = vec![self.target.clone()];
        for s in &self.stack {
            match &s.kind {
                ScreenKind::Images {
                    rows: Load::Ready(rows),
                    roots: infos,
                    ..
                } => {
                    for (row, info) in rows.iter().zip(infos) {
                        if let Load::Ready(info) = info {
                            roots.push((row.clone(), Arc::clone(info), active.clone()));
                        }
                    }
                }
                ScreenKind::Index {
                    row,
                    info: Load::Ready(info),
                    ..
                } => {
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
                ScreenKind::Verdict { row, info, .. } => {
                    roots.push((row.clone(), Arc::clone(info), self.targets.clone()));
                }
                _ => {}
            }
        }
        for (row, info, targets) in roots {
            for t in targets {
                let key = (info.root.digest.clone(), t.name.clone());
                if self.results.contains_key(&key) {
                    continue;
                }
                if let Some(r) = verdict_for(&self.images, &self.failed, &row.reference, &info, &t)
                {
                    self.results.insert(key, r);
                }
            }
        }
        for (row, info, digest, platform) in entries {
            let key = (digest.clone(), self.target.name.clone());
            if self.entry_results.contains_key(&key) {
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
                self.entry_results.insert(key, r);
            }
        }
    }

    // ---- requests and completions ----

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn request<T>(
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
    fn want_image(
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

    fn complete(&mut self, c: Completion, fx: &mut Vec<Effect>) {
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
    fn fetch_roots(&mut self, owner: u64, fx: &mut Vec<Effect>) {
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
    fn image_arrived(&mut self, digest: &Digest, mut tree: Option<Box<Tree>>, _fx: &mut [Effect]) {
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
    fn release(&mut self, owner: u64) {
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

    // ---- navigation ----

    fn push(&mut self, kind: ScreenKind) -> u64 {
        let id = self.new_id();
        self.stack.push(Screen { id, kind });
        id
    }

    fn pop(&mut self) {
        if self.stack.len() > 1
            && let Some(s) = self.stack.pop()
        {
            self.release(s.id);
            // Keep the merged tree of the image just left: going back in costs no rebuild.
            if let ScreenKind::Image(i) = s.kind
                && let (Some(tree), View::Merged) = (i.tree, i.view)
            {
                self.last_tree = Some((i.digest, Box::new(tree)));
            }
        }
    }

    fn push_index(&mut self, row: ImageRow, info: Option<Arc<RootInfo>>, fx: &mut Vec<Effect>) {
        match info {
            Some(info) if !info.root.is_index => {
                let entry = info.root.images().next().cloned();
                if let Some(entry) = entry {
                    let platform = info.config_platform.clone();
                    let pos = self.stack.len();
                    self.push_image_at(pos, row, info, &entry, platform, fx);
                }
            }
            Some(info) => {
                self.push(ScreenKind::Index {
                    row,
                    info: Load::Ready(info),
                    sel: 0,
                });
            }
            None => {
                let id = self.push(ScreenKind::Index {
                    row: row.clone(),
                    info: Load::Loading(0),
                    sel: 0,
                });
                let load = self.request(id, Job::Root { row }, Purpose::Root(0), fx);
                if let Some(ScreenKind::Index { info, .. }) =
                    self.stack.last_mut().map(|s| &mut s.kind)
                {
                    *info = load;
                }
            }
        }
    }

    fn push_image_at(
        &mut self,
        pos: usize,
        row: ImageRow,
        info: Arc<RootInfo>,
        entry: &Entry,
        platform: Option<Platform>,
        fx: &mut Vec<Effect>,
    ) {
        let id = self.new_id();
        let image = self.want_image(id, &row, &entry.digest, &entry.media_type, fx);
        let mut screen = ImageScreen {
            row,
            info,
            digest: entry.digest.clone(),
            media_type: entry.media_type.clone(),
            platform,
            image,
            tree: None,
            view: View::Merged,
            layer: 0,
            pane: Pane::Files,
            detail_scroll: 0,
            reveal: None,
        };
        if matches!(screen.image, Load::Ready(_)) {
            let kept = match self.last_tree.take() {
                Some((d, t)) if d == screen.digest => Some(t),
                other => {
                    self.last_tree = other;
                    None
                }
            };
            match kept {
                // Back into the image just left: its tree as the user left it.
                Some(mut tree) => {
                    tree.set_target(Some(self.target.platform.clone()));
                    if let Load::Ready(img) = &screen.image {
                        screen.layer = img.layers.len().saturating_sub(1);
                    }
                    screen.tree = Some(*tree);
                }
                None => first_tree(&mut screen, &self.target, None, &mut self.entry_results),
            }
        }
        let pos = pos.min(self.stack.len());
        self.stack.insert(
            pos,
            Screen {
                id,
                kind: ScreenKind::Image(Box::new(screen)),
            },
        );
    }

    fn push_verdict(&mut self, row: ImageRow, info: Arc<RootInfo>, fx: &mut Vec<Effect>) {
        let sel_target = self
            .targets
            .iter()
            .position(|t| t.name == self.target.name)
            .unwrap_or(0);
        let id = self.push(ScreenKind::Verdict {
            row: row.clone(),
            info: Arc::clone(&info),
            sel_target,
            sel_finding: 0,
            pane: VerdictPane::Targets,
        });
        self.want_verdict_images(id, &row, &info, fx);
    }

    /// Requests every image some target would run.
    fn want_verdict_images(
        &mut self,
        owner: u64,
        row: &ImageRow,
        info: &RootInfo,
        fx: &mut Vec<Effect>,
    ) {
        let mut wanted: Vec<(Digest, String)> = Vec::new();
        for t in &self.targets {
            if let Selection::Image { entry, .. } = verdict::select(&info.root, t)
                && !wanted.iter().any(|(d, _)| d == &entry.digest)
            {
                wanted.push((entry.digest.clone(), entry.media_type.clone()));
            }
        }
        for (d, m) in wanted {
            let _ = self.want_image(owner, row, &d, &m, fx);
        }
    }

    /// Makes `t` the active target and updates every screen that depends on it.
    pub fn set_target(&mut self, t: Target, fx: &mut Vec<Effect>) {
        if !self.targets.iter().any(|x| x.name == t.name) {
            self.targets.push(t.clone());
        }
        self.target = t;
        let pos = self
            .targets
            .iter()
            .position(|x| x.name == self.target.name)
            .unwrap_or(0);
        let platform = self.target.platform.clone();
        let mut verdicts = Vec::new();
        for s in &mut self.stack {
            match &mut s.kind {
                ScreenKind::Image(img) => {
                    if let Some(tree) = &mut img.tree {
                        tree.set_target(Some(platform.clone()));
                    }
                }
                ScreenKind::Verdict {
                    sel_target,
                    sel_finding,
                    row,
                    info,
                    ..
                } => {
                    *sel_target = pos;
                    *sel_finding = 0;
                    verdicts.push((s.id, row.clone(), Arc::clone(info)));
                }
                _ => {}
            }
        }
        for (id, row, info) in verdicts {
            self.want_verdict_images(id, &row, &info, fx);
        }
        if self.origin.local {
            let lists: Vec<u64> = self
                .stack
                .iter()
                .filter(|s| matches!(s.kind, ScreenKind::Images { .. }))
                .map(|s| s.id)
                .collect();
            for id in lists {
                self.read_rows(id, None, fx);
            }
        }
        self.status = Some((
            Level::Info,
            format!("target: {} ({})", self.target.name, self.target.platform),
        ));
    }

    // ---- keys ----

    fn page(&self) -> usize {
        (self.size.1 as usize)
            .saturating_sub(8)
            .clamp(1, DEFAULT_PAGE * 10)
    }

    fn key(&mut self, k: KeyPress, fx: &mut Vec<Effect>) {
        if self.input.is_some() {
            self.input_key(k, fx);
            return;
        }
        let bind = self.keymap.lookup(k);
        if self.overlay.is_some() {
            self.overlay_key(bind, fx);
            return;
        }
        let Some(bind) = bind else {
            return;
        };
        self.status = None;
        match bind {
            Bind::Quit => self.quit = true,
            Bind::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Bind::Targets => {
                let sel = self
                    .targets
                    .iter()
                    .position(|t| t.name == self.target.name)
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Targets { sel });
            }
            Bind::Command => {
                self.input = Some(Input {
                    kind: InputKind::Command,
                    text: String::new(),
                })
            }
            Bind::Filter => match self.current_filter() {
                Some(text) => {
                    self.input = Some(Input {
                        kind: InputKind::Filter,
                        text,
                    })
                }
                None => {
                    self.status = Some((Level::Info, "nothing to filter on this screen".into()))
                }
            },
            Bind::Back => self.pop(),
            Bind::Explain => {
                if self.current_root().is_some() {
                    self.overlay = Some(Overlay::Explain { scroll: 0 });
                } else {
                    self.status = Some((
                        Level::Info,
                        "select an image first: Explain talks about one image".into(),
                    ));
                }
            }
            Bind::Verdict => {
                if let Some((row, info)) = self.current_root() {
                    if matches!(
                        self.screen().map(|s| &s.kind),
                        Some(ScreenKind::Verdict { .. })
                    ) {
                        return;
                    }
                    self.push_verdict(row, info, fx);
                } else {
                    self.status = Some((
                        Level::Info,
                        "wait for the manifests to load, or select an image".into(),
                    ));
                }
            }
            Bind::Copy => {
                if let Some(text) = self.copy_text() {
                    self.status = Some((
                        Level::Info,
                        format!("copied {} (OSC 52)", crate::text::sanitize(&text)),
                    ));
                    fx.push(Effect::Copy(text));
                }
            }
            Bind::Reload => self.reload(fx),
            Bind::CheckAll => self.check_all(fx),
            other => self.screen_key(other, fx),
        }
    }

    fn input_key(&mut self, k: KeyPress, fx: &mut Vec<Effect>) {
        let Some(input) = &mut self.input else { return };
        match k.code {
            KeyCode::Esc => {
                let kind = input.kind;
                self.input = None;
                if kind == InputKind::Filter {
                    self.set_filter(String::new());
                }
            }
            KeyCode::Enter => {
                let Input { kind, text } = input.clone();
                self.input = None;
                if kind == InputKind::Command {
                    self.command(text.trim(), fx);
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
                if input.kind == InputKind::Filter {
                    let t = input.text.clone();
                    self.set_filter(t);
                }
            }
            KeyCode::Char(c) if !k.ctrl && !c.is_control() => {
                input.text.push(c);
                if input.kind == InputKind::Filter {
                    let t = input.text.clone();
                    self.set_filter(t);
                }
            }
            _ => {}
        }
    }

    fn overlay_key(&mut self, bind: Option<Bind>, fx: &mut Vec<Effect>) {
        let Some(overlay) = &mut self.overlay else {
            return;
        };
        let n = self.targets.len();
        match (overlay, bind) {
            (_, Some(Bind::Quit)) => self.quit = true,
            (_, Some(Bind::Back)) => self.overlay = None,
            (Overlay::Help { .. }, Some(Bind::Help))
            | (Overlay::Explain { .. }, Some(Bind::Explain)) => self.overlay = None,
            (Overlay::Help { scroll } | Overlay::Explain { scroll }, Some(b)) => match b {
                Bind::Down => *scroll = scroll.saturating_add(1),
                Bind::Up => *scroll = scroll.saturating_sub(1),
                Bind::PageDown => *scroll = scroll.saturating_add(10),
                Bind::PageUp => *scroll = scroll.saturating_sub(10),
                Bind::Top => *scroll = 0,
                Bind::Enter => self.overlay = None,
                _ => {}
            },
            (Overlay::Targets { sel }, Some(b)) => match b {
                Bind::Down => *sel = (*sel + 1).min(n.saturating_sub(1)),
                Bind::Up => *sel = sel.saturating_sub(1),
                Bind::Top => *sel = 0,
                Bind::Bottom => *sel = n.saturating_sub(1),
                Bind::Targets => self.overlay = None,
                Bind::Enter => {
                    let t = self.targets.get(*sel).cloned();
                    self.overlay = None;
                    if let Some(t) = t {
                        self.set_target(t, fx);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn command(&mut self, cmd: &str, fx: &mut Vec<Effect>) {
        let (word, arg) = cmd
            .split_once(' ')
            .map_or((cmd, ""), |(w, a)| (w, a.trim()));
        match word {
            "" => {}
            "q" | "quit" | "q!" => self.quit = true,
            "repos" | "repositories" => {
                while self.stack.len() > 1 {
                    self.pop();
                }
            }
            "target" | "t" if arg.is_empty() => {
                let sel = self
                    .targets
                    .iter()
                    .position(|t| t.name == self.target.name)
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Targets { sel });
            }
            "target" | "t" => match verdict::target::lookup(arg) {
                Ok(t) => self.set_target(t, fx),
                Err(e) => self.status = Some((Level::Error, e.to_string())),
            },
            "help" => self.overlay = Some(Overlay::Help { scroll: 0 }),
            "verdict" => self.key_bind(Bind::Verdict, fx),
            "explain" => self.key_bind(Bind::Explain, fx),
            "sort" => self.key_bind(Bind::Sort, fx),
            other => {
                self.status = Some((
                    Level::Error,
                    format!(
                        "unknown command :{}; try :repos, :target graviton, :target linux/arm/v7, :verdict, :explain, :help, :quit",
                        crate::text::sanitize(other)
                    ),
                ))
            }
        }
    }

    fn key_bind(&mut self, b: Bind, fx: &mut Vec<Effect>) {
        if let Some(k) = self.keymap.keys(b).first().copied() {
            self.key(k, fx);
        }
    }

    fn reload(&mut self, fx: &mut Vec<Effect>) {
        let Some(top) = self.stack.pop() else { return };
        self.results.clear();
        self.entry_results.clear();
        self.release(top.id);
        match top.kind {
            ScreenKind::Repos { .. } => {
                let mut more = self.open_repositories();
                fx.append(&mut more);
            }
            ScreenKind::Images { repo, .. } => self.push_images(repo, fx),
            ScreenKind::Index { row, .. } => self.push_index(row, None, fx),
            ScreenKind::Image(s) => {
                self.images.remove(&s.digest);
                self.failed.remove(&s.digest);
                let entry = s
                    .info
                    .root
                    .entries
                    .iter()
                    .find(|e| e.digest == s.digest)
                    .cloned();
                match entry {
                    Some(e) => {
                        let pos = self.stack.len();
                        self.push_image_at(pos, s.row, s.info, &e, s.platform, fx)
                    }
                    None => self.stack.push(Screen {
                        id: top.id,
                        kind: ScreenKind::Image(s),
                    }),
                }
            }
            ScreenKind::Verdict { row, info, .. } => {
                for e in info.root.images() {
                    self.failed.remove(&e.digest);
                }
                self.push_verdict(row, info, fx)
            }
        }
        self.status = Some((Level::Info, "reloading".into()));
    }

    /// Reads the image that row `only` (or every row) of images screen `owner` would run on
    /// the active target, so its badge comes from the files.
    fn read_rows(&mut self, owner: u64, only: Option<usize>, fx: &mut Vec<Effect>) {
        let Some(Screen {
            kind:
                ScreenKind::Images {
                    rows: Load::Ready(rows),
                    roots,
                    ..
                },
            ..
        }) = self.stack.iter().find(|s| s.id == owner)
        else {
            return;
        };
        let mut wanted = Vec::new();
        for (i, (row, root)) in rows.iter().zip(roots).enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            if let Load::Ready(info) = root
                && let Selection::Image { entry, .. } = verdict::select(&info.root, &self.target)
            {
                wanted.push((row.clone(), entry.digest.clone(), entry.media_type.clone()));
            }
        }
        for (row, d, m) in wanted {
            let _ = self.want_image(owner, &row, &d, &m, fx);
        }
    }

    /// Reads the image each listed row would run on the target, so badges come from files.
    fn check_all(&mut self, fx: &mut Vec<Effect>) {
        if let Some(Screen {
            id,
            kind:
                ScreenKind::Index {
                    row,
                    info: Load::Ready(info),
                    ..
                },
        }) = self.stack.last()
        {
            let (owner, row) = (*id, row.clone());
            let entries: Vec<Entry> = info.root.images().cloned().collect();
            for e in &entries {
                let _ = self.want_image(owner, &row, &e.digest, &e.media_type, fx);
            }
            self.status = Some((
                Level::Info,
                format!("reading the files of {} platform images", entries.len()),
            ));
            return;
        }
        let Some(Screen {
            id,
            kind:
                ScreenKind::Images {
                    rows: Load::Ready(rows),
                    roots,
                    ..
                },
        }) = self.stack.last()
        else {
            self.status = Some((
                Level::Info,
                "c reads every image of an images list or an index".into(),
            ));
            return;
        };
        let owner = *id;
        let mut wanted = Vec::new();
        for (row, root) in rows.iter().zip(roots) {
            if let Load::Ready(info) = root
                && let Selection::Image { entry, .. } = verdict::select(&info.root, &self.target)
            {
                wanted.push((row.clone(), entry.digest.clone(), entry.media_type.clone()));
            }
        }
        let n = wanted.len();
        for (row, d, m) in wanted {
            let _ = self.want_image(owner, &row, &d, &m, fx);
        }
        self.status = Some((
            Level::Info,
            format!("reading the files of {n} images for {}", self.target.name),
        ));
    }

    fn push_images(&mut self, repo: String, fx: &mut Vec<Effect>) {
        let id = self.push(ScreenKind::Images {
            repo: repo.clone(),
            rows: Load::Loading(0),
            roots: Vec::new(),
            sel: 0,
            filter: String::new(),
        });
        let load = self.request(id, Job::Images { repository: repo }, Purpose::Images, fx);
        if let Some(ScreenKind::Images { rows, .. }) = self.stack.last_mut().map(|s| &mut s.kind) {
            *rows = load;
        }
    }

    fn screen_key(&mut self, bind: Bind, fx: &mut Vec<Effect>) {
        let page = self.page();
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        // In the lists, → / l open and ← / h go back, as in file managers.
        let list = matches!(
            screen.kind,
            ScreenKind::Repos { .. } | ScreenKind::Images { .. } | ScreenKind::Index { .. }
        );
        let bind = match bind {
            Bind::Right if list => Bind::Enter,
            Bind::Left if list => {
                self.pop();
                return;
            }
            b => b,
        };
        match &mut screen.kind {
            ScreenKind::Repos { rows, sel, filter } => {
                let visible = repo_rows(rows, filter);
                if move_sel(sel, visible.len(), bind, page) == Some(Bind::Enter)
                    && let (Some(&i), Load::Ready(list)) = (visible.get(*sel), &*rows)
                    && let Some(r) = list.get(i)
                {
                    let name = r.name.clone();
                    self.push_images(name, fx);
                }
            }
            ScreenKind::Images {
                rows,
                roots,
                sel,
                filter,
                ..
            } => {
                let visible = image_rows(rows, filter);
                if move_sel(sel, visible.len(), bind, page) == Some(Bind::Enter)
                    && let (Some(&i), Load::Ready(list)) = (visible.get(*sel), &*rows)
                    && let Some(row) = list.get(i).cloned()
                {
                    let info = roots.get(i).and_then(|r| r.ready().cloned());
                    self.push_index(row, info, fx);
                }
            }
            ScreenKind::Index { row, info, sel } => {
                let Load::Ready(info) = info else { return };
                let rows = index_rows(info);
                if move_sel(sel, rows.len(), bind, page) == Some(Bind::Enter) {
                    match rows.get(*sel) {
                        Some(IndexRow::Image(i)) => {
                            if let Some(entry) = info.root.entries.get(*i).cloned() {
                                let (row, info) = (row.clone(), Arc::clone(info));
                                let pos = self.stack.len();
                                let platform = entry.platform.clone();
                                self.push_image_at(pos, row, info, &entry, platform, fx);
                            }
                        }
                        Some(IndexRow::Attestation(_)) => {
                            self.status = Some((Level::Info, "an attestation (provenance or SBOM) describes the image above it; it is not a platform and never runs".into()));
                        }
                        Some(IndexRow::Other(_)) => {
                            self.status = Some((
                                Level::Info,
                                "an artefact stored in the index that is not a runnable image"
                                    .into(),
                            ));
                        }
                        None => {}
                    }
                }
            }
            ScreenKind::Image(s) => image_key(s, bind, page, &self.target),
            ScreenKind::Verdict {
                row,
                info,
                sel_target,
                sel_finding,
                pane,
            } => {
                let n_targets = self.targets.len();
                match (bind, *pane) {
                    (Bind::NextPane | Bind::PrevPane, _) => {
                        *pane = if *pane == VerdictPane::Targets {
                            VerdictPane::Findings
                        } else {
                            VerdictPane::Targets
                        }
                    }
                    (Bind::Right | Bind::Enter, VerdictPane::Targets) => {
                        *pane = VerdictPane::Findings;
                        *sel_finding = 0;
                    }
                    (Bind::Left, VerdictPane::Findings) => *pane = VerdictPane::Targets,
                    (_, VerdictPane::Targets) => {
                        let before = *sel_target;
                        move_sel(sel_target, n_targets, bind, page);
                        if before != *sel_target {
                            *sel_finding = 0;
                        }
                    }
                    (Bind::Enter, VerdictPane::Findings) => {
                        let (row, info, st, sf) =
                            (row.clone(), Arc::clone(info), *sel_target, *sel_finding);
                        self.jump_to_finding(row, info, st, sf, fx);
                    }
                    (_, VerdictPane::Findings) => {
                        let n = self
                            .targets
                            .get(*sel_target)
                            .and_then(|t| {
                                verdict_for(&self.images, &self.failed, &row.reference, info, t)
                            })
                            .map_or(0, |r| r.findings.len());
                        move_sel(sel_finding, n, bind, page);
                    }
                }
            }
        }
    }

    /// Enter on a finding: the image screen of the chosen image, with the file selected.
    fn jump_to_finding(
        &mut self,
        row: ImageRow,
        info: Arc<RootInfo>,
        st: usize,
        sf: usize,
        fx: &mut Vec<Effect>,
    ) {
        let Some(t) = self.targets.get(st).cloned() else {
            return;
        };
        let Some(result) = verdict_for(&self.images, &self.failed, &row.reference, &info, &t)
        else {
            return;
        };
        let Some(f) = result.findings.get(sf) else {
            return;
        };
        let Some(path) = f.path.clone() else {
            self.status = Some((
                Level::Info,
                "this finding is about the manifests, not a file".into(),
            ));
            return;
        };
        let Some(digest) = result.image.as_ref().map(|c| c.digest.clone()) else {
            return;
        };
        // Inside an archive the file in the tree is the archive itself.
        let file = path.split('!').next().unwrap_or(&path).to_string();
        // Prefer an image screen of this digest already on the stack.
        if let Some(pos) = self
            .stack
            .iter()
            .rposition(|s| matches!(&s.kind, ScreenKind::Image(i) if i.digest == digest))
        {
            while self.stack.len() > pos + 1 {
                self.pop();
            }
        } else {
            let Some(entry) = info
                .root
                .entries
                .iter()
                .find(|e| e.digest == digest)
                .cloned()
            else {
                return;
            };
            let platform = entry
                .platform
                .clone()
                .or_else(|| info.config_platform.clone());
            let pos = self.stack.len();
            self.push_image_at(pos, row, info, &entry, platform, fx);
        }
        if let Some(ScreenKind::Image(s)) = self.stack.last_mut().map(|s| &mut s.kind) {
            s.pane = Pane::Files;
            match &mut s.tree {
                Some(tree) => {
                    if tree.filter() != Filter::All || !tree.text_filter().is_empty() {
                        tree.set_filter(Filter::All);
                        tree.set_text_filter("");
                    }
                    if !tree.reveal(&file) && s.view == View::Layer {
                        // The file may come from another layer: show the merged view.
                        if let Load::Ready(img) = &s.image {
                            s.view = View::Merged;
                            let mut t = Tree::of_image(img, s.view, s.layer);
                            t.set_target(Some(self.target.platform.clone()));
                            t.reveal(&file);
                            s.tree = Some(t);
                        }
                    }
                }
                None => s.reveal = Some(file),
            }
        }
    }

    fn mouse(&mut self, m: Mouse) {
        let bind = match m {
            Mouse::ScrollUp => Bind::Up,
            Mouse::ScrollDown => Bind::Down,
            Mouse::Click { x, y } => {
                self.click(x, y);
                return;
            }
        };
        if self.overlay.is_some() {
            let mut fx = Vec::new();
            self.overlay_key(Some(bind), &mut fx);
            return;
        }
        let mut fx = Vec::new();
        for _ in 0..3 {
            self.screen_key(bind, &mut fx);
        }
    }

    /// A click selects the row under the pointer (and the pane it is in).
    fn click(&mut self, x: u16, y: u16) {
        let areas = super::view::layout(self);
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        let hit = |r: ratatui::layout::Rect| {
            x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
        };
        let row_in = |r: ratatui::layout::Rect, header: u16| -> Option<usize> {
            let top = r.y + 1 + header;
            (hit(r) && y >= top && y < r.y + r.height.saturating_sub(1)).then(|| (y - top) as usize)
        };
        let pick = |sel: &mut usize, r: ratatui::layout::Rect, header: u16, len: usize| {
            if let Some(i) = row_in(r, header) {
                let offset = super::view::scroll_offset(
                    *sel,
                    (r.height.saturating_sub(2 + header)) as usize,
                );
                let idx = offset + i;
                if idx < len {
                    *sel = idx;
                }
            }
        };
        match &mut screen.kind {
            ScreenKind::Repos { rows, sel, filter } => {
                let n = repo_rows(rows, filter).len();
                pick(sel, areas.main, 1, n);
            }
            ScreenKind::Images {
                rows, sel, filter, ..
            } => {
                let n = image_rows(rows, filter).len();
                pick(sel, areas.main, 1, n);
            }
            ScreenKind::Index {
                info: Load::Ready(info),
                sel,
                ..
            } => {
                let n = index_rows(info).len();
                pick(sel, areas.main, 1, n);
            }
            ScreenKind::Image(s) => {
                if hit(areas.layers) {
                    s.pane = Pane::Layers;
                    if let Load::Ready(img) = &s.image {
                        let mut layer = s.layer;
                        pick(&mut layer, areas.layers, 0, img.layers.len());
                        if layer != s.layer {
                            s.layer = layer;
                            rebuild_tree(s, &self.target);
                        }
                    }
                } else if hit(areas.files) {
                    s.pane = Pane::Files;
                    if let Some(tree) = &mut s.tree {
                        let mut sel = tree.selected();
                        pick(&mut sel, areas.files, 0, tree.visible_len());
                        tree.select_row(sel);
                    }
                } else if hit(areas.details) {
                    s.pane = Pane::Details;
                }
            }
            ScreenKind::Verdict {
                sel_target,
                pane,
                sel_finding,
                ..
            } => {
                if hit(areas.layers) {
                    *pane = VerdictPane::Targets;
                    let before = *sel_target;
                    pick(sel_target, areas.layers, 0, self.targets.len());
                    if before != *sel_target {
                        *sel_finding = 0;
                    }
                } else if hit(areas.files) {
                    *pane = VerdictPane::Findings;
                }
            }
            _ => {}
        }
    }

    // ---- helpers for views and keys ----

    fn current_filter(&self) -> Option<String> {
        match &self.screen()?.kind {
            ScreenKind::Repos { filter, .. } | ScreenKind::Images { filter, .. } => {
                Some(filter.clone())
            }
            ScreenKind::Image(s) => s.tree.as_ref().map(|t| t.text_filter().to_string()),
            _ => None,
        }
    }

    fn set_filter(&mut self, text: String) {
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        match &mut screen.kind {
            ScreenKind::Repos { filter, sel, .. } | ScreenKind::Images { filter, sel, .. } => {
                *filter = text;
                *sel = 0;
            }
            ScreenKind::Image(s) => {
                if let Some(t) = &mut s.tree {
                    t.set_text_filter(&text);
                    s.pane = Pane::Files;
                }
            }
            _ => {}
        }
    }

    /// The image row and manifests the current screen is about.
    pub fn current_root(&self) -> Option<(ImageRow, Arc<RootInfo>)> {
        match &self.screen()?.kind {
            ScreenKind::Images {
                rows,
                roots,
                sel,
                filter,
                ..
            } => {
                let visible = image_rows(rows, filter);
                let i = *visible.get(*sel)?;
                let row = rows.ready()?.get(i)?.clone();
                let info = roots.get(i)?.ready()?.clone();
                Some((row, info))
            }
            ScreenKind::Index {
                row,
                info: Load::Ready(info),
                ..
            } => Some((row.clone(), Arc::clone(info))),
            ScreenKind::Image(s) => Some((s.row.clone(), Arc::clone(&s.info))),
            ScreenKind::Verdict { row, info, .. } => Some((row.clone(), Arc::clone(info))),
            _ => None,
        }
    }

    fn copy_text(&self) -> Option<String> {
        match &self.screen()?.kind {
            ScreenKind::Repos { rows, sel, filter } => {
                let i = *repo_rows(rows, filter).get(*sel)?;
                Some(rows.ready()?.get(i)?.name.clone())
            }
            ScreenKind::Images {
                rows, sel, filter, ..
            } => {
                let i = *image_rows(rows, filter).get(*sel)?;
                Some(rows.ready()?.get(i)?.reference.clone())
            }
            ScreenKind::Index {
                info: Load::Ready(info),
                sel,
                ..
            } => {
                let rows = index_rows(info);
                let i = match rows.get(*sel)? {
                    IndexRow::Image(i) | IndexRow::Attestation(i) | IndexRow::Other(i) => *i,
                };
                Some(info.root.entries.get(i)?.digest.to_string())
            }
            ScreenKind::Image(s) => match (&s.pane, &s.tree) {
                (Pane::Files, Some(t)) => t.selected_id().map(|id| t.path_of(id)),
                _ => Some(s.digest.to_string()),
            },
            ScreenKind::Verdict {
                row,
                info,
                sel_target,
                sel_finding,
                pane,
            } => {
                let t = self.targets.get(*sel_target)?;
                let r = verdict_for(&self.images, &self.failed, &row.reference, info, t)?;
                match pane {
                    VerdictPane::Findings => {
                        let f = r.findings.get(*sel_finding)?;
                        f.fix.clone().or_else(|| f.path.clone())
                    }
                    VerdictPane::Targets => r
                        .findings
                        .iter()
                        .find_map(|f| f.fix.clone())
                        .or(r.predicted_error.clone()),
                }
            }
            _ => None,
        }
    }
}

/// Arrow, page and Enter keys on a list of `len` rows; returns the bind for the caller to act on.
fn move_sel(sel: &mut usize, len: usize, bind: Bind, page: usize) -> Option<Bind> {
    let max = len.saturating_sub(1);
    match bind {
        Bind::Down => *sel = (*sel + 1).min(max),
        Bind::Up => *sel = sel.saturating_sub(1),
        Bind::PageDown => *sel = (*sel + page).min(max),
        Bind::PageUp => *sel = sel.saturating_sub(page),
        Bind::Top => *sel = 0,
        Bind::Bottom => *sel = max,
        other => return Some(other),
    }
    None
}

fn image_key(s: &mut ImageScreen, bind: Bind, page: usize, target: &Target) {
    match bind {
        Bind::NextPane => {
            s.pane = match s.pane {
                Pane::Layers => Pane::Files,
                Pane::Files => Pane::Details,
                Pane::Details => Pane::Layers,
            }
        }
        Bind::PrevPane => {
            s.pane = match s.pane {
                Pane::Layers => Pane::Details,
                Pane::Files => Pane::Layers,
                Pane::Details => Pane::Files,
            }
        }
        Bind::ToggleView => {
            s.view = if s.view == View::Merged {
                View::Layer
            } else {
                View::Merged
            };
            rebuild_tree(s, target);
        }
        Bind::Sort => {
            if let Some(t) = &mut s.tree {
                t.set_sort(if t.sort() == SortBy::Name {
                    SortBy::Size
                } else {
                    SortBy::Name
                });
            }
        }
        Bind::OnlyNative | Bind::OnlyMismatches => {
            if let Some(t) = &mut s.tree {
                let want = if bind == Bind::OnlyNative {
                    Filter::OnlyNative
                } else {
                    Filter::OnlyMismatches
                };
                t.set_filter(if t.filter() == want {
                    Filter::All
                } else {
                    want
                });
                s.pane = Pane::Files;
            }
        }
        Bind::ExpandAll | Bind::CollapseAll => {
            if let Some(t) = &mut s.tree {
                t.set_all_expanded(bind == Bind::ExpandAll);
            }
        }
        _ => match s.pane {
            Pane::Layers => {
                let n = s.image.ready().map_or(0, |i| i.layers.len());
                let before = s.layer;
                let b = match bind {
                    Bind::Left => Bind::Up,
                    Bind::Right => Bind::Down,
                    b => b,
                };
                if move_sel(&mut s.layer, n, b, page) == Some(Bind::Enter) {
                    s.pane = Pane::Files;
                }
                if before != s.layer {
                    rebuild_tree(s, target);
                }
            }
            Pane::Files => {
                let Some(t) = &mut s.tree else { return };
                match bind {
                    Bind::Down => t.move_by(1),
                    Bind::Up => t.move_by(-1),
                    Bind::PageDown => t.move_by(page as isize),
                    Bind::PageUp => t.move_by(-(page as isize)),
                    Bind::Top => t.select_first(),
                    Bind::Bottom => t.select_last(),
                    Bind::Right => t.expand(),
                    Bind::Left => t.collapse(),
                    Bind::Enter => t.toggle(),
                    _ => {}
                }
                s.detail_scroll = 0;
            }
            Pane::Details => match bind {
                Bind::Down => s.detail_scroll = s.detail_scroll.saturating_add(1),
                Bind::Up => s.detail_scroll = s.detail_scroll.saturating_sub(1),
                Bind::PageDown => s.detail_scroll = s.detail_scroll.saturating_add(page as u16),
                Bind::PageUp => s.detail_scroll = s.detail_scroll.saturating_sub(page as u16),
                Bind::Top => s.detail_scroll = 0,
                _ => {}
            },
        },
    }
}

/// The tree of a freshly read image: the top layer selected, and the file behind the first
/// finding (or a requested path) revealed, so the cause is on screen at once.
fn first_tree(
    s: &mut ImageScreen,
    target: &Target,
    built: Option<Box<Tree>>,
    verdicts: &mut HashMap<(Digest, String), TargetResult>,
) {
    let Load::Ready(img) = &s.image else { return };
    s.layer = img.layers.len().saturating_sub(1);
    let mut tree = match built {
        Some(t) if s.view == View::Merged => *t,
        _ => Tree::of_image(img, s.view, s.layer),
    };
    tree.set_target(Some(target.platform.clone()));
    // The verdict is kept for the views, so a big image is evaluated once.
    let key = (s.digest.clone(), target.name.clone());
    if !verdicts.contains_key(&key)
        && let Some(r) = image_verdict(target, s)
    {
        verdicts.insert(key.clone(), r);
    }
    let culprit = s.reveal.take().or_else(|| {
        verdicts
            .get(&key)?
            .findings
            .iter()
            .filter(|f| f.severity >= verdict::Severity::Warning)
            .find_map(|f| {
                f.path
                    .as_deref()
                    .map(|p| p.split('!').next().unwrap_or(p).to_string())
            })
    });
    if let Some(p) = culprit {
        tree.reveal(&p);
    }
    s.tree = Some(tree);
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

/// Rebuilds the tree for the selected view and layer, keeping sort, filters and selection.
fn rebuild_tree(s: &mut ImageScreen, target: &Target) {
    let Load::Ready(img) = &s.image else { return };
    let old = s.tree.take();
    let mut t = Tree::of_image(img, s.view, s.layer);
    t.set_target(Some(target.platform.clone()));
    if let Some(o) = old {
        t.set_sort(o.sort());
        t.set_filter(o.filter());
        t.set_text_filter(o.text_filter());
        if let Some(id) = o.selected_id() {
            t.reveal(&o.path_of(id));
        }
    }
    s.tree = Some(t);
}

/// Repository rows passing the filter (indices into the list).
pub fn repo_rows(rows: &Load<Vec<RepoRow>>, filter: &str) -> Vec<usize> {
    let f = filter.to_lowercase();
    rows.ready().map_or_else(Vec::new, |v| {
        v.iter()
            .enumerate()
            .filter(|(_, r)| r.name.to_lowercase().contains(&f))
            .map(|(i, _)| i)
            .collect()
    })
}

/// Image rows passing the filter (any tag or the digest contains it).
pub fn image_rows(rows: &Load<Vec<ImageRow>>, filter: &str) -> Vec<usize> {
    let f = filter.to_lowercase();
    rows.ready().map_or_else(Vec::new, |v| {
        v.iter()
            .enumerate()
            .filter(|(_, r)| {
                f.is_empty()
                    || r.tags.iter().any(|t| t.to_lowercase().contains(&f))
                    || r.digest
                        .as_ref()
                        .is_some_and(|d| d.to_string().contains(&f))
            })
            .map(|(i, _)| i)
            .collect()
    })
}

/// A row of the index screen: indices into `root.entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexRow {
    Image(usize),
    /// Shown right under its subject.
    Attestation(usize),
    Other(usize),
}

pub fn index_rows(info: &RootInfo) -> Vec<IndexRow> {
    let entries = &info.root.entries;
    let mut out = Vec::new();
    let mut placed = vec![false; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        if e.kind != EntryKind::Image {
            continue;
        }
        out.push(IndexRow::Image(i));
        placed[i] = true;
        let d = e.digest.to_string();
        for (j, a) in entries.iter().enumerate() {
            if a.kind == EntryKind::Attestation && a.subject.as_deref() == Some(d.as_str()) {
                out.push(IndexRow::Attestation(j));
                placed[j] = true;
            }
        }
    }
    for (i, e) in entries.iter().enumerate() {
        if !placed[i] {
            out.push(if e.kind == EntryKind::Attestation {
                IndexRow::Attestation(i)
            } else {
                IndexRow::Other(i)
            });
        }
    }
    out
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
fn short_reason(code: verdict::Code) -> &'static str {
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

#[cfg(test)]
pub(crate) mod fixture {
    //! Small hand-made images for the model tests (the screen tests use the real demo).
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::analyze::{Config, Layer, Root};
    use crate::detect::{Artifact, Details, ElfInfo, ElfType, Kind, Libc};
    use crate::oci::{Arch, media};
    use crate::scan::{self, Change, LayerScan, MergedFs, Node};
    use crate::ui::keymap::{self, Keymap};

    pub fn digest(s: &str) -> Digest {
        Digest::sha256_of(s.as_bytes())
    }

    pub fn elf(path: &str, arch: Arch) -> Artifact {
        Artifact {
            path: path.into(),
            container: None,
            kind: Kind::Elf,
            arch: Some(arch.clone()),
            libc: Some(Libc::Glibc),
            interpreter: None,
            details: Details::Elf(ElfInfo {
                class: 64,
                big_endian: false,
                machine: if arch.name == "arm64" { 183 } else { 62 },
                elf_type: ElfType::Executable,
                is_static: true,
                interpreter: None,
                needed: vec![],
                soname: None,
                min_glibc: None,
                ..ElfInfo::default()
            }),
        }
    }

    /// An image whose entrypoint `/app/server` is built for `arch`.
    pub fn image(name: &str, arch: Arch) -> Image {
        let layer = digest(&format!("{name}-layer"));
        let art = elf("/app/server", arch.clone());
        let file = |p: &str, kind: scan::EntryKind, size| scan::Entry {
            path: p.into(),
            kind,
            size,
            mode: 0o755,
        };
        let entries = vec![
            file("/app", scan::EntryKind::Dir, 0),
            file("/app/server", scan::EntryKind::File, 2_000_000),
            file("/etc/os-release", scan::EntryKind::File, 300),
        ];
        let mut nodes = BTreeMap::new();
        for e in &entries {
            nodes.insert(
                e.path.clone(),
                Node {
                    entry: e.clone(),
                    layer: 0,
                    history: vec![(0, Change::Added)],
                },
            );
        }
        let scan = LayerScan {
            entries,
            artifacts: vec![art.clone()],
            ..LayerScan::default()
        };
        Image {
            digest: digest(name),
            media_type: media::OCI_MANIFEST.into(),
            config_digest: digest(&format!("{name}-config")),
            config: Config {
                entrypoint: Some(vec!["/app/server".into()]),
                cmd: None,
                env: vec![],
                workdir: None,
                user: None,
                platform: Platform::linux(arch),
                layer_history: vec!["COPY server /app/server".into()],
            },
            layers: vec![Layer {
                digest: layer.clone(),
                media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                size: 900_000,
                created_by: Some("COPY server /app/server".into()),
                scan: Arc::new(scan),
            }],
            fs: MergedFs {
                layers: vec![layer],
                nodes,
                deleted: BTreeMap::new(),
                artifacts: vec![(0, art)],
                changes: vec![vec![]],
            },
        }
    }

    pub fn single(name: &str, arch: Arch) -> RootInfo {
        RootInfo {
            root: Root {
                digest: digest(name),
                media_type: media::OCI_MANIFEST.into(),
                is_index: false,
                entries: vec![Entry {
                    digest: digest(name),
                    media_type: media::OCI_MANIFEST.into(),
                    platform: None,
                    kind: EntryKind::Image,
                    subject: None,
                    size: 500,
                }],
            },
            config_platform: Some(Platform::linux(arch)),
            size: 900_000,
        }
    }

    /// An index of amd64 and arm64 images plus an attestation of the amd64 one.
    pub fn index(name: &str) -> RootInfo {
        let e = |n: &str, arch: Option<Arch>, kind, subject: Option<String>| Entry {
            digest: digest(n),
            media_type: media::OCI_MANIFEST.into(),
            platform: arch.map(Platform::linux),
            kind,
            subject,
            size: 600,
        };
        RootInfo {
            root: Root {
                digest: digest(name),
                media_type: media::OCI_INDEX.into(),
                is_index: true,
                entries: vec![
                    e(
                        &format!("{name}-amd64"),
                        Some(Arch::amd64()),
                        EntryKind::Image,
                        None,
                    ),
                    e(
                        &format!("{name}-arm64"),
                        Some(Arch::arm64()),
                        EntryKind::Image,
                        None,
                    ),
                    e(
                        &format!("{name}-att"),
                        Some(Arch::new("unknown", None)),
                        EntryKind::Attestation,
                        Some(digest(&format!("{name}-amd64")).to_string()),
                    ),
                ],
            },
            config_platform: None,
            size: 1_800_000,
        }
    }

    pub fn row(tag: &str) -> ImageRow {
        ImageRow {
            tags: vec![tag.into()],
            reference: format!("oci:demo:{tag}"),
            digest: Some(digest(tag)),
            pushed: None,
            size: None,
        }
    }

    /// Answers a request as a worker would, from the fixtures above.
    pub fn answer(req: &Request) -> Completion {
        let result = match &req.job {
            Job::Repositories => Ok(Output::Repositories(vec![RepoRow {
                name: "demo".into(),
                images: Some(2),
                last_push: None,
                created: None,
            }])),
            Job::Images { .. } => Ok(Output::Images(vec![row("mac-arm64"), row("good")])),
            Job::Root { row } if row.tags[0] == "good" => Ok(Output::Root(Arc::new(index("good")))),
            Job::Root { row } => Ok(Output::Root(Arc::new(single(&row.tags[0], Arch::arm64())))),
            Job::Analyze { digest: d, .. } => {
                let (name, arch) = [
                    ("mac-arm64", Arch::arm64()),
                    ("good-amd64", Arch::amd64()),
                    ("good-arm64", Arch::arm64()),
                ]
                .into_iter()
                .find(|(n, _)| &digest(n) == d)
                .unwrap_or(("unknown", Arch::amd64()));
                Ok(Output::Image(Arc::new(image(name, arch)), None))
            }
        };
        Completion { id: req.id, result }
    }

    pub fn app() -> App {
        let s = keymap::load(None, false);
        let _ = Keymap::default_map();
        App::new(
            Origin {
                source: "oci:demo".into(),
                ..Origin::default()
            },
            s.keymap,
            s.theme,
            crate::verdict::target::lookup("apprunner").unwrap(),
        )
    }

    /// Runs every requested job at once and feeds the answers back, until quiet.
    pub fn pump(app: &mut App, mut fx: Vec<Effect>) {
        while !fx.is_empty() {
            let mut next = Vec::new();
            for e in fx {
                if let Effect::Submit(r) = e {
                    next.extend(app.update(Action::Done(answer(&r))));
                }
            }
            fx = next;
        }
    }

    pub fn key(app: &mut App, k: &str) {
        let fx = app.update(Action::Key(KeyPress::parse(k).unwrap()));
        pump(app, fx);
    }

    pub fn keys(app: &mut App, ks: &[&str]) {
        for k in ks {
            key(app, k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    fn kind(app: &App) -> &ScreenKind {
        &app.screen().unwrap().kind
    }

    #[test]
    fn navigation_stack_enter_and_back() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        assert!(
            matches!(kind(&app), ScreenKind::Repos { rows: Load::Ready(r), .. } if r.len() == 1)
        );
        key(&mut app, "Enter");
        let ScreenKind::Images { roots, .. } = kind(&app) else {
            panic!("not images")
        };
        assert_eq!(roots.len(), 2);
        assert!(roots.iter().all(|r| r.ready().is_some()));
        key(&mut app, "Enter"); // mac-arm64: a single image goes straight to its files
        let ScreenKind::Image(s) = kind(&app) else {
            panic!("not image")
        };
        assert!(s.tree.is_some());
        key(&mut app, "Esc");
        key(&mut app, "j");
        key(&mut app, "Enter"); // good: an index
        assert!(matches!(kind(&app), ScreenKind::Index { .. }));
        assert_eq!(app.stack.len(), 3);
        key(&mut app, "Backspace");
        key(&mut app, "Esc");
        assert!(matches!(kind(&app), ScreenKind::Repos { .. }));
        key(&mut app, "Esc"); // the first screen stays
        assert_eq!(app.stack.len(), 1);
        // In lists, l opens and h goes back.
        key(&mut app, "l");
        assert!(matches!(kind(&app), ScreenKind::Images { .. }));
        key(&mut app, "h");
        assert!(matches!(kind(&app), ScreenKind::Repos { .. }));
    }

    #[test]
    fn badges_come_from_manifests_then_files_and_follow_the_target() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        let (_, info) = app.current_root().unwrap();
        let b = badge(&app, &info, &app.target);
        assert_eq!(
            (b.verdict, b.from_manifest, b.settled, b.note.as_str()),
            (Verdict::Fail, true, false, "labelled arm64")
        );
        // `:target graviton` switches every badge.
        keys(
            &mut app,
            &[
                ":", "t", "a", "r", "g", "e", "t", " ", "g", "r", "a", "v", "i", "t", "o", "n",
                "Enter",
            ],
        );
        assert_eq!(app.target.name, "graviton");
        let b = badge(&app, &info, &app.target);
        assert_eq!(b.verdict, Verdict::Pass);
        // Opening the image reads its files: the badge now comes from them.
        key(&mut app, "Enter");
        key(&mut app, "Esc");
        let b = badge(&app, &info, &app.target);
        assert_eq!((b.verdict, b.from_manifest), (Verdict::Pass, false));
        // The picker: `t`, down to fargate (second), Enter.
        keys(&mut app, &["t", "g", "j", "Enter"]);
        assert_eq!(app.target.name, "fargate");
        let b = badge(&app, &info, &app.target);
        assert_eq!((b.verdict, b.from_manifest), (Verdict::Fail, false));
    }

    /// Presses Enter on the selected image and returns its analysis request, unanswered.
    fn open_without_answer(app: &mut App) -> Request {
        let fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
        fx.iter()
            .find_map(|e| match e {
                Effect::Submit(r) if matches!(r.job, Job::Analyze { .. }) => Some(r.clone()),
                _ => None,
            })
            .expect("an analysis request")
    }

    #[test]
    fn results_for_a_screen_left_are_dropped_and_its_work_cancelled() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        // Open the image but do not answer the analysis yet.
        let req = open_without_answer(&mut app);
        assert!(app.busy());
        key(&mut app, "Esc");
        assert!(
            req.cancel.load(Ordering::Relaxed),
            "leaving the screen cancels its work"
        );
        let depth = app.stack.len();
        app.update(Action::Done(answer(&req)));
        assert!(app.images.is_empty(), "a late result is dropped");
        assert_eq!(app.stack.len(), depth);
        assert!(!app.busy());
    }

    #[test]
    fn verdict_finding_jumps_to_the_file_in_the_tree() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        keys(&mut app, &["Enter", "v"]);
        let ScreenKind::Verdict {
            row,
            info,
            sel_target,
            ..
        } = kind(&app)
        else {
            panic!("not verdict")
        };
        assert_eq!(app.targets[*sel_target].name, "apprunner");
        let r = verdict_for(
            &app.images,
            &app.failed,
            &row.reference,
            info,
            &app.targets[*sel_target],
        )
        .unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        let first = r.findings.first().unwrap();
        assert_eq!(first.path.as_deref(), Some("/app/server"));
        keys(&mut app, &["Tab", "Enter"]);
        let ScreenKind::Image(s) = kind(&app) else {
            panic!("not image")
        };
        let t = s.tree.as_ref().unwrap();
        assert_eq!(t.path_of(t.selected_id().unwrap()), "/app/server");
        assert_eq!(s.pane, Pane::Files);
    }

    #[test]
    fn index_lists_attestations_under_their_subject() {
        let info = index("good");
        let rows = index_rows(&info);
        assert_eq!(
            rows,
            [
                IndexRow::Image(0),
                IndexRow::Attestation(2),
                IndexRow::Image(1)
            ]
        );
    }

    #[test]
    fn filter_as_you_type_and_unknown_commands_are_explained() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        keys(&mut app, &["/", "g", "o"]);
        let ScreenKind::Images { rows, filter, .. } = kind(&app) else {
            panic!()
        };
        assert_eq!(image_rows(rows, filter).len(), 1);
        key(&mut app, "Esc");
        let ScreenKind::Images { rows, filter, .. } = kind(&app) else {
            panic!()
        };
        assert_eq!(image_rows(rows, filter).len(), 2);
        keys(&mut app, &[":", "f", "l", "y", "Enter"]);
        let (level, msg) = app.status.clone().unwrap();
        assert_eq!(level, Level::Error);
        assert!(msg.contains(":target graviton"), "{msg}");
        keys(&mut app, &[":", "t", " ", "s", "3", "9", "0", "Enter"]);
        assert!(app.status.as_ref().unwrap().1.contains("unknown target"));
        keys(
            &mut app,
            &[
                ":", "t", " ", "l", "i", "n", "u", "x", "/", "s", "3", "9", "0", "x", "Enter",
            ],
        );
        assert_eq!(app.target.platform.to_string(), "linux/s390x");
        assert!(app.targets.iter().any(|t| t.name == "linux/s390x"));
    }

    #[test]
    fn mouse_click_selects_the_row_and_wheel_scrolls() {
        let mut app = app();
        app.update(Action::Resize(80, 24));
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        // Header line, block border, table header: the second image row is at y = 4.
        app.update(Action::Mouse(Mouse::Click { x: 10, y: 4 }));
        let ScreenKind::Images { sel, .. } = kind(&app) else {
            panic!()
        };
        assert_eq!(*sel, 1);
        app.update(Action::Mouse(Mouse::ScrollUp));
        let ScreenKind::Images { sel, .. } = kind(&app) else {
            panic!()
        };
        assert_eq!(*sel, 0);
        // On the image screen a click in the files pane focuses it.
        key(&mut app, "Enter");
        key(&mut app, "Tab");
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.pane, Pane::Details);
        app.update(Action::Mouse(Mouse::Click { x: 60, y: 6 }));
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.pane, Pane::Files);
    }

    #[test]
    fn copy_gives_the_fix_and_reload_reads_again() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        keys(&mut app, &["Enter", "v", "Tab"]);
        let fx = app.update(Action::Key(KeyPress::parse("y").unwrap()));
        let copied = fx.iter().find_map(|e| match e {
            Effect::Copy(t) => Some(t.clone()),
            _ => None,
        });
        assert!(
            copied
                .as_deref()
                .is_some_and(|t| t.contains("--platform linux/amd64")),
            "{copied:?}"
        );
        keys(&mut app, &["Esc", "Enter"]);
        assert!(matches!(kind(&app), ScreenKind::Image(_)));
        let fx = app.update(Action::Key(KeyPress::parse("r").unwrap()));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::Submit(r) if matches!(r.job, Job::Analyze { .. }))),
            "r reads the image again"
        );
        pump(&mut app, fx);
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        assert!(s.tree.is_some());
        assert_eq!(app.stack.len(), 3);
    }

    #[test]
    fn going_back_into_an_image_keeps_its_tree() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        keys(&mut app, &["Enter", "Enter", "g", "m"]);
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        let before = s.tree.as_ref().map(|t| (t.filter(), t.selected_id()));
        keys(&mut app, &["Esc", "Enter"]);
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        let after = s.tree.as_ref().map(|t| (t.filter(), t.selected_id()));
        assert_eq!(before, after);
        assert_eq!(after.map(|a| a.0), Some(Filter::OnlyMismatches));
    }

    #[test]
    fn long_work_shows_a_gauge_and_a_spinner() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        let req = open_without_answer(&mut app);
        req.progress.layers_total.store(4, Ordering::Relaxed);
        req.progress.layers_done.store(1, Ordering::Relaxed);
        req.progress.bytes_total.store(2_000_000, Ordering::Relaxed);
        req.progress.bytes_read.store(500_000, Ordering::Relaxed);
        app.update(Action::Tick);
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::ui::view::draw(f, &app)).unwrap();
        let buf = t.backend().buffer();
        let text: String = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        assert!(
            text.contains("reading layers 1/4  500.0 kB of 2.0 MB"),
            "{text}"
        );
        assert!(
            text.lines()
                .next()
                .is_some_and(|l| l.trim_end().ends_with('/')),
            "{text}"
        );
    }

    #[test]
    fn quit_from_anywhere() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "?");
        assert!(app.overlay.is_some());
        let fx = app.update(Action::Key(KeyPress::parse("q").unwrap()));
        assert!(fx.iter().any(|e| matches!(e, Effect::Quit)));
    }
}
