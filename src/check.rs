//! Checking a reference against targets: choose the image each target would run, read
//! each chosen image once, and evaluate. Shared by the CLI and the terminal UI.

use std::collections::HashMap;

use crate::analyze::{self, Image, LayerCache, Progress, Root};
use crate::oci::Digest;
use crate::source::ImageSource;
use crate::verdict::{self, Selection, Target, TargetResult};

/// The outcome of `check`: the root, each analysed image, and one result per target.
pub struct CheckRun {
    pub root: Root,
    pub images: HashMap<Digest, Result<Image, String>>,
    pub results: Vec<TargetResult>,
}

impl CheckRun {
    /// Whether some chosen image could not be read (exit status 2).
    pub fn unreadable(&self) -> Option<(&Digest, &str)> {
        self.images
            .iter()
            .find_map(|(d, r)| r.as_ref().err().map(|e| (d, e.as_str())))
    }
}

/// Runs every target against `root`, reading each image that some target would run once.
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
        if let Selection::Image { entry, .. } = verdict::select(&root, t)
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
    let results = targets
        .iter()
        .map(|t| {
            let chosen = match verdict::select(&root, t) {
                Selection::Image { entry, .. } => images.get(&entry.digest),
                _ => None,
            };
            let (img, err) = match chosen {
                Some(Ok(i)) => (Some(i), None),
                Some(Err(e)) => (None, Some(e.as_str())),
                None => (None, None),
            };
            verdict::evaluate(reference, &root, t, img, err)
        })
        .collect();
    CheckRun {
        root,
        images,
        results,
    }
}
