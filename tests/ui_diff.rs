//! The diff page of an index (`d`), rendered into ratatui's TestBackend from the real demo
//! layout and compared with accepted snapshots, as tests/ui_screens.rs does for the others.

mod ui_support;

use archlens::ui::app::ScreenKind;
use ui_support::Harness;

#[test]
fn d_on_the_mislabeled_index_shows_byte_identical_natives() {
    let mut h = Harness::demo();
    h.select_tag("mislabeled");
    h.keys(&["Enter"]);
    let index = h.render(120, 40);
    assert!(
        index.contains("d diff"),
        "the index footer offers the diff:\n{index}"
    );
    // `d` marks the selected entry (amd64) as A; `d` on it again takes arm64 as B.
    h.keys(&["d"]);
    assert!(h.render(120, 40).contains("A▸ linux/amd64"));
    h.keys(&["d"]);
    assert!(matches!(h.app.screen().unwrap().kind, ScreenKind::Diff(_)));
    let wide = h.render(120, 40);
    assert!(
        wide.contains("A linux/amd64") && wide.contains("B linux/arm64"),
        "{wide}"
    );
    assert!(wide.contains("mislabeled-platform"), "{wide}");
    assert!(
        wide.contains("the linux/arm64 entry holds amd64 binaries"),
        "{wide}"
    );
    let server = wide
        .lines()
        .find(|l| l.starts_with("│ ") && l.contains("/usr/local/bin/server"))
        .unwrap_or_else(|| panic!("no server row:\n{wide}"));
    assert!(
        server.contains(" = ") && server.contains("amd64    amd64"),
        "{server}"
    );
    insta::assert_snapshot!("diff_mislabeled_120x40", wide);
    let narrow = h.render(80, 24);
    assert!(narrow.contains("mislabeled-platform"), "{narrow}");
    insta::assert_snapshot!("diff_mislabeled_80x24", narrow);
    // Esc goes back to the index.
    h.keys(&["Esc"]);
    assert!(matches!(h.app.screen().unwrap().kind, ScreenKind::Index(_)));
}

#[test]
fn d_on_the_good_index_marks_each_native_file() {
    let mut h = Harness::demo();
    h.select_tag("good");
    h.keys(&["Enter", "d", "d"]);
    let s = h.render(120, 40);
    let row = |path: &str| {
        s.lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no {path}:\n{s}"))
            .to_string()
    };
    assert!(
        row("/usr/local/bin/server").contains(" ≠ amd64    arm64"),
        "{s}"
    );
    assert!(
        row("/lib/aarch64-linux-gnu/libc.so.6").contains(" B -        arm64"),
        "{s}"
    );
    assert!(
        row("/lib/x86_64-linux-gnu/libc.so.6").contains(" A amd64    -"),
        "{s}"
    );
    assert!(!s.contains("mislabeled-platform"), "{s}");
    insta::assert_snapshot!("diff_good_120x40", s);
    let help = {
        h.keys(&["Esc", "?"]);
        h.render(120, 40)
    };
    assert!(
        help.contains("diff two entries (d marks A, d/Enter marks B)"),
        "{help}"
    );
}

/// The picker: any two entries, in either order; Esc forgets A; `y` is offered on the page.
#[test]
fn d_then_enter_compares_the_two_entries_picked() {
    let mut h = Harness::demo();
    h.select_tag("good");
    // Rows: amd64, its attestation, arm64, its attestation.
    h.keys(&["Enter", "j", "j", "d"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("A▸ linux/arm64") && s.contains("select B and press d or Enter"),
        "{s}"
    );
    // Esc forgets A and stays on the index.
    h.keys(&["Esc"]);
    let s = h.render(120, 40);
    assert!(matches!(h.app.screen().unwrap().kind, ScreenKind::Index(_)));
    assert!(!s.contains("A▸") && s.contains("diff cancelled"), "{s}");
    // arm64 as A, then amd64 as B with Enter: the page says so, the other way round.
    h.keys(&["d", "g", "Enter"]);
    let s = h.render(120, 40);
    assert!(matches!(h.app.screen().unwrap().kind, ScreenKind::Diff(_)));
    assert!(
        s.contains("A linux/arm64") && s.contains("B linux/amd64"),
        "{s}"
    );
    let server = s
        .lines()
        .find(|l| l.contains("/usr/local/bin/server"))
        .unwrap_or_else(|| panic!("no server row:\n{s}"));
    assert!(server.contains(" ≠ arm64    amd64"), "{server}");
    assert!(s.contains("y copy command"), "{s}");
    h.keys(&["y"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("archlens diff oci:assets/demo:good --platforms linux/arm64,linux/amd64"),
        "{s}"
    );
}

/// The page scrolls by its rows as wrapped at the real width: at 80x24 `G` shows the last
/// line at the bottom and the title no longer says there is more.
#[test]
fn the_diff_page_scrolls_to_its_real_end_at_any_width() {
    for (w, ht) in [(80u16, 24u16), (120, 40)] {
        let mut h = Harness::demo();
        h.select_tag("good");
        h.keys(&["Enter", "d", "d"]);
        let top = h.render(w, ht);
        h.keys(&["G"]);
        let end = h.render(w, ht);
        assert!(!end.contains("(↓ more)"), "{end}");
        assert!(
            end.contains("Config"),
            "the page's end is on screen:\n{end}"
        );
        // One more step down changes nothing: the end is the end.
        h.keys(&["j"]);
        assert_eq!(h.render(w, ht), end);
        if top.contains("(↓ more)") {
            assert_ne!(top, end);
        }
    }
}
