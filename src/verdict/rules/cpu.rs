//! Whether the binary that finally starts is code the target's CPU executes: its ELF machine
//! and variant, or a macOS / Windows binary that Linux never runs.

use crate::detect::{Details, Kind};
use crate::oci::Arch;
use crate::verdict::target::amd64_level;
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
    // Same CPU family, newer variant (arm/v7 code on an arm/v6 CPU): the kernel loads it,
    // and the first unknown instruction kills it.
    let sigill = arch.name == target.platform.arch.name;
    let goarm = target
        .platform
        .arch
        .variant
        .as_deref()
        .and_then(|v| v.strip_prefix('v'))
        .filter(|_| sigill && arch.name == "arm");
    let go_hint = match (&step.art.details, goarm) {
        (Details::Go { .. }, Some(n)) => format!(" (a Go binary: build with GOARM={n})"),
        (Details::Go { .. }, None) => format!(
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
    let fix = if let (Some(n), Details::Go { .. }) = (goarm, &step.art.details) {
        format!("build it with GOOS=linux GOARCH=arm GOARM={n} CGO_ENABLED=0")
    } else if mislabeled {
        fix::per_targetarch(ask, arch)
    } else {
        fix::build_for(ask)
    };
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
            "{real} is built for {arch}, a newer revision of the {} CPU than {} guarantees. The kernel loads it, and the first instruction the CPU lacks kills it with SIGILL: the container exits with code 132.",
            arch.name, target.platform
        )
    } else {
        format!(
            "{real} is {arch} machine code (its ELF header says so), and {} {} {}. The kernel reads that header first and refuses code for another CPU with exec format error.",
            target.title,
            target.runs_word(),
            target.platform
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
    match goarm {
        Some(n) if !go_hint.is_empty() => why.push_str(&format!(
            " Go picks the ARM revision from GOARM; GOARM={n} builds code this CPU runs."
        )),
        _ if !go_hint.is_empty() => {
            why.push_str(" Go cross-compiles without extra tools: set GOARCH in the build stage.")
        }
        _ => {}
    }
    Some(
        Finding::error(
            Code::EntrypointArchMismatch,
            format!(
                "{} is built for {arch}; {} {} {}{go_hint}{alt}",
                step.subject,
                target.title,
                target.runs_word(),
                target.platform
            ),
        )
        .at(real, step.layer.clone())
        .fix(fix)
        .predicts(predicted)
        .because(why),
    )
}

/// 32-bit arm code on an arm64 target some of whose hosts have no AArch32: it runs on the
/// others, and on those the kernel refuses it.
pub(super) fn aarch32_missing(ask: &Ask, step: &Step, arch: &Arch) -> Option<Finding> {
    let target = ask.target;
    let gap = target.aarch32_missing.as_ref()?;
    if arch.name != "arm" || target.platform.arch.name != "arm64" {
        return None;
    }
    let line = exec_error(target, step.shown, "exec format error");
    Some(
        Finding::warning(
            Code::Aarch32Unsupported,
            format!(
                "{} is 32-bit {arch} code: it runs on older {} hosts and fails on {} (no AArch32) with `{line}`",
                step.subject, target.name, gap.on
            ),
        )
        .at(step.real, step.layer.clone())
        .fix(fix::build_for(ask))
        .predicts(line)
        .because(format!(
            "{} is 32-bit ARM ({arch}) machine code, which an arm64 CPU runs only in its AArch32 state. {} have none: there the kernel's execve refuses every 32-bit program with ENOEXEC, printed as exec format error, while hosts with AArch32 start it. Which one a task lands on is not up to the image. {}",
            step.real, gap.on, gap.source
        )),
    )
}

/// What says an amd64 binary needs more than the baseline CPU.
enum Need {
    /// `GOAMD64` in the Go build info: the runtime checks the CPU before `main`.
    Go,
    /// `GNU_PROPERTY_X86_ISA_1_NEEDED`: glibc's dynamic loader checks it.
    ElfNote,
}

/// The amd64 level (2..4) an artefact says it needs, and who says so.
fn amd64_need(art: &crate::detect::Artifact) -> Option<(u8, Need)> {
    if art.arch.as_ref().is_none_or(|a| a.name != "amd64") {
        return None;
    }
    let note = |elf: Option<&crate::detect::ElfInfo>| {
        elf.and_then(|e| e.x86_level_needed)
            .filter(|&l| l > 1)
            .map(|l| (l, Need::ElfNote))
    };
    match &art.details {
        Details::Go { go, elf } => go
            .goarch_level
            .as_deref()
            .and_then(amd64_level)
            .filter(|&l| l > 1)
            .map(|l| (l, Need::Go))
            .or_else(|| note(elf.as_ref())),
        Details::Elf(e) => note(Some(e)),
        _ => None,
    }
}

/// An amd64 entrypoint built for a level above the target's: above its known level an
/// error, above v1 where the provider does not document its CPUs a warning.
pub(super) fn level_too_high(ask: &Ask, step: &Step) -> Option<Finding> {
    let target = ask.target;
    if target.platform.arch.name != "amd64" {
        return None;
    }
    let (need, by) = amd64_need(step.art)?;
    let known = target.cpu_level.amd64();
    if known.is_some_and(|have| need <= have) {
        return None;
    }
    let (real, shown) = (step.real, step.shown);
    let level = format!("x86-64-v{need}");
    let (line, recorded, fix) = match by {
        Need::Go => (
            format!(
                "This program can only be run on AMD64 processors with v{need} microarchitecture support."
            ),
            format!("its Go build info records GOAMD64=v{need}"),
            "rebuild it with GOAMD64=v1 (Go's default: unset GOAMD64 in the build stage)".to_string(),
        ),
        Need::ElfNote => (
            loader_line(step, shown),
            format!("its GNU property note (GNU_PROPERTY_X86_ISA_1_NEEDED) says it needs {level}"),
            "rebuild it for the baseline: `-march=x86-64` for gcc/clang (and drop `-Wl,-z,x86-64-v*` / `-mneeded`), `-C target-cpu=x86-64` for Rust".to_string(),
        ),
    };
    let how = match by {
        Need::Go => format!(
            "Go's runtime checks the CPU before main runs and, on a CPU without {level}, prints \"{line}\": the container exits with code 1."
        ),
        Need::ElfNote if line.contains("ISA level") => format!(
            "glibc's dynamic loader reads that note and, on a CPU without {level}, refuses to start it with \"{line}\": the container exits with code 127."
        ),
        Need::ElfNote => format!(
            "No loader checks the note for a {} binary, so it starts and the first {level} instruction (AVX2, BMI2, FMA for v3) kills it with SIGILL: the container exits with code 132.",
            if step.art.libc == Some(crate::detect::Libc::Musl) {
                "musl"
            } else {
                "static"
            }
        ),
    };
    let (finding, because) = match known {
        Some(have) => (
            Finding::error(
                Code::CpuLevelUnsupported,
                format!(
                    "{} needs an {level} CPU; {} guarantees only x86-64-v{have}",
                    step.subject, target.platform
                ),
            ),
            format!(
                "{real} is built for {level}: {recorded}. A host of {} has at least v{have}: {}. Code of a level runs only on hosts of that level or newer. {how}",
                target.name, target.cpu_source
            ),
        ),
        None => (
            Finding::warning(
                Code::CpuLevelUnsupported,
                format!(
                    "{} needs an {level} CPU, and the x86 CPUs of {} are not documented",
                    step.subject, target.name
                ),
            ),
            format!(
                "{real} is built for {level}: {recorded}. It may start on one host of {} and stop on another: {} {how}",
                target.title, target.cpu_source
            ),
        ),
    };
    let predicted = if line.is_empty() {
        "the container exits with code 132: SIGILL (Illegal instruction)".to_string()
    } else {
        line
    };
    Some(
        finding
            .at(real, step.layer.clone())
            .fix(fix)
            .predicts(predicted)
            .because(because),
    )
}

/// What glibc's loader prints for a program whose ISA note the CPU does not meet (it names
/// the program as started); empty when no loader will check (static, musl).
fn loader_line(step: &Step, shown: &str) -> String {
    let dynamic_glibc =
        step.art.libc == Some(crate::detect::Libc::Glibc) && step.art.interpreter.is_some();
    if dynamic_glibc {
        format!("{shown}: CPU ISA level is lower than required")
    } else {
        String::new()
    }
}
