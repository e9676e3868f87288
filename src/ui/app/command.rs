//! The `:` command line: the commands, what Tab completes for each (one table, [`COMMANDS`],
//! that help, completion and the unknown-command hint read), and running them.

use super::*;
use crate::catalog::Switch;
use crate::ui::keymap::{Bind, Place};
use crate::verdict::{self};

/// Candidates for a command's argument, given the app and what is typed of it so far.
pub type Completer = fn(&App, &str) -> Vec<String>;

/// One `:` command. To add one: a row here (with its completer, if it takes an argument)
/// and its arm in [`App::command`].
pub struct Command {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// `NAME` for help: what the argument is, empty when there is none.
    pub arg: &'static str,
    pub help: &'static str,
    pub complete: Option<Completer>,
    /// The one kind of screen it works on (help lists it only there), or None: everywhere.
    pub only: Option<Place>,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: "repos",
        aliases: &["repositories"],
        arg: "",
        help: "back to the repository list",
        complete: None,
        only: None,
    },
    Command {
        name: "target",
        aliases: &["t"],
        arg: "NAME",
        help: "a target or os/arch; alone: the picker; -NAME removes",
        complete: Some(targets),
        only: None,
    },
    Command {
        name: "tag",
        aliases: &[],
        arg: "TAG",
        help: "images: open the image with this tag",
        complete: Some(tags),
        only: Some(Place::Images),
    },
    Command {
        name: "go",
        aliases: &["cd"],
        arg: "PATH",
        help: "image: show this path in the file tree",
        complete: Some(paths),
        only: Some(Place::Image),
    },
    Command {
        name: "verdict",
        aliases: &[],
        arg: "",
        help: "the verdict for every target",
        complete: None,
        only: None,
    },
    Command {
        name: "explain",
        aliases: &[],
        arg: "",
        help: "why this image runs or fails",
        complete: None,
        only: None,
    },
    Command {
        name: "config",
        aliases: &[],
        arg: "",
        help: "image: entrypoint, cmd, env, user, labels, history",
        complete: None,
        only: Some(Place::Image),
    },
    Command {
        name: "sort",
        aliases: &[],
        arg: "",
        help: "image: files by name / size",
        complete: None,
        only: Some(Place::Image),
    },
    Command {
        name: "help",
        aliases: &[],
        arg: "",
        help: "the keys and commands of this screen",
        complete: None,
        only: None,
    },
    Command {
        name: "profile",
        aliases: &[],
        arg: "NAME",
        help: "ECR: list with this AWS profile",
        complete: Some(|_, _| crate::source::aws::profiles()),
        only: None,
    },
    Command {
        name: "region",
        aliases: &[],
        arg: "NAME",
        help: "ECR: list this AWS region",
        complete: Some(|_, _| crate::source::aws::regions()),
        only: None,
    },
    Command {
        name: "registry",
        aliases: &[],
        arg: "ID",
        help: "ECR: another account's registry (12 digits)",
        complete: None,
        only: None,
    },
    Command {
        name: "quit",
        aliases: &["q", "q!"],
        arg: "",
        help: "leave archlens",
        complete: None,
        only: None,
    },
];

/// Whether the first word of `line` names a command.
pub fn is_known(line: &str) -> bool {
    lookup(line.split(' ').next().unwrap_or("")).is_some()
}

fn lookup(word: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
}

/// Target names, and `-NAME` for the ones `:target -NAME` can remove.
fn targets(app: &App, typed: &str) -> Vec<String> {
    let names = app.targets.iter().map(|t| t.name.clone());
    match typed.strip_prefix('-') {
        Some(_) => names.map(|n| format!("-{n}")).collect(),
        None => names.collect(),
    }
}

/// The tags of the images screen on top.
fn tags(app: &App, _typed: &str) -> Vec<String> {
    match app.screen().map(|s| &s.kind) {
        Some(ScreenKind::Images(s)) => s
            .list
            .rows
            .ready()
            .map(|rows| rows.iter().flat_map(|r| r.tags.iter().cloned()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The entries of the folder typed so far, in the image screen's tree.
fn paths(app: &App, typed: &str) -> Vec<String> {
    match app.screen().map(|s| &s.kind) {
        Some(ScreenKind::Image(s)) => s
            .tree
            .as_ref()
            .map(|t| t.complete_path(typed))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Tab's candidates for a whole `:` line, sorted: command names while the first word is
/// typed, then the command's own argument candidates.
pub fn candidates(app: &App, line: &str) -> Vec<String> {
    let mut out: Vec<String> = match line.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|c| c.name.starts_with(line))
            .map(|c| {
                if c.arg.is_empty() {
                    c.name.to_string()
                } else {
                    format!("{} ", c.name)
                }
            })
            .collect(),
        Some((word, arg)) => match lookup(word).and_then(|c| c.complete) {
            Some(f) => f(app, arg)
                .into_iter()
                .filter(|c| c.starts_with(arg))
                .map(|c| format!("{word} {c}"))
                .collect(),
            None => Vec::new(),
        },
    };
    out.sort();
    out.dedup();
    out
}

/// What the `:` line says before anything is typed.
pub fn hint() -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    format!("   Tab completes, ↑↓ history: {}", names.join(" "))
}

/// The longest prefix all `items` share (on character boundaries).
pub fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else {
        return String::new();
    };
    let mut end = first.len();
    for s in &items[1..] {
        end = first
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_string()
}

impl App {
    pub(super) fn command(&mut self, cmd: &str, fx: &mut Vec<Effect>) {
        let (word, arg) = cmd
            .split_once(' ')
            .map_or((cmd, ""), |(w, a)| (w, a.trim()));
        match lookup(word).map_or(word, |c| c.name) {
            "" => {}
            "quit" => self.quit = true,
            "repos" => {
                while self.stack.len() > 1 {
                    self.pop();
                }
            }
            "target" if arg.is_empty() => {
                let sel = self.target_pos();
                self.overlay = Some(Overlay::Targets { sel });
            }
            "target" if arg.starts_with('-') => self.remove_target(&arg[1..]),
            "target" => match verdict::target::lookup(arg) {
                Ok(t) => self.set_target(t, fx),
                Err(e) => self.status = Some((Level::Error, e.to_string())),
            },
            "tag" => self.open_tag(arg, fx),
            "go" => self.go_to_path(arg),
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
                let names: Vec<String> = COMMANDS.iter().map(|c| format!(":{}", c.name)).collect();
                self.status = Some((
                    Level::Error,
                    format!(
                        "unknown command :{}; Tab completes (e.g. :target graviton); commands: {}",
                        crate::text::sanitize(other),
                        names.join(" ")
                    ),
                ))
            }
        }
    }

    /// `:tag TAG` on an images screen: the image with that tag, opened.
    fn open_tag(&mut self, tag: &str, fx: &mut Vec<Effect>) {
        let Some(ScreenKind::Images(s)) = self.stack.last_mut().map(|s| &mut s.kind) else {
            self.status = Some((
                Level::Info,
                ":tag works on the images of a repository".into(),
            ));
            return;
        };
        s.list.set_filter("");
        let pos = s
            .list
            .rows
            .ready()
            .and_then(|rows| rows.iter().position(|r| r.tags.iter().any(|t| t == tag)));
        match pos {
            Some(p) => {
                s.list.select(p);
                self.screen_key(Bind::Enter, fx);
            }
            None => {
                self.status = Some((
                    Level::Error,
                    format!(
                        "no image tagged {} here; Tab after :tag lists the tags",
                        crate::text::sanitize(tag)
                    ),
                ))
            }
        }
    }

    /// `:go PATH` on an image screen: the path selected in the tree.
    fn go_to_path(&mut self, path: &str) {
        let Some(ScreenKind::Image(s)) = self.stack.last_mut().map(|s| &mut s.kind) else {
            self.status = Some((Level::Info, ":go works on the files of an image".into()));
            return;
        };
        let Some(t) = &mut s.tree else { return };
        t.set_text_filter("");
        let path = format!("/{}", path.trim_matches('/'));
        if t.reveal(&path) {
            s.pane = Pane::Files;
        } else {
            self.status = Some((
                Level::Error,
                format!(
                    "{} is not in this view; Tab after :go completes paths",
                    crate::text::sanitize(&path)
                ),
            ));
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
        // Another account or region is another source: its images get a budget of their own.
        self.auto.reset();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_prefix_stops_where_candidates_part() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&v(&["target graviton", "target gcp"])),
            "target g"
        );
        assert_eq!(
            common_prefix(&v(&["/usr/lib/", "/usr/libexec/"])),
            "/usr/lib"
        );
        assert_eq!(common_prefix(&v(&["é1", "é2"])), "é");
        assert_eq!(common_prefix(&[]), "");
    }
}
