//! The diff page: two platform entries of an index side by side, drawn from the core's
//! [`crate::diff::Diff`] (findings, layers, native files with markers, config).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::diff::{Diff, NativeDiff, Status};
use crate::text::{human_size, sanitize};
use crate::ui::app::{App, DiffScreen, Load};

/// The marker of a native file's row, as in a merged tree: same, different, A only, B only.
fn marker(s: Status) -> &'static str {
    match s {
        Status::Identical => "=",
        Status::Different => "≠",
        Status::Unhashed => "?",
        Status::OnlyA => "A",
        Status::OnlyB => "B",
    }
}

fn arch(n: &NativeDiff, a: bool) -> String {
    let side = if a { &n.a } else { &n.b };
    side.as_ref().map_or("-".into(), |x| {
        x.arch.as_ref().map_or("any".into(), |a| a.to_string())
    })
}

/// Every line of the page, so that scrolling and its indicator agree.
pub fn lines(app: &App, d: &Diff) -> Vec<Line<'static>> {
    let th = &app.theme;
    let mut out = Vec::new();
    for (tag, s) in [("A", &d.a), ("B", &d.b)] {
        out.push(Line::from(vec![
            Span::styled(format!("{tag} {}", s.platform), th.bold),
            Span::styled(format!("  {}", s.digest.short()), th.muted),
        ]));
        out.push(Line::from(vec![Span::raw(format!(
            "  {} layers, {}, {} files, {} native, {} wasted",
            s.layers,
            human_size(s.size),
            s.files,
            s.natives,
            human_size(s.wasted_bytes)
        ))]));
    }
    out.push(Line::from(format!("{} layers in both", d.shared_layers)));
    for f in &d.findings {
        out.push(Line::from(""));
        out.push(Line::from(vec![
            Span::styled(format!("{} ", f.code), th.fail),
            Span::raw(sanitize(&f.message)),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        format!(
            "Native files: {} same bytes (=), {} different (≠), {} only in A, {} only in B",
            d.count(Status::Identical),
            d.count(Status::Different),
            d.count(Status::OnlyA),
            d.count(Status::OnlyB),
        ),
        th.bold,
    )));
    if !d.natives.is_empty() {
        out.push(Line::from(Span::styled(
            format!("   {:<8} {:<8} PATH", "A", "B"),
            th.muted,
        )));
    }
    for n in &d.natives {
        let style = match n.status {
            Status::Identical if !d.findings.is_empty() => th.fail,
            Status::Identical => th.pass,
            Status::Different => th.warn,
            _ => th.muted,
        };
        out.push(Line::from(vec![
            Span::styled(format!(" {} ", marker(n.status)), style),
            Span::raw(format!("{:<8} {:<8} ", arch(n, true), arch(n, false))),
            Span::raw(sanitize(&n.path)),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("Config", th.bold)));
    if d.config.is_empty() {
        out.push(Line::from(
            " entrypoint, cmd, env, user and workdir are the same",
        ));
    }
    for c in &d.config {
        let show = |v: &Option<String>| v.as_deref().map_or("(unset)".into(), sanitize);
        out.push(Line::from(format!(
            " {}: A {}  B {}",
            sanitize(&c.field),
            show(&c.a),
            show(&c.b)
        )));
    }
    out
}

/// The page's text: the comparison, or how far reading the two images got.
fn body(app: &App, s: &DiffScreen) -> Vec<Line<'static>> {
    match &s.diff {
        Some(d) => lines(app, d),
        None => s
            .images
            .iter()
            .zip(["A", "B"])
            .map(|(l, tag)| {
                Line::from(match l {
                    Load::Ready(_) => format!("{tag}: read"),
                    Load::Loading(_) => format!("{tag}: reading its layers…"),
                    Load::Failed(e) => format!("{tag}: could not be read: {}", sanitize(e)),
                })
            })
            .collect(),
    }
}

/// How far the page scrolls at the terminal's size: its rows as wrapped at the real width,
/// less the rows on screen. The app bounds `j`/`G` by this, so the last row ends at the
/// bottom whatever the width.
pub fn scroll_limit(app: &App, s: &DiffScreen) -> usize {
    let area = super::layout(app).main;
    let rows = super::wrapped_height(&body(app, s), area.width.saturating_sub(2));
    rows.saturating_sub(usize::from(area.height.saturating_sub(2)))
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, s: &DiffScreen) {
    let [a, b] = &s.entries;
    let title = format!(
        " Diff {}: A {} · B {} ",
        sanitize(&s.row.label()),
        crate::ui::app::diff_label(a),
        crate::ui::app::diff_label(b)
    );
    let body = body(app, s);
    let inner_h = usize::from(area.height.saturating_sub(2));
    let rows = super::wrapped_height(&body, area.width.saturating_sub(2));
    let more = s.diff.is_some() && rows > s.scroll + inner_h;
    let title = if more {
        format!("{title}(↓ more) ")
    } else {
        title
    };
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(s.scroll).unwrap_or(u16::MAX), 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(title, app.theme.bold)),
            ),
        area,
    );
}
