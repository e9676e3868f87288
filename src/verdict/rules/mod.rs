//! The content rules: what starts (entrypoint, its interpreter chain), whether it can run on
//! the target's CPU and C library, and whether native modules and other binaries match.

mod cpu;
mod entrypoint;
mod fix;
mod foreign;
mod label;
mod launch;
mod libc;
mod modules;
mod pyext;
mod shell;
mod wrapper;

use std::collections::HashMap;

use crate::analyze::Image;
use crate::detect::{Artifact, Details};
use crate::oci::{Digest, Platform};

use super::{Finding, Runtime, Target};

pub(crate) use fix::{multiarch_fix, single_platform_fix};

/// Artefacts of an image indexed by path, for the rules.
struct Index<'a> {
    image: &'a Image,
    by_path: HashMap<&'a str, Vec<(usize, &'a Artifact)>>,
    /// The live paths the rules look at by name (see [`named_by_rules`]), in tree order,
    /// from one walk: a million-file image is not walked once per rule.
    paths: Vec<String>,
    /// Whether the image holds glibc and musl (see [`libc::image_libcs`]), computed once.
    libcs: (bool, bool),
    /// The platform the image claims: its index entry's, else its config's.
    declared: Platform,
}

impl<'a> Index<'a> {
    fn new(image: &'a Image, index_platform: Option<&Platform>) -> Index<'a> {
        let mut by_path: HashMap<&str, Vec<(usize, &Artifact)>> = HashMap::new();
        for (layer, a) in &image.fs.artifacts {
            by_path
                .entry(a.path.as_str())
                .or_default()
                .push((*layer, a));
        }
        let paths: Vec<String> = image.fs.paths_named(named_by_rules).collect();
        Index {
            image,
            by_path,
            libcs: libc::image_libcs(&paths),
            paths,
            declared: index_platform.unwrap_or(&image.config.platform).clone(),
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

/// Whether some rule looks for a file of this name: a C library or its loader, a Python
/// interpreter, its standard library's `os.py` or an extension module (`*.so`).
fn named_by_rules(file: &str) -> bool {
    file.starts_with("libc.")
        || file.starts_with("ld-musl-")
        || file.starts_with("python")
        || file == "os.py"
        || file.ends_with(".so")
}

/// What the rules need to know about the request besides the image.
struct Ask<'a> {
    reference: &'a str,
    target: &'a Target,
    /// The platforms the index offers (empty for a single image).
    platforms: &'a [String],
}

/// The content rules for the image a target would run.
pub fn evaluate_image(
    reference: &str,
    target: &Target,
    index_platform: Option<&Platform>,
    platforms: &[String],
    image: &Image,
) -> Vec<Finding> {
    let idx = Index::new(image, index_platform);
    let ask = Ask {
        reference,
        target,
        platforms,
    };
    let mut findings = Vec::new();
    let entry = entrypoint::check(&ask, &idx, &mut findings);
    modules::check(target, &idx, &mut findings);
    libc::check_modules(target, &idx, &mut findings);
    foreign::check(
        target,
        &idx,
        entry.as_ref().map(|(p, _)| p.as_str()),
        &mut findings,
    );
    label::check(&ask, index_platform, &idx, entry.as_ref(), &mut findings);
    findings
}

/// The line runc (or Lambda's init) prints when `execve` of `path` fails with `reason`.
fn exec_error(target: &Target, path: &str, reason: &str) -> String {
    match target.runtime {
        Runtime::Lambda => format!("Runtime.InvalidEntrypoint: fork/exec {path}: {reason}"),
        _ => format!("exec {path}: {reason}"),
    }
}

/// The CPU (or foreign OS) an artefact is built for, as said in messages.
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

/// Where code for `arch` usually comes from, for the "why" of a CPU mismatch.
fn built_on(arch: &str) -> &'static str {
    match arch {
        "arm64" => "an arm64 machine, such as an Apple-silicon Mac or an arm64 CI runner",
        "amd64" => "an x86_64 machine, as most PCs and CI runners are",
        "arm" => "a 32-bit ARM machine such as a Raspberry Pi, or a cross-compiler for it",
        _ => "a machine of that CPU or a cross-compiler for it",
    }
}
