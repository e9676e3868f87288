//! The image screen, dive-like: the verdict line on top, layers and file details on the left,
//! the file tree on the right with artefacts marked against the target.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::{Areas, scroll_offset};
use crate::catalog::short_platform;
use crate::detect::{Artifact, Details};
use crate::oci::Platform;
use crate::scan::Change;
use crate::text::{human_size, sanitize};
use crate::ui::app::{App, ImageScreen, Load, Pane};
use crate::ui::tree::{Class, Filter, NodeKind, SortBy, View};
use crate::verdict::{self, Basis, TargetResult};

use super::lists::verdict_style;

fn pane_block<'a>(app: &App, title: String, focused: bool) -> Block<'a> {
    let style = if focused {
        app.theme.accent
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(
            title,
            if focused {
                app.theme.accent
            } else {
                app.theme.bold
            },
        ))
}

pub fn draw(f: &mut Frame, app: &App, a: &Areas, s: &ImageScreen) {
    summary(f, app, a.summary, s);
    layers(f, app, a.layers, s);
    files(f, app, a.files, s);
    details(f, app, a.details, s);
}

fn summary(f: &mut Frame, app: &App, area: Rect, s: &ImageScreen) {
    let th = &app.theme;
    match &s.image {
        Load::Loading(_) => {
            let (ratio, label) = match app.progress_of(&s.digest) {
                Some(p) => {
                    let total = p.bytes_total.load(Ordering::Relaxed);
                    let read = p.bytes_read.load(Ordering::Relaxed);
                    let ratio = if total == 0 {
                        0.0
                    } else {
                        (read as f64 / total as f64).min(1.0)
                    };
                    (
                        ratio,
                        format!(
                            "reading layers {}/{}  {} of {}  (Esc cancels)",
                            p.layers_done.load(Ordering::Relaxed),
                            p.layers_total.load(Ordering::Relaxed),
                            human_size(read),
                            human_size(total)
                        ),
                    )
                }
                None => (0.0, "waiting for a worker…".to_string()),
            };
            f.render_widget(
                Gauge::default()
                    .ratio(ratio)
                    .label(label)
                    .gauge_style(th.accent),
                area,
            );
        }
        Load::Failed(e) => {
            f.render_widget(
                Paragraph::new(format!(
                    "could not read this image: {}. Press r to retry.",
                    sanitize(e)
                ))
                .style(th.fail)
                .wrap(Wrap { trim: true }),
                area,
            );
        }
        Load::Ready(_) => {
            f.render_widget(
                Paragraph::new(headline(app, s)).wrap(Wrap { trim: true }),
                area,
            );
        }
    }
}

/// The headline of an image screen: what the active target does with this entry, the line
/// its runtime will print, the file and the fix — all from the entry's assessment.
pub fn headline(app: &App, s: &ImageScreen) -> Vec<Line<'static>> {
    let th = &app.theme;
    let Some(a) = app.assessment(&s.info, &app.target) else {
        return vec![Line::from(Span::styled("…", th.muted))];
    };
    let Some(e) = a.entry(&s.digest) else {
        return vec![Line::from(Span::styled("…", th.muted))];
    };
    let t = &a.target;
    let mut out = Vec::new();
    // The result this screen is about, and what it is judged on.
    let shown = match e.basis {
        Basis::Pulled => a.result.as_ref(),
        Basis::Alone => {
            // The target refuses the index: that is its verdict; the entry alone comes second.
            if let Some(r) = &a.result {
                out.push(verdict_line(
                    app,
                    r,
                    &format!("on {} ({})", t.name, t.platform),
                ));
            }
            out.push(Line::from(Span::raw(format!(
                "{}. This entry pushed alone:",
                sanitize(&a.decision_text())
            ))));
            e.files.as_ref()
        }
        Basis::OwnPlatform | Basis::Never => {
            out.push(Line::from(vec![
                Span::styled(format!("not pulled by {}: ", t.name), th.bold),
                Span::raw(sanitize(&a.decision_text())),
                Span::styled(
                    a.result
                        .as_ref()
                        .map_or_else(String::new, |r| format!(" ({})", r.verdict.word())),
                    th.muted,
                ),
            ]));
            e.files.as_ref()
        }
    };
    let Some(r) = shown else {
        if a.result.is_none() || e.basis != Basis::Pulled {
            out.push(Line::from(Span::styled(
                "the files of this entry are not judged yet",
                th.muted,
            )));
        }
        return out;
    };
    let on = match e.basis {
        Basis::Pulled | Basis::Alone => format!("on {} ({})", t.name, t.platform),
        _ => format!("on its own platform {}", r.platform),
    };
    if e.basis == Basis::Alone {
        if let Some(last) = out.last_mut() {
            let (sym, style) = verdict_style(app, r.verdict);
            last.spans
                .push(Span::styled(format!(" {sym} {}", r.verdict.word()), style));
        }
    } else {
        out.push(verdict_line(app, r, &on));
    }
    match r
        .findings
        .iter()
        .find(|f| f.severity >= verdict::Severity::Warning)
    {
        Some(fi) => {
            out.push(Line::from(vec![
                // The file, unless the message already names it (then it would read twice).
                Span::styled(
                    fi.path
                        .as_deref()
                        .filter(|p| !fi.message.contains(*p))
                        .map_or_else(String::new, |p| format!("{}: ", sanitize(p))),
                    th.bold,
                ),
                Span::raw(sanitize(&fi.message)),
            ]));
            if let Some(fix) = &fi.fix {
                out.push(Line::from(vec![
                    Span::styled("fix: ", th.muted),
                    Span::styled(sanitize(fix), th.accent),
                ]));
            }
        }
        None => out.push(Line::from(Span::styled(
            "what starts matches this platform; v shows every target, e explains",
            th.muted,
        ))),
    }
    out
}

/// `✗ FAIL on apprunner (linux/amd64) ⇒ exec /app/server: exec format error`.
fn verdict_line(app: &App, r: &TargetResult, on: &str) -> Line<'static> {
    let (sym, style) = verdict_style(app, r.verdict);
    let mut spans = vec![
        Span::styled(format!("{sym} {} ", r.verdict.word()), style),
        Span::raw(format!("{on} ")),
    ];
    if let Some(e) = &r.predicted_error {
        spans.push(Span::styled(format!("⇒ {}", sanitize(e)), style));
    }
    Line::from(spans)
}

fn layers(f: &mut Frame, app: &App, area: Rect, s: &ImageScreen) {
    let th = &app.theme;
    let b = pane_block(app, " Layers ".into(), s.pane == Pane::Layers);
    let Load::Ready(img) = &s.image else {
        f.render_widget(Paragraph::new("…").style(th.muted).block(b), area);
        return;
    };
    let height = area.height.saturating_sub(2) as usize;
    let offset = scroll_offset(s.layer, height);
    let judged = s.judgement.platform.as_ref();
    let lines: Vec<Line> = img
        .layers
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, l)| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for a in &l.scan.artifacts {
                if let Some(arch) = &a.arch {
                    *counts
                        .entry(short_platform(&Platform::linux(arch.clone())))
                        .or_default() += 1;
                }
            }
            let mut spans = vec![Span::raw(format!(
                "{:>2} {:>7} ",
                i + 1,
                human_size(l.size)
            ))];
            for (arch, n) in counts {
                let ok = judged.is_some_and(|t| t.runs_arch(&crate::oci::Arch::new(&arch, None)));
                let style = if ok { th.matches } else { th.mismatch };
                spans.push(Span::styled(
                    format!("{}{arch}×{n} ", if ok { "✓" } else { "✗" }),
                    style,
                ));
            }
            let created = l.created_by.as_deref().unwrap_or("(no history)");
            let created = created
                .trim_start_matches("/bin/sh -c ")
                .trim_start_matches("#(nop) ");
            spans.push(Span::styled(sanitize(created), th.muted));
            let line = Line::from(spans);
            if i == s.layer {
                line.style(th.selection)
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(b), area);
}

fn files(f: &mut Frame, app: &App, area: Rect, s: &ImageScreen) {
    let th = &app.theme;
    let view = match s.view {
        View::Merged => "all layers".to_string(),
        View::Layer => format!("layer {} only", s.layer + 1),
    };
    let mut title = format!(" Files: {view}");
    if let Some(t) = &s.tree {
        if t.sort() == SortBy::Size {
            title.push_str(", by size");
        }
        match t.filter() {
            Filter::All => {}
            Filter::OnlyNative => title.push_str(", only native"),
            Filter::OnlyMismatches => title.push_str(", only mismatches"),
        }
        if !t.text_filter().is_empty() {
            title.push_str(&format!(", /{}", sanitize(t.text_filter())));
        }
    }
    title.push(' ');
    let arch = s
        .judgement
        .platform
        .as_ref()
        .map_or_else(|| "?".to_string(), short_platform);
    let legend = Line::from(vec![
        Span::styled(format!(" ✓ runs on {arch} "), th.matches),
        Span::styled(" ✗ does not, or a finding names it ", th.mismatch),
        Span::styled(" ○ any arch ", th.independent),
        Span::styled(" A/M/D added/modified/deleted ", th.muted),
    ]);
    let b = pane_block(app, title, s.pane == Pane::Files).title_bottom(legend);
    let Some(tree) = &s.tree else {
        let msg = match &s.image {
            Load::Failed(_) => "no files: the image could not be read",
            _ => "reading layers…",
        };
        f.render_widget(Paragraph::new(msg).style(th.muted).block(b), area);
        return;
    };
    let inner_w = area.width.saturating_sub(2) as usize;
    let height = area.height.saturating_sub(2) as usize;
    if tree.visible_len() == 0 {
        let msg = match tree.filter() {
            _ if !tree.pattern().is_empty() => super::lists::nothing_matches(tree.text_filter()),
            Filter::OnlyMismatches => {
                format!("no file in this view is built for another CPU than {arch}")
            }
            Filter::OnlyNative => "no native artefact in this view".to_string(),
            Filter::All if tree.is_empty() => "this layer has no files".to_string(),
            Filter::All => "nothing matches the filter (Esc clears it)".to_string(),
        };
        f.render_widget(Paragraph::new(msg).style(th.muted).block(b), area);
        return;
    }
    let offset = scroll_offset(tree.selected(), height);
    let lines: Vec<Line> = tree
        .rows(offset, height)
        .enumerate()
        .map(|(i, row)| {
            let n = row.node;
            let (mark, mstyle) = match n.change {
                Some(Change::Added) => ("A", th.added),
                Some(Change::Modified) => ("M", th.modified),
                Some(Change::Deleted) => ("D", th.deleted),
                None => (" ", Style::default()),
            };
            // `│  ├──▸ bin`: the branch ends in the folder's arrow, so a child's branch
            // hangs right under its folder's arrow.
            let indent = tree.guides(row.id);
            let icon = if n.is_dir() {
                if row.expanded { "▾ " } else { "▸ " }
            } else {
                " "
            };
            let mut name = sanitize(row.name);
            match &n.kind {
                NodeKind::Symlink(t) => name.push_str(&format!(" → {}", sanitize(t))),
                NodeKind::Hardlink(t) => name.push_str(&format!(" ⇒ {}", sanitize(t))),
                _ => {}
            }
            let (tag, tstyle) = match tree.class(row.id) {
                Some(Class::Match) => (format!("✓{}", mark_arch(row.mark)), th.matches),
                Some(Class::Mismatch) => (format!("✗{}", mark_arch(row.mark)), th.mismatch),
                Some(Class::Independent) => ("○".to_string(), th.independent),
                None if n.is_dir() && tree.mismatches_below(row.id) > 0 => (
                    format!("✗{} inside", tree.mismatches_below(row.id)),
                    th.mismatch,
                ),
                None => (String::new(), Style::default()),
            };
            let size = if n.change == Some(Change::Deleted) {
                String::new()
            } else {
                human_size(n.size)
            };
            let left = format!("{indent}{icon}{name}");
            let right = format!(" {tag} {size:>7}");
            let pad = inner_w.saturating_sub(2 + left.chars().count() + right.chars().count());
            let left: String = if 2 + left.chars().count() + right.chars().count() > inner_w {
                left.chars()
                    .take(inner_w.saturating_sub(3 + right.chars().count()))
                    .collect::<String>()
                    + "…"
            } else {
                left
            };
            let name_style = match tree.class(row.id) {
                Some(Class::Mismatch) => th.mismatch,
                _ if n.is_dir() => th.bold,
                _ => Style::default(),
            };
            let line = Line::from(vec![
                Span::styled(format!("{mark} "), mstyle),
                Span::styled(left, name_style),
                Span::raw(" ".repeat(pad)),
                Span::styled(format!(" {tag}"), tstyle),
                Span::raw(format!(" {size:>7}")),
            ]);
            if offset + i == tree.selected() && s.pane == Pane::Files {
                line.style(th.selection)
            } else if offset + i == tree.selected() {
                line.style(th.bold)
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(b), area);
}

/// `drwxr-xr-x`, `-rwsr-xr-x`: the mode as `ls -l` prints it.
pub fn permissions(kind: &NodeKind, mode: u32) -> String {
    let mut out = String::with_capacity(10);
    out.push(match kind {
        NodeKind::Dir => 'd',
        NodeKind::Symlink(_) => 'l',
        NodeKind::File | NodeKind::Hardlink(_) => '-',
        NodeKind::Other => '?',
    });
    // (read, write, execute bits; the special bit shown in the execute column and its letter)
    let triads = [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')];
    for (shift, special, letter) in triads {
        let bits = (mode >> shift) & 0o7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(match (bits & 1 != 0, mode & special != 0) {
            (true, true) => letter,
            (false, true) => letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    out
}

fn mark_arch(m: &crate::ui::tree::ArchMark) -> String {
    match m {
        crate::ui::tree::ArchMark::Arch(a) => short_platform(&Platform::linux(a.clone())),
        crate::ui::tree::ArchMark::Foreign(cpu) => format!("{} (not Linux)", sanitize(cpu)),
        _ => String::new(),
    }
}

fn details(f: &mut Frame, app: &App, area: Rect, s: &ImageScreen) {
    let th = &app.theme;
    let b = pane_block(app, " Details ".into(), s.pane == Pane::Details);
    if let (Pane::Layers, Load::Ready(img)) = (s.pane, &s.image) {
        let lines = super::config::layer_lines(app, img, s.layer);
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(b),
            area,
        );
        return;
    }
    let (Load::Ready(img), Some(tree)) = (&s.image, &s.tree) else {
        f.render_widget(Paragraph::new("").block(b), area);
        return;
    };
    let Some(id) = tree.selected_id() else {
        f.render_widget(Paragraph::new("").block(b), area);
        return;
    };
    let path = tree.path_of(id);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(sanitize(&path), th.bold))];
    if let Some(n) = tree.node(id) {
        let kind = match &n.kind {
            NodeKind::Dir => format!(
                "directory, {} below, {} native",
                human_size(n.size),
                tree.native_below(id)
            ),
            NodeKind::File => format!("file, {}", human_size(n.size)),
            NodeKind::Symlink(t) => format!("symlink to {}", sanitize(t)),
            NodeKind::Hardlink(t) => format!("hard link to {}", sanitize(t)),
            NodeKind::Other => {
                if n.change == Some(Change::Deleted) {
                    "deleted".to_string()
                } else {
                    "special file".to_string()
                }
            }
        };
        let node = img.fs.get(&path);
        // The tar header's mode and owner (`root` for 0:0, as most files are).
        let mode = node
            .as_ref()
            .filter(|_| n.change != Some(Change::Deleted))
            .map_or_else(String::new, |x| {
                let owner = match img.fs.owner(&path) {
                    Some((0, 0)) | None => "root".to_string(),
                    Some((uid, gid)) => format!("owner {uid}:{gid}"),
                };
                format!("  {}  {owner}", permissions(&n.kind, x.entry.mode))
            });
        lines.push(Line::from(vec![
            Span::raw(kind),
            Span::styled(mode, th.muted),
        ]));
        if let Some(node) = node {
            let hist: Vec<String> = node
                .history
                .iter()
                .map(|(l, c)| {
                    format!(
                        "{} in layer {}",
                        match c {
                            Change::Added => "added",
                            Change::Modified => "modified",
                            Change::Deleted => "deleted",
                        },
                        l + 1
                    )
                })
                .collect();
            lines.push(Line::from(Span::styled(hist.join(", "), th.muted)));
        }
    }
    let arts: Vec<&Artifact> = img
        .fs
        .artifacts
        .iter()
        .map(|(_, a)| a)
        .filter(|a| a.path == path || a.container.as_deref() == Some(path.as_str()))
        .collect();
    for a in arts {
        lines.push(Line::from(""));
        lines.extend(artifact_lines(app, s, a));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((s.detail_scroll, 0))
            .block(b),
        area,
    );
}

pub(super) fn artifact_lines(app: &App, s: &ImageScreen, a: &Artifact) -> Vec<Line<'static>> {
    let th = &app.theme;
    let mut out = Vec::new();
    let named = s.judgement.culprits.contains(&a.path);
    let class = if named {
        Some(Class::Mismatch)
    } else {
        crate::ui::tree::class_of(&crate::ui::tree::mark_of(a), s.judgement.platform.as_ref())
    };
    let (sym, style) = match class {
        Some(Class::Match) => ("✓", th.matches),
        Some(Class::Mismatch) => ("✗", th.mismatch),
        _ => ("○", th.independent),
    };
    let inner = if a.container.is_some() {
        format!(" {}", sanitize(&a.path))
    } else {
        String::new()
    };
    out.push(Line::from(vec![
        Span::styled(format!("{sym} {}", a.describe()), style),
        Span::raw(inner),
    ]));
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k}: "), th.muted),
            Span::raw(sanitize(&v)),
        ])
    };
    if let Some(l) = &a.libc {
        out.push(kv("libc", l.name().to_string()));
    }
    if let Some(i) = &a.interpreter {
        out.push(kv("interpreter", i.clone()));
    }
    let elf = |out: &mut Vec<Line<'static>>, e: &crate::detect::ElfInfo| {
        out.push(kv("ELF", e.header_words()));
        if let Some(g) = &e.min_glibc {
            out.push(kv("min glibc", g.clone()));
        }
        if !e.needed.is_empty() {
            out.push(kv("needs", e.needed.join(" ")));
        }
        if let Some(c) = &e.claimed_arch {
            out.push(kv("its path claims", c.to_string()));
        }
        for n in &e.notes {
            out.push(kv("note", n.clone()));
        }
    };
    match &a.details {
        Details::Elf(e) => elf(&mut out, e),
        Details::Go { elf: e, go } => {
            if let Some(e) = e {
                elf(&mut out, e);
            }
            out.push(kv(
                "Go",
                format!(
                    "{} GOOS={} GOARCH={}{}{}",
                    go.go_version.as_deref().unwrap_or("?"),
                    go.goos.as_deref().unwrap_or("?"),
                    go.goarch.as_deref().unwrap_or("?"),
                    go.goarch_level
                        .as_deref()
                        .map_or_else(String::new, |l| format!(" ({l})")),
                    go.cgo
                        .map_or_else(String::new, |c| format!(" CGO_ENABLED={}", u8::from(c)))
                ),
            ));
            if let Some(m) = &go.module {
                out.push(kv("module", m.clone()));
            }
        }
        Details::MachO(x) | Details::Pe(x) => out.push(kv(
            "binary",
            format!("{} (never runs on Linux)", x.description),
        )),
        Details::Wheel(w) => {
            out.push(kv(
                "wheel",
                format!(
                    "{} {}",
                    w.name.as_deref().unwrap_or("?"),
                    w.version.as_deref().unwrap_or("")
                ),
            ));
            for t in &w.tags {
                out.push(kv("tag", t.clone()));
            }
        }
        Details::NodePackage(n) => {
            out.push(kv(
                "package",
                format!(
                    "{} {}",
                    n.name.as_deref().unwrap_or("?"),
                    n.version.as_deref().unwrap_or("")
                ),
            ));
            out.push(kv(
                "os/cpu/libc",
                [&n.os, &n.cpu, &n.libc]
                    .map(|v| {
                        if v.is_empty() {
                            "any".to_string()
                        } else {
                            v.join(",")
                        }
                    })
                    .join(" / "),
            ));
        }
        Details::Jar(j) => {
            out.push(kv("jar", format!("{} entries", j.entries)));
            for l in j.native_libraries.iter().take(20) {
                out.push(kv("native", l.clone()));
            }
            for n in j.nested_jars.iter().take(20) {
                out.push(kv("nested", n.clone()));
            }
            if let Some(w) = &j.not_inspected {
                out.push(kv("not inspected", w.clone()));
            }
        }
        Details::PackageDb(p) => {
            out.push(kv("packages", format!("{} ({})", p.packages, p.manager)));
            let archs: Vec<String> = p
                .architectures
                .iter()
                .map(|(a, n)| format!("{a}:{n}"))
                .collect();
            out.push(kv("architectures", archs.join(" ")));
        }
        Details::Script(sc) => out.push(kv(
            "shebang",
            format!("{} {}", sc.interpreter, sc.args.join(" ")),
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_ls_prints_them() {
        assert_eq!(permissions(&NodeKind::File, 0o755), "-rwxr-xr-x");
        assert_eq!(permissions(&NodeKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(permissions(&NodeKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(permissions(&NodeKind::File, 0o2644), "-rw-r-Sr--");
        assert_eq!(
            permissions(&NodeKind::Symlink("x".into()), 0o777),
            "lrwxrwxrwx"
        );
    }
}
