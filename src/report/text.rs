//! Text output for people: a summary table first, then the reasons and fixes.
//! Every string that came from an image passes through [`sanitize`].

use std::fmt::Write as _;

use super::{Colors, Inspection};
use crate::analyze::Root;
use crate::detect::Kind;
use crate::oci::manifest::EntryKind;
use crate::text::{human_size, sanitize};
use crate::verdict::{Assessment, Severity, Target, TargetResult, Verdict};

fn verdict_word(c: &Colors, v: Verdict) -> String {
    match v {
        Verdict::Pass => c.green("PASS"),
        Verdict::Warn => c.yellow("WARN"),
        Verdict::Fail => c.red("FAIL"),
    }
}

/// `ERROR` for a result whose image could not be read, else its verdict.
fn result_word(c: &Colors, r: &TargetResult) -> String {
    match crate::check::unreadable_cause(r) {
        Some(_) => c.red("ERROR"),
        None => verdict_word(c, r.verdict),
    }
}

fn root_line(root: &Root) -> String {
    if root.is_index {
        let plats: Vec<String> = root
            .images()
            .map(|e| {
                e.platform
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "?".into())
            })
            .collect();
        // Every non-image entry by kind, so a SOCI index is named as attestations are.
        let extras: String = root
            .artifacts()
            .into_iter()
            .map(|k| {
                let n = root
                    .entries
                    .iter()
                    .filter(|e| e.artifact == Some(k))
                    .count();
                format!(" + {}", k.counted(n, false))
            })
            .collect();
        format!(
            "index of {} image{} ({}){extras}",
            plats.len(),
            if plats.len() == 1 { "" } else { "s" },
            plats.join(", "),
        )
    } else {
        "single image (runtimes run it whatever its label says)".into()
    }
}

/// `check` for people.
pub fn check_text(reference: &str, root: &Root, assessments: &[Assessment], c: &Colors) -> String {
    let results: Vec<&TargetResult> = assessments
        .iter()
        .filter_map(|a| a.result.as_ref())
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        c.bold(&sanitize(reference)),
        c.dim(&root.digest.to_string())
    );
    let _ = writeln!(out, "{}\n", root_line(root));
    let w = results
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(out, "{:<w$}  {:<14} VERDICT", "TARGET", "PLATFORM");
    for r in &results {
        let why = crate::check::unreadable_cause(r)
            .map(str::to_string)
            .or_else(|| r.predicted_error.clone())
            .or_else(|| {
                r.findings
                    .iter()
                    .find(|f| f.severity >= Severity::Warning)
                    .map(|f| f.message.clone())
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<w$}  {:<14} {}  {}",
            sanitize(&r.target),
            r.platform.to_string(),
            result_word(c, r),
            sanitize(&why)
        );
    }
    for a in assessments {
        let Some(r) = a.result.as_ref().filter(|r| r.verdict != Verdict::Pass) else {
            continue;
        };
        let _ = writeln!(
            out,
            "\n{} {}{}",
            result_word(c, r),
            c.bold(&sanitize(&r.target)),
            // A raw target is its platform: "FAIL linux/arm/v7", not "... on linux/arm/v7".
            if r.target == r.platform.to_string() {
                String::new()
            } else {
                format!(" on {}", r.platform)
            }
        );
        let _ = writeln!(out, "  {}", sanitize(&a.decision_text()));
        if let Some(e) = &r.predicted_error {
            let _ = writeln!(out, "  the runtime will print: {}", c.red(&sanitize(e)));
        }
        for f in r.findings.iter().filter(|f| f.severity > Severity::Info) {
            let mark = match f.severity {
                Severity::Error => c.red("error"),
                Severity::Warning => c.yellow("warning"),
                Severity::Info => "info".into(),
            };
            let _ = writeln!(
                out,
                "  {mark} [{}] {}",
                f.code.as_str(),
                sanitize(&f.message)
            );
            if let Some(p) = &f.path {
                let _ = writeln!(
                    out,
                    "    path:  {}{}",
                    sanitize(p),
                    f.layer
                        .as_ref()
                        .map(|l| format!("  (layer {})", l.short()))
                        .unwrap_or_default()
                );
            }
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "    fix:   {}", sanitize(fix));
            }
        }
    }
    out
}

/// `inspect` for people.
pub fn inspect_text(ins: &Inspection, c: &Colors) -> String {
    let mut out = String::new();
    let root = ins.root;
    let _ = writeln!(
        out,
        "{}  {}",
        c.bold(&sanitize(ins.reference)),
        c.dim(&root.digest.to_string())
    );
    let _ = writeln!(out, "{}  {}", root_line(root), c.dim(&root.media_type));
    if root.is_index {
        let _ = writeln!(out, "\nMANIFESTS");
        for e in &root.entries {
            let what = match e.kind {
                EntryKind::Image => String::new(),
                EntryKind::Attestation => format!(
                    "attestation of {}",
                    // The subject is an annotation, any text at all: cut by characters.
                    sanitize(
                        &e.subject
                            .as_deref()
                            .map(|s| s.chars().take(19).collect::<String>())
                            .unwrap_or_else(|| "?".into())
                    )
                ),
                EntryKind::Other => {
                    let noun = e.artifact.map_or("other artifact", |a| a.noun());
                    match &e.subject {
                        Some(s) => format!(
                            "{noun} of {}",
                            sanitize(&s.chars().take(19).collect::<String>())
                        ),
                        None => noun.to_string(),
                    }
                }
            };
            let _ = writeln!(
                out,
                "  {:<16} {}  {}",
                e.platform
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into()),
                e.digest.short(),
                what
            );
        }
    }
    for (entry, img) in &ins.images {
        let _ = writeln!(
            out,
            "\n{} {}  {}",
            c.bold("IMAGE"),
            entry.digest.short(),
            entry
                .platform
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        );
        let img = match img {
            Ok(i) => i,
            Err(e) => {
                let _ = writeln!(out, "  {} {}", c.red("error:"), sanitize(e));
                continue;
            }
        };
        let cfg = &img.config;
        let _ = writeln!(out, "  config platform  {}", cfg.platform);
        let _ = writeln!(
            out,
            "  entrypoint       {}",
            sanitize(&format!("{:?}", cfg.entrypoint.clone().unwrap_or_default()))
        );
        let _ = writeln!(
            out,
            "  cmd              {}",
            sanitize(&format!("{:?}", cfg.cmd.clone().unwrap_or_default()))
        );
        if let Some(w) = &cfg.workdir {
            let _ = writeln!(out, "  workdir          {}", sanitize(w));
        }
        let _ = writeln!(out, "  LAYERS");
        for (i, l) in img.layers.iter().enumerate() {
            let natives = img.fs.artifacts.iter().filter(|(li, _)| *li == i).count();
            let _ = writeln!(
                out,
                "  {:>2}  {}  {:>9}  {:>6} files  {:>4} native  {}",
                i + 1,
                l.digest.short(),
                human_size(l.size),
                l.scan.entries.len(),
                natives,
                sanitize(&{
                    let by = l.created_by.as_deref().unwrap_or_default();
                    if c.terminal {
                        by.chars().take(60).collect::<String>()
                    } else {
                        by.to_string()
                    }
                })
            );
            let wasted = img.fs.wasted_bytes(i);
            if wasted > 0 {
                let _ = writeln!(
                    out,
                    "      {} wasted: overwritten or deleted by later layers",
                    human_size(wasted)
                );
            }
            for w in &l.scan.warnings {
                let _ = writeln!(out, "      {} {}", c.yellow("warning:"), sanitize(w));
            }
        }
        let wasted = img.fs.wasted_total();
        if wasted > 0 {
            let _ = writeln!(
                out,
                "  wasted space     {} in files later layers overwrite or delete",
                human_size(wasted)
            );
        }
        let _ = writeln!(out, "  ARTIFACTS");
        let _ = writeln!(out, "  {:<10} {:<25} {:<6} PATH", "ARCH", "KIND", "LIBC");
        for (_, a) in &img.fs.artifacts {
            if a.kind == Kind::Script {
                continue;
            }
            let kind = a.what();
            let libc = a
                .libc
                .and_then(|l| serde_json::to_value(l).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "  {:<10} {:<25} {:<6} {}",
                a.arch
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| "-".into()),
                kind,
                libc,
                sanitize(&a.path)
            );
        }
    }
    out
}

/// `targets` for people.
pub fn targets_text(targets: &[Target], c: &Colors) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:<7} DESCRIPTION",
        "TARGET", "PLATFORM", "INDEX"
    );
    for t in targets {
        let _ = writeln!(
            out,
            "{} {:<12} {:<7} {}",
            c.bold(&format!("{:<14}", t.name)),
            t.platform.to_string(),
            if t.accepts_index { "yes" } else { "no" },
            t.title
        );
        let _ = writeln!(
            out,
            "{:<14} {}",
            "",
            c.dim(&format!("source: {}", t.source))
        );
        let level = String::from(t.cpu_level.clone());
        let _ = writeln!(
            out,
            "{:<14} {}",
            "",
            c.dim(&format!("cpu level {level}: {}", t.cpu_source))
        );
        if let Some(gap) = &t.aarch32_missing {
            let _ = writeln!(
                out,
                "{:<14} {}",
                "",
                c.dim(&format!(
                    "no 32-bit arm (AArch32) on {}: {}",
                    gap.on, gap.source
                ))
            );
        }
    }
    let _ = writeln!(
        out,
        "\nAny OS/ARCH[/VARIANT] is a target too, e.g. --target linux/arm/v7 or --target linux/s390x."
    );
    out
}
