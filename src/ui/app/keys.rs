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
                }
            }
            Bind::Reload => self.reload(fx),
            Bind::CheckAll => self.check_all(fx),
            other => self.screen_key(other, fx),
        }
    }

    pub(super) fn input_key(&mut self, k: KeyPress, fx: &mut Vec<Effect>) {
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
            (
                Overlay::Help { scroll } | Overlay::Explain { scroll } | Overlay::Config { scroll },
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
        }
    }

    pub(super) fn copy_text(&self) -> Option<String> {
        match &self.screen()?.kind {
            ScreenKind::Repos(s) => s.copy_text(),
            ScreenKind::Images(s) => s.copy_text(),
            ScreenKind::Index(s) => s.copy_text(),
            ScreenKind::Image(s) => s.copy_text(),
            ScreenKind::Verdict(s) => s.copy_text(self.verdict_of(&s.info, s.sel_target)?),
        }
    }
}
