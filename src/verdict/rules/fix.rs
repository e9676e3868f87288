//! The build commands and changes findings suggest, ready to copy: one home for the
//! `docker buildx build` lines, so every finding words them the same way.

use crate::oci::Arch;
use crate::verdict::Target;

use super::Ask;
use super::modules::node_cpu;

/// The build command for an index that covers the target and what the image already offers.
pub(crate) fn multiarch_fix(target: &Target, platforms: &[String], reference: &str) -> String {
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
pub(crate) fn single_platform_fix(target: &Target, reference: &str) -> String {
    format!(
        "docker buildx build --platform {} --provenance=false --sbom=false -t {} --push .",
        target.platform,
        push_ref(reference)
    )
}

/// The build command for this target: an index where it accepts one, else one platform.
pub(super) fn build_for(ask: &Ask) -> String {
    if ask.target.accepts_index {
        multiarch_fix(ask.target, ask.platforms, ask.reference)
    } else {
        single_platform_fix(ask.target, ask.reference)
    }
}

/// When the build was asked for the right platform and the files are `content` anyway, a
/// rebuild alone changes nothing: the Dockerfile must build them per `TARGETARCH`.
pub(super) fn per_targetarch(ask: &Ask, content: &Arch) -> String {
    format!(
        "build the binaries in the Dockerfile for each target platform instead of copying a prebuilt {content} one: compile from source in the image build (or in a `FROM --platform=$BUILDPLATFORM` stage that cross-compiles for $TARGETARCH, e.g. Go `GOARCH=$TARGETARCH`), then `{}`",
        build_for(ask)
    )
}

pub(super) fn python_fix(target: &Target) -> String {
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

pub(super) fn node_fix(target: &Target) -> String {
    format!(
        "run `npm ci` inside the image build for {} instead of copying node_modules from another machine (or `npm install --os=linux --cpu={}`)",
        target.platform,
        node_cpu(&target.platform.arch)
    )
}

/// A reference to put in a build command: registry references as given, local sources as a
/// placeholder.
fn push_ref(reference: &str) -> String {
    if crate::source::is_local(reference) || reference.is_empty() {
        "IMAGE".to_string()
    } else {
        reference.trim_start_matches("docker://").to_string()
    }
}
