//! What a source holds: repositories, images, their platforms and attachments, for `ls` and
//! the explorer alike. Listings go through the sources' public API, never a second reader.

mod engine;
mod group;
pub mod listing;
mod local;
mod registry;

use std::collections::{BTreeMap, HashMap};

use crate::analyze::{self, LayerCache, Root};
use crate::oci::limits::CONFIG_MAX;
use crate::oci::manifest::{self, Artifact, Document, EntryKind};
use crate::oci::{Digest, Platform};
use crate::source::ImageSource;
use crate::source::ecr::Unpullable;

pub use engine::EngineCatalog;
pub use listing::Found;
pub use listing::{
    ImageInfo, ImageKind, ListTarget, Listing, MAX_TAGS_INSPECTED, PlatformInfo, Related,
    RepositoryInfo, list, list_default_ecr, list_default_ecr_with, list_images, list_images_noted,
    list_images_picked, list_repositories, list_repositories_with, parse_target, repository_stats,
};
pub use listing::{TagPick, first_tags};
pub use listing::{findings_text, findings_word, mutability_word};
pub use local::{LayoutCatalog, SingleCatalog, Unavailable};
pub use registry::RegistryCatalog;

/// A repository row.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoRow {
    pub name: String,
    pub images: Option<usize>,
    pub last_push: Option<String>,
    /// When the repository was created (ECR says; registries do not).
    pub created: Option<String>,
    /// ECR's `imageTagMutability` (see [`RepositoryInfo::tag_mutability`]).
    pub tag_mutability: Option<String>,
    /// For an ECR pull-through cache repository, the upstream registry it mirrors.
    pub pull_through_upstream: Option<String>,
}

/// Where an ECR catalog moves to, in place (`:profile`, `:region`, `:registry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Switch {
    /// An AWS profile of `~/.aws/config` ([`crate::source::aws::profiles`]).
    Profile(String),
    /// An AWS region ([`crate::source::aws::regions`]).
    Region(String),
    /// Another account's registry (cross-account `registryId`), 12 digits.
    Registry(String),
}

impl Switch {
    /// `:profile NAME`, `:region NAME`, `:registry ID` as typed; `None` for other words.
    pub fn parse(word: &str, arg: &str) -> Option<Result<Switch, String>> {
        let arg = arg.trim();
        let need = |what: &str, list: Vec<String>| {
            let some: Vec<String> = list.into_iter().take(6).collect();
            let known = if some.is_empty() {
                String::new()
            } else {
                format!(" (known: {})", some.join(", "))
            };
            Err(format!(":{word} needs {what}{known}"))
        };
        Some(match word {
            "profile" if arg.is_empty() => need("a profile name", crate::source::aws::profiles()),
            "profile" => Ok(Switch::Profile(arg.to_string())),
            "region" if arg.is_empty() => need("a region", crate::source::aws::regions()),
            "region" if !arg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') => Err(
                format!("{arg:?} is not an AWS region name (like eu-west-1)"),
            ),
            "region" => Ok(Switch::Region(arg.to_string())),
            "registry" if arg.len() == 12 && arg.bytes().all(|c| c.is_ascii_digit()) => {
                Ok(Switch::Registry(arg.to_string()))
            }
            "registry" => Err(format!(
                ":registry needs an AWS account id of 12 digits (the registry id), not {arg:?}"
            )),
            _ => return None,
        })
    }
}

/// What a repository holds, learned after the listing (ECR: DescribeImages, all pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoStats {
    /// Images with at least one tag: index children, referrers and untagged leftovers are
    /// only told apart by reading every manifest, so they are not counted.
    pub images: usize,
    /// The latest push of anything in the repository, RFC 3339.
    pub last_push: Option<String>,
}

/// An image row (one tag, or several tags of one digest).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub tags: Vec<String>,
    /// What to hand to the source to open it (`oci:assets/demo:good`, `host/repo@sha256:..`).
    pub reference: String,
    pub digest: Option<Digest>,
    pub pushed: Option<String>,
    pub size: Option<u64>,
    /// What the listing found attached to this image outside its index: referrers (SOCI v1,
    /// signatures, SBOMs) and cosign `sha256-<digest>.sig|.att|.sbom` tags.
    pub attached: Box<[Artifact]>,
    /// Set when ECR holds the image but will not serve it (archived, being restored).
    pub unpullable: Option<Box<Unpullable>>,
    /// ECR's scan findings by severity, when the image was scanned (see
    /// [`ImageInfo::scan_findings`]).
    pub scan_findings: Option<BTreeMap<String, u64>>,
}

impl ImageRow {
    /// The first tag, or the short digest for untagged images.
    pub fn label(&self) -> String {
        match (self.tags.first(), &self.digest) {
            (Some(t), _) => t.clone(),
            (None, Some(d)) => d.short(),
            (None, None) => self.reference.clone(),
        }
    }
}

/// What the manifests say about one image row, learned before any layer is read.
#[derive(Debug, Clone)]
pub struct RootInfo {
    pub root: Root,
    /// For a single image: the platform its config declares (the index has none to offer).
    pub config_platform: Option<Platform>,
    /// Compressed bytes of config and layers of every image in it.
    pub size: u64,
    /// Per runnable image (manifest digest): compressed bytes of the layers whose scans are
    /// not cached, i.e. what reading its files downloads. Absent: not known.
    pub unread: HashMap<Digest, u64>,
}

impl RootInfo {
    /// The platforms of the runnable images, as people read them.
    pub fn platforms(&self) -> Vec<String> {
        if self.root.is_index {
            self.root
                .images()
                .map(|e| {
                    e.platform
                        .as_ref()
                        .map_or_else(|| "?".to_string(), short_platform)
                })
                .collect()
        } else {
            vec![
                self.config_platform
                    .as_ref()
                    .map_or_else(|| "?".to_string(), short_platform),
            ]
        }
    }
}

/// Everything attached to one image, by kind: the non-image entries of its index (BuildKit
/// attestations, SOCI v2) and what the listing found beside it (referrers, cosign tags).
/// None of these is ever a platform image.
pub fn attachments(row: &ImageRow, info: Option<&RootInfo>) -> Vec<(Artifact, usize)> {
    let mut by_kind: std::collections::BTreeMap<Artifact, usize> = Default::default();
    let entries = info.map_or(&[][..], |i| &i.root.entries[..]);
    let in_index = entries.iter().filter_map(|e| match e.kind {
        EntryKind::Image => None,
        EntryKind::Attestation => Some(e.artifact.unwrap_or(Artifact::BuildkitAttestation)),
        EntryKind::Other => Some(e.artifact.unwrap_or(Artifact::Referrer)),
    });
    for a in in_index.chain(row.attached.iter().copied()) {
        *by_kind.entry(a).or_default() += 1;
    }
    by_kind.into_iter().collect()
}

/// `arm64`, `arm/v7`, or `windows/amd64` when the OS is not Linux.
pub fn short_platform(p: &Platform) -> String {
    if p.os == "linux" {
        p.arch.to_string()
    } else {
        p.to_string()
    }
}

/// Lists repositories and their images and opens one as an [`ImageSource`]. Runs on worker
/// threads only, never in a frame; implementations are shared with them. A local OCI layout
/// is one repository whose ref names are its tags (the demo); a single `open IMAGE` is a
/// catalog of one; registries and ECR are listed by [`listing`].
pub trait Catalog: Send + Sync {
    /// The source as shown in the breadcrumb (`oci:assets/demo`, `ECR 1234… eu-west-1`).
    fn describe(&self) -> String;
    fn repositories(&self) -> Result<Vec<RepoRow>, String>;
    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String>;
    /// [`Catalog::images`] of the tags `pick` keeps from the whole tag list, with notes about
    /// tags left out. A plain registry lists tags before it fetches a manifest per tag, so the
    /// choice must come first there; the others list everything at once and ignore `pick`.
    fn images_picked(
        &self,
        repository: &str,
        _pick: &TagPick<'_>,
    ) -> Result<(Vec<ImageRow>, Vec<String>), String> {
        self.images(repository).map(|rows| (rows, Vec::new()))
    }
    /// Moves the catalog in place (another profile, region or account); the next
    /// [`Catalog::repositories`] lists there. Only ECR catalogs can.
    fn switch(&self, _to: &Switch) -> Result<(), String> {
        Err(format!(
            "{} is not Amazon ECR: :profile, :region and :registry switch ECR sources",
            self.describe()
        ))
    }
    /// Whether this is Amazon ECR: [`Catalog::repository_stats`] can tell something and
    /// [`Catalog::switch`] can move it. The app asks once, at start.
    fn is_ecr(&self) -> bool {
        false
    }
    /// Image count and last push of each named repository, in order, when the listing did
    /// not carry them; `None` for a repository that cannot be described. Asked in the
    /// background, once for all the rows.
    fn repository_stats(&self, repositories: &[String]) -> Result<Vec<Option<RepoStats>>, String> {
        Ok(vec![None; repositories.len()])
    }
    /// What a row holds when the catalog knows it without reading manifests (a local engine
    /// reports platform and size itself); `None`: read them through [`Catalog::open`].
    fn root_info(&self, _image: &ImageRow) -> Option<Result<RootInfo, String>> {
        None
    }
    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String>;
}

/// Manifests only: the root, the config platform of a single image, and the total size.
/// Layers whose scans `cache` keeps cost nothing to read.
pub fn load_root_info(
    src: &dyn ImageSource,
    cache: Option<&dyn LayerCache>,
) -> Result<RootInfo, String> {
    let root = analyze::load_root(src).map_err(|e| e.to_string())?;
    let mut size = 0;
    let mut unread = HashMap::new();
    let mut config_platform = None;
    for e in root.images() {
        let m = src
            .manifest(&e.digest, Some(&e.media_type))
            .map_err(|err| err.to_string())?;
        let what = e.digest.to_string();
        if let Ok(Document::Image(m)) =
            manifest::parse_document(&m.bytes, Some(&e.media_type), &what)
        {
            size += m.config().size() + m.layers().iter().map(|l| l.size()).sum::<u64>();
            let uncached = m
                .layers()
                .iter()
                .filter(|l| {
                    let d = l.digest().to_string().parse::<Digest>().ok();
                    !d.is_some_and(|d| cache.is_some_and(|c| c.has(&d)))
                })
                .map(|l| l.size())
                .sum::<u64>();
            unread.insert(e.digest.clone(), uncached);
            if !root.is_index
                && let Ok(digest) = m.config().digest().to_string().parse::<Digest>()
            {
                config_platform = read_config_platform(src, &digest, m.config().size());
            }
        }
    }
    Ok(RootInfo {
        root,
        config_platform,
        size,
        unread,
    })
}

/// The platform an image config declares, read through the source (and so its cache). A
/// config that is too large, unreadable or not JSON has no platform to offer: `None`.
pub fn read_config_platform(src: &dyn ImageSource, digest: &Digest, size: u64) -> Option<Platform> {
    if size > CONFIG_MAX {
        return None;
    }
    let bytes = src.small_blob(digest, size).ok()?;
    let cfg = manifest::parse_config(&bytes, &digest.to_string()).ok()?;
    Some(manifest::config_platform(&cfg))
}
