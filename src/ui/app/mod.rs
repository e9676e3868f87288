//! The UI state and the one function that changes it: [`App::update`] takes an [`Action`]
//! (a key, a click, a finished job) and returns [`Effect`]s; nothing here draws or does I/O.

mod action;
mod auto;
mod command;
mod keys;
mod nav;
mod requests;
mod state;
mod verdicts;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

pub use action::*;
pub use auto::AutoCheckState;
pub use command::{COMMANDS, Command, Completer};
pub use requests::{
    AnalyzeImage, Analyzed, Completion, Job, LoadImages, LoadRepoStats, LoadRepositories, LoadRoot,
    ReadFile, Reply, Request, STATS_CHUNK, Work,
};
pub use state::*;
// The screens are part of the state; their types are named from here too.
pub use crate::ui::screen::{
    DiffScreen, FilteredList, ImageScreen, ImagesScreen, IndexRow, IndexScreen, Load, Nav, Pane,
    ReposScreen, VerdictPane, VerdictScreen, diff_label, index_rows,
};
