//! Output of `check`, `inspect` and `targets`: JSON for tools (a stable contract) and
//! aligned, optionally coloured text for people.

pub mod audit;
mod diff;
mod json;
pub mod listing;
mod stream;
mod text;
mod unpullable;

pub use diff::{diff_json, diff_text};
pub use json::{EscapingFormatter, check_json, inspect_json, to_pretty_json};
pub use listing::{render_listing_json, render_listing_text};
pub use stream::write_inspect_json;
pub use text::{check_text, inspect_text, targets_text};
pub use unpullable::{unpullable_json, unpullable_text};

/// ANSI colours, on only when writing to a terminal and `NO_COLOR` is unset.
#[derive(Debug, Clone, Copy)]
pub struct Colors {
    pub enabled: bool,
    /// Output goes to a terminal, so long cells are cut to keep one row per line; piped
    /// output keeps them whole for the reader or script that asked.
    pub terminal: bool,
}

impl Colors {
    /// Colours for standard output as the environment asks.
    pub fn for_stdout() -> Colors {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let terminal = std::io::stdout().is_terminal();
        Colors {
            enabled: !no_color && terminal,
            terminal,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("1;32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("1;33", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// What `inspect` reports: the root and each analysed image (or why it could not be read).
pub struct Inspection<'a> {
    pub reference: &'a str,
    pub root: &'a crate::analyze::Root,
    pub images: Vec<(
        &'a crate::analyze::Entry,
        Result<&'a crate::analyze::Image, &'a str>,
    )>,
}
