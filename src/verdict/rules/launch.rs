//! Entrypoints that are shells: `sh -c STRING` and wrapper scripts ending in `exec "$@"`.
//! Finds what they start and words the errors as the shell (dash, busybox, bash) prints them.

use crate::detect::Details;
use crate::verdict::{Code, Finding};

use super::entrypoint::{absolute, look_path};
use super::shell::{self, Failure, Flavour, Service};
use super::{Ask, Index, exec_error};

/// Program names that are shells taking `-c STRING`.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"];

/// A shell about to start the service, and how it will word a failure.
pub(super) struct ShellRun {
    pub svc: Service,
    /// Which shell it is; `None` when the file's name does not tell.
    pub flavour: Option<Flavour>,
    /// The shell's `$0`, which starts its error lines.
    pub zero: String,
    /// The command came from a script file rather than `-c`.
    pub script: bool,
    /// How the launch is named in messages: `` `/bin/sh -c 'exec /app/server'` ``.
    pub told: String,
    /// The script rewrites `"$@"` before its last line, so the arguments may not be CMD.
    pub args_rewritten: bool,
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
    Finding::info(
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
    let f = match run.flavour {
        Some(fl) => {
            f.predicts(fl.error_line(&run.zero, &run.svc, word, run.script, Failure::NotFound))
        }
        None => f,
    };
    f.because(format!(
        "The runtime starts the shell, which then runs {word}, as {} says. No layer of the image has it{}: it was installed in another build stage, under another name, or deleted by a later layer. The shell prints 'not found' and exits with code 127; the CPU and the C library play no part.",
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
    f.predicted_error = run
        .flavour
        .map(|fl| fl.error_line(&run.zero, &run.svc, found, run.script, failure));
    let shell = run.flavour.map_or("the shell", Flavour::name);
    let code = run.flavour.map_or(126, |fl| fl.exit_code(failure));
    f.explanation.push_str(&format!(
        " The runtime starts the shell, which runs; it is {shell} that then executes {found}, as {} says, so the error comes from the shell, not the runtime, and the container exits with code {code}.",
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
