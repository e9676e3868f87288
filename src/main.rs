//! The `archlens` command: parse arguments, run, map the outcome to an exit status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use archlens::analyze::{self, LayerCache, Progress};
use archlens::cache::Cache;
use archlens::config::Config;
use archlens::report::{self, Colors, Inspection};
use archlens::source::engine::EngineKind;
use archlens::source::registry::{CommandDeadline, Notices, RegistryOptions};
use archlens::ui::Launch;
use archlens::{check, source, verdict};

#[derive(Parser)]
#[command(
    name = "archlens",
    version,
    about = "Will this container image run on the platform you deploy it to?",
    long_about = "Looks inside container images (OCI layouts, archives, registries, Amazon ECR) and says whether each will run on App Runner, Fargate, Lambda, Graviton or any os/arch, which file breaks it, what the runtime will print, and the build command that fixes it."
)]
struct Cli {
    /// No command: browse Amazon ECR of the current AWS profile and region in the terminal UI.
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    global: Global,
}

/// Options every command shares: where credentials and settings come from.
#[derive(clap::Args)]
struct Global {
    /// Configuration file (default: $ARCHLENS_CONFIG, else ~/.config/archlens/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// AWS profile for ECR (default: the config's, else the AWS SDK's default chain).
    /// `audit` takes several: each profile x region is one ECR registry.
    #[arg(long, global = true)]
    profile: Vec<String>,
    /// AWS region for ECR calls that cannot take it from the registry host name.
    /// `audit` takes several: each profile x region is one ECR registry.
    #[arg(long, global = true)]
    region: Vec<String>,
    /// Allow plain HTTP to every registry (loopback registries always get it).
    #[arg(long, global = true)]
    insecure: bool,
    /// Neither read nor write the on-disk cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Fail the command if its registry work takes longer than SECS seconds in all (each
    /// request also fails after 60 s without an answer). Not used by the explorer.
    // Bounded so that "now + SECS" cannot overflow the clock (a day is more than any pull).
    #[arg(long, global = true, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: Option<u64>,
}

/// What the global options resolve to.
struct Env {
    opts: RegistryOptions,
    cache: Option<std::sync::Arc<Cache>>,
}

impl Global {
    fn resolve(&self, audit: bool) -> Result<Env> {
        let config = Config::load(self.config.as_deref())?;
        let cache = Cache::from_config(&config.cache, self.no_cache)
            .unwrap_or_else(|e| {
                // Without a cache archlens is slower, not wrong: say so and go on.
                eprintln!("archlens: warning: {e}");
                None
            })
            .map(std::sync::Arc::new);
        let mut opts = RegistryOptions::from_config(config);
        opts.insecure = self.insecure;
        if self.profile.len() > 1 || self.region.len() > 1 {
            // Only `audit` reads several ECR registries; it takes the lists itself.
            if !audit {
                anyhow::bail!(
                    "--profile and --region are given once, except to `archlens audit`, which reads the ECR registry of each profile x region"
                );
            }
        } else {
            opts.aws.profile = self.profile.first().cloned().or(opts.aws.profile);
            opts.aws.region = self.region.first().cloned().or(opts.aws.region);
        }
        opts.cache = cache.clone();
        if let Some(secs) = self.timeout {
            opts.deadline = Some(CommandDeadline::from_now(std::time::Duration::from_secs(
                secs,
            )));
        }
        // "waiting for REGISTRY" and listing warnings, beside the progress line.
        opts.notices = Notices::new(|m| eprintln!("archlens: {}", archlens::text::sanitize(m)));
        Ok(Env { opts, cache })
    }
}

#[derive(Subcommand)]
enum Command {
    /// List every image in a reference and every native artefact in it.
    Inspect {
        /// oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG],
        /// docker-daemon:NAME[:TAG], podman:NAME[:TAG], REGISTRY/REPO[:TAG]
        image: String,
        /// Only the image for this platform (e.g. linux/arm64).
        #[arg(long)]
        platform: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Say whether the image runs on each target, and why not.
    Check {
        image: String,
        /// A profile (`archlens targets`) or a platform like linux/arm/v7; repeat for several.
        /// Default: every built-in profile.
        #[arg(long = "target", short = 't')]
        targets: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Exit 1 on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// Compare two images: two platforms of an index (default linux/amd64 and linux/arm64),
    /// or two references. Native files with the same bytes, different bytes, or only on one
    /// side; config and layers.
    Diff {
        /// An index, or two references (each an image, or an index as REF@PLATFORM or with
        /// --platforms).
        #[arg(required = true, num_args = 1..=2, value_name = "REF")]
        refs: Vec<String>,
        /// The two platforms to compare, e.g. linux/amd64,linux/arm64 (with two references:
        /// the first reference's, then the second's).
        #[arg(long, value_name = "A,B", value_delimiter = ',')]
        platforms: Option<Vec<String>>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// List repositories of a registry, or the images of a repository, with their platforms.
    /// With no argument: the ECR registry of the current AWS account and region.
    Ls {
        /// REGISTRY (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`, `localhost:5000`),
        /// REGISTRY/REPO, or `docker-daemon:` / `podman:` for the local engine's images.
        target: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check every selected image of a registry, ECR, engine or layout directory against
    /// the targets: one jsonl record per image, or a markdown/HTML/JSON report.
    Audit(archlens::audit::cli::AuditArgs),
    /// List the built-in deploy targets and where their facts come from.
    Targets {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Explore the bundled demo images in the terminal UI (start here).
    Demo {
        /// Deploy target: a profile or os/arch (default apprunner).
        #[arg(long, short = 't')]
        target: Option<String>,
    },
    /// Explore one image or index in the terminal UI (oci:DIR:REF, archives, registries).
    Open {
        image: String,
        #[arg(long, short = 't')]
        target: Option<String>,
    },
    /// Explore the images of the local Docker engine (or Podman) in the terminal UI.
    Local {
        /// Podman's API socket instead of Docker's.
        #[arg(long)]
        podman: bool,
        #[arg(long, short = 't')]
        target: Option<String>,
    },
    /// Browse a registry's repositories in the terminal UI (`docker-daemon:` or `podman:`:
    /// the local engine's images).
    Browse {
        registry: String,
        #[arg(long, short = 't')]
        target: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// Exit statuses: 0 nothing fails, 1 a target fails (`diff`: a finding), 2 the image could not
/// be analysed, 3 ECR holds the image but will not serve it (archived, or being restored).
const EXIT_FAIL: u8 = 1;
const EXIT_ERROR: u8 = 2;
const EXIT_UNPULLABLE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`archlens inspect ... | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let msg = format!("{e:#}");
            eprintln!("archlens: {}", archlens::text::sanitize(&msg));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let env = cli
        .global
        .resolve(matches!(cli.command, Some(Command::Audit(_))))?;
    let cache: Option<&dyn LayerCache> = env.cache.as_deref().map(|c| c as &dyn LayerCache);
    let ui = |launch, target| -> Result<u8> {
        archlens::ui::run(archlens::ui::Options {
            launch,
            target,
            // The screen shows its own status; stderr would tear it, and a session has no
            // overall deadline.
            registry: Some(RegistryOptions {
                notices: Notices::default(),
                deadline: None,
                ..env.opts.clone()
            }),
            cache: env.cache.clone(),
        })?;
        Ok(0)
    };
    let Some(command) = cli.command else {
        return ui(
            Launch::Ecr {
                profile: cli.global.profile.first().cloned(),
                region: cli.global.region.first().cloned(),
            },
            None,
        );
    };
    match command {
        Command::Demo { target } => ui(
            Launch::Layout {
                dir: archlens::ui::demo_dir(),
            },
            target,
        ),
        Command::Open { image, target } => ui(Launch::Open { reference: image }, target),
        Command::Local { podman, target } => ui(
            Launch::Engine {
                kind: if podman {
                    EngineKind::Podman
                } else {
                    EngineKind::Docker
                },
            },
            target,
        ),
        Command::Browse { registry, target } => {
            let launch = match registry.as_str() {
                "docker-daemon:" | "docker-daemon" => Launch::Engine {
                    kind: EngineKind::Docker,
                },
                "podman:" | "podman" => Launch::Engine {
                    kind: EngineKind::Podman,
                },
                _ => Launch::Browse { registry },
            };
            ui(launch, target)
        }
        Command::Ls { target, format } => {
            if let Some(t) = &target {
                local_layout_refused(t)?;
            }
            let listing = match &target {
                Some(t) => archlens::catalog::list(t, &env.opts)?,
                None => archlens::catalog::list_default_ecr(&env.opts)?,
            };
            match format {
                Format::Json => emit(&format!("{}\n", report::render_listing_json(&listing)))?,
                Format::Text => emit(&report::render_listing_text(&listing))?,
            }
            Ok(0)
        }
        Command::Diff {
            refs,
            platforms,
            format,
        } => {
            let platforms: Option<[archlens::oci::Platform; 2]> = match platforms.as_deref() {
                Some([a, b]) => Some([a.parse()?, b.parse()?]),
                Some(other) => anyhow::bail!(
                    "--platforms takes two platforms, A,B (e.g. linux/amd64,linux/arm64); got {}",
                    other.len()
                ),
                None => None,
            };
            // `REF@linux/arm64` names a platform of an index; the source is REF.
            let sources = refs
                .iter()
                .map(|r| archlens::diff::split_platform(r).0)
                .map(|r| {
                    source::open_with(r, &env.opts).with_context(|| format!("cannot open {r}"))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut roots = Vec::new();
            for (s, r) in sources.iter().zip(&refs) {
                // An archived image exits as `check` does: 3, its restore command printed.
                match root_or_unpullable(s.as_ref(), r, format, "diff", &[])
                    .with_context(|| format!("cannot read {r}"))?
                {
                    Ok(root) => roots.push(root),
                    Err(code) => return Ok(code),
                }
            }
            let named: Vec<(&str, &analyze::Root)> =
                refs.iter().map(String::as_str).zip(&roots).collect();
            let picks = archlens::diff::choose(&named, platforms.as_ref())?;
            let progress = Progress::default();
            let images = with_progress(&progress, || {
                picks
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let src = sources.get(i).or(sources.first()).map(|s| s.as_ref());
                        let src = src.context("no source")?;
                        analyze::analyze_image(
                            src,
                            &p.entry.digest,
                            Some(&p.entry.media_type),
                            cache,
                            &progress,
                        )
                        .with_context(|| format!("cannot read {}", p.label))
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            let [pa, pb] = &picks;
            let (Some(ia), Some(ib)) = (images.first(), images.get(1)) else {
                anyhow::bail!("diff needs two images");
            };
            let d = archlens::diff::compare(
                (&pa.label, pa.platform.as_ref(), ia),
                (&pb.label, pb.platform.as_ref(), ib),
            );
            match format {
                Format::Json => emit(&format!(
                    "{}\n",
                    report::to_pretty_json(&report::diff_json(&d))
                ))?,
                Format::Text => emit(&report::diff_text(&d, &Colors::for_stdout()))?,
            }
            // A finding (a mislabeled platform) fails the comparison, as a failing target
            // fails `check`: scripts can gate a release on it.
            Ok(if d.findings.is_empty() { 0 } else { EXIT_FAIL })
        }
        Command::Audit(args) => {
            let ecr = archlens::audit::EcrSources {
                profiles: cli.global.profile.clone(),
                regions: cli.global.region.clone(),
            };
            Ok(archlens::audit::cli::run(args, &env.opts, &ecr, cache)?)
        }
        Command::Targets { format } => {
            let all = verdict::target::builtin();
            match format {
                Format::Json => emit(&format!("{}\n", serde_json::to_string_pretty(&all)?))?,
                Format::Text => emit(&report::targets_text(&all, &Colors::for_stdout()))?,
            }
            Ok(0)
        }
        Command::Check {
            image,
            targets,
            format,
            strict,
        } => {
            let targets = check::targets(&targets, &env.opts.config.defaults.targets)
                .map_err(anyhow::Error::msg)?;
            let src = source::open_with(&image, &env.opts)
                .with_context(|| format!("cannot open {image}"))?;
            let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
            let root = match root_or_unpullable(src.as_ref(), &image, format, "check", &names)? {
                Ok(root) => root,
                Err(code) => return Ok(code),
            };
            let progress = Progress::default();
            let run = with_progress(&progress, || {
                check::check(src.as_ref(), &image, root, &targets, cache, &progress)
            });
            match format {
                Format::Json => emit(&format!(
                    "{}\n",
                    report::to_pretty_json(&report::check_json(
                        &image,
                        &run.root,
                        &run.assessments
                    ))
                ))?,
                Format::Text => emit(&report::check_text(
                    &image,
                    &run.root,
                    &run.assessments,
                    &Colors::for_stdout(),
                ))?,
            }
            if let Some((d, e)) = run.unreadable() {
                eprintln!(
                    "archlens: image {d} could not be analysed: {}",
                    archlens::text::sanitize(e)
                );
                return Ok(EXIT_ERROR);
            }
            let results = run.results();
            let fails = results.iter().any(|r| r.verdict == verdict::Verdict::Fail);
            let warns = results.iter().any(|r| r.verdict == verdict::Verdict::Warn);
            Ok(if fails || (strict && warns) {
                EXIT_FAIL
            } else {
                0
            })
        }
        Command::Inspect {
            image,
            platform,
            format,
        } => {
            let want: Option<archlens::oci::Platform> =
                platform.as_deref().map(str::parse).transpose()?;
            let src = source::open_with(&image, &env.opts)
                .with_context(|| format!("cannot open {image}"))?;
            let root = match root_or_unpullable(src.as_ref(), &image, format, "inspect", &[])? {
                Ok(root) => root,
                Err(code) => return Ok(code),
            };
            let entries: Vec<_> = root
                .images()
                .filter(|e| match (&want, &e.platform) {
                    (Some(w), Some(p)) => w == p,
                    (Some(_), None) => !root.is_index,
                    (None, _) => true,
                })
                .collect();
            if entries.is_empty() {
                anyhow::bail!(
                    "{image} has no image for {}; it offers: {}",
                    platform.unwrap_or_default(),
                    root.images()
                        .filter_map(|e| e.platform.as_ref().map(|p| p.to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let progress = Progress::default();
            let analysed: Vec<_> = with_progress(&progress, || {
                entries
                    .iter()
                    .map(|e| {
                        analyze::analyze_image(
                            src.as_ref(),
                            &e.digest,
                            Some(&e.media_type),
                            cache,
                            &progress,
                        )
                        .map_err(|err| err.to_string())
                    })
                    .collect()
            });
            let ins = Inspection {
                reference: &image,
                root: &root,
                images: entries
                    .iter()
                    .zip(&analysed)
                    .map(|(e, r)| (*e, r.as_ref().map_err(|s| s.as_str())))
                    .collect(),
            };
            match format {
                Format::Json => {
                    // Streamed: the document is never in memory whole.
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    report::write_inspect_json(&mut out, &ins).map_err(std::io::Error::from)?;
                    out.flush()?;
                }
                Format::Text => emit(&report::inspect_text(&ins, &Colors::for_stdout()))?,
            }
            Ok(if analysed.iter().any(|r| r.is_err()) {
                EXIT_ERROR
            } else {
                0
            })
        }
    }
}

/// The root of `image`; or, when ECR will not serve it, that result printed as `command`'s
/// output and its exit status.
fn root_or_unpullable(
    src: &dyn source::ImageSource,
    image: &str,
    format: Format,
    command: &str,
    targets: &[&str],
) -> Result<Result<analyze::Root, u8>> {
    let e = match analyze::load_root(src) {
        Ok(root) => return Ok(Ok(root)),
        Err(e) => e,
    };
    let analyze::AnalyzeError::Source(se) = &e else {
        return Err(e.into());
    };
    let Some(u) = se.unpullable() else {
        return Err(e.into());
    };
    match format {
        Format::Json => emit(&format!(
            "{}\n",
            report::to_pretty_json(&report::unpullable_json(
                &format!("archlens.{command}/v1"),
                image,
                u,
                targets
            ))
        ))?,
        Format::Text => emit(&report::unpullable_text(image, u, &Colors::for_stdout()))?,
    }
    Ok(Err(EXIT_UNPULLABLE))
}

fn emit(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Runs `work`, showing layer and byte counts on stderr while it runs if stderr is a terminal.
fn with_progress<T>(progress: &Progress, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut shown = false;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(150));
                let total = progress.layers_total.load(Ordering::Relaxed);
                if total == 0 {
                    continue;
                }
                shown = true;
                eprint!(
                    "\r\x1b[2Kreading layers {}/{}  {} of {}",
                    progress.layers_done.load(Ordering::Relaxed),
                    total,
                    archlens::text::human_size(progress.bytes_read.load(Ordering::Relaxed)),
                    archlens::text::human_size(progress.bytes_total.load(Ordering::Relaxed)),
                );
            }
            if shown {
                eprint!("\r\x1b[2K");
            }
        });
        let r = work();
        done.store(true, Ordering::Relaxed);
        r
    })
}

/// `ls` lists registries and engines; a local layout or archive is read whole by `inspect`
/// or explored by `open`, so say that instead of failing on it as a registry host.
fn local_layout_refused(target: &str) -> Result<()> {
    for scheme in ["oci:", "oci-archive:", "docker-archive:"] {
        if let Some(path) = target.strip_prefix(scheme) {
            anyhow::bail!(
                "`ls` lists registries, repositories and local engines, not {scheme} layouts: \
                 run `archlens inspect {target}` to read {path:?}, or `archlens open {target}` \
                 to explore it"
            );
        }
    }
    Ok(())
}
