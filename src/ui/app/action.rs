//! What can happen to the UI ([`Action`]) and what the runner does after an update ([`Effect`]).

use super::requests::{Completion, Request};
use crate::ui::keymap::KeyPress;
use crate::ui::screen::{Pane, VerdictPane};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyPress),
    Mouse(Mouse),
    /// A click on a pane (the view finds which one is under the pointer).
    FocusPane(Focus),
    /// A click on row `n` of the list or focused pane, counted from its first row.
    SelectRow(usize),
    Resize(u16, u16),
    /// Time passed (spinners, progress gauges).
    Tick,
    /// Boxed: a completion carries its request's rows, and actions are moved every frame.
    Done(Box<Completion>),
    /// A registry's notice: "waiting for REGISTRY ..." stays until the work pending ends;
    /// any other (a listing cut short) stays as the status.
    Notice(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
}

/// A pane of the screen that has several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Image(Pane),
    Verdict(VerdictPane),
}

/// What the runner must do after an update.
#[derive(Debug, Clone)]
pub enum Effect {
    Submit(Box<Request>),
    /// A low-priority request someone now waits for (an image the automatic check had
    /// queued is opened): it runs before the other waiting work.
    Promote(u64),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Keep the `:` history (it changed) in the cache directory.
    SaveHistory(crate::ui::history::History),
    Quit,
}
