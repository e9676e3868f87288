//! Whether the binary that finally starts is code the target's CPU executes: its ELF machine
//! and variant, or a macOS / Windows binary that Linux never runs.

use crate::detect::{Details, Kind};
use crate::oci::Arch;
use crate::verdict::{Code, Finding, Runtime};

use super::entrypoint::Step;
use super::{Ask, Index, built_on, exec_error, fix};

/// A Mach-O or PE entrypoint: no Linux kernel runs it, whatever the CPU.
pub(super) fn foreign_os(ask: &Ask, step: &Step) -> Finding {
    let (os, machine) = if step.art.kind == Kind::MachO {
        ("macOS (Mach-O)", "a Mac")
    } else {
        ("Windows (PE)", "a Windows PC")
    };
    Finding::error(
        Code::EntrypointArchMismatch,
        format!("{} is a {os} binary: Linux cannot execute it", step.subject),
    )
    .at(step.real, step.layer.clone())
    .fix(format!(
        "build it for Linux inside the image build: {}",
        fix::multiarch_fix(ask.target, ask.platforms, ask.reference)
    ))
    .predicts(exec_error(ask.target, step.shown, "exec format error"))
    .because(format!(
        "{} is a {os} binary. Linux executes only ELF files, so the kernel refuses it with exec format error whatever the CPU. It was built on {machine} and copied into the image instead of being compiled for Linux in the image build.",
        step.real
    ))
}

/// An ELF binary for a CPU the target does not run. When the image's label does name a
/// platform the target runs, the build was asked for the right one and the files ignored it.
pub(super) fn arch_mismatch(ask: &Ask, idx: &Index, step: &Step, arch: &Arch) -> Option<Finding> {
    let target = ask.target;
    if target.runs(arch) {
        return None;
    }
    let go_hint = match &step.art.details {
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
        (Runtime::Lambda, "arm64") => ". Or deploy it as an arm64 function (Architectures = arm64)",
        (Runtime::Lambda, "amd64") => {
            ". Or deploy it as an x86_64 function (Architectures = x86_64)"
        }
        _ => "",
    };
    let mislabeled = target.runs(&idx.declared.arch);
    let fix = if mislabeled {
        fix::per_targetarch(ask, arch)
    } else {
        fix::build_for(ask)
    };
    // Same CPU family, newer variant (arm/v7 code on an arm/v6 CPU): the kernel loads it,
    // and the first unknown instruction kills it.
    let sigill = arch.name == target.platform.arch.name;
    let predicted = if sigill {
        "the container exits with code 132: SIGILL (Illegal instruction)".to_string()
    } else {
        exec_error(target, step.shown, "exec format error")
    };
    let real = step.real;
    // The runtime's error names the entrypoint: say how it leads to the file that fails.
    let mut why = if step.shown != real {
        format!(
            "The runtime starts {}, which leads to {real} (through a #! line or a link). ",
            step.shown
        )
    } else {
        String::new()
    };
    why.push_str(&if sigill {
        format!(
            "{real} is built for {arch}, a newer revision of the {} CPU than {} guarantees. The kernel loads it, and the first instruction the CPU lacks kills it with SIGILL (exit code 132).",
            arch.name, target.platform
        )
    } else {
        format!(
            "{real} is {arch} machine code (its ELF header says so), and {} runs {}. The kernel reads that header first and refuses code for another CPU with exec format error.",
            target.title, target.platform
        )
    });
    if mislabeled {
        why.push_str(&format!(
            " The image is labelled {}, so the build was asked for the right platform, but this file was not built for it: a prebuilt {arch} binary was copied in (a release download, a CI artefact), or a `FROM --platform=$BUILDPLATFORM` stage compiled for the build machine instead of $TARGETARCH. The label cannot change what the kernel sees.",
            idx.declared
        ));
    } else {
        why.push_str(&format!(
            " Builds follow the CPU of the machine that runs them unless told otherwise (`docker build` without --platform), so {arch} files come from a build on {}, or from a binary downloaded for {arch}.",
            built_on(&arch.name)
        ));
    }
    if !go_hint.is_empty() {
        why.push_str(" Go cross-compiles without extra tools: set GOARCH in the build stage.");
    }
    Some(
        Finding::error(
            Code::EntrypointArchMismatch,
            format!(
                "{} is built for {arch}; {} runs {}{go_hint}{alt}",
                step.subject, target.title, target.platform
            ),
        )
        .at(real, step.layer.clone())
        .fix(fix)
        .predicts(predicted)
        .because(why),
    )
}
