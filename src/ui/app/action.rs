//! What can happen to the UI ([`Action`]) and what the runner does after an update ([`Effect`]).

use super::requests::{Completion, Request};
use crate::ui::keymap::KeyPress;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyPress),
    Mouse(Mouse),
    Resize(u16, u16),
    /// Time passed (spinners, progress gauges).
    Tick,
    Done(Completion),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
    Click { x: u16, y: u16 },
}

/// What the runner must do after an update.
#[derive(Debug, Clone)]
pub enum Effect {
    Submit(Request),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
}
