//! The audit record (`archlens.audit/v1`, one JSON line per image): what `check --json`
//! says per target, compactly, plus where the image is. Fields may be added, never renamed.

use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::AuditError;
use crate::check::{self, CheckRun};
use crate::verdict::{self, Code, Severity};

pub const SCHEMA: &str = "archlens.audit/v1";

/// A target's verdict as outputs print it: `error` when the image could not be read (then
/// the verdict says nothing about its files), as `check --json` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
    Error,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [Verdict::Pass, Verdict::Warn, Verdict::Fail, Verdict::Error];

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// What became of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Read and assessed (some target may still be `error` when a layer failed).
    Assessed,
    /// Its manifests could not be read: every target is `error`.
    Unreadable,
    /// ECR holds it but will not serve it (archived, being restored): every target `error`.
    Unpullable,
    /// Left unread because `--max-bytes` was spent; a later run with the same `--out` reads it.
    Unread,
}

/// One finding, without the explanation paragraph (`archlens check` prints that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub severity: Severity,
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// One target's result, as `check --json` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRecord {
    pub target: String,
    pub platform: String,
    pub verdict: Verdict,
    /// The image the target runs (manifest digest), if it runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_error: Option<String>,
    /// Why the image could not be read, for `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
}

impl TargetRecord {
    /// The finding that decides the verdict: the first error, else the first warning.
    pub fn cause(&self) -> Option<&FindingRecord> {
        let worst = self.findings.iter().map(|f| f.severity).max()?;
        (worst > Severity::Info)
            .then(|| self.findings.iter().find(|f| f.severity == worst))
            .flatten()
    }

    /// The fix to show: the deciding finding's, else any error's or warning's.
    pub fn fix(&self) -> Option<&str> {
        self.cause().and_then(|f| f.fix.as_deref()).or_else(|| {
            self.findings
                .iter()
                .filter(|f| f.severity > Severity::Info)
                .find_map(|f| f.fix.as_deref())
        })
    }
}

/// One image of the audit (several tags of one digest are one record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub schema: String,
    pub repository: String,
    pub tags: Vec<String>,
    /// As people name it (`host/repo:tag`); the image read is `digest`.
    pub reference: String,
    pub digest: String,
    pub status: Status,
    /// The runnable images' platforms (`linux/amd64`...), index order.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Compressed bytes of the layers of the images the targets pull.
    #[serde(default)]
    pub size: u64,
    /// The targets asked, in order (with the digest, what resuming matches on).
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub results: Vec<TargetRecord>,
}

impl Record {
    /// A record with no results yet.
    pub fn new(
        repository: &str,
        tags: &[String],
        reference: &str,
        digest: &str,
        targets: &[String],
    ) -> Record {
        Record {
            schema: SCHEMA.into(),
            repository: repository.into(),
            tags: tags.to_vec(),
            reference: reference.into(),
            digest: digest.into(),
            status: Status::Assessed,
            platforms: Vec::new(),
            size: 0,
            targets: targets.to_vec(),
            error: None,
            results: Vec::new(),
        }
    }

    /// The record of a check: each target's result, with `error` (not `fail`) for an image
    /// that could not be read, as `check --json` does.
    pub fn assessed(mut self, run: &CheckRun) -> Record {
        self.platforms = run
            .root
            .images()
            .filter_map(|e| e.platform.as_ref().map(|p| p.to_string()))
            .collect();
        self.size = run
            .images
            .values()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(|i| i.layers.iter().map(|l| l.size))
            .sum();
        self.results = run.results().iter().map(target_record).collect();
        self
    }

    /// Every target `error` with the same cause: the image itself could not be read (or,
    /// `unread`, was not read: then no target has a result). `fix` is how to get it read.
    pub fn failed(
        mut self,
        status: Status,
        cause: &str,
        fix: Option<String>,
        targets: &[verdict::Target],
    ) -> Record {
        self.status = status;
        self.error = Some(cause.to_string());
        if status == Status::Unread {
            return self;
        }
        self.results = targets
            .iter()
            .map(|t| TargetRecord {
                target: t.name.clone(),
                platform: t.platform.to_string(),
                verdict: Verdict::Error,
                image: None,
                predicted_error: None,
                error: Some(cause.to_string()),
                findings: vec![FindingRecord {
                    severity: Severity::Error,
                    code: Code::ImageUnreadable,
                    path: None,
                    layer: None,
                    message: cause.to_string(),
                    fix: fix.clone(),
                }],
            })
            .collect();
        self
    }

    /// Records sort by source, repository, first tag, digest: a single run and merged shards
    /// list them in the same order, and one name in two registries stays two records.
    pub fn sort_key(&self) -> (&str, &str, &str, &str) {
        (
            self.source(),
            &self.repository,
            self.tags.first().map_or("", String::as_str),
            &self.digest,
        )
    }

    /// Where the image is: the registry host (or `oci:DIR`) that `reference` names before
    /// the repository; "" when it names none.
    pub fn source(&self) -> &str {
        source_of(&self.reference, &self.repository)
    }

    /// Whether a later run with the same targets can skip this image. Failures that may be
    /// passing (a repository that could not be listed, manifests that could not be read, a
    /// target left at `error` by a layer download) are read again, so a rerun heals an outage;
    /// an archived image answers the same until it is restored, so it is kept.
    pub fn done(&self) -> bool {
        !self.digest.is_empty()
            && match self.status {
                Status::Assessed => !self.results.iter().any(|r| r.verdict == Verdict::Error),
                Status::Unpullable => true,
                Status::Unreadable | Status::Unread => false,
            }
    }

    /// One line of JSON (with its newline).
    pub fn line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The part of `reference` before `/REPOSITORY` when the repository ends the name (then a
/// tag or digest, or nothing, follows; tags and digests hold no `/`), else "".
pub fn source_of<'a>(reference: &'a str, repository: &str) -> &'a str {
    let needle = format!("/{repository}");
    match reference.rfind(&needle) {
        Some(i)
            if matches!(
                reference[i + needle.len()..].chars().next(),
                None | Some(':' | '@')
            ) =>
        {
            &reference[..i]
        }
        _ => "",
    }
}

fn target_record(r: &verdict::TargetResult) -> TargetRecord {
    let error = check::unreadable_cause(r).map(str::to_string);
    TargetRecord {
        target: r.target.clone(),
        platform: r.platform.to_string(),
        verdict: match (error.is_some(), r.verdict) {
            (true, _) => Verdict::Error,
            (_, verdict::Verdict::Pass) => Verdict::Pass,
            (_, verdict::Verdict::Warn) => Verdict::Warn,
            (_, verdict::Verdict::Fail) => Verdict::Fail,
        },
        image: r.image.as_ref().map(|c| c.digest.to_string()),
        predicted_error: r.predicted_error.clone(),
        error,
        findings: r
            .findings
            .iter()
            .map(|f| FindingRecord {
                severity: f.severity,
                code: f.code,
                path: f.path.clone(),
                layer: f.layer.as_ref().map(|d| d.to_string()),
                message: f.message.clone(),
                fix: f.fix.clone(),
            })
            .collect(),
    }
}

/// Records of a jsonl file, in file order. A last line cut short (the process was killed
/// while writing it) is left out; any other bad line is an error naming it.
pub fn read_jsonl(path: &Path) -> Result<Vec<Record>, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut lines = std::io::BufReader::new(file).split(b'\n').peekable();
    let mut out = Vec::new();
    let mut n = 0;
    while let Some(line) = lines.next() {
        n += 1;
        let line = line.map_err(io)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(r) if r.schema == SCHEMA => out.push(r),
            Ok(r) => {
                return Err(AuditError::Record {
                    path: path.to_path_buf(),
                    line: n,
                    detail: format!(
                        "schema {:?}, not {SCHEMA}: written by another archlens; merge with that one",
                        r.schema
                    ),
                });
            }
            // Only the last line can be cut short by a kill.
            Err(_) if lines.peek().is_none() => {}
            Err(e) => {
                return Err(AuditError::Record {
                    path: path.to_path_buf(),
                    line: n,
                    detail: format!("not an audit record: {e}"),
                });
            }
        }
    }
    Ok(out)
}

/// Records in report order, one per (source, repository, digest): an assessed record wins
/// over an `unread` one left by an earlier run that ran out of budget.
pub fn canonical(mut records: Vec<Record>) -> Vec<Record> {
    let id = |r: &Record| {
        (
            r.source().to_string(),
            r.repository.clone(),
            r.digest.clone(),
        )
    };
    records.sort_by_cached_key(|r| (id(r), !r.done()));
    records.dedup_by(|later, first| id(later) == id(first));
    records.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_skipped_and_unread_records_give_way() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        let t = vec!["graviton".to_string()];
        let a = Record::new("r", &["1".into()], "h/r:1", "sha256:aa", &t);
        let b = Record::new("r", &["2".into()], "h/r:2", "sha256:bb", &t).failed(
            Status::Unread,
            "budget",
            None,
            &[],
        );
        let b2 = Record::new("r", &["2".into()], "h/r:2", "sha256:bb", &t);
        let text = format!("{}{}{}", b.line(), a.line(), &b2.line()[..20]);
        std::fs::write(&p, text).unwrap();
        let got = read_jsonl(&p).unwrap();
        assert_eq!(got.len(), 2);
        let c = canonical(vec![b.clone(), a.clone(), b2.clone()]);
        assert_eq!(c, vec![a, b2]);
        std::fs::write(&p, format!("{{oops\n{}", b.line())).unwrap();
        let e = read_jsonl(&p).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("a.jsonl"), "{e}");
    }

    #[test]
    fn failures_that_may_heal_are_read_again_and_archived_images_are_not() {
        let t = vec!["graviton".to_string()];
        let fresh = || Record::new("r", &["1".into()], "h/r:1", "sha256:aa", &t);
        assert!(fresh().done());
        let failed = |status| fresh().failed(status, "503 from the registry", None, &[]);
        assert!(!failed(Status::Unreadable).done());
        assert!(!failed(Status::Unread).done());
        assert!(failed(Status::Unpullable).done());
        let unlisted = Record::new("r", &[], "h/r", "", &t).failed(
            Status::Unreadable,
            "cannot list the images of r",
            None,
            &[],
        );
        assert!(!unlisted.done());
    }

    #[test]
    fn one_name_in_two_registries_is_two_records() {
        let t = vec!["graviton".to_string()];
        let east = Record::new("app", &["1".into()], "e.example/app:1", "sha256:aa", &t);
        let west = Record::new(
            "app",
            &["1".into()],
            "w.example/app@sha256:aa",
            "sha256:aa",
            &t,
        );
        assert_eq!(east.source(), "e.example");
        assert_eq!(west.source(), "w.example");
        assert_eq!(source_of("oci:/x/app:1", "app"), "oci:/x");
        assert_eq!(source_of("h:5000/team/app:1", "team/app"), "h:5000");
        assert_eq!(
            source_of("h/app-2:1", "app"),
            "",
            "a longer name is not the repository"
        );
        assert_eq!(source_of("app", "app"), "");
        let c = canonical(vec![west.clone(), east.clone(), west.clone()]);
        assert_eq!(
            c,
            vec![east, west],
            "sorted by registry, deduplicated within one"
        );
    }
}
