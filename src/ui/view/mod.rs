//! Drawing: every screen is a pure function of [`App`] state onto a ratatui frame; no I/O,
//! no state changes, so tests render any state into a `TestBackend` and snapshot it.
//!
//! [`layout`] is shared with [`hit`], which turns a click into the action for the row it hit.

mod chrome;
mod config;
mod diff;
pub use diff::scroll_limit as diff_scroll_limit;
mod file;
pub mod hit;
mod image;
mod lists;
mod overlay;
mod verdict;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, ScreenKind};

/// The areas of the current screen.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub header: Rect,
    pub footer: Rect,
    /// The list of list screens.
    pub main: Rect,
    /// Image screen: verdict summary line(s).
    pub summary: Rect,
    /// Image screen: layers; verdict screen: targets.
    pub layers: Rect,
    /// Image screen: file tree; verdict screen: findings.
    pub files: Rect,
    /// Image screen: details of the selected file.
    pub details: Rect,
}

/// Splits the terminal for the current screen.
pub fn layout(app: &App) -> Areas {
    layout_in(app, Rect::new(0, 0, app.size.0, app.size.1))
}

fn layout_in(app: &App, area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut a = Areas {
        header,
        footer,
        main: body,
        ..Areas::default()
    };
    match app.screen().map(|s| &s.kind) {
        Some(ScreenKind::Image(s)) => {
            // The headline is as tall as its wrapped text (at most a third of the screen).
            let head = image::headline(app, s);
            let h = (wrapped_height(&head, body.width) as u16).clamp(2, (body.height / 3).max(2));
            let [summary, rest] =
                Layout::vertical([Constraint::Length(h), Constraint::Min(3)]).areas(body);
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                    .areas(rest);
            let [layers, details] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(left);
            a.summary = summary;
            a.layers = layers;
            a.details = details;
            a.files = right;
        }
        Some(ScreenKind::Verdict { .. }) => {
            let left_w = (body.width / 3).clamp(24, 40);
            let [left, right] =
                Layout::horizontal([Constraint::Length(left_w), Constraint::Min(10)]).areas(body);
            a.layers = left;
            a.files = right;
        }
        _ => {}
    }
    a
}

/// How many rows `lines` take when word-wrapped to `width` columns (as `Paragraph` wraps
/// them), so a headline's area can be as tall as its text.
pub fn wrapped_height(lines: &[ratatui::text::Line], width: u16) -> usize {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            let mut rows = 1;
            let mut col = 0;
            for word in text.split_whitespace() {
                let w = word.chars().count();
                let need = if col == 0 { w } else { col + 1 + w };
                if need <= width {
                    col = need;
                } else {
                    // A word longer than the line is broken across rows.
                    rows += usize::from(col > 0) + (w.saturating_sub(1)) / width;
                    col = if w % width == 0 { width } else { w % width };
                }
            }
            rows
        })
        .sum()
}

/// The first row shown so that `sel` stays visible in `height` rows.
pub fn scroll_offset(sel: usize, height: usize) -> usize {
    if height == 0 || sel < height {
        0
    } else {
        sel + 1 - height
    }
}

/// Draws the whole UI.
pub fn draw(f: &mut Frame, app: &App) {
    let areas = layout_in(app, f.area());
    chrome::header(f, app, areas.header);
    match app.screen().map(|s| &s.kind) {
        Some(ScreenKind::Repos(s)) => lists::repos(f, app, areas.main, &s.list),
        Some(ScreenKind::Images(s)) => lists::images(f, app, areas.main, s),
        Some(ScreenKind::Index(s)) => lists::index(f, app, areas.main, s),
        Some(ScreenKind::Image(s)) => image::draw(f, app, &areas, s),
        Some(ScreenKind::Verdict(s)) => verdict::draw(
            f,
            app,
            &areas,
            &s.row,
            &s.info,
            s.sel_target,
            s.sel_finding,
            s.pane,
        ),
        Some(ScreenKind::Diff(s)) => diff::draw(f, app, areas.main, s),
        None => {}
    }
    chrome::footer(f, app, areas.footer);
    if let Some(o) = &app.overlay {
        overlay::draw(f, app, o);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::ui::app::Action;
    use crate::ui::app::fixture::*;

    #[test]
    fn long_work_shows_a_gauge_and_a_spinner() {
        let mut app = app();
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        let req = open_without_answer(&mut app);
        req.progress.layers_total.store(4, Ordering::Relaxed);
        req.progress.layers_done.store(1, Ordering::Relaxed);
        req.progress.bytes_total.store(2_000_000, Ordering::Relaxed);
        req.progress.bytes_read.store(500_000, Ordering::Relaxed);
        app.update(Action::Tick);
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        t.draw(|f| crate::ui::view::draw(f, &app)).unwrap();
        let buf = t.backend().buffer();
        let text: String = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        assert!(
            text.contains("reading layers 1/4  500.0 kB of 2.0 MB"),
            "{text}"
        );
        assert!(
            text.lines()
                .next()
                .is_some_and(|l| l.trim_end().ends_with('/')),
            "{text}"
        );
    }
}
