//! The UI state: the navigation stack of screens, overlays, input and the shared caches.

use std::collections::HashMap;
use std::sync::Arc;

use super::requests::Pending;
use super::verdicts::Verdicts;
use super::*;
use crate::analyze::{Image, Progress};
use crate::catalog::{ImageRow, RootInfo};
use crate::oci::Digest;
use crate::ui::keymap::{Keymap, Theme};
use crate::ui::tree::Tree;
use crate::verdict::{self, Target};

/// One screen of the navigation stack.
#[derive(Debug, Clone)]
pub struct Screen {
    pub id: u64,
    pub kind: ScreenKind,
}

/// One page of the stack; each owns its keys, selection and copy text (see `ui::screen`).
#[derive(Debug, Clone)]
pub enum ScreenKind {
    Repos(ReposScreen),
    Images(ImagesScreen),
    Index(IndexScreen),
    Image(Box<ImageScreen>),
    Verdict(VerdictScreen),
    Diff(Box<DiffScreen>),
}

impl ScreenKind {
    /// Which kind of screen this is, for help and footers.
    pub fn place(&self) -> crate::ui::keymap::Place {
        use crate::ui::keymap::Place;
        match self {
            ScreenKind::Repos(_) => Place::Repos,
            ScreenKind::Images(_) => Place::Images,
            ScreenKind::Index(_) => Place::Index,
            ScreenKind::Image(_) => Place::Image,
            ScreenKind::Verdict(_) => Place::Verdict,
            ScreenKind::Diff(_) => Place::Diff,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    Targets {
        sel: usize,
    },
    Explain {
        scroll: u16,
    },
    /// The image's config and history, over the image screen.
    Config {
        scroll: u16,
    },
    /// The first bytes of a file (its content is in [`App::viewer`]).
    Viewer {
        scroll: u16,
    },
}

/// The file the viewer shows, and its bytes once read.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub path: String,
    pub content: Load<Arc<Vec<u8>>>,
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
    /// Up/Down: the history entry shown, and what was typed before.
    pub(super) hist: Option<usize>,
    pub(super) draft: String,
    /// Tab: the candidates being cycled through (empty when none).
    pub(super) cycle: Vec<String>,
    /// A muted line after the text: the candidates, or what the line takes.
    pub hint: String,
}

impl Input {
    pub fn new(kind: InputKind, text: String) -> Input {
        Input {
            kind,
            text,
            hist: None,
            draft: String::new(),
            cycle: Vec::new(),
            hint: String::new(),
        }
    }
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
    /// Another account's ECR registry (`:registry ID`).
    pub registry: Option<String>,
    /// Images on local disk: reading their files is cheap, so list badges are settled from
    /// the files straight away instead of waiting for `c`.
    pub local: bool,
    /// Amazon ECR: image counts and last push come after the listing, and `:profile`,
    /// `:region` and `:registry` switch it in place.
    pub ecr: bool,
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
    /// The file viewer's content, while [`Overlay::Viewer`] is open.
    pub viewer: Option<Viewer>,
    /// The `:` commands run before, newest last (loaded and saved by the runner).
    pub history: crate::ui::history::History,
    pub status: Option<(Level, String)>,
    pub size: (u16, u16),
    pub tick: u64,
    pub images: HashMap<Digest, Arc<Image>>,
    pub failed: HashMap<Digest, String>,
    /// Every verdict computed so far (see `verdicts`).
    pub(super) verdicts: Verdicts,
    /// What the automatic check may still download (see `auto`).
    pub(super) auto: super::auto::AutoBudget,
    pub(super) pending: HashMap<u64, Pending>,
    /// A status line that announces background work; it goes once nothing is pending.
    pub(super) announced: Option<String>,
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
            viewer: None,
            history: Default::default(),
            status: None,
            size: (80, 24),
            tick: 0,
            images: HashMap::new(),
            failed: HashMap::new(),
            verdicts: Verdicts::default(),
            auto: Default::default(),
            pending: HashMap::new(),
            announced: None,
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
        let load = self.request(id, Job::Repositories(LoadRepositories::default()), &mut fx);
        self.stack.push(Screen {
            id,
            kind: ScreenKind::Repos(ReposScreen::new(load)),
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

    /// Shows `text` as the status until the work it announces is done.
    pub(super) fn announce(&mut self, text: String) {
        self.status = Some((Level::Info, text.clone()));
        self.announced = Some(text);
    }

    /// Clears an announcement once no request is pending; any other status stays.
    fn settle_status(&mut self) {
        if self.announced.is_some() && self.pending.is_empty() {
            if self.status.as_ref().map(|(_, t)| t) == self.announced.as_ref() {
                self.status = None;
            }
            self.announced = None;
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        // Time passing changes no verdict: only the spinner and gauges move.
        let settles = !matches!(action, Action::Tick);
        match action {
            Action::Tick => self.tick = self.tick.wrapping_add(1),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Done(c) => self.complete(*c, &mut fx),
            Action::Notice(text) => {
                let text = crate::text::sanitize(&text);
                if text.starts_with("waiting for ") && !self.pending.is_empty() {
                    self.announce(text);
                } else if !text.starts_with("waiting for ") {
                    self.status = Some((Level::Info, text));
                }
            }
            Action::Key(k) => self.key(k, &mut fx),
            Action::Mouse(m) => self.mouse(m),
            Action::FocusPane(p) => self.focus(p),
            Action::SelectRow(n) => self.select_row(n),
        }
        if settles {
            self.refresh_results();
            self.auto_check(&mut fx);
            self.count_unread();
            self.settle_status();
        }
        if self.quit {
            fx.push(Effect::Quit);
        }
        fx
    }

    pub(super) fn current_filter(&self) -> Option<String> {
        self.current_pattern().map(|p| p.text().to_string())
    }

    /// The `/` filter of the current screen, when it has one.
    pub fn current_pattern(&self) -> Option<&crate::ui::filter::Pattern> {
        match &self.screen()?.kind {
            ScreenKind::Repos(s) => Some(s.list.pattern()),
            ScreenKind::Images(s) => Some(s.list.pattern()),
            ScreenKind::Index(s) => Some(s.pattern()),
            ScreenKind::Image(s) => s.tree.as_ref().map(|t| t.pattern()),
            ScreenKind::Verdict(_) | ScreenKind::Diff(_) => None,
        }
    }

    /// Sets the current screen's filter; a text that is no regex is said on the status line
    /// (it is then matched as written).
    pub(super) fn set_filter(&mut self, text: String) {
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        match &mut screen.kind {
            ScreenKind::Repos(s) => s.list.set_filter(&text),
            ScreenKind::Images(s) => s.list.set_filter(&text),
            ScreenKind::Index(s) => s.set_filter(&text),
            ScreenKind::Image(s) => {
                if let Some(t) = &mut s.tree {
                    t.set_text_filter(&text);
                    s.pane = Pane::Files;
                }
            }
            ScreenKind::Verdict(_) | ScreenKind::Diff(_) => {}
        }
        let why = self
            .current_pattern()
            .and_then(|p| p.error())
            .map(crate::text::sanitize);
        self.status = why.map(|w| {
            (
                Level::Error,
                format!("not a regex ({w}); matching the text as written"),
            )
        });
    }

    /// The image row and manifests the current screen is about.
    pub fn current_root(&self) -> Option<(ImageRow, Arc<RootInfo>)> {
        match &self.screen()?.kind {
            ScreenKind::Images(s) => s.current_root(),
            ScreenKind::Index(IndexScreen {
                row,
                info: Load::Ready(info),
                ..
            }) => Some((row.clone(), Arc::clone(info))),
            ScreenKind::Image(s) => Some((s.row.clone(), Arc::clone(&s.info))),
            ScreenKind::Verdict(s) => Some((s.row.clone(), Arc::clone(&s.info))),
            ScreenKind::Diff(s) => Some((s.row.clone(), Arc::clone(&s.info))),
            _ => None,
        }
    }
}
