//! Every screen of the terminal UI rendered into ratatui's TestBackend at fixed sizes and
//! compared with the accepted snapshots in `tests/snapshots/`. The state comes from the real
//! demo layout (`assets/demo`), driven only through `App::update`, with the background jobs
//! run inline so the result does not depend on timing.

mod support;
mod ui_support;

use archlens::ui::Launch;
use archlens::ui::app::ScreenKind;
use ui_support::{Harness, demo_dir};

#[test]
fn repositories_and_images_with_badges_from_manifests() {
    let mut h = Harness::demo();
    // A local layout is one repository: the demo opens on its images; Esc shows the list.
    assert!(matches!(
        h.app.screen().unwrap().kind,
        ScreenKind::Images { .. }
    ));
    h.keys(&["Esc"]);
    let repos = h.render(80, 24);
    assert!(repos.contains("demo"), "{repos}");
    insta::assert_snapshot!("repos_80x24", repos);
    h.keys(&["Enter"]);
    let wide = h.render(120, 40);
    // Before any layer is read the single arm64 image already fails App Runner.
    let mac = wide
        .lines()
        .find(|l| l.contains("mac-arm64"))
        .unwrap_or_default();
    assert!(mac.contains("FAIL") && mac.contains("arm64"), "{wide}");
    let good = wide
        .lines()
        .find(|l| l.contains("good"))
        .unwrap_or_default();
    assert!(good.contains("amd64 arm64 +2 attestations"), "{wide}");
    assert!(good.contains("PASS"), "{wide}");
    insta::assert_snapshot!("images_120x40", wide);
    insta::assert_snapshot!("images_80x24", h.render(80, 24));
}

#[test]
fn check_all_reads_every_image_and_badges_follow_the_files() {
    let mut h = Harness::demo();
    h.keys(&["c"]);
    let s = h.render(120, 40);
    // Expected verdicts for App Runner: assets/demo/README.md.
    for (tag, word) in [
        ("good", "PASS"),
        ("mac-arm64", "FAIL"),
        ("mislabeled", "PASS"),
        ("python-wheel", "FAIL"),
        ("node-addon", "FAIL"),
        ("musl-glibc", "FAIL"),
        ("lambda-ok", "PASS"),
    ] {
        let line = s
            .lines()
            .find(|l| l.contains(&format!("│{tag} ")))
            .unwrap_or_else(|| panic!("{tag} is listed:\n{s}"));
        assert!(
            line.contains(word) && !line.contains("(manifest)"),
            "{tag} should be {word} from its files:\n{s}"
        );
    }
    insta::assert_snapshot!("images_checked_120x40", s);
}

#[test]
fn filter_as_you_type_on_images() {
    let mut h = Harness::demo();
    h.keys(&["/"]);
    h.typed("py");
    let s = h.render(80, 24);
    assert!(
        s.contains("python-wheel") && !s.contains("mac-arm64"),
        "{s}"
    );
    insta::assert_snapshot!("images_filtered_80x24", s);
}

#[test]
fn index_shows_attestations_under_their_subject() {
    let mut h = Harness::demo();
    h.select_tag("good");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    // The rows of the table (the headline above it names the pulled entry too).
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.starts_with("│linux/") || l.contains("└ attestation"))
        .collect();
    assert_eq!(rows.len(), 4, "two platforms and two attestations:\n{s}");
    assert!(
        s.contains("apprunner pulls the linux/amd64 entry"),
        "the index-level decision is stated:\n{s}"
    );
    assert!(
        rows[0].contains("linux/amd64") && rows[1].contains("attestation"),
        "{s}"
    );
    assert!(
        rows[2].contains("linux/arm64") && rows[3].contains("attestation"),
        "{s}"
    );
    insta::assert_snapshot!("index_good_120x40", s);
}

#[test]
fn index_entries_get_their_own_verdict_once_read() {
    let mut h = Harness::demo();
    h.select_tag("mislabeled");
    h.keys(&["Enter", "c", ":"]);
    h.typed("target graviton");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    // Graviton pulls the arm64 entry, whose files are amd64: it fails.
    let arm = s
        .lines()
        .find(|l| l.starts_with("│linux/arm64"))
        .unwrap_or_else(|| panic!("no arm64 row:\n{s}"));
    assert!(arm.contains("FAIL") && arm.contains("→ pulled"), "{s}");
    // The amd64 entry is never pulled by Graviton: not a failure for it.
    let amd = s
        .lines()
        .find(|l| l.starts_with("│linux/amd64"))
        .unwrap_or_else(|| panic!("no amd64 row:\n{s}"));
    assert!(amd.contains("not pulled") && !amd.contains("FAIL"), "{s}");
    insta::assert_snapshot!("index_mislabeled_graviton_120x40", s);
}

#[test]
fn failing_image_shows_verdict_culprit_and_details() {
    let mut h = Harness::demo();
    h.select_tag("mac-arm64");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    assert!(s.contains("FAIL on apprunner"), "{s}");
    assert!(s.contains("exec format error"), "{s}");
    // Guide lines: a file after a collapsed folder is on the folder's level, not in it.
    assert!(s.contains("│  └── sh → busybox"), "{s}");
    assert!(s.contains("├──▸ lib "), "{s}");
    insta::assert_snapshot!("image_mac_arm64_120x40", s);
    insta::assert_snapshot!("image_mac_arm64_80x24", h.render(80, 24));
    let big = h.render(200, 50);
    assert!(
        big.contains("-rwxr-xr-x"),
        "permissions in the details:\n{big}"
    );
    insta::assert_snapshot!("image_mac_arm64_200x50", big);
    // Only what App Runner cannot run, then the other way round after a target switch.
    h.keys(&["m"]);
    let only = h.render(120, 40);
    assert!(
        only.contains("only mismatches") && only.contains("✗arm64"),
        "{only}"
    );
    insta::assert_snapshot!("image_mac_arm64_mismatches_120x40", only);
    h.keys(&[":"]);
    h.typed("target graviton");
    h.keys(&["Enter"]);
    let grav = h.render(120, 40);
    assert!(
        grav.contains("target:graviton") && grav.contains("PASS on graviton"),
        "{grav}"
    );
    insta::assert_snapshot!("image_mac_arm64_graviton_120x40", grav);
}

#[test]
fn layer_view_sort_and_tabs() {
    let mut h = Harness::demo();
    h.select_tag("python-wheel");
    h.keys(&["Enter", "a", "s", "E", "Tab", "Tab"]);
    let s = h.render(120, 40);
    assert!(s.contains("only, by size"), "{s}");
    insta::assert_snapshot!("image_python_layer_by_size_120x40", s);
}

#[test]
fn verdict_screen_and_jump_to_the_file() {
    let mut h = Harness::demo();
    h.select_tag("node-addon");
    h.keys(&["v"]);
    let s = h.render(120, 40);
    assert!(s.contains("The runtime will print"), "{s}");
    assert!(s.contains("fix:"), "{s}");
    insta::assert_snapshot!("verdict_node_addon_120x40", s);
    insta::assert_snapshot!("verdict_node_addon_80x24", h.render(80, 24));
    h.keys(&["Tab", "Enter"]);
    let s = h.render(120, 40);
    let ScreenKind::Image(img) = &h.app.screen().unwrap().kind else {
        panic!("Enter on a finding opens the image screen:\n{s}")
    };
    let tree = img.tree.as_ref().expect("tree");
    let path = tree.path_of(tree.selected_id().expect("a selected file"));
    assert!(
        path.contains("/node_modules/@node-rs/crc32-linux-arm64-gnu"),
        "the arm64-only addon package is selected, got {path}"
    );
    insta::assert_snapshot!("verdict_jump_node_addon_120x40", s);
}

#[test]
fn overlays_help_targets_explain() {
    let mut h = Harness::demo();
    h.select_tag("mac-arm64");
    h.keys(&["?"]);
    let help = h.render(80, 24);
    assert!(help.contains("↓/j") && help.contains("move down"), "{help}");
    assert!(help.contains("Esc/Backspace"), "{help}");
    // Help on the images list: only what works there, and a sign that more is below.
    assert!(
        help.contains("Help: images screen") && help.contains("more)"),
        "{help}"
    );
    assert!(!help.contains("files: sort"), "{help}");
    insta::assert_snapshot!("help_80x24", help);
    h.keys(&["Esc", "t"]);
    insta::assert_snapshot!("targets_80x24", h.render(80, 24));
    h.keys(&["Esc", "Enter", "e"]);
    let ex = h.render(120, 40);
    assert!(ex.contains("single image"), "{ex}");
    assert!(ex.contains("App Runner runs linux/amd64"), "{ex}");
    insta::assert_snapshot!("explain_mac_arm64_120x40", ex);
    h.keys(&["Esc", "?"]);
    let image_help = h.render(120, 40);
    assert!(
        image_help.contains("Help: image screen") && image_help.contains("files: sort"),
        "{image_help}"
    );
    assert!(image_help.contains(":help"), "{image_help}");
    insta::assert_snapshot!("help_image_120x40", image_help);
    let big = h.render(200, 50);
    assert!(
        big.contains("next pane: layers → files → details → layers")
            && big.contains(":go PATH")
            && big.contains(":help"),
        "{big}"
    );
    insta::assert_snapshot!("help_image_200x50", big);
}

#[test]
fn open_goes_straight_to_the_image() {
    let mut h = Harness::launch(Launch::Open {
        reference: format!("oci:{}:musl-glibc", demo_dir().display()),
    });
    let s = h.render(120, 40);
    assert!(
        matches!(h.app.screen().unwrap().kind, ScreenKind::Image(_)),
        "{s}"
    );
    assert!(s.contains("no such file or directory"), "{s}");
}

#[test]
fn hostile_file_names_are_escaped() {
    let mut h = Harness::launch(Launch::Open {
        reference: "oci:/nonexistent/\u{1b}[31mred:x".into(),
    });
    let s = h.render(80, 24);
    assert!(!s.contains('\u{1b}'), "{s}");
    assert!(s.contains("\\u{1b}[31mred"), "{s}");
}

#[test]
fn explain_is_written_for_the_image_and_target() {
    let mut h = Harness::demo();
    h.select_tag("good");
    h.keys(&[":"]);
    h.typed("target lambda");
    h.keys(&["Enter", "e"]);
    let s = h.render(120, 40);
    assert!(s.contains("index (manifest list) of 2 images"), "{s}");
    assert!(
        s.contains("refuses an") && s.contains("index outright"),
        "{s}"
    );
    assert!(s.contains("attestations make even a one-platform"), "{s}");
    h.keys(&["Esc", ":"]);
    h.typed("target linux/s390x");
    h.keys(&["Enter", "e"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("no linux/s390x entry, so the pull fails before anything starts"),
        "{s}"
    );
}

#[test]
fn config_overlay_and_layer_details() {
    let mut h = Harness::demo();
    h.select_tag("mac-arm64");
    h.keys(&["Enter"]);
    let footer = h.render(120, 40);
    assert!(footer.contains("i config"), "{footer}");
    h.keys(&["i"]);
    let wide = h.render(120, 40);
    assert!(
        wide.contains("ENTRYPOINT") && wide.contains("[\"docker-entrypoint.sh\"]"),
        "{wide}"
    );
    assert!(
        wide.contains("HISTORY") && wide.contains("  1 COPY libc6:arm64"),
        "{wide}"
    );
    insta::assert_snapshot!("config_mac_arm64_120x40", wide);
    let small = h.render(80, 24);
    assert!(small.contains("ENTRYPOINT"), "{small}");
    insta::assert_snapshot!("config_mac_arm64_80x24", small);
    let big = h.render(200, 50);
    assert!(big.contains("LABELS"), "{big}");
    insta::assert_snapshot!("config_mac_arm64_200x50", big);
    // Esc closes the overlay, not the screen; then the Layers pane shows the layer itself.
    h.keys(&["Esc"]);
    assert!(h.render(80, 24).contains("Files: all layers"));
    h.keys(&["BackTab", "Home", "Down"]);
    let layer = h.render(120, 40);
    assert!(layer.contains("layer 2 of 4"), "{layer}");
    assert!(layer.contains("COPY busybox-static:arm64"), "{layer}");
    insta::assert_snapshot!("layer_details_mac_arm64_120x40", layer);
    insta::assert_snapshot!("layer_details_mac_arm64_80x24", h.render(80, 24));
}

#[test]
fn esc_clears_the_filter_before_leaving_and_footers_say_what_works() {
    let mut h = Harness::demo();
    h.select_tag("mac-arm64");
    h.keys(&["Enter", "/"]);
    h.typed("zzz");
    h.keys(&["Enter"]);
    let empty = h.render(120, 40);
    assert!(
        empty.contains("nothing matches `zzz` — Esc clears"),
        "{empty}"
    );
    h.keys(&["Esc"]);
    assert!(matches!(h.app.screen().unwrap().kind, ScreenKind::Image(_)));
    let cleared = h.render(120, 40);
    assert!(
        cleared.contains("filter cleared")
            && !cleared.contains("/zzz")
            && cleared.contains("busybox"),
        "{cleared}"
    );
    h.keys(&["Esc"]);
    assert!(matches!(
        h.app.screen().unwrap().kind,
        ScreenKind::Images(_)
    ));

    // The index footer offers `c`; on the repositories list `e` says what it does there.
    h.select_tag("good");
    h.keys(&["Enter"]);
    let index = h.render(120, 40);
    assert!(index.contains(" c check all "), "{index}");
    // The status announcing the work goes when the work is done.
    h.keys(&["c"]);
    let read = h.render(120, 40);
    assert!(!read.contains("reading the files of"), "{read}");
    h.keys(&["Esc", "Esc", "e"]);
    let repos = h.render(120, 40);
    assert!(repos.contains("e explains why an image runs"), "{repos}");
    assert!(!repos.contains("select an image first"), "{repos}");
}

#[test]
fn unknown_platform_targets_are_refused_and_raw_ones_can_be_removed() {
    let mut h = Harness::demo();
    h.keys(&[":"]);
    h.typed("target linux/arm46");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("unknown platform") && s.contains("linux/arm64"),
        "{s}"
    );
    assert!(!h.app.targets.iter().any(|t| t.name == "linux/arm46"));
    for cmd in [
        "target linux/s390x",
        "target apprunner",
        "target -linux/s390x",
    ] {
        h.keys(&[":"]);
        h.typed(cmd);
        h.keys(&["Enter"]);
    }
    let s = h.render(120, 40);
    assert!(s.contains("removed target linux/s390x"), "{s}");
    assert!(!h.app.targets.iter().any(|t| t.name == "linux/s390x"));
    h.keys(&[":"]);
    h.typed("target -apprunner");
    h.keys(&["Enter"]);
    assert!(h.render(120, 40).contains("built-in profile"));
}

#[test]
fn regex_and_inverted_filters_find_platforms_and_verdicts() {
    let mut h = Harness::demo();
    // Verdict words are searchable: everything that does not fail App Runner.
    h.keys(&["/"]);
    h.typed("!FAIL");
    let s = h.render(80, 24);
    for tag in ["good", "mislabeled", "lambda-ok"] {
        assert!(s.contains(&format!("│{tag} ")), "{tag} passes:\n{s}");
    }
    assert!(
        !s.contains("mac-arm64") && !s.contains("python-wheel"),
        "{s}"
    );
    insta::assert_snapshot!("images_not_fail_80x24", s);
    // Platforms too, and a regex.
    h.keys(&["Esc", "/"]);
    h.typed("^arm64$");
    let s = h.render(120, 40);
    assert!(s.contains("│mac-arm64 ") && s.contains("│good "), "{s}");
    assert!(!s.contains("lambda-ok"), "{s}");
    // Nothing left: the list says so and how to get out.
    h.keys(&["Esc", "/"]);
    h.typed("zzz");
    let s = h.render(200, 50);
    assert!(s.contains("nothing matches `zzz` — Esc clears"), "{s}");
    insta::assert_snapshot!("images_nothing_matches_200x50", s);
    // Esc on the input line closes it and clears the filter.
    h.keys(&["Esc"]);

    // The index filters its entries by platform.
    h.select_tag("good");
    h.keys(&["Enter", "/"]);
    h.typed("arm64");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("│linux/arm64") && !s.contains("│linux/amd64"),
        "{s}"
    );
    insta::assert_snapshot!("index_good_arm64_120x40", s);
    h.keys(&["/"]);
    h.typed("x");
    let s = h.render(80, 24);
    assert!(s.contains("nothing matches `arm64x` — Esc clears"), "{s}");
    h.keys(&["Esc", "Esc"]);

    // The tree: a regex on names keeps the folders down to what matches.
    h.select_tag("mac-arm64");
    h.keys(&["Enter", "/"]);
    h.typed("^busy");
    h.keys(&["Enter"]);
    let s = h.render(120, 40);
    assert!(
        s.contains("├──▾ bin") && s.contains("│  └── busybox "),
        "{s}"
    );
    assert!(!s.contains("sh → busybox"), "{s}");
    insta::assert_snapshot!("image_tree_regex_120x40", s);
    insta::assert_snapshot!("image_tree_regex_200x50", h.render(200, 50));
}

/// The viewer reads a file as the tree shows it: a raw `./etc//motd` name is `/etc/motd`,
/// a path written twice in one layer is its last copy, a hard link shows its target's bytes,
/// and a long line wraps instead of being cut at the frame.
#[test]
fn viewer_follows_the_trees_names_copies_and_hard_links() {
    use support::{Blob, Image, Layer, write_layout};
    let dir = tempfile::tempdir().unwrap();
    let long = format!("start {} end", "x".repeat(150));
    let tar = Layer::new()
        .raw_name_file(b"./etc//motd", b"welcome from motd\n")
        .file("app/run.sh", b"#!/bin/sh\necho first copy\n")
        .file("app/run.sh", b"#!/bin/sh\necho second copy\n")
        .hardlink("app/linked.sh", "app/run.sh")
        .file("app/long.txt", long.as_bytes())
        .tar();
    let image = Image {
        arch: "amd64".into(),
        layers: vec![Blob::gzip(&tar)],
    };
    write_layout(dir.path(), &[("t", &image)]);
    let mut h = Harness::launch(Launch::Layout {
        dir: dir.path().to_path_buf(),
    });
    h.select_tag("t");
    h.keys(&["Enter"]);
    let open = |h: &mut Harness, path: &str, w: u16, ht: u16| {
        if h.app.overlay.is_some() {
            h.keys(&["Esc"]);
        }
        h.keys(&[":"]);
        h.typed(&format!("go {path}"));
        h.keys(&["Enter", "Enter"]);
        let s = h.render(w, ht);
        assert!(
            s.contains(&format!(" {path}")),
            "the viewer is open on {path}:\n{s}"
        );
        s
    };
    let s = open(&mut h, "/etc/motd", 80, 24);
    assert!(s.contains("welcome from motd"), "{s}");
    let s = open(&mut h, "/app/run.sh", 80, 24);
    assert!(
        s.contains("echo second copy") && !s.contains("first copy"),
        "{s}"
    );
    let s = open(&mut h, "/app/linked.sh", 80, 24);
    assert!(
        s.contains("echo second copy"),
        "a hard link shows its target:\n{s}"
    );
    let s = open(&mut h, "/app/long.txt", 80, 24);
    // 160 columns in a frame of 78: every character is on screen, over three rows.
    let xs: usize = s
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| l.matches('x').count())
        .sum();
    assert!(
        s.contains("│start xxx") && s.contains("│ end ") && xs == 150,
        "the long line wraps:\n{s}"
    );
    // The header names the temporary directory: the snapshot is the frame below it.
    let frame: Vec<&str> = s.lines().skip(1).collect();
    insta::assert_snapshot!("viewer_long_line_80x24", frame.join("\n"));
    // Scrolling counts rows: one step down leaves the line's first row behind.
    h.keys(&["j"]);
    let s = h.render(80, 24);
    assert!(!s.contains("start xxx") && s.contains("│ end "), "{s}");
}

#[test]
fn enter_on_a_file_shows_its_first_bytes() {
    let mut h = Harness::demo();
    h.select_tag("mac-arm64");
    h.keys(&["Enter", ":"]);
    h.typed("go /usr/local/bin/docker-entrypoint.sh");
    h.keys(&["Enter", "Enter"]);
    let s = h.render(80, 24);
    assert!(
        s.contains("/usr/local/bin/docker-entrypoint.sh (y copies the path")
            && s.contains("#!/bin/sh"),
        "{s}"
    );
    insta::assert_snapshot!("viewer_script_80x24", s);
    h.keys(&["Esc", ":"]);
    h.typed("go /bin/busybox");
    h.keys(&["Enter", "Enter"]);
    let s = h.render(120, 40);
    // A binary: the classifiers' summary, then a hex dump of the first bytes read.
    assert!(s.contains("ELF executable, arm64 (aarch64)"), "{s}");
    assert!(s.contains("00000000  7f 45 4c 46"), "{s}");
    assert!(s.contains("first 65.5 kB of 1.8 MB"), "{s}");
    insta::assert_snapshot!("viewer_elf_120x40", s);
    insta::assert_snapshot!("viewer_elf_200x50", h.render(200, 50));
}

/// A verdict filter on an index keeps exactly the rows whose cell shows that word: the cell
/// and the filter read the same verdict of each entry.
#[test]
fn index_verdict_filter_keeps_the_rows_that_show_the_word() {
    let mut h = Harness::demo();
    h.select_tag("mislabeled");
    h.keys(&["Enter", "c"]);
    let all = h.render(120, 40);
    let rows = |s: &str, word: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("│linux/") && l.contains(word))
            .map(|l| l.split('│').nth(1).unwrap_or_default().trim().to_string())
            .collect()
    };
    for word in ["PASS", "FAIL"] {
        let shown = rows(&all, word);
        assert!(!shown.is_empty(), "some entry shows {word}:\n{all}");
        h.keys(&["/"]);
        h.typed(word);
        h.keys(&["Enter"]);
        let s = h.render(120, 40);
        let kept: Vec<String> = s
            .lines()
            .filter(|l| l.contains("│linux/"))
            .map(|l| l.split('│').nth(1).unwrap_or_default().trim().to_string())
            .collect();
        assert_eq!(
            kept, shown,
            "/{word} keeps the rows showing {word}:\n{all}\n{s}"
        );
        h.keys(&["Esc"]);
    }
}

/// The details say who owns a file: `owner 1000:1000` where the tar says so, `root` for
/// 0:0; a later layer's copy decides.
#[test]
fn details_show_the_owner_of_a_file() {
    use support::{Blob, Image, Layer, write_layout};
    let dir = tempfile::tempdir().unwrap();
    let base = Layer::new()
        .file_owned("home/app/data.txt", b"data", 1000, 1000)
        .file_owned("home/app/was-app.txt", b"x", 1000, 1000)
        .file("etc/motd", b"hi")
        .tar();
    let top = Layer::new().file("home/app/was-app.txt", b"y").tar();
    let image = Image {
        arch: "amd64".into(),
        layers: vec![Blob::gzip(&base), Blob::gzip(&top)],
    };
    write_layout(dir.path(), &[("t", &image)]);
    let mut h = Harness::launch(Launch::Layout {
        dir: dir.path().to_path_buf(),
    });
    h.select_tag("t");
    h.keys(&["Enter"]);
    let mut details = |path: &str| {
        h.keys(&[":"]);
        h.typed(&format!("go {path}"));
        h.keys(&["Enter"]);
        h.render(120, 40)
    };
    let s = details("/home/app/data.txt");
    assert!(s.contains("-rw-r-----  owner 1000:1000"), "{s}");
    // The header names the temporary directory: the snapshot is the screen below it.
    let below: Vec<&str> = s.lines().skip(1).collect();
    insta::assert_snapshot!("details_owner_120x40", below.join("\n"));
    let s = details("/etc/motd");
    assert!(s.contains("-rw-r--r--  root"), "{s}");
    let s = details("/home/app/was-app.txt");
    assert!(
        s.contains("-rw-r--r--  root") && !s.contains("owner 1000"),
        "{s}"
    );
}
