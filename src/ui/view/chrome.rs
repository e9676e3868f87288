//! The frame around every screen: the breadcrumb header (source, profile, region, target)
//! and the footer (input line, status or key hints).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::catalog::short_platform;
use crate::text::sanitize;
use crate::ui::app::{App, InputKind, Level, Load, ScreenKind};
use crate::ui::keymap::Bind;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn header(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let mut crumbs = vec![sanitize(&app.origin.source)];
    // `archlens open IMAGE` starts at the image: its name is already the source.
    let listed = app
        .stack
        .iter()
        .any(|s| matches!(s.kind, ScreenKind::Images { .. }));
    for s in &app.stack {
        match &s.kind {
            ScreenKind::Repos { .. } => {}
            ScreenKind::Images(s) => crumbs.push(sanitize(&s.repo)),
            ScreenKind::Index(s) if listed => crumbs.push(sanitize(&s.row.label())),
            ScreenKind::Index { .. } => {}
            ScreenKind::Image(i) => {
                if listed && !matches!(crumbs.last(), Some(l) if *l == sanitize(&i.row.label())) {
                    crumbs.push(sanitize(&i.row.label()));
                }
                crumbs.push(
                    i.platform
                        .as_ref()
                        .map_or_else(|| i.digest.short(), short_platform),
                );
            }
            ScreenKind::Verdict { .. } => crumbs.push("verdict".into()),
            ScreenKind::Diff(d) => {
                let name = |e: &crate::analyze::Entry| {
                    e.platform
                        .as_ref()
                        .map_or_else(|| e.digest.short(), short_platform)
                };
                crumbs.push(format!(
                    "diff {} · {}",
                    name(&d.entries[0]),
                    name(&d.entries[1])
                ));
            }
        }
    }
    let mut spans = vec![
        Span::styled(" archlens ", th.header),
        Span::raw(crumbs.join(" › ")),
    ];
    if let Some(p) = &app.origin.profile {
        spans.push(Span::styled(format!("  profile:{}", sanitize(p)), th.muted));
    }
    if let Some(r) = &app.origin.region {
        spans.push(Span::styled(format!("  region:{}", sanitize(r)), th.muted));
    }
    if let Some(r) = &app.origin.registry {
        spans.push(Span::styled(
            format!("  registry:{}", sanitize(r)),
            th.muted,
        ));
    }
    spans.push(Span::raw("  target:"));
    spans.push(Span::styled(
        format!("{} ({})", app.target.name, app.target.platform),
        th.accent,
    ));
    if app.busy() {
        spans.push(Span::raw(format!(
            " {}",
            SPINNER[(app.tick % SPINNER.len() as u64) as usize]
        )));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn footer(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let line = if let Some(input) = &app.input {
        let prompt = match input.kind {
            InputKind::Filter => "/",
            InputKind::Command => ":",
        };
        Line::from(vec![
            Span::styled(prompt, th.accent),
            Span::raw(sanitize(&input.text)),
            Span::styled("█", th.muted),
            Span::styled(
                match input.kind {
                    InputKind::Filter => match app.current_pattern().and_then(|p| p.error()) {
                        Some(why) => {
                            format!("   not a regex ({}): matched as written", sanitize(why))
                        }
                        None => "   regex, !x hides matches  Enter keep  Esc clear".into(),
                    },
                    InputKind::Command => sanitize(&input.hint),
                },
                th.muted,
            ),
        ])
    } else if let Some((level, msg)) = &app.status {
        let style = match level {
            Level::Info => th.muted,
            Level::Error => th.fail,
        };
        Line::from(Span::styled(sanitize(msg), style))
    } else {
        hints(app, usize::from(area.width))
    };
    f.render_widget(Paragraph::new(line), area);
}

/// The key hints of the screen, as many as fit in `width`: when they do not all fit, the
/// screen's own keys stay and the general ones go first (help and quit always stay; help
/// lists the rest).
fn hints(app: &App, width: usize) -> Line<'static> {
    let th = &app.theme;
    let k = |b: Bind| {
        app.keymap
            .keys(b)
            .first()
            .map_or_else(|| "?".to_string(), |k| k.to_string())
    };
    let mut items: Vec<(String, &str)> = Vec::new();
    match app.screen().map(|s| &s.kind) {
        Some(ScreenKind::Repos { .. }) => {
            items.push((k(Bind::Enter), "open"));
            items.push((k(Bind::Filter), "filter"));
        }
        Some(ScreenKind::Images { .. }) => {
            items.push((k(Bind::Enter), "open"));
            items.push((k(Bind::CheckAll), "check all"));
            items.push((k(Bind::Filter), "filter"));
        }
        Some(ScreenKind::Index(s)) => {
            if matches!(s.info, Load::Ready(_)) {
                items.push((k(Bind::Enter), "open"));
                items.push((k(Bind::CheckAll), "check all"));
                if s.diff_a.is_some() {
                    items.push((
                        format!("{}/{}", k(Bind::Diff), k(Bind::Enter)),
                        "diff with B",
                    ));
                } else {
                    items.push((k(Bind::Diff), "diff"));
                }
                items.push((k(Bind::Filter), "filter"));
            }
        }
        Some(ScreenKind::Image(_)) => {
            items.push((k(Bind::NextPane), "pane"));
            items.push((k(Bind::ToggleView), "layer/all"));
            items.push((k(Bind::OnlyMismatches), "mismatches"));
            items.push((k(Bind::Sort), "sort"));
            items.push((k(Bind::Config), "config"));
        }
        Some(ScreenKind::Verdict { .. }) => {
            items.push((k(Bind::Enter), "go to file"));
            items.push((k(Bind::Copy), "copy fix"));
        }
        Some(ScreenKind::Diff(d)) => {
            items.push((k(Bind::Down), "scroll"));
            // An entry without a platform has no command line to copy.
            if d.copy_text().is_some() {
                items.push((k(Bind::Copy), "copy command"));
            }
        }
        None => {}
    }
    if app.stack.len() > 1 {
        items.push((k(Bind::Back), "back"));
    }
    if !matches!(
        app.screen().map(|s| &s.kind),
        Some(ScreenKind::Repos { .. }) | Some(ScreenKind::Verdict { .. })
    ) {
        items.push((k(Bind::Verdict), "verdict"));
    }
    items.push((k(Bind::Targets), "target"));
    items.push((k(Bind::Explain), "explain"));
    let keep = [(k(Bind::Help), "help"), (k(Bind::Quit), "quit")];
    let cost = |(key, what): &(String, &str)| key.chars().count() + what.chars().count() + 3;
    let fixed: usize = keep.iter().map(cost).sum();
    let mut used = fixed;
    let mut fitting = 0;
    for item in &items {
        if used + cost(item) > width {
            break;
        }
        used += cost(item);
        fitting += 1;
    }
    items.truncate(fitting);
    items.extend(keep);
    let mut spans = Vec::new();
    for (key, what) in items {
        spans.push(Span::styled(format!(" {key}"), th.accent));
        spans.push(Span::raw(format!(" {what} ")));
    }
    Line::from(spans)
}
