//! Running an audit: list, select, then check each image once, writing its record as soon
//! as it is known (so a killed run resumes), with layers shared through one cache.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::record::{self, Record, Status};
use super::{AuditError, Opened, Shard, Tags, repo_selected, select_tags};
use crate::analyze::{self, AnalyzeError, LayerCache, Progress};
use crate::catalog::ImageRow;
use crate::check;
use crate::oci::Digest;
use crate::scan::LayerScan;
use crate::verdict::Target;

/// What to audit and where the records go.
pub struct RunOptions {
    pub repos: Vec<String>,
    pub tags: Tags,
    pub targets: Vec<Target>,
    pub shard: Option<Shard>,
    /// The resumable jsonl file; `None`: records are kept in memory, or streamed.
    pub records: Option<PathBuf>,
    /// Without `records`: write each record to stdout as it is known.
    pub stream: bool,
    /// Stop reading new images once this many bytes were pulled.
    pub max_bytes: Option<u64>,
    /// Set (by Ctrl-C) to start no new image: the run ends as if complete, with
    /// [`Outcome::interrupted`] set.
    pub stop: Option<Arc<AtomicBool>>,
}

/// What a run did, for the summary on stderr.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every record of the output, in report order (those of earlier runs too).
    pub records: Vec<Record>,
    /// Images selected.
    pub selected: usize,
    /// Images skipped because the output already held them.
    pub resumed: usize,
    /// Images left unread by `--max-bytes`.
    pub unread: usize,
    /// Compressed layer bytes downloaded by this run.
    pub pulled: u64,
    /// Compressed layer bytes of the images this run assessed (what it would download
    /// with no layer shared).
    pub assessed_bytes: u64,
    /// Stopped by [`RunOptions::stop`]: `selected` images were known, `recorded` of them have a
    /// record (while listing, `selected` is only those listed so far).
    pub interrupted: bool,
    /// Images with a record (this run's or an earlier one's).
    pub recorded: usize,
    /// What the listing left out (tags past the cap), for people; also said on stderr.
    pub notes: Vec<String>,
}

/// Runs the audit. Records are appended to `opts.records` one whole line at a time and
/// flushed, so a kill loses at most the image being read; at the end the file is rewritten
/// in report order.
pub fn audit(
    opened: &Opened,
    opts: &RunOptions,
    cache: Option<&dyn LayerCache>,
) -> Result<Outcome, AuditError> {
    let names: Vec<String> = opts.targets.iter().map(|t| t.name.clone()).collect();
    let several = opened.catalogs.len() > 1;
    let mut ui = Ticker::new();
    let mut outcome_notes = Vec::new();
    // A repository that cannot be listed is a record too, in its place in report order.
    let mut work: Vec<Item> = Vec::new();
    let stopped = || {
        opts.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    };
    'listing: for (ci, catalog) in opened.catalogs.iter().enumerate() {
        let source_err = |detail: String| AuditError::Source {
            what: catalog.describe(),
            detail,
        };
        // A named repository is read without listing the registry (which may refuse `_catalog`).
        let mut repos: Vec<String> = match &opened.only_repository {
            Some(only) => vec![only.clone()],
            None => catalog
                .repositories()
                .map_err(source_err)?
                .into_iter()
                .map(|r| r.name)
                .collect(),
        };
        repos.retain(|n| repo_selected(&opts.repos, n) && opts.shard.is_none_or(|s| s.takes(n)));
        repos.sort();
        for (i, repo) in repos.iter().enumerate() {
            if stopped() {
                break 'listing;
            }
            ui.listing(i + 1, repos.len());
            let pick = |repository: &str, names: Vec<String>| {
                super::pick_tag_names(&opts.tags, repository, names)
            };
            match catalog.images_picked(repo, &pick) {
                Ok((rows, notes)) => {
                    for n in notes {
                        ui.note(&n);
                        outcome_notes.push(n);
                    }
                    work.extend(
                        select_tags(super::merge_same_digest(rows), &opts.tags, |r| {
                            (&r.tags[..], r.pushed.as_deref())
                        })
                        .into_iter()
                        .map(|r| (ci, repo.clone(), Ok(r))),
                    )
                }
                Err(e) => {
                    // Several registries may hold the same name: the record says whose.
                    let reference = if several {
                        format!("{}/{repo}", catalog.describe())
                    } else {
                        repo.clone()
                    };
                    work.push((
                        ci,
                        repo.clone(),
                        Err(Record::new(repo, &[], &reference, "", &names).failed(
                            Status::Unreadable,
                            &format!("cannot list the images of {repo}: {e}"),
                            None,
                            &opts.targets,
                        )),
                    ))
                }
            }
        }
    }
    // The order of the report (see `Record::sort_key`), so records are written in it.
    let key = |w: &Item| match &w.2 {
        Ok(r) => (
            record::source_of(&r.reference, &w.1).to_string(),
            w.1.clone(),
            r.tags.first().cloned().unwrap_or_default(),
            r.digest.as_ref().map(|d| d.to_string()).unwrap_or_default(),
        ),
        Err(rec) => (
            rec.source().to_string(),
            w.1.clone(),
            String::new(),
            String::new(),
        ),
    };
    work.sort_by_key(key);

    let mut out = Sink::open(opts.records.as_deref(), opts.stream, &names)?;
    let shared = RunCache::new(cache);
    let mut outcome = Outcome {
        selected: work.len(),
        interrupted: stopped(),
        notes: outcome_notes,
        ..Outcome::default()
    };
    ui.start(work.len());
    let mut done = 0;
    let mut batch: Vec<Item> = Vec::new();
    let mut work = work.into_iter().peekable();
    while work.peek().is_some() {
        // The images in flight finish (their records are written); no new one starts.
        if stopped() {
            outcome.interrupted = true;
            // Those an earlier run recorded are recorded still.
            let already = work
                .by_ref()
                .filter(|(_, repo, row)| {
                    row.as_ref()
                        .ok()
                        .and_then(|r| done_key(repo, r))
                        .is_some_and(|k| out.done.contains(&k))
                })
                .count();
            outcome.recorded += already;
            outcome.resumed += already;
            break;
        }
        batch.clear();
        batch.extend(work.by_ref().take(PARALLEL));
        let spent = opts.max_bytes.is_some_and(|max| outcome.pulled >= max);
        let before = shared.pulled_total();
        // Images are read a few at a time (a registry answers slower than a core scans);
        // records are still written in order.
        let results: Vec<Result<Option<Record>, usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|(ci, repo, row)| {
                    let (shared, out_done, names) = (&shared, &out.done, &names);
                    let catalog = opened.catalogs[*ci].as_ref();
                    s.spawn(move || {
                        let row = match row {
                            Ok(row) => row,
                            Err(unlisted) => return Some(unlisted.clone()),
                        };
                        let digest = row.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
                        let reference = display_reference(row);
                        if done_key(repo, row).is_some_and(|k| out_done.contains(&k)) {
                            return None;
                        }
                        let base = Record::new(repo, &row.tags, &reference, &digest, names);
                        Some(if spent {
                            base.failed(
                                Status::Unread,
                                "left unread: --max-bytes was spent; run again with the same --out to read it",
                                None,
                                &opts.targets,
                            )
                        } else {
                            assess(catalog, row, base, &opts.targets, shared)
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .enumerate()
                .map(|(i, h)| h.join().map_err(|_| i))
                .collect()
        });
        outcome.pulled += shared.pulled_total() - before;
        for rec in results {
            done += 1;
            let rec = rec.unwrap_or_else(|i| {
                let (_, repo, row) = &batch[i];
                let (tags, reference) = match row {
                    Ok(r) => (r.tags.clone(), display_reference(r)),
                    Err(r) => (r.tags.clone(), r.reference.clone()),
                };
                Some(Record::new(repo, &tags, &reference, "", &names).failed(
                    Status::Unreadable,
                    "the worker reading this image stopped (a bug: please report it)",
                    None,
                    &opts.targets,
                ))
            });
            let Some(rec) = rec else {
                outcome.resumed += 1;
                outcome.recorded += 1;
                ui.image(done, outcome.pulled, None);
                continue;
            };
            match rec.status {
                Status::Unread => outcome.unread += 1,
                _ => {
                    outcome.assessed_bytes += rec.size;
                    outcome.recorded += 1;
                }
            }
            ui.image(done, outcome.pulled, Some(&rec));
            out.write(rec)?;
        }
    }
    ui.finish();
    outcome.records = out.finish()?;
    Ok(outcome)
}

/// What resuming matches a row on (see [`Sink::done`]); `None` for a row with no digest.
fn done_key(repo: &str, row: &ImageRow) -> Option<(String, String, String)> {
    let digest = row.digest.as_ref()?.to_string();
    let source = record::source_of(&row.reference, repo).to_string();
    Some((source, repo.to_string(), digest))
}

/// `host/repo:tag` for a row listed by digest, so fixes and reports name the tag people use.
fn display_reference(row: &ImageRow) -> String {
    match (row.reference.rsplit_once('@'), row.tags.first()) {
        (Some((name, d)), Some(tag)) if d.starts_with("sha256:") => format!("{name}:{tag}"),
        _ => row.reference.clone(),
    }
}

/// One image: its root, then `check` (the verdicts `archlens check` gives).
fn assess(
    catalog: &dyn crate::catalog::Catalog,
    row: &ImageRow,
    base: Record,
    targets: &[Target],
    cache: &RunCache,
) -> Record {
    if let Some(u) = &row.unpullable {
        return unpullable(base, u, targets);
    }
    let claims = Claims {
        run: cache,
        held: Mutex::new(HashSet::new()),
    };
    let src = match catalog.open(row) {
        Ok(s) => Counted {
            inner: s,
            claims: &claims,
        },
        Err(e) => return base.failed(Status::Unreadable, &e, None, targets),
    };
    let root = match analyze::load_root(&src) {
        Ok(r) => r,
        Err(AnalyzeError::Source(se)) if se.unpullable().is_some() => {
            let u = se.unpullable().cloned();
            return match u {
                Some(u) => unpullable(base, &u, targets),
                None => base.failed(Status::Unreadable, &se.to_string(), None, targets),
            };
        }
        Err(e) => return base.failed(Status::Unreadable, &e.to_string(), None, targets),
    };
    let mut base = base;
    if base.digest.is_empty() {
        base.digest = root.digest.to_string();
    }
    let progress = Progress::default();
    let reference = base.reference.clone();
    let run = check::check(&src, &reference, root, targets, Some(&claims), &progress);
    base.assessed(&run)
}

fn unpullable(base: Record, u: &crate::source::ecr::Unpullable, targets: &[Target]) -> Record {
    let cause = format!(
        "ECR holds {}@{} but will not serve it: {}{}",
        u.repository,
        u.digest,
        u.status.word(),
        u.since
            .as_deref()
            .map_or_else(String::new, |s| format!(" since {s}"))
    );
    base.failed(
        Status::Unpullable,
        &cause,
        Some(u.restore_command()),
        targets,
    )
}

/// Where records go: a resumable file, stdout as they come, or memory.
struct Sink {
    file: Option<(PathBuf, std::fs::File)>,
    stream: bool,
    kept: Vec<Record>,
    /// (source, repository, digest) already in the file for these targets.
    done: HashSet<(String, String, String)>,
}

impl Sink {
    fn open(path: Option<&Path>, stream: bool, targets: &[String]) -> Result<Sink, AuditError> {
        let Some(path) = path else {
            return Ok(Sink {
                file: None,
                stream,
                kept: Vec::new(),
                done: HashSet::new(),
            });
        };
        let io = |source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut done = HashSet::new();
        if path.exists() {
            let records = record::read_jsonl(path)?;
            for r in &records {
                if r.targets != targets {
                    return Err(AuditError::Usage(format!(
                        "{} holds records for the targets {}, and this run asks for {}: resume with the same --target options, or write to another --out",
                        path.display(),
                        r.targets.join(","),
                        targets.join(",")
                    )));
                }
                if r.done() {
                    done.insert((
                        r.source().to_string(),
                        r.repository.clone(),
                        r.digest.clone(),
                    ));
                }
            }
            if records.iter().all(Record::done) {
                cut_partial_line(path).map_err(io)?;
            } else {
                // What this run reads again must not also survive from the last run.
                let kept: Vec<Record> = records.into_iter().filter(Record::done).collect();
                write_records(path, &kept)?;
            }
        } else if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok(Sink {
            file: Some((path.to_path_buf(), file)),
            stream: false,
            kept: Vec::new(),
            done,
        })
    }

    fn write(&mut self, r: Record) -> Result<(), AuditError> {
        match &mut self.file {
            // One write per record: a kill leaves whole lines, or a cut last one.
            Some((path, f)) => f
                .write_all(r.line().as_bytes())
                .map_err(|source| AuditError::Io {
                    path: path.clone(),
                    source,
                }),
            None if self.stream => {
                let mut o = std::io::stdout().lock();
                o.write_all(r.line().as_bytes())
                    .and_then(|_| o.flush())
                    .map_err(|source| AuditError::Io {
                        path: "standard output".into(),
                        source,
                    })?;
                self.kept.push(r);
                Ok(())
            }
            None => {
                self.kept.push(r);
                Ok(())
            }
        }
    }

    /// Every record of the output in report order; the file is rewritten so (atomically).
    fn finish(self) -> Result<Vec<Record>, AuditError> {
        let Some((path, f)) = self.file else {
            return Ok(record::canonical(self.kept));
        };
        drop(f);
        let records = record::canonical(record::read_jsonl(&path)?);
        write_records(&path, &records)?;
        Ok(records)
    }
}

/// Writes `records` to `path` through a temporary file renamed over it.
pub fn write_records(path: &Path, records: &[Record]) -> Result<(), AuditError> {
    let tmp = path.with_extension("jsonl.tmp");
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text: String = records.iter().map(Record::line).collect();
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Drops a last line without its newline (a write the kill cut short), so appends start
/// on a line of their own.
fn cut_partial_line(path: &Path) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(keep as u64)
}

/// An image to read: its catalog (of `Opened::catalogs`), repository, and row (or the
/// record of a repository that could not be listed).
type Item = (usize, String, Result<ImageRow, Record>);

/// Images read at once.
const PARALLEL: usize = 4;

/// Scans kept in memory when there is no disk cache, so layers shared by the images of one
/// run are read once; bounded, least recently used out.
const MEMORY_SCANS: usize = 256;

/// How long an image waits for another's download of a layer before reading it itself.
const CLAIM_PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);

/// What [`RunCache::get_or_claim`] found.
enum Lookup {
    Hit(LayerScan),
    /// A miss, and the layer is the caller's to download (others wait for it).
    Claimed,
    /// A miss the caller reads without a claim.
    Read,
}

/// Layer scans by digest, each with when it was last used.
type Scans = HashMap<Digest, (u64, LayerScan)>;

/// The run's layer cache: the disk cache when there is one, else a bounded memory one. A
/// layer missing from it is claimed by the first image that asks; the others wait until it is
/// put or abandoned, so images read at once download a shared layer once.
struct RunCache<'a> {
    inner: Option<&'a dyn LayerCache>,
    memory: Mutex<(u64, Scans)>,
    /// Layers being downloaded, by one image each.
    flight: Mutex<HashSet<Digest>>,
    landed: Condvar,
    /// Compressed layer bytes downloaded, counted by [`Counted`] as each download starts
    /// (those of images that then fail too).
    pulled: AtomicU64,
}

impl<'a> RunCache<'a> {
    fn new(inner: Option<&'a dyn LayerCache>) -> RunCache<'a> {
        RunCache {
            inner,
            memory: Mutex::new((0, HashMap::new())),
            flight: Mutex::new(HashSet::new()),
            landed: Condvar::new(),
            pulled: AtomicU64::new(0),
        }
    }

    fn pulled_total(&self) -> u64 {
        self.pulled.load(Ordering::Relaxed)
    }

    /// The scan of `digest`, or a miss for the caller to download: [`Lookup::Claimed`] when
    /// the caller now holds the layer's claim (and must put or abandon it), [`Lookup::Read`]
    /// when it reads without one (waiting gave up, or the cache would not answer).
    fn get_or_claim(&self, digest: &Digest) -> Lookup {
        // A kept scan that cannot be read (a shared cache's file this user may not open, a
        // stale NFS handle) gets one more look, then is read again: never a spin.
        let mut looked_again = false;
        loop {
            if let Some(hit) = self.lookup(digest) {
                return Lookup::Hit(hit);
            }
            let Ok(mut flight) = self.flight.lock() else {
                return Lookup::Read;
            };
            // Put stores before it releases, so a layer neither kept nor in flight under
            // this lock is one nobody is downloading.
            let since = Instant::now();
            while flight.contains(digest) {
                // Failed downloads are abandoned at once (`LayerCache::abandon`); the patience
                // is for a claim that outlives that, so at worst the layer is read twice.
                let Some(left) = CLAIM_PATIENCE.checked_sub(since.elapsed()) else {
                    return Lookup::Read;
                };
                flight = match self.landed.wait_timeout(flight, left) {
                    Ok((f, _)) => f,
                    Err(_) => return Lookup::Read,
                };
            }
            if looked_again || !self.has(digest) {
                flight.insert(digest.clone());
                return Lookup::Claimed;
            }
            looked_again = true;
        }
    }

    fn release(&self, digest: &Digest) {
        if let Ok(mut flight) = self.flight.lock() {
            flight.remove(digest);
        }
        self.landed.notify_all();
    }

    fn lookup(&self, digest: &Digest) -> Option<LayerScan> {
        if let Some(c) = self.inner {
            return c.get(digest);
        }
        let mut g = self.memory.lock().ok()?;
        g.0 += 1;
        let now = g.0;
        let hit = g.1.get_mut(digest)?;
        hit.0 = now;
        Some(hit.1.clone())
    }

    fn store(&self, digest: &Digest, scan: &LayerScan) {
        if let Some(c) = self.inner {
            return c.put(digest, scan);
        }
        let Ok(mut g) = self.memory.lock() else {
            return;
        };
        g.0 += 1;
        let now = g.0;
        if g.1.len() >= MEMORY_SCANS
            && let Some(old) = g.1.iter().min_by_key(|(_, v)| v.0).map(|(k, _)| k.clone())
        {
            g.1.remove(&old);
        }
        g.1.insert(digest.clone(), (now, scan.clone()));
    }

    fn has(&self, digest: &Digest) -> bool {
        match self.inner {
            Some(c) => c.has(digest),
            None => self.memory.lock().is_ok_and(|g| g.1.contains_key(digest)),
        }
    }
}

/// One image's view of the [`RunCache`]: the layers it claimed, abandoned when it is
/// dropped (a failed download never puts), so images waiting on them try themselves.
struct Claims<'r, 'a> {
    run: &'r RunCache<'a>,
    held: Mutex<HashSet<Digest>>,
}

impl LayerCache for Claims<'_, '_> {
    fn get(&self, digest: &Digest) -> Option<LayerScan> {
        // Asking again for a layer this image holds means its own download failed: never
        // wait for oneself.
        if self.held.lock().is_ok_and(|h| h.contains(digest)) {
            return None;
        }
        match self.run.get_or_claim(digest) {
            Lookup::Hit(scan) => Some(scan),
            Lookup::Claimed => {
                if let Ok(mut h) = self.held.lock() {
                    h.insert(digest.clone());
                }
                None
            }
            Lookup::Read => None,
        }
    }

    fn put(&self, digest: &Digest, scan: &LayerScan) {
        self.run.store(digest, scan);
        if let Ok(mut h) = self.held.lock() {
            h.remove(digest);
        }
        self.run.release(digest);
    }

    fn has(&self, digest: &Digest) -> bool {
        self.run.has(digest)
    }

    /// A claimed layer whose download or scan failed: the next image to ask tries it.
    fn abandon(&self, digest: &Digest) {
        if self.held.lock().is_ok_and(|mut h| h.remove(digest)) {
            self.run.release(digest);
        }
    }
}

impl Drop for Claims<'_, '_> {
    fn drop(&mut self) {
        let held = self.held.get_mut().map(std::mem::take).unwrap_or_default();
        for d in held {
            self.run.release(&d);
        }
    }
}

/// An image's source that adds each layer it downloads to the run's bytes pulled (configs
/// and manifests are not layers: `small_blob`, `root` and `manifest` pass through).
struct Counted<'c, 'r, 'a> {
    inner: Box<dyn crate::source::ImageSource>,
    claims: &'c Claims<'r, 'a>,
}

impl crate::source::ImageSource for Counted<'_, '_, '_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn root(&self) -> Result<crate::source::Fetched, crate::source::SourceError> {
        self.inner.root()
    }
    fn manifest(
        &self,
        digest: &Digest,
        media_type: Option<&str>,
    ) -> Result<crate::source::Fetched, crate::source::SourceError> {
        self.inner.manifest(digest, media_type)
    }
    fn blob(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Box<dyn std::io::Read + Send>, crate::source::SourceError> {
        let r = self
            .inner
            .blob(digest, size)
            .inspect_err(|_| self.claims.abandon(digest))?;
        self.claims.run.pulled.fetch_add(size, Ordering::Relaxed);
        Ok(r)
    }
    fn verified_file(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Option<crate::source::BlobFile>, crate::source::SourceError> {
        let f = self
            .inner
            .verified_file(digest, size)
            .inspect_err(|_| self.claims.abandon(digest))?;
        if f.is_some() {
            self.claims.run.pulled.fetch_add(size, Ordering::Relaxed);
        }
        Ok(f)
    }
    fn small_blob(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Vec<u8>, crate::source::SourceError> {
        self.inner.small_blob(digest, size)
    }
}

/// Progress on stderr: a line redrawn in place on a terminal, else one line per image
/// (for the logs of a Kubernetes pod or a Batch job).
struct Ticker {
    terminal: bool,
    started: Instant,
    total: usize,
}

impl Ticker {
    fn new() -> Ticker {
        Ticker {
            terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            total: 0,
        }
    }

    fn listing(&self, n: usize, of: usize) {
        if self.terminal {
            eprint!("\r\x1b[2Klisting repositories {n}/{of}");
        }
    }

    fn note(&self, text: &str) {
        let clear = if self.terminal { "\r\x1b[2K" } else { "" };
        eprintln!("{clear}archlens: note: {}", crate::text::sanitize(text));
    }

    fn start(&mut self, total: usize) {
        self.total = total;
        self.started = Instant::now();
    }

    fn image(&self, done: usize, pulled: u64, rec: Option<&Record>) {
        let secs = self.started.elapsed().as_secs_f64();
        let eta = if done > 0 && done < self.total {
            let left = secs / done as f64 * (self.total - done) as f64;
            format!("  ETA {}", human_secs(left))
        } else {
            String::new()
        };
        let bytes = crate::text::human_size(pulled);
        if self.terminal {
            eprint!(
                "\r\x1b[2Kaudit {done}/{} images  {bytes} pulled{eta}",
                self.total
            );
            return;
        }
        let Some(r) = rec else {
            return;
        };
        let verdicts: Vec<String> = r
            .results
            .iter()
            .map(|t| format!("{} {}", t.target, t.verdict.word()))
            .collect();
        let what = match r.status {
            Status::Assessed => verdicts.join(", "),
            Status::Unread => "left unread (--max-bytes)".into(),
            _ => format!("error: {}", r.error.as_deref().unwrap_or("")),
        };
        eprintln!(
            "archlens: audit {done}/{} {}: {}  ({bytes} pulled{eta})",
            self.total,
            crate::text::sanitize(&r.reference),
            crate::text::sanitize(&what)
        );
    }

    fn finish(&self) {
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
    }
}

fn human_secs(s: f64) -> String {
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
