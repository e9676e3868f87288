//! Checking a reference against targets: read each image some target pulls once, then
//! assess every target. Shared by the CLI and the terminal UI.

use std::collections::HashMap;

use crate::analyze::{self, Image, LayerCache, Progress, Root};
use crate::oci::Digest;
use crate::source::ImageSource;
use crate::verdict::{self, Assessment, Code, Read, Target, TargetResult};

/// The targets to check: those `named`, else the config's `[defaults] targets`, else every
/// built-in profile. Shared by `check` and `audit`, so both default alike.
pub fn targets(named: &[String], defaults: &[String]) -> Result<Vec<Target>, String> {
    let (names, from) = match (named.is_empty(), defaults.is_empty()) {
        (false, _) => (named, ""),
        (true, false) => (defaults, " (in the config's [defaults] targets)"),
        (true, true) => return Ok(verdict::target::builtin()),
    };
    names
        .iter()
        .map(|t| verdict::target::lookup(t).map_err(|e| format!("{e}{from}")))
        .collect()
}

/// Why a result's image could not be read, if it could not: then its verdict says nothing
/// about the image's files, and outputs show `error` (not `fail`) with this cause.
pub fn unreadable_cause(r: &TargetResult) -> Option<&str> {
    r.findings
        .iter()
        .find(|f| f.code == Code::ImageUnreadable)
        .map(|f| f.message.as_str())
}

/// The outcome of `check`: the root, each analysed image, and one assessment per target.
pub struct CheckRun {
    pub root: Root,
    pub images: HashMap<Digest, Result<Image, String>>,
    pub assessments: Vec<Assessment>,
}

impl CheckRun {
    /// Whether some chosen image could not be read (exit status 2).
    pub fn unreadable(&self) -> Option<(&Digest, &str)> {
        self.images
            .iter()
            .find_map(|(d, r)| r.as_ref().err().map(|e| (d, e.as_str())))
    }

    /// The final verdict of each target, in target order.
    pub fn results(&self) -> Vec<TargetResult> {
        // Every pulled image was read (or failed to be), so each assessment is final.
        self.assessments
            .iter()
            .filter_map(|a| a.result.clone())
            .collect()
    }
}

/// Assesses every target against `root`, reading each image that some target pulls once.
pub fn check(
    src: &dyn ImageSource,
    reference: &str,
    root: Root,
    targets: &[Target],
    cache: Option<&dyn LayerCache>,
    progress: &Progress,
) -> CheckRun {
    let mut images: HashMap<Digest, Result<Image, String>> = HashMap::new();
    for t in targets {
        if let Some(entry) = verdict::pulled_entry(&root, t)
            && !images.contains_key(&entry.digest)
        {
            let r = analyze::analyze_image(
                src,
                &entry.digest,
                Some(&entry.media_type),
                cache,
                progress,
            )
            .map_err(|e| e.to_string());
            images.insert(entry.digest.clone(), r);
        }
    }
    let read = |d: &Digest| match images.get(d) {
        Some(Ok(img)) => Read::Image(img),
        Some(Err(e)) => Read::Failed(e),
        None => Read::NotYet,
    };
    let assessments = targets
        .iter()
        .map(|t| Assessment::new(reference, &root, None, t, &read))
        .collect();
    CheckRun {
        root,
        images,
        assessments,
    }
}
