//! Shared by the `ui_*` tests: drives the UI through `App::update` with the background jobs
//! run inline, and renders it into ratatui's TestBackend as text.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use archlens::catalog::Catalog;
use archlens::ui::app::{Action, App, Effect, Origin, ScreenKind};
use archlens::ui::keymap::{self, KeyPress};
use archlens::ui::{Launch, Options, new_app, tasks, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub struct Harness {
    pub app: App,
    pub catalog: Arc<dyn Catalog>,
}

pub fn demo_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    assert!(
        d.join("index.json").is_file(),
        "the demo layout is missing at {}; rebuild it with the recipe in assets/demo/README.md",
        d.display()
    );
    d
}

impl Harness {
    /// The demo layout by a relative path (tests run in the package root), so references
    /// and breadcrumbs on screen do not depend on where the checkout is.
    pub fn demo() -> Harness {
        let _ = demo_dir();
        Harness::launch(Launch::Layout {
            dir: PathBuf::from("assets/demo"),
        })
    }

    pub fn launch(launch: Launch) -> Harness {
        Harness::launch_with(launch, None)
    }

    /// Like `launch`, with the registry options the CLI would pass.
    pub fn launch_with(
        launch: Launch,
        registry: Option<archlens::source::registry::RegistryOptions>,
    ) -> Harness {
        let opts = Options {
            launch,
            target: None,
            registry,
            cache: None,
        };
        // No colour: the snapshots hold text; styles are checked by the theme tests.
        let settings = keymap::load(None, false);
        let (mut app, catalog, fx) = new_app(&opts, settings).expect("app");
        // A stable breadcrumb whatever the checkout path is.
        app.origin.source = app.origin.source.replace(env!("CARGO_MANIFEST_DIR"), ".");
        let mut h = Harness { app, catalog };
        h.pump(fx);
        h
    }

    /// An app over a catalog the test builds, on its repositories.
    pub fn with_catalog(catalog: Arc<dyn Catalog>, origin: Origin) -> Harness {
        let settings = keymap::load(None, false);
        let target = archlens::verdict::target::lookup(archlens::ui::DEFAULT_TARGET)
            .expect("the default target");
        let mut app = App::new(origin, settings.keymap, settings.theme, target);
        let fx = app.open_repositories();
        let mut h = Harness { app, catalog };
        h.pump(fx);
        h
    }

    /// Runs requested jobs inline, feeding completions back until nothing is pending.
    pub fn pump(&mut self, mut fx: Vec<Effect>) {
        while !fx.is_empty() {
            let mut next = Vec::new();
            for e in fx {
                if let Effect::Submit(req) = e {
                    let done = tasks::run(self.catalog.as_ref(), None, &req);
                    next.extend(self.app.update(Action::Done(Box::new(done))));
                }
            }
            fx = next;
        }
    }

    pub fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let kp = KeyPress::parse(k).unwrap_or_else(|| panic!("bad key {k}"));
            let fx = self.app.update(Action::Key(kp));
            self.pump(fx);
        }
    }

    pub fn typed(&mut self, text: &str) {
        for c in text.chars() {
            let fx = self
                .app
                .update(Action::Key(KeyPress::plain(keymap::KeyCode::Char(c))));
            self.pump(fx);
        }
    }

    pub fn render(&mut self, w: u16, h: u16) -> String {
        self.app.update(Action::Resize(w, h));
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        t.draw(|f| view::draw(f, &self.app)).expect("draw");
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..h {
            let mut line = String::new();
            for x in 0..w {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Selects the image row with this tag on the images screen.
    pub fn select_tag(&mut self, tag: &str) {
        let pos = match &self.app.screen().expect("a screen").kind {
            ScreenKind::Images(s) => s
                .list
                .rows
                .ready()
                .and_then(|rows| rows.iter().position(|r| r.tags.iter().any(|t| t == tag))),
            _ => None,
        }
        .unwrap_or_else(|| panic!("{tag} is not in the demo images list"));
        self.keys(&["g"]);
        for _ in 0..pos {
            self.keys(&["j"]);
        }
    }
}

/// The demo's ref names, in layout order.
pub const DEMO_TAGS: [&str; 7] = [
    "good",
    "mac-arm64",
    "mislabeled",
    "python-wheel",
    "node-addon",
    "musl-glibc",
    "lambda-ok",
];

/// `archlens check oci:assets/demo:TAG --format json` (the real binary, every built-in
/// target): its `results`.
pub fn check_demo(tag: &str) -> Vec<serde_json::Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archlens"))
        .args([
            "check",
            &format!("oci:assets/demo:{tag}"),
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run archlens check");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check {tag} printed no JSON ({e}): {out:?}"));
    v["results"].as_array().expect("results").clone()
}
