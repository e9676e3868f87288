//! `audit --format markdown`: the summary as a ticket reads it (tables of counts, causes,
//! packages, and each failing image with its fix).

use crate::audit::Summary;

/// Text safe in a markdown table cell: no HTML, no cell breaks, one line.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

pub fn audit_markdown(summary: &Summary) -> String {
    let mut out = String::from("# archlens audit\n\n");
    out += &format!("{}.\n\n", super::scope(summary));
    out += "## Verdicts\n\n| target | platform | pass | warn | fail | error |\n|---|---|--:|--:|--:|--:|\n";
    for t in &summary.targets {
        out += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&t.target),
            cell(&t.platform),
            t.pass,
            t.warn,
            t.fail,
            t.error
        );
    }
    for t in summary.targets.iter().filter(|t| !t.causes.is_empty()) {
        out += &format!(
            "\n## Causes on {} ({})\n\n| cause | verdict | images |\n|---|---|--:|\n",
            cell(&t.target),
            cell(&t.platform)
        );
        for c in &t.causes {
            out += &format!(
                "| {} | {} | {} |\n",
                cell(&c.label),
                c.verdict.word(),
                c.images
            );
        }
    }
    if !summary.packages.is_empty() {
        out += "\n## Packages to fix\n\n| package | images | targets |\n|---|--:|---|\n";
        for p in summary.packages.iter().take(20) {
            out += &format!(
                "| {} | {} | {} |\n",
                cell(&p.package),
                p.images,
                cell(&p.targets.join(", "))
            );
        }
    }
    // The same rows as the HTML page: every image that does not pass, warnings included,
    // with the line its runtime would print.
    if !summary.failing.is_empty() {
        out += "\n## Images that do not pass\n\n| image | target | verdict | cause | file | runtime error | fix |\n|---|---|---|---|---|---|---|\n";
        for f in &summary.failing {
            out += &format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&f.reference),
                cell(&f.target),
                f.verdict.word(),
                cell(&f.cause),
                cell(f.path.as_deref().unwrap_or("")),
                cell(f.predicted_error.as_deref().unwrap_or("")),
                cell(f.fix.as_deref().unwrap_or(""))
            );
        }
    }
    if !summary.unread.is_empty() {
        out += "\n## Left unread (--max-bytes)\n\n";
        for r in &summary.unread {
            out += &format!("- {}\n", cell(r));
        }
    }
    out
}
