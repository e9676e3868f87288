//! Keys and mouse: what a key press does on the current screen, overlay or input line.

use std::sync::Arc;

use super::*;
use crate::ui::keymap::{Bind, KeyCode, KeyPress};

impl App {
    pub(super) fn page(&self) -> usize {
        (self.size.1 as usize)
            .saturating_sub(8)
            .clamp(1, DEFAULT_PAGE * 10)
    }

    pub(super) fn key(&mut self, k: KeyPress, fx: &mut Vec<Effect>) {
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
                let sel = self.target_pos();
                self.overlay = Some(Overlay::Targets { sel });
            }
            Bind::Command => {
                let mut i = Input::new(InputKind::Command, String::new());
                i.hint = super::command::hint();
                self.input = Some(i);
            }
            Bind::Filter => match self.current_filter() {
                Some(text) => self.input = Some(Input::new(InputKind::Filter, text)),
                None => {
                    self.status = Some((Level::Info, "nothing to filter on this screen".into()))
                }
            },
            Bind::Back if self.cancel_diff_pick() => {}
            // Esc first undoes the filter, as in k9s; only an unfiltered screen is left.
            Bind::Back if self.current_filter().is_some_and(|f| !f.is_empty()) => {
                self.set_filter(String::new());
                self.status = Some((Level::Info, "filter cleared; Esc again goes back".into()));
            }
            Bind::Back => self.pop(),
            Bind::Explain => {
                if self.current_root().is_some() {
                    self.overlay = Some(Overlay::Explain { scroll: 0 });
                } else if matches!(self.screen().map(|s| &s.kind), Some(ScreenKind::Repos(_))) {
                    self.status = Some((
                        Level::Info,
                        "e explains why an image runs or fails on the target: open a repository (Enter), then pick an image".into(),
                    ));
                } else {
                    self.status = Some((
                        Level::Info,
                        "select an image first: Explain talks about one image".into(),
                    ));
                }
            }
            Bind::Config => {
                if matches!(self.screen().map(|s| &s.kind), Some(ScreenKind::Image(_))) {
                    self.overlay = Some(Overlay::Config { scroll: 0 });
                } else {
                    self.status = Some((
                        Level::Info,
                        "the config belongs to one image: open an image (Enter) first".into(),
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
                } else if matches!(self.screen().map(|s| &s.kind), Some(ScreenKind::Diff(_))) {
                    self.status = Some((
                        Level::Info,
                        "no command to copy: an entry here has no platform, and `archlens diff` names entries by platform".into(),
                    ));
                }
            }
            Bind::Reload => self.reload(fx),
            Bind::CheckAll => self.check_all(fx),
            Bind::Enter if self.open_viewer(fx) => {}
            other => self.screen_key(other, fx),
        }
    }

    pub(super) fn input_key(&mut self, k: KeyPress, fx: &mut Vec<Effect>) {
        let Some(input) = &mut self.input else { return };
        let command = input.kind == InputKind::Command;
        if k.code != KeyCode::Tab {
            input.cycle.clear();
        }
        match k.code {
            KeyCode::Esc => {
                let kind = input.kind;
                self.input = None;
                if kind == InputKind::Filter {
                    self.set_filter(String::new());
                }
            }
            KeyCode::Enter => {
                let text = input.text.trim().to_string();
                let kind = input.kind;
                self.input = None;
                if kind == InputKind::Command {
                    // Only commands that exist are kept: a typo is not worth recalling.
                    let known = super::command::is_known(&text);
                    if known && self.history.push(&text) {
                        fx.push(Effect::SaveHistory(self.history.clone()));
                    }
                    self.command(&text, fx);
                }
            }
            KeyCode::Up | KeyCode::Down if command => {
                let n = self.history.entries().len();
                let pos = match (k.code, input.hist) {
                    (KeyCode::Up, None) if n > 0 => {
                        input.draft = input.text.clone();
                        Some(n - 1)
                    }
                    (KeyCode::Up, Some(p)) => Some(p.saturating_sub(1)),
                    (KeyCode::Down, Some(p)) if p + 1 < n => Some(p + 1),
                    _ => None,
                };
                match pos.and_then(|p| Some((p, self.history.entries().get(p)?))) {
                    Some((p, e)) => {
                        input.text = e.clone();
                        input.hist = Some(p);
                    }
                    // Down past the newest: back to what was being typed.
                    None if input.hist.is_some() => {
                        input.text = std::mem::take(&mut input.draft);
                        input.hist = None;
                    }
                    None => {}
                }
            }
            KeyCode::Tab if command => self.complete_input(),
            KeyCode::Backspace => {
                input.text.pop();
                input.hist = None;
                if input.kind == InputKind::Filter {
                    let t = input.text.clone();
                    self.set_filter(t);
                }
            }
            KeyCode::Char(c) if !k.ctrl && !c.is_control() => {
                input.text.push(c);
                input.hist = None;
                if input.kind == InputKind::Filter {
                    let t = input.text.clone();
                    self.set_filter(t);
                }
            }
            _ => {}
        }
    }

    /// Tab on the `:` line: one candidate is taken; several are extended to what they share,
    /// then Tab again steps through them, all named on the hint line.
    fn complete_input(&mut self) {
        let all = match &self.input {
            Some(i) if !i.cycle.is_empty() => i.cycle.clone(),
            Some(i) => super::command::candidates(self, &i.text),
            None => return,
        };
        let Some(input) = &mut self.input else { return };
        if !input.cycle.is_empty() {
            let at = all
                .iter()
                .position(|c| *c == input.text)
                .map_or(0, |p| p + 1);
            input.text = all.get(at % all.len()).cloned().unwrap_or_default();
            return;
        }
        match all.as_slice() {
            [] => input.hint = "   nothing to complete here".into(),
            [one] => {
                input.text = one.clone();
                input.hint = String::new();
            }
            many => {
                let shared = super::command::common_prefix(many);
                if shared.len() > input.text.len() {
                    input.text = shared;
                } else {
                    input.cycle = many.to_vec();
                    input.text = many[0].clone();
                }
                let last_words: Vec<&str> = many
                    .iter()
                    .map(|c| c.rsplit([' ', '/']).find(|w| !w.is_empty()).unwrap_or(c))
                    .collect();
                input.hint = format!("   {}", last_words.join("  "));
            }
        }
    }

    pub(super) fn overlay_key(&mut self, bind: Option<Bind>, fx: &mut Vec<Effect>) {
        let Some(overlay) = &mut self.overlay else {
            return;
        };
        let n = self.targets.len();
        match (overlay, bind) {
            (_, Some(Bind::Quit)) => self.quit = true,
            (_, Some(Bind::Back)) => self.overlay = None,
            (Overlay::Help { .. }, Some(Bind::Help))
            | (Overlay::Explain { .. }, Some(Bind::Explain))
            | (Overlay::Config { .. }, Some(Bind::Config)) => self.overlay = None,
            (Overlay::Viewer { .. }, Some(Bind::Copy)) => {
                if let Some(v) = &self.viewer {
                    let path = v.path.clone();
                    self.status = Some((
                        Level::Info,
                        format!("copied {} (OSC 52)", crate::text::sanitize(&path)),
                    ));
                    fx.push(Effect::Copy(path));
                }
            }
            (
                Overlay::Help { scroll }
                | Overlay::Explain { scroll }
                | Overlay::Config { scroll }
                | Overlay::Viewer { scroll },
                Some(b),
            ) => match b {
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

    /// Enter on a regular file (or a hard link to one) in the Files pane: its first bytes,
    /// read in the background from the layer that last wrote it. False when there is none.
    fn open_viewer(&mut self, fx: &mut Vec<Effect>) -> bool {
        let Some(screen) = self.stack.last() else {
            return false;
        };
        let ScreenKind::Image(s) = &screen.kind else {
            return false;
        };
        let (Pane::Files, Load::Ready(img), Some(tree)) = (s.pane, &s.image, &s.tree) else {
            return false;
        };
        let Some(id) = tree.selected_id() else {
            return false;
        };
        let Some(node) = tree.node(id).filter(|n| {
            matches!(
                n.kind,
                crate::ui::tree::NodeKind::File | crate::ui::tree::NodeKind::Hardlink(_)
            )
        }) else {
            return false;
        };
        let Some(layer) = img.layers.get(node.layer) else {
            return false;
        };
        let path = tree.path_of(id);
        let job = Job::ReadFile(ReadFile {
            row: s.row.clone(),
            layer: layer.digest.clone(),
            size: layer.size,
            path: path.clone(),
        });
        let owner = screen.id;
        let content = self.request(owner, job, fx);
        self.viewer = Some(Viewer { path, content });
        self.overlay = Some(Overlay::Viewer { scroll: 0 });
        true
    }

    /// Esc while the diff picker has an A: forgets it, stays on the index.
    fn cancel_diff_pick(&mut self) -> bool {
        if let Some(ScreenKind::Index(s)) = self.stack.last_mut().map(|s| &mut s.kind)
            && s.diff_a.take().is_some()
        {
            self.status = Some((Level::Info, "diff cancelled".into()));
            return true;
        }
        false
    }

    pub(super) fn key_bind(&mut self, b: Bind, fx: &mut Vec<Effect>) {
        if let Some(k) = self.keymap.keys(b).first().copied() {
            self.key(k, fx);
        }
    }

    pub(super) fn screen_key(&mut self, bind: Bind, fx: &mut Vec<Effect>) {
        let page = self.page();
        // How many findings each target's verdict has, for the verdict screen's selection.
        let counts: Vec<usize> = match self.stack.last().map(|s| &s.kind) {
            Some(ScreenKind::Verdict(v)) => (0..self.targets.len())
                .map(|t| self.verdict_of(&v.info, t).map_or(0, |r| r.findings.len()))
                .collect(),
            _ => Vec::new(),
        };
        let n_targets = self.targets.len();
        // The diff page scrolls by its rows as the view wraps them at this width.
        let diff_max = match self.stack.last().map(|s| &s.kind) {
            Some(ScreenKind::Diff(d)) => crate::ui::view::diff_scroll_limit(self, d),
            _ => 0,
        };
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        let nav = match &mut screen.kind {
            ScreenKind::Repos(s) => s.key(bind, page),
            ScreenKind::Images(s) => s.key(bind, page),
            ScreenKind::Index(s) => s.key(bind, page),
            ScreenKind::Image(s) => {
                s.key(bind, page);
                None
            }
            ScreenKind::Verdict(s) => s.key(bind, page, n_targets, |t| {
                counts.get(t).copied().unwrap_or(0)
            }),
            ScreenKind::Diff(s) => s.key(bind, page, diff_max),
        };
        match nav {
            None => {}
            Some(Nav::Back) => self.pop(),
            Some(Nav::OpenImages(name)) => self.push_images(name, fx),
            Some(Nav::OpenIndex(row, info)) => self.push_index(row, info, fx),
            Some(Nav::OpenEntry(row, info, entry)) => {
                let pos = self.stack.len();
                let platform = entry.platform.clone();
                self.push_image_at(pos, row, info, &entry, platform, fx);
            }
            Some(Nav::OpenDiff(row, info, pair)) => self.push_diff(row, info, *pair, fx),
            Some(Nav::JumpToFinding { target, finding }) => {
                if let Some(ScreenKind::Verdict(s)) = self.screen().map(|s| &s.kind) {
                    let (row, info) = (s.row.clone(), Arc::clone(&s.info));
                    self.jump_to_finding(row, info, target, finding, fx);
                }
            }
            Some(Nav::Info(msg)) => self.status = Some((Level::Info, msg.into())),
            Some(Nav::Refused(msg)) => self.status = Some((Level::Error, msg)),
        }
    }

    pub(super) fn mouse(&mut self, m: Mouse) {
        let bind = match m {
            Mouse::ScrollUp => Bind::Up,
            Mouse::ScrollDown => Bind::Down,
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

    /// Focuses a pane of the current screen (a click in it).
    pub(super) fn focus(&mut self, f: Focus) {
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        match (&mut screen.kind, f) {
            (ScreenKind::Image(s), Focus::Image(p)) => s.pane = p,
            (ScreenKind::Verdict(s), Focus::Verdict(p)) => s.pane = p,
            _ => {}
        }
    }

    /// Selects row `n` of the current list or focused pane (a click on it).
    pub(super) fn select_row(&mut self, n: usize) {
        let n_targets = self.targets.len();
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        match &mut screen.kind {
            ScreenKind::Repos(s) => s.list.select(n),
            ScreenKind::Images(s) => s.list.select(n),
            ScreenKind::Index(s) => s.select(n),
            ScreenKind::Image(s) => s.select_row(n),
            ScreenKind::Verdict(s) => s.select_row(n, n_targets),
            ScreenKind::Diff(_) => {}
        }
    }

    pub(super) fn copy_text(&self) -> Option<String> {
        match &self.screen()?.kind {
            ScreenKind::Repos(s) => s.copy_text(),
            ScreenKind::Images(s) => s.copy_text(),
            ScreenKind::Index(s) => s.copy_text(),
            ScreenKind::Image(s) => s.copy_text(),
            ScreenKind::Verdict(s) => s.copy_text(self.verdict_of(&s.info, s.sel_target)?),
            ScreenKind::Diff(s) => s.copy_text(),
        }
    }
}
