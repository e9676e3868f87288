//! Catalogs with nothing to ask a registry: an OCI layout directory (one repository, its ref
//! names as tags), one image named on the command line, and a catalog that cannot list.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::engine::Shared;
use super::{Catalog, ImageRow, RepoRow};
use crate::oci::Digest;
use crate::source::layout::{self, REF_NAME};
use crate::source::registry::RegistryOptions;
use crate::source::{self, ImageSource};

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
            tag_mutability: None,
            pull_through_upstream: None,
        }])
    }

    fn images(&self, _repository: &str) -> Result<Vec<ImageRow>, String> {
        let entries = layout::index_entries(&self.dir).map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        for d in &entries {
            let tag = d
                .annotations()
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
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
                attached: Box::default(),
                unpullable: None,
                scan_findings: None,
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
    opts: RegistryOptions,
    /// A local engine's image, once opened: its save is made once for every job.
    engine_image: Mutex<Option<Arc<dyn ImageSource>>>,
}

impl SingleCatalog {
    /// `opts` reach registries when the reference names one.
    pub fn new(reference: &str, opts: RegistryOptions) -> SingleCatalog {
        SingleCatalog {
            reference: reference.to_string(),
            opts,
            engine_image: Mutex::new(None),
        }
    }

    pub fn row(&self) -> ImageRow {
        ImageRow {
            tags: vec![self.reference.clone()],
            reference: self.reference.clone(),
            digest: None,
            pushed: None,
            size: None,
            attached: Box::default(),
            unpullable: None,
            scan_findings: None,
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
            tag_mutability: None,
            pull_through_upstream: None,
        }])
    }

    fn images(&self, _repository: &str) -> Result<Vec<ImageRow>, String> {
        Ok(vec![self.row()])
    }

    fn open(&self, image: &ImageRow) -> Result<Box<dyn ImageSource>, String> {
        let is_engine = matches!(
            source::Reference::parse(&image.reference),
            Ok(source::Reference::Engine { .. })
        );
        if !is_engine {
            return source::open_with(&image.reference, &self.opts).map_err(|e| e.to_string());
        }
        let mut g = self
            .engine_image
            .lock()
            .map_err(|_| "the opened image was poisoned".to_string())?;
        if let Some(s) = g.as_ref() {
            return Ok(Box::new(Shared(Arc::clone(s))));
        }
        let s: Arc<dyn ImageSource> =
            Arc::from(source::open_with(&image.reference, &self.opts).map_err(|e| e.to_string())?);
        *g = Some(Arc::clone(&s));
        Ok(Box::new(Shared(s)))
    }
}

/// A catalog that cannot list anything, with the reason and what to do instead: used when
/// credentials are missing.
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
