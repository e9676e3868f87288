//! Shebang scripts: the interpreter and arguments of a `#!` first line, so the verdict can
//! follow `#!/usr/bin/env node` to the binary that really runs.
//!
//! Linux reads at most 256 bytes of the line (BINPRM_BUF_SIZE) and passes everything after
//! the interpreter as one argument; `env -S` splits it again.

use super::{ScriptInfo, ScriptTail};

/// How much of the first line is considered, as the kernel does.
pub const SHEBANG_MAX: usize = 256;

/// Shell scripts up to this size are read whole for their last command (an official
/// image's docker-entrypoint.sh is 2-15 KiB).
pub const SCRIPT_CAP: u64 = 128 * 1024;

/// A last command longer than this is not kept.
pub const TAIL_MAX: usize = 512;

/// Interpreters whose scripts are shell, so their last line says what they start.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"];

/// Whether the script is run by a POSIX-style shell.
pub fn is_shell(info: &ScriptInfo) -> bool {
    info.command()
        .and_then(|c| c.rsplit('/').next())
        .is_some_and(|c| SHELLS.contains(&c))
}

/// The last command line of a shell script: the last line that is not blank or a comment,
/// with `\`-continued lines joined. `None` when it is too long to keep.
pub fn tail(text: &str) -> Option<ScriptTail> {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    while end > 0 {
        let t = lines[end - 1].trim();
        if t.is_empty() || t.starts_with('#') {
            end -= 1;
        } else {
            break;
        }
    }
    let mut start = end.checked_sub(1)?;
    while start > 0 && lines[start - 1].trim_end().ends_with('\\') {
        start -= 1;
    }
    let joined = lines[start..end].join("\n");
    if joined.len() > TAIL_MAX || start == 0 {
        return None;
    }
    let sets_args = lines.iter().any(|l| {
        let t = l.trim_start();
        t.starts_with("set --")
            || t == "shift"
            || t.starts_with("shift ")
            || t.starts_with("shift;")
    });
    Some(ScriptTail {
        line: u32::try_from(start + 1).ok()?,
        text: joined,
        sets_args,
    })
}

/// Parses a shebang from the first bytes of a file; `None` when there is none or it names
/// no interpreter.
pub fn parse(head: &[u8]) -> Option<ScriptInfo> {
    let rest = head.strip_prefix(b"#!")?;
    let rest = &rest[..rest.len().min(SHEBANG_MAX - 2)];
    let line = match rest.iter().position(|&c| c == b'\n') {
        Some(i) => &rest[..i],
        None => rest,
    };
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches('\r');
    let mut words = line.split_whitespace();
    let interpreter = words.next()?.to_string();
    Some(ScriptInfo {
        interpreter,
        args: words.map(str::to_string).collect(),
        tail: None,
    })
}

impl ScriptInfo {
    /// The program that finally runs: the interpreter itself, or for `env` the first
    /// argument that is not an option (`#!/usr/bin/env -S node --x` -> `node`).
    pub fn command(&self) -> Option<&str> {
        if self.interpreter.rsplit('/').next() != Some("env") {
            return Some(&self.interpreter);
        }
        let mut args = self.args.iter().map(String::as_str);
        while let Some(a) = args.next() {
            match a {
                "-S" | "--split-string" | "-i" | "--ignore-environment" | "-" => {}
                "-u" | "--unset" | "-C" | "--chdir" => {
                    args.next();
                }
                _ if a.starts_with('-') => {}
                _ if a.contains('=') => {}
                _ => return Some(a),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        let s = parse(b"#!/bin/sh\nset -e\n").unwrap();
        assert_eq!(s.interpreter, "/bin/sh");
        assert!(s.args.is_empty());
        assert_eq!(s.command(), Some("/bin/sh"));

        let s = parse(b"#! /usr/bin/env -S node --enable-source-maps\r\nx").unwrap();
        assert_eq!(s.interpreter, "/usr/bin/env");
        assert_eq!(s.args, vec!["-S", "node", "--enable-source-maps"]);
        assert_eq!(s.command(), Some("node"));

        let s = parse(b"#!/usr/bin/env python3").unwrap();
        assert_eq!(s.command(), Some("python3"));

        assert_eq!(parse(b"#!\n"), None);
        assert_eq!(parse(b"#!   \r\n"), None);
        assert_eq!(parse(b"echo hi"), None);
    }

    #[test]
    fn a_wrapper_script_keeps_its_last_command() {
        // The end of the official node image's docker-entrypoint.sh.
        let text = "#!/bin/sh\nset -e\n\nif [ \"${1#-}\" != \"${1}\" ]; then\n  set -- node \"$@\"\nfi\n\nexec \"$@\"\n";
        let t = tail(text).unwrap();
        assert_eq!(t.text, "exec \"$@\"");
        assert_eq!(t.line, 8);
        assert!(t.sets_args);

        let t = tail("#!/bin/sh\nexec /app/server \\\n  --port 80\n# done\n\n").unwrap();
        assert_eq!(t.text, "exec /app/server \\\n  --port 80");
        assert_eq!(t.line, 2);
        assert!(!t.sets_args);

        assert_eq!(tail("#!/bin/sh\n# nothing\n"), None);
        assert!(is_shell(&parse(b"#!/bin/sh\n").unwrap()));
        assert!(is_shell(&parse(b"#!/usr/bin/env bash\n").unwrap()));
        assert!(!is_shell(&parse(b"#!/usr/bin/env node\n").unwrap()));
    }

    #[test]
    fn classify_keeps_the_tail_of_shell_scripts_only() {
        let script = b"#!/bin/sh\nset -e\nexec \"$@\"\n";
        let found =
            crate::detect::classify("/e.sh", script.len() as u64, &mut &script[..]).unwrap();
        let crate::detect::Details::Script(s) = &found[0].details else {
            panic!("{found:?}")
        };
        assert_eq!(
            s.tail.as_ref().map(|t| t.text.as_str()),
            Some("exec \"$@\"")
        );
        let js = b"#!/usr/bin/env node\nmain()\n";
        let found = crate::detect::classify("/e.js", js.len() as u64, &mut &js[..]).unwrap();
        let crate::detect::Details::Script(s) = &found[0].details else {
            panic!("{found:?}")
        };
        assert_eq!(s.tail, None);
    }

    #[test]
    fn overlong_line_is_cut_at_the_kernel_limit() {
        let mut line = b"#!/bin/".to_vec();
        line.extend(std::iter::repeat_n(b'a', 400));
        let s = parse(&line).unwrap();
        assert_eq!(s.interpreter.len(), SHEBANG_MAX - 2);
    }
}
