//! Popups over the current screen: help (generated from the keymap), the target picker and
//! the Explain text.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::ui::app::{self, App, Overlay};
use crate::ui::explain;
use crate::ui::view::image::image_verdict;

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
            let mut lines = vec![Line::from(Span::styled(
                "Keys (from your keymap; override in ~/.config/archlens/config.toml [keys])",
                th.muted,
            ))];
            for (keys, what) in app.keymap.help_lines() {
                lines.push(Line::from(vec![
                    Span::styled(format!("{keys:>16}  "), th.accent),
                    Span::raw(what),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "mouse: wheel scrolls, click selects",
                th.muted,
            )));
            let r = centered(area, 76, area.height.saturating_sub(2));
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(lines).scroll((*scroll, 0)).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(Span::styled(" Help (Esc closes) ", th.bold)),
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
        Overlay::Explain { scroll } => {
            let Some((row, info)) = app.current_root() else {
                return;
            };
            let (image, result) = match app.screen().map(|s| &s.kind) {
                Some(app::ScreenKind::Image(s)) => {
                    (s.image.ready().map(|i| i.as_ref()), image_verdict(app, s))
                }
                _ => {
                    let img = match crate::verdict::select(&info.root, &app.target) {
                        crate::verdict::Selection::Image { entry, .. } => {
                            app.images.get(&entry.digest).map(|i| i.as_ref())
                        }
                        _ => None,
                    };
                    let full = app.root_result(&info, &app.target).cloned();
                    // Before the files are read only manifest-level verdicts are final.
                    let full = full.filter(|_| {
                        img.is_some()
                            || !matches!(
                                crate::verdict::select(&info.root, &app.target),
                                crate::verdict::Selection::Image { .. }
                            )
                    });
                    (img, full)
                }
            };
            let paras = explain::explain(&row.label(), &info, &app.target, image, result.as_ref());
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
                            app.target.name
                        ),
                        th.bold,
                    ))),
                r,
            );
        }
    }
}
