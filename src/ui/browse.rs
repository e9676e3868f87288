//! Where the first screens get their rows: a [`Catalog`] lists repositories and their images
//! and opens one of them as an [`ImageSource`]. Runs on worker threads only, never in a frame.
//!
//! A local OCI layout is one repository whose ref names are its tags (the demo); a single
//! `open IMAGE` is a catalog of one; registries and ECR plug in as further implementations.

use std::path::{Path, PathBuf};

use crate::analyze::{self, Root};
use crate::oci::manifest::{self, Document};
use crate::oci::{Digest, Platform};
use crate::source::{self, ImageSource};

/// A repository row.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoRow {
    pub name: String,
    pub images: Option<usize>,
    pub last_push: Option<String>,
    /// When the repository was created (ECR says; registries do not).
    pub created: Option<String>,
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

    pub fn attestation_count(&self) -> usize {
        self.root
            .entries
            .iter()
            .filter(|e| e.kind == manifest::EntryKind::Attestation)
            .count()
    }
}

/// `arm64`, `arm/v7`, or `windows/amd64` when the OS is not Linux.
pub fn short_platform(p: &Platform) -> String {
    if p.os == "linux" {
        p.arch.to_string()
    } else {
        p.to_string()
    }
}

/// Lists and opens images. Implementations are shared with worker threads.
pub trait Catalog: Send + Sync {
    /// The source as shown in the breadcrumb (`oci:assets/demo`, `ECR 1234… eu-west-1`).
    fn describe(&self) -> String;
    fn repositories(&self) -> Result<Vec<RepoRow>, String>;
    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String>;
    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String>;
}

/// An OCI image layout directory: one repository, its ref names as tags.
pub struct LayoutCatalog {
    dir: PathBuf,
}

impl LayoutCatalog {
    pub fn new(dir: &Path) -> LayoutCatalog {
        LayoutCatalog {
            dir: dir.to_path_buf(),
        }
    }

    fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.dir.display().to_string())
    }
}

/// Refuse absurd `index.json` files rather than reading them whole.
const INDEX_CAP: u64 = 16 * 1024 * 1024;

impl Catalog for LayoutCatalog {
    fn describe(&self) -> String {
        format!("oci:{}", self.dir.display())
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        let n = self.images("")?.len();
        Ok(vec![RepoRow {
            name: self.name(),
            images: Some(n),
            last_push: None,
            created: None,
        }])
    }

    fn images(&self, _repository: &str) -> Result<Vec<ImageRow>, String> {
        let path = self.dir.join("index.json");
        let what = path.display().to_string();
        let meta = std::fs::metadata(&path).map_err(|e| {
            format!("{what}: {e}; is {} an OCI image layout? (`skopeo copy` writes one with oci:DIR:TAG)", self.dir.display())
        })?;
        if meta.len() > INDEX_CAP {
            return Err(format!(
                "{what} is {} bytes, too large for an index",
                meta.len()
            ));
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{what}: {e}"))?;
        let Document::Index(index) =
            manifest::parse_document(&bytes, None, &what).map_err(|e| e.to_string())?
        else {
            return Err(format!("{what} is an image manifest, not an index"));
        };
        let mut rows = Vec::new();
        for d in index.manifests() {
            let tag = d
                .annotations()
                .as_ref()
                .and_then(|a| a.get("org.opencontainers.image.ref.name"))
                .cloned();
            let digest: Option<Digest> = d.digest().to_string().parse().ok();
            let reference = match (&tag, &digest) {
                (Some(t), _) => format!("oci:{}:{t}", self.dir.display()),
                (None, Some(d)) => format!("oci:{}@{d}", self.dir.display()),
                (None, None) => continue,
            };
            rows.push(ImageRow {
                tags: tag.into_iter().collect(),
                reference,
                digest,
                pushed: None,
                size: None,
            });
        }
        Ok(rows)
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        source::open(&image.reference).map_err(|e| e.to_string())
    }
}

/// One image named on the command line (`archlens open IMAGE`).
pub struct SingleCatalog {
    reference: String,
    opts: crate::source::registry::RegistryOptions,
}

impl SingleCatalog {
    /// `opts` reach registries when the reference names one.
    pub fn new(reference: &str, opts: crate::source::registry::RegistryOptions) -> SingleCatalog {
        SingleCatalog {
            reference: reference.to_string(),
            opts,
        }
    }

    pub fn row(&self) -> ImageRow {
        ImageRow {
            tags: vec![self.reference.clone()],
            reference: self.reference.clone(),
            digest: None,
            pushed: None,
            size: None,
        }
    }
}

impl Catalog for SingleCatalog {
    fn describe(&self) -> String {
        self.reference.clone()
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        Ok(vec![RepoRow {
            name: self.reference.clone(),
            images: Some(1),
            last_push: None,
            created: None,
        }])
    }

    fn images(&self, _repository: &str) -> Result<Vec<ImageRow>, String> {
        Ok(vec![self.row()])
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        source::open_with(&image.reference, &self.opts).map_err(|e| e.to_string())
    }
}

/// A catalog that cannot list anything yet, with the reason and what to do instead: used for
/// registries and ECR until their listing is wired in, and when credentials are missing.
pub struct Unavailable {
    pub what: String,
    pub why: String,
}

impl Catalog for Unavailable {
    fn describe(&self) -> String {
        self.what.clone()
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        Err(self.why.clone())
    }

    fn images(&self, _repository: &str) -> Result<Vec<ImageRow>, String> {
        Err(self.why.clone())
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        source::open(&image.reference).map_err(|e| e.to_string())
    }
}

/// Manifests only: the root, the config platform of a single image, and the total size.
pub fn load_root_info(src: &dyn ImageSource) -> Result<RootInfo, String> {
    let root = analyze::load_root(src).map_err(|e| e.to_string())?;
    let mut size = 0;
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
            if !root.is_index {
                config_platform = read_config_platform(src, &m);
            }
        }
    }
    Ok(RootInfo {
        root,
        config_platform,
        size,
    })
}

/// Configs are small JSON; anything claiming more is not read.
const CONFIG_CAP: u64 = 4 * 1024 * 1024;

fn read_config_platform(
    src: &dyn ImageSource,
    m: &oci_spec::image::ImageManifest,
) -> Option<Platform> {
    let size = m.config().size();
    if size > CONFIG_CAP {
        return None;
    }
    let digest: Digest = m.config().digest().to_string().parse().ok()?;
    let mut r = src.blob(&digest, size).ok()?;
    let mut buf = Vec::with_capacity(size as usize);
    std::io::Read::read_to_end(&mut r, &mut buf).ok()?;
    let cfg = manifest::parse_config(&buf, &digest.to_string()).ok()?;
    Some(manifest::config_platform(&cfg))
}

/// A registry (OCI distribution API) or Amazon ECR, listed through [`crate::listing`].
pub struct RegistryCatalog {
    /// `None`: the caller's own ECR registry in the configured region.
    registry: std::sync::Mutex<Option<String>>,
    ecr_default: bool,
    opts: crate::source::registry::RegistryOptions,
}

impl RegistryCatalog {
    pub fn new(
        registry: Option<&str>,
        opts: crate::source::registry::RegistryOptions,
    ) -> RegistryCatalog {
        RegistryCatalog {
            registry: std::sync::Mutex::new(registry.map(str::to_string)),
            ecr_default: registry.is_none(),
            opts,
        }
    }

    fn host(&self) -> Option<String> {
        self.registry.lock().ok().and_then(|g| g.clone())
    }

    /// ECR errors already name the IAM action; add the ways out people need on this screen.
    fn advise(&self, e: String) -> String {
        if self.ecr_default {
            format!(
                "{e}\n\nConfigure access with `aws configure` (or `aws sso login --profile NAME`) and start again with --profile/--region, or try the bundled demo: archlens demo"
            )
        } else {
            e
        }
    }
}

impl Catalog for RegistryCatalog {
    fn describe(&self) -> String {
        self.host().unwrap_or_else(|| "Amazon ECR".into())
    }

    fn repositories(&self) -> Result<Vec<RepoRow>, String> {
        let repos = match self.host() {
            Some(h) => crate::listing::list_repositories(&h, &self.opts)
                .map_err(|e| self.advise(e.to_string()))?,
            None => {
                let l = crate::listing::list_default_ecr(&self.opts)
                    .map_err(|e| self.advise(e.to_string()))?;
                if let Ok(mut g) = self.registry.lock() {
                    *g = Some(l.registry.clone());
                }
                l.repositories
            }
        };
        Ok(repos
            .into_iter()
            .map(|r| RepoRow {
                name: r.name,
                images: None,
                last_push: None,
                created: r.created_at,
            })
            .collect())
    }

    fn images(&self, repository: &str) -> Result<Vec<ImageRow>, String> {
        let host = self
            .host()
            .ok_or("the registry is not known yet: list its repositories first")?;
        let name = format!("{host}/{repository}");
        let r = crate::source::dockerref::RegistryRef::parse(&name).map_err(|e| e.to_string())?;
        let images =
            crate::listing::list_images(&r, &self.opts).map_err(|e| self.advise(e.to_string()))?;
        Ok(images
            .into_iter()
            .map(|i| ImageRow {
                reference: format!("{name}@{}", i.digest),
                digest: i.digest.parse().ok(),
                tags: i.tags,
                pushed: i.pushed_at,
                size: i.size,
            })
            .collect())
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        source::open_with(&image.reference, &self.opts).map_err(|e| e.to_string())
    }
}
