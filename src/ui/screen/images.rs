//! The images (tags) of one repository, each with its manifests for platform chips and badges.

use std::sync::Arc;

use super::{FilteredList, Load, Nav, list_bind};
use crate::catalog::{ImageRow, RootInfo};
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct ImagesScreen {
    pub repo: String,
    pub list: FilteredList<ImageRow>,
    /// Manifest facts per row (same order as the rows).
    pub roots: Vec<Load<Arc<RootInfo>>>,
}

/// The tags and the digest, each on a line (the app adds platforms and verdict words).
fn text(r: &ImageRow) -> String {
    let mut out = r.tags.join("\n");
    if let Some(d) = &r.digest {
        out.push('\n');
        out.push_str(&d.to_string());
    }
    out
}

impl ImagesScreen {
    pub fn new(repo: String, rows: Load<Vec<ImageRow>>) -> ImagesScreen {
        ImagesScreen {
            repo,
            list: FilteredList::new(rows, text),
            roots: Vec::new(),
        }
    }

    pub fn key(&mut self, bind: Bind, page: usize) -> Option<Nav> {
        let Some(bind) = list_bind(bind) else {
            return Some(Nav::Back);
        };
        if self.list.key(bind, page) == Some(Bind::Enter) {
            let (i, row) = self.list.selected()?;
            if let Some(u) = &row.unpullable {
                return Some(Nav::Refused(format!(
                    "{}; y copies the command that restores it",
                    u.summary()
                )));
            }
            let info = self.roots.get(i).and_then(|r| r.ready().cloned());
            return Some(Nav::OpenIndex(row.clone(), info));
        }
        None
    }

    /// Every row whose manifests are read, with its index and manifests.
    pub fn loaded_roots(&self) -> Vec<(usize, ImageRow, Arc<RootInfo>)> {
        let Some(rows) = self.list.rows.ready() else {
            return Vec::new();
        };
        rows.iter()
            .zip(&self.roots)
            .enumerate()
            .filter_map(|(i, (row, r))| Some((i, row.clone(), Arc::clone(r.ready()?))))
            .collect()
    }

    /// The selected row with its manifests, once they are read.
    pub fn current_root(&self) -> Option<(ImageRow, Arc<RootInfo>)> {
        let (i, row) = self.list.selected()?;
        let info = self.roots.get(i)?.ready()?.clone();
        Some((row.clone(), info))
    }

    /// The image reference; for an archived image, the command that restores it.
    pub fn copy_text(&self) -> Option<String> {
        let row = self.list.selected()?.1;
        Some(match &row.unpullable {
            Some(u) => u.restore_command(),
            None => row.reference.clone(),
        })
    }
}
