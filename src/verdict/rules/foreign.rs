//! Binaries the target cannot run outside the entrypoint chain and modules, summarised per
//! architecture, since a wrong-arch image holds hundreds of them.

use std::collections::BTreeMap;

use crate::detect::{Artifact, Kind};
use crate::verdict::{Code, Finding, Target};

use super::{Index, built_on, describe_arch, exec_error};

pub(super) fn check(
    target: &Target,
    idx: &Index,
    entry: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let mut per_arch: BTreeMap<String, Vec<(usize, &Artifact)>> = BTreeMap::new();
    for (layer, a) in &idx.image.fs.artifacts {
        if a.container.is_some() || Some(a.path.as_str()) == entry {
            continue;
        }
        let foreign = match a.kind {
            Kind::Elf | Kind::GoBinary => a.arch.as_ref().is_some_and(|arch| !target.runs(arch)),
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
        let listed = format!(
            "{}{}",
            examples.join(", "),
            if list.len() > 3 { ", ..." } else { "" }
        );
        let from = match first.kind {
            Kind::MachO => "a Mac",
            Kind::Pe => "a Windows PC",
            _ => first
                .arch
                .as_ref()
                .map_or("another machine", |a| built_on(&a.name)),
        };
        findings.push(
            Finding::warning(
                Code::ForeignBinary,
                format!(
                    "{} binar{} built for {arch}, which {} cannot run: {listed}",
                    list.len(),
                    if list.len() == 1 { "y is" } else { "ies are" },
                    target.platform,
                ),
            )
            .at(first.path.clone(), idx.layer(layer))
            .predicts(exec_error(target, &first.path, "exec format error"))
            .because(format!(
                "These files are {arch} code, which {} cannot execute ({listed}). The image does not start them, so the start can succeed; whatever runs one later (a script, a subprocess, a health check) fails with exec format error. They were built on or downloaded for {from}, by a build step that was not run for {}.",
                target.platform, target.platform
            )),
        );
    }
}
