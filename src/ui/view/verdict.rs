//! The verdict screen: every target with pass/warn/fail on the left; for the selected one the
//! line the runtime will print, each finding with its path, and the fix ready to copy.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Areas, scroll_offset};
use crate::catalog::{ImageRow, RootInfo};
use crate::text::sanitize;
use crate::ui::app::{App, VerdictPane};
use crate::verdict::{Severity, Verdict};

#[allow(clippy::too_many_arguments)]
pub fn draw(
    f: &mut Frame,
    app: &App,
    a: &Areas,
    row: &ImageRow,
    info: &Arc<RootInfo>,
    sel_target: usize,
    sel_finding: usize,
    pane: VerdictPane,
) {
    let th = &app.theme;
    let focused = |p: VerdictPane| {
        if pane == p {
            th.accent
        } else {
            Style::default()
        }
    };
    let assessments: Vec<_> = app
        .targets
        .iter()
        .map(|t| app.assessment(info, t))
        .collect();
    let results: Vec<_> = assessments
        .iter()
        .map(|a| a.and_then(|a| a.result.as_ref()))
        .collect();

    let height = a.layers.height.saturating_sub(2) as usize;
    let offset = scroll_offset(sel_target, height);
    let lines: Vec<Line> = app
        .targets
        .iter()
        .zip(&results)
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, (t, r))| {
            let (sym, word, style) = match r.as_ref().map(|r| r.verdict) {
                Some(Verdict::Pass) => ("✓", "PASS", th.pass),
                Some(Verdict::Warn) => ("!", "WARN", th.warn),
                Some(Verdict::Fail) => ("✗", "FAIL", th.fail),
                None => ("…", "    ", th.muted),
            };
            let active = if t.name == app.target.name { "*" } else { " " };
            let mut spans = vec![
                Span::styled(format!("{sym} {word} "), style),
                Span::raw(format!("{active}{:<13} ", t.name)),
            ];
            // The platform only when it fits: the name matters more on a narrow terminal.
            if a.layers.width >= 36 {
                spans.push(Span::styled(t.platform.to_string(), th.muted));
            }
            let line = Line::from(spans);
            if i == sel_target {
                line.style(th.selection)
            } else {
                line
            }
        })
        .collect();
    let left = Block::default()
        .borders(Borders::ALL)
        .border_style(focused(VerdictPane::Targets))
        .title(Span::styled(" Targets (* active) ", th.bold));
    f.render_widget(Paragraph::new(lines).block(left), a.layers);

    let right_block = Block::default()
        .borders(Borders::ALL)
        .border_style(focused(VerdictPane::Findings))
        .title(Span::styled(
            format!(" Verdict: {} ", sanitize(&row.label())),
            th.bold,
        ));
    let Some(t) = app.targets.get(sel_target) else {
        return;
    };
    let Some(Some(r)) = results.get(sel_target) else {
        f.render_widget(
            Paragraph::new(format!("reading the image {} would run…", t.name))
                .style(th.muted)
                .block(right_block),
            a.files,
        );
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let (word, style) = match r.verdict {
        Verdict::Pass => ("✓ PASS", th.pass),
        Verdict::Warn => ("! WARN", th.warn),
        Verdict::Fail => ("✗ FAIL", th.fail),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{word} "), style),
        Span::raw(format!("{} ({})", t.title, t.platform)),
    ]));
    if let Some(Some(a)) = assessments.get(sel_target) {
        lines.push(Line::from(Span::styled(
            sanitize(&a.decision_text()),
            th.muted,
        )));
    }
    if let Some(e) = &r.predicted_error {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("The runtime will print:", th.bold)));
        lines.push(Line::from(Span::styled(
            format!("  {}", sanitize(e)),
            th.fail,
        )));
    }
    lines.push(Line::from(""));
    if r.findings.is_empty() {
        lines.push(Line::from(Span::styled(
            "no findings: the files that start match this target",
            th.pass,
        )));
    }
    for (i, fi) in r.findings.iter().enumerate() {
        let (sym, st) = match fi.severity {
            Severity::Error => ("✗", th.fail),
            Severity::Warning => ("!", th.warn),
            Severity::Info => ("i", th.muted),
        };
        let selected = i == sel_finding && pane == VerdictPane::Findings;
        let mut head = vec![Span::styled(format!("{sym} {} ", fi.code.as_str()), st)];
        if let Some(p) = &fi.path {
            head.push(Span::styled(sanitize(p), th.bold));
        }
        let head = Line::from(head);
        lines.push(if selected {
            head.style(th.selection)
        } else {
            head
        });
        lines.push(Line::from(format!("  {}", sanitize(&fi.message))));
        if let Some(fix) = &fi.fix {
            lines.push(Line::from(vec![
                Span::styled("  fix: ", th.muted),
                Span::styled(sanitize(fix), th.accent),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Tab/→ findings  Enter go to the file  y copy the fix  e explain  t switch target",
        th.muted,
    )));
    // Keep the selected finding in view: count the lines before it.
    let mut before = 0u16;
    if pane == VerdictPane::Findings {
        let head = lines.len()
            - r.findings
                .iter()
                .map(|f| 2 + usize::from(f.fix.is_some()))
                .sum::<usize>()
            - 2;
        before = (head
            + r.findings
                .iter()
                .take(sel_finding)
                .map(|f| 2 + usize::from(f.fix.is_some()))
                .sum::<usize>()) as u16;
    }
    let visible = a.files.height.saturating_sub(2);
    let scroll = before.saturating_sub(visible.saturating_sub(4));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(right_block),
        a.files,
    );
}
