//! The C library: a dynamic binary needs its ELF loader (PT_INTERP) and a new enough glibc,
//! and a native module needs the libc it was linked against. None of this is about the CPU.

use std::collections::HashSet;

use crate::detect::{Artifact, Details, Kind, Libc, python};
use crate::oci::Arch;
use crate::scan::ResolveError;
use crate::verdict::{Code, Finding, Target};

use super::entrypoint::Step;
use super::modules::{node_group, prebuild_os};
use super::{Ask, Index, exec_error};

/// Which C libraries the image holds, going by their file names anywhere in the tree
/// (`libc.so.6` is glibc; `ld-musl-*.so.1` / `libc.musl-*.so.1` are musl).
pub(super) fn image_libcs(paths: &[String]) -> (bool, bool) {
    let (mut glibc, mut musl) = (false, false);
    for path in paths {
        let file = path.rsplit('/').next().unwrap_or(path);
        glibc |= file == "libc.so.6";
        musl |= (file.starts_with("ld-musl-") || file.starts_with("libc.musl-"))
            && file.ends_with(".so.1");
    }
    (glibc, musl)
}

/// The C library the image's Python is built for, and how archlens knows; `libc` is `None`
/// when it cannot tell (the image holds both libcs, or none, and no interpreter it can read).
pub(super) struct PythonLibc {
    pub libc: Option<Libc>,
    /// `its interpreter /usr/local/bin/python3.11 links against glibc`, for explanations.
    pub how: String,
}

/// Asks, in order: the interpreter's ELF (`python3.11`, `libpython3.11.so.1.0`), the tags of
/// its standard library's own extensions (`lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so`),
/// the one C library the image holds.
pub(super) fn python_libc(idx: &Index, target: &Target) -> PythonLibc {
    let elves = idx.image.fs.artifacts.iter().filter_map(|(_, a)| {
        let fits = a.container.is_none()
            && a.kind == Kind::Elf
            && python::is_interpreter_path(&a.path)
            && a.arch.as_ref().is_some_and(|x| target.runs(x));
        let libc = a.libc.filter(|l| *l != Libc::Other)?;
        fits.then(|| {
            (
                libc,
                format!(
                    "its interpreter {} links against {}",
                    a.path,
                    libc_word(libc)
                ),
            )
        })
    });
    let stdlib = idx.paths.iter().filter_map(|p| {
        if !p.contains("/lib-dynload/") {
            return None;
        }
        let (_, suffix) = python::extension_suffix(p)?;
        let libc = python::triplet_libc(suffix.triplet()?)?;
        Some((
            libc,
            format!(
                "its standard library's {p} is named for {}",
                libc_word(libc)
            ),
        ))
    });
    for source in [elves.collect::<Vec<_>>(), stdlib.collect::<Vec<_>>()] {
        match source.as_slice() {
            [] => continue,
            [(libc, how), rest @ ..] if rest.iter().all(|(l, _)| l == libc) => {
                return PythonLibc {
                    libc: Some(*libc),
                    how: how.clone(),
                };
            }
            _ => {
                return PythonLibc {
                    libc: None,
                    how: "it holds Pythons built for glibc and for musl".into(),
                };
            }
        }
    }
    match idx.libcs {
        (true, false) => PythonLibc {
            libc: Some(Libc::Glibc),
            how: "the image holds glibc and no musl".into(),
        },
        (false, true) => PythonLibc {
            libc: Some(Libc::Musl),
            how: "the image holds musl and no glibc".into(),
        },
        (true, true) => PythonLibc {
            libc: None,
            how: "the image holds both glibc and musl, and no Python interpreter archlens can read"
                .into(),
        },
        (false, false) => PythonLibc {
            libc: None,
            how: "the image holds no C library".into(),
        },
    }
}

/// `glibc`, `musl`: a libc as said in sentences.
pub(super) fn libc_word(libc: Libc) -> &'static str {
    match libc {
        Libc::Glibc => "glibc",
        Libc::Musl => "musl",
        Libc::Other => "a bare libc.so",
    }
}

/// What the image has instead, for explanations.
fn image_has(idx: &Index) -> &'static str {
    match idx.libcs {
        (false, true) => "it holds musl's loader and libc: an Alpine-style image",
        (true, false) => "it holds glibc: a Debian-style image",
        (false, false) => "it holds no C library at all, like scratch or distroless/static",
        (true, true) => "it holds both glibc and musl files, but not this loader",
    }
}

/// A dynamic binary whose PT_INTERP loader is absent: the kernel reports the binary itself
/// missing. The CPU is right here (the arch rule runs first).
pub(super) fn loader_missing(ask: &Ask, idx: &Index, step: &Step, arch: &Arch) -> Option<Finding> {
    let interp = step.art.interpreter.as_deref()?;
    let missing = match idx.image.fs.resolve(interp) {
        Ok(_) => return None,
        Err(ResolveError::NotFound { missing, .. }) => missing,
        Err(_) => interp.to_string(),
    };
    let gone = loader_gone(idx, interp, &missing);
    let real = step.real;
    let libc = match step.art.libc {
        Some(Libc::Glibc) => "glibc",
        Some(Libc::Musl) => "musl",
        _ => "a C library",
    };
    let (fix, cause) = match step.art.libc {
        Some(Libc::Glibc) => (
            "use a glibc base image (e.g. debian:bookworm-slim), or build a static or musl binary (Go: CGO_ENABLED=0; Rust: --target x86_64-unknown-linux-musl)".to_string(),
            "a binary built in a glibc stage (Debian- or Ubuntu-based golang, rust or gcc images) was copied into a musl (Alpine) or libc-less (scratch, distroless/static) runtime stage",
        ),
        Some(Libc::Musl) => (
            "use a musl base image (alpine), or build against glibc / statically".to_string(),
            "a binary built in an Alpine (musl) stage was copied into a glibc runtime stage (Debian, Ubuntu, distroless/base)",
        ),
        _ => (
            format!("add {interp} to the image or link the binary statically"),
            "the binary and the runtime base image disagree on the C library or on where its loader lives",
        ),
    };
    Some(
        Finding::error(
            Code::InterpreterMissing,
            format!(
                "{} is linked against {libc} and needs the loader {interp}, which {gone}",
                step.subject
            ),
        )
        .at(real, step.layer.clone())
        .fix(fix)
        .predicts(exec_error(ask.target, step.shown, "no such file or directory"))
        .because(format!(
            "{real} is a dynamically linked {libc} program for {arch}, which {} runs: the CPU is right, the C library is not. Its ELF header (PT_INTERP) names the loader {interp}, the program the kernel starts first to load the C library and then {real}. This image has no {interp} ({}), so exec fails with 'no such file or directory' although {real} exists. Usually {cause}.",
            ask.target.platform,
            image_has(idx)
        )),
    )
}

/// Why the loader is not there: deleted by a later layer's whiteout, or never in any layer.
fn loader_gone(idx: &Index, interp: &str, missing: &str) -> String {
    let fs = &idx.image.fs;
    let deleted = [interp, missing]
        .into_iter()
        .find_map(|p| Some((p, fs.deleted(p)?)));
    match deleted {
        Some((path, layer)) => format!(
            "layer {} of {}{} deleted{}: the binary exists, yet the kernel reports it missing",
            layer + 1,
            fs.layers.len(),
            fs.layers
                .get(layer)
                .map(|d| format!(" ({})", d.short()))
                .unwrap_or_default(),
            if path == interp {
                String::new()
            } else {
                format!(" (as {path})")
            },
        ),
        None => "no layer of the image has: the binary exists, yet the kernel reports it missing"
            .to_string(),
    }
}

/// The libc.so.6 path glibc's loader prints: the name ld.so.cache gives it. ldconfig reads
/// Debian's `/lib/<triplet>` before `/usr/lib/<triplet>`, so a merged-/usr image shows the
/// `/lib` spelling (checked: Debian 12's ld.so prints `/lib/x86_64-linux-gnu/libc.so.6`).
fn loaded_libc(idx: &Index) -> String {
    let fs = &idx.image.fs;
    idx.paths
        .iter()
        .filter(|p| {
            p.ends_with("/libc.so.6") && (p.starts_with("/lib") || p.starts_with("/usr/lib"))
        })
        .map(|p| match p.strip_prefix("/usr") {
            Some(short) if fs.resolve(short).is_ok_and(|(real, _)| real == *p) => short.to_string(),
            _ => p.clone(),
        })
        .min_by_key(|p| (p.starts_with("/usr"), p.len()))
        .unwrap_or_else(|| "libc.so.6".into())
}

/// A glibc binary needs every `GLIBC_x.y` symbol version it was linked against: built on a
/// newer distribution than the image's base, it starts and the loader stops it at once.
/// The image's glibc is known from its dpkg database (`libc6`); without one, nothing is said.
pub(super) fn glibc_too_old(idx: &Index, step: &Step) -> Option<Finding> {
    let elf = match &step.art.details {
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
    let real = step.real;
    let libc = loaded_libc(idx);
    Some(
        Finding::error(
            Code::GlibcTooOld,
            format!(
                "{real} needs glibc {needs} or newer, but the image has glibc {has} (its dpkg database): it was built on a newer system than its base image"
            ),
        )
        .at(real, step.layer.clone())
        .fix(format!(
            "build it on the same base as the runtime stage (or an older one), or use a base image with glibc >= {needs}"
        ))
        .predicts(format!(
            "{real}: {libc}: version `GLIBC_{needs}' not found (required by {real})"
        ))
        .because(format!(
            "{real} asks for the glibc symbol version GLIBC_{needs}, so it was linked against glibc {needs} or newer; this image's glibc is {has} (its dpkg database says so). The ELF loader checks those versions when the program starts and stops it before main. The CPU is right: the build stage ran on a newer distribution than the runtime base image."
        )),
    )
}

/// Dotted numeric versions: `2.31` < `2.34` < `2.36.1`.
fn version_less(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a) < parse(b)
}

/// `, and against musl, which this image lacks` when a module's libc is also wrong.
pub(super) fn libc_note(idx: &Index, a: &Artifact) -> &'static str {
    let (glibc, musl) = idx.libcs;
    match a.libc {
        Some(Libc::Musl) if !musl => ", and against musl, which this image lacks",
        Some(Libc::Glibc) if !glibc => ", and against glibc, which this image lacks",
        _ => "",
    }
}

/// A Node addon of the right CPU can still fail to load: a `-musl` napi-rs addon needs musl's
/// libc, which a glibc image lacks, and the reverse. (Python's modules: see `modules::python`.)
pub(super) fn check_modules(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
    let (has_glibc, has_musl) = idx.libcs;
    let mut seen = HashSet::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.container.is_some() || a.kind != Kind::NodeAddon {
            continue;
        }
        // Prebuild loaders pick the libc-matching file among several at run time.
        if prebuild_os(&a.path).is_some() {
            continue;
        }
        let Some(arch) = a.arch.as_ref().filter(|arch| target.runs(arch)) else {
            continue;
        };
        let (needs, present, other) = match a.libc {
            Some(Libc::Glibc) => ("glibc", has_glibc, "musl"),
            Some(Libc::Musl) => ("musl", has_musl, "glibc"),
            _ => continue,
        };
        if present || !seen.insert(node_group(&a.path)) {
            continue;
        }
        findings.push(
            Finding::error(
                Code::NativeModuleLibcMismatch,
                format!(
                    "the Node addon {} is built against {needs}, but the image has no {needs} (it looks like a {other} image): it will not load",
                    a.path
                ),
            )
            .at(a.path.clone(), idx.layer(*layer))
            .fix(format!(
                "install the {other} build of the package inside the image build (npm ci in the image picks the -gnu or -musl package)"
            ))
            .predicts(dlopen_libc_error("Error: ", a, needs))
            .because(format!(
                "{} is built for {arch}, which {} runs: the CPU is right, the C library is not. The dynamic loader maps a native module into the running Node process together with the C library it was linked against, {needs}, and this image has only {other}. npm installs the -gnu or -musl binding by the C library of the machine that runs it, so packages installed on a {needs} system and copied into this image bring the wrong build.",
                a.path, target.platform
            )),
        );
    }
}

/// What dlopen prints for a module linked against a C library the process lacks: glibc's
/// loader names the missing `libc.musl-*` (or bare `libc.so`), musl's names `libc.so.6`.
pub(super) fn dlopen_libc_error(prefix: &str, a: &Artifact, needs: &str) -> String {
    let needed = match &a.details {
        Details::Elf(e) => e.needed.iter().find(|n| {
            n.starts_with("libc.musl-") || n.as_str() == "libc.so" || n.as_str() == "libc.so.6"
        }),
        _ => None,
    };
    match (needs, needed) {
        ("glibc", _) => format!(
            "{prefix}Error loading shared library libc.so.6: No such file or directory (needed by {})",
            a.path
        ),
        (_, Some(n)) => {
            format!("{prefix}{n}: cannot open shared object file: No such file or directory")
        }
        _ => {
            let machine = a
                .arch
                .as_ref()
                .and_then(|x| python::python_triplet(x, Libc::Musl))
                .map(|t| python::triplet_machine(&t).to_string())
                .unwrap_or_else(|| "x86_64".into());
            format!(
                "{prefix}libc.musl-{machine}.so.1: cannot open shared object file: No such file or directory"
            )
        }
    }
}
