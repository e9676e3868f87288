//! The lines dash, busybox sh and bash print when they cannot start a program, as seen by
//! running each in a chroot (tests/fixtures/shell/ holds the shells and the recipe).

use super::Service;

/// Which shell prints the error: their lines differ (checked by running each in a chroot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::verdict::rules) enum Flavour {
    Dash,
    Busybox,
    Bash,
}

/// Why `execve` of the service failed, as the shell reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::verdict::rules) enum Failure {
    /// ENOEXEC: code for another CPU.
    ExecFormat,
    /// ENOENT: no such file, or its ELF loader is missing.
    NotFound,
    /// EACCES: no execute bit.
    PermissionDenied,
}

impl Flavour {
    /// The shell a program file is, by the name it resolves to (`/bin/sh` -> `dash`).
    pub fn of(real_path: &str) -> Option<Flavour> {
        match real_path.rsplit('/').next()? {
            "dash" => Some(Flavour::Dash),
            "busybox" | "ash" => Some(Flavour::Busybox),
            "bash" => Some(Flavour::Bash),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavour::Dash => "dash",
            Flavour::Busybox => "busybox sh",
            Flavour::Bash => "bash",
        }
    }

    /// The line the shell prints when it cannot start `word` (found at `found`).
    /// `name` is the shell's `$0`; `script` says whether the text came from a script file
    /// (busybox numbers `-c` lines from 0, script lines from 1). Busybox retries a file
    /// that is not an executable as a shell script (POSIX asks for it on ENOEXEC), so a
    /// foreign binary gives a syntax error whose words depend on its bytes.
    pub fn error_line(
        self,
        name: &str,
        svc: &Service,
        found: &str,
        script: bool,
        failure: Failure,
    ) -> String {
        let word = svc.argv.first().map_or("", String::as_str);
        let n = svc.line;
        let exec = if svc.exec { "exec: " } else { "" };
        match (self, failure) {
            (Flavour::Dash, f) => format!("{name}: {n}: {exec}{word}: {}", dash_reason(f)),
            (Flavour::Busybox, Failure::ExecFormat) => {
                format!(
                    "{found}: line N: syntax error: ... (busybox sh reads the binary as a shell script)"
                )
            }
            (Flavour::Busybox, f) => {
                let reason = dash_reason(f);
                if svc.exec {
                    let n = if script { n } else { n.saturating_sub(1) };
                    format!("{name}: exec: line {n}: {word}: {reason}")
                } else {
                    format!("{name}: {word}: {reason}")
                }
            }
            (Flavour::Bash, Failure::ExecFormat) => {
                format!("{name}: line {n}: {found}: cannot execute binary file: Exec format error")
            }
            (Flavour::Bash, Failure::NotFound) if svc.exec => {
                format!("{name}: line {n}: exec: {word}: not found")
            }
            (Flavour::Bash, Failure::NotFound) => {
                format!("{name}: line {n}: {word}: command not found")
            }
            (Flavour::Bash, Failure::PermissionDenied) if svc.exec => {
                format!("{name}: line {n}: exec: {word}: cannot execute: Permission denied")
            }
            (Flavour::Bash, Failure::PermissionDenied) => {
                format!("{name}: line {n}: {word}: Permission denied")
            }
        }
    }

    /// The shell's exit code for `failure`.
    pub fn exit_code(self, failure: Failure) -> u8 {
        match (self, failure) {
            (Flavour::Busybox, Failure::ExecFormat) => 2,
            (_, Failure::NotFound) => 127,
            _ => 126,
        }
    }
}

fn dash_reason(f: Failure) -> &'static str {
    match f {
        Failure::ExecFormat => "Exec format error",
        Failure::NotFound => "not found",
        Failure::PermissionDenied => "Permission denied",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(text: &str) -> Service {
        super::super::service(text, 1, &[], "/usr/bin:/bin").unwrap()
    }

    #[test]
    fn error_lines_as_each_shell_prints_them() {
        let s = svc("exec /app/server");
        let line = |f: Flavour, fail| f.error_line("/bin/sh", &s, "/app/server", false, fail);
        assert_eq!(
            line(Flavour::Dash, Failure::ExecFormat),
            "/bin/sh: 1: exec: /app/server: Exec format error"
        );
        assert_eq!(
            line(Flavour::Dash, Failure::NotFound),
            "/bin/sh: 1: exec: /app/server: not found"
        );
        assert_eq!(
            line(Flavour::Busybox, Failure::NotFound),
            "/bin/sh: exec: line 0: /app/server: not found"
        );
        assert!(
            line(Flavour::Busybox, Failure::ExecFormat)
                .starts_with("/app/server: line N: syntax error")
        );
        assert_eq!(
            line(Flavour::Bash, Failure::ExecFormat),
            "/bin/sh: line 1: /app/server: cannot execute binary file: Exec format error"
        );
        let s = svc("node x");
        assert_eq!(
            Flavour::Dash.error_line("sh", &s, "/usr/bin/node", false, Failure::ExecFormat),
            "sh: 1: node: Exec format error"
        );
        assert_eq!(
            Flavour::Busybox.error_line("sh", &s, "/usr/bin/node", false, Failure::NotFound),
            "sh: node: not found"
        );
        assert_eq!(Flavour::of("/usr/bin/dash"), Some(Flavour::Dash));
        assert_eq!(Flavour::of("/bin/busybox"), Some(Flavour::Busybox));
        assert_eq!(Flavour::of("/bin/sh"), None);
        assert_eq!(Flavour::Busybox.exit_code(Failure::ExecFormat), 2);
        assert_eq!(Flavour::Dash.exit_code(Failure::ExecFormat), 126);
    }
}
