//! The `:` command history, newest last, kept in the cache directory between runs: a small
//! text file, bounded in lines and length, with control characters dropped both ways.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Commands kept; older ones fall off the front.
pub const MAX_ENTRIES: usize = 100;
/// Characters kept of one command (a pasted novel is not a command).
const MAX_LINE: usize = 200;
/// Bytes read of the file at most: a damaged or foreign file cannot stall the start.
const MAX_FILE: u64 = 64 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<String>,
}

impl History {
    /// Reads the file's text: one command a line, the newest last.
    pub fn parse(text: &str) -> History {
        let mut h = History::default();
        for line in text.lines() {
            h.push(line);
        }
        h
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Adds a command run (again: it moves to the end). False when there is nothing to keep.
    pub fn push(&mut self, cmd: &str) -> bool {
        let Some(cmd) = clean(cmd) else { return false };
        self.entries.retain(|e| *e != cmd);
        self.entries.push(cmd);
        let over = self.entries.len().saturating_sub(MAX_ENTRIES);
        self.entries.drain(..over);
        true
    }

    pub fn to_text(&self) -> String {
        let mut out = self.entries.join("\n");
        out.push('\n');
        out
    }
}

/// One line as kept: trimmed, no control characters, at most [`MAX_LINE`] characters.
fn clean(line: &str) -> Option<String> {
    let s: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LINE)
        .collect();
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Where the history lives: `command-history` in the cache directory.
pub fn path_in(cache_dir: &Path) -> PathBuf {
    cache_dir.join("command-history")
}

/// The history in `path`; none when the file is missing or unreadable (it is only a
/// convenience, never a reason to refuse to start).
pub fn load(path: &Path) -> History {
    // Bytes, not text: a stray byte or a character cut at the size cap costs one line.
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(MAX_FILE).read_to_end(&mut bytes));
    match read {
        Ok(_) => History::parse(&String::from_utf8_lossy(&bytes)),
        Err(_) => History::default(),
    }
}

/// Writes the history beside its file first, then moves it in, so two explorers quitting
/// at once leave one whole file.
pub fn save(path: &Path, h: &History) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // What another explorer saved since this one started is kept: ours go after it.
    let mut merged = load(path);
    for e in h.entries() {
        merged.push(e);
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, merged.to_text())?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_explorers_keep_both_their_commands_and_a_bad_byte_costs_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(dir.path());
        std::fs::write(&path, b"target graviton\nbad \xff byte\n").unwrap();
        let mut first = load(&path);
        assert_eq!(first.entries(), ["target graviton", "bad \u{fffd} byte"]);
        let mut second = load(&path);
        first.push("go /usr");
        second.push("repos");
        save(&path, &first).unwrap();
        save(&path, &second).unwrap();
        let kept = load(&path);
        assert!(
            kept.entries().iter().any(|e| e == "go /usr"),
            "{:?}",
            kept.entries()
        );
        assert_eq!(kept.entries().last().unwrap(), "repos");
    }

    #[test]
    fn bounded_deduplicated_and_sanitised() {
        let mut h = History::parse("target graviton\n\n  repos \nbad\u{1b}[2Jline\n");
        assert_eq!(h.entries(), ["target graviton", "repos", "bad[2Jline"]);
        assert!(h.push("target graviton"));
        assert_eq!(h.entries().last().unwrap(), "target graviton");
        assert_eq!(h.entries().len(), 3, "a repeat moves, it is not kept twice");
        assert!(!h.push("   "));
        for i in 0..300 {
            h.push(&format!("target t{i}"));
        }
        assert_eq!(h.entries().len(), MAX_ENTRIES);
        assert_eq!(h.entries().last().unwrap(), "target t299");
        h.push(&"x".repeat(5000));
        assert_eq!(h.entries().last().unwrap().len(), MAX_LINE);
    }

    #[test]
    fn saved_and_loaded_from_the_cache_dir() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_in(&dir.path().join("archlens"));
        assert_eq!(load(&path), History::default(), "no file yet");
        let mut h = History::default();
        h.push("target lambda");
        h.push("help");
        save(&path, &h).unwrap();
        assert_eq!(load(&path).entries(), ["target lambda", "help"]);
    }
}
