//! `audit --format html`: one page with nothing to fetch (inline CSS and SVG, a few lines of
//! plain JavaScript to sort the table). Every string from a registry or image is escaped.

use crate::audit::{Summary, Verdict};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3;cursor:pointer}td.n{text-align:right}code{font-size:12px;word-break:break-all}\
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e}.error{color:#6e7781}svg{display:block;margin:.3em 0}";

/// Sorts a table by the clicked column, numbers as numbers; click again to reverse.
const SORT: &str = "document.querySelectorAll('th').forEach((h,i)=>h.onclick=()=>{\
const b=h.closest('table').tBodies[0],d=h.dataset.d=-(h.dataset.d||-1);\
[...b.rows].sort((x,y)=>d*x.cells[i].textContent.localeCompare(y.cells[i].textContent,undefined,{numeric:true})).forEach(r=>b.append(r))});";

fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "#2da44e",
        Verdict::Warn => "#d4a72c",
        Verdict::Fail => "#cf222e",
        Verdict::Error => "#8c959f",
    }
}

/// A stacked bar of the verdict counts of one target.
fn verdict_bar(counts: &[(Verdict, usize)]) -> String {
    let total: usize = counts.iter().map(|c| c.1).sum();
    let mut x = 0.0;
    let mut out =
        String::from("<svg width=\"400\" height=\"18\" role=\"img\" viewBox=\"0 0 400 18\">");
    for (v, n) in counts {
        if *n == 0 || total == 0 {
            continue;
        }
        let w = 400.0 * *n as f64 / total as f64;
        out += &format!(
            "<rect x=\"{x:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\"><title>{} {}</title></rect>",
            colour(*v),
            n,
            v.word()
        );
        x += w;
    }
    out + "</svg>"
}

/// One horizontal bar per cause, scaled to the largest.
fn cause_bars(rows: &[(String, Verdict, usize)]) -> String {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
    let h = 20 * rows.len();
    let mut out = format!("<svg width=\"640\" height=\"{h}\" viewBox=\"0 0 640 {h}\">");
    for (i, (label, v, n)) in rows.iter().enumerate() {
        let y = i * 20;
        let w = 240.0 * *n as f64 / max as f64;
        out += &format!(
            "<rect x=\"0\" y=\"{}\" width=\"{w:.1}\" height=\"14\" fill=\"{}\"></rect><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{} · {}</text>",
            y + 2,
            colour(*v),
            w + 6.0,
            y + 13,
            n,
            esc(label)
        );
    }
    out + "</svg>"
}

pub fn audit_html(summary: &Summary) -> String {
    let mut b = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>archlens audit</title>",
    );
    b += &format!("<style>{STYLE}</style></head><body>\n<h1>archlens audit</h1>\n");
    b += &format!("<p>{}.</p>\n", super::scope(summary));
    b += "<h2>Verdicts</h2>\n<table><thead><tr><th>target</th><th>platform</th><th>pass</th><th>warn</th><th>fail</th><th>error</th><th>share</th></tr></thead><tbody>\n";
    for t in &summary.targets {
        let counts: Vec<(Verdict, usize)> =
            Verdict::ALL.iter().map(|v| (*v, t.count(*v))).collect();
        b += &format!(
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
            esc(&t.target),
            esc(&t.platform),
            t.pass,
            t.warn,
            t.fail,
            t.error,
            verdict_bar(&counts)
        );
    }
    b += "</tbody></table>\n";
    for t in summary.targets.iter().filter(|t| !t.causes.is_empty()) {
        b += &format!(
            "<h3>Causes on {} ({})</h3>\n",
            esc(&t.target),
            esc(&t.platform)
        );
        let rows: Vec<(String, Verdict, usize)> = t
            .causes
            .iter()
            .map(|c| {
                (
                    format!("{} ({})", c.label, c.verdict.word()),
                    c.verdict,
                    c.images,
                )
            })
            .collect();
        b += &cause_bars(&rows);
        b += "\n";
    }
    if !summary.packages.is_empty() {
        b += "<h2>Packages to fix</h2>\n<table><thead><tr><th>package</th><th>images</th><th>targets</th></tr></thead><tbody>\n";
        for p in &summary.packages {
            b += &format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                esc(&p.package),
                p.images,
                esc(&p.targets.join(", "))
            );
        }
        b += "</tbody></table>\n";
    }
    if !summary.failing.is_empty() {
        b += "<h2>Images that do not pass</h2>\n<p>Click a heading to sort.</p>\n<table><thead><tr><th>image</th><th>target</th><th>verdict</th><th>cause</th><th>file</th><th>runtime error</th><th>fix</th></tr></thead><tbody>\n";
        for f in &summary.failing {
            b += &format!(
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>\n",
                esc(&f.reference),
                esc(&f.target),
                f.verdict.word(),
                f.verdict.word(),
                esc(&f.cause),
                esc(f.path.as_deref().unwrap_or("")),
                esc(f.predicted_error.as_deref().unwrap_or("")),
                esc(f.fix.as_deref().unwrap_or(""))
            );
        }
        b += "</tbody></table>\n";
    }
    if !summary.unread.is_empty() {
        b += "<h2>Left unread (--max-bytes)</h2>\n<ul>\n";
        for r in &summary.unread {
            b += &format!("<li><code>{}</code></li>\n", esc(r));
        }
        b += "</ul>\n";
    }
    b += &format!("<script>{SORT}</script>\n</body></html>\n");
    b
}
