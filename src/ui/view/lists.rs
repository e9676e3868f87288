//! The list screens: repositories, tags/images (platform chips and a verdict badge per row)
//! and the entries of an image index (attestations under their subject).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::scroll_offset;
use crate::catalog::{ImageRow, RepoRow, RootInfo, attachments, findings_text, mutability_word};
use crate::text::{display_time, human_size, sanitize};
use crate::ui::app::{
    App, AutoCheckState, FilteredList, ImagesScreen, IndexRow, IndexScreen, Load,
};
use crate::ui::keymap::Bind;
use crate::verdict::{Assessment, Basis, EntryAssessment, Summary, Verdict};

/// The block of a list, with the filter in its title when one is set.
fn block<'a>(app: &App, title: String, filter: &str) -> Block<'a> {
    let mut t = vec![Span::styled(format!(" {title} "), app.theme.bold)];
    if !filter.is_empty() {
        t.push(Span::styled(
            format!("/{} ", sanitize(filter)),
            app.theme.accent,
        ));
    }
    Block::default().borders(Borders::ALL).title(Line::from(t))
}

/// What a list or tree says when its filter hides every row.
pub fn nothing_matches(filter: &str) -> String {
    format!("nothing matches `{}` — Esc clears", sanitize(filter))
}

/// The empty-result line in the list's block.
fn filtered_out(f: &mut Frame, app: &App, area: Rect, filter: &str, b: Block) {
    f.render_widget(
        Paragraph::new(nothing_matches(filter))
            .style(app.theme.muted)
            .block(b),
        area,
    );
}

/// Loading and error states share one look.
fn not_ready<T>(f: &mut Frame, app: &App, area: Rect, load: &Load<T>, what: &str, b: Block) {
    let text = match load {
        Load::Loading(_) => format!("loading {what}…"),
        Load::Failed(e) => format!(
            "could not load {what}: {}\n\nPress r to retry, : then repos to go back, or q to quit.",
            sanitize(e)
        ),
        Load::Ready(_) => String::new(),
    };
    let style = if matches!(load, Load::Failed(_)) {
        app.theme.fail
    } else {
        app.theme.muted
    };
    f.render_widget(
        Paragraph::new(text)
            .style(style)
            .wrap(Wrap { trim: false })
            .block(b),
        area,
    );
}

pub fn repos(f: &mut Frame, app: &App, area: Rect, repos: &FilteredList<RepoRow>) {
    let (rows, sel, filter) = (&repos.rows, repos.sel(), repos.filter());
    let mut b = block(app, "Repositories".into(), filter);
    let Load::Ready(list) = rows else {
        return not_ready(f, app, area, rows, "repositories", b);
    };
    if repos.filtered_out() {
        return filtered_out(f, app, area, filter, b);
    }
    // ECR's facts beyond counts: a column each where the table has room, else the selected
    // repository's in the bottom line.
    let mutability = list.iter().any(|r| r.tag_mutability.is_some());
    let upstream = list.iter().any(|r| r.pull_through_upstream.is_some());
    let time = |t: &Option<String>| {
        t.as_deref()
            .map_or_else(|| "-".to_string(), |t| sanitize(&display_time(t)))
    };
    let dash = |t: Option<String>| t.unwrap_or_else(|| "-".into());
    let cells = |r: &RepoRow| {
        [
            sanitize(&r.name),
            r.images.map_or_else(|| "-".to_string(), |n| n.to_string()),
            time(&r.last_push),
            dash(r.tag_mutability.as_deref().map(mutability_word)),
            dash(r.pull_through_upstream.as_deref().map(sanitize)),
            time(&r.created),
        ]
    };
    // Widths from every row, not the visible ones, so columns hold still while scrolling.
    let header = [
        "NAME",
        "IMAGES",
        "LAST PUSH",
        "MUTABILITY",
        "PULL-THROUGH",
        "CREATED",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for r in list {
        for (w, c) in widths.iter_mut().zip(cells(r)) {
            *w = (*w).max(c.chars().count());
        }
    }
    // Name, counts and dates always; each optional column only when every column fits.
    let mut shown = vec![0, 1, 2, 5];
    let room = usize::from(area.width.saturating_sub(2));
    for (col, wanted) in [(3, mutability), (4, upstream)] {
        let need: usize = shown.iter().map(|&c| widths[c] + 2).sum::<usize>() + widths[col];
        if wanted && need <= room {
            shown.push(col);
        }
    }
    shown.sort_unstable();
    if let Some((_, r)) = repos.selected()
        && let Some(d) = repo_details(r, !shown.contains(&3), !shown.contains(&4))
    {
        b = b.title_bottom(Line::from(Span::styled(format!(" {d} "), app.theme.muted)));
    }
    let visible = repos.visible();
    let height = area.height.saturating_sub(3) as usize;
    let offset = scroll_offset(sel, height);
    let body: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, &idx)| {
            let r = list.get(idx)?;
            let cells = cells(r);
            let row = Row::new(shown.iter().map(|&c| {
                let text = cells[c].clone();
                if c == 1 {
                    Cell::from(Line::from(text).alignment(Alignment::Right))
                } else {
                    Cell::from(text)
                }
            }));
            Some(if i == sel {
                row.style(app.theme.selection)
            } else {
                row
            })
        })
        .collect();
    let constraints = shown.iter().map(|&c| {
        let w = widths[c] as u16;
        if c == 0 {
            Constraint::Min(w.min(area.width / 2))
        } else {
            Constraint::Length(w)
        }
    });
    let t = Table::new(body, constraints)
        .column_spacing(2)
        .header(Row::new(shown.iter().map(|&c| header[c])).style(app.theme.bold))
        .block(b);
    f.render_widget(t, area);
}

/// `tags immutable except filters · pull-through cache of ghcr.io`: what ECR told of the
/// selected repository that has no column.
fn repo_details(r: &RepoRow, mutability: bool, upstream: bool) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(m) = r.tag_mutability.as_deref().filter(|_| mutability) {
        parts.push(format!("tags {}", mutability_word(m)));
    }
    if let Some(u) = r.pull_through_upstream.as_deref().filter(|_| upstream) {
        parts.push(format!("pull-through cache of {}", sanitize(u)));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Rows under the images table for the selected image's details: one when ECR scanned
/// any image of the list (the scan findings have no column at 80 or 120 columns).
pub fn images_details_rows(s: &ImagesScreen) -> u16 {
    let scanned = s
        .list
        .rows
        .ready()
        .is_some_and(|rows| rows.iter().any(|r| r.scan_findings.is_some()));
    u16::from(scanned)
}

/// `scan findings of good: 1 critical, 3 high`, or that the image is not scanned.
fn image_details(app: &App, r: &ImageRow) -> Line<'static> {
    let label = sanitize(&r.label());
    match &r.scan_findings {
        Some(counts) => {
            let serious = ["CRITICAL", "HIGH"]
                .iter()
                .any(|k| counts.get(*k).is_some_and(|n| *n > 0));
            Line::from(vec![
                Span::styled(format!("scan findings of {label}: "), app.theme.muted),
                Span::styled(
                    sanitize(&findings_text(counts)),
                    if serious {
                        app.theme.warn
                    } else {
                        app.theme.muted
                    },
                ),
            ])
        }
        None => Line::from(Span::styled(
            format!("{label} is not scanned by ECR"),
            app.theme.muted,
        )),
    }
}

/// `✗ FAIL entrypoint arch`: symbol and word first so it reads without colour. A verdict
/// the label alone suggests reads `? labelled arm64`: no PASS or FAIL until the files are read.
pub fn badge_spans(app: &App, b: &Summary) -> Vec<Span<'static>> {
    if !b.settled {
        let style = match b.verdict {
            Verdict::Pass => app.theme.muted,
            _ => app.theme.warn,
        };
        return vec![
            Span::styled("? ", style),
            Span::styled(sanitize(&b.note), style),
        ];
    }
    let (sym, style) = verdict_style(app, b.verdict);
    let note = if b.from_files {
        format!(" {}", b.note)
    } else {
        format!(" {} (manifest)", b.note)
    };
    vec![
        Span::styled(format!("{sym} {}", b.verdict_word()), style),
        Span::styled(sanitize(&note), app.theme.muted),
    ]
}

/// The symbol and colour of a verdict, the same on every screen.
pub fn verdict_style(app: &App, v: Verdict) -> (&'static str, Style) {
    match v {
        Verdict::Pass => ("✓", app.theme.pass),
        Verdict::Warn => ("!", app.theme.warn),
        Verdict::Fail => ("✗", app.theme.fail),
    }
}

/// The badge of a root on the active target, once its assessment exists.
fn root_badge(app: &App, info: &RootInfo) -> Line<'static> {
    match app.assessment(info, &app.target) {
        Some(a) => Line::from(badge_spans(app, &a.summary())),
        None => Line::from(Span::styled("…", app.theme.muted)),
    }
}

/// `amd64 arm64 +2 attestations +1 signature`; `compact` shortens the tail to `+2 att.`
/// for 80 columns. Attachments are named, never shown as platforms.
pub fn chips(app: &App, row: &ImageRow, info: &RootInfo, compact: bool) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    for p in info.platforms() {
        out.push(Span::styled(sanitize(&p), app.theme.accent));
        out.push(Span::raw(" "));
    }
    let tail: Vec<String> = attachments(row, Some(info))
        .into_iter()
        .map(|(a, n)| format!("+{}", a.counted(n, compact)))
        .collect();
    if !tail.is_empty() {
        out.push(Span::styled(tail.join(" "), app.theme.muted));
    }
    out
}

/// The automatic check's budget and what it left unread, for the images list's bottom line.
fn auto_legend(app: &App, a: AutoCheckState, width: u16) -> String {
    let c = app
        .keymap
        .keys(Bind::CheckAll)
        .first()
        .map_or_else(|| "c".to_string(), |k| k.to_string());
    let budget = format!(
        "auto-check: {} of {} used",
        human_size(a.used),
        human_size(a.limit)
    );
    let rest = match a.unread {
        0 => String::new(),
        1 => format!("; 1 image left unread: {c} checks all"),
        n => format!("; {n} images left unread: {c} checks all"),
    };
    let label = if width >= 120 && a.unread > 0 {
        "? = the label only · "
    } else {
        ""
    };
    format!(" {label}{budget}{rest} ")
}

pub fn images(f: &mut Frame, app: &App, area: Rect, s: &ImagesScreen) {
    let (repo, roots) = (&s.repo, &s.roots);
    let (rows, sel, filter) = (&s.list.rows, s.list.sel(), s.list.filter());
    let legend = match app.auto_check_state() {
        _ if app.origin.local => " ✓/✗ from the files of each image ".to_string(),
        Some(a) => auto_legend(app, a, area.width),
        None => " ? = the label only, until the files are read (Enter, or c for all) ".into(),
    };
    let b = block(app, format!("Images in {}", sanitize(repo)), filter)
        .title_bottom(Line::from(Span::styled(legend, app.theme.muted)));
    let Load::Ready(list) = rows else {
        return not_ready(f, app, area, rows, "images", b);
    };
    if s.list.filtered_out() {
        return filtered_out(f, app, area, filter, b);
    }
    let details = images_details_rows(s);
    let visible = s.list.visible();
    let height = area.height.saturating_sub(3 + details) as usize;
    let offset = scroll_offset(sel, height);
    let narrow = area.width < 100;
    let body: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, &idx)| {
            let r = list.get(idx)?;
            let root = roots.get(idx);
            let (kind, plat, badge, size, digest) = match (root, &r.unpullable) {
                (_, Some(u)) => (
                    "-".into(),
                    Line::from(Span::styled(
                        match (&u.since, narrow) {
                            (Some(t), true) => format!("since {}", day(t)),
                            (Some(t), false) => format!("since {} · unpullable", display_time(t)),
                            (None, _) => "pulls fail until restored".into(),
                        },
                        app.theme.warn,
                    )),
                    Line::from(Span::styled(
                        format!("⏸ {}", u.status.word().to_uppercase()),
                        app.theme.warn,
                    )),
                    r.size.map_or_else(|| "-".into(), human_size),
                    r.digest.as_ref().map_or_else(|| "-".into(), |d| d.short()),
                ),
                (Some(Load::Ready(info)), None) => (
                    if info.root.is_index { "index" } else { "image" }.to_string(),
                    Line::from(chips(app, r, info, area.width < 100)),
                    root_badge(app, info),
                    human_size(r.size.unwrap_or(info.size)),
                    info.root.digest.short(),
                ),
                (Some(Load::Failed(e)), None) => (
                    "?".into(),
                    Line::from(Span::styled(sanitize(e), app.theme.fail)),
                    Line::from(Span::styled("✗ unreadable", app.theme.fail)),
                    "-".into(),
                    r.digest.as_ref().map_or_else(|| "-".into(), |d| d.short()),
                ),
                _ => (
                    "…".into(),
                    Line::from(Span::styled("reading manifests…", app.theme.muted)),
                    Line::from(Span::styled("…", app.theme.muted)),
                    r.size.map_or_else(|| "-".into(), human_size),
                    r.digest.as_ref().map_or_else(|| "-".into(), |d| d.short()),
                ),
            };
            let tags = if r.tags.is_empty() {
                "<untagged>".to_string()
            } else {
                sanitize(&r.tags.join(", "))
            };
            let row = Row::new(vec![
                Cell::from(tags),
                Cell::from(digest.trim_start_matches("sha256:").to_string()),
                Cell::from(kind),
                Cell::from(plat),
                Cell::from(badge),
                Cell::from(size),
                Cell::from(
                    r.pushed
                        .as_deref()
                        .map_or_else(|| "-".to_string(), |t| sanitize(&display_time(t))),
                ),
            ]);
            Some(if i == sel {
                row.style(app.theme.selection)
            } else {
                row
            })
        })
        .collect();
    let widths = if narrow {
        vec![
            Constraint::Length(14),
            Constraint::Length(0),
            Constraint::Length(5),
            Constraint::Min(14),
            Constraint::Length(26),
            Constraint::Length(8),
            Constraint::Length(0),
        ]
    } else {
        // As wide as the longest tags (up to 14), so the platforms keep the room.
        let tag_w = list
            .iter()
            .map(|r| sanitize(&r.tags.join(", ")).chars().count().max(10))
            .max()
            .unwrap_or(10)
            .min(14) as u16;
        vec![
            Constraint::Length(tag_w),
            Constraint::Length(12),
            Constraint::Length(5),
            Constraint::Min(28),
            Constraint::Length(26),
            Constraint::Length(8),
            Constraint::Length(16),
        ]
    };
    let header = Row::new(vec![
        "TAG".to_string(),
        "DIGEST".into(),
        "KIND".into(),
        "PLATFORMS".into(),
        format!("ON {}", app.target.name.to_uppercase()),
        "SIZE".into(),
        "PUSHED".into(),
    ])
    .style(app.theme.bold);
    let table = Table::new(body, widths).header(header);
    if details == 0 {
        return f.render_widget(table.block(b), area);
    }
    let inner = b.inner(area);
    f.render_widget(b, area);
    let [rows, line] =
        ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(details)])
            .areas(inner);
    f.render_widget(table, rows);
    if let Some((_, r)) = s.list.selected() {
        f.render_widget(Paragraph::new(image_details(app, r)), line);
    }
}

pub fn index(f: &mut Frame, app: &App, area: Rect, s: &IndexScreen) {
    let (row, info, sel) = (&s.row, &s.info, s.sel);
    let b = block(app, format!("Index {}", sanitize(&row.label())), s.filter());
    let Load::Ready(info) = info else {
        return not_ready(f, app, area, info, "manifests", b);
    };
    let Some(a) = app.assessment(info, &app.target) else {
        return f.render_widget(Paragraph::new("…").block(b), area);
    };
    let inner = b.inner(area);
    f.render_widget(b, area);
    // The index-level verdict first: what the target's runtime does with this index.
    let head = index_headline(app, a);
    let head_h = (super::wrapped_height(&head, inner.width) as u16).min(inner.height / 2);
    let [top, list] =
        ratatui::layout::Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)])
            .areas(inner);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), top);

    if s.filtered_out() {
        f.render_widget(
            Paragraph::new(nothing_matches(s.filter())).style(app.theme.muted),
            list,
        );
        return;
    }
    let rows = s.rows();
    let height = list.height.saturating_sub(1) as usize;
    let offset = scroll_offset(sel, height);
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, r)| {
            let marked = |i: usize| {
                let d = info.root.entries.get(i).map(|e| &e.digest);
                s.diff_a.is_some() && s.diff_a.as_ref() == d
            };
            let (idx, indent) = match r {
                // The diff picker's A, while B is being chosen.
                IndexRow::Image(i) if marked(*i) => (*i, "A▸ "),
                IndexRow::Image(i) => (*i, ""),
                IndexRow::Attestation(i) => (*i, "  └ "),
                IndexRow::Other(i) => (*i, ""),
            };
            let e = info.root.entries.get(idx)?;
            let (what, verdict) = match r {
                IndexRow::Image(_) => (
                    e.platform
                        .as_ref()
                        .map_or_else(|| "?".to_string(), |p| p.to_string()),
                    match a.entry(&e.digest) {
                        Some(ea) => entry_cell(app, a, ea),
                        None => Line::from(""),
                    },
                ),
                IndexRow::Attestation(_) => (
                    "attestation".to_string(),
                    Line::from(Span::styled(
                        e.subject.as_deref().map_or_else(
                            || "no subject".to_string(),
                            |s| format!("of {}", short(s)),
                        ),
                        app.theme.muted,
                    )),
                ),
                IndexRow::Other(_) => (
                    "other artefact".to_string(),
                    Line::from(Span::styled("not runnable", app.theme.muted)),
                ),
            };
            let row = Row::new(vec![
                Cell::from(format!("{indent}{}", sanitize(&what))),
                Cell::from(e.digest.short()),
                Cell::from(human_size(e.size)),
                Cell::from(verdict),
            ]);
            Some(if i == sel {
                row.style(app.theme.selection)
            } else {
                row.style(Style::default())
            })
        })
        .collect();
    let header = Row::new(vec![
        "PLATFORM".to_string(),
        "DIGEST".into(),
        "MANIFEST".into(),
        format!("ON {}", app.target.name.to_uppercase()),
    ])
    .style(app.theme.bold);
    let table = Table::new(
        body,
        [
            Constraint::Length(16),
            Constraint::Length(19),
            Constraint::Length(8),
            Constraint::Min(20),
        ],
    )
    .header(header);
    f.render_widget(table, list);
}

/// `✗ FAIL on lambda — lambda refuses the index itself: nothing is pulled or run`; before
/// the pulled image is read, `? apprunner pulls … (label ok; files not read yet)`.
fn index_headline(app: &App, a: &Assessment) -> Vec<Line<'static>> {
    let s = a.summary();
    let decision = sanitize(&a.decision_text());
    let spans = if s.settled {
        let (sym, style) = verdict_style(app, s.verdict);
        vec![
            Span::styled(format!("{sym} {}", s.verdict_word()), style),
            Span::raw(format!(" on {} — {decision}", a.target.name)),
            Span::styled(format!(" ({})", sanitize(&s.note)), app.theme.muted),
        ]
    } else {
        vec![
            Span::styled("? ", app.theme.muted),
            Span::raw(decision),
            Span::styled(
                format!(" ({}; its files are not read yet)", sanitize(&s.note)),
                app.theme.muted,
            ),
        ]
    };
    vec![Line::from(spans)]
}

/// What the target does with one entry: pulls it (its verdict), or not (its files judged on
/// its own platform, said so), or would run it alone (an index refused).
fn entry_cell(app: &App, a: &Assessment, e: &EntryAssessment) -> Line<'static> {
    let muted = app.theme.muted;
    let verdict = |v: crate::verdict::Verdict| {
        let (sym, style) = verdict_style(app, v);
        Span::styled(format!("{sym} {}", v.word()), style)
    };
    match (&e.basis, e.verdict()) {
        (Basis::Pulled, Some(v)) => Line::from(vec![
            Span::styled("→ pulled ", app.theme.bold),
            verdict(v),
            Span::styled(format!(" {}", a.summary().note), muted),
        ]),
        (Basis::Pulled, None) => Line::from(vec![
            Span::styled("→ pulled", app.theme.bold),
            Span::styled("; Enter reads it, c reads all", muted),
        ]),
        (Basis::Alone, Some(v)) => Line::from(vec![
            Span::styled("not pulled (index refused); alone: ", muted),
            verdict(v),
        ]),
        (Basis::Alone, None) => Line::from(Span::styled(
            "not pulled (index refused); would run if pushed alone",
            muted,
        )),
        (Basis::OwnPlatform, Some(v)) => Line::from(vec![
            Span::styled("not pulled · own platform ", muted),
            verdict(v),
        ]),
        (Basis::OwnPlatform, None) => Line::from(Span::styled("not pulled", muted)),
        (Basis::Never, _) => Line::from(Span::styled("no platform: never pulled", muted)),
    }
}

/// `2026-11-27` from an RFC 3339 time (where a cell has room for the day only).
fn day(time: &str) -> String {
    sanitize(&display_time(time)).chars().take(10).collect()
}

fn short(digest: &str) -> String {
    let d = sanitize(digest);
    d.chars().take(19).collect()
}
