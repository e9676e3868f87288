//! Popups over the current screen: help (generated from the keymap), the target picker and
//! the Explain text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::app::{self, App, Overlay};
use crate::verdict::explain;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn draw(f: &mut Frame, app: &App, o: &Overlay) {
    let th = &app.theme;
    let area = f.area();
    match o {
        Overlay::Help { scroll } => {
            let place = app
                .screen()
                .map_or(crate::ui::keymap::Place::Images, |s| s.kind.place());
            let mut lines = vec![Line::from(Span::styled(
                "Keys that work here (override in ~/.config/archlens/config.toml [keys])",
                th.muted,
            ))];
            for (keys, what) in app.keymap.help_lines(place) {
                lines.push(Line::from(vec![
                    Span::styled(format!("{keys:>16}  "), th.accent),
                    Span::raw(what),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Commands after : (Tab completes, ↑↓ recalls)",
                th.muted,
            )));
            for c in app::COMMANDS
                .iter()
                .filter(|c| c.only.is_none_or(|p| p == place))
            {
                let name = if c.arg.is_empty() {
                    format!(":{}", c.name)
                } else {
                    format!(":{} {}", c.name, c.arg)
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{name:>16}  "), th.accent),
                    Span::raw(c.help),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "mouse: wheel scrolls, click selects",
                th.muted,
            )));
            let r = centered(area, 76, area.height.saturating_sub(2));
            // Lines past the bottom edge: the title says so, since a cut list looks complete.
            let below = (lines.len() as u16)
                .saturating_sub(r.height.saturating_sub(2))
                .saturating_sub(*scroll);
            let more = if below > 0 {
                format!(", ↓ {below} more")
            } else {
                String::new()
            };
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines).scroll((*scroll, 0)).block(
                    Block::default().borders(Borders::ALL).title(Span::styled(
                        format!(" Help: {} screen (Esc closes{more}) ", place.name()),
                        th.bold,
                    )),
                ),
                r,
            );
        }
        Overlay::Targets { sel } => {
            let mut lines = Vec::new();
            for (i, t) in app.targets.iter().enumerate() {
                let active = if t.name == app.target.name { "*" } else { " " };
                let line = Line::from(vec![
                    Span::raw(format!("{active} {:<14}", t.name)),
                    Span::styled(format!("{:<14}", t.platform.to_string()), th.accent),
                    Span::styled(t.title.clone(), th.muted),
                ]);
                lines.push(if i == *sel {
                    line.style(th.selection)
                } else {
                    line
                });
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Enter picks; any os/arch works too: type :target linux/arm/v7",
                th.muted,
            )));
            let h = (lines.len() as u16 + 2).min(area.height);
            let r = centered(area, 78, h);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(" Deploy target ", th.bold)),
                ),
                r,
            );
        }
        Overlay::Config { scroll } => super::config::draw(f, app, *scroll),
        Overlay::Viewer { scroll } => super::file::draw_viewer(f, app, *scroll),
        Overlay::Explain { scroll } => {
            let Some((row, info)) = app.current_root() else {
                return;
            };
            // The target and finding selected on the screen `e` was pressed on.
            let (target, digest, finding) = match app.screen().map(|s| &s.kind) {
                Some(app::ScreenKind::Image(s)) => (&app.target, Some(s.digest.clone()), None),
                Some(app::ScreenKind::Verdict(v)) => {
                    let t = app.targets.get(v.sel_target).unwrap_or(&app.target);
                    (
                        t,
                        None,
                        (v.pane == app::VerdictPane::Findings).then_some(v.sel_finding),
                    )
                }
                Some(app::ScreenKind::Index(i)) => (&app.target, i.selected_entry(), None),
                _ => (&app.target, None, None),
            };
            let Some(a) = app.assessment(&info, target) else {
                return;
            };
            let entry = digest.as_ref().and_then(|d| a.entry(d));
            let finding = finding.and_then(|n| a.result.as_ref()?.findings.get(n));
            let paras = explain::explain(&explain::Focus {
                label: &row.label(),
                root: &info.root,
                config_platform: info.config_platform.as_ref(),
                assessment: a,
                entry,
                finding,
            });
            let mut lines = Vec::new();
            for p in paras {
                lines.push(Line::from(Span::styled(p.title, th.accent)));
                lines.push(Line::from(p.text));
                lines.push(Line::from(""));
            }
            let r = centered(
                area,
                area.width.saturating_sub(4).min(100),
                area.height.saturating_sub(2),
            );
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: true })
                    .scroll((*scroll, 0))
                    .block(Block::default().borders(Borders::ALL).title(Span::styled(
                        format!(
                            " Explain: {} on {} (Esc closes) ",
                            crate::text::sanitize(&row.label()),
                            target.name
                        ),
                        th.bold,
                    ))),
                r,
            );
        }
    }
}
