//! Init and user-switching wrappers (`tini --`, `dumb-init`, `gosu USER`, `su-exec USER`):
//! the command each execs, and the line each prints when that exec fails (read in its source).

use super::shell::Failure;

/// A wrapper that execs the rest of its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wrapper {
    /// krallin/tini: `tini [-s -v -w -g -l] [-p SIG] [-e CODE] [--] CMD...`.
    Tini,
    /// Yelp/dumb-init: `dumb-init [-c -v] [-r s:r] [--] CMD...`.
    DumbInit,
    /// tianon/gosu: `gosu USER[:GROUP] CMD...`.
    Gosu,
    /// ncopa/su-exec: `su-exec USER[:GROUP] CMD...`.
    SuExec,
}

impl Wrapper {
    /// The wrapper a program is, by its file name (`/usr/bin/tini-static` -> tini).
    pub fn of(path: &str) -> Option<Wrapper> {
        match path.rsplit('/').next()? {
            "tini" | "tini-static" | "tini-amd64" | "tini-arm64" | "tini-static-amd64"
            | "tini-static-arm64" => Some(Wrapper::Tini),
            "dumb-init" => Some(Wrapper::DumbInit),
            "gosu" => Some(Wrapper::Gosu),
            "su-exec" => Some(Wrapper::SuExec),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Wrapper::Tini => "tini",
            Wrapper::DumbInit => "dumb-init",
            Wrapper::Gosu => "gosu",
            Wrapper::SuExec => "su-exec",
        }
    }

    /// Whether a build of it as usually shipped runs a file the kernel refuses (ENOEXEC) as a
    /// /bin/sh script: glibc's `execvp` does (tini's and dumb-init's releases and Debian's
    /// packages link glibc); musl's does not (su-exec ships mostly on Alpine); Go's
    /// `syscall.Exec` (gosu) never does.
    pub fn shell_fallback(self) -> bool {
        matches!(self, Wrapper::Tini | Wrapper::DumbInit)
    }

    /// Whether it starts the command with the C library's `execvp` (all but gosu).
    pub fn uses_execvp(self) -> bool {
        self != Wrapper::Gosu
    }

    /// The command it execs, from its arguments (after `argv[0]`); `None` when it is given
    /// none (it then prints its usage and exits).
    pub fn command(self, args: &[String]) -> Option<&[String]> {
        let rest = match self {
            Wrapper::Gosu | Wrapper::SuExec => args.get(1..)?,
            Wrapper::Tini => skip_options(args, &["-p", "-e"]),
            Wrapper::DumbInit => skip_options(args, &["-r", "--rewrite"]),
        };
        (!rest.is_empty()).then_some(rest)
    }

    /// The line it prints when it cannot exec `word` (the command as given) and its exit code.
    /// `missing` says the file itself is absent (not only its ELF loader).
    pub fn error_line(self, word: &str, failure: Failure, missing: bool) -> (String, i32) {
        let c = match failure {
            Failure::ExecFormat => "Exec format error",
            Failure::NotFound => "No such file or directory",
            Failure::PermissionDenied => "Permission denied",
        };
        match self {
            // tini.c: PRINT_FATAL("exec %s failed: %s"), status 127 / 126 / 1; the pid is
            // the child's, known only at run time.
            Wrapper::Tini => (
                format!("[FATAL tini (<pid>)] exec {word} failed: {c}"),
                match failure {
                    Failure::NotFound => 127,
                    Failure::PermissionDenied => 126,
                    Failure::ExecFormat => 1,
                },
            ),
            // dumb-init.c: PRINTERR("%s: %s\n", cmd[0], strerror(errno)); return 2.
            Wrapper::DumbInit => (format!("[dumb-init] {word}: {c}"), 2),
            // su-exec.c: err(1, "%s", cmdargv[0]).
            Wrapper::SuExec => (format!("su-exec: {word}: {c}"), 1),
            // main.go: exec.LookPath, then syscall.Exec; Go words errno in lower case.
            Wrapper::Gosu => (
                match failure {
                    Failure::NotFound if !word.contains('/') => {
                        format!("error: exec: \"{word}\": executable file not found in $PATH")
                    }
                    Failure::NotFound if missing => {
                        format!("error: exec: \"{word}\": stat {word}: no such file or directory")
                    }
                    _ => format!("error: exec failed: {}", c.to_ascii_lowercase()),
                },
                1,
            ),
        }
    }
}

/// The arguments after the options a getopt-style wrapper reads: flags, the options in
/// `valued` (which take the next word), and `--`.
fn skip_options<'a>(args: &'a [String], valued: &[&str]) -> &'a [String] {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            return args.get(i + 1..).unwrap_or_default();
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        i += if valued.contains(&a.as_str()) { 2 } else { 1 };
    }
    args.get(i..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn each_wrapper_execs_the_rest_of_its_arguments() {
        let cmd = |w: Wrapper, s: &str| w.command(&words(s)).map(|c| c.join(" "));
        assert_eq!(
            cmd(Wrapper::Tini, "-- /app/server -x").unwrap(),
            "/app/server -x"
        );
        assert_eq!(
            cmd(Wrapper::Tini, "-s -p SIGTERM -g node app.js").unwrap(),
            "node app.js"
        );
        assert_eq!(
            cmd(Wrapper::DumbInit, "--rewrite 15:2 -- nginx").unwrap(),
            "nginx"
        );
        assert_eq!(cmd(Wrapper::DumbInit, "-c /bin/app").unwrap(), "/bin/app");
        assert_eq!(
            cmd(Wrapper::Gosu, "app:app /app/server --port 80").unwrap(),
            "/app/server --port 80"
        );
        assert_eq!(
            cmd(Wrapper::SuExec, "1000 redis-server").unwrap(),
            "redis-server"
        );
        assert_eq!(cmd(Wrapper::Gosu, "app"), None);
        assert_eq!(cmd(Wrapper::Tini, "--"), None);
        assert_eq!(Wrapper::of("/usr/bin/tini-static"), Some(Wrapper::Tini));
        assert_eq!(Wrapper::of("/usr/local/bin/gosu"), Some(Wrapper::Gosu));
        assert_eq!(Wrapper::of("/bin/sh"), None);
    }

    #[test]
    fn error_lines_as_each_wrapper_prints_them() {
        assert_eq!(
            Wrapper::Gosu.error_line("/app/server", Failure::ExecFormat, false),
            ("error: exec failed: exec format error".into(), 1)
        );
        assert_eq!(
            Wrapper::SuExec
                .error_line("/app/server", Failure::ExecFormat, false)
                .0,
            "su-exec: /app/server: Exec format error"
        );
        assert_eq!(
            Wrapper::Tini.error_line("server", Failure::NotFound, true),
            (
                "[FATAL tini (<pid>)] exec server failed: No such file or directory".into(),
                127
            )
        );
        assert_eq!(
            Wrapper::DumbInit.error_line("/app/server", Failure::ExecFormat, false),
            ("[dumb-init] /app/server: Exec format error".into(), 2)
        );
        assert_eq!(
            Wrapper::Gosu
                .error_line("server", Failure::NotFound, true)
                .0,
            "error: exec: \"server\": executable file not found in $PATH"
        );
    }
}
