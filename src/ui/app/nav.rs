//! Moving through the stack of screens: push, pop, reload, and the target switch.

use std::sync::Arc;

use super::*;
use crate::analyze::Entry;
use crate::catalog::{ImageRow, RootInfo};
use crate::oci::{Digest, Platform};
use crate::ui::tree::View;
use crate::verdict::{self, Target};

impl App {
    pub(super) fn push(&mut self, kind: ScreenKind) -> u64 {
        let id = self.new_id();
        self.stack.push(Screen { id, kind });
        id
    }

    pub(super) fn pop(&mut self) {
        if self.stack.len() > 1
            && let Some(s) = self.stack.pop()
        {
            self.release(s.id);
            // Keep the merged tree of the image just left: going back in costs no rebuild.
            if let ScreenKind::Image(i) = s.kind
                && let (Some(mut tree), View::Merged) = (i.tree, i.view)
            {
                // A filter belongs to the screen it was typed on, not to the next visit.
                tree.set_text_filter("");
                self.last_tree = Some((i.digest, Box::new(tree)));
            }
        }
    }

    pub(super) fn push_index(
        &mut self,
        row: ImageRow,
        info: Option<Arc<RootInfo>>,
        fx: &mut Vec<Effect>,
    ) {
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
                self.push(ScreenKind::Index(IndexScreen::new(row, Load::Ready(info))));
            }
            None => {
                let id = self.push(ScreenKind::Index(IndexScreen::new(
                    row.clone(),
                    Load::Loading(0),
                )));
                let load = self.request(id, Job::Root(LoadRoot { row }), fx);
                if let Some(ScreenKind::Index(s)) = self.stack.last_mut().map(|s| &mut s.kind) {
                    s.info = load;
                }
            }
        }
    }

    pub(super) fn push_image_at(
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
        let mut screen = ImageScreen::new(row, info, entry, platform, image);
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
                Some(tree) => screen.resume_tree(*tree),
                None => screen.show_tree(None),
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

    pub(super) fn push_verdict(
        &mut self,
        row: ImageRow,
        info: Arc<RootInfo>,
        fx: &mut Vec<Effect>,
    ) {
        let sel_target = self.target_pos();
        let id = self.push(ScreenKind::Verdict(VerdictScreen::new(
            row.clone(),
            Arc::clone(&info),
            sel_target,
        )));
        self.want_verdict_images(id, &row, &info, fx);
    }

    /// Opens the diff page of two entries of an index and asks for both images.
    pub(super) fn push_diff(
        &mut self,
        row: ImageRow,
        info: Arc<RootInfo>,
        entries: [Entry; 2],
        fx: &mut Vec<Effect>,
    ) {
        let wanted: Vec<(Digest, String)> = entries
            .iter()
            .map(|e| (e.digest.clone(), e.media_type.clone()))
            .collect();
        let id = self.push(ScreenKind::Diff(Box::new(DiffScreen::new(
            row.clone(),
            info,
            entries,
        ))));
        let loads: Vec<_> = wanted
            .iter()
            .map(|(d, m)| self.want_image(id, &row, d, m, fx))
            .collect();
        let (images, failed) = (&self.images, &self.failed);
        if let Some(ScreenKind::Diff(s)) = self.stack.last_mut().map(|s| &mut s.kind) {
            for (slot, l) in s.images.iter_mut().zip(loads) {
                *slot = l;
            }
            s.arrived(images, failed);
        }
    }

    /// Requests every image some target would run.
    pub(super) fn want_verdict_images(
        &mut self,
        owner: u64,
        row: &ImageRow,
        info: &RootInfo,
        fx: &mut Vec<Effect>,
    ) {
        let mut wanted: Vec<(Digest, String)> = Vec::new();
        for t in &self.targets {
            if let Some(entry) = verdict::pulled_entry(&info.root, t)
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
    /// `:target -NAME`: drops a raw platform target added while running; the profiles stay,
    /// and the active target cannot go (switch first), so a verdict always has one.
    pub(super) fn remove_target(&mut self, name: &str) {
        let builtin = verdict::target::builtin().iter().any(|t| t.name == name);
        let msg = if builtin {
            (
                Level::Error,
                format!(
                    "{name} is a built-in profile; only platforms added with :target can be removed"
                ),
            )
        } else if self.target.name == name {
            (
                Level::Error,
                format!("{name} is the active target: pick another (t) before removing it"),
            )
        } else if let Some(pos) = self.targets.iter().position(|t| t.name == name) {
            self.targets.remove(pos);
            let active = self.target_pos();
            for s in &mut self.stack {
                if let ScreenKind::Verdict(v) = &mut s.kind {
                    v.sel_target = active;
                }
            }
            (Level::Info, format!("removed target {name}"))
        } else {
            (Level::Error, format!("no target {name}; t lists them"))
        };
        self.status = Some((msg.0, crate::text::sanitize(&msg.1)));
    }

    pub fn set_target(&mut self, t: Target, fx: &mut Vec<Effect>) {
        if !self.targets.iter().any(|x| x.name == t.name) {
            self.targets.push(t.clone());
        }
        self.target = t;
        let pos = self.target_pos();
        // Image screens' trees follow their new assessment in `refresh_results`.
        let mut verdicts = Vec::new();
        for s in &mut self.stack {
            if let ScreenKind::Verdict(v) = &mut s.kind {
                v.sel_target = pos;
                v.sel_finding = 0;
                verdicts.push((s.id, v.row.clone(), Arc::clone(&v.info)));
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

    pub(super) fn reload(&mut self, fx: &mut Vec<Effect>) {
        let Some(top) = self.stack.pop() else { return };
        self.verdicts.clear();
        self.release(top.id);
        match top.kind {
            ScreenKind::Repos(_) => {
                let mut more = self.open_repositories();
                fx.append(&mut more);
            }
            ScreenKind::Images(s) => self.push_images(s.repo, fx),
            ScreenKind::Index(s) => self.push_index(s.row, None, fx),
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
            ScreenKind::Verdict(s) => {
                for e in s.info.root.images() {
                    self.failed.remove(&e.digest);
                }
                self.push_verdict(s.row, s.info, fx)
            }
            ScreenKind::Diff(s) => {
                for e in &s.entries {
                    self.failed.remove(&e.digest);
                }
                self.push_diff(s.row, s.info, s.entries, fx)
            }
        }
        self.announce("reloading".into());
    }

    /// Reads the image that row `only` (or every row) of images screen `owner` would run on
    /// the active target, so its badge comes from the files. Returns how many were asked.
    pub(super) fn read_rows(
        &mut self,
        owner: u64,
        only: Option<usize>,
        fx: &mut Vec<Effect>,
    ) -> usize {
        let Some(ScreenKind::Images(list)) =
            self.stack.iter().find(|s| s.id == owner).map(|s| &s.kind)
        else {
            return 0;
        };
        let wanted: Vec<(ImageRow, Digest, String)> = list
            .loaded_roots()
            .into_iter()
            .filter(|(i, _, _)| only.is_none_or(|o| o == *i))
            .filter_map(|(_, row, info)| {
                let e = verdict::pulled_entry(&info.root, &self.target)?;
                Some((row, e.digest.clone(), e.media_type.clone()))
            })
            .collect();
        for (row, d, m) in &wanted {
            let _ = self.want_image(owner, row, d, m, fx);
        }
        wanted.len()
    }

    /// Reads the image each listed row would run on the target, so badges come from files.
    pub(super) fn check_all(&mut self, fx: &mut Vec<Effect>) {
        match self.stack.last() {
            Some(Screen {
                id,
                kind:
                    ScreenKind::Index(IndexScreen {
                        row,
                        info: Load::Ready(info),
                        ..
                    }),
            }) => {
                let (owner, row) = (*id, row.clone());
                let entries: Vec<Entry> = info.root.images().cloned().collect();
                for e in &entries {
                    let _ = self.want_image(owner, &row, &e.digest, &e.media_type, fx);
                }
                self.announce(format!(
                    "reading the files of {} platform images",
                    entries.len()
                ));
            }
            Some(Screen {
                id,
                kind: ScreenKind::Images(_),
            }) => {
                let n = self.read_rows(*id, None, fx);
                self.announce(format!(
                    "reading the files of {n} images for {}",
                    self.target.name
                ));
            }
            _ => {
                self.status = Some((
                    Level::Info,
                    "c reads every image of an images list or an index".into(),
                ))
            }
        }
    }

    pub(super) fn push_images(&mut self, repo: String, fx: &mut Vec<Effect>) {
        let id = self.push(ScreenKind::Images(ImagesScreen::new(
            repo.clone(),
            Load::Loading(0),
        )));
        let load = self.request(id, Job::Images(LoadImages { repository: repo }), fx);
        if let Some(ScreenKind::Images(s)) = self.stack.last_mut().map(|s| &mut s.kind) {
            s.list.rows = load;
        }
    }

    /// Enter on a finding: the image screen of the chosen image, with the file selected.
    pub(super) fn jump_to_finding(
        &mut self,
        row: ImageRow,
        info: Arc<RootInfo>,
        st: usize,
        sf: usize,
        fx: &mut Vec<Effect>,
    ) {
        // The image screen shows the active target: make it the one whose finding this is.
        if let Some(t) = self.targets.get(st).filter(|t| t.name != self.target.name) {
            let t = t.clone();
            self.set_target(t, fx);
        }
        let Some(result) = self.verdict_of(&info, st).cloned() else {
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
            s.reveal_file(file);
        }
    }
}
