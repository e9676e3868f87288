//! The `audit` and `audit merge` command lines, parsed and turned into a run, so `main`
//! only hands them over.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use signal_hook::consts::SIGINT;

use super::record::{self, Record};
use super::run::{RunOptions, write_records};
use super::{AuditError, EcrSources, Shard, Summary, Tags, open_source};
use crate::analyze::LayerCache;
use crate::report::audit as render;
use crate::source::registry::RegistryOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Json,
    Markdown,
    Html,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub merge: Option<AuditCommand>,
    /// Where the images are: none or `ecr:` for the ECR registry of the current profile and
    /// region, a registry host (`localhost:5000`), `host/repository`, `docker-daemon:`,
    /// `podman:`, an OCI layout or a directory of layouts.
    pub source: Option<String>,
    /// Only repositories matching this glob (`*` matches `/` too); repeat for several.
    #[arg(long = "repos", value_name = "GLOB")]
    pub repos: Vec<String>,
    /// `latest` (the tag latest, else the newest push, else the highest version), a number
    /// N (the N newest), `all`, or a glob of tags.
    #[arg(long, default_value = "latest")]
    pub tags: String,
    /// A profile or os/arch; repeat for several. Default: the targets `check` uses.
    #[arg(long = "target", short = 't')]
    pub targets: Vec<String>,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// FILE, or DIR/ for DIR/audit[-shard-I-of-N].jsonl (plus the report for other
    /// formats). Running again with the same --out resumes.
    #[arg(long, value_name = "FILE|DIR/")]
    pub out: Option<String>,
    /// Stop reading new images once this much was pulled (`500M`, `20G`, `1GiB`).
    #[arg(long, value_name = "SIZE")]
    pub max_bytes: Option<String>,
    /// I/N: the repositories whose name hash is I modulo N (I from 0); `auto/N` takes I
    /// from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Combine jsonl outputs (of shards, or of several runs) into one report, the same as a
    /// single run would give.
    Merge {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: Format,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `500M`, `2G`, `1GiB`, `12345`: SI units (as registries count), or binary with `i`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix(['B', 'b']).unwrap_or(t);
    let (num, mult) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        None => (t, 1u64),
        Some((i, _)) => {
            let unit = t[i..].to_ascii_lowercase();
            let m = match unit.as_str() {
                "k" => 1_000,
                "m" => 1_000_000,
                "g" => 1_000_000_000,
                "t" => 1_000_000_000_000,
                "ki" => 1 << 10,
                "mi" => 1 << 20,
                "gi" => 1 << 30,
                "ti" => 1 << 40,
                _ => {
                    return Err(format!(
                        "--max-bytes {s:?}: unknown unit; use a number with k, M, G, T (or KiB, MiB, GiB)"
                    ));
                }
            };
            (&t[..i], m)
        }
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("--max-bytes {s:?}: not a size like 500M or 20G"))?;
    if !(n.is_finite() && n >= 0.0) {
        return Err(format!("--max-bytes {s:?}: not a size like 500M or 20G"));
    }
    Ok((n * mult as f64) as u64)
}

/// Where records and report go.
struct Paths {
    records: Option<PathBuf>,
    report: Option<PathBuf>,
}

fn paths(out: Option<&str>, format: Format, shard: Option<Shard>) -> Result<Paths, AuditError> {
    let Some(out) = out else {
        return Ok(Paths {
            records: None,
            report: None,
        });
    };
    let stem = match shard {
        Some(s) => format!("audit-shard-{}-of-{}", s.index, s.count),
        None => "audit".into(),
    };
    let as_dir = out.ends_with('/') || Path::new(out).is_dir();
    let (records, report) = if as_dir {
        let d = Path::new(out);
        (
            d.join(format!("{stem}.jsonl")),
            d.join(format!("{stem}.{}", format.extension())),
        )
    } else {
        let f = PathBuf::from(out);
        match format {
            Format::Jsonl => (f.clone(), f),
            _ => (f.with_extension("jsonl"), f),
        }
    };
    if format != Format::Jsonl && records == report {
        return Err(AuditError::Usage(format!(
            "--out {out}: the {} report and the resumable records would be the same file; name the report with its own extension (.{})",
            format.extension(),
            format.extension()
        )));
    }
    Ok(Paths {
        records: Some(records),
        report: (format != Format::Jsonl).then_some(report),
    })
}

fn render(records: &[Record], format: Format) -> String {
    let summary = Summary::of(records);
    match format {
        Format::Jsonl => render::audit_jsonl(records),
        Format::Json => format!(
            "{}\n",
            crate::report::to_pretty_json(&render::audit_json(records, &summary))
        ),
        Format::Markdown => render::audit_markdown(&summary),
        Format::Html => render::audit_html(&summary),
    }
}

fn write_out(path: Option<&Path>, text: &str) -> Result<(), AuditError> {
    use std::io::Write;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| AuditError::Io { path: p, source }
    };
    match path {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io(p))?;
            }
            std::fs::write(p, text).map_err(io(p))
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes())
                .and_then(|_| o.flush())
                .map_err(io(Path::new("standard output")))
        }
    }
}

/// Runs `audit` or `audit merge`; the exit status (0: the audit is complete, whatever its
/// verdicts, so a Job does not retry a finished shard).
pub fn run(
    args: AuditArgs,
    opts: &RegistryOptions,
    ecr: &EcrSources,
    cache: Option<&dyn LayerCache>,
) -> Result<u8, AuditError> {
    if let Some(AuditCommand::Merge { files, format, out }) = args.merge {
        return merge(&files, format, out.as_deref());
    }
    let shard = args
        .shard
        .as_deref()
        .map(|s| Shard::parse(s, |k| std::env::var(k).ok()))
        .transpose()
        .map_err(AuditError::Usage)?;
    let tags: Tags = args.tags.parse().map_err(AuditError::Usage)?;
    let max_bytes = args
        .max_bytes
        .as_deref()
        .map(parse_size)
        .transpose()
        .map_err(AuditError::Usage)?;
    let targets = crate::check::targets(&args.targets, &opts.config.defaults.targets)
        .map_err(AuditError::Usage)?;
    let paths = paths(args.out.as_deref(), args.format, shard)?;
    let opened = open_source(args.source.as_deref(), opts, ecr)?;
    let stream = paths.records.is_none() && args.format == Format::Jsonl;
    let run_opts = RunOptions {
        repos: args.repos,
        tags,
        targets,
        shard,
        records: paths.records.clone(),
        stream,
        max_bytes,
        stop: Some(interrupt()?),
    };
    let outcome = super::run::audit(&opened, &run_opts, cache)?;
    if !stream && (paths.report.is_some() || paths.records.is_none()) {
        write_out(
            paths.report.as_deref(),
            &render(&outcome.records, args.format),
        )?;
    }
    let summary = Summary::of(&outcome.records);
    eprint!("archlens: {}", render::audit_stderr(&summary));
    eprintln!(
        "archlens: this run read {} new images ({} resumed from the output, {} left unread): pulled {} ({} bytes) for images of {} ({} bytes) in all, layers shared and cached",
        outcome.recorded - outcome.resumed,
        outcome.resumed,
        outcome.unread,
        crate::text::human_size(outcome.pulled),
        outcome.pulled,
        crate::text::human_size(outcome.assessed_bytes),
        outcome.assessed_bytes
    );
    if let Some(p) = &paths.records {
        eprintln!("archlens: records in {}", p.display());
    }
    if outcome.interrupted {
        let (n, m) = (outcome.recorded, outcome.selected);
        match &paths.records {
            Some(p) => eprintln!(
                "interrupted: {n} of {m} images recorded in {}; run the same command again to continue",
                p.display()
            ),
            None => eprintln!(
                "interrupted: {n} of {m} images read, and the output is partial; give --out FILE to make a run you can continue"
            ),
        }
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(0)
}

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The flag the first Ctrl-C sets (the run then starts no new image and ends with a valid,
/// resumable output); a second Ctrl-C exits at once, with status 130.
fn interrupt() -> Result<Arc<AtomicBool>, AuditError> {
    static FLAG: OnceLock<Result<Arc<AtomicBool>, String>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        // Registered first, so it sees the flag as the previous Ctrl-C left it.
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone())
            .and_then(|_| signal_hook::flag::register(SIGINT, flag.clone()))
            .map(|_| flag)
            .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(|e| AuditError::Usage(format!("cannot install the Ctrl-C handler: {e}")))
}

/// `audit merge`: every record of `files`, deduplicated, in report order.
fn merge(files: &[PathBuf], format: Format, out: Option<&Path>) -> Result<u8, AuditError> {
    let mut all: Vec<Record> = Vec::new();
    let mut targets: Option<(Vec<String>, &Path)> = None;
    for f in files {
        for r in record::read_jsonl(f)? {
            match &targets {
                None => targets = Some((r.targets.clone(), f)),
                Some((t, first)) if *t != r.targets => {
                    return Err(AuditError::Usage(format!(
                        "{} was audited for the targets {} and {} for {}: merge outputs of runs with the same --target options",
                        first.display(),
                        t.join(","),
                        f.display(),
                        r.targets.join(",")
                    )));
                }
                Some(_) => {}
            }
            all.push(r);
        }
    }
    let records = record::canonical(all);
    match (format, out) {
        (Format::Jsonl, Some(p)) => write_records(p, &records)?,
        _ => write_out(out, &render(&records, format))?,
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("500M").unwrap(), 500_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("12345").unwrap(), 12345);
        assert_eq!(parse_size("1.5k").unwrap(), 1500);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5X").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn out_dir_names_the_shard() {
        let s = Some(Shard { index: 2, count: 4 });
        let p = paths(Some("/x/"), Format::Html, s).unwrap();
        assert_eq!(p.records.unwrap(), Path::new("/x/audit-shard-2-of-4.jsonl"));
        assert_eq!(p.report.unwrap(), Path::new("/x/audit-shard-2-of-4.html"));
        let p = paths(Some("/x/r.jsonl"), Format::Jsonl, None).unwrap();
        assert_eq!(p.records.unwrap(), Path::new("/x/r.jsonl"));
        assert!(p.report.is_none());
        assert!(paths(Some("/x/r.jsonl"), Format::Html, None).is_err());
    }
}
