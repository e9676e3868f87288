//! `archlens audit`: every selected image of a registry, ECR, engine or layout directory
//! checked against the targets (through [`crate::check::check`]), one jsonl record per image.
//!
//! This file holds what is decided before any image is read: the source, the repositories
//! and tags selected, and the shard. [`run`] reads, [`record`] is the format, [`summary`]
//! the counts people act on.

pub mod cli;
pub mod record;
pub mod run;
pub mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use crate::catalog::{self, Catalog, ImageRow, ListTarget, RepoRow};
use crate::source::engine::EngineKind;
use crate::source::registry::RegistryOptions;

pub use record::{Record, Status, TargetRecord, Verdict};
pub use run::{Outcome, RunOptions, audit};
pub use summary::Summary;

/// Errors in what `audit` was asked to do, before or while it reads.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {detail}")]
    Source { what: String, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {detail}")]
    Record {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

/// Which tags of a repository are audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tags {
    /// The tag `latest` if the repository has one, else the newest pushed image, else (a
    /// registry that keeps no push times) the highest tag in version order.
    Latest,
    /// The N newest images (by push time, else by tag in version order, highest first).
    Newest(usize),
    /// Every tagged image.
    All,
    /// Images with a tag matching the glob (`*` any run of characters, `?` one).
    Glob(String),
}

impl std::str::FromStr for Tags {
    type Err = String;
    fn from_str(s: &str) -> Result<Tags, String> {
        Ok(match s {
            "latest" => Tags::Latest,
            "all" => Tags::All,
            "" => return Err("--tags needs latest, a number, all, or a glob like 'v1.*'".into()),
            n if n.bytes().all(|c| c.is_ascii_digit()) => match n.parse::<usize>() {
                Ok(0) | Err(_) => {
                    return Err(format!("--tags {n}: give a number of tags from 1 up"));
                }
                Ok(n) => Tags::Newest(n),
            },
            g => Tags::Glob(g.to_string()),
        })
    }
}

/// `--shard I/N`: this worker takes the repositories whose name hash is I modulo N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `I/N` with I in 0..N; `auto/N` takes I from `JOB_COMPLETION_INDEX` (Kubernetes
    /// Indexed Job), else `AWS_BATCH_JOB_ARRAY_INDEX` (AWS Batch array job).
    pub fn parse(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: give I/N (like 0/4) or auto/N"))?;
        let count: u32 = n
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("--shard {s:?}: N must be a whole number from 1 up"))?;
        let (index_text, from) = if i == "auto" {
            let found = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]
                .into_iter()
                .find_map(|k| env(k).map(|v| (v, k)));
            let Some((v, k)) = found else {
                return Err(format!(
                    "--shard auto/{count}: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) is set; pass --shard I/{count} with I from 0 to {}",
                    count - 1
                ));
            };
            (v, Some(k))
        } else {
            (i.to_string(), None)
        };
        let named = from.map_or_else(String::new, |k| format!(" (from {k})"));
        let index: u32 = index_text.trim().parse().map_err(|_| {
            format!("--shard {s:?}: index {index_text:?}{named} is not a whole number")
        })?;
        if index >= count {
            return Err(format!(
                "--shard {s:?}: index {index}{named} is out of range: shards are numbered 0 to {} (Kubernetes and AWS Batch count from 0)",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether `repository` belongs to this shard.
    pub fn takes(&self, repository: &str) -> bool {
        shard_of(repository, self.count) == self.index
    }
}

/// The shard of a repository among `count`: the first 8 bytes of SHA-256 of its name, big
/// endian, modulo `count`. Stable across runs, machines and versions (the deploy docs show
/// the same arithmetic in a shell line).
pub fn shard_of(repository: &str, count: u32) -> u32 {
    let h = Sha256::digest(repository.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(first) % u64::from(count.max(1))) as u32
}

/// Whether `text` matches `glob`: `*` any run of characters (`/` too), `?` one character.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (glob.chars().collect(), text.chars().collect());
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ti));
                gi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                gi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sg, st)) => {
                    gi = sg + 1;
                    ti = st + 1;
                    star = Some((sg, st + 1));
                }
                None => return false,
            },
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// Tags compared as people read versions: runs of digits by value (`v1.10` after `v1.9`).
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let b = s.as_bytes();
        for i in 1..=b.len() {
            if i == b.len() || b[i].is_ascii_digit() != b[start].is_ascii_digit() {
                out.push((b[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if o.is_ne() {
            return o;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

/// The rows of one repository that `tags` selects (untagged images never: they are index
/// children, attachments or leftovers), in listing order. `facts` gives a row's tags and push
/// time (RFC 3339, which orders as text).
pub fn select_tags<T>(
    rows: Vec<T>,
    tags: &Tags,
    facts: impl Fn(&T) -> (&[String], Option<&str>),
) -> Vec<T> {
    let mut rows: Vec<T> = rows
        .into_iter()
        .filter(|r| !facts(r).0.is_empty())
        .collect();
    let top = |r: &T| {
        facts(r)
            .0
            .iter()
            .max_by(|x, y| version_order(x, y))
            .cloned()
            .unwrap_or_default()
    };
    let newest_first = |rows: &mut Vec<T>| {
        rows.sort_by(|a, b| {
            facts(b)
                .1
                .cmp(&facts(a).1)
                .then_with(|| version_order(&top(b), &top(a)))
        })
    };
    match tags {
        Tags::All => rows,
        Tags::Glob(g) => rows
            .into_iter()
            .filter(|r| facts(r).0.iter().any(|t| glob_match(g, t)))
            .collect(),
        Tags::Newest(n) => {
            newest_first(&mut rows);
            rows.truncate(*n);
            rows
        }
        Tags::Latest => {
            if let Some(i) = rows
                .iter()
                .position(|r| facts(r).0.iter().any(|t| t == "latest"))
            {
                return vec![rows.swap_remove(i)];
            }
            newest_first(&mut rows);
            rows.truncate(1);
            rows
        }
    }
}

/// The tags of `repository` whose manifests the audit reads, chosen by name from its whole
/// tag list before any manifest is fetched (a plain registry fetches one per tag), and a note
/// when the cap of [`catalog::MAX_TAGS_INSPECTED`] leaves some out. `latest`: that tag, else
/// the highest in version order (a plain registry keeps no push times); a glob: the tags it
/// matches; N or all: the highest in version order. [`select_tags`] then picks the images.
pub fn pick_tag_names(
    tags: &Tags,
    repository: &str,
    mut names: Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let cap = catalog::MAX_TAGS_INSPECTED;
    match tags {
        Tags::Latest => {
            let top = if names.iter().any(|t| t == "latest") {
                Some("latest".to_string())
            } else {
                names.into_iter().max_by(|a, b| version_order(a, b))
            };
            return (top.into_iter().collect(), Vec::new());
        }
        Tags::Glob(g) => names.retain(|t| glob_match(g, t)),
        Tags::Newest(_) | Tags::All => {}
    }
    names.sort_by(|a, b| version_order(b, a));
    let mut notes = Vec::new();
    let capped = match tags {
        Tags::Newest(n) => *n >= cap,
        _ => true,
    };
    if capped && names.len() > cap {
        notes.push(format!(
            "{repository}: {} tags selected; only the {cap} highest in version order were audited (from {} to {}). Audit the others with a narrower --tags glob",
            names.len(),
            names[0],
            names[cap - 1]
        ));
    }
    names.truncate(cap);
    (names, notes)
}

/// Rows naming one digest merged into one, with every tag (an OCI layout lists a row per ref
/// name), so the image is assessed once and its record lists every tag; the row of the first
/// tag in text order stands for the group. Rows without a digest are kept as they are.
pub fn merge_same_digest(rows: Vec<ImageRow>) -> Vec<ImageRow> {
    let mut out: Vec<ImageRow> = Vec::with_capacity(rows.len());
    let mut at: std::collections::HashMap<crate::oci::Digest, usize> = Default::default();
    for mut row in rows {
        // ECR lists an image's tags in no fixed order; the first names the image in
        // records and reports, so runs and shards must agree on it.
        row.tags.sort();
        row.tags.dedup();
        let Some(d) = row.digest.clone() else {
            out.push(row);
            continue;
        };
        let Some(&i) = at.get(&d) else {
            at.insert(d, out.len());
            out.push(row);
            continue;
        };
        let kept = &mut out[i];
        let mut tags = std::mem::take(&mut kept.tags);
        tags.extend(row.tags.iter().cloned());
        if row.tags.first() < tags.first() {
            *kept = row;
        }
        tags.sort();
        tags.dedup();
        out[i].tags = tags;
    }
    out
}

/// Whether a repository is selected by the `--repos` globs (none: every repository).
pub fn repo_selected(globs: &[String], name: &str) -> bool {
    globs.is_empty() || globs.iter().any(|g| glob_match(g, name))
}

/// A directory whose subdirectories are OCI layouts: one repository per subdirectory.
struct LayoutsCatalog {
    dir: PathBuf,
}

impl LayoutsCatalog {
    fn layout(&self, repository: &str) -> Result<catalog::LayoutCatalog, String> {
        if repository.contains(['/', '\\']) || repository.starts_with('.') {
            return Err(format!(
                "{repository:?} is not a layout of {}",
                self.dir.display()
            ));
        }
        Ok(catalog::LayoutCatalog::new(&self.dir.join(repository)))
    }
}

impl Catalog for LayoutsCatalog {
    fn describe(&self) -> String {
        format!("oci:{}", self.dir.display())
    }
    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        let read = std::fs::read_dir(&self.dir)
            .map_err(|e| format!("cannot list {}: {e}", self.dir.display()))?;
        let mut dirs: Vec<PathBuf> = read
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.join("index.json").is_file())
            .collect();
        dirs.sort();
        // Each layout's own row (its directory name), as `LayoutCatalog` lists it.
        let mut rows = Vec::new();
        for d in dirs {
            rows.extend(catalog::LayoutCatalog::new(&d).repositories()?);
        }
        Ok(rows)
    }
    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String> {
        self.layout(repository)?.images("")
    }
    fn open(&self, image: &ImageRow) -> Result<Box<dyn crate::source::ImageSource>, String> {
        crate::source::open(&image.reference).map_err(|e| e.to_string())
    }
}

/// What `audit SOURCE` reads (several ECR registries with several `--profile`/`--region`),
/// and the one repository it names, if it names one.
pub struct Opened {
    pub catalogs: Vec<Arc<dyn Catalog>>,
    pub only_repository: Option<String>,
}

/// The `--profile` and `--region` options as given: each profile x region is one ECR
/// registry; one of each (or none) is the single registry the options already name.
#[derive(Debug, Clone, Default)]
pub struct EcrSources {
    pub profiles: Vec<String>,
    pub regions: Vec<String>,
}

impl EcrSources {
    /// The options of each ECR registry, or `None` when one is asked (then `opts` has it).
    fn several(&self, opts: &RegistryOptions) -> Option<Vec<RegistryOptions>> {
        if self.profiles.len() <= 1 && self.regions.len() <= 1 {
            return None;
        }
        let or_default = |v: &[String]| -> Vec<Option<String>> {
            if v.is_empty() {
                vec![None]
            } else {
                v.iter().cloned().map(Some).collect()
            }
        };
        let mut out = Vec::new();
        for p in or_default(&self.profiles) {
            for r in or_default(&self.regions) {
                let mut o = opts.clone();
                o.aws.profile = p.clone().or(o.aws.profile);
                o.aws.region = r.or(o.aws.region);
                out.push(o);
            }
        }
        Some(out)
    }
}

/// The catalog for SOURCE: none or `ecr:` the caller's ECR registry (one per profile x
/// region given); `docker-daemon:` / `podman:`; an OCI layout (`oci:DIR` or a directory with
/// index.json) or a directory of layouts; else a registry host, or `host/repository` for one
/// repository.
pub fn open_source(
    source: Option<&str>,
    opts: &RegistryOptions,
    ecr: &EcrSources,
) -> Result<Opened, AuditError> {
    let whole = |catalog: Arc<dyn Catalog>| Opened {
        catalogs: vec![catalog],
        only_repository: None,
    };
    let several = ecr.several(opts);
    let Some(s) = source.filter(|s| !matches!(*s, "ecr" | "ecr:")) else {
        return Ok(match several {
            Some(all) => Opened {
                catalogs: all
                    .into_iter()
                    .map(|o| Arc::new(catalog::RegistryCatalog::new(None, o)) as Arc<dyn Catalog>)
                    .collect(),
                only_repository: None,
            },
            None => whole(Arc::new(catalog::RegistryCatalog::new(None, opts.clone()))),
        });
    };
    if several.is_some() {
        return Err(AuditError::Usage(format!(
            "several --profile or --region read several ECR registries, and {s} is not ECR: leave SOURCE out (or give ecr:), or give --profile and --region once"
        )));
    }
    for kind in [EngineKind::Docker, EngineKind::Podman] {
        if s.trim_end_matches(':') == kind.transport() {
            let spool = opts.cache.as_ref().map(|c| c.dir().join("spool"));
            return Ok(whole(Arc::new(
                catalog::EngineCatalog::new(kind, spool).by_name(),
            )));
        }
    }
    let dir = s
        .strip_prefix("oci:")
        .map(Path::new)
        .unwrap_or(Path::new(s));
    if s.starts_with("oci:") || dir.is_dir() {
        if dir.join("index.json").is_file() {
            return Ok(whole(Arc::new(catalog::LayoutCatalog::new(dir))));
        }
        if dir.is_dir() {
            return Ok(whole(Arc::new(LayoutsCatalog {
                dir: dir.to_path_buf(),
            })));
        }
        return Err(AuditError::Usage(format!(
            "{s}: no such directory (audit reads an OCI layout, or a directory of them)"
        )));
    }
    match catalog::parse_target(s).map_err(|e| AuditError::Source {
        what: s.to_string(),
        detail: e.to_string(),
    })? {
        ListTarget::Registry(host) => Ok(whole(Arc::new(catalog::RegistryCatalog::new(
            Some(&host),
            opts.clone(),
        )))),
        ListTarget::Repository(r) => Ok(Opened {
            catalogs: vec![Arc::new(catalog::RegistryCatalog::new(
                Some(&r.registry),
                opts.clone(),
            ))],
            only_repository: Some(r.repository),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_zero_based_and_auto_reads_the_job_index() {
        let none = |_: &str| None;
        assert_eq!(
            Shard::parse("3/4", none).unwrap(),
            Shard { index: 3, count: 4 }
        );
        let e = Shard::parse("4/4", none).unwrap_err();
        assert!(e.contains("out of range") && e.contains("0 to 3"), "{e}");
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "2".to_string());
        assert_eq!(Shard::parse("auto/4", k8s).unwrap().index, 2);
        let batch = |k: &str| (k == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "9".to_string());
        let e = Shard::parse("auto/4", batch).unwrap_err();
        assert!(
            e.contains("AWS_BATCH_JOB_ARRAY_INDEX") && e.contains("out of range"),
            "{e}"
        );
        let e = Shard::parse("auto/4", none).unwrap_err();
        assert!(e.contains("JOB_COMPLETION_INDEX"), "{e}");
        assert!(Shard::parse("1/0", none).is_err());
    }

    #[test]
    fn shard_of_is_sha256_of_the_name() {
        // printf %s app | sha256sum: a1b4... ; first 8 bytes mod 4.
        let h = Sha256::digest(b"team/app");
        let v = u64::from_be_bytes(h[..8].try_into().unwrap());
        assert_eq!(shard_of("team/app", 4), (v % 4) as u32);
        let split: Vec<u32> = (0..100).map(|i| shard_of(&format!("r{i}"), 4)).collect();
        assert!((0..4).all(|s| split.contains(&s)), "every shard gets some");
    }

    #[test]
    fn globs_and_versions() {
        assert!(glob_match("team/*", "team/a/b"));
        assert!(glob_match("v1.?", "v1.2"));
        assert!(!glob_match("v1.?", "v1.10"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "ac"));
        let mut v = vec!["v1.10", "v1.9", "v1.9.1", "v2"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["v1.9", "v1.9.1", "v1.10", "v2"]);
    }

    /// A listing row as `select_tags` sees it: tags and push time.
    type Row = (Vec<String>, Option<String>);

    fn row(tags: &[&str], pushed: Option<&str>) -> Row {
        (
            tags.iter().map(|t| t.to_string()).collect(),
            pushed.map(str::to_string),
        )
    }

    #[test]
    fn tags_are_picked_by_name_from_the_whole_list_before_any_manifest_is_read() {
        // 300 commit hashes listed before `latest`: the registry's /tags/list order.
        let mut names: Vec<String> = (0..300).map(|i| format!("{:040x}", i * 7919)).collect();
        names.push("latest".into());
        let pick = |t: &str| pick_tag_names(&t.parse().unwrap(), "team/app", names.clone());
        assert_eq!(pick("latest"), (vec!["latest".to_string()], vec![]));
        let (globbed, notes) = pick("lat*");
        assert_eq!((globbed, notes.len()), (vec!["latest".to_string()], 0));
        let (all, notes) = pick("all");
        assert_eq!(all.len(), catalog::MAX_TAGS_INSPECTED);
        assert!(
            notes.len() == 1 && notes[0].contains("team/app: 301 tags selected"),
            "{notes:?}"
        );
        let (three, notes) = pick("3");
        assert_eq!((three.len(), notes.len()), (catalog::MAX_TAGS_INSPECTED, 0));
        let versions = vec!["v1.9".to_string(), "v1.10".to_string()];
        let (top, _) = pick_tag_names(&Tags::Latest, "r", versions);
        assert_eq!(top, ["v1.10"]);
    }

    #[test]
    fn one_digest_under_two_ref_names_is_one_row_with_both_tags() {
        let digest: crate::oci::Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let row = |tag: &str, d: Option<&crate::oci::Digest>| ImageRow {
            tags: vec![tag.to_string()],
            reference: format!("oci:demo:{tag}"),
            digest: d.cloned(),
            pushed: None,
            size: None,
            attached: Box::default(),
            unpullable: None,
            scan_findings: None,
        };
        let rows = vec![
            row("v2", Some(&digest)),
            row("other", None),
            row("latest", Some(&digest)),
        ];
        let merged = merge_same_digest(rows);
        let seen: Vec<(Vec<String>, String)> =
            merged.into_iter().map(|r| (r.tags, r.reference)).collect();
        assert_eq!(
            seen,
            [
                (vec!["latest".into(), "v2".into()], "oci:demo:latest".into()),
                (vec!["other".into()], "oci:demo:other".into()),
            ]
        );
        // One ECR row lists its tags in the API's order: sorted, so every run names it alike.
        let mut ecr = row("v2", Some(&digest));
        ecr.tags = vec!["v2".into(), "latest".into(), "v2".into()];
        let one = merge_same_digest(vec![ecr]);
        assert_eq!(one[0].tags, ["latest", "v2"]);
    }

    #[test]
    fn latest_prefers_the_tag_then_the_newest_push_then_the_highest_version() {
        let pick = |rows, t: &str| -> Vec<String> {
            select_tags(rows, &t.parse().unwrap(), |r: &Row| {
                (&r.0[..], r.1.as_deref())
            })
            .into_iter()
            .map(|r| r.0.join(","))
            .collect()
        };
        let rows = || {
            vec![
                row(&["1.2"], Some("2026-01-03T00:00:00Z")),
                row(&["latest", "1.0"], Some("2026-01-01T00:00:00Z")),
                row(&[], Some("2026-02-01T00:00:00Z")),
            ]
        };
        assert_eq!(pick(rows(), "latest"), ["latest,1.0"]);
        assert_eq!(pick(rows(), "1"), ["1.2"]);
        assert_eq!(pick(rows(), "all").len(), 2, "untagged left out");
        assert_eq!(pick(rows(), "1.*"), ["1.2", "latest,1.0"]);
        let unpushed = vec![row(&["v1.9"], None), row(&["v1.10"], None)];
        assert_eq!(pick(unpushed, "latest"), ["v1.10"]);
    }
}
