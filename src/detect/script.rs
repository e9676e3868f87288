//! Shebang scripts: the interpreter and arguments of a `#!` first line, so the verdict can
//! follow `#!/usr/bin/env node` to the binary that really runs.
//!
//! Linux reads at most 256 bytes of the line (BINPRM_BUF_SIZE) and passes everything after
//! the interpreter as one argument; `env -S` splits it again.

use super::ScriptInfo;

/// How much of the first line is considered, as the kernel does.
pub const SHEBANG_MAX: usize = 256;

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
    fn overlong_line_is_cut_at_the_kernel_limit() {
        let mut line = b"#!/bin/".to_vec();
        line.extend(std::iter::repeat_n(b'a', 400));
        let s = parse(&line).unwrap();
        assert_eq!(s.interpreter.len(), SHEBANG_MAX - 2);
    }
}
