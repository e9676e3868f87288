//! Native modules loaded by interpreters: Node addons and their napi-rs packages, JNI libraries
//! in jars, and the grouping of variants (Python extensions are in `pyext`).

use std::collections::BTreeMap;

use crate::detect::{Artifact, Details, Kind, NodePackageInfo};
use crate::oci::Arch;
use crate::verdict::natives::{self, Native};
use crate::verdict::{Code, Finding, Severity, Target};

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
    super::pyext::check(target, idx, findings);
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
    let f = Finding::error(
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
    .fix(fix::node_fix(target));
    let arch = &target.platform.arch;
    let loader = natives::napi();
    let f = match loader.and_then(|n| n.error_on(arch)) {
        Some(line) => f.predicts(line),
        None => f,
    };
    let older = loader.map_or_else(String::new, |n| {
        format!(
            " napi-rs's generated loader then throws the predicted line; loaders from older napi-rs releases print {} instead ({}).",
            n.older_errors_on(arch)
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            n.source
        )
    });
    f.because(format!(
        "npm installs only the optional dependency whose os and cpu match the machine that runs npm. {name} (os {:?}, cpu {:?}) is here, so node_modules was installed on such a machine and copied into the image; the linux-{cpu} binding that {} needs was never installed, and the loader finds none at require time.{older}",
        p.os, p.cpu, target.platform
    ))
}

/// Where files for this artefact's CPU come from, for explanations.
pub(super) fn origin(a: &Artifact) -> &'static str {
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
pub(super) fn has_fallback_file(idx: &Index, module: &str, lib: &Native) -> bool {
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
pub(super) fn falls_back(mut f: Finding, lib: &Native) -> Finding {
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
pub(super) fn dlopen_error(target: &Target, a: &Artifact) -> String {
    match &a.details {
        Details::MachO(_) | Details::Pe(_) => "invalid ELF header".into(),
        Details::Elf(e) if e.class != target_class(target) => {
            format!("wrong ELF class: ELFCLASS{}", e.class)
        }
        _ => "cannot open shared object file: No such file or directory".into(),
    }
}

pub(super) fn target_class(target: &Target) -> u8 {
    match target.platform.arch.name.as_str() {
        "arm" | "386" | "mips" | "mipsle" => 32,
        _ => 64,
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
