//! `archlens diff` output: aligned text for people and the `archlens.diff/v1` JSON document,
//! both rendered from one [`Diff`].

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diff::{Diff, NativeDiff, Status};
use crate::text::{human_size, sanitize};

use super::Colors;

/// The JSON document: the diff as computed, under a schema name.
pub fn diff_json(d: &Diff) -> Value {
    json!({
        "schema": "archlens.diff/v1",
        "a": d.a,
        "b": d.b,
        "shared_layers": d.shared_layers,
        "summary": {
            "identical": d.count(Status::Identical),
            "different": d.count(Status::Different),
            "not_compared": d.count(Status::Unhashed),
            "only_a": d.count(Status::OnlyA),
            "only_b": d.count(Status::OnlyB),
        },
        "natives": d.natives,
        "config": d.config,
        "findings": d.findings,
    })
}

fn arch_of(n: &NativeDiff, a: bool) -> String {
    let side = if a { &n.a } else { &n.b };
    match side {
        None => "-".into(),
        Some(x) => x.arch.as_ref().map_or("any".into(), |a| a.to_string()),
    }
}

/// The text report: both sides, findings first, then native files and config by difference.
pub fn diff_text(d: &Diff, c: &Colors) -> String {
    let mut out = String::new();
    for (tag, s) in [("A", &d.a), ("B", &d.b)] {
        let _ = writeln!(
            out,
            "{}  {}  {}  {}",
            c.bold(tag),
            sanitize(&s.label),
            s.digest.short(),
            s.platform
        );
    }
    let _ = writeln!(out, "\n{}", c.bold("LAYERS"));
    let _ = writeln!(
        out,
        "     {:>6}  {:>10}  {:>10}  {:>7}  {:>6}  {:>10}",
        "LAYERS", "SIZE", "UNPACKED", "FILES", "NATIVE", "WASTED"
    );
    for (tag, s) in [("A", &d.a), ("B", &d.b)] {
        let _ = writeln!(
            out,
            "  {tag}  {:>6}  {:>10}  {:>10}  {:>7}  {:>6}  {:>10}",
            s.layers,
            human_size(s.size),
            human_size(s.uncompressed_size),
            s.files,
            s.natives,
            human_size(s.wasted_bytes)
        );
    }
    let _ = writeln!(out, "  {} layers in both", d.shared_layers);
    if !d.findings.is_empty() {
        let _ = writeln!(out, "\n{}", c.bold("FINDINGS"));
        for f in &d.findings {
            let _ = writeln!(out, "  {} {}", c.red(f.code), sanitize(&f.message));
        }
    }
    let _ = writeln!(
        out,
        "\n{}  {} same bytes, {} different, {} only in A, {} only in B{}",
        c.bold("NATIVE FILES"),
        d.count(Status::Identical),
        d.count(Status::Different),
        d.count(Status::OnlyA),
        d.count(Status::OnlyB),
        match d.count(Status::Unhashed) {
            0 => String::new(),
            n => format!(", {n} inside archives not compared"),
        }
    );
    if !d.natives.is_empty() {
        let _ = writeln!(
            out,
            "  {:<12}  {:<10}  {:<10}  PATH",
            "STATUS", "A ARCH", "B ARCH"
        );
    }
    for n in &d.natives {
        let words = n.status.words();
        let status = match n.status {
            Status::Identical => c.green(&format!("{words:<12}")),
            Status::Different => c.yellow(&format!("{words:<12}")),
            _ => format!("{words:<12}"),
        };
        let _ = writeln!(
            out,
            "  {status}  {:<10}  {:<10}  {}",
            arch_of(n, true),
            arch_of(n, false),
            sanitize(&n.path)
        );
    }
    let _ = writeln!(out, "\n{}", c.bold("CONFIG"));
    if d.config.is_empty() {
        let _ = writeln!(out, "  entrypoint, cmd, env, user and workdir are the same");
    }
    let width = d
        .config
        .iter()
        .map(|f| f.field.chars().count())
        .max()
        .unwrap_or(0);
    for f in &d.config {
        let show = |v: &Option<String>| v.as_deref().map_or("(unset)".into(), sanitize);
        let field = sanitize(&f.field);
        let _ = writeln!(out, "  {field:<width$}  A {}", show(&f.a));
        let _ = writeln!(out, "  {:<width$}  B {}", "", show(&f.b));
    }
    out
}
