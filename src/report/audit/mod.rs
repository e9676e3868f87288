//! Output of `audit` and `audit merge`: jsonl records, the JSON report, markdown for a
//! ticket, one self-contained HTML page, and the few lines printed on stderr after a run.

mod html;
mod markdown;

use serde_json::{Value, json};

use crate::audit::{Record, Summary};

pub use html::audit_html;
pub use markdown::audit_markdown;

/// `--format json`: the summary and every record (`archlens.audit-report/v1`).
pub fn audit_json(records: &[Record], summary: &Summary) -> Value {
    json!({
        "schema": "archlens.audit-report/v1",
        "summary": summary,
        "records": records,
    })
}

/// `--format jsonl`: one record per line, in report order.
pub fn audit_jsonl(records: &[Record]) -> String {
    records.iter().map(Record::line).collect()
}

/// The end of a run on stderr: per target the verdict counts and the first causes.
pub fn audit_stderr(summary: &Summary) -> String {
    let mut out = format!(
        "audited {} images in {} repositories\n",
        summary.images, summary.repositories
    );
    for t in &summary.targets {
        out += &format!(
            "  {} ({}): {} pass, {} warn, {} fail, {} error\n",
            t.target, t.platform, t.pass, t.warn, t.fail, t.error
        );
        for c in t.causes.iter().take(3) {
            out += &format!("      {} {}: {}\n", c.images, c.verdict.word(), c.label);
        }
    }
    if let Some(p) = summary.packages.first() {
        out += &format!(
            "  package to fix first: {} ({} images)\n",
            p.package, p.images
        );
    }
    if !summary.unread.is_empty() {
        out += &format!(
            "  {} images left unread by --max-bytes\n",
            summary.unread.len()
        );
    }
    out.lines()
        .map(|l| crate::text::sanitize(l) + "\n")
        .collect()
}
