//! The declared platform (index entry, config) versus what the binaries really are. The
//! label records what the build was asked for, so when they disagree the files are wrong.

use std::collections::BTreeMap;

use crate::detect::Kind;
use crate::oci::{Arch, Platform};
use crate::verdict::{Code, Finding};

use super::{Ask, Index, built_on, fix};

pub(super) fn check(
    ask: &Ask,
    index_platform: Option<&Platform>,
    idx: &Index,
    entry: Option<&(String, Arch)>,
    findings: &mut Vec<Finding>,
) {
    let config = &idx.image.config.platform;
    if let Some(ip) = index_platform
        && (ip.arch.name != config.arch.name || ip.os != config.os)
    {
        findings.push(
            Finding::warning(
                Code::MislabeledPlatform,
                format!("the index lists this image as {ip}, but its config says {config}"),
            )
            .because(format!(
                "The index entry says {ip}; the image's own config says {config}. A runtime chooses from an index by the entry's platform and never reads the config's, then runs the files whatever either says. The index was put together from images that were not built for the platforms it names."
            )),
        );
    }
    let declared = &idx.declared;
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
    // Variants are not compared: a label of arm64 over arm64/v8 code is no lie.
    if declared.arch.name == arch.name {
        return;
    }
    let target = ask.target;
    let runs = target.runs(&arch);
    let mut why = format!(
        "The label (index entry and config) records the platform the build was asked for, and nothing checks it against the files. This image is labelled {declared}, yet {path} is {arch} code: the build for {declared} did not build its binaries for it. Usually the Dockerfile copies the same prebuilt {arch} binary (a download, or a build on {}) into every platform's image, or a `FROM --platform=$BUILDPLATFORM` stage compiles for the build machine instead of $TARGETARCH.",
        built_on(&arch.name)
    );
    if runs {
        why.push_str(&format!(
            " On {} it starts, because the runtime runs the files whatever the label says; on a {declared} host, which the label promises, the same files fail with exec format error.",
            target.platform
        ));
    } else {
        why.push_str(&format!(
            " {} takes it as {declared} and the kernel then refuses the {arch} files. Relabelling would not help: the files must be built for {}.",
            target.title, target.platform
        ));
    }
    findings.push(
        Finding::warning(
            Code::MislabeledPlatform,
            format!(
                "the image is labelled {declared} but its binaries are {arch} ({path}){}",
                if runs {
                    format!(
                        "; it runs on {} only because the runtime ignores the label",
                        target.platform
                    )
                } else {
                    "; they were not built for the platform the build was asked for".to_string()
                }
            ),
        )
        .at(path.clone(), idx.layer_of(&path))
        .fix(fix::per_targetarch(ask, &arch))
        .because(why),
    );
}
