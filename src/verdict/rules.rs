//! The content rules: what starts (entrypoint, its interpreter chain), whether it can run
//! on the target's CPU, and whether native modules and other binaries match.

use std::collections::{BTreeMap, HashMap};

use crate::analyze::Image;
use crate::detect::{Artifact, Details, Kind};
use crate::oci::{Arch, Digest, Platform};

use super::{Code, Finding, Runtime, Severity, Target};

/// How many script interpreters are followed (`#!/usr/bin/env node` -> node) before giving up.
const MAX_EXEC_DEPTH: usize = 4;

/// Artefacts of an image indexed by path, for the rules.
struct Index<'a> {
    image: &'a Image,
    by_path: HashMap<&'a str, Vec<(usize, &'a Artifact)>>,
    /// Whether the image holds glibc and musl (see [`image_libcs`]), computed once.
    libcs: (bool, bool),
}

impl<'a> Index<'a> {
    fn new(image: &'a Image) -> Index<'a> {
        let mut by_path: HashMap<&str, Vec<(usize, &Artifact)>> = HashMap::new();
        for (layer, a) in &image.fs.artifacts {
            by_path
                .entry(a.path.as_str())
                .or_default()
                .push((*layer, a));
        }
        let libcs = image_libcs(image);
        Index {
            image,
            by_path,
            libcs,
        }
    }

    fn layer(&self, i: usize) -> Option<Digest> {
        self.image.fs.layers.get(i).cloned()
    }

    /// The artefact that describes the file itself (not one found inside it).
    fn primary(&self, path: &str) -> Option<(usize, &'a Artifact)> {
        self.by_path
            .get(path)?
            .iter()
            .copied()
            .find(|(_, a)| a.container.is_none())
    }

    /// The layer that last wrote `path`.
    fn layer_of(&self, path: &str) -> Option<Digest> {
        self.image.fs.get(path).and_then(|n| self.layer(n.layer))
    }
}

/// Whether an artefact built for `arch` runs on the target.
fn runs_on(target: &Target, arch: &Arch) -> bool {
    target
        .platform
        .rank(&Platform::new(&target.platform.os, arch.clone()))
        .is_some()
}

/// Whether a host of `host` runs `arch` at all (for the mislabel check).
fn same_cpu(declared: &Arch, content: &Arch) -> bool {
    declared.name == content.name
}

/// The content rules for the image a target would run.
pub fn evaluate_image(
    reference: &str,
    target: &Target,
    index_platform: Option<&Platform>,
    platforms: &[String],
    image: &Image,
) -> Vec<Finding> {
    let idx = Index::new(image);
    let mut findings = Vec::new();
    let entry_arch = check_entrypoint(reference, target, platforms, &idx, &mut findings);
    check_modules(target, &idx, &mut findings);
    check_module_libc(target, &idx, &mut findings);
    check_foreign(
        target,
        &idx,
        entry_arch.as_ref().map(|(p, _)| p.as_str()),
        &mut findings,
    );
    check_label(
        target,
        index_platform,
        image,
        &idx,
        entry_arch.as_ref(),
        &mut findings,
    );
    findings
}

fn exec_error(target: &Target, path: &str, reason: &str) -> String {
    match target.runtime {
        Runtime::Lambda => format!("Runtime.InvalidEntrypoint: fork/exec {path}: {reason}"),
        _ => format!("exec {path}: {reason}"),
    }
}

/// Finds the command the runtime starts and follows it through scripts to a binary.
/// Returns the path and arch of the binary that would finally run, if known.
fn check_entrypoint(
    reference: &str,
    target: &Target,
    platforms: &[String],
    idx: &Index,
    findings: &mut Vec<Finding>,
) -> Option<(String, Arch)> {
    let cfg = &idx.image.config;
    let mut argv: Vec<String> = cfg.entrypoint.clone().unwrap_or_default();
    argv.extend(cfg.cmd.clone().unwrap_or_default());
    let Some(argv0) = argv.first().cloned().filter(|a| !a.is_empty()) else {
        findings.push(Finding {
            severity: Severity::Error,
            code: Code::EntrypointNotFound,
            path: None,
            layer: None,
            message:
                "the image config has no ENTRYPOINT and no CMD: the runtime has nothing to start"
                    .into(),
            fix: Some("add ENTRYPOINT [\"/path/to/binary\"] to the Dockerfile".into()),
            predicted_error: Some("no command specified".into()),
        });
        return None;
    };
    let Some(path) = look_path(idx, &argv0) else {
        let predicted = if argv0.contains('/') {
            exec_error(
                target,
                &absolute(cfg.workdir.as_deref(), &argv0),
                "no such file or directory",
            )
        } else {
            format!("exec: \"{argv0}\": executable file not found in $PATH")
        };
        findings.push(Finding {
            severity: Severity::Error,
            code: Code::EntrypointNotFound,
            // A bare name is searched on PATH only: there is no one path to blame.
            path: argv0
                .contains('/')
                .then(|| absolute(cfg.workdir.as_deref(), &argv0)),
            layer: None,
            message: format!(
                "the entrypoint {argv0:?} is not in the image (searched {})",
                if argv0.contains('/') {
                    "that path".to_string()
                } else {
                    format!("PATH={}", cfg.path_var())
                }
            ),
            fix: Some("copy the binary into the image or correct ENTRYPOINT/CMD".into()),
            predicted_error: Some(predicted),
        });
        return None;
    };
    follow_exec(reference, target, platforms, idx, &path, &path, 0, findings)
}

/// Checks that `path` can be executed on the target; `shown` is the path the runtime names
/// in its error (the entrypoint, even when the failure is in its interpreter).
#[allow(clippy::too_many_arguments)]
fn follow_exec(
    reference: &str,
    target: &Target,
    platforms: &[String],
    idx: &Index,
    path: &str,
    shown: &str,
    depth: usize,
    findings: &mut Vec<Finding>,
) -> Option<(String, Arch)> {
    let real = match idx.image.fs.resolve(path) {
        Ok((real, node)) => {
            let is_dir = node.entry.kind == crate::scan::EntryKind::Dir;
            if is_dir || node.entry.mode & 0o111 == 0 {
                let what = if is_dir {
                    "a directory"
                } else {
                    "a file without an execute bit"
                };
                findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::EntrypointNotExecutable,
                    path: Some(real.clone()),
                    layer: idx.layer_of(&real),
                    message: format!(
                        "{} {path} is {what} (mode {:o}): the kernel refuses to execute it",
                        if depth == 0 { "the entrypoint" } else { "the interpreter" },
                        node.entry.mode & 0o7777
                    ),
                    fix: (!is_dir).then(|| {
                        format!("make it executable in the build: `COPY --chmod=755 ...` or `RUN chmod +x {real}`")
                    }),
                    predicted_error: Some(exec_error(target, shown, "permission denied")),
                });
                return None;
            }
            real
        }
        Err(e) => {
            findings.push(Finding {
                severity: Severity::Error,
                code: if depth == 0 {
                    Code::EntrypointNotFound
                } else {
                    Code::InterpreterMissing
                },
                path: Some(path.to_string()),
                layer: idx.layer_of(path),
                message: format!("{path} cannot be resolved in the image: {e}"),
                fix: None,
                predicted_error: Some(exec_error(target, shown, "no such file or directory")),
            });
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
        "the entrypoint".to_string()
    } else {
        format!("the interpreter of {shown}")
    };
    // How the file is named in messages: the entrypoint itself, or the interpreter a
    // script asks for (the runtime's error names the script, so say how they relate).
    let subject = if depth == 0 {
        format!("the entrypoint {path}{via}")
    } else {
        format!("{shown} is a script whose interpreter {path}{via}")
    };
    let Some((ai, art)) = idx.primary(&real) else {
        findings.push(Finding {
            severity: Severity::Warning,
            code: Code::EntrypointNotExecutable,
            path: Some(path.to_string()),
            layer,
            message: format!(
                "{subject} is neither a recognised binary nor a script with #!: the kernel may refuse it"
            ),
            fix: None,
            predicted_error: Some(exec_error(target, shown, "exec format error")),
        });
        return None;
    };
    let layer = idx.layer(ai).or(layer);
    match (&art.kind, &art.details) {
        (Kind::Script, Details::Script(s)) => {
            if depth >= MAX_EXEC_DEPTH {
                return None;
            }
            let (interp, what) = if s.interpreter.ends_with("/env") {
                let prog = s.args.iter().find(|a| !a.starts_with('-')).cloned();
                match prog {
                    Some(p) => match look_path(idx, &p) {
                        Some(found) => (found, format!("{} (via {})", p, s.interpreter)),
                        None => {
                            findings.push(Finding {
                                severity: Severity::Error,
                                code: Code::InterpreterMissing,
                                path: Some(real.clone()),
                                layer,
                                message: format!(
                                    "{role} {real} starts with #!{} {p}, but {p} is not on the image's PATH",
                                    s.interpreter
                                ),
                                fix: Some(format!("install {p} in the image or change the #! line")),
                                predicted_error: Some(format!(
                                    "{}: '{p}': No such file or directory",
                                    s.interpreter
                                )),
                            });
                            return None;
                        }
                    },
                    None => (s.interpreter.clone(), s.interpreter.clone()),
                }
            } else {
                (s.interpreter.clone(), s.interpreter.clone())
            };
            if idx.image.fs.resolve(&interp).is_err() {
                findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::InterpreterMissing,
                    path: Some(real.clone()),
                    layer,
                    message: format!("{role} {real} needs {what}, which is not in the image"),
                    fix: Some(format!(
                        "install {interp} in the image or change the #! line"
                    )),
                    predicted_error: Some(exec_error(target, shown, "no such file or directory")),
                });
                return None;
            }
            follow_exec(
                reference,
                target,
                platforms,
                idx,
                &interp,
                shown,
                depth + 1,
                findings,
            )
        }
        (Kind::MachO | Kind::Pe, _) => {
            let os = if art.kind == Kind::MachO {
                "macOS (Mach-O)"
            } else {
                "Windows (PE)"
            };
            findings.push(Finding {
                severity: Severity::Error,
                code: Code::EntrypointArchMismatch,
                path: Some(real.clone()),
                layer,
                message: format!("{subject} is a {os} binary: Linux cannot execute it"),
                fix: Some(format!(
                    "build it for Linux inside the image build: {}",
                    multiarch_fix(target, platforms, reference)
                )),
                predicted_error: Some(exec_error(target, shown, "exec format error")),
            });
            None
        }
        _ => {
            let arch = art.arch.clone()?;
            if !runs_on(target, &arch) {
                let go_hint = match &art.details {
                    Details::Go { .. } => format!(
                        " (a Go binary: build with GOOS=linux GOARCH={} CGO_ENABLED=0, or `FROM --platform=$BUILDPLATFORM` with GOARCH=$TARGETARCH)",
                        target.platform.arch.name
                    ),
                    _ => String::new(),
                };
                // ECS can run the image as it is on the other CPU; App Runner cannot.
                let alt = match (target.runtime, arch.name.as_str()) {
                    (Runtime::Ecs, "arm64") => {
                        ". Or run it as it is on Fargate ARM64: set runtimePlatform.cpuArchitecture = ARM64 in the task definition"
                    }
                    (Runtime::Ecs, "amd64") => {
                        ". Or run it as it is on Fargate x86_64: set runtimePlatform.cpuArchitecture = X86_64"
                    }
                    (Runtime::Lambda, "arm64") => {
                        ". Or deploy it as an arm64 function (Architectures = arm64)"
                    }
                    (Runtime::Lambda, "amd64") => {
                        ". Or deploy it as an x86_64 function (Architectures = x86_64)"
                    }
                    _ => "",
                };
                findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::EntrypointArchMismatch,
                    path: Some(real.clone()),
                    layer,
                    message: format!(
                        "{subject} is built for {arch}; {} runs {}{go_hint}{alt}",
                        target.title, target.platform
                    ),
                    fix: Some(if target.accepts_index {
                        multiarch_fix(target, platforms, reference)
                    } else {
                        single_platform_fix(target, reference)
                    }),
                    // Same CPU family, newer variant (arm/v7 code on an arm/v6 CPU): the
                    // kernel loads it, and the first unknown instruction kills it.
                    predicted_error: Some(if arch.name == target.platform.arch.name {
                        "the container exits with code 132: SIGILL (Illegal instruction)"
                            .to_string()
                    } else {
                        exec_error(target, shown, "exec format error")
                    }),
                });
                return Some((real, arch));
            }
            if let Some(interp) = &art.interpreter
                && idx.image.fs.resolve(interp).is_err()
            {
                let libc = match art.libc {
                    Some(crate::detect::Libc::Glibc) => "glibc",
                    Some(crate::detect::Libc::Musl) => "musl",
                    _ => "a C library",
                };
                findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::InterpreterMissing,
                    path: Some(real.clone()),
                    layer,
                    message: format!(
                        "{subject} is linked against {libc} and needs the loader {interp}, which is not in the image (the file exists, yet the kernel reports it missing)"
                    ),
                    fix: Some(match art.libc {
                        Some(crate::detect::Libc::Glibc) => "use a glibc base image (e.g. debian:bookworm-slim), or build a static or musl binary (Go: CGO_ENABLED=0; Rust: --target x86_64-unknown-linux-musl)".to_string(),
                        Some(crate::detect::Libc::Musl) => "use a musl base image (alpine), or build against glibc / statically".to_string(),
                        _ => format!("add {interp} to the image or link the binary statically"),
                    }),
                    predicted_error: Some(exec_error(target, shown, "no such file or directory")),
                });
            } else if let Some(f) = check_glibc_version(idx, art, &real, layer.clone()) {
                findings.push(f);
            }
            Some((real, arch))
        }
    }
}

/// A glibc binary needs every `GLIBC_x.y` symbol version it was linked against: built on a
/// newer distribution than the image's base, it starts and the loader stops it at once.
/// The image's glibc is known from its dpkg database (`libc6`); without one, nothing is said.
fn check_glibc_version(
    idx: &Index,
    art: &Artifact,
    real: &str,
    layer: Option<Digest>,
) -> Option<Finding> {
    let elf = match &art.details {
        Details::Elf(e) => e,
        Details::Go { elf: Some(e), .. } => e,
        _ => return None,
    };
    let needs = elf.min_glibc.as_deref()?;
    let has = idx
        .image
        .fs
        .artifacts
        .iter()
        .find_map(|(_, a)| match &a.details {
            Details::PackageDb(p) => p.glibc.clone(),
            _ => None,
        })?;
    if !version_less(&has, needs) {
        return None;
    }
    let libc = idx
        .image
        .fs
        .nodes
        .keys()
        .find(|p| p.ends_with("/libc.so.6"))
        .cloned()
        .unwrap_or_else(|| "libc.so.6".into());
    Some(Finding {
        severity: Severity::Error,
        code: Code::GlibcTooOld,
        path: Some(real.to_string()),
        layer,
        message: format!(
            "{real} needs glibc {needs} or newer, but the image has glibc {has} (its dpkg database): it was built on a newer system than its base image"
        ),
        fix: Some(format!(
            "build it on the same base as the runtime stage (or an older one), or use a base image with glibc >= {needs}"
        )),
        predicted_error: Some(format!(
            "{real}: {libc}: version `GLIBC_{needs}' not found (required by {real})"
        )),
    })
}

/// Dotted numeric versions: `2.31` < `2.34` < `2.36.1`.
fn version_less(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) < parse(b)
}

/// Resolves a command name as runc does: a name with a slash is a path (relative to the
/// working directory), anything else is searched on the image's PATH.
fn look_path(idx: &Index, name: &str) -> Option<String> {
    let cfg = &idx.image.config;
    if name.contains('/') {
        let p = absolute(cfg.workdir.as_deref(), name);
        return idx.image.fs.resolve(&p).ok().map(|_| p);
    }
    cfg.path_var()
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| format!("{}/{}", d.trim_end_matches('/'), name))
        .find(|p| {
            // runc's LookPath skips files without an execute bit, as a shell does.
            idx.image.fs.resolve(p).is_ok_and(|(_, n)| {
                matches!(
                    n.entry.kind,
                    crate::scan::EntryKind::File | crate::scan::EntryKind::Hardlink(_)
                ) && n.entry.mode & 0o111 != 0
            })
        })
}

fn absolute(workdir: Option<&str>, p: &str) -> String {
    if p.starts_with('/') {
        return p.to_string();
    }
    let base = workdir.unwrap_or("/").trim_end_matches('/');
    let rel = p.trim_start_matches("./");
    format!("{base}/{rel}")
}

/// Native modules loaded by interpreters: Python extensions, Node addons, JNI libraries.
/// A module counts as broken only when no variant of it fits the target (packages often
/// ship one file per architecture side by side).
fn check_modules(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
    // Group variants of the same module: key -> (runs?, first foreign artefact, count).
    struct Group<'a> {
        ok: bool,
        bad: Vec<(usize, &'a Artifact)>,
    }
    let mut groups: BTreeMap<(u8, String), Group> = BTreeMap::new();
    let mut wrong_packages: Vec<String> = Vec::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.kind == Kind::NodePackage
            && let Details::NodePackage(p) = &a.details
            && !node_package_fits(target, p)
        {
            let dir = a.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            wrong_packages.push(format!("{dir}/"));
            findings.push(Finding {
                severity: Severity::Error,
                code: Code::NativeModuleArchMismatch,
                path: Some(a.path.clone()),
                layer: idx.layer(*layer),
                message: format!(
                    "the installed npm package {} is for os {:?} cpu {:?}{}; {} needs linux/{}: its native addon will not load",
                    p.name.as_deref().unwrap_or(dir),
                    p.os,
                    p.cpu,
                    if p.libc.is_empty() { String::new() } else { format!(" libc {:?}", p.libc) },
                    target.title,
                    node_cpu(&target.platform.arch)
                ),
                fix: Some(node_fix(target)),
                predicted_error: Some(format!(
                    "Error: Cannot find native binding (the package for linux-{} is not installed)",
                    node_cpu(&target.platform.arch)
                )),
            });
        }
    }
    for (layer, a) in &idx.image.fs.artifacts {
        let (order, key) = match a.kind {
            Kind::PythonExtension => (0, python_group(&a.path)),
            Kind::NodeAddon => {
                if wrong_packages
                    .iter()
                    .any(|d| a.path.starts_with(d.as_str()))
                {
                    continue;
                }
                match prebuild_os(&a.path) {
                    // macOS and Windows prebuilds ship beside the Linux ones and are never
                    // loaded on Linux: not variants, not faults.
                    Some(os) if !os.starts_with("linux") => continue,
                    Some(_) => (3, node_group(&a.path)),
                    None => (1, node_group(&a.path)),
                }
            }
            Kind::JniLibrary => (2, jni_group(a)),
            _ => continue,
        };
        let fits = match (&a.kind, &a.arch) {
            (_, Some(arch)) => {
                runs_on(target, arch) && !matches!(a.details, Details::MachO(_) | Details::Pe(_))
            }
            (_, None) => false,
        };
        let g = groups.entry((order, key)).or_insert(Group {
            ok: false,
            bad: Vec::new(),
        });
        if fits {
            g.ok = true;
        } else {
            g.bad.push((*layer, a));
        }
    }
    for ((order, key), g) in groups {
        if g.ok || g.bad.is_empty() {
            continue;
        }
        let (layer, first) = g.bad[0];
        let arch = describe_arch(first);
        let more = if g.bad.len() > 1 {
            format!(" ({} files)", g.bad.len())
        } else {
            String::new()
        };
        let (severity, what, fix, predicted) = match order {
            0 => (
                Severity::Error,
                format!(
                    "the Python package {key} has extension modules built for {arch}{more}{}",
                    libc_note(idx, first)
                ),
                python_fix(target),
                python_error(target, first),
            ),
            1 => (
                Severity::Error,
                format!("the Node addon {} is built for {arch}{more}", first.path),
                node_fix(target),
                format!("Error: {}: {}", first.path, dlopen_error(target, first)),
            ),
            3 => (
                // node-gyp-build throws when no prebuild fits, but several packages
                // (bufferutil, utf-8-validate) catch that and fall back to JavaScript.
                Severity::Warning,
                format!(
                    "{} has no linux-{} prebuild (found {arch}{more}); it fails to load unless the package falls back to JavaScript",
                    key.split(':').next().unwrap_or(&key),
                    node_cpu(&target.platform.arch)
                ),
                node_fix(target),
                format!(
                    "Error: No native build was found for platform=linux arch={}",
                    node_cpu(&target.platform.arch)
                ),
            ),
            _ => (
                // netty and others fall back to pure Java when their native library cannot
                // load, so a JNI mismatch is a warning, not a certain failure.
                Severity::Warning,
                format!(
                    "{} has no {} variant of the JNI library {} (found {arch}{more}); loading it fails, unless the library falls back to pure Java",
                    first.container.as_deref().unwrap_or("a jar"),
                    target.platform.arch,
                    key
                ),
                format!(
                    "use a build of the library that ships linux-{} natives (for netty, the linux-{} classifier jar)",
                    target.platform.arch.name,
                    if target.platform.arch.name == "arm64" {
                        "aarch_64"
                    } else {
                        "x86_64"
                    }
                ),
                format!("java.lang.UnsatisfiedLinkError: {}", first.path),
            ),
        };
        findings.push(Finding {
            severity,
            code: Code::NativeModuleArchMismatch,
            path: Some(first.path.clone()),
            layer: idx.layer(layer),
            message: what,
            fix: Some(fix),
            predicted_error: Some(predicted),
        });
    }
}

/// What glibc's dlopen says about a library built for another machine: `invalid ELF header`
/// for Mach-O and PE, `wrong ELF class` across 32/64 bits, and for the same class but another
/// CPU it skips the file and reports it missing.
fn dlopen_error(target: &Target, a: &Artifact) -> String {
    match &a.details {
        Details::MachO(_) | Details::Pe(_) => "invalid ELF header".into(),
        Details::Elf(e) if e.class != target_class(target) => {
            format!("wrong ELF class: ELFCLASS{}", e.class)
        }
        _ => "cannot open shared object file: No such file or directory".into(),
    }
}

fn target_class(target: &Target) -> u8 {
    match target.platform.arch.name.as_str() {
        "arm" | "386" | "mips" | "mipsle" => 32,
        _ => 64,
    }
}

/// Python only considers extension files whose name carries its own platform tag (or none,
/// or abi3): a module whose only file is tagged for another CPU is simply not found.
fn python_error(target: &Target, a: &Artifact) -> String {
    let file = a.path.rsplit('/').next().unwrap_or(&a.path);
    let own = match target.platform.arch.name.as_str() {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i386",
        "arm" => "arm",
        other => other,
    };
    let module = python_module(&a.path);
    if file.contains(".cpython-")
        && file.contains("-linux-")
        && !file.contains(&format!("-{own}-linux-"))
    {
        format!("ModuleNotFoundError: No module named '{module}'")
    } else {
        format!("ImportError: {}: {}", a.path, dlopen_error(target, a))
    }
}

/// `/usr/lib/python3/dist-packages/yaml/_yaml.cpython-311-x86_64-linux-gnu.so` -> `yaml._yaml`.
fn python_module(path: &str) -> String {
    let rest = ["/site-packages/", "/dist-packages/", "/lib-dynload/"]
        .iter()
        .find_map(|m| path.split_once(m).map(|(_, r)| r))
        .unwrap_or(path);
    let rest = rest.trim_start_matches('/');
    let (dir, file) = rest.rsplit_once('/').unwrap_or(("", rest));
    let stem = file.split('.').next().unwrap_or(file);
    if dir.is_empty() {
        stem.to_string()
    } else {
        format!("{}.{stem}", dir.replace('/', "."))
    }
}

/// Which C libraries the image holds, going by their file names anywhere in the tree
/// (`libc.so.6` is glibc; `ld-musl-*.so.1` / `libc.musl-*.so.1` are musl).
fn image_libcs(image: &Image) -> (bool, bool) {
    let (mut glibc, mut musl) = (false, false);
    for path in image.fs.nodes.keys() {
        let file = path.rsplit('/').next().unwrap_or(path);
        glibc |= file == "libc.so.6";
        musl |= (file.starts_with("ld-musl-") || file.starts_with("libc.musl-"))
            && file.ends_with(".so.1");
    }
    (glibc, musl)
}

/// `, and against musl, which this image lacks` when a module's libc is also wrong.
fn libc_note(idx: &Index, a: &Artifact) -> &'static str {
    let (glibc, musl) = idx.libcs;
    match a.libc {
        Some(crate::detect::Libc::Musl) if !musl => ", and against musl, which this image lacks",
        Some(crate::detect::Libc::Glibc) if !glibc => ", and against glibc, which this image lacks",
        _ => "",
    }
}

/// A module of the right CPU can still fail to load: a musllinux wheel or a `-musl` napi-rs
/// addon needs musl's libc, which a glibc image lacks, and the reverse.
fn check_module_libc(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
    let (has_glibc, has_musl) = idx.libcs;
    let mut seen = std::collections::HashSet::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.container.is_some() || !matches!(a.kind, Kind::PythonExtension | Kind::NodeAddon) {
            continue;
        }
        // Prebuild loaders pick the libc-matching file among several at run time.
        if prebuild_os(&a.path).is_some() {
            continue;
        }
        if !a.arch.as_ref().is_some_and(|arch| runs_on(target, arch)) {
            continue;
        }
        let (needs, present, other) = match a.libc {
            Some(crate::detect::Libc::Glibc) => ("glibc", has_glibc, "musl"),
            Some(crate::detect::Libc::Musl) => ("musl", has_musl, "glibc"),
            _ => continue,
        };
        let group = if a.kind == Kind::PythonExtension {
            python_group(&a.path)
        } else {
            node_group(&a.path)
        };
        if present || !seen.insert(group.clone()) {
            continue;
        }
        let what = if a.kind == Kind::PythonExtension {
            format!("the Python package {group}")
        } else {
            format!("the Node addon {}", a.path)
        };
        findings.push(Finding {
            severity: Severity::Error,
            code: Code::NativeModuleLibcMismatch,
            path: Some(a.path.clone()),
            layer: idx.layer(*layer),
            message: format!(
                "{what} is built against {needs}, but the image has no {needs} (it looks like a {other} image): it will not load"
            ),
            fix: Some(format!(
                "install the {other} build of the package inside the image build ({})",
                if a.kind == Kind::PythonExtension { "pip picks musllinux or manylinux wheels by the image's libc" } else { "npm ci in the image picks the -gnu or -musl package" }
            )),
            predicted_error: Some(libc_load_error(a, needs)),
        });
    }
}

/// What loading a module built against the other libc prints. Python first filters
/// extension files by name: a `-linux-gnu.so` is never tried by a musl Python, nor a
/// `-linux-musl.so` by a glibc one.
fn libc_load_error(a: &Artifact, needs: &str) -> String {
    let file = a.path.rsplit('/').next().unwrap_or(&a.path);
    let arch = a.arch.as_ref().map(|x| x.name.as_str()).unwrap_or("");
    let musl_arch = match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i386",
        other => other,
    };
    match (a.kind, needs) {
        (Kind::PythonExtension, "musl") if file.contains("-linux-musl") => {
            format!(
                "ModuleNotFoundError: No module named '{}'",
                python_module(&a.path)
            )
        }
        (Kind::PythonExtension, "glibc") if file.contains("-linux-gnu") => {
            format!(
                "ModuleNotFoundError: No module named '{}'",
                python_module(&a.path)
            )
        }
        (_, "musl") => format!(
            "{}libc.musl-{musl_arch}.so.1: cannot open shared object file: No such file or directory",
            if a.kind == Kind::PythonExtension {
                "ImportError: "
            } else {
                "Error: "
            }
        ),
        _ => format!(
            "{}Error loading shared library libc.so.6: No such file or directory (needed by {})",
            if a.kind == Kind::PythonExtension {
                "ImportError: "
            } else {
                "Error: "
            },
            a.path
        ),
    }
}

fn describe_arch(a: &Artifact) -> String {
    match (&a.details, &a.arch) {
        (Details::MachO(_), Some(arch)) => format!("macOS {arch}"),
        (Details::MachO(_), None) => "macOS".into(),
        (Details::Pe(_), Some(arch)) => format!("Windows {arch}"),
        (Details::Pe(_), None) => "Windows".into(),
        (_, Some(arch)) => arch.to_string(),
        (_, None) => "an unknown CPU".into(),
    }
}

/// `site-packages/numpy/core/_x.so` -> `numpy`.
fn python_group(path: &str) -> String {
    for marker in ["/site-packages/", "/dist-packages/"] {
        if let Some((_, rest)) = path.split_once(marker) {
            let top = rest.split('/').next().unwrap_or(rest);
            let top = top.split('.').next().unwrap_or(top);
            return top.to_string();
        }
    }
    path.to_string()
}

/// Variants of one addon share the path up to `prebuilds/`, plus the file's stem.
/// The `<os>-<arch>` directory of a prebuildify addon (`prebuilds/darwin-arm64/x.node`).
fn prebuild_os(path: &str) -> Option<&str> {
    let (_, rest) = path.split_once("/prebuilds/")?;
    rest.split('/').next()
}

fn node_group(path: &str) -> String {
    if let Some((pkg, rest)) = path.split_once("/prebuilds/") {
        let file = rest.rsplit('/').next().unwrap_or(rest);
        let stem = file.split('.').next().unwrap_or(file);
        return format!("{pkg}:{stem}");
    }
    path.to_string()
}

const ARCH_TOKENS: [&str; 16] = [
    "x86_64",
    "x86-64",
    "amd64",
    "aarch_64",
    "aarch64",
    "arm64",
    "armv7",
    "armv6",
    "arm",
    "i386",
    "i686",
    "x86",
    "ppc64le",
    "s390x",
    "riscv64",
    "loongarch64",
];

/// JNI variants share the jar and the library name once arch words are removed
/// (`libnetty_transport_native_epoll_aarch_64.so` ~ `..._x86_64.so`).
fn jni_group(a: &Artifact) -> String {
    let inner = a.path.rsplit_once('!').map(|(_, p)| p).unwrap_or(&a.path);
    let file = inner.rsplit('/').next().unwrap_or(inner);
    let mut stem = file.split('.').next().unwrap_or(file).to_ascii_lowercase();
    for t in ARCH_TOKENS {
        stem = stem.replace(t, "");
    }
    let stem = stem
        .trim_start_matches("lib")
        .trim_matches(|c| c == '_' || c == '-')
        .to_string();
    format!("{}:{}", a.container.as_deref().unwrap_or(""), stem)
}

fn node_cpu(arch: &Arch) -> &'static str {
    match arch.name.as_str() {
        "amd64" => "x64",
        "arm64" => "arm64",
        "arm" => "arm",
        "386" => "ia32",
        "ppc64le" | "ppc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        _ => "unknown",
    }
}

fn node_package_fits(target: &Target, p: &crate::detect::NodePackageInfo) -> bool {
    let allows = |list: &[String], want: &str| {
        list.is_empty()
            || (list.iter().any(|v| v == want) && !list.iter().any(|v| v == &format!("!{want}")))
            || (list.iter().all(|v| v.starts_with('!'))
                && !list.iter().any(|v| v == &format!("!{want}")))
    };
    allows(&p.os, &target.platform.os) && allows(&p.cpu, node_cpu(&target.platform.arch))
}

fn python_fix(target: &Target) -> String {
    format!(
        "install Python dependencies inside the image build for {p} (`docker buildx build --platform {p} ...` running `pip install`), not by copying site-packages from another machine; to fetch wheels elsewhere: `pip download --only-binary=:all: --platform manylinux2014_{a} ...`",
        p = target.platform,
        a = match target.platform.arch.name.as_str() {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            other => other,
        }
    )
}

fn node_fix(target: &Target) -> String {
    format!(
        "run `npm ci` inside the image build for {} instead of copying node_modules from another machine (or `npm install --os=linux --cpu={}`)",
        target.platform,
        node_cpu(&target.platform.arch)
    )
}

/// The build command for an index that covers the target and what the image already offers.
pub fn multiarch_fix(target: &Target, platforms: &[String], reference: &str) -> String {
    if !target.accepts_index {
        return single_platform_fix(target, reference);
    }
    let mut ps: Vec<String> = vec![target.platform.to_string()];
    for p in platforms {
        if !ps.contains(p) && !p.starts_with("unknown") {
            ps.push(p.clone());
        }
    }
    if ps.len() == 1 && target.platform.arch.name != "amd64" {
        ps.push("linux/amd64".into());
    } else if ps.len() == 1 {
        ps.push("linux/arm64".into());
    }
    format!(
        "docker buildx build --platform {} -t {} --push .",
        ps.join(","),
        push_ref(reference)
    )
}

/// The build command for a service that needs exactly one platform and no attestations.
pub fn single_platform_fix(target: &Target, reference: &str) -> String {
    format!(
        "docker buildx build --platform {} --provenance=false --sbom=false -t {} --push .",
        target.platform,
        push_ref(reference)
    )
}

/// A reference to put in a build command: registry references as given, local sources as a
/// placeholder.
fn push_ref(reference: &str) -> String {
    let local = ["oci:", "oci-archive:", "docker-archive:"];
    if local.iter().any(|p| reference.starts_with(p)) || reference.is_empty() {
        "IMAGE".to_string()
    } else {
        reference.trim_start_matches("docker://").to_string()
    }
}

/// Binaries that will not run on the target, outside the entrypoint chain and modules:
/// summarised per architecture, since a wrong-arch image holds hundreds of them.
fn check_foreign(target: &Target, idx: &Index, entry: Option<&str>, findings: &mut Vec<Finding>) {
    let mut per_arch: BTreeMap<String, Vec<(usize, &Artifact)>> = BTreeMap::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.container.is_some() || Some(a.path.as_str()) == entry {
            continue;
        }
        let foreign = match a.kind {
            Kind::Elf | Kind::GoBinary => {
                a.arch.as_ref().is_some_and(|arch| !runs_on(target, arch))
            }
            Kind::MachO | Kind::Pe => true,
            _ => false,
        };
        if foreign {
            per_arch
                .entry(describe_arch(a))
                .or_default()
                .push((*layer, a));
        }
    }
    for (arch, list) in per_arch {
        let (layer, first) = list[0];
        let examples: Vec<&str> = list.iter().take(3).map(|(_, a)| a.path.as_str()).collect();
        findings.push(Finding {
            severity: Severity::Warning,
            code: Code::ForeignBinary,
            path: Some(first.path.clone()),
            layer: idx.layer(layer),
            message: format!(
                "{} binar{} built for {arch}, which {} cannot run: {}{}",
                list.len(),
                if list.len() == 1 { "y is" } else { "ies are" },
                target.platform,
                examples.join(", "),
                if list.len() > 3 { ", ..." } else { "" }
            ),
            fix: None,
            predicted_error: Some(exec_error(target, &first.path, "exec format error")),
        });
    }
}

/// Declared platform (index entry, config) versus what the binaries really are.
fn check_label(
    target: &Target,
    index_platform: Option<&Platform>,
    image: &Image,
    idx: &Index,
    entry: Option<&(String, Arch)>,
    findings: &mut Vec<Finding>,
) {
    let config = &image.config.platform;
    if let Some(ip) = index_platform
        && (ip.arch.name != config.arch.name || ip.os != config.os)
    {
        findings.push(Finding {
            severity: Severity::Warning,
            code: Code::MislabeledPlatform,
            path: None,
            layer: None,
            message: format!("the index lists this image as {ip}, but its config says {config}"),
            fix: None,
            predicted_error: None,
        });
    }
    let declared = index_platform.unwrap_or(config);
    // What the content is: the entrypoint's binary if known, else the most common arch of
    // the executables.
    let content: Option<(String, Arch)> = entry.cloned().or_else(|| {
        let mut counts: BTreeMap<Arch, (usize, String)> = BTreeMap::new();
        for (_, a) in &idx.image.fs.artifacts {
            if matches!(a.kind, Kind::Elf | Kind::GoBinary)
                && a.container.is_none()
                && let Some(arch) = &a.arch
            {
                let e = counts.entry(arch.clone()).or_insert((0, a.path.clone()));
                e.0 += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, (n, _))| *n)
            .map(|(arch, (_, path))| (path, arch))
    });
    let Some((path, arch)) = content else {
        return;
    };
    if same_cpu(&declared.arch, &arch) {
        return;
    }
    let runs = runs_on(target, &arch);
    findings.push(Finding {
        severity: Severity::Warning,
        code: Code::MislabeledPlatform,
        path: Some(path.clone()),
        layer: idx.layer_of(&path),
        message: format!(
            "the image is labelled {declared} but its binaries are {arch} ({path}){}",
            if runs {
                format!(
                    "; it runs on {} only because the runtime ignores the label",
                    target.platform
                )
            } else {
                String::new()
            }
        ),
        fix: Some(format!(
            "rebuild with `docker buildx build --platform {}` so label and content agree",
            Platform::new("linux", arch.clone())
        )),
        predicted_error: None,
    });
}
