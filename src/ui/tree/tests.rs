//! The tree model on its own: no UI, no terminal.

use super::*;

fn file(path: &str, size: u64) -> Item<'_> {
    Item {
        path,
        kind: NodeKind::File,
        size,
        change: Some(Change::Added),
        layer: 0,
    }
}

fn sample() -> Tree {
    let mut marks = HashMap::new();
    marks.insert("/app/server", ArchMark::Arch(Arch::arm64()));
    marks.insert("/usr/bin/env", ArchMark::Arch(Arch::amd64()));
    marks.insert("/app/run.sh", ArchMark::Independent);
    let mut t = Tree::build(
        [
            file("/usr/bin/env", 40),
            file("/app/server", 1000),
            file("/app/run.sh", 10),
            file("/etc/hostname", 5),
        ],
        &marks,
    );
    t.set_target(Some("linux/amd64".parse().unwrap()));
    t
}

fn names(t: &Tree) -> Vec<String> {
    t.rows(0, usize::MAX)
        .map(|r| format!("{}{}", "  ".repeat(r.node.depth as usize - 1), r.name))
        .collect()
}

#[test]
fn a_file_a_finding_names_is_a_culprit_whatever_its_cpu() {
    let mut t = sample();
    let usr = t.find("/usr").unwrap();
    assert_eq!(t.mismatches_below(usr), 0, "amd64 env on an amd64 target");
    // A glibc amd64 binary in a musl image breaks it although its CPU matches.
    t.set_judgement(Some("linux/amd64".parse().unwrap()), &["/usr/bin/env"]);
    let env = t.find("/usr/bin/env").unwrap();
    assert_eq!(t.class(env), Some(Class::Mismatch));
    assert!(t.is_culprit(env));
    assert_eq!(t.mismatches_below(usr), 1);
    t.set_filter(Filter::OnlyMismatches);
    assert_eq!(names(&t), ["app", "  server", "usr", "  bin", "    env"]);
    // Judged again without findings: only the CPU decides.
    t.set_judgement(Some("linux/amd64".parse().unwrap()), &[]);
    assert_eq!(t.class(env), Some(Class::Match));
}

#[test]
fn starts_collapsed_and_expands_and_collapses() {
    let mut t = sample();
    assert_eq!(names(&t), ["app", "etc", "usr"]);
    t.expand();
    assert_eq!(names(&t), ["app", "  run.sh", "  server", "etc", "usr"]);
    t.expand(); // steps into the open directory
    assert_eq!(t.path_of(t.selected_id().unwrap()), "/app/run.sh");
    t.collapse(); // a file: goes to its parent
    assert_eq!(t.path_of(t.selected_id().unwrap()), "/app");
    t.collapse();
    assert_eq!(names(&t), ["app", "etc", "usr"]);
}

#[test]
fn sizes_sum_up_and_sort_by_size_puts_big_first() {
    let mut t = sample();
    let app = t.selected_id().unwrap();
    assert_eq!(t.node(app).unwrap().size, 1010);
    t.set_sort(SortBy::Size);
    assert_eq!(names(&t), ["app", "usr", "etc"]);
    // The selection follows the node, not the row.
    assert_eq!(t.path_of(t.selected_id().unwrap()), "/app");
}

#[test]
fn filters_keep_matching_files_and_their_directories() {
    let mut t = sample();
    t.set_filter(Filter::OnlyMismatches);
    assert_eq!(names(&t), ["app", "  server"]);
    t.set_filter(Filter::OnlyNative);
    assert_eq!(
        names(&t),
        ["app", "  run.sh", "  server", "usr", "  bin", "    env"]
    );
    t.set_filter(Filter::All);
    t.set_text_filter("HOST");
    assert_eq!(names(&t), ["etc", "  hostname"]);
}

#[test]
fn target_switch_changes_classes_and_mismatch_counts() {
    let mut t = sample();
    t.set_filter(Filter::OnlyMismatches);
    assert_eq!(t.mismatches_below(ROOT), 1);
    t.set_target(Some("linux/arm64".parse().unwrap()));
    assert_eq!(names(&t), ["usr", "  bin", "    env"]);
    assert!(t.reveal("/usr/bin/env"));
    let id = t.selected_id().unwrap();
    assert_eq!(t.class(id), Some(Class::Mismatch));
}

#[test]
fn reveal_opens_parents() {
    let mut t = sample();
    assert!(t.reveal("/usr/bin/env"));
    assert_eq!(t.path_of(t.selected_id().unwrap()), "/usr/bin/env");
    assert_eq!(names(&t), ["app", "etc", "usr", "  bin", "    env"]);
    assert!(!t.reveal("/nope"));
}

#[test]
fn a_hostile_deep_path_neither_overflows_nor_recurses() {
    let deep = "/a".repeat(100_000);
    let mut t = Tree::build([file(&deep, 1)], &HashMap::new());
    assert_eq!(t.len(), 100_000);
    assert!(t.reveal(&deep));
    assert_eq!(t.visible_len(), 100_000);
    assert_eq!(t.path_of(t.selected_id().unwrap()).len(), deep.len());
}

#[test]
fn two_hundred_thousand_files_build_filter_and_scroll_quickly() {
    let paths: Vec<String> = (0..200_000)
        .map(|i| format!("/usr/lib/pkg{}/sub{}/file{i}.py", i % 500, i % 7))
        .collect();
    let mut marks = HashMap::new();
    for p in paths.iter().step_by(1000) {
        marks.insert(p.as_str(), ArchMark::Arch(Arch::arm64()));
    }
    let start = std::time::Instant::now();
    let mut t = Tree::build(paths.iter().map(|p| file(p, 1)), &marks);
    t.set_target(Some("linux/amd64".parse().unwrap()));
    t.set_all_expanded(true);
    assert!(t.visible_len() > 200_000);
    t.set_filter(Filter::OnlyMismatches);
    assert_eq!(t.mismatches_below(ROOT), 200);
    t.set_filter(Filter::All);
    t.set_sort(SortBy::Size);
    for _ in 0..1000 {
        t.move_by(100);
        assert_eq!(t.rows(t.selected(), 40).count().min(1), 1);
    }
    // Generous bound for a debug build on a busy machine; the release numbers are in
    // docs/tui.md. This catches accidental quadratic work, not small regressions.
    let took = start.elapsed();
    assert!(took.as_secs() < 20, "200k-file tree took {took:?}");
}

#[test]
fn a_file_costs_the_tree_26_bytes_besides_its_name() {
    // A record, a flag byte and a child slot; a million files are 26 MB of tree, not 110.
    assert_eq!(std::mem::size_of::<Rec>(), 24);
    assert_eq!(std::mem::size_of::<Flags>(), 1);
    let paths: Vec<String> = (0..10_000).map(|i| format!("/d{}/f{i}", i % 10)).collect();
    let t = Tree::build(paths.iter().map(|p| file(p, 1)), &HashMap::new());
    assert_eq!(t.len(), 10_010);
    assert_eq!(
        t.children.len(),
        t.len(),
        "one child slot per node but the root"
    );
    assert!(t.links.is_empty() && t.marks.is_empty() && t.below.is_empty());
}

#[test]
fn links_keep_their_targets_and_layers_their_numbers() {
    let items = [
        Item {
            path: "/bin/sh",
            kind: NodeKind::Symlink("busybox".into()),
            size: 0,
            change: Some(Change::Modified),
            layer: 3,
        },
        Item {
            path: "/bin/ash",
            kind: NodeKind::Hardlink("/bin/busybox".into()),
            size: 0,
            change: None,
            layer: 70_000,
        },
    ];
    let t = Tree::build(items, &HashMap::new());
    let sh = t.node(t.find("/bin/sh").unwrap()).unwrap();
    assert_eq!(sh.kind, NodeKind::Symlink("busybox".into()));
    assert_eq!(
        (sh.change, sh.layer, sh.depth),
        (Some(Change::Modified), 3, 2)
    );
    let ash = t.node(t.find("/bin/ash").unwrap()).unwrap();
    assert_eq!(ash.kind, NodeKind::Hardlink("/bin/busybox".into()));
    assert_eq!((ash.change, ash.layer), (None, usize::from(u16::MAX)));
}

#[test]
fn guide_lines_show_which_folder_a_row_is_in() {
    let mut t = sample();
    t.set_all_expanded(true);
    let drawn: Vec<String> = t
        .rows(0, usize::MAX)
        .map(|r| format!("{}{}", t.guides(r.id), r.name))
        .collect();
    assert_eq!(
        drawn,
        [
            "├──app",
            "│  ├──run.sh",
            "│  └──server",
            "├──etc",
            "│  └──hostname",
            "└──usr",
            "   └──bin",
            "      └──env",
        ]
    );
    // A collapsed folder followed by a file: the file's branch is on the folder's level.
    t.set_all_expanded(false);
    let app = t.find("/app").unwrap();
    assert_eq!(t.guides(app), "├──");
    // Filtered, the last row shown closes its branch even when hidden siblings follow.
    t.set_text_filter("run");
    let run = t.find("/app/run.sh").unwrap();
    assert_eq!(t.guides(run), "   └──");
}

#[test]
fn tab_completes_paths_from_the_folder_typed() {
    let t = sample();
    assert_eq!(t.complete_path("/a"), ["/app/"]);
    assert_eq!(t.complete_path("/app/"), ["/app/run.sh", "/app/server"]);
    assert_eq!(t.complete_path("us"), ["usr/"]);
    assert!(t.complete_path("/nowhere/x").is_empty());
    assert!(
        t.complete_path("/etc/hostname/").is_empty(),
        "a file has no entries"
    );
}
