//! An index (manifest list): its platform images, each attestation under its subject.

use std::sync::Arc;

use super::{Load, Nav, list_bind, move_sel};
use crate::catalog::{ImageRow, RootInfo};
use crate::oci::manifest::EntryKind;
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct IndexScreen {
    pub row: ImageRow,
    pub info: Load<Arc<RootInfo>>,
    pub sel: usize,
}

impl IndexScreen {
    pub fn new(row: ImageRow, info: Load<Arc<RootInfo>>) -> IndexScreen {
        IndexScreen { row, info, sel: 0 }
    }

    pub fn key(&mut self, bind: Bind, page: usize) -> Option<Nav> {
        let Some(bind) = list_bind(bind) else {
            return Some(Nav::Back);
        };
        let Load::Ready(info) = &self.info else {
            return None;
        };
        let rows = index_rows(info);
        if bind == Bind::Diff {
            let selected = self.selected_entry();
            return Some(match super::DiffScreen::pick(info, selected.as_ref()) {
                Some(pair) => Nav::OpenDiff(self.row.clone(), Arc::clone(info), Box::new(pair)),
                None => Nav::Info("a diff needs two platform images; this index has fewer"),
            });
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

    /// Selects row `n`, when there is one.
    pub fn select(&mut self, n: usize) {
        if let Load::Ready(info) = &self.info
            && n < index_rows(info).len()
        {
            self.sel = n;
        }
    }

    /// The digest of the selected row when it is a runnable image.
    pub fn selected_entry(&self) -> Option<crate::oci::Digest> {
        let info = self.info.ready()?;
        match index_rows(info).get(self.sel)? {
            IndexRow::Image(i) => info.root.entries.get(*i).map(|e| e.digest.clone()),
            _ => None,
        }
    }

    /// The digest of the selected entry.
    pub fn copy_text(&self) -> Option<String> {
        let Load::Ready(info) = &self.info else {
            return None;
        };
        let rows = index_rows(info);
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
