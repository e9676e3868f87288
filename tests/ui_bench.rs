//! Speed of the terminal UI, measured (not asserted): run by `scripts/bench.sh` with
//! `cargo test --release --test ui_bench -- --ignored --nocapture`; numbers go to docs/tui.md.
//!
//! 1. first frame: the real binary in a pseudo-terminal, from spawn to the first drawn header;
//! 2. key to frame: `update` + a full redraw into a 120x40 TestBackend, on an image screen whose
//!    tree holds 200,000 files (moves, page moves, filters, sort, expand all).

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use archlens::analyze::{Config, Entry, Image, Layer, Root};
use archlens::catalog::{ImageRow, RootInfo};
use archlens::oci::manifest::EntryKind;
use archlens::oci::{Arch, Digest, Platform, media};
use archlens::scan::{self, LayerScan, MergedFs};
use archlens::ui::app::{Action, Analyzed, App, Completion, Effect, Job, Origin, Reply};
use archlens::ui::keymap::{self, KeyPress};
use archlens::ui::tree::{Tree, View};
use archlens::ui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A layer of `n` files in `n / 400` directories, one in 1,000 an arm64 ELF.
fn big_image(n: usize) -> Image {
    let mut entries = Vec::with_capacity(n + n / 400);
    let mut artifacts = Vec::new();
    for d in 0..n / 400 {
        entries.push(scan::Entry {
            path: format!("/usr/lib/pkg{d}"),
            kind: scan::EntryKind::Dir,
            size: 0,
            mode: 0o755,
        });
    }
    for i in 0..n {
        let path = format!("/usr/lib/pkg{}/file{i}.so", i % (n / 400));
        if i % 1000 == 0 {
            artifacts.push(archlens::detect::Artifact {
                path: path.clone(),
                container: None,
                kind: archlens::detect::Kind::Elf,
                arch: Some(Arch::arm64()),
                libc: None,
                interpreter: None,
                details: archlens::detect::Details::Script(archlens::detect::ScriptInfo {
                    interpreter: "/bin/sh".into(),
                    args: vec![],
                    tail: None,
                }),
                sha256: None,
            });
        }
        entries.push(scan::Entry {
            path,
            kind: scan::EntryKind::File,
            size: (i as u64 * 7919) % 100_000,
            mode: 0o644,
        });
    }
    let layer_scan = LayerScan {
        entries: entries.into(),
        artifacts,
        ..LayerScan::default()
    };
    let d = Digest::sha256_of(b"bench-layer");
    let fs = MergedFs::build(&[(d.clone(), &layer_scan)]);
    Image {
        digest: Digest::sha256_of(b"bench"),
        media_type: media::OCI_MANIFEST.into(),
        config_digest: Digest::sha256_of(b"bench-config"),
        config: Config {
            entrypoint: Some(vec!["/usr/lib/pkg0/file0.so".into()]),
            cmd: None,
            env: vec![],
            workdir: None,
            user: None,
            platform: Platform::linux(Arch::arm64()),
            labels: Default::default(),
            layer_history: vec!["COPY . /usr/lib".into()],
        },
        layers: vec![Layer {
            digest: d,
            media_type: "application/vnd.oci.image.layer.v1.tar".into(),
            size: 1,
            created_by: Some("COPY . /usr/lib".into()),
            scan: Arc::new(layer_scan),
        }],
        fs,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn key(app: &mut App, k: &str) -> Vec<Effect> {
    app.update(Action::Key(KeyPress::parse(k).expect("key")))
}

#[test]
#[ignore = "benchmark: run by scripts/bench.sh"]
fn key_to_frame_on_a_200k_file_tree() {
    let t0 = Instant::now();
    let image = Arc::new(big_image(200_000));
    println!("build 200,000-file merged fs: {}", ms(t0.elapsed()));
    let digest = image.digest.clone();
    let info = RootInfo {
        root: Root {
            digest: digest.clone(),
            media_type: media::OCI_MANIFEST.into(),
            is_index: false,
            entries: vec![Entry {
                digest: digest.clone(),
                media_type: media::OCI_MANIFEST.into(),
                platform: None,
                kind: EntryKind::Image,
                subject: None,
                artifact: None,
                size: 1,
            }],
        },
        config_platform: Some(Platform::linux(Arch::arm64())),
        size: 1,
        unread: Default::default(),
    };
    let s = keymap::load(None, true);
    let target = archlens::verdict::target::lookup("apprunner").expect("target");
    let mut app = App::new(Origin::default(), s.keymap, s.theme, target);
    app.update(Action::Resize(120, 40));
    let fx = app.open_image(ImageRow {
        tags: vec!["big".into()],
        reference: "oci:bench:big".into(),
        digest: Some(digest),
        pushed: None,
        size: None,
        attached: Box::default(),
        unpullable: None,
        scan_findings: None,
    });
    // The manifests arrive, the screen asks for the analysis; then the worker's answer.
    let mut analyze: Option<(u64, archlens::ui::app::AnalyzeImage)> = None;
    for e in fx {
        if let Effect::Submit(r) = e
            && let Job::Root(j) = &r.job
        {
            for e in app.update(Action::Done(Box::new(Completion::Root(Reply::new(
                r.id,
                j,
                Ok(Arc::new(info.clone())),
            ))))) {
                if let Effect::Submit(r) = e
                    && let Job::Analyze(j) = r.job
                {
                    analyze = Some((r.id, j));
                }
            }
        }
    }
    let t0 = Instant::now();
    let top = image.layers.len().saturating_sub(1);
    let tree = Tree::of_image(&image, View::Merged, top);
    println!("build the file tree (worker thread): {}", ms(t0.elapsed()));
    let t0 = Instant::now();
    let (id, job) = analyze.expect("an analysis request");
    app.update(Action::Done(Box::new(Completion::Analyze(Reply::new(
        id,
        &job,
        Ok(Analyzed {
            image: Arc::clone(&image),
            tree: Some(Box::new(tree)),
        }),
    )))));
    println!(
        "open the image screen (UI thread: verdict, culprit revealed): {}",
        ms(t0.elapsed())
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("backend");
    let mut frame = |app: &App| {
        term.draw(|f| view::draw(f, app)).expect("draw");
    };
    let t0 = Instant::now();
    frame(&app);
    println!("first frame of the image screen: {}", ms(t0.elapsed()));

    key(&mut app, "E");
    frame(&app);
    for (label, keys, times) in [
        ("j (move down)", "j", 500),
        ("PageDown", "PageDown", 200),
        ("G / g (jump to ends)", "G", 50),
        ("m (toggle only-mismatches filter)", "m", 20),
        ("s (toggle sort by size)", "s", 20),
        ("E / C (expand / collapse all)", "E", 20),
    ] {
        let t0 = Instant::now();
        for i in 0..times {
            let k = match (keys, i % 2) {
                ("G", 1) => "g",
                ("E", 1) => "C",
                (k, _) => k,
            };
            key(&mut app, k);
            frame(&app);
        }
        println!(
            "key to frame, {label}: {} per key",
            ms(t0.elapsed() / times)
        );
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!(
            "peak memory of the bench process: {}",
            hwm.trim_start_matches("VmHWM:").trim()
        );
    }
}

#[test]
#[ignore = "benchmark: run by scripts/bench.sh"]
fn first_frame_of_the_real_binary() {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let mut samples = Vec::new();
    for _ in 0..5 {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_archlens"));
        cmd.arg("demo");
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        let t0 = Instant::now();
        let mut child = pair.slave.spawn_command(cmd).expect("spawn");
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let mut writer = pair.master.take_writer().expect("writer");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let took = loop {
            let n = reader.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break None;
            }
            seen.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&seen).contains("archlens") {
                break Some(t0.elapsed());
            }
        };
        let _ = std::io::Write::write_all(&mut writer, b"q");
        let _ = child.wait();
        if let Some(t) = took {
            samples.push(t);
        }
    }
    samples.sort();
    if let Some(median) = samples.get(samples.len() / 2) {
        println!(
            "first frame after start (median of {}): {}",
            samples.len(),
            ms(*median)
        );
    }
}
