//! The screens of the navigation stack, one module each: a screen owns its selection, what
//! its keys do to it, and the text `y` copies; what it cannot do itself it asks as a [`Nav`].

pub mod diff;
pub mod image;
pub mod images;
pub mod index;
pub mod list;
pub mod repos;
pub mod verdict;

use std::sync::Arc;

use crate::analyze::Entry;
use crate::catalog::{ImageRow, RootInfo};
use crate::oci::Platform;
use crate::ui::keymap::Bind;
use crate::verdict::{EntryAssessment, Target};

pub use diff::{DiffScreen, label as diff_label};
pub use image::{ImageScreen, Pane};
pub use images::ImagesScreen;
pub use index::{IndexRow, IndexScreen, index_rows};
pub use list::FilteredList;
pub use repos::ReposScreen;
pub use verdict::{VerdictPane, VerdictScreen};

/// A value that arrives from a background job.
#[derive(Debug, Clone)]
pub enum Load<T> {
    Loading(u64),
    Ready(T),
    Failed(String),
}

impl<T> Load<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Load::Ready(t) => Some(t),
            _ => None,
        }
    }

    pub fn ready_mut(&mut self) -> Option<&mut T> {
        match self {
            Load::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// How an image screen's tree marks its files, taken from the entry's assessment: against
/// which platform its files were judged, and which files its findings name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judgement {
    pub platform: Option<Platform>,
    pub culprits: Vec<String>,
    /// The files were judged (the image was read); until then there are no culprits.
    pub settled: bool,
}

impl Judgement {
    pub fn of(entry: Option<&EntryAssessment>, target: &Target) -> Judgement {
        match entry {
            Some(e) => Judgement {
                platform: e.judged_on(target).cloned(),
                culprits: e.culprits().into_iter().map(String::from).collect(),
                settled: e.files.is_some(),
            },
            None => Judgement {
                platform: Some(target.platform.clone()),
                culprits: Vec::new(),
                settled: false,
            },
        }
    }
}

/// What a key on a screen asks the app to do beyond the screen itself.
#[derive(Debug, Clone)]
pub enum Nav {
    Back,
    /// The images of a repository.
    OpenImages(String),
    /// An image row: its index, or straight its image when the manifests say it is one.
    OpenIndex(ImageRow, Option<Arc<RootInfo>>),
    /// One image of an index.
    OpenEntry(ImageRow, Arc<RootInfo>, Box<Entry>),
    /// The diff page of two entries (A, B) of an index.
    OpenDiff(ImageRow, Arc<RootInfo>, Box<[Entry; 2]>),
    /// The file behind finding `finding` of the verdict for target `target`.
    JumpToFinding {
        target: usize,
        finding: usize,
    },
    /// A line for the status bar.
    Info(&'static str),
    /// A row that cannot be opened, and why (an archived ECR image).
    Refused(String),
}

/// Arrow, page and Enter keys on a list of `len` rows; returns the bind for the caller to act on.
pub fn move_sel(sel: &mut usize, len: usize, bind: Bind, page: usize) -> Option<Bind> {
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

/// In the lists, → / l open and ← / h go back (`None`), as in file managers.
fn list_bind(bind: Bind) -> Option<Bind> {
    match bind {
        Bind::Right => Some(Bind::Enter),
        Bind::Left => None,
        b => Some(b),
    }
}
