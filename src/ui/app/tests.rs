//! Model tests: drive `App::update` with keys and canned answers, check the state.

use super::fixture::*;
use super::*;
use crate::ui::keymap::KeyPress;
use crate::ui::tree::Filter;
use crate::verdict::Verdict;
use std::sync::atomic::Ordering;

fn kind(app: &App) -> &ScreenKind {
    &app.screen().unwrap().kind
}

#[test]
fn navigation_stack_enter_and_back() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    assert!(
        matches!(kind(&app), ScreenKind::Repos(s) if s.list.rows.ready().is_some_and(|r| r.len() == 1))
    );
    key(&mut app, "Enter");
    let ScreenKind::Images(ImagesScreen { roots, .. }) = kind(&app) else {
        panic!("not images")
    };
    assert_eq!(roots.len(), 2);
    assert!(roots.iter().all(|r| r.ready().is_some()));
    key(&mut app, "Enter"); // mac-arm64: a single image goes straight to its files
    let ScreenKind::Image(s) = kind(&app) else {
        panic!("not image")
    };
    assert!(s.tree.is_some());
    key(&mut app, "Esc");
    key(&mut app, "j");
    key(&mut app, "Enter"); // good: an index
    assert!(matches!(kind(&app), ScreenKind::Index { .. }));
    assert_eq!(app.stack.len(), 3);
    key(&mut app, "Backspace");
    key(&mut app, "Esc");
    assert!(matches!(kind(&app), ScreenKind::Repos { .. }));
    key(&mut app, "Esc"); // the first screen stays
    assert_eq!(app.stack.len(), 1);
    // In lists, l opens and h goes back.
    key(&mut app, "l");
    assert!(matches!(kind(&app), ScreenKind::Images { .. }));
    key(&mut app, "h");
    assert!(matches!(kind(&app), ScreenKind::Repos { .. }));
}

#[test]
fn badges_come_from_manifests_then_files_and_follow_the_target() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "Enter");
    let (_, info) = app.current_root().unwrap();
    let badge = |app: &App| app.assessment(&info, &app.target).unwrap().summary();
    let b = badge(&app);
    assert_eq!(
        (b.verdict, b.from_files, b.settled, b.note.as_str()),
        (Verdict::Fail, false, false, "labelled arm64")
    );
    // `:target graviton` switches every badge.
    keys(
        &mut app,
        &[
            ":", "t", "a", "r", "g", "e", "t", " ", "g", "r", "a", "v", "i", "t", "o", "n", "Enter",
        ],
    );
    assert_eq!(app.target.name, "graviton");
    let b = badge(&app);
    assert_eq!(b.verdict, Verdict::Pass);
    // Opening the image reads its files: the badge now comes from them.
    key(&mut app, "Enter");
    key(&mut app, "Esc");
    let b = badge(&app);
    assert_eq!((b.verdict, b.from_files), (Verdict::Pass, true));
    // The picker: `t`, down to fargate (second), Enter.
    keys(&mut app, &["t", "g", "j", "Enter"]);
    assert_eq!(app.target.name, "fargate");
    let b = badge(&app);
    assert_eq!((b.verdict, b.from_files), (Verdict::Fail, true));
}

#[test]
fn results_for_a_screen_left_are_dropped_and_its_work_cancelled() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "Enter");
    // Open the image but do not answer the analysis yet.
    let req = open_without_answer(&mut app);
    assert!(app.busy());
    key(&mut app, "Esc");
    assert!(
        req.cancel.load(Ordering::Relaxed),
        "leaving the screen cancels its work"
    );
    let depth = app.stack.len();
    app.update(Action::Done(Box::new(answer(&req))));
    assert!(app.images.is_empty(), "a late result is dropped");
    assert_eq!(app.stack.len(), depth);
    assert!(!app.busy());
}

#[test]
fn verdict_finding_jumps_to_the_file_in_the_tree() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    keys(&mut app, &["Enter", "v"]);
    let ScreenKind::Verdict(VerdictScreen {
        info, sel_target, ..
    }) = kind(&app)
    else {
        panic!("not verdict")
    };
    assert_eq!(app.targets[*sel_target].name, "apprunner");
    let r = app
        .assessment(info, &app.targets[*sel_target])
        .and_then(|a| a.result.clone())
        .unwrap();
    assert_eq!(r.verdict, Verdict::Fail);
    let first = r.findings.first().unwrap();
    assert_eq!(first.path.as_deref(), Some("/app/server"));
    keys(&mut app, &["Tab", "Enter"]);
    let ScreenKind::Image(s) = kind(&app) else {
        panic!("not image")
    };
    let t = s.tree.as_ref().unwrap();
    assert_eq!(t.path_of(t.selected_id().unwrap()), "/app/server");
    assert_eq!(s.pane, Pane::Files);
}

#[test]
fn index_lists_attestations_under_their_subject() {
    let info = index("good");
    let rows = index_rows(&info);
    assert_eq!(
        rows,
        [
            IndexRow::Image(0),
            IndexRow::Attestation(2),
            IndexRow::Image(1)
        ]
    );
}

#[test]
fn filter_as_you_type_and_unknown_commands_are_explained() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "Enter");
    keys(&mut app, &["/", "g", "o"]);
    let ScreenKind::Images(s) = kind(&app) else {
        panic!()
    };
    assert_eq!(s.list.visible().len(), 1);
    key(&mut app, "Esc");
    let ScreenKind::Images(s) = kind(&app) else {
        panic!()
    };
    assert_eq!(s.list.visible().len(), 2);
    keys(&mut app, &[":", "f", "l", "y", "Enter"]);
    let (level, msg) = app.status.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(msg.contains(":target graviton"), "{msg}");
    keys(&mut app, &[":", "t", " ", "s", "3", "9", "0", "Enter"]);
    assert!(app.status.as_ref().unwrap().1.contains("unknown target"));
    keys(
        &mut app,
        &[
            ":", "t", " ", "l", "i", "n", "u", "x", "/", "s", "3", "9", "0", "x", "Enter",
        ],
    );
    assert_eq!(app.target.platform.to_string(), "linux/s390x");
    assert!(app.targets.iter().any(|t| t.name == "linux/s390x"));
}

#[test]
fn copy_gives_the_fix_and_reload_reads_again() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    keys(&mut app, &["Enter", "v", "Tab"]);
    let fx = app.update(Action::Key(KeyPress::parse("y").unwrap()));
    let copied = fx.iter().find_map(|e| match e {
        Effect::Copy(t) => Some(t.clone()),
        _ => None,
    });
    assert!(
        copied
            .as_deref()
            .is_some_and(|t| t.contains("--platform linux/amd64")),
        "{copied:?}"
    );
    keys(&mut app, &["Esc", "Enter"]);
    assert!(matches!(kind(&app), ScreenKind::Image(_)));
    let fx = app.update(Action::Key(KeyPress::parse("r").unwrap()));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Submit(r) if matches!(r.job, Job::Analyze { .. }))),
        "r reads the image again"
    );
    pump(&mut app, fx);
    let ScreenKind::Image(s) = kind(&app) else {
        panic!()
    };
    assert!(s.tree.is_some());
    assert_eq!(app.stack.len(), 3);
}

#[test]
fn going_back_into_an_image_keeps_its_tree() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    keys(&mut app, &["Enter", "Enter", "g", "m"]);
    let ScreenKind::Image(s) = kind(&app) else {
        panic!()
    };
    let before = s.tree.as_ref().map(|t| (t.filter(), t.selected_id()));
    keys(&mut app, &["Esc", "Enter"]);
    let ScreenKind::Image(s) = kind(&app) else {
        panic!()
    };
    let after = s.tree.as_ref().map(|t| (t.filter(), t.selected_id()));
    assert_eq!(before, after);
    assert_eq!(after.map(|a| a.0), Some(Filter::OnlyMismatches));
}

#[test]
fn quit_from_anywhere() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "?");
    assert!(app.overlay.is_some());
    let fx = app.update(Action::Key(KeyPress::parse("q").unwrap()));
    assert!(fx.iter().any(|e| matches!(e, Effect::Quit)));
}

#[test]
fn repository_counts_arrive_chunk_by_chunk_and_stop_when_the_screen_goes() {
    let mut app = app();
    app.origin.ecr = true;
    let fx = app.open_repositories();
    let Some(Effect::Submit(req)) = fx.into_iter().next() else {
        panic!("no repository request")
    };
    let Job::Repositories(j) = &req.job else {
        panic!("not the repositories job")
    };
    let names: Vec<String> = (0..60).map(|i| format!("team/r{i:02}")).collect();
    let rows = names
        .iter()
        .map(|n| crate::catalog::RepoRow {
            name: n.clone(),
            images: None,
            last_push: None,
            created: None,
            tag_mutability: None,
            pull_through_upstream: None,
        })
        .collect();
    let fx = app.update(Action::Done(Box::new(Completion::Repositories(
        Reply::new(req.id, j, Ok(rows)),
    ))));
    let stats_job = |fx: &[Effect]| -> Vec<Request> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Submit(r) if matches!(r.job, Job::RepoStats(_)) => Some(Request::clone(r)),
                _ => None,
            })
            .collect()
    };
    let first = stats_job(&fx);
    assert_eq!(first.len(), 1, "one chunk at a time: {fx:?}");
    let Job::RepoStats(j) = &first[0].job else {
        unreachable!()
    };
    assert_eq!(j.repositories, names[..STATS_CHUNK]);
    let answer = |j: &LoadRepoStats| {
        vec![
            Some(crate::catalog::RepoStats {
                images: 1,
                last_push: None,
            });
            j.repositories.len()
        ]
    };
    let fx = app.update(Action::Done(Box::new(Completion::RepoStats(Reply::new(
        first[0].id,
        j,
        Ok(answer(j)),
    )))));
    let filled = |app: &App| match kind(app) {
        ScreenKind::Repos(s) => s
            .list
            .rows
            .ready()
            .map_or(0, |r| r.iter().filter(|r| r.images.is_some()).count()),
        _ => 0,
    };
    assert_eq!(
        filled(&app),
        STATS_CHUNK,
        "the first chunk's rows are filled"
    );
    let second = stats_job(&fx);
    let Some(Job::RepoStats(j2)) = second.first().map(|r| &r.job) else {
        panic!("the next chunk is asked: {fx:?}")
    };
    assert_eq!(j2.repositories, names[STATS_CHUNK..2 * STATS_CHUNK]);
    // Leaving the screen (a switch) cancels the chunk in flight; its answer asks no more.
    key(&mut app, ":");
    for c in "region eu-west-1".chars() {
        app.update(Action::Key(KeyPress::plain(
            crate::ui::keymap::KeyCode::Char(c),
        )));
    }
    let _ = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    assert!(second[0].cancel.load(Ordering::Relaxed), "cancelled");
    let fx = app.update(Action::Done(Box::new(Completion::RepoStats(Reply::new(
        second[0].id,
        j2,
        Ok(answer(j2)),
    )))));
    assert!(
        stats_job(&fx).is_empty(),
        "no chunk after the screen went: {fx:?}"
    );
}

#[test]
fn repository_counts_arrive_after_the_list_is_shown() {
    let mut app = app();
    app.origin.ecr = true;
    let fx = app.open_repositories();
    let Some(Effect::Submit(req)) = fx.into_iter().next() else {
        panic!("no repository request")
    };
    let Job::Repositories(j) = &req.job else {
        panic!("not the repositories job")
    };
    let bare = crate::catalog::RepoRow {
        name: "team/app".into(),
        images: None,
        last_push: None,
        created: None,
        tag_mutability: None,
        pull_through_upstream: None,
    };
    let other = crate::catalog::RepoRow {
        name: "team/other".into(),
        ..bare.clone()
    };
    let fx = app.update(Action::Done(Box::new(Completion::Repositories(
        Reply::new(req.id, j, Ok(vec![bare, other])),
    ))));
    // The list is on screen before any DescribeImages answer; one low-priority request for
    // all the repositories.
    let rows = |app: &App| match kind(app) {
        ScreenKind::Repos(s) => s.list.rows.ready().cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    assert_eq!(rows(&app).first().map(|r| r.images), Some(None));
    let stats: Vec<&Request> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Submit(r) if matches!(&r.job, Job::RepoStats(s) if s.repositories == ["team/app", "team/other"]) => {
                Some(&**r)
            }
            _ => None,
        })
        .collect();
    assert_eq!(stats.len(), 1);
    assert!(stats[0].job.low_priority());
    let (id, Job::RepoStats(j)) = (stats[0].id, &stats[0].job) else {
        unreachable!()
    };
    let answer = crate::catalog::RepoStats {
        images: 3,
        last_push: Some("2026-12-01T07:16:27.55Z".into()),
    };
    app.update(Action::Done(Box::new(Completion::RepoStats(Reply::new(
        id,
        j,
        // team/other could not be described: its row stays, with `-`.
        Ok(vec![Some(answer), None]),
    )))));
    let got: Vec<_> = rows(&app)
        .into_iter()
        .map(|r| (r.name, r.images, r.last_push))
        .collect();
    assert_eq!(
        got,
        [
            (
                "team/app".to_string(),
                Some(3),
                Some("2026-12-01T07:16:27.55Z".to_string())
            ),
            ("team/other".to_string(), None, None)
        ]
    );

    // A plain registry has no counts to give: no job is sent for them.
    let mut app = super::fixture::app();
    let fx = app.open_repositories();
    let Some(Effect::Submit(req)) = fx.into_iter().next() else {
        panic!("no repository request")
    };
    let Job::Repositories(j) = &req.job else {
        panic!("not the repositories job")
    };
    let fx = app.update(Action::Done(Box::new(Completion::Repositories(
        Reply::new(req.id, j, Ok(got_rows())),
    ))));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Submit(r) if matches!(r.job, Job::RepoStats(_)))),
        "a no-op stats job for a plain registry"
    );
}

fn got_rows() -> Vec<crate::catalog::RepoRow> {
    vec![crate::catalog::RepoRow {
        name: "library/alpine".into(),
        images: None,
        last_push: None,
        created: None,
        tag_mutability: None,
        pull_through_upstream: None,
    }]
}

#[test]
fn a_registry_that_keeps_us_waiting_is_named_until_its_answer_comes() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "Enter");
    let req = open_without_answer(&mut app);
    // The registry client's words (src/source/registry/client.rs), with a hostile escape.
    app.update(Action::Notice(
        "waiting for registry.example\u{1b}[2J (manifest); giving up after 60 s".into(),
    ));
    let status = app
        .status
        .as_ref()
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    assert!(
        status.starts_with("waiting for registry.example"),
        "{status:?}"
    );
    assert!(
        !status.contains('\u{1b}'),
        "escapes never reach the terminal: {status:?}"
    );
    app.update(Action::Done(Box::new(answer(&req))));
    assert!(
        app.status
            .as_ref()
            .is_none_or(|(_, t)| !t.starts_with("waiting for")),
        "the notice goes with the answer: {:?}",
        app.status
    );
    // A listing cut short is not about waiting: it stays to be read.
    app.update(Action::Notice(
        "the tag list repeated itself; stopped after 3 pages".into(),
    ));
    assert!(
        app.status
            .as_ref()
            .is_some_and(|(_, t)| t.contains("repeated"))
    );
}

#[test]
fn command_history_and_tab_completion() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    key(&mut app, "Enter");
    // Tab completes a command name, then a target name from the targets data.
    keys(&mut app, &[":", "t", "a", "r", "Tab"]);
    assert_eq!(app.input.as_ref().unwrap().text, "target ");
    keys(&mut app, &["g", "r", "Tab"]);
    assert_eq!(app.input.as_ref().unwrap().text, "target graviton");
    let fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    assert_eq!(app.target.name, "graviton");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::SaveHistory(h) if h.entries() == ["target graviton"])),
        "a command run is kept"
    );
    // Several candidates: the hint names them and Tab steps through them.
    keys(&mut app, &[":", "Tab"]);
    let hint = app.input.as_ref().unwrap().hint.clone();
    assert!(hint.contains("repos") && hint.contains("help"), "{hint}");
    // A typo is not kept; a command that exists is.
    keys(&mut app, &["Esc", ":", "h", "Enter"]);
    keys(&mut app, &[":", "h", "e", "l", "p", "Enter", "Esc"]);
    assert_eq!(app.history.entries(), ["target graviton", "help"]);
    // Up recalls the newest first, Down comes back to what was typed.
    keys(&mut app, &[":", "x", "Up"]);
    assert_eq!(app.input.as_ref().unwrap().text, "help");
    key(&mut app, "Up");
    assert_eq!(app.input.as_ref().unwrap().text, "target graviton");
    keys(&mut app, &["Down", "Down"]);
    assert_eq!(app.input.as_ref().unwrap().text, "x");
    key(&mut app, "Esc");
    // On an images screen Tab completes tags, and :tag opens one.
    let ScreenKind::Images(s) = kind(&app) else {
        panic!()
    };
    let tag = s.list.rows.ready().unwrap()[1].tags[0].clone();
    keys(&mut app, &[":", "t", "a", "g", " "]);
    key(&mut app, "Tab");
    let hint = app.input.as_ref().unwrap().hint.clone();
    assert!(hint.contains(&tag), "{hint}");
    let mut typed: Vec<String> = tag.chars().map(String::from).collect();
    typed.push("Enter".into());
    key(&mut app, "Esc");
    keys(&mut app, &[":", "t", "a", "g", " "]);
    keys(
        &mut app,
        &typed.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(matches!(
        kind(&app),
        ScreenKind::Index(_) | ScreenKind::Image(_)
    ));
}

#[test]
fn enter_on_a_file_reads_its_head_in_the_background_and_y_copies_its_path() {
    let mut app = app();
    let fx = app.open_repositories();
    pump(&mut app, fx);
    keys(&mut app, &["Enter", "Enter"]);
    let ScreenKind::Image(s) = kind(&app) else {
        panic!("an image screen")
    };
    let tree = s.tree.as_ref().unwrap();
    let path = tree.path_of(tree.selected_id().unwrap());
    assert_eq!(path, "/app/server", "opened at the culprit");
    // The request names the layer that wrote the file; nothing is read in the update itself.
    let fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    assert!(fx.iter().any(|e| matches!(e, Effect::Submit(r)
        if matches!(&r.job, Job::ReadFile(j) if j.path == "/app/server"))));
    assert!(matches!(app.overlay, Some(Overlay::Viewer { .. })));
    pump(&mut app, fx);
    let v = app.viewer.as_ref().unwrap();
    assert!(
        matches!(&v.content, Load::Ready(b) if b.starts_with(b"contents of /app/server")),
        "{v:?}"
    );
    let fx = app.update(Action::Key(KeyPress::parse("y").unwrap()));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Copy(t) if t == "/app/server"))
    );
    key(&mut app, "Esc");
    assert!(app.overlay.is_none());
    assert!(
        matches!(kind(&app), ScreenKind::Image(_)),
        "Esc closes the viewer only"
    );
}

/// The images list with a budget of `mb` MB, its requests answered except the analyses.
fn images_with_budget(mb: u64) -> (App, Vec<Request>) {
    let mut app = app();
    app.set_auto_budget(mb * 1_000_000);
    let fx = app.open_repositories();
    pump(&mut app, fx);
    let mut fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    let mut analyses = Vec::new();
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            match e {
                Effect::Submit(r) if matches!(r.job, Job::Analyze(_)) => analyses.push(*r),
                Effect::Submit(r) => next.extend(app.update(Action::Done(Box::new(answer(&r))))),
                _ => {}
            }
        }
        fx = next;
    }
    (app, analyses)
}

#[test]
fn rows_on_screen_are_read_in_the_background_within_the_budget() {
    // Each fixture image downloads 0.9 MB: a 1 MB budget reads the first row only.
    let (mut app, analyses) = images_with_budget(1);
    assert_eq!(analyses.len(), 1, "{analyses:?}");
    assert!(
        analyses[0].job.low_priority(),
        "the user's own requests go first"
    );
    let state = app.auto_check_state().unwrap();
    assert_eq!(
        (state.used, state.limit, state.unread),
        (900_000, 1_000_000, 1)
    );
    for r in &analyses {
        app.update(Action::Done(Box::new(answer(r))));
    }
    let badge = |app: &App, i: usize| {
        let ScreenKind::Images(s) = kind(app) else {
            panic!("not images")
        };
        let info = s.roots[i].ready().unwrap().clone();
        app.assessment(&info, &app.target).unwrap().summary()
    };
    assert!(badge(&app, 0).from_files, "read within the budget");
    assert!(!badge(&app, 1).from_files, "over what is left: waits for c");
    // Leaving and coming back does not spend the budget again.
    key(&mut app, "Esc");
    key(&mut app, "Enter");
    assert_eq!(app.auto.used, 900_000);
    // `c` reads the rest, whatever the budget.
    key(&mut app, "c");
    assert_eq!(app.auto_check_state().unwrap().unread, 0);
    assert!(badge(&app, 1).from_files);
}

#[test]
fn a_switch_of_source_starts_a_new_budget() {
    let (mut app, _) = images_with_budget(1);
    assert_eq!(app.auto.used, 900_000);
    app.origin.ecr = true;
    key(&mut app, ":");
    for c in "region eu-west-1".chars() {
        app.update(Action::Key(KeyPress::plain(
            crate::ui::keymap::KeyCode::Char(c),
        )));
    }
    key(&mut app, "Enter");
    assert!(matches!(kind(&app), ScreenKind::Repos(_)));
    assert_eq!(app.auto.used, 0, "a new source is a new budget");
    // The same image in the new source is asked again, and paid for again.
    key(&mut app, "Enter");
    let state = app.auto_check_state().unwrap();
    assert_eq!((state.used, state.limit), (900_000, 1_000_000));
}

#[test]
fn the_unread_count_follows_the_filter_without_a_frame_counting() {
    let (mut app, _) = images_with_budget(1);
    assert_eq!(app.auto_check_state().map(|s| s.unread), Some(1));
    key(&mut app, "/");
    for c in "good".chars() {
        app.update(Action::Key(KeyPress::plain(
            crate::ui::keymap::KeyCode::Char(c),
        )));
    }
    assert_eq!(
        app.auto_check_state().map(|s| s.unread),
        Some(1),
        "good is not read: the budget went to mac-arm64"
    );
    for c in "zzz".chars() {
        app.update(Action::Key(KeyPress::plain(
            crate::ui::keymap::KeyCode::Char(c),
        )));
    }
    assert_eq!(app.auto_check_state().map(|s| s.unread), Some(0));
}

#[test]
fn a_zero_budget_waits_for_c() {
    let (app, analyses) = images_with_budget(0);
    assert!(analyses.is_empty(), "{analyses:?}");
    assert_eq!(app.auto_check_state(), None);
}

#[test]
fn a_background_read_cut_short_by_leaving_is_asked_again_for_free() {
    let (mut app, analyses) = images_with_budget(1);
    key(&mut app, "Esc");
    assert!(
        analyses[0].cancel.load(Ordering::Relaxed),
        "leaving the list cancels its reads"
    );
    key(&mut app, "Enter");
    assert!(app.images.contains_key(&digest("mac-arm64")));
    assert_eq!(app.auto.used, 900_000);
}

#[test]
fn opening_an_image_the_check_has_queued_runs_it_first() {
    let (mut app, analyses) = images_with_budget(1);
    let fx = app.update(Action::Key(KeyPress::parse("Enter").unwrap()));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Promote(id) if *id == analyses[0].id)),
        "{fx:?}"
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Submit(_))),
        "the queued read is shared, not asked twice: {fx:?}"
    );
}
