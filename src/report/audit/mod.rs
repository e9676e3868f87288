//! Output of `audit` and `audit merge`: jsonl records, the JSON report, markdown for a
//! ticket, one self-contained HTML page, and the few lines printed on stderr after a run.

mod html;
mod markdown;

use serde_json::{Value, json};

use crate::audit::{Record, Summary};

pub use html::audit_html;
pub use markdown::audit_markdown;

/// `1 image`, `3 images`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report's first line: how many images in how many repositories.
fn scope(summary: &Summary) -> String {
    format!(
        "{} in {}",
        count(summary.images, "image", "images"),
        count(summary.repositories, "repository", "repositories")
    )
}

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
    let mut out = format!("audited {}\n", scope(summary));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::{FindingRecord, Status, TargetRecord, Verdict};
    use crate::verdict::{Code, Severity};

    #[test]
    fn hostile_tags_and_paths_are_escaped_in_every_report() {
        let evil = "v1\"><script>alert(1)</script>|`x`";
        let mut r = Record::new(
            "team/app",
            &[evil.to_string()],
            &format!("host/team/app:{evil}"),
            "sha256:aa",
            &["graviton".to_string()],
        );
        r.status = Status::Assessed;
        r.results = vec![TargetRecord {
            target: "graviton".into(),
            platform: "linux/arm64".into(),
            verdict: Verdict::Fail,
            image: None,
            predicted_error: Some("Error: <b>".into()),
            error: None,
            findings: vec![FindingRecord {
                severity: Severity::Error,
                code: Code::NativeModuleArchMismatch,
                path: Some("/app/node_modules/<img src=x>/a.node".into()),
                layer: None,
                message: "m".into(),
                fix: Some("npm rebuild --arch=arm64 && echo '<ok>'".into()),
            }],
        }];
        let s = Summary::of(&[r]);
        assert_eq!(
            (s.targets[0].fail, s.packages[0].package.as_str()),
            (1, "npm <img src=x>")
        );
        let html = audit_html(&s);
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("npm rebuild --arch=arm64 &amp;&amp; echo &#39;&lt;ok&gt;&#39;"));
        let md = audit_markdown(&s);
        assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
        assert!(
            md.contains("\\|\\`x\\`"),
            "a tag cannot break the table: {md}"
        );
        assert!(
            md.contains("| graviton | linux/arm64 | 0 | 0 | 1 | 0 |"),
            "{md}"
        );
        // The ticket names the line the runtime prints, as the page does.
        assert!(md.contains("| Error: &lt;b&gt; |"), "{md}");
    }
}
