//! The image's config in words (entrypoint, cmd, env, user, workdir, labels, history) and one
//! layer's details, for the config overlay and the Details pane when Layers has focus.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::analyze::Image;
use crate::text::{human_size, sanitize};
use crate::ui::app::{App, Load, ScreenKind};

/// A command as the runtime sees it: `["/bin/sh", "-c", "x"]` is shown as JSON, the form
/// Dockerfiles write it in, so quoting is never ambiguous.
fn argv(v: &Option<Vec<String>>) -> String {
    match v {
        None => "(not set)".into(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// The config's lines, in the order `docker inspect` users look for them.
pub fn config_lines(app: &App, img: &Image) -> Vec<Line<'static>> {
    let th = &app.theme;
    let c = &img.config;
    let head = |t: &str| Line::from(Span::styled(t.to_string(), th.bold));
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<11}"), th.muted),
            Span::raw(sanitize(&v)),
        ])
    };
    let mut out = vec![
        kv("ENTRYPOINT", argv(&c.entrypoint)),
        kv("CMD", argv(&c.cmd)),
        kv(
            "USER",
            c.user.clone().unwrap_or_else(|| "(not set: root)".into()),
        ),
        kv(
            "WORKDIR",
            c.workdir.clone().unwrap_or_else(|| "(not set: /)".into()),
        ),
        kv("PLATFORM", c.platform.to_string()),
        Line::from(""),
        head("ENV"),
    ];
    if c.env.is_empty() {
        out.push(Line::from(Span::styled("  (none)", th.muted)));
    }
    for e in &c.env {
        out.push(Line::from(format!("  {}", sanitize(e))));
    }
    out.push(Line::from(""));
    out.push(head("LABELS"));
    if c.labels.is_empty() {
        out.push(Line::from(Span::styled("  (none)", th.muted)));
    }
    for (k, v) in &c.labels {
        out.push(Line::from(vec![
            Span::styled(format!("  {}=", sanitize(k)), th.muted),
            Span::raw(sanitize(v)),
        ]));
    }
    if c.labels.len() >= crate::analyze::MAX_LABELS {
        out.push(Line::from(Span::styled(
            format!("  (the first {} only)", crate::analyze::MAX_LABELS),
            th.muted,
        )));
    }
    out.push(Line::from(""));
    out.push(head("HISTORY (layers, oldest first)"));
    for (i, l) in img.layers.iter().enumerate() {
        out.push(Line::from(vec![
            Span::styled(format!("{:>3} ", i + 1), th.accent),
            Span::raw(sanitize(l.created_by.as_deref().unwrap_or("(no history)"))),
        ]));
    }
    out
}

/// One layer: where it sits, its sizes, what it changes and the full command that made it.
pub fn layer_lines(app: &App, img: &Image, i: usize) -> Vec<Line<'static>> {
    let th = &app.theme;
    let Some(l) = img.layers.get(i) else {
        return Vec::new();
    };
    vec![
        Line::from(vec![
            Span::styled(
                format!("layer {} of {}  ", i + 1, img.layers.len()),
                th.bold,
            ),
            Span::styled(l.digest.short(), th.muted),
        ]),
        Line::from(sanitize(
            l.created_by
                .as_deref()
                .unwrap_or("(the config has no history for it)"),
        )),
        Line::from(""),
        Line::from(format!(
            "{} compressed, {} unpacked",
            human_size(l.size),
            human_size(l.scan.uncompressed_size)
        )),
        Line::from(format!(
            "{} entries written, {} deleted, {} native",
            l.scan.entries.len(),
            l.scan.whiteouts.len() + l.scan.opaque_dirs.len(),
            l.scan.artifacts.len()
        )),
        Line::from(format!(
            "{} wasted: overwritten or deleted later",
            human_size(img.fs.wasted_bytes(i))
        )),
    ]
}

/// The config overlay over the image screen.
pub fn draw(f: &mut Frame, app: &App, scroll: u16) {
    let Some(ScreenKind::Image(s)) = app.screen().map(|s| &s.kind) else {
        return;
    };
    let lines = match &s.image {
        Load::Ready(img) => config_lines(app, img),
        _ => vec![Line::from("the image is still being read")],
    };
    let area = f.area();
    let r = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2).min(120),
        area.height.saturating_sub(2),
    );
    let more = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
    let title = if more > scroll {
        " Config (Esc closes, ↓ more) "
    } else {
        " Config (Esc closes) "
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(title, app.theme.bold)),
            ),
        r,
    );
}
