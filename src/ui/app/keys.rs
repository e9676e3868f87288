//! Keys and mouse: what a key press does on the current screen, overlay or input line.

use std::sync::Arc;

use super::verdicts::*;
use super::*;
use crate::oci::manifest::EntryKind;
use crate::ui::browse::{ImageRow, RepoRow, RootInfo};
use crate::ui::keymap::{Bind, KeyCode, KeyPress};
use crate::ui::tree::{Filter, SortBy, Tree, View};
use crate::verdict::Target;

impl App {
    // ---- keys ----

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

    pub(super) fn key_bind(&mut self, b: Bind, fx: &mut Vec<Effect>) {
        if let Some(k) = self.keymap.keys(b).first().copied() {
            self.key(k, fx);
        }
    }

    pub(super) fn screen_key(&mut self, bind: Bind, fx: &mut Vec<Effect>) {
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
            (ScreenKind::Verdict { pane, .. }, Focus::Verdict(p)) => *pane = p,
            _ => {}
        }
    }

    /// Selects row `n` of the current list or focused pane (a click on it).
    pub(super) fn select_row(&mut self, n: usize) {
        let Some(screen) = self.stack.last_mut() else {
            return;
        };
        match &mut screen.kind {
            ScreenKind::Repos { rows, sel, filter } => {
                if n < repo_rows(rows, filter).len() {
                    *sel = n;
                }
            }
            ScreenKind::Images {
                rows, sel, filter, ..
            } => {
                if n < image_rows(rows, filter).len() {
                    *sel = n;
                }
            }
            ScreenKind::Index {
                info: Load::Ready(info),
                sel,
                ..
            } => {
                if n < index_rows(info).len() {
                    *sel = n;
                }
            }
            ScreenKind::Image(s) => match s.pane {
                Pane::Layers => {
                    let layers = s.image.ready().map_or(0, |i| i.layers.len());
                    if n < layers && n != s.layer {
                        s.layer = n;
                        rebuild_tree(s, &self.target);
                    }
                }
                Pane::Files => {
                    if let Some(tree) = &mut s.tree {
                        tree.select_row(n);
                    }
                }
                Pane::Details => {}
            },
            ScreenKind::Verdict {
                sel_target,
                pane: VerdictPane::Targets,
                sel_finding,
                ..
            } => {
                if n < self.targets.len() && n != *sel_target {
                    *sel_target = n;
                    *sel_finding = 0;
                }
            }
            _ => {}
        }
    }

    pub(super) fn copy_text(&self) -> Option<String> {
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
pub(super) fn move_sel(sel: &mut usize, len: usize, bind: Bind, page: usize) -> Option<Bind> {
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

pub(super) fn image_key(s: &mut ImageScreen, bind: Bind, page: usize, target: &Target) {
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

/// Rebuilds the tree for the selected view and layer, keeping sort, filters and selection.
pub(super) fn rebuild_tree(s: &mut ImageScreen, target: &Target) {
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
