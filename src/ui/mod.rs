//! The terminal explorer: browse repositories and images, see which will run on the target,
//! and drill into layers and files. The only module that uses ratatui and crossterm.
//!
//! `run` owns the loop: drain every pending event, update the state, draw once. All I/O runs
//! in [`tasks`]; state and its changes are in [`app`] and its pages in [`screen`]; drawing
//! and the placing of clicks are in [`view`], which reads the app and is never read by it.

pub mod app;
pub mod filter;
pub mod history;
pub mod keymap;
pub mod screen;
pub mod tasks;
pub mod terminal;
pub mod tree;
pub mod view;
pub mod viewer;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use ratatui::crossterm::event::{
    self, Event, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use crate::catalog::{self, Catalog};
use app::{Action, App, Effect, Mouse, Origin};
use keymap::{KeyCode, KeyPress};

/// What the UI opens first.
#[derive(Debug, Clone)]
pub enum Launch {
    /// The bundled demo layout (or any OCI layout directory), as a repository of tags.
    Layout { dir: PathBuf },
    /// One image or index, straight to its screen.
    Open { reference: String },
    /// A registry's repositories.
    Browse { registry: String },
    /// The images of a local Docker or Podman engine.
    Engine {
        kind: crate::source::engine::EngineKind,
    },
    /// Amazon ECR of the current AWS profile and region.
    Ecr {
        profile: Option<String>,
        region: Option<String>,
    },
}

#[derive(Clone)]
pub struct Options {
    pub launch: Launch,
    /// A profile name or an os/arch platform; default apprunner.
    pub target: Option<String>,
    /// How registries and ECR are reached (from the global options); the user's config
    /// file with defaults when `None`.
    pub registry: Option<crate::source::registry::RegistryOptions>,
    /// Layer scans already made, shared with the CLI.
    pub cache: Option<Arc<crate::cache::Cache>>,
}

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("the terminal UI needs a terminal: {0}. For scripts use `archlens check IMAGE`")]
    Terminal(std::io::Error),
    #[error(transparent)]
    Target(#[from] crate::verdict::target::TargetError),
}

/// The default target when none is given: the platform this tool was written for.
pub const DEFAULT_TARGET: &str = "apprunner";

/// Where the bundled demo layout is: `$ARCHLENS_DEMO`, next to the binary's checkout, or the
/// source tree it was built from.
pub fn demo_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ARCHLENS_DEMO") {
        return PathBuf::from(d);
    }
    if let Ok(exe) = std::env::current_exe() {
        // target/{debug,release}/archlens -> the checkout's assets/demo
        for up in exe.ancestors().skip(1).take(4) {
            let d = up.join("assets").join("demo");
            if d.join("index.json").is_file() {
                return d;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("demo")
}

/// The catalog and breadcrumb for a launch.
pub fn catalog_for(
    launch: &Launch,
    given: Option<&crate::source::registry::RegistryOptions>,
) -> (Arc<dyn Catalog>, Origin) {
    match launch {
        Launch::Layout { dir } => (
            Arc::new(catalog::LayoutCatalog::new(dir)),
            Origin {
                source: format!("oci:{}", relative(dir).display()),
                local: true,
                ..Origin::default()
            },
        ),
        Launch::Open { reference } => (
            Arc::new(catalog::SingleCatalog::new(
                reference,
                given
                    .cloned()
                    .unwrap_or_else(|| registry_options(None, None)),
            )),
            Origin {
                source: reference.clone(),
                local: crate::source::is_local(reference),
                ..Origin::default()
            },
        ),
        Launch::Browse { registry } => (
            Arc::new(catalog::RegistryCatalog::new(
                Some(registry),
                given
                    .cloned()
                    .unwrap_or_else(|| registry_options(None, None)),
            )),
            Origin {
                source: registry.clone(),
                ..Origin::default()
            },
        ),
        Launch::Engine { kind } => (
            Arc::new(catalog::EngineCatalog::new(
                *kind,
                given
                    .and_then(|o| o.cache.as_ref())
                    .map(|c| c.dir().join("spool")),
            )),
            // Not `local`: reading every row at once would `docker save` every image.
            Origin {
                source: kind.transport().to_string(),
                local: false,
                ..Origin::default()
            },
        ),
        Launch::Ecr { profile, region } => {
            let profile_name = profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".into());
            let region_name = region
                .clone()
                .or_else(|| std::env::var("AWS_REGION").ok())
                .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
            // An explicit --profile/--region means "try": EC2 instance roles leave no trace
            // the cheap check can see.
            let catalog: Arc<dyn Catalog> =
                if has_aws_credentials() || profile.is_some() || region.is_some() {
                    Arc::new(catalog::RegistryCatalog::new(
                        None,
                        given
                            .cloned()
                            .unwrap_or_else(|| registry_options(profile.clone(), region.clone())),
                    ))
                } else {
                    Arc::new(catalog::Unavailable {
                        what: "Amazon ECR".into(),
                        why: ecr_help(&profile_name, region_name.as_deref()),
                    })
                };
            (
                catalog,
                Origin {
                    source: "ECR".into(),
                    profile: Some(profile_name),
                    region: region_name,
                    local: false,
                    ecr: false,
                    registry: None,
                },
            )
        }
    }
}

/// Registry options from the user's config file, with the AWS profile and region given.
fn registry_options(
    profile: Option<String>,
    region: Option<String>,
) -> crate::source::registry::RegistryOptions {
    let config = crate::config::Config::load(None).unwrap_or_default();
    let cache = crate::cache::Cache::from_config(&config.cache, false)
        .ok()
        .flatten()
        .map(Arc::new);
    crate::source::registry::RegistryOptions {
        config,
        aws: crate::source::ecr::AwsOptions { profile, region },
        cache,
        ..Default::default()
    }
}

/// Whether any AWS credentials could be configured (environment, files, container or SSO);
/// a cheap check so people without AWS see how to start instead of an SDK error.
fn has_aws_credentials() -> bool {
    [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ENDPOINT_URL_ECR",
        "AWS_ENDPOINT_URL",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some())
        || dirs::home_dir().is_some_and(|h| {
            h.join(".aws/credentials").is_file() || h.join(".aws/config").is_file()
        })
}

/// `dir` relative to the working directory when it is below it (shorter breadcrumbs).
fn relative(dir: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| dir.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// What to tell people when ECR cannot be listed.
fn ecr_help(profile: &str, region: Option<&str>) -> String {
    let creds = format!(
        "No AWS credentials found for Amazon ECR (profile {profile:?}: no AWS_ACCESS_KEY_ID, no ~/.aws/credentials or ~/.aws/config)."
    );
    let region = region.map_or_else(
        || " No region is set either: pass --region or set AWS_REGION.".to_string(),
        |r| format!(" Region: {r}."),
    );
    format!(
        "{creds}{region} Configure access with `aws configure` (or `aws sso login --profile NAME`), then run `archlens --profile NAME --region REGION` (on EC2 with an instance role, passing --region is enough). Meanwhile: `archlens demo` opens the bundled demo images, `archlens open oci:DIR:TAG` opens a local image."
    )
}

/// A new app, the catalog its jobs read from, and the jobs that load its first screen.
pub type Started = (App, Arc<dyn Catalog>, Vec<Effect>);

/// Builds the app for a launch without a terminal (the tests use this too).
pub fn new_app(opts: &Options, settings: keymap::Settings) -> Result<Started, UiError> {
    let target = crate::verdict::target::lookup(opts.target.as_deref().unwrap_or(DEFAULT_TARGET))?;
    let (catalog, mut origin) = catalog_for(&opts.launch, opts.registry.as_ref());
    origin.ecr = catalog.is_ecr();
    let mut app = App::new(origin, settings.keymap, settings.theme, target);
    let explorer = match &opts.registry {
        Some(r) => r.config.explorer.clone(),
        None => {
            crate::config::Config::load(None)
                .unwrap_or_default()
                .explorer
        }
    };
    app.set_auto_budget(explorer.auto_check_bytes());
    if let Some(p) = settings.problem {
        app.status = Some((app::Level::Error, format!("config: {p}")));
    }
    app.enter_single_repo = matches!(opts.launch, Launch::Layout { .. } | Launch::Engine { .. });
    let fx = match &opts.launch {
        Launch::Open { reference } => app.open_image(catalog::ImageRow {
            tags: vec![reference.clone()],
            reference: reference.clone(),
            digest: None,
            pushed: None,
            size: None,
            attached: Box::default(),
            unpullable: None,
            scan_findings: None,
        }),
        _ => app.open_repositories(),
    };
    Ok((app, catalog, fx))
}

enum Msg {
    Term(Event),
    Done(Box<app::Completion>),
    /// A registry's notice ("waiting for REGISTRY ...", a listing cut short), from a worker.
    Notice(String),
}

/// Runs the UI until the user quits. The terminal is restored however this returns.
pub fn run(opts: Options) -> Result<(), UiError> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // The CLI already read the config file (honouring --config); use its tables when given.
    let settings = match &opts.registry {
        Some(r) => keymap::from_tables(&r.config.keys, &r.config.theme, "config file", color),
        None => keymap::load(keymap::config_path().as_deref(), color),
    };
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut opts = opts;
    if let Some(r) = opts.registry.as_mut() {
        // The CLI prints these on stderr; here they become the status line.
        let notices = tx.clone();
        r.notices = crate::source::registry::Notices::new(move |m| {
            let _ = notices.send(Msg::Notice(m.to_string()));
        });
    }
    let (mut app, catalog, first) = new_app(&opts, settings)?;
    let history_file = opts
        .cache
        .as_ref()
        // `--no-cache` keeps nothing on disk, the history included.
        .map(|c| history::path_in(c.dir()));
    if let Some(p) = &history_file {
        app.history = history::load(p);
    }
    let mut guard = terminal::setup().map_err(UiError::Terminal)?;
    let cache = opts
        .cache
        .clone()
        .map(|c| c as Arc<dyn crate::analyze::LayerCache + Send>);
    let pool = tasks::Pool::start(catalog, cache, 3, tx.clone(), |c| Msg::Done(Box::new(c)));
    let stop = Arc::new(AtomicBool::new(false));
    let input = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(50)) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if tx.send(Msg::Term(ev)).is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    },
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        })
    };
    if let Ok(size) = guard.terminal.size() {
        app.update(Action::Resize(size.width, size.height));
    }
    let mut quit = apply(&pool, history_file.as_deref(), first);
    let mut dirty = true;
    while !quit {
        if dirty {
            guard
                .terminal
                .draw(|f| view::draw(f, &app))
                .map_err(UiError::Terminal)?;
            dirty = false;
            // Debug builds only: lets the end-to-end test check the terminal after a panic.
            #[cfg(debug_assertions)]
            #[allow(
                clippy::panic,
                reason = "a deliberate panic, debug builds only, to test the panic hook"
            )]
            if std::env::var_os("ARCHLENS_UI_TEST_PANIC").is_some() {
                panic!("ARCHLENS_UI_TEST_PANIC is set: panicking after the first frame");
            }
        }
        let wait = if app.busy() {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        let first = match rx.recv_timeout(wait) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Drain everything pending, then draw once.
        let mut msgs: Vec<Msg> = first.into_iter().collect();
        msgs.extend(rx.try_iter());
        for m in msgs {
            let actions = match m {
                Msg::Done(c) => vec![Action::Done(c)],
                Msg::Term(ev) => translate(ev, &app),
                Msg::Notice(text) => vec![Action::Notice(text)],
            };
            for a in actions {
                quit |= apply(&pool, history_file.as_deref(), app.update(a));
                dirty = true;
            }
        }
        if app.busy() {
            app.update(Action::Tick);
            dirty = true;
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(pool);
    drop(guard);
    let _ = input.join();
    Ok(())
}

/// Runs effects; true when the app asked to quit.
fn apply(pool: &tasks::Pool, history_file: Option<&Path>, fx: Vec<Effect>) -> bool {
    let mut quit = false;
    for e in fx {
        match e {
            Effect::Submit(r) => pool.submit(*r),
            Effect::Promote(id) => pool.promote(id),
            Effect::Copy(text) => {
                if let Err(e) = terminal::osc52(&text) {
                    log(&format!("clipboard: {e}"));
                }
            }
            Effect::SaveHistory(h) => {
                if let Some(Err(e)) = history_file.map(|p| history::save(p, &h)) {
                    log(&format!("command history: {e}"));
                }
            }
            Effect::Quit => quit = true,
        }
    }
    quit
}

/// Crossterm events to app actions; a click is placed on the layout `app` is drawn with.
pub fn translate(ev: Event, app: &App) -> Vec<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            use ratatui::crossterm::event::KeyCode as C;
            let code = match k.code {
                C::Char(c) => KeyCode::Char(c),
                C::Up => KeyCode::Up,
                C::Down => KeyCode::Down,
                C::Left => KeyCode::Left,
                C::Right => KeyCode::Right,
                C::PageUp => KeyCode::PageUp,
                C::PageDown => KeyCode::PageDown,
                C::Home => KeyCode::Home,
                C::End => KeyCode::End,
                C::Enter => KeyCode::Enter,
                C::Esc => KeyCode::Esc,
                C::Backspace => KeyCode::Backspace,
                C::Tab => KeyCode::Tab,
                C::BackTab => KeyCode::BackTab,
                C::F(n) => KeyCode::F(n),
                _ => return Vec::new(),
            };
            vec![Action::Key(KeyPress {
                code,
                ctrl: k.modifiers.contains(KeyModifiers::CONTROL),
                alt: k.modifiers.contains(KeyModifiers::ALT),
            })]
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => vec![Action::Mouse(Mouse::ScrollUp)],
            MouseEventKind::ScrollDown => vec![Action::Mouse(Mouse::ScrollDown)],
            MouseEventKind::Down(MouseButton::Left) => view::hit::click(app, m.column, m.row),
            _ => Vec::new(),
        },
        Event::Resize(w, h) => vec![Action::Resize(w, h)],
        _ => Vec::new(),
    }
}

/// Appends a line to the UI log in the cache directory; never to the screen.
pub fn log(msg: &str) {
    let Some(dir) = dirs::cache_dir().map(|d| d.join("archlens")) else {
        return;
    };
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("ui.log"))
    {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let _ = writeln!(f, "{secs} {}", crate::text::sanitize(msg));
    }
}
