//! The counts people act on, from records alone (so a run and a merge say the same): per
//! target, verdicts and causes by finding code, the packages to fix, each failing image's fix.

use std::collections::BTreeMap;

use serde::Serialize;

use super::record::{Record, Status, TargetRecord, Verdict};
use crate::verdict::Code;

/// Why a target does not pass an image: the deciding finding's code, with the package for
/// native modules; or ECR's refusal to serve it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cause {
    Code { code: Code },
    Package { code: Code, package: String },
    Archived,
}

impl Cause {
    fn of(record: &Record, t: &TargetRecord) -> Option<Cause> {
        if record.status == Status::Unpullable {
            return Some(Cause::Archived);
        }
        let f = t.cause()?;
        let by_package = matches!(
            f.code,
            Code::NativeModuleArchMismatch
                | Code::NativeModuleLibcMismatch
                | Code::NativeModulePythonMismatch
        );
        Some(match (by_package, f.path.as_deref()) {
            (true, Some(p)) => Cause::Package {
                code: f.code,
                package: package_of(p),
            },
            _ => Cause::Code { code: f.code },
        })
    }

    /// As a report heading says it.
    pub fn label(&self) -> String {
        match self {
            Cause::Archived => "archived in ECR (not pullable until restored)".into(),
            Cause::Package { code, package } => match code {
                Code::NativeModuleLibcMismatch => {
                    format!("native module built for another C library: {package}")
                }
                Code::NativeModulePythonMismatch => {
                    format!("native module built for another Python: {package}")
                }
                _ => format!("native module without a build for the CPU: {package}"),
            },
            Cause::Code { code } => match code {
                Code::NoMatchingPlatform => "no entry for the platform".into(),
                Code::IndexNotSupported => "index refused (Lambda takes single images)".into(),
                Code::MislabeledPlatform => "mislabeled platform".into(),
                Code::ImageUnreadable => "unreadable".into(),
                Code::EntrypointArchMismatch => "entrypoint built for another CPU".into(),
                other => other.short().to_string(),
            },
        }
    }
}

/// The package a native file belongs to, by where it lies: `node_modules/<name>` (or
/// `@scope/name`), `site-packages/<name>`, the jar holding it, else the file's name.
pub fn package_of(path: &str) -> String {
    if let Some((_, rest)) = path.rsplit_once("node_modules/") {
        let mut parts = rest.split('/');
        let first = parts.next().unwrap_or(rest);
        return match (first.starts_with('@'), parts.next()) {
            (true, Some(name)) => format!("npm {first}/{name}"),
            _ => format!("npm {first}"),
        };
    }
    for dir in ["site-packages/", "dist-packages/"] {
        if let Some((_, rest)) = path.rsplit_once(dir) {
            let top = rest.split('/').next().unwrap_or(rest);
            let top = top.split('.').next().unwrap_or(top);
            return format!("python {top}");
        }
    }
    if let Some((jar, _)) = path.split_once('!') {
        return format!("jar {}", jar.rsplit('/').next().unwrap_or(jar));
    }
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Images of one target with one cause and verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CauseCount {
    pub cause: Cause,
    pub label: String,
    pub verdict: Verdict,
    pub images: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetSummary {
    pub target: String,
    pub platform: String,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
    /// Most images first.
    pub causes: Vec<CauseCount>,
}

impl TargetSummary {
    pub fn count(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Warn => self.warn,
            Verdict::Fail => self.fail,
            Verdict::Error => self.error,
        }
    }
}

/// A package whose native files keep images off some target.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCount {
    pub package: String,
    pub images: usize,
    pub targets: Vec<String>,
}

/// One image that does not pass one target, and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Failing {
    pub reference: String,
    pub digest: String,
    pub target: String,
    pub verdict: Verdict,
    pub cause: String,
    pub path: Option<String>,
    pub predicted_error: Option<String>,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub images: usize,
    pub repositories: usize,
    pub targets: Vec<TargetSummary>,
    pub packages: Vec<PackageCount>,
    /// Fails and errors, then warnings; by reference and target.
    pub failing: Vec<Failing>,
    /// Images left unread by `--max-bytes`.
    pub unread: Vec<String>,
}

impl Summary {
    /// The summary of `records` (in report order).
    pub fn of(records: &[Record]) -> Summary {
        let mut targets: Vec<TargetSummary> = Vec::new();
        let mut causes: BTreeMap<(usize, Cause, Verdict), usize> = BTreeMap::new();
        let mut packages: BTreeMap<String, (std::collections::BTreeSet<String>, Vec<String>)> =
            BTreeMap::new();
        let mut failing = Vec::new();
        for r in records {
            for t in &r.results {
                let i = match targets.iter().position(|s| s.target == t.target) {
                    Some(i) => i,
                    None => {
                        targets.push(TargetSummary {
                            target: t.target.clone(),
                            platform: t.platform.clone(),
                            pass: 0,
                            warn: 0,
                            fail: 0,
                            error: 0,
                            causes: Vec::new(),
                        });
                        targets.len() - 1
                    }
                };
                let s = &mut targets[i];
                match t.verdict {
                    Verdict::Pass => s.pass += 1,
                    Verdict::Warn => s.warn += 1,
                    Verdict::Fail => s.fail += 1,
                    Verdict::Error => s.error += 1,
                }
                if t.verdict == Verdict::Pass {
                    continue;
                }
                let cause = Cause::of(r, t);
                if let Some(c) = &cause {
                    *causes.entry((i, c.clone(), t.verdict)).or_default() += 1;
                    if let Cause::Package { package, .. } = c {
                        let e = packages.entry(package.clone()).or_default();
                        e.0.insert(format!("{}@{}", r.repository, r.digest));
                        if !e.1.contains(&t.target) {
                            e.1.push(t.target.clone());
                        }
                    }
                }
                let f = t.cause();
                failing.push(Failing {
                    reference: r.reference.clone(),
                    digest: r.digest.clone(),
                    target: t.target.clone(),
                    verdict: t.verdict,
                    cause: cause.map_or_else(|| t.verdict.word().to_string(), |c| c.label()),
                    path: f.and_then(|f| f.path.clone()),
                    predicted_error: t.predicted_error.clone(),
                    fix: t.fix().map(str::to_string),
                });
            }
        }
        for ((i, cause, verdict), images) in causes {
            if let Some(s) = targets.get_mut(i) {
                s.causes.push(CauseCount {
                    label: cause.label(),
                    cause,
                    verdict,
                    images,
                });
            }
        }
        for s in &mut targets {
            s.causes.sort_by(|a, b| {
                b.images
                    .cmp(&a.images)
                    .then_with(|| b.verdict.cmp(&a.verdict))
                    .then_with(|| a.cause.cmp(&b.cause))
            });
        }
        let mut packages: Vec<PackageCount> = packages
            .into_iter()
            .map(|(package, (images, targets))| PackageCount {
                package,
                images: images.len(),
                targets,
            })
            .collect();
        packages.sort_by(|a, b| {
            b.images
                .cmp(&a.images)
                .then_with(|| a.package.cmp(&b.package))
        });
        failing.sort_by(|a, b| {
            (a.verdict == Verdict::Warn, &a.reference, &a.target).cmp(&(
                b.verdict == Verdict::Warn,
                &b.reference,
                &b.target,
            ))
        });
        let mut repositories: Vec<&str> = records.iter().map(|r| r.repository.as_str()).collect();
        repositories.dedup();
        Summary {
            images: records
                .iter()
                .filter(|r| r.status != Status::Unread)
                .count(),
            repositories: repositories.len(),
            targets,
            packages,
            failing,
            unread: records
                .iter()
                .filter(|r| r.status == Status::Unread)
                .map(|r| r.reference.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_named_by_where_the_file_lies() {
        assert_eq!(
            package_of("/app/node_modules/@img/sharp-linux-x64/lib/sharp.node"),
            "npm @img/sharp-linux-x64"
        );
        assert_eq!(
            package_of("/usr/lib/python3.11/site-packages/markupsafe/_speedups.so"),
            "python markupsafe"
        );
        assert_eq!(
            package_of("/app/app.jar!/BOOT-INF/lib/sqlite-jdbc.jar!/org/x.so"),
            "jar app.jar"
        );
        assert_eq!(package_of("/usr/lib/libfoo.so.1"), "libfoo.so.1");
    }
}
