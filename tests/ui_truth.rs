//! One truth: for every demo image and every built-in target, the explorer's screens say
//! exactly what `archlens check --format json` says — the first screen's badge, the index's
//! decision, the image screen of the entry the target pulls, and the verdict screen's row.
//! The explorer is driven through `App::update` and rendered into a TestBackend at 120x40
//! and 80x24; `check` runs as the real binary.

mod ui_support;

use archlens::ui::app::ScreenKind;
use serde_json::Value;
use ui_support::{DEMO_TAGS, Harness, check_demo};

/// Screen text with box drawing and line breaks folded into single spaces, so a sentence
/// wrapped across rows can be searched as one.
fn flat(screen: &str) -> String {
    screen
        .chars()
        .map(|c| {
            if "│┌┐└┘─".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows above the panes of the image screen: its headline.
fn headline(screen: &str) -> String {
    let head: Vec<&str> = screen
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("┌ Layers"))
        .collect();
    flat(&head.join("\n"))
}

struct Case<'a> {
    tag: &'a str,
    target: &'a str,
    word: String,
    predicted: Option<String>,
    decision: Value,
}

impl Case<'_> {
    fn what(&self) -> String {
        format!("{} on {}", self.tag, self.target)
    }
}

#[test]
fn every_screen_agrees_with_check_for_every_demo_image_and_target() {
    let mut checked = 0;
    for tag in DEMO_TAGS {
        for r in check_demo(tag) {
            let case = Case {
                tag,
                target: r["target"].as_str().expect("target"),
                word: r["verdict"].as_str().expect("verdict").to_uppercase(),
                predicted: r["predicted_error"].as_str().map(str::to_string),
                decision: r["decision"].clone(),
            };
            agree(&case);
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        DEMO_TAGS.len() * 6,
        "every built-in target was checked"
    );
}

fn agree(c: &Case) {
    let what = c.what();
    let mut h = Harness::demo();
    h.keys(&[":"]);
    h.typed(&format!("target {}", c.target));
    h.keys(&["Enter"]);
    assert_eq!(h.app.target.name, c.target);

    // 1. The first screen: the image's badge (the demo is local, so it comes from files).
    let list = h.render(120, 40);
    let row = list
        .lines()
        .find(|l| l.starts_with(&format!("│{} ", c.tag)))
        .unwrap_or_else(|| panic!("{what}: no row:\n{list}"));
    assert!(
        row.contains(&c.word) && !row.contains("? "),
        "{what}: check says {}, the list says:\n{row}",
        c.word
    );

    // 2. Open it. An index first states what the target does with it.
    h.select_tag(c.tag);
    h.keys(&["Enter"]);
    let kind = c.decision["kind"].as_str().expect("decision kind");
    if matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Index(_))) {
        let index = flat(&h.render(120, 40));
        let said = match kind {
            "pulls" => format!(
                "{} pulls the {} entry",
                c.target,
                c.decision["platform"].as_str().expect("platform")
            ),
            "no-match" => format!("{} pulls nothing", c.target),
            "refused" => format!("{} refuses the index itself", c.target),
            other => panic!("{what}: an index decided as {other}"),
        };
        assert!(
            index.contains(&format!("{} on {}", c.word, c.target)) && index.contains(&said),
            "{what}: check says {} ({said}); the index screen says:\n{index}",
            c.word
        );
        // Then the entry the target pulls (or would run were it pushed alone).
        let Some(digest) = c.decision["digest"]
            .as_str()
            .or(c.decision["would_match"].as_str())
        else {
            return; // Nothing to open: the pull fails, and the index said so.
        };
        open_entry(&mut h, digest, &what);
    } else {
        assert_eq!(kind, "single", "{what}: a single image on screen");
    }

    // 3. The image screen's headline, complete at both sizes.
    for (w, ht) in [(120, 40), (80, 24)] {
        let screen = h.render(w, ht);
        let head = headline(&screen);
        assert!(
            head.contains(&format!("{} on {}", c.word, c.target)),
            "{what} at {w}x{ht}: check says {}; the image screen says:\n{screen}",
            c.word
        );
        if let Some(p) = &c.predicted {
            assert!(
                head.contains(&flat(p)),
                "{what} at {w}x{ht}: the predicted error is not all there:\n{p}\n{screen}"
            );
        }
    }

    // 4. The verdict screen: the target's row, and its runtime line on the right.
    h.keys(&["v"]);
    let v = h.render(120, 40);
    let row = v
        .lines()
        .find(|l| l.contains(&format!("*{:<13}", c.target)))
        .unwrap_or_else(|| panic!("{what}: no verdict row:\n{v}"));
    assert!(row.contains(&c.word), "{what}: the verdict row says:\n{v}");
    if let Some(p) = &c.predicted {
        // The right pane only: the targets pane beside it would interleave its rows.
        let right: Vec<&str> = v
            .lines()
            .filter_map(|l| l.split_once("││").map(|(_, r)| r))
            .collect();
        assert!(
            flat(&right.join("\n")).contains(&flat(p)),
            "{what}: the verdict screen lacks {p}:\n{v}"
        );
    }
}

/// Selects the index row of `digest` and opens it.
fn open_entry(h: &mut Harness, digest: &str, what: &str) {
    let short: String = digest.chars().take(19).collect();
    let screen = h.render(120, 40);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("│linux/") || l.contains("└ attestation"))
        .collect();
    let pos = rows
        .iter()
        .position(|l| l.contains(&short))
        .unwrap_or_else(|| panic!("{what}: {short} is not listed:\n{screen}"));
    h.keys(&["g"]);
    for _ in 0..pos {
        h.keys(&["j"]);
    }
    h.keys(&["Enter"]);
    assert!(
        matches!(h.app.screen().map(|s| &s.kind), Some(ScreenKind::Image(_))),
        "{what}: Enter on {short} opens its image"
    );
}
