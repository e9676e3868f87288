//! The UI state: the navigation stack of screens, overlays, input and the shared caches.

use std::collections::HashMap;
use std::sync::Arc;

use super::keys::*;
use super::requests::*;
use super::*;
use crate::analyze::{Image, Progress};
use crate::oci::{Digest, Platform};
use crate::ui::browse::{ImageRow, RepoRow, RootInfo};
use crate::ui::keymap::{Keymap, Theme};
use crate::ui::tree::{Tree, View};
use crate::verdict::{self, Target, TargetResult};

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
    pub(super) results: HashMap<(Digest, String), TargetResult>,
    /// Verdicts of single images (index entries) per target name, whatever the index picks.
    pub(super) entry_results: HashMap<(Digest, String), TargetResult>,
    pub(super) pending: HashMap<u64, Pending>,
    pub(super) next_id: u64,
    pub quit: bool,
    /// Open the only repository straight away (a local layout is one repository).
    pub enter_single_repo: bool,
    /// The merged tree of the last image screen left, with its image digest.
    pub(super) last_tree: Option<(Digest, Box<Tree>)>,
}

/// Rows a page key moves when the terminal size is not known yet.
pub(super) const DEFAULT_PAGE: usize = 10;

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
        let load = self.request(id, Job::Repositories(LoadRepositories), &mut fx);
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
        self.pending
            .values()
            .find(|p| p.analyzing.as_ref() == Some(digest))
            .map(|p| p.progress.as_ref())
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick => self.tick = self.tick.wrapping_add(1),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Done(c) => self.complete(c, &mut fx),
            Action::Key(k) => self.key(k, &mut fx),
            Action::Mouse(m) => self.mouse(m),
            Action::FocusPane(p) => self.focus(p),
            Action::SelectRow(n) => self.select_row(n),
        }
        self.refresh_results();
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    // ---- helpers for views and keys ----

    pub(super) fn current_filter(&self) -> Option<String> {
        match &self.screen()?.kind {
            ScreenKind::Repos { filter, .. } | ScreenKind::Images { filter, .. } => {
                Some(filter.clone())
            }
            ScreenKind::Image(s) => s.tree.as_ref().map(|t| t.text_filter().to_string()),
            _ => None,
        }
    }

    pub(super) fn set_filter(&mut self, text: String) {
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
}
