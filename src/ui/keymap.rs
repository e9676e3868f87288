//! Keys and colours: an embedded default TOML that `~/.config/archlens/config.toml` can
//! override (`[keys]`, `[theme]`); the help overlay is generated from the same map.
//!
//! Example override: `[keys]` then `quit = ["q", "ctrl-q"]` replaces the keys of one action.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

const DEFAULT_KEYS: &str = include_str!("../../assets/keymap.toml");
const DEFAULT_THEME: &str = include_str!("../../assets/theme.toml");

/// A key as the app sees it, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Backspace,
    Tab,
    BackTab,
    F(u8),
}

impl KeyPress {
    pub fn plain(code: KeyCode) -> KeyPress {
        KeyPress {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses `j`, `G`, `ctrl-c`, `PageDown`, `Space`, `F1`.
    pub fn parse(s: &str) -> Option<KeyPress> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "backspace" => KeyCode::Backspace,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
                _ => return None,
            },
        };
        Some(KeyPress { code, ctrl, alt })
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The kinds of screen, for telling which actions work where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Repos,
    Images,
    Index,
    Image,
    Verdict,
    Diff,
}

impl Place {
    /// How the help title names it.
    pub fn name(self) -> &'static str {
        match self {
            Place::Repos => "repositories",
            Place::Images => "images",
            Place::Index => "index",
            Place::Image => "image",
            Place::Verdict => "verdict",
            Place::Diff => "diff",
        }
    }
}

/// Everything a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bind {
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Enter,
    Back,
    NextPane,
    PrevPane,
    Filter,
    Command,
    Help,
    Targets,
    Verdict,
    Explain,
    Config,
    Copy,
    Reload,
    ToggleView,
    Sort,
    OnlyNative,
    OnlyMismatches,
    ExpandAll,
    CollapseAll,
    CheckAll,
    Diff,
    Quit,
}

impl Bind {
    pub const ALL: [Bind; 30] = [
        Bind::Up,
        Bind::Down,
        Bind::Left,
        Bind::Right,
        Bind::Top,
        Bind::Bottom,
        Bind::PageUp,
        Bind::PageDown,
        Bind::Enter,
        Bind::Back,
        Bind::NextPane,
        Bind::PrevPane,
        Bind::Filter,
        Bind::Command,
        Bind::Help,
        Bind::Targets,
        Bind::Verdict,
        Bind::Explain,
        Bind::Config,
        Bind::Copy,
        Bind::Reload,
        Bind::ToggleView,
        Bind::Sort,
        Bind::OnlyNative,
        Bind::OnlyMismatches,
        Bind::ExpandAll,
        Bind::CollapseAll,
        Bind::CheckAll,
        Bind::Diff,
        Bind::Quit,
    ];

    /// The name used in the TOML.
    pub fn name(self) -> &'static str {
        match self {
            Bind::Up => "up",
            Bind::Down => "down",
            Bind::Left => "left",
            Bind::Right => "right",
            Bind::Top => "top",
            Bind::Bottom => "bottom",
            Bind::PageUp => "page_up",
            Bind::PageDown => "page_down",
            Bind::Enter => "enter",
            Bind::Back => "back",
            Bind::NextPane => "next_pane",
            Bind::PrevPane => "prev_pane",
            Bind::Filter => "filter",
            Bind::Command => "command",
            Bind::Help => "help",
            Bind::Targets => "targets",
            Bind::Verdict => "verdict",
            Bind::Explain => "explain",
            Bind::Config => "config",
            Bind::Copy => "copy",
            Bind::Reload => "reload",
            Bind::ToggleView => "toggle_view",
            Bind::Sort => "sort",
            Bind::OnlyNative => "only_native",
            Bind::OnlyMismatches => "only_mismatches",
            Bind::ExpandAll => "expand_all",
            Bind::CollapseAll => "collapse_all",
            Bind::CheckAll => "check_all",
            Bind::Diff => "diff",
            Bind::Quit => "quit",
        }
    }

    /// What the action does, for the help overlay.
    pub fn help(self) -> &'static str {
        match self {
            Bind::Up => "move up",
            Bind::Down => "move down",
            Bind::Left => "collapse / parent / left pane; back in lists",
            Bind::Right => "expand / step in / right pane; open in lists",
            Bind::Top => "first row",
            Bind::Bottom => "last row",
            Bind::PageUp => "page up",
            Bind::PageDown => "page down",
            Bind::Enter => "open; on a file, view it; on a finding, jump to its file",
            Bind::Back => "back to the previous screen",
            Bind::NextPane => "next pane (layers, files, details)",
            Bind::PrevPane => "previous pane",
            Bind::Filter => "filter: a regex, !x hides; finds platforms, verdicts too",
            Bind::Command => ":target X :go PATH :help … (below); Tab completes",
            Bind::Help => "this help",
            Bind::Targets => "pick the deploy target",
            Bind::Verdict => "verdict for every target",
            Bind::Explain => "explain the verdict for this image",
            Bind::Config => "config: entrypoint, cmd, env, user, labels, history",
            Bind::Copy => "copy reference, digest, fix or diff command (OSC 52)",
            Bind::Reload => "reload this screen",
            Bind::ToggleView => "files: this layer / all layers merged",
            Bind::Sort => "files: sort by name / size",
            Bind::OnlyNative => "files: only native artefacts",
            Bind::OnlyMismatches => "files: only artefacts the target cannot run",
            Bind::ExpandAll => "files: expand all",
            Bind::CollapseAll => "files: collapse all",
            Bind::CheckAll => "images: read every image's files (badges from content)",
            Bind::Diff => "index: diff two entries (d marks A, d/Enter marks B)",
            Bind::Quit => "quit",
        }
    }

    /// What the action does on a screen of kind `place`: the panes are named in the order
    /// Tab really visits them there.
    pub fn help_on(self, place: Place) -> &'static str {
        match (self, place) {
            (Bind::NextPane, Place::Image) => "next pane: layers → files → details → layers",
            (Bind::PrevPane, Place::Image) => "previous pane: layers → details → files",
            (Bind::NextPane | Bind::PrevPane, Place::Verdict) => "other pane: targets ↔ findings",
            _ => self.help(),
        }
    }

    /// Whether the action does anything on a screen of kind `place`; help lists only those.
    pub fn works_on(self, place: Place) -> bool {
        use Place::*;
        match self {
            Bind::NextPane | Bind::PrevPane => matches!(place, Image | Verdict),
            Bind::Filter => matches!(place, Repos | Images | Index | Image),
            Bind::Verdict => matches!(place, Images | Index | Image),
            Bind::Explain => !matches!(place, Repos),
            Bind::CheckAll => matches!(place, Images | Index),
            Bind::Diff => place == Index,
            Bind::Config
            | Bind::ToggleView
            | Bind::Sort
            | Bind::OnlyNative
            | Bind::OnlyMismatches
            | Bind::ExpandAll
            | Bind::CollapseAll => place == Image,
            _ => true,
        }
    }

    fn from_name(name: &str) -> Option<Bind> {
        Bind::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// A problem in the user's config file, written for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {detail}")]
pub struct ConfigError {
    pub file: String,
    pub detail: String,
}

/// The `[keys]` and `[theme]` tables of a config file (other sections are ignored here).
#[derive(Deserialize, Default)]
struct KeysFile {
    #[serde(default)]
    keys: toml::Table,
    #[serde(default)]
    theme: toml::Table,
}

/// `action = "k"` or `action = ["k", "Up"]`; anything else is a problem to report.
fn key_lists(keys: &toml::Table, problems: &mut Vec<String>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (name, v) in keys {
        let list = match v {
            toml::Value::String(k) => vec![k.clone()],
            toml::Value::Array(a) if a.iter().all(toml::Value::is_str) => a
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            _ => {
                problems.push(format!(
                    "{name}: write a key or a list of keys, e.g. {name} = [\"x\", \"ctrl-x\"]"
                ));
                continue;
            }
        };
        out.insert(name.clone(), list);
    }
    out
}

fn colour_names(theme: &toml::Table, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, v) in theme {
        match v.as_str() {
            Some(c) => {
                out.insert(name.clone(), c.to_string());
            }
            None => problems.push(format!(
                "[theme] {name}: write a colour name or \"#rrggbb\""
            )),
        }
    }
    out
}

/// Action by key, and keys by action (for help).
#[derive(Debug, Clone)]
pub struct Keymap {
    by_bind: BTreeMap<Bind, Vec<KeyPress>>,
}

impl Keymap {
    /// The embedded defaults.
    pub fn default_map() -> Keymap {
        let mut map = Keymap {
            by_bind: BTreeMap::new(),
        };
        // The embedded file is covered by tests; a mistake there shows as missing keys.
        if let Ok(f) = toml::from_str::<KeysFile>(DEFAULT_KEYS) {
            let _ = map.apply(&key_lists(&f.keys, &mut Vec::new()), "built-in keymap");
        }
        map
    }

    /// Overrides actions named in `keys`; unknown names and keys are reported, the rest applied.
    fn apply(
        &mut self,
        keys: &BTreeMap<String, Vec<String>>,
        file: &str,
    ) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for (name, list) in keys {
            let Some(bind) = Bind::from_name(name) else {
                problems.push(format!(
                    "unknown action {name:?} under [keys] (known: {})",
                    Bind::ALL.map(Bind::name).join(", ")
                ));
                continue;
            };
            let mut parsed = Vec::new();
            for k in list {
                match KeyPress::parse(k) {
                    Some(kp) => parsed.push(kp),
                    None => problems.push(format!(
                        "{name}: cannot read key {k:?}; write a character, or a name like Enter, PageDown, ctrl-c"
                    )),
                }
            }
            // A key now bound here leaves any other action it belonged to.
            for other in self.by_bind.values_mut() {
                other.retain(|k| !parsed.contains(k));
            }
            self.by_bind.insert(bind, parsed);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                file: file.into(),
                detail: problems.join("; "),
            })
        }
    }

    pub fn lookup(&self, key: KeyPress) -> Option<Bind> {
        self.by_bind
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(b, _)| *b)
    }

    pub fn keys(&self, bind: Bind) -> &[KeyPress] {
        self.by_bind.get(&bind).map_or(&[], Vec::as_slice)
    }

    /// `j/↓`: the keys of an action, for hints.
    pub fn label(&self, bind: Bind) -> String {
        let keys = self.keys(bind);
        if keys.is_empty() {
            return "(unbound)".into();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The help lines: keys and what they do, in the order of [`Bind::ALL`].
    pub fn help_lines(&self, place: Place) -> Vec<(String, &'static str)> {
        Bind::ALL
            .into_iter()
            .filter(|b| b.works_on(place))
            .map(|b| (self.label(b), b.help_on(place)))
            .collect()
    }
}

/// Colours, already resolved to styles.
#[derive(Debug, Clone)]
pub struct Theme {
    pub accent: Style,
    pub header: Style,
    pub selection: Style,
    pub matches: Style,
    pub mismatch: Style,
    pub independent: Style,
    pub pass: Style,
    pub warn: Style,
    pub fail: Style,
    pub muted: Style,
    pub added: Style,
    pub modified: Style,
    pub deleted: Style,
    pub bold: Style,
}

impl Theme {
    /// Styles without colour: `NO_COLOR`, and the snapshot tests.
    pub fn plain() -> Theme {
        let s = Style::default();
        Theme {
            accent: s.add_modifier(Modifier::BOLD),
            header: s.add_modifier(Modifier::BOLD),
            selection: s.add_modifier(Modifier::REVERSED),
            matches: s,
            mismatch: s.add_modifier(Modifier::BOLD),
            independent: s,
            pass: s.add_modifier(Modifier::BOLD),
            warn: s.add_modifier(Modifier::BOLD),
            fail: s.add_modifier(Modifier::BOLD),
            muted: s,
            added: s,
            modified: s,
            deleted: s,
            bold: s.add_modifier(Modifier::BOLD),
        }
    }

    fn from_map(map: &BTreeMap<String, String>) -> Result<Theme, String> {
        let mut t = Theme::plain();
        let mut bad = Vec::new();
        for (k, v) in map {
            let Ok(color) = v.parse::<Color>() else {
                bad.push(format!(
                    "{k}: {v:?} is not a colour (use a name like red or #rrggbb)"
                ));
                continue;
            };
            let fg = Style::default().fg(color);
            match k.as_str() {
                "accent" => t.accent = fg.add_modifier(Modifier::BOLD),
                "header" => t.header = fg.add_modifier(Modifier::BOLD),
                "selection_bg" => {
                    t.selection = Style::default().bg(color).add_modifier(Modifier::BOLD)
                }
                "match" => t.matches = fg,
                "mismatch" => t.mismatch = fg.add_modifier(Modifier::BOLD),
                "independent" => t.independent = fg,
                "pass" => t.pass = fg.add_modifier(Modifier::BOLD),
                "warn" => t.warn = fg.add_modifier(Modifier::BOLD),
                "fail" => t.fail = fg.add_modifier(Modifier::BOLD),
                "muted" => t.muted = fg,
                "added" => t.added = fg,
                "modified" => t.modified = fg,
                "deleted" => t.deleted = fg,
                other => bad.push(format!("unknown colour name {other:?} under [theme]")),
            }
        }
        if bad.is_empty() {
            Ok(t)
        } else {
            Err(bad.join("; "))
        }
    }
}

/// Keys and theme as loaded, with any problem in the user's file (shown in the status line;
/// the defaults are used for whatever could not be read).
pub struct Settings {
    pub keymap: Keymap,
    pub theme: Theme,
    pub problem: Option<ConfigError>,
}

/// The config file the CLI reads too: `$ARCHLENS_CONFIG`, else
/// `$XDG_CONFIG_HOME/archlens/config.toml` (`~/.config/archlens/config.toml`).
pub fn config_path() -> Option<PathBuf> {
    std::env::var_os(crate::config::CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(crate::config::Config::default_path)
}

/// Loads defaults, then the `[keys]` and `[theme]` of the user's file if there is one.
/// `color` false gives the plain theme.
pub fn load(user_file: Option<&Path>, color: bool) -> Settings {
    let empty = toml::Table::new();
    let Some(path) = user_file else {
        return from_tables(&empty, &empty, "", color);
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return from_tables(&empty, &empty, "", color);
    };
    let file = path.display().to_string();
    match toml::from_str::<KeysFile>(&text) {
        Ok(user) => from_tables(&user.keys, &user.theme, &file, color),
        Err(e) => {
            let mut s = from_tables(&empty, &empty, &file, color);
            s.problem = Some(ConfigError {
                file,
                detail: format!(
                    "not valid TOML ({}); using the default keys and colours",
                    e.message()
                ),
            });
            s
        }
    }
}

/// Defaults overridden by the `[keys]` and `[theme]` tables of the config file `file`.
pub fn from_tables(keys: &toml::Table, theme: &toml::Table, file: &str, color: bool) -> Settings {
    let mut problems = Vec::new();
    let mut keymap = Keymap::default_map();
    let lists = key_lists(keys, &mut problems);
    if let Err(e) = keymap.apply(&lists, file) {
        problems.push(e.detail);
    }
    let defaults: KeysFile = toml::from_str(DEFAULT_THEME).unwrap_or_default();
    let default_colours = colour_names(&defaults.theme, &mut Vec::new());
    let mut colours = default_colours.clone();
    colours.extend(colour_names(theme, &mut problems));
    let theme = if color {
        match Theme::from_map(&colours) {
            Ok(t) => t,
            Err(detail) => {
                problems.push(detail);
                Theme::from_map(&default_colours).unwrap_or_else(|_| Theme::plain())
            }
        }
    } else {
        Theme::plain()
    };
    Settings {
        keymap,
        theme,
        problem: (!problems.is_empty()).then(|| ConfigError {
            file: file.to_string(),
            detail: problems.join("; "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_every_action() {
        let k = Keymap::default_map();
        for b in Bind::ALL {
            assert!(!k.keys(b).is_empty(), "{} has no key", b.name());
        }
        assert_eq!(k.lookup(KeyPress::parse("j").unwrap()), Some(Bind::Down));
        assert_eq!(k.lookup(KeyPress::parse("G").unwrap()), Some(Bind::Bottom));
        assert_eq!(
            k.lookup(KeyPress::parse("ctrl-c").unwrap()),
            Some(Bind::Quit)
        );
        assert_eq!(k.lookup(KeyPress::plain(KeyCode::Esc)), Some(Bind::Back));
    }

    #[test]
    fn user_file_overrides_keys_and_help_follows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[keys]\nquit = [\"x\"]\ndown = [\"q\"]\n[theme]\nfail = \"magenta\"\n",
        )
        .unwrap();
        let s = load(Some(&path), true);
        assert!(s.problem.is_none(), "{:?}", s.problem);
        assert_eq!(
            s.keymap.lookup(KeyPress::parse("x").unwrap()),
            Some(Bind::Quit)
        );
        assert_eq!(
            s.keymap.lookup(KeyPress::parse("q").unwrap()),
            Some(Bind::Down)
        );
        assert_eq!(s.theme.fail.fg, Some(Color::Magenta));
        let help = s.keymap.help_lines(Place::Image);
        assert!(
            help.iter().any(|(k, what)| k == "x" && *what == "quit"),
            "{help:?}"
        );
        // Help lists only what works on the screen it is opened on.
        let repos = s.keymap.help_lines(Place::Repos);
        assert!(
            !repos.iter().any(|(_, w)| w.starts_with("files:")),
            "{repos:?}"
        );
        assert!(
            help.iter().any(|(_, w)| w.starts_with("files:")),
            "{help:?}"
        );
        // Tab is described in the order it moves focus on each screen.
        let tab = |place| {
            s.keymap
                .help_lines(place)
                .into_iter()
                .find(|(k, _)| k == "Tab")
                .map(|(_, w)| w)
        };
        assert_eq!(
            tab(Place::Image),
            Some("next pane: layers → files → details → layers")
        );
        assert_eq!(tab(Place::Verdict), Some("other pane: targets ↔ findings"));
    }

    #[test]
    fn bad_config_is_explained_and_defaults_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[keys]\nfly = [\"f\"]\nup = [\"ctrl-\"]\n").unwrap();
        let s = load(Some(&path), false);
        let p = s.problem.unwrap().to_string();
        assert!(p.contains("unknown action \"fly\""), "{p}");
        assert!(p.contains("cannot read key \"ctrl-\""), "{p}");
        assert_eq!(
            s.keymap.lookup(KeyPress::parse("q").unwrap()),
            Some(Bind::Quit)
        );
        std::fs::write(&path, "[keys\n").unwrap();
        let p = load(Some(&path), false).problem.unwrap().to_string();
        assert!(p.contains("not valid TOML"), "{p}");
    }
}
