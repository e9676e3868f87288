//! The file viewer over the image screen: what the classifiers said of the file, then its
//! first bytes (as [`crate::ui::viewer`] formats them), only the rows on screen formatted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::image::artifact_lines;
use crate::scan::EntryKind;
use crate::text::{human_size, sanitize};
use crate::ui::app::{App, ImageScreen, Load};

/// The file viewer over the image screen: what the classifiers said of the file (an ELF
/// summary), then its first bytes as text or hex.
pub fn draw_viewer(f: &mut Frame, app: &App, scroll: u16) {
    let mut scroll = scroll;
    let th = &app.theme;
    let (Some(v), Some(crate::ui::app::ScreenKind::Image(s))) =
        (&app.viewer, app.screen().map(|s| &s.kind))
    else {
        return;
    };
    let area = f.area();
    // A hex row is 77 columns: at 80 the viewer takes the whole width.
    let w = if area.width < 100 {
        area.width
    } else {
        (area.width - 4).min(120)
    };
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + 1,
        w,
        area.height.saturating_sub(2),
    );
    let inner = w.saturating_sub(2);
    let mut lines: Vec<Line> = Vec::new();
    if let Load::Ready(img) = &s.image {
        for a in img
            .fs
            .artifacts
            .iter()
            .map(|(_, a)| a)
            .filter(|a| a.path == v.path)
        {
            lines.extend(artifact_lines(app, s, a));
            lines.push(Line::from(""));
        }
    }
    let mut more = String::new();
    match &v.content {
        Load::Loading(_) => lines.push(Line::from(Span::styled("reading…", th.muted))),
        Load::Failed(e) => lines.push(Line::from(Span::styled(
            format!("could not read it: {}", sanitize(e)),
            th.fail,
        ))),
        Load::Ready(bytes) => {
            let size = tree_size(s, &v.path);
            if size > bytes.len() as u64 {
                more = format!(
                    ", first {} of {}",
                    human_size(bytes.len() as u64),
                    human_size(size)
                );
            }
            if bytes.is_empty() {
                lines.push(Line::from(Span::styled("(empty file)", th.muted)));
            }
            // Only the rows on screen are formatted: a 64 kB hex dump is 4,096 of them.
            // The summary above scrolls away first (in the rows it wraps to), then the
            // window moves through the body, whose rows are already cut to the width.
            let head = super::wrapped_height(&lines, inner);
            let from = usize::from(scroll).saturating_sub(head);
            let rows = usize::from(area.height);
            let body = crate::ui::viewer::window(bytes, from, rows, usize::from(inner));
            lines.extend(body.into_iter().map(Line::from));
            scroll = scroll.min(u16::try_from(head).unwrap_or(u16::MAX));
        }
    }
    f.render_widget(ratatui::widgets::Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(Block::default().borders(Borders::ALL).title(Span::styled(
                format!(
                    " {}{more} (y copies the path, Esc closes) ",
                    sanitize(&v.path)
                ),
                th.bold,
            ))),
        r,
    );
}

/// The size the tree knows for `path`, to say how much of the file is shown.
fn tree_size(s: &ImageScreen, path: &str) -> u64 {
    match &s.image {
        // A hard link's bytes are its target's.
        Load::Ready(img) => match img.fs.get(path) {
            Some(n) => match &n.entry.kind {
                EntryKind::Hardlink(t) => img.fs.get(t).map_or(0, |n| n.entry.size),
                _ => n.entry.size,
            },
            None => 0,
        },
        _ => 0,
    }
}
