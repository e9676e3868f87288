//! Mouse clicks to actions: the pane and row under the pointer, found with the layout the
//! frame is drawn with, so the app state never deals in screen coordinates.

use ratatui::layout::Rect;

use super::{layout, scroll_offset};
use crate::ui::app::{Action, App, Focus, Load, Pane, ScreenKind, VerdictPane};

/// What a left click at column `x`, row `y` does: focus the pane under it and select the
/// row under it (scrolling taken into account), if any.
pub fn click(app: &App, x: u16, y: u16) -> Vec<Action> {
    let areas = layout(app);
    let Some(screen) = app.screen() else {
        return Vec::new();
    };
    let hit = |r: Rect| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
    // Row `y` of a bordered block with `header` lines of column titles, scrolled so that
    // `sel` is visible, when it is one of its `len` rows.
    let pick = |sel: usize, r: Rect, header: u16, len: usize| -> Option<Action> {
        let top = r.y + 1 + header;
        if !hit(r) || y < top || y >= r.y + r.height.saturating_sub(1) {
            return None;
        }
        let offset = scroll_offset(sel, (r.height.saturating_sub(2 + header)) as usize);
        let idx = offset + (y - top) as usize;
        (idx < len).then_some(Action::SelectRow(idx))
    };
    let focus =
        |f: Focus, row: Option<Action>| std::iter::once(Action::FocusPane(f)).chain(row).collect();
    match &screen.kind {
        ScreenKind::Repos(s) => pick(s.list.sel(), areas.main, 1, s.list.visible().len())
            .into_iter()
            .collect(),
        ScreenKind::Images(s) => {
            // The details line under the table holds no row.
            let mut r = areas.main;
            r.height = r
                .height
                .saturating_sub(super::lists::images_details_rows(s));
            pick(s.list.sel(), r, 1, s.list.visible().len())
                .into_iter()
                .collect()
        }
        ScreenKind::Index(s) => match &s.info {
            Load::Ready(_) => pick(s.sel, areas.main, 1, s.rows().len())
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        ScreenKind::Image(s) => {
            if hit(areas.layers) {
                let row = s
                    .image
                    .ready()
                    .and_then(|img| pick(s.layer, areas.layers, 0, img.layers.len()));
                focus(Focus::Image(Pane::Layers), row)
            } else if hit(areas.files) {
                let row = s
                    .tree
                    .as_ref()
                    .and_then(|t| pick(t.selected(), areas.files, 0, t.visible_len()));
                focus(Focus::Image(Pane::Files), row)
            } else if hit(areas.details) {
                focus(Focus::Image(Pane::Details), None)
            } else {
                Vec::new()
            }
        }
        ScreenKind::Diff(_) => Vec::new(),
        ScreenKind::Verdict(s) => {
            if hit(areas.layers) {
                let row = pick(s.sel_target, areas.layers, 0, app.targets.len());
                focus(Focus::Verdict(VerdictPane::Targets), row)
            } else if hit(areas.files) {
                focus(Focus::Verdict(VerdictPane::Findings), None)
            } else {
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::Mouse;
    use crate::ui::app::fixture::*;

    fn kind(app: &App) -> &ScreenKind {
        &app.screen().unwrap().kind
    }

    fn click_at(app: &mut App, x: u16, y: u16) {
        for a in click(app, x, y) {
            app.update(a);
        }
    }

    #[test]
    fn mouse_click_selects_the_row_and_wheel_scrolls() {
        let mut app = app();
        app.update(Action::Resize(80, 24));
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        // Header line, block border, table header: the second image row is at y = 4.
        click_at(&mut app, 10, 4);
        let ScreenKind::Images(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.list.sel(), 1);
        app.update(Action::Mouse(Mouse::ScrollUp));
        let ScreenKind::Images(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.list.sel(), 0);
        // On the image screen a click in the files pane focuses it.
        key(&mut app, "Enter");
        key(&mut app, "Tab");
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.pane, Pane::Details);
        click_at(&mut app, 60, 6);
        let ScreenKind::Image(s) = kind(&app) else {
            panic!()
        };
        assert_eq!(s.pane, Pane::Files);
    }

    #[test]
    fn a_terminal_click_becomes_the_row_under_it() {
        use ratatui::crossterm::event::{
            Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
        };
        let mut app = app();
        app.update(Action::Resize(80, 24));
        let fx = app.open_repositories();
        pump(&mut app, fx);
        key(&mut app, "Enter");
        let ev = Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row: 4,
            modifiers: KeyModifiers::NONE,
        });
        let actions = crate::ui::translate(ev, &app);
        assert!(
            matches!(actions.as_slice(), [Action::SelectRow(1)]),
            "{actions:?}"
        );
    }

    #[test]
    fn a_click_on_the_verdict_targets_focuses_them_and_picks_one() {
        let mut app = app();
        app.update(Action::Resize(80, 24));
        let fx = app.open_repositories();
        pump(&mut app, fx);
        keys(&mut app, &["Enter", "v", "Tab"]);
        // Header line and the block border: the second target is at y = 3.
        click_at(&mut app, 2, 3);
        let ScreenKind::Verdict(v) = kind(&app) else {
            panic!("not verdict")
        };
        assert_eq!(v.pane, VerdictPane::Targets);
        assert_eq!(app.targets[v.sel_target].name, "fargate");
    }
}
