//! Native modules loaded by interpreters: Python extensions (by CPython's suffix filter, then
//! dlopen), Node addons and their napi-rs packages, JNI libraries in jars. CPU and libc must fit.

use std::collections::BTreeMap;

use crate::detect::python::{
    ExtensionSuffix, extension_suffix, python_triplet, python_version_in, triplet_libc,
    triplet_machine,
};
use crate::detect::{Artifact, Details, Kind, Libc, NodePackageInfo};
use crate::oci::Arch;
use crate::verdict::natives::{self, Native};
use crate::verdict::{Code, Finding, Severity, Target};

use super::libc::{PythonLibc, dlopen_libc_error, libc_note, libc_word, python_libc};
use super::{Index, built_on, describe_arch, fix};

/// A module counts as broken only when no variant of it fits the target (packages often
/// ship one file per architecture side by side).
pub(super) fn check(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
    // Variants of the same module: whether one runs, and the ones that do not.
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
            findings.push(wrong_package(target, idx, *layer, a, p, dir));
        }
    }
    python(target, idx, findings);
    for (layer, a) in &idx.image.fs.artifacts {
        let (order, key) = match a.kind {
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
        let fits = a.arch.as_ref().is_some_and(|arch| {
            target.runs(arch) && !matches!(a.details, Details::MachO(_) | Details::Pe(_))
        });
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
        let f = mismatch(target, order, &key, first, g.bad.len())
            .at(first.path.clone(), idx.layer(layer));
        findings.push(match natives::node(&first.path) {
            Some(lib) if order != 2 => known_node(target, f, lib),
            _ => f,
        });
    }
}

/// A napi-rs platform package (`@scope/pkg-linux-arm64-gnu`) for another os or CPU.
fn wrong_package(
    target: &Target,
    idx: &Index,
    layer: usize,
    a: &Artifact,
    p: &NodePackageInfo,
    dir: &str,
) -> Finding {
    let cpu = node_cpu(&target.platform.arch);
    let name = p.name.as_deref().unwrap_or(dir);
    Finding::error(
        Code::NativeModuleArchMismatch,
        format!(
            "the installed npm package {name} is for os {:?} cpu {:?}{}; {} needs linux/{cpu}: its native addon will not load",
            p.os,
            p.cpu,
            if p.libc.is_empty() {
                String::new()
            } else {
                format!(" libc {:?}", p.libc)
            },
            target.title,
        ),
    )
    .at(a.path.clone(), idx.layer(layer))
    .fix(fix::node_fix(target))
    // napi-rs 3's generated index.js (seen in @node-rs/crc32 1.10.8); older ones differ.
    .predicts("Error: Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again after removing both package-lock.json and node_modules directory.".to_string())
    .because(format!(
        "npm installs only the optional dependency whose os and cpu match the machine that runs npm. {name} (os {:?}, cpu {:?}) is here, so node_modules was installed on such a machine and copied into the image; the linux-{cpu} binding that {} needs was never installed, and the loader finds none at require time.",
        p.os, p.cpu, target.platform
    ))
}

/// Where files for this artefact's CPU come from, for explanations.
fn origin(a: &Artifact) -> &'static str {
    match (&a.details, &a.arch) {
        (Details::MachO(_), _) => "a Mac",
        (Details::Pe(_), _) => "a Windows PC",
        (_, Some(arch)) => built_on(&arch.name),
        (_, None) => "another machine",
    }
}

/// The finding for a module none of whose variants fits (`order` is its kind, as grouped).
fn mismatch(target: &Target, order: u8, key: &str, first: &Artifact, count: usize) -> Finding {
    let arch = describe_arch(first);
    let more = if count > 1 {
        format!(" ({count} files)")
    } else {
        String::new()
    };
    let cpu = node_cpu(&target.platform.arch);
    let platform = &target.platform;
    let path = &first.path;
    let from = origin(first);
    match order {
        1 => Finding::error(
            Code::NativeModuleArchMismatch,
            format!("the Node addon {path} is built for {arch}{more}"),
        )
        .fix(fix::node_fix(target))
        .predicts(format!("Error: {path}: {}", dlopen_error(target, first)))
        .because(format!(
            "{path} is {arch} machine code. Node loads addons with dlopen into its own {platform} process, which cannot hold code for another CPU. node-gyp compiles addons for the machine that runs npm, so node_modules built on {from} and copied into the image brings {arch} files."
        )),
        // node-gyp-build throws when no prebuild fits, but several packages (bufferutil,
        // utf-8-validate) catch that and fall back to JavaScript.
        3 => Finding::warning(
            Code::NativeModuleArchMismatch,
            format!(
                "{} has no linux-{cpu} prebuild (found {arch}{more}); it fails to load unless the package falls back to JavaScript",
                key.split(':').next().unwrap_or(key),
            ),
        )
        .fix(fix::node_fix(target))
        .predicts(format!(
            "Error: No native build was found for platform=linux arch={cpu}"
        ))
        .because(format!(
            "The package picks a file under prebuilds/linux-{cpu}/ when it is loaded, and it ships only {arch} ones ({path}). The prebuilds are those the package was published with, or those installed on another machine and copied in; none is for {platform}."
        )),
        _ => jni_mismatch(target, first, &arch, &more),
    }
}

/// A JNI library with no variant for the target: an error when the table knows it has no
/// fallback, a warning when it knows one, or when it does not know the library.
fn jni_mismatch(target: &Target, first: &Artifact, arch: &str, more: &str) -> Finding {
    let jar = first.container.as_deref().unwrap_or("a jar");
    let platform = &target.platform;
    let path = &first.path;
    let inner = path.rsplit_once('!').map(|(_, p)| p).unwrap_or(path);
    let java = format!(
        "{jar} carries its native library per CPU, and the JVM can load only one built for its own ({}); this jar has {arch} only{more}.",
        platform.arch
    );
    let fix = format!(
        "use a build of the library that ships linux-{} natives (for netty, the linux-{} classifier jar)",
        platform.arch.name,
        if platform.arch.name == "arm64" {
            "aarch_64"
        } else {
            "x86_64"
        }
    );
    let Some(lib) = natives::jni(inner) else {
        return Finding::warning(
            Code::NativeModuleArchMismatch,
            format!(
                "{jar} has no {} variant of the JNI library {inner} (found {arch}{more}); the app may fail when it loads it, unless the library falls back to pure Java",
                platform.arch
            ),
        )
        .fix(fix)
        .predicts(format!("java.lang.UnsatisfiedLinkError: {path}"))
        .because(format!(
            "{java} archlens does not know this library: libraries that catch UnsatisfiedLinkError (netty does) fall back to pure Java, slower; others fail on first use. The build picked natives for another CPU, not for {platform}."
        ));
    };
    let name = &lib.name;
    if lib.fallback {
        return falls_back(
            Finding::warning(
                Code::NativeModuleArchMismatch,
                format!(
                    "{jar} has no {} variant of {name}'s JNI library (found {arch}{more})",
                    platform.arch
                ),
            )
            .fix(fix)
            .because(format!(
                "{java} The build picked natives for another CPU, not for {platform}."
            )),
            lib,
        );
    }
    Finding::error(
        Code::NativeModuleArchMismatch,
        format!(
            "{jar} has no {} variant of {name}'s JNI library (found {arch}{more}); {name} has no fallback, so the app fails when it first uses it",
            platform.arch
        ),
    )
    .fix(format!(
        "use a {name} build whose jar ships linux-{} natives (or add the library for {platform} to java.library.path)",
        platform.arch.name
    ))
    .predicts(
        lib.error_on(&platform.arch)
            .unwrap_or_else(|| format!("java.lang.UnsatisfiedLinkError: {path}")),
    )
    .because(format!(
        "{java} {name} throws when it finds no native library for the JVM's CPU and has no pure-Java implementation to use instead ({}). The build picked natives for another CPU, not for {platform}.",
        lib.source
    ))
}

/// Whether the pure-Python fallback sits in the same site-packages as the module: a
/// stripped image without it fails like a package that has none.
fn has_fallback_file(idx: &Index, module: &str, lib: &Native) -> bool {
    let Some(file) = lib.fallback_file.as_deref() else {
        return true;
    };
    ["/site-packages/", "/dist-packages/"].iter().any(|m| {
        module
            .split_once(m)
            .is_some_and(|(dir, _)| idx.image.fs.contains(&format!("{dir}{m}{file}")))
    })
}

/// A Node addon of a package the table knows: a warning when it falls back to JavaScript,
/// else an error with the package's own line.
fn known_node(target: &Target, mut f: Finding, lib: &Native) -> Finding {
    if lib.fallback {
        return falls_back(f, lib);
    }
    f.severity = Severity::Error;
    if let Some(line) = lib.error_on(&target.platform.arch) {
        f.predicted_error = Some(line);
    }
    f.explanation = format!(
        "{} {} has no JavaScript fallback ({}).",
        f.explanation, lib.name, lib.source
    );
    f
}

/// The finding for a library known to fall back: a warning that says to what, and no
/// predicted error, since the failure is caught.
fn falls_back(mut f: Finding, lib: &Native) -> Finding {
    let to = lib
        .falls_back_to
        .as_deref()
        .unwrap_or("code without its native part");
    f.severity = Severity::Warning;
    f.predicted_error = None;
    f.message = format!(
        "{}; {} falls back to {to}, so it runs, slower",
        f.message.trim_end_matches(": they will not load"),
        lib.name
    );
    f.explanation = format!(
        "{} {} catches the failed load and uses {to} instead ({}).",
        f.explanation, lib.name, lib.source
    );
    f
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

/// Why a Python extension module does not load.
#[derive(Clone, Copy)]
enum PyFault {
    /// No file of the module has a suffix this Python lists, so `import` never tries one;
    /// `Some(libc)` when the tag is for this CPU but that C library, else another CPU (or OS).
    NotTried(Option<Libc>),
    /// The file Python picks is machine code for another CPU.
    Arch,
    /// The file Python picks links against a C library this Python's process does not have.
    Libc(Libc),
}

/// Python extensions as CPython's finder sees them: per module (directory and stem), the
/// file whose suffix it tries first is the one loaded; the others are never opened. One
/// finding per package, at its first broken module.
fn python(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
    let mut modules: BTreeMap<String, Vec<(usize, &Artifact)>> = BTreeMap::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.kind != Kind::PythonExtension {
            continue;
        }
        let (dir, file) = a.path.rsplit_once('/').unwrap_or(("", &a.path));
        let stem = file.split('.').next().unwrap_or(file);
        modules
            .entry(format!("{dir}/{stem}"))
            .or_default()
            .push((*layer, a));
    }
    if modules.is_empty() {
        return;
    }
    let py = python_libc(idx, target);
    let mut packages: BTreeMap<String, (usize, &Artifact, PyFault, usize)> = BTreeMap::new();
    for variants in modules.values() {
        let Some((layer, a, fault)) = python_fault(target, idx, &py, variants) else {
            continue;
        };
        packages
            .entry(python_group(&a.path))
            .and_modify(|e| e.3 += 1)
            .or_insert((layer, a, fault, 1));
    }
    for (package, (layer, a, fault, count)) in packages {
        let f = python_finding(target, idx, &py, &package, a, fault, count)
            .at(a.path.clone(), idx.layer(layer));
        findings.push(match natives::python(&package) {
            Some(lib) if lib.fallback && has_fallback_file(idx, &a.path, lib) => falls_back(f, lib),
            _ => f,
        });
    }
    if py.libc.is_none() {
        findings.extend(python_libc_unknown(&py, idx, &modules));
    }
}

/// With both libcs in the image and no Python to ask, modules built for each cannot all load:
/// say so, as a warning, at the first musl one.
fn python_libc_unknown(
    py: &PythonLibc,
    idx: &Index,
    modules: &BTreeMap<String, Vec<(usize, &Artifact)>>,
) -> Option<Finding> {
    let libc_of = |a: &Artifact| {
        extension_suffix(&a.path)
            .and_then(|(_, s)| s.triplet().and_then(triplet_libc))
            .or(a.libc.filter(|l| *l != Libc::Other))
    };
    let all = modules.values().flatten();
    let glibc = all.clone().find(|(_, a)| libc_of(a) == Some(Libc::Glibc))?;
    let (layer, musl) = all.clone().find(|(_, a)| libc_of(a) == Some(Libc::Musl))?;
    Some(
        Finding::warning(
            Code::NativeModuleLibcMismatch,
            format!(
                "the image holds Python extension modules for musl ({}) and for glibc ({}); a Python loads only one kind, and archlens cannot tell which this image's is",
                musl.path, glibc.1.path
            ),
        )
        .at(musl.path.clone(), idx.layer(*layer))
        .fix("install every package with the pip of the Python the image runs, inside the image build")
        .because(format!(
            "A CPython build is either glibc or musl: it imports `-linux-gnu` or `-linux-musl` extension files, not both, and dlopen fails on a module linked against the other libc. Here {}, so whichever Python runs, some of these modules will not import.",
            py.how
        )),
    )
}

/// The fault of one module's variants, at the file that shows it.
fn python_fault<'a>(
    target: &Target,
    idx: &Index,
    py: &PythonLibc,
    variants: &[(usize, &'a Artifact)],
) -> Option<(usize, &'a Artifact, PyFault)> {
    let arch = &target.platform.arch;
    let own = py.libc.and_then(|l| python_triplet(arch, l));
    let machine = python_triplet(arch, Libc::Glibc).map(|t| triplet_machine(&t).to_string());
    let has = |l: Libc| match l {
        Libc::Glibc => idx.libcs.0,
        Libc::Musl => idx.libcs.1,
        Libc::Other => false,
    };
    let mut tried: Vec<(u8, usize, &Artifact)> = Vec::new();
    let mut skipped: Option<(usize, &Artifact, Option<Libc>)> = None;
    for &(layer, a) in variants {
        let verdict = match extension_suffix(&a.path) {
            None => Err(None),
            Some((_, suffix)) => name_tried(&suffix, machine.as_deref(), own.as_deref(), &|l| {
                py.libc.map_or(has(l), |p| p == l)
            }),
        };
        match verdict {
            Ok(rank) => tried.push((rank, layer, a)),
            Err(libc) => {
                skipped.get_or_insert((layer, a, libc));
            }
        }
    }
    tried.sort_by_key(|t| t.0);
    if let Some(&(_, layer, a)) = tried.first() {
        let fault = if !a.arch.as_ref().is_some_and(|x| target.runs(x))
            || !matches!(&a.details, Details::Elf(e) if e.class == target_class(target))
        {
            Some(PyFault::Arch)
        } else {
            match a.libc {
                Some(l @ (Libc::Glibc | Libc::Musl)) if py.libc.map_or(!has(l), |p| p != l) => {
                    Some(PyFault::Libc(l))
                }
                // A bare `libc.so` (Rust's musl builds) is musl's own name for itself; glibc
                // has no such library.
                Some(Libc::Other) if py.libc == Some(Libc::Glibc) => {
                    Some(PyFault::Libc(Libc::Other))
                }
                _ => None,
            }
        };
        return fault.map(|f| (layer, a, f));
    }
    let (layer, a, libc) = skipped?;
    Some((layer, a, PyFault::NotTried(libc)))
}

/// Whether this Python tries a file with `suffix` (`Ok(rank)`), else `Err(Some(libc))` when
/// the tag is for this CPU and another C library, `Err(None)` for another CPU or ABI.
/// `machine` is the target's (`x86_64`), `own` the Python's whole triplet when its libc is known.
fn name_tried(
    suffix: &ExtensionSuffix,
    machine: Option<&str>,
    own: Option<&str>,
    libc_ok: &dyn Fn(Libc) -> bool,
) -> Result<u8, Option<Libc>> {
    if !matches!(suffix, ExtensionSuffix::Tagged(_)) {
        return Ok(suffix.rank());
    }
    let triplet = suffix.triplet().ok_or(None)?;
    if machine.is_some_and(|m| m != triplet_machine(triplet)) {
        return Err(None);
    }
    let libc = triplet_libc(triplet).ok_or(None)?;
    if !libc_ok(libc) {
        return Err(Some(libc));
    }
    // Same CPU and libc, another ABI (arm's gnueabi against gnueabihf).
    if own.is_some_and(|o| o != triplet) {
        return Err(None);
    }
    Ok(suffix.rank())
}

fn python_finding(
    target: &Target,
    idx: &Index,
    py: &PythonLibc,
    package: &str,
    a: &Artifact,
    fault: PyFault,
    count: usize,
) -> Finding {
    let path = &a.path;
    let platform = &target.platform;
    let more = if count > 1 {
        format!(" ({count} files)")
    } else {
        String::new()
    };
    let module = python_module(path);
    let not_found = format!("ModuleNotFoundError: No module named '{module}'");
    let suffixes = match py.libc.and_then(|l| python_triplet(&platform.arch, l)) {
        Some(t) => format!("`.cpython-3XY-{t}.so`, `.abi3.so` and `.so`"),
        None => "its own `.cpython-3XY-<machine>-linux-<libc>.so`, `.abi3.so` and `.so`".into(),
    };
    let pick = "pip picks wheels for the machine that runs it (manylinux for glibc, musllinux for musl, and its CPU), so site-packages installed on another machine and copied into the image, or wheels fetched with `pip download` without the right --platform, bring files this Python cannot use.";
    match fault {
        PyFault::NotTried(Some(needs)) => {
            let has = py.libc.map_or("another C library", libc_word);
            Finding::error(
                Code::NativeModuleLibcMismatch,
                format!(
                    "the Python package {package} has extension modules named for {}{more}, but {}: Python never loads them",
                    libc_word(needs),
                    python_has(py, needs)
                ),
            )
            .fix(libc_fix(target, py, path))
            .predicts(not_found)
            .because(format!(
                "The file name {path} says it is for {} on this CPU. CPython imports only files whose suffix its build lists in importlib.machinery.EXTENSION_SUFFIXES ({suffixes}), and this image's Python is built for {has} ({}). It never opens {path}, so `import {module}` finds no module at all. {pick}",
                libc_word(needs),
                py.how
            ))
        }
        PyFault::NotTried(None) => {
            let arch = describe_arch(a);
            Finding::error(
                Code::NativeModuleArchMismatch,
                format!(
                    "the Python package {package} has extension modules built for {arch}{more}{}",
                    libc_note(idx, a)
                ),
            )
            .fix(fix::python_fix(target))
            .predicts(not_found)
            .because(format!(
                "The file name {path} is not one a CPython on {platform} imports: it accepts only the suffixes {suffixes}. It never opens the file, so `import {module}` finds no module at all (and the file itself is {arch} machine code, which a {platform} process cannot hold). {pick}"
            ))
        }
        PyFault::Arch => {
            let arch = describe_arch(a);
            let from = origin(a);
            Finding::error(
                Code::NativeModuleArchMismatch,
                format!(
                    "the Python package {package} has extension modules built for {arch}{more}{}",
                    libc_note(idx, a)
                ),
            )
            .fix(fix::python_fix(target))
            .predicts(format!("ImportError: {path}: {}", dlopen_error(target, a)))
            .because(format!(
                "{path} is {arch} machine code. Its name carries no platform tag (or this Python's), so CPython tries it and dlopen maps it into the {platform} process, which cannot hold code for another CPU. pip picks wheels for the machine that runs it, so site-packages installed on {from} and copied into the image, or wheels fetched with `pip download` without --platform, bring {arch} files."
            ))
        }
        PyFault::Libc(needs) => {
            let has = py.libc.map_or("another C library", libc_word);
            let word = if needs == Libc::Glibc {
                "glibc"
            } else {
                "musl"
            };
            Finding::error(
                Code::NativeModuleLibcMismatch,
                format!(
                    "the Python package {package} has extension modules linked against {}{more}, but {}: they will not load",
                    libc_word(needs),
                    python_has(py, needs)
                ),
            )
            .fix(libc_fix(target, py, path))
            .predicts(match libc_linker_script(idx) {
                // glibc's dlopen finds libc6-dev's `libc.so`, a text linker script.
                Some(script) if needs == Libc::Other => {
                    format!("ImportError: {script}: invalid ELF header")
                }
                _ => dlopen_libc_error("ImportError: ", a, word),
            })
            .because(format!(
                "{path} is machine code for this CPU, and its name lets CPython try it, but it is linked against {} and this image's Python is built for {has} ({}). dlopen looks for that C library while loading the module and stops. {pick}",
                libc_word(needs),
                py.how
            ))
        }
    }
}

/// `the image's Python is built for glibc`, or `the image has no musl` when its Python's
/// libc is unknown.
fn python_has(py: &PythonLibc, needs: Libc) -> String {
    match py.libc {
        Some(l) => format!("the image's Python is built for {}", libc_word(l)),
        None => format!("the image has no {}", libc_word(needs)),
    }
}

/// libc6-dev's `libc.so` (a linker script), when the image has one.
fn libc_linker_script(idx: &Index<'_>) -> Option<String> {
    idx.image
        .fs
        .paths()
        .find(|p| p.ends_with("-linux-gnu/libc.so"))
}

/// Reinstall for the image's own C library, with the wheel tag pip should ask for.
fn libc_fix(target: &Target, py: &PythonLibc, path: &str) -> String {
    let libc = py.libc.unwrap_or(Libc::Glibc);
    let machine = python_triplet(&target.platform.arch, libc)
        .map(|t| triplet_machine(&t).to_string())
        .unwrap_or_else(|| target.platform.arch.name.clone());
    let tag = match libc {
        Libc::Musl => format!("musllinux_1_2_{machine}"),
        _ => format!("manylinux2014_{machine}"),
    };
    format!(
        "run `pip install` inside the image build for {p}, so pip picks the wheels its Python loads; to fetch wheels elsewhere: `pip download --only-binary=:all: --platform {tag} --python-version {v} ...`",
        p = target.platform,
        v = python_version_in(path).unwrap_or("3.X"),
    )
}

/// `/usr/lib/python3/dist-packages/yaml/_yaml.cpython-311-x86_64-linux-gnu.so` -> `yaml._yaml`.
pub(super) fn python_module(path: &str) -> String {
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

/// `site-packages/numpy/core/_x.so` -> `numpy`; the standard library's own modules are one
/// group, their `lib-dynload` directory.
pub(super) fn python_group(path: &str) -> String {
    for marker in ["/site-packages/", "/dist-packages/"] {
        if let Some((_, rest)) = path.split_once(marker) {
            let top = rest.split('/').next().unwrap_or(rest);
            let top = top.split('.').next().unwrap_or(top);
            return top.to_string();
        }
    }
    match path.split_once("/lib-dynload/") {
        Some((dir, _)) => format!("{dir}/lib-dynload"),
        None => path.to_string(),
    }
}

/// The `<os>-<arch>` directory of a prebuildify addon (`prebuilds/darwin-arm64/x.node`).
pub(super) fn prebuild_os(path: &str) -> Option<&str> {
    let (_, rest) = path.split_once("/prebuilds/")?;
    rest.split('/').next()
}

/// Variants of one addon share the path up to `prebuilds/`, plus the file's stem.
pub(super) fn node_group(path: &str) -> String {
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

/// Node's name for a CPU (`process.arch`).
pub(super) fn node_cpu(arch: &Arch) -> &'static str {
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

fn node_package_fits(target: &Target, p: &NodePackageInfo) -> bool {
    let allows = |list: &[String], want: &str| {
        list.is_empty()
            || (list.iter().any(|v| v == want) && !list.iter().any(|v| v == &format!("!{want}")))
            || (list.iter().all(|v| v.starts_with('!'))
                && !list.iter().any(|v| v == &format!("!{want}")))
    };
    allows(&p.os, &target.platform.os) && allows(&p.cpu, node_cpu(&target.platform.arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried(
        file: &str,
        own: Option<&str>,
        libc_ok: &dyn Fn(Libc) -> bool,
    ) -> Result<u8, Option<Libc>> {
        let (_, suffix) = extension_suffix(file).unwrap();
        name_tried(&suffix, Some("x86_64"), own, libc_ok)
    }

    #[test]
    fn a_glibc_python_tries_its_own_tag_then_abi3_then_plain() {
        let glibc = |l: Libc| l == Libc::Glibc;
        let own = Some("x86_64-linux-gnu");
        assert_eq!(
            tried("/x/a.cpython-311-x86_64-linux-gnu.so", own, &glibc),
            Ok(0)
        );
        assert_eq!(tried("/x/a.abi3.so", own, &glibc), Ok(1));
        assert_eq!(tried("/x/a.so", own, &glibc), Ok(2));
        // Another libc on this CPU, another CPU, another implementation: never tried.
        assert_eq!(
            tried("/x/a.cpython-311-x86_64-linux-musl.so", own, &glibc),
            Err(Some(Libc::Musl))
        );
        assert_eq!(
            tried("/x/a.cpython-311-aarch64-linux-gnu.so", own, &glibc),
            Err(None)
        );
        assert_eq!(
            tried("/x/a.pypy39-pp73-x86_64-linux-gnu.so", own, &glibc),
            Err(None)
        );
    }

    #[test]
    fn with_its_libc_unknown_a_tag_is_tried_when_the_image_has_that_libc() {
        let both = |_: Libc| true;
        assert_eq!(
            tried("/x/a.cpython-311-x86_64-linux-musl.so", None, &both),
            Ok(0)
        );
        let only_glibc = |l: Libc| l == Libc::Glibc;
        assert_eq!(
            tried("/x/a.cpython-311-x86_64-linux-musl.so", None, &only_glibc),
            Err(Some(Libc::Musl))
        );
    }

    #[test]
    fn stdlib_modules_are_one_group() {
        assert_eq!(
            python_group("/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so"),
            "/usr/lib/python3.11/lib-dynload"
        );
        assert_eq!(
            python_module(
                "/usr/local/lib/python3.11/site-packages/orjson/orjson.cpython-311-x86_64-linux-musl.so"
            ),
            "orjson.orjson"
        );
    }
}
