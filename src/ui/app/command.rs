//! The `:` command line.

use super::*;
use crate::ui::keymap::Bind;
use crate::verdict::{self};

impl App {
    pub(super) fn command(&mut self, cmd: &str, fx: &mut Vec<Effect>) {
        let (word, arg) = cmd
            .split_once(' ')
            .map_or((cmd, ""), |(w, a)| (w, a.trim()));
        match word {
            "" => {}
            "q" | "quit" | "q!" => self.quit = true,
            "repos" | "repositories" => {
                while self.stack.len() > 1 {
                    self.pop();
                }
            }
            "target" | "t" if arg.is_empty() => {
                let sel = self.target_pos();
                self.overlay = Some(Overlay::Targets { sel });
            }
            "target" | "t" if arg.starts_with('-') => self.remove_target(&arg[1..]),
            "target" | "t" => match verdict::target::lookup(arg) {
                Ok(t) => self.set_target(t, fx),
                Err(e) => self.status = Some((Level::Error, e.to_string())),
            },
            "help" => self.overlay = Some(Overlay::Help { scroll: 0 }),
            "verdict" => self.key_bind(Bind::Verdict, fx),
            "explain" => self.key_bind(Bind::Explain, fx),
            "config" => self.key_bind(Bind::Config, fx),
            "sort" => self.key_bind(Bind::Sort, fx),
            other => {
                self.status = Some((
                    Level::Error,
                    format!(
                        "unknown command :{}; try :repos, :target graviton, :target linux/arm/v7, :verdict, :explain, :config, :help, :quit",
                        crate::text::sanitize(other)
                    ),
                ))
            }
        }
    }
}
