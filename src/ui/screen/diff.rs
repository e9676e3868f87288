//! The diff page of an index: two platform entries compared by the core ([`crate::diff`]),
//! held here once both images are read; the view only draws it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Load, Nav};
use crate::analyze::{Entry, Image};
use crate::catalog::{ImageRow, RootInfo};
use crate::diff::{self, Diff};
use crate::oci::Digest;
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct DiffScreen {
    pub row: ImageRow,
    pub info: Arc<RootInfo>,
    /// A, then B.
    pub entries: [Entry; 2],
    pub images: [Load<Arc<Image>>; 2],
    /// Computed once both images are read.
    pub diff: Option<Box<Diff>>,
    pub scroll: usize,
}

impl DiffScreen {
    pub fn new(row: ImageRow, info: Arc<RootInfo>, entries: [Entry; 2]) -> DiffScreen {
        DiffScreen {
            row,
            info,
            entries,
            images: [Load::Loading(0), Load::Loading(0)],
            diff: None,
            scroll: 0,
        }
    }

    /// The two entries `d` compares on an index: linux/amd64 (else the first image) as A,
    /// and as B the selected image when it is another one, else linux/arm64 (else the next).
    pub fn pick(info: &RootInfo, selected: Option<&Digest>) -> Option<[Entry; 2]> {
        let root = &info.root;
        let [amd, arm] = diff::default_platforms();
        let a = diff::pick("", root, &amd)
            .ok()
            .or_else(|| root.images().next())?;
        let b = selected
            .and_then(|d| root.images().find(|e| &e.digest == d))
            .filter(|e| e.digest != a.digest)
            .or_else(|| {
                diff::pick("", root, &arm)
                    .ok()
                    .filter(|e| e.digest != a.digest)
            })
            .or_else(|| root.images().find(|e| e.digest != a.digest))?;
        Some([a.clone(), b.clone()])
    }

    /// Takes what the app now knows of the two images; compares them once both are read.
    pub fn arrived(
        &mut self,
        images: &HashMap<Digest, Arc<Image>>,
        failed: &HashMap<Digest, String>,
    ) {
        for (e, slot) in self.entries.iter().zip(&mut self.images) {
            if let Some(i) = images.get(&e.digest) {
                *slot = Load::Ready(Arc::clone(i));
            } else if let Some(err) = failed.get(&e.digest) {
                *slot = Load::Failed(err.clone());
            }
        }
        if self.diff.is_none()
            && let [Load::Ready(a), Load::Ready(b)] = &self.images
        {
            let [ea, eb] = &self.entries;
            let (la, lb) = (label(ea), label(eb));
            self.diff = Some(Box::new(diff::compare(
                (&la, ea.platform.as_ref(), a),
                (&lb, eb.platform.as_ref(), b),
            )));
        }
    }

    /// About how many lines the page has (the view wraps long ones), to bound scrolling.
    pub fn rows(&self) -> usize {
        self.diff.as_ref().map_or(2, |d| {
            8 + 2 * d.findings.len() + d.natives.len() + d.config.len().max(1)
        })
    }

    /// Scrolls the page; `rows` is how many lines it has. ← / Esc go back.
    pub fn key(&mut self, bind: Bind, page: usize, rows: usize) -> Option<Nav> {
        let max = rows.saturating_sub(1);
        match bind {
            Bind::Left => return Some(Nav::Back),
            Bind::Down => self.scroll = (self.scroll + 1).min(max),
            Bind::Up => self.scroll = self.scroll.saturating_sub(1),
            Bind::PageDown => self.scroll = (self.scroll + page).min(max),
            Bind::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Bind::Top => self.scroll = 0,
            Bind::Bottom => self.scroll = max,
            _ => {}
        }
        None
    }

    /// The command that prints this diff.
    pub fn copy_text(&self) -> Option<String> {
        let [a, b] = &self.entries;
        Some(format!(
            "archlens diff {} --platforms {},{}",
            self.row.reference,
            label(a),
            label(b)
        ))
    }
}

/// How a side is named on the page: its platform, else its digest.
pub fn label(e: &Entry) -> String {
    e.platform
        .as_ref()
        .map_or_else(|| e.digest.short(), |p| p.to_string())
}
