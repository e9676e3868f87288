//! Entrypoints that start another program: `sh -c STRING`, scripts ending in `exec "$@"`, and
//! `tini`/`gosu`-style wrappers. Finds what they start and words errors as the starter does.

use crate::detect::{Details, Libc};
use crate::verdict::{Code, Finding};

use super::entrypoint::{absolute, look_path};
use super::shell::{self, Failure, Flavour, Service};
use super::wrapper::Wrapper;
use super::{Ask, Index, exec_error};

/// Program names that are shells taking `-c STRING`.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"];

/// A shell about to start the service, and how it will word a failure.
pub(super) struct ShellRun {
    pub svc: Service,
    /// Which shell it is; `None` when the file's name does not tell. For a wrapper, the
    /// image's /bin/sh, which glibc's `execvp` hands a file the kernel refuses.
    pub flavour: Option<Flavour>,
    /// The shell's `$0`, which starts its error lines.
    pub zero: String,
    /// The command came from a script file rather than `-c`.
    pub script: bool,
    /// How the launch is named in messages: `` `/bin/sh -c 'exec /app/server'` ``.
    pub told: String,
    /// The script rewrites `"$@"` before its last line, so the arguments may not be CMD.
    pub args_rewritten: bool,
    /// Set when the starter is an exec wrapper (tini, gosu) rather than a shell.
    pub wrapper: Option<Wrapper>,
    /// The wrapper's `execvp` runs a file the kernel refuses again as a /bin/sh script
    /// (glibc's does, musl's does not).
    pub retries_as_script: bool,
}

impl ShellRun {
    /// The starter's line for a failed exec of the service, when its words are known.
    fn error_line(&self, found: &str, failure: Failure, missing: bool) -> Option<String> {
        let word = self.svc.argv.first().map_or(found, String::as_str);
        match (self.wrapper, self.flavour) {
            (Some(_), fl) if failure == Failure::ExecFormat && self.retries_as_script => match fl {
                Some(Flavour::Bash) => {
                    Some(format!("/bin/sh: {found}: cannot execute binary file"))
                }
                Some(Flavour::Dash) => Some(format!(
                    "{found}: N: Syntax error: ... (/bin/sh reads the binary as a script)"
                )),
                Some(Flavour::Busybox) => Some(format!(
                    "{found}: line N: syntax error: ... (/bin/sh reads the binary as a script)"
                )),
                None => None,
            },
            (Some(w), _) => Some(w.error_line(word, failure, missing).0),
            (None, Some(fl)) => {
                Some(fl.error_line(&self.zero, &self.svc, found, self.script, failure))
            }
            (None, None) => None,
        }
    }

    /// The starter's name and the code the container exits with when that exec fails.
    fn failed_with(&self, failure: Failure) -> (&'static str, i32) {
        match (self.wrapper, self.flavour) {
            (Some(_), fl) if failure == Failure::ExecFormat && self.retries_as_script => match fl {
                Some(Flavour::Bash) => ("/bin/sh", 126),
                _ => ("/bin/sh", 2),
            },
            (Some(w), _) => (w.name(), w.error_line("", failure, false).1),
            (None, Some(fl)) => (fl.name(), fl.exit_code(failure).into()),
            (None, None) => ("the shell", 126),
        }
    }
}

/// If the program at `path` (started as `argv`) is a shell given a command, what the
/// command starts; an info finding when that cannot be known.
pub(super) fn launched(
    idx: &Index,
    argv: &[String],
    path: &str,
    path_var: &str,
) -> Option<Result<ShellRun, Finding>> {
    let real = idx.image.fs.resolve(path).ok()?.0;
    let argv0 = argv.first()?;
    if let Some(w) = Wrapper::of(&real).or_else(|| Wrapper::of(argv0)) {
        let sh = idx.image.fs.resolve("/bin/sh").ok().map(|(r, _)| r);
        // A static build does not say its libc: then the one it usually ships with.
        let retries = w.uses_execvp()
            && match idx.primary(&real).and_then(|(_, a)| a.libc) {
                Some(Libc::Glibc) => true,
                Some(Libc::Musl) => false,
                _ => w.shell_fallback(),
            };
        return wrapped(
            w,
            argv,
            path_var,
            sh.as_deref().and_then(Flavour::of),
            retries,
        );
    }
    let (svc, run) = match idx.primary(&real).map(|(_, a)| &a.details) {
        Some(Details::Script(s)) => {
            let tail = s.tail.as_ref()?;
            let interp = s.command().and_then(|c| {
                let found = if c.contains('/') {
                    c.to_string()
                } else {
                    look_path(idx, c)?
                };
                idx.image.fs.resolve(&found).ok().map(|(r, _)| r)
            });
            let run = ShellRun {
                svc: placeholder(),
                flavour: interp.as_deref().and_then(Flavour::of),
                zero: path.to_string(),
                script: true,
                told: format!("{path} at line {} (`{}`)", tail.line, short(&tail.text)),
                args_rewritten: tail.sets_args && tail.text.contains('$'),
                wrapper: None,
                retries_as_script: false,
            };
            let args = argv.get(1..).unwrap_or_default();
            (shell::service(&tail.text, tail.line, args, path_var), run)
        }
        Some(Details::Elf(_)) | None => {
            let is_shell = [real.as_str(), argv0.as_str()]
                .iter()
                .filter_map(|p| p.rsplit('/').next())
                .any(|n| SHELLS.contains(&n));
            if !is_shell {
                return None;
            }
            let (text, zero, args) = shell::dash_c(argv.get(1..).unwrap_or_default())?;
            let run = ShellRun {
                svc: placeholder(),
                flavour: Flavour::of(&real),
                zero: zero.unwrap_or(argv0).to_string(),
                script: false,
                told: format!("`{argv0} -c '{}'`", short(text)),
                args_rewritten: false,
                wrapper: None,
                retries_as_script: false,
            };
            (shell::service(text, 1, args, path_var), run)
        }
        Some(_) => return None,
    };
    Some(match svc {
        Ok(svc) if svc.argv.first().is_some_and(|w| !w.is_empty()) => Ok(ShellRun { svc, ..run }),
        Ok(_) => Err(unknown(&run, "the command word is empty")),
        Err(why) => Err(unknown(&run, &why)),
    })
}

/// What an exec wrapper starts: the command in its arguments, searched on the same PATH.
fn wrapped(
    w: Wrapper,
    argv: &[String],
    path_var: &str,
    sh: Option<Flavour>,
    retries_as_script: bool,
) -> Option<Result<ShellRun, Finding>> {
    let cmd = w.command(argv.get(1..).unwrap_or_default())?;
    Some(Ok(ShellRun {
        svc: Service {
            argv: cmd.to_vec(),
            exec: true,
            line: 1,
            path: path_var.to_string(),
            cwd: None,
        },
        flavour: sh,
        zero: argv.first().cloned().unwrap_or_default(),
        script: false,
        told: format!("`{}`", short(&argv.join(" "))),
        args_rewritten: false,
        wrapper: Some(w),
        retries_as_script,
    }))
}

fn placeholder() -> Service {
    Service {
        argv: Vec::new(),
        exec: false,
        line: 1,
        path: String::new(),
        cwd: None,
    }
}

/// A command cut to fit in a message.
fn short(text: &str) -> String {
    let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &one[..i]),
        None => one,
    }
}

/// The shell's command cannot be read without running it: said, not guessed.
pub(super) fn unknown(run: &ShellRun, why: &str) -> Finding {
    // Not an error: the shell runs. But a verdict that cannot be known says so where people look.
    Finding::warning(
        Code::CommandUnknown,
        format!("what {} starts cannot be known before it runs: {why}", run.told),
    )
    .fix("start the service with a literal path, e.g. ENTRYPOINT [\"/app/server\"] or `exec /app/server`, so it can be checked")
    .because(format!(
        "The entrypoint is a shell, and the program that becomes the service is the one its command starts: archlens reads that command (exec, `&&` chains, `VAR=value` prefixes, \"$@\") to check the program's CPU and C library as it does for an exec-form ENTRYPOINT. Here {why}, so only the shell itself was checked; the program it starts may still be built for another CPU."
    ))
}

/// The shell looks for a program that is not there.
pub(super) fn not_found(
    idx: &Index,
    run: &ShellRun,
    word: &str,
    path_var: &str,
    cwd: Option<&str>,
) -> Finding {
    let searched = if word.contains('/') {
        "that path".to_string()
    } else {
        format!("PATH={path_var}")
    };
    let f = Finding::error(
        Code::EntrypointNotFound,
        format!(
            "{} runs {word}, which is not in the image (searched {searched})",
            run.told
        ),
    )
    .fix(format!(
        "copy {word} into the image or correct the command in {}",
        run.told
    ));
    let f = if word.contains('/') {
        f.at(
            absolute(cwd.or(idx.image.config.workdir.as_deref()), word),
            None,
        )
    } else {
        f
    };
    let f = match run.error_line(word, Failure::NotFound, true) {
        Some(line) => f.predicts(line),
        None => f,
    };
    let starter = run.wrapper.map_or("the shell", Wrapper::name);
    let outcome = match run.wrapper {
        Some(w) => format!(
            "{} reports the failed exec and exits with code {}",
            w.name(),
            w.error_line(word, Failure::NotFound, true).1
        ),
        None => "The shell prints 'not found' and exits with code 127".to_string(),
    };
    f.because(format!(
        "The runtime starts {starter}, which then runs {word}, as {} says. No layer of the image has it{}: it was installed in another build stage, under another name, or deleted by a later layer. {outcome}; the CPU and the C library play no part.",
        run.told,
        if word.contains('/') { String::new() } else { format!(" in a directory on PATH ({path_var})") }
    ))
}

/// Rewords a finding about the program the shell starts: the shell's `execve` fails, and
/// the shell, not the runtime, prints the error.
pub(super) fn relaunch(ask: &Ask, run: &ShellRun, found: &str, f: &mut Finding) {
    let Some(failure) = [
        (Failure::ExecFormat, "exec format error"),
        (Failure::NotFound, "no such file or directory"),
        (Failure::PermissionDenied, "permission denied"),
    ]
    .into_iter()
    .find(|(_, reason)| {
        f.predicted_error.as_deref() == Some(&exec_error(ask.target, found, reason))
    })
    .map(|(failure, _)| failure) else {
        return;
    };
    f.predicted_error = run.error_line(found, failure, false);
    let (starter, code) = run.failed_with(failure);
    if let Some(w) = run.wrapper {
        f.explanation.push_str(&format!(
            " The runtime starts {}, which runs; it is {} that then executes {found}, as {} says, so the error line is not the runtime's, and the container exits with code {code}.",
            w.name(),
            w.name(),
            run.told
        ));
        if failure == Failure::ExecFormat && run.retries_as_script {
            f.explanation.push_str(&format!(
                " {} calls glibc's execvp, which on exec format error runs the file again as `/bin/sh {found}`, as POSIX asks: the shell reads the binary as a script and fails with a syntax error whose words depend on its bytes. A musl build of {} (Alpine's) does not retry, and prints its own exec error instead.",
                w.name(),
                w.name()
            ));
        } else if failure == Failure::ExecFormat && w.uses_execvp() {
            f.explanation.push_str(&format!(
                " That is {} built against musl (as Alpine ships it), whose execvp does not retry; a glibc build's would run the file again as a /bin/sh script and fail with the shell's syntax error.",
                w.name()
            ));
        }
        return;
    }
    f.explanation.push_str(&format!(
        " The runtime starts the shell, which runs; it is {starter} that then executes {found}, as {} says, so the error comes from the shell, not the runtime, and the container exits with code {code}.",
        run.told
    ));
    match (run.flavour, failure) {
        (Some(Flavour::Busybox), Failure::ExecFormat) => f.explanation.push_str(
            " On exec format error busybox sh does what POSIX asks and reads the file as a shell script, so the log shows a syntax error about the binary's bytes (its words depend on them) instead of 'Exec format error'.",
        ),
        (_, Failure::NotFound) => f.explanation.push_str(
            " The shell reports execve's 'no such file or directory' as 'not found', even when the file exists and what is missing is its ELF loader.",
        ),
        (None, _) => f.explanation.push_str(
            " Which shell the image's one is cannot be told from its file name, so its exact words are not predicted.",
        ),
        _ => {}
    }
}
