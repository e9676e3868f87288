//! The explorer's catalog of a local Docker or Podman engine: its images like `docker images`
//! (tags, ID, created, size, platform), listed and inspected without saving any of them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::listing::{ImageInfo, ImageKind, Listing, PlatformInfo};
use super::{Catalog, ImageRow, RepoRow, RootInfo};
use crate::analyze::{Entry, Root};
use crate::oci::manifest::EntryKind;
use crate::oci::{Digest, Platform, media};
use crate::source::engine::{self, Engine, EngineImage, EngineKind};
use crate::source::{Fetched, ImageSource, SourceError};

/// A local engine, connected on first use (from a worker thread, never a frame).
pub struct EngineCatalog {
    kind: EngineKind,
    engine: Mutex<Option<Engine>>,
    spool: Option<PathBuf>,
    /// The image opened last, so its save is made once for all the jobs that read it.
    last: Mutex<Option<(Digest, Arc<dyn ImageSource>)>>,
    /// One repository per image name, as the audit selects (see [`EngineCatalog::by_name`]);
    /// else the explorer's one repository of every image.
    by_name: bool,
}

impl EngineCatalog {
    /// `spool` is where `docker save` streams are spooled (the cache directory's).
    pub fn new(kind: EngineKind, spool: Option<PathBuf>) -> EngineCatalog {
        EngineCatalog {
            kind,
            engine: Mutex::new(None),
            spool,
            last: Mutex::new(None),
            by_name: false,
        }
    }

    /// The catalog `audit` reads: one repository per image name (`nginx`,
    /// `localhost:5000/app`) whose tags are the part after [`split_tag`]'s colon, so `--tags
    /// latest`, `--repos` and `--shard` see names as they do on a registry.
    pub fn by_name(mut self) -> EngineCatalog {
        self.by_name = true;
        self
    }

    /// A catalog of an engine already connected (tests, or a caller that located it).
    pub fn with_engine(engine: Engine, spool: Option<PathBuf>) -> EngineCatalog {
        let c = EngineCatalog::new(engine.kind, spool);
        if let Ok(mut g) = c.engine.lock() {
            *g = Some(engine);
        }
        c
    }

    fn engine(&self) -> Result<Engine, String> {
        let mut g = self
            .engine
            .lock()
            .map_err(|_| "the engine connection was poisoned".to_string())?;
        if let Some(e) = g.as_ref() {
            return Ok(e.clone());
        }
        let e = engine::connect(self.kind).map_err(|e| e.to_string())?;
        *g = Some(e.clone());
        Ok(e)
    }

    /// The name to hand the engine: the ID when the row has one, so a tag moved since the
    /// listing still opens the image that was listed.
    fn name(image: &ImageRow) -> String {
        match &image.digest {
            Some(d) => d.to_string(),
            None => image
                .reference
                .split_once(':')
                .map_or(image.reference.clone(), |(_, n)| n.to_string()),
        }
    }
}

impl Catalog for EngineCatalog {
    fn describe(&self) -> String {
        match self.engine.lock().ok().and_then(|g| g.clone()) {
            Some(e) => e.label(),
            None => self.kind.transport().to_string(),
        }
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        if self.by_name {
            let mut names = std::collections::BTreeMap::<String, usize>::new();
            for s in self.engine()?.list()? {
                let mut own: Vec<String> = s
                    .tags()
                    .iter()
                    .filter_map(|t| split_tag(t).map(|(r, _)| r.to_string()))
                    .collect();
                own.sort();
                own.dedup();
                for r in own {
                    *names.entry(r).or_default() += 1;
                }
            }
            return Ok(names
                .into_iter()
                .map(|(name, n)| RepoRow {
                    name,
                    images: Some(n),
                    last_push: None,
                    created: None,
                    tag_mutability: None,
                    pull_through_upstream: None,
                })
                .collect());
        }
        let n = self.images("")?.len();
        // The breadcrumb then says which engine: `docker-daemon › unix:///var/run/docker.sock`.
        Ok(vec![RepoRow {
            name: self.engine()?.located.endpoint.to_string(),
            images: Some(n),
            last_push: None,
            created: None,
            tag_mutability: None,
            pull_through_upstream: None,
        }])
    }

    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String> {
        let mut list = self.engine()?.list()?;
        // Newest first, as `docker images` lists them.
        list.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        Ok(list
            .into_iter()
            .filter_map(|s| {
                let mut tags = s.tags();
                if self.by_name {
                    tags = tags
                        .iter()
                        .filter_map(|t| split_tag(t))
                        .filter(|(r, _)| *r == repository)
                        .map(|(_, t)| t.to_string())
                        .collect();
                    // The engine's RepoTags order varies (Podman); records compare as text.
                    tags.sort();
                    if tags.is_empty() {
                        return None;
                    }
                }
                let name = match (self.by_name, tags.first()) {
                    (true, Some(t)) => format!("{repository}:{t}"),
                    (_, Some(t)) => t.clone(),
                    (_, None) => s.id.clone(),
                };
                Some(ImageRow {
                    reference: format!("{}:{name}", self.kind.transport()),
                    digest: s.id.parse().ok(),
                    pushed: Some(date(s.created)),
                    size: u64::try_from(s.size).ok(),
                    tags,
                    attached: Box::default(),
                    unpullable: None,
                    scan_findings: None,
                })
            })
            .collect())
    }

    fn root_info(&self, image: &ImageRow) -> Option<Result<RootInfo, String>> {
        let id = image.digest.clone()?;
        Some(self.inspect_root(&id))
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        if let (Some(d), Ok(g)) = (&image.digest, self.last.lock())
            && let Some((last, src)) = g.as_ref()
            && last == d
        {
            return Ok(Box::new(Shared(Arc::clone(src))));
        }
        let src =
            EngineImage::with_engine(self.engine()?, &Self::name(image), self.spool.as_deref())
                .map_err(|e| e.to_string())?;
        let src: Arc<dyn ImageSource> = Arc::new(src);
        if let (Some(d), Ok(mut g)) = (&image.digest, self.last.lock()) {
            *g = Some((d.clone(), Arc::clone(&src)));
        }
        Ok(Box::new(Shared(src)))
    }
}

impl EngineCatalog {
    /// A single image named by its ID, with the platform and size the engine reports: enough
    /// for the platform chips and the target badge without saving the image.
    fn inspect_root(&self, id: &Digest) -> Result<RootInfo, String> {
        let engine = self.engine()?;
        let inspect = engine
            .inspect(&id.to_string())?
            .ok_or_else(|| format!("{} no longer has image {id}", engine.label()))?;
        let config_platform = inspect.platform().and_then(|p| p.parse::<Platform>().ok());
        let entry = Entry {
            digest: id.clone(),
            media_type: media::DOCKER_MANIFEST.to_string(),
            platform: None,
            kind: EntryKind::Image,
            subject: None,
            artifact: None,
            size: 0,
        };
        Ok(RootInfo {
            root: Root {
                digest: id.clone(),
                media_type: media::DOCKER_MANIFEST.to_string(),
                is_index: false,
                entries: vec![entry],
            },
            config_platform,
            size: inspect.size.unwrap_or(0),
            unread: Default::default(),
        })
    }
}

/// An engine's image name split into repository and tag at the last `:` after the last `/`
/// (`localhost:5000/app:v1` is `localhost:5000/app` and `v1`); `None` without a tag.
pub fn split_tag(name: &str) -> Option<(&str, &str)> {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    let colon = slash + name[slash..].rfind(':')?;
    Some((&name[..colon], &name[colon + 1..]))
}

/// `archlens ls docker-daemon:` / `ls podman:`: the engine's images with the platform each
/// inspect reports, through the same [`Listing`] as a registry's, so text and JSON match.
pub fn list_engine(kind: EngineKind) -> Result<Listing, SourceError> {
    let engine = engine::connect(kind)?;
    let catalog = EngineCatalog::with_engine(engine.clone(), None);
    let rows = catalog.images("").map_err(SourceError::NotFound)?;
    let mut images = Vec::new();
    for row in rows {
        let Some(id) = row.digest.clone() else {
            continue;
        };
        let platform = engine
            .inspect(&id.to_string())
            .map_err(SourceError::NotFound)?
            .and_then(|i| i.platform())
            .unwrap_or_else(|| "unknown".into());
        images.push(ImageInfo {
            tags: row.tags,
            digest: id.to_string(),
            kind: ImageKind::Image,
            media_type: None,
            size: row.size,
            pushed_at: row.pushed,
            last_pulled_at: None,
            platforms: vec![PlatformInfo {
                platform,
                digest: id.to_string(),
            }],
            related: Vec::new(),
            image_status: None,
            last_archived_at: None,
            scan_findings: None,
        });
    }
    Ok(Listing {
        registry: kind.transport().to_string(),
        repository: Some(engine.located.endpoint.to_string()),
        repositories: Vec::new(),
        images,
        notes: Vec::new(),
    })
}

/// One opened source shared by the explorer's jobs (an engine image is saved once for all).
pub(super) struct Shared(pub(super) Arc<dyn ImageSource>);

impl ImageSource for Shared {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn root(&self) -> Result<Fetched, SourceError> {
        self.0.root()
    }
    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
        self.0.manifest(digest, media_type)
    }
    fn blob(
        &self,
        digest: &Digest,
        size: u64,
    ) -> Result<Box<dyn std::io::Read + Send>, SourceError> {
        self.0.blob(digest, size)
    }
}

/// Seconds since the epoch as `2025-01-01T00:00:00Z` (UTC, proleptic Gregorian).
pub fn date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::{date, split_tag};

    #[test]
    fn an_image_name_splits_at_the_last_colon_after_the_last_slash() {
        assert_eq!(split_tag("nginx:latest"), Some(("nginx", "latest")));
        assert_eq!(
            split_tag("localhost:5000/app:v1"),
            Some(("localhost:5000/app", "v1"))
        );
        assert_eq!(split_tag("localhost:5000/app"), None, "a port is no tag");
        assert_eq!(
            split_tag("docker.io/library/nginx:1.27"),
            Some(("docker.io/library/nginx", "1.27"))
        );
    }

    #[test]
    fn dates_read_like_docker_images() {
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(date(951_827_696), "2000-02-29T12:34:56Z");
    }
}
