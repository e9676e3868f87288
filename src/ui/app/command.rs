//! The `:` command line.

use super::*;
use crate::catalog::Switch;
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
            "profile" | "region" | "registry" => match Switch::parse(word, arg) {
                Some(Ok(to)) => self.switch_source(to, fx),
                Some(Err(e)) => self.status = Some((Level::Error, e)),
                None => {}
            },
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

    /// Candidates for the argument of `:command` (profiles, regions), for completion; empty
    /// for commands whose argument is free text.
    pub fn argument_candidates(&self, command: &str) -> Vec<String> {
        match command {
            "profile" => crate::source::aws::profiles(),
            "region" => crate::source::aws::regions(),
            "target" | "t" => self.targets.iter().map(|t| t.name.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Moves an ECR source to another profile, region or account in place: back to a fresh
    /// repository list (the old screens' work is cancelled), listed there.
    fn switch_source(&mut self, to: Switch, fx: &mut Vec<Effect>) {
        if !self.origin.ecr {
            self.status = Some((
                Level::Error,
                format!(
                    "{} is not Amazon ECR: :profile, :region and :registry switch ECR sources",
                    crate::text::sanitize(&self.origin.source)
                ),
            ));
            return;
        }
        while let Some(s) = self.stack.pop() {
            self.release(s.id);
        }
        match &to {
            Switch::Profile(p) => self.origin.profile = Some(p.clone()),
            Switch::Region(r) => self.origin.region = Some(r.clone()),
            Switch::Registry(a) => self.origin.registry = Some(a.clone()),
        }
        let unknown = match &to {
            Switch::Profile(p) if !crate::source::aws::profiles().contains(p) => format!(
                " ({} is in no AWS config or credentials file: credentials from the environment, if any, are used)",
                crate::text::sanitize(p)
            ),
            _ => String::new(),
        };
        self.status = Some((
            Level::Info,
            format!("switched: listing ECR with {}{unknown}", self.where_text()),
        ));
        let id = self.new_id();
        let load = self.request(
            id,
            Job::Repositories(LoadRepositories { switch: Some(to) }),
            fx,
        );
        self.stack.push(Screen {
            id,
            kind: ScreenKind::Repos(ReposScreen::new(load)),
        });
    }

    fn where_text(&self) -> String {
        let o = &self.origin;
        let mut parts = Vec::new();
        if let Some(p) = &o.profile {
            parts.push(format!("profile {p}"));
        }
        if let Some(r) = &o.region {
            parts.push(format!("region {r}"));
        }
        if let Some(a) = &o.registry {
            parts.push(format!("registry {a}"));
        }
        crate::text::sanitize(&parts.join(", "))
    }
}
