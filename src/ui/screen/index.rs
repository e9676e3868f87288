//! An index (manifest list): its platform images, each attestation under its subject.

use std::sync::Arc;

use super::{Load, Nav, list_bind, move_sel};
use crate::catalog::{ImageRow, RootInfo};
use crate::oci::manifest::EntryKind;
use crate::ui::filter::Pattern;
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct IndexScreen {
    pub row: ImageRow,
    pub info: Load<Arc<RootInfo>>,
    /// The selected position among the rows that pass the filter.
    pub sel: usize,
    filter: Pattern,
    /// The verdict words of each entry (by entry index), set by the app, so `/FAIL` works.
    verdicts: Vec<String>,
    /// The entry `d` marked as the diff's A, while B is being picked.
    pub diff_a: Option<crate::oci::Digest>,
}

impl IndexScreen {
    pub fn new(row: ImageRow, info: Load<Arc<RootInfo>>) -> IndexScreen {
        IndexScreen {
            row,
            info,
            sel: 0,
            filter: Pattern::default(),
            verdicts: Vec::new(),
            diff_a: None,
        }
    }

    pub fn filter(&self) -> &str {
        self.filter.text()
    }

    pub fn pattern(&self) -> &Pattern {
        &self.filter
    }

    pub fn set_filter(&mut self, text: &str) {
        self.filter = Pattern::new(text);
        self.sel = 0;
    }

    pub fn set_verdicts(&mut self, words: Vec<String>) {
        self.verdicts = words;
    }

    /// The rows that pass the filter: platform, kind, digest and verdict words of each.
    pub fn rows(&self) -> Vec<IndexRow> {
        let Load::Ready(info) = &self.info else {
            return Vec::new();
        };
        let all = index_rows(info);
        if self.filter.is_empty() {
            return all;
        }
        all.into_iter()
            .filter(|r| {
                let (IndexRow::Image(i) | IndexRow::Attestation(i) | IndexRow::Other(i)) = *r;
                let Some(e) = info.root.entries.get(i) else {
                    return false;
                };
                let kind = match r {
                    IndexRow::Image(_) => "image",
                    IndexRow::Attestation(_) => "attestation",
                    IndexRow::Other(_) => "other artefact",
                };
                let hay = format!(
                    "{}\n{kind}\n{}\n{}",
                    e.platform
                        .as_ref()
                        .map_or_else(String::new, |p| p.to_string()),
                    e.digest,
                    self.verdicts.get(i).map_or("", String::as_str)
                );
                self.filter.matches(&hay)
            })
            .collect()
    }

    /// Whether the filter is set and hides every row.
    pub fn filtered_out(&self) -> bool {
        !self.filter.is_empty() && self.info.ready().is_some() && self.rows().is_empty()
    }

    pub fn key(&mut self, bind: Bind, page: usize) -> Option<Nav> {
        let Some(bind) = list_bind(bind) else {
            return Some(Nav::Back);
        };
        let Load::Ready(info) = &self.info else {
            return None;
        };
        let rows = self.rows();
        if bind == Bind::Diff || (bind == Bind::Enter && self.diff_a.is_some()) {
            let info = Arc::clone(info);
            return Some(self.pick_diff(&info));
        }
        if move_sel(&mut self.sel, rows.len(), bind, page) != Some(Bind::Enter) {
            return None;
        }
        match rows.get(self.sel)? {
            IndexRow::Image(i) => {
                let entry = info.root.entries.get(*i).cloned()?;
                Some(Nav::OpenEntry(
                    self.row.clone(),
                    Arc::clone(info),
                    Box::new(entry),
                ))
            }
            IndexRow::Attestation(_) => Some(Nav::Info(
                "an attestation (provenance or SBOM) describes the image above it; it is not a platform and never runs",
            )),
            IndexRow::Other(_) => Some(Nav::Info(
                "an artefact stored in the index that is not a runnable image",
            )),
        }
    }

    /// The two-step diff picker: `d` marks the selected entry as A; `d` or Enter on another
    /// marks B and opens the page (`d` on A again takes the usual other side).
    fn pick_diff(&mut self, info: &Arc<RootInfo>) -> Nav {
        let Some(sel) = self.selected_entry() else {
            return Nav::Info("select a platform image to compare (an attestation never runs)");
        };
        if info.root.images().nth(1).is_none() {
            return Nav::Info("a diff needs two platform images; this index has fewer");
        }
        let Some(a) = self.diff_a.take() else {
            self.diff_a = Some(sel);
            return Nav::Info(
                "diff: this entry is A; select B and press d or Enter (d on A again: amd64 or arm64; Esc cancels)",
            );
        };
        match super::DiffScreen::pair(info, &a, Some(&sel)) {
            Some(pair) => Nav::OpenDiff(self.row.clone(), Arc::clone(info), Box::new(pair)),
            None => Nav::Info("a diff needs two platform images; this index has fewer"),
        }
    }

    /// Selects row `n`, when there is one.
    pub fn select(&mut self, n: usize) {
        if n < self.rows().len() {
            self.sel = n;
        }
    }

    /// The digest of the selected row when it is a runnable image.
    pub fn selected_entry(&self) -> Option<crate::oci::Digest> {
        let info = self.info.ready()?;
        match self.rows().get(self.sel)? {
            IndexRow::Image(i) => info.root.entries.get(*i).map(|e| e.digest.clone()),
            _ => None,
        }
    }

    /// The digest of the selected entry.
    pub fn copy_text(&self) -> Option<String> {
        let Load::Ready(info) = &self.info else {
            return None;
        };
        let rows = self.rows();
        let i = match rows.get(self.sel)? {
            IndexRow::Image(i) | IndexRow::Attestation(i) | IndexRow::Other(i) => *i,
        };
        Some(info.root.entries.get(i)?.digest.to_string())
    }
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
