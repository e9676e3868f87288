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
    h.keys(&["Enter", "d"]);
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
    assert!(help.contains("diff two platforms"), "{help}");
}
