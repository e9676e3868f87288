//! Python extension modules as CPython's import system sees them: which file of a module it
//! tries (its suffix list: version, CPU, libc), then whether dlopen loads it.

use std::collections::BTreeMap;

use crate::detect::python::{
    ExtensionSuffix, extension_suffix, python_triplet, python_version_in, triplet_libc,
    triplet_machine,
};
use crate::detect::{Artifact, Details, Kind, Libc};
use crate::verdict::natives;
use crate::verdict::{Code, Finding, Target};

use super::libc::{PythonLibc, dlopen_libc_error, libc_note, libc_word, python_libc};
use super::modules::{dlopen_error, falls_back, has_fallback_file, origin, target_class};
use super::{Index, describe_arch, fix};

/// Why a Python extension module does not load.
#[derive(Clone)]
enum PyFault {
    /// No file of the module has a suffix this Python lists, so `import` never tries one;
    /// `Some(libc)` when the tag is for this CPU but that C library, else another CPU (or OS).
    NotTried(Option<Libc>),
    /// The file Python picks is machine code for another CPU.
    Arch,
    /// The file Python picks links against a C library this Python's process does not have.
    Libc(Libc),
    /// Every file is tagged for another CPython version (`cpython-312` under Python 3.11):
    /// its suffix list names only its own version, so `import` never tries them.
    Version(String),
}

/// The CPython version the image runs (`3.11`) and how archlens knows: its interpreter's
/// name (`/usr/local/bin/python3.11`) or its standard library's directory. None when the
/// image has no Python, or Pythons of several versions (then which one runs is not known).
pub(super) fn python_version(idx: &Index) -> Option<(String, String)> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for p in &idx.paths {
        let name = p.rsplit('/').next().unwrap_or(p);
        let interpreter = name.strip_prefix("python").filter(|v| {
            p.contains("/bin/")
                && v.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty()
                        && !b.is_empty()
                        && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                })
        });
        if let Some(v) = interpreter {
            found
                .entry(v.to_string())
                .or_insert(format!("its interpreter {p}"));
        } else if let Some(v) =
            python_version_in(p).filter(|v| p.ends_with(&format!("/python{v}/os.py")))
        {
            found.entry(v.to_string()).or_insert(format!(
                "its standard library {}",
                p.trim_end_matches("/os.py")
            ));
        }
    }
    let mut all = found.into_iter();
    let one = all.next()?;
    all.next().is_none().then_some(one)
}

/// `3.12` from a `cpython-312-...` tag.
fn tag_version(suffix: &ExtensionSuffix) -> Option<String> {
    let ExtensionSuffix::Tagged(tag) = suffix else {
        return None;
    };
    let digits = tag.strip_prefix("cpython-")?.split('-').next()?;
    let (major, minor) = digits.split_at_checked(1)?;
    (!minor.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()))
        .then(|| format!("{major}.{minor}"))
}

/// Python extensions as CPython's finder sees them: per module (directory and stem), the
/// file whose suffix it tries first is the one loaded; the others are never opened. One
/// finding per package, at its first broken module.
pub(super) fn check(target: &Target, idx: &Index, findings: &mut Vec<Finding>) {
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
    let version = python_version(idx);
    let mut packages: BTreeMap<String, (usize, &Artifact, PyFault, usize)> = BTreeMap::new();
    for variants in modules.values() {
        let Some((layer, a, fault)) = python_fault(target, idx, &py, version.as_ref(), variants)
        else {
            continue;
        };
        packages
            .entry(python_group(&a.path))
            .and_modify(|e| e.3 += 1)
            .or_insert((layer, a, fault, 1));
    }
    for (package, (layer, a, fault, count)) in packages {
        let f = python_finding(
            target,
            idx,
            (&py, version.as_ref()),
            &package,
            a,
            fault,
            count,
        )
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
    version: Option<&(String, String)>,
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
    let mut skipped: Option<(usize, &Artifact, PyFault)> = None;
    for &(layer, a) in variants {
        let other_version = extension_suffix(&a.path)
            .and_then(|(_, s)| tag_version(&s))
            .filter(|v| version.is_some_and(|(own, _)| own != v));
        if let Some(v) = other_version {
            skipped.get_or_insert((layer, a, PyFault::Version(v)));
            continue;
        }
        let verdict = match extension_suffix(&a.path) {
            None => Err(None),
            Some((_, suffix)) => name_tried(&suffix, machine.as_deref(), own.as_deref(), &|l| {
                py.libc.map_or(has(l), |p| p == l)
            }),
        };
        match verdict {
            Ok(rank) => tried.push((rank, layer, a)),
            Err(libc) => {
                skipped.get_or_insert((layer, a, PyFault::NotTried(libc)));
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
    skipped
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

/// `python` is the image's Python: its C library and its version (with how each is known).
fn python_finding(
    target: &Target,
    idx: &Index,
    (py, version): (&PythonLibc, Option<&(String, String)>),
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
        PyFault::Version(tag) => {
            let (own, how) = version.cloned().unwrap_or_default();
            Finding::error(
                Code::NativeModulePythonMismatch,
                format!(
                    "the Python package {package} has extension modules built for CPython {tag}{more}, but the image runs Python {own}: it never loads them"
                ),
            )
            .fix(format!(
                "install {package} with the image's own pip (python{own} -m pip install ...) inside the image build, or build the image from a Python {tag} base"
            ))
            .predicts(not_found)
            .because(format!(
                "The file name {path} says it is for CPython {tag}. CPython imports only files whose suffix its build lists in importlib.machinery.EXTENSION_SUFFIXES, and a {own} build lists `.cpython-{}-...so`, `.abi3.so` and `.so`, never another version's tag, because the C API and ABI change between versions. The image runs Python {own} ({how}), so `import {module}` finds no module at all. Site-packages copied from another image or a wheel for another Python bring such files.",
                own.replace('.', "")
            ))
        }
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
    idx.paths
        .iter()
        .find(|p| p.ends_with("-linux-gnu/libc.so"))
        .cloned()
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
    fn a_tag_names_its_cpython_version() {
        let v = |f: &str| tag_version(&extension_suffix(f).unwrap().1);
        assert_eq!(
            v("/x/a.cpython-312-x86_64-linux-gnu.so").as_deref(),
            Some("3.12")
        );
        assert_eq!(v("/x/a.cpython-39-darwin.so").as_deref(), Some("3.9"));
        assert_eq!(v("/x/a.abi3.so"), None);
        assert_eq!(v("/x/a.pypy39-pp73-x86_64-linux-gnu.so"), None);
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
