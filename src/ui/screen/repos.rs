//! The repositories of a registry (or the one of a local layout).

use super::{FilteredList, Load, Nav, list_bind};
use crate::catalog::RepoRow;
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct ReposScreen {
    pub list: FilteredList<RepoRow>,
}

impl ReposScreen {
    pub fn new(rows: Load<Vec<RepoRow>>) -> ReposScreen {
        ReposScreen {
            list: FilteredList::new(rows, |r| r.name.clone()),
        }
    }

    pub fn key(&mut self, bind: Bind, page: usize) -> Option<Nav> {
        let Some(bind) = list_bind(bind) else {
            return Some(Nav::Back);
        };
        if self.list.key(bind, page) == Some(Bind::Enter) {
            let (_, r) = self.list.selected()?;
            return Some(Nav::OpenImages(r.name.clone()));
        }
        None
    }

    /// The repository name.
    pub fn copy_text(&self) -> Option<String> {
        Some(self.list.selected()?.1.name.clone())
    }
}
