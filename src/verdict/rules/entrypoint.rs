//! What the runtime starts: ENTRYPOINT + CMD looked up as runc does (PATH, WORKDIR, symlinks
//! across layers), followed through `#!` interpreters to the binary that finally runs.

use crate::detect::{Artifact, Details, Kind};
use crate::oci::{Arch, Digest};
use crate::scan::{Entry, EntryKind};

use super::launch::{self, ShellRun};
use super::{Ask, Index, cpu, exec_error, libc};
use crate::verdict::{Code, Finding, Severity};

/// How many script interpreters are followed (`#!/usr/bin/env node` -> node) before giving up.
const MAX_EXEC_DEPTH: usize = 4;

/// One step of the exec chain whose file is a recognised binary, for the CPU and libc rules.
pub(super) struct Step<'a> {
    /// The path after symlinks.
    pub real: &'a str,
    /// The path the runtime names in its error (the entrypoint, even for its interpreter).
    pub shown: &'a str,
    /// How the file is named in messages.
    pub subject: &'a str,
    pub layer: Option<Digest>,
    pub art: &'a Artifact,
}

/// Finds the command the runtime starts and follows it through scripts to a binary.
/// Returns the path and arch of the binary that would finally run, if known.
pub(super) fn check(ask: &Ask, idx: &Index, findings: &mut Vec<Finding>) -> Option<(String, Arch)> {
    let cfg = &idx.image.config;
    let mut argv: Vec<String> = cfg.entrypoint.clone().unwrap_or_default();
    argv.extend(cfg.cmd.clone().unwrap_or_default());
    if argv.first().is_none_or(|a| a.is_empty()) {
        findings.push(
            Finding::error(
                Code::EntrypointNotFound,
                "the image config has no ENTRYPOINT and no CMD: the runtime has nothing to start",
            )
            .fix("add ENTRYPOINT [\"/path/to/binary\"] to the Dockerfile")
            .predicts("no command specified")
            .because(
                "The runtime starts the image config's ENTRYPOINT followed by its CMD. This image has neither (a base image without a command, or a last build stage that never sets one), so there is nothing to execute; the CPU and the C library play no part.",
            ),
        );
        return None;
    }
    start(ask, idx, &argv, None, 0, findings)
}

/// Looks up and follows `argv[0]`, started by the runtime (`by` is `None`) or by a shell;
/// then, if it is a shell given a command, what that command starts.
fn start(
    ask: &Ask,
    idx: &Index,
    argv: &[String],
    by: Option<&ShellRun>,
    depth: usize,
    findings: &mut Vec<Finding>,
) -> Option<(String, Arch)> {
    let cfg = &idx.image.config;
    let argv0 = argv.first()?;
    let (path_var, cwd) = match by {
        Some(r) => (
            r.svc.path.clone(),
            r.svc.cwd.clone().or_else(|| cfg.workdir.clone()),
        ),
        None => (cfg.path_var(), cfg.workdir.clone()),
    };
    let Some(path) = look_path_in(idx, argv0, &path_var, cwd.as_deref()) else {
        findings.push(match by {
            None => not_found(ask, idx, argv0),
            Some(r) if r.args_rewritten => launch::unknown(
                r,
                &format!("the script rewrites its arguments (`set --`, `shift`) before it runs them, and {argv0} as given is not in the image"),
            ),
            Some(r) => launch::not_found(idx, r, argv0, &path_var, cwd.as_deref()),
        });
        return None;
    };
    let mut own = Vec::new();
    let entry = follow(
        ask,
        idx,
        &path,
        &path,
        0,
        by.map(|r| r.told.as_str()),
        &mut own,
    );
    if let Some(r) = by {
        for f in &mut own {
            launch::relaunch(ask, r, &path, f);
        }
    }
    let failed = own.iter().any(|f| f.severity == Severity::Error);
    findings.extend(own);
    if failed || depth >= MAX_EXEC_DEPTH {
        return entry;
    }
    match launch::launched(idx, argv, &path, &path_var) {
        None => entry,
        Some(Err(unknown)) => {
            findings.push(unknown);
            entry
        }
        Some(Ok(run)) => start(ask, idx, &run.svc.argv, Some(&run), depth + 1, findings).or(entry),
    }
}

fn not_found(ask: &Ask, idx: &Index, argv0: &str) -> Finding {
    let cfg = &idx.image.config;
    let message = |searched: &str| {
        format!("the entrypoint {argv0:?} is not in the image (searched {searched})")
    };
    let f = if argv0.contains('/') {
        let abs = absolute(cfg.workdir.as_deref(), argv0);
        Finding::error(Code::EntrypointNotFound, message("that path"))
            // Nothing wrote the file, so no layer is to blame.
            .at(abs.clone(), None)
            .predicts(exec_error(ask.target, &abs, "no such file or directory"))
            .because(format!(
                "The runtime executes {abs} (ENTRYPOINT + CMD of the image config; a relative path is taken from WORKDIR). No layer of the image has that file: it was never copied into the last build stage, was written in another stage, or a later layer deleted it. The CPU and the C library play no part."
            ))
    } else {
        // A bare name is searched on PATH only: there is no one path to blame.
        Finding::error(
            Code::EntrypointNotFound,
            message(&format!("PATH={}", cfg.path_var())),
        )
        .predicts(format!(
            "exec: \"{argv0}\": executable file not found in $PATH"
        ))
        .because(format!(
            "A command without a slash is looked up on the image's PATH ({}) as runc does, skipping files without an execute bit. No directory on it holds an executable {argv0}: it was installed in another build stage, under another name, or in a directory that is not on PATH.",
            cfg.path_var()
        ))
    };
    f.fix("copy the binary into the image or correct ENTRYPOINT/CMD")
}

/// Checks that `path` can be executed on the target; `shown` is the path the runtime names
/// in its error (the entrypoint, even when the failure is in its interpreter).
fn follow(
    ask: &Ask,
    idx: &Index,
    path: &str,
    shown: &str,
    depth: usize,
    by: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Option<(String, Arch)> {
    let target = ask.target;
    // How the started program is named: the runtime's entrypoint, or what a shell started.
    let who = by.map_or("the entrypoint".to_string(), |t| {
        format!("the program started by {t}")
    });
    let real = match idx.image.fs.resolve(path) {
        Ok((real, node)) => {
            let is_dir = node.entry.kind == EntryKind::Dir;
            if is_dir || node.entry.mode & 0o111 == 0 {
                findings.push(not_executable(
                    ask,
                    idx,
                    path,
                    &real,
                    shown,
                    if depth == 0 { &who } else { "the interpreter" },
                    &node.entry,
                ));
                return None;
            }
            real
        }
        Err(e) => {
            let code = if depth == 0 {
                Code::EntrypointNotFound
            } else {
                Code::InterpreterMissing
            };
            findings.push(
                Finding::error(code, format!("{path} cannot be resolved in the image: {e}"))
                    .at(path, idx.layer_of(path))
                    .predicts(exec_error(target, shown, "no such file or directory"))
                    .because(format!(
                        "{path} is named by the image ({}) but cannot be followed in the merged layers: {e}. A symlink whose target a later layer removed, or that exists only in a build stage, still shows in a listing, yet exec fails with 'no such file or directory'.",
                        if depth == 0 { who.clone() } else { format!("the #! line of {shown}") }
                    )),
            );
            return None;
        }
    };
    let layer = idx.layer_of(&real);
    let via = if real != path {
        format!(" (a link to {real})")
    } else {
        String::new()
    };
    let role = if depth == 0 {
        who.clone()
    } else {
        format!("the interpreter of {shown}")
    };
    // How the file is named in messages: the entrypoint itself, or the interpreter a
    // script asks for (the runtime's error names the script, so say how they relate).
    let subject = if depth == 0 {
        match by {
            None => format!("the entrypoint {path}{via}"),
            Some(t) => format!("{path}{via}, started by {t},"),
        }
    } else {
        format!("{shown} is a script whose interpreter {path}{via}")
    };
    let Some((ai, art)) = idx.primary(&real) else {
        findings.push(
            Finding::warning(
                Code::EntrypointNotExecutable,
                format!(
                    "{subject} is neither a recognised binary nor a script with #!: the kernel may refuse it"
                ),
            )
            .at(path, layer)
            .predicts(exec_error(target, shown, "exec format error"))
            .because(format!(
                "{path} is neither an ELF program nor a script that starts with #!. The kernel executes only those (and formats the host may register with binfmt_misc), so it is likely to answer exec format error. A script without a #! line runs when a shell starts it, not as an ENTRYPOINT in exec form."
            )),
        );
        return None;
    };
    let layer = idx.layer(ai).or(layer);
    match (&art.kind, &art.details) {
        (Kind::Script, Details::Script(s)) => {
            if depth >= MAX_EXEC_DEPTH {
                return None;
            }
            let (interp, what) = if s.interpreter.ends_with("/env") {
                match s.args.iter().find(|a| !a.starts_with('-')).cloned() {
                    Some(p) => match look_path(idx, &p) {
                        Some(found) => (found, format!("{} (via {})", p, s.interpreter)),
                        None => {
                            findings.push(
                                Finding::error(
                                    Code::InterpreterMissing,
                                    format!(
                                        "{role} {real} starts with #!{} {p}, but {p} is not on the image's PATH",
                                        s.interpreter
                                    ),
                                )
                                .at(real.clone(), layer)
                                .fix(format!("install {p} in the image or change the #! line"))
                                .predicts(format!(
                                    "{}: '{p}': No such file or directory",
                                    s.interpreter
                                ))
                                .because(format!(
                                    "{real} starts with `#!{} {p}`: the kernel runs {}, which searches PATH ({}) for {p} and finds none, so the script exists but its interpreter does not. {p} was probably installed only in a build stage, or the runtime base image is a slim one without it; the CPU is not the issue.",
                                    s.interpreter,
                                    s.interpreter,
                                    idx.image.config.path_var()
                                )),
                            );
                            return None;
                        }
                    },
                    None => (s.interpreter.clone(), s.interpreter.clone()),
                }
            } else {
                (s.interpreter.clone(), s.interpreter.clone())
            };
            if idx.image.fs.resolve(&interp).is_err() {
                findings.push(
                    Finding::error(
                        Code::InterpreterMissing,
                        format!("{role} {real} needs {what}, which is not in the image"),
                    )
                    .at(real.clone(), layer)
                    .fix(format!("install {interp} in the image or change the #! line"))
                    .predicts(exec_error(target, shown, "no such file or directory"))
                    .because(format!(
                        "{real} starts with #!{}: the kernel runs that interpreter with the script as its argument. The image has no {interp}, so exec fails with 'no such file or directory' and names {shown}, which does exist. Minimal bases (distroless, scratch) have no shell; the CPU is not the issue.",
                        s.interpreter
                    )),
                );
                return None;
            }
            follow(ask, idx, &interp, shown, depth + 1, by, findings)
        }
        _ => {
            let step = Step {
                real: &real,
                shown,
                subject: &subject,
                layer,
                art,
            };
            if matches!(art.kind, Kind::MachO | Kind::Pe) {
                findings.push(cpu::foreign_os(ask, &step));
                return None;
            }
            let arch = art.arch.clone()?;
            if let Some(f) = cpu::arch_mismatch(ask, idx, &step, &arch) {
                findings.push(f);
            } else if let Some(f) = libc::loader_missing(ask, idx, &step, &arch) {
                findings.push(f);
            } else if let Some(f) = libc::glibc_too_old(idx, &step) {
                findings.push(f);
            } else if let Some(f) = cpu::level_too_high(ask, &step) {
                findings.push(f);
            } else if let Some(f) = cpu::aarch32_missing(ask, &step, &arch) {
                findings.push(f);
            }
            Some((real, arch))
        }
    }
}

fn not_executable(
    ask: &Ask,
    idx: &Index,
    path: &str,
    real: &str,
    shown: &str,
    who: &str,
    entry: &Entry,
) -> Finding {
    let is_dir = entry.kind == EntryKind::Dir;
    let mode = entry.mode;
    let what = if is_dir {
        "a directory"
    } else {
        "a file without an execute bit"
    };
    let f = Finding::error(
        Code::EntrypointNotExecutable,
        format!(
            "{} {path} is {what} (mode {:o}): the kernel refuses to execute it",
            who,
            mode & 0o7777
        ),
    )
    .at(real, idx.layer_of(real))
    .predicts(exec_error(ask.target, shown, "permission denied"));
    if is_dir {
        f.because(format!(
            "{real} is a directory, and a directory cannot be executed: the command names a folder, perhaps the one the binary was meant to be copied into."
        ))
    } else {
        f.fix(format!(
            "make it executable in the build: `COPY --chmod=755 ...` or `RUN chmod +x {real}`"
        ))
        .because(format!(
            "The kernel executes only files with an execute bit, and {real} has mode {:o}. COPY and ADD keep the mode they find, so a file from a source without the bit (a Windows checkout, a zip, a downloaded artifact) arrives unexecutable. The CPU plays no part.",
            mode & 0o7777
        ))
    }
}

/// Resolves a command name as runc does: a name with a slash is a path (relative to the
/// working directory), anything else is searched on the image's PATH.
pub(super) fn look_path(idx: &Index, name: &str) -> Option<String> {
    let cfg = &idx.image.config;
    look_path_in(idx, name, &cfg.path_var(), cfg.workdir.as_deref())
}

/// [`look_path`] with a given PATH and working directory, as a shell that changed them.
fn look_path_in(idx: &Index, name: &str, path_var: &str, cwd: Option<&str>) -> Option<String> {
    if name.contains('/') {
        let p = absolute(cwd, name);
        return idx.image.fs.resolve(&p).ok().map(|_| p);
    }
    path_var
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| format!("{}/{}", d.trim_end_matches('/'), name))
        .find(|p| {
            // runc's LookPath skips files without an execute bit, as a shell does.
            idx.image.fs.resolve(p).is_ok_and(|(_, n)| {
                matches!(n.entry.kind, EntryKind::File | EntryKind::Hardlink(_))
                    && n.entry.mode & 0o111 != 0
            })
        })
}

pub(super) fn absolute(workdir: Option<&str>, p: &str) -> String {
    if p.starts_with('/') {
        return p.to_string();
    }
    let base = workdir.unwrap_or("/").trim_end_matches('/');
    let rel = p.trim_start_matches("./");
    format!("{base}/{rel}")
}
