//! Images from any registry that speaks the OCI distribution API (Docker Hub, GHCR, ECR,
//! a local `docker-registry`), behind the sync [`ImageSource`] trait.
//!
//! Why not `oci-client`: archlens needs the raw HTTP answer of every request to retry 429
//! (honouring `Retry-After`) and 5xx with bounded backoff, to resume a blob cut mid-way with
//! `Range`, to follow 307s itself so `Authorization` never leaves the registry host, to page
//! `_catalog`/`tags/list` by `Link`, and to turn each status into advice (the IAM action for
//! ECR). `oci-client` hides statuses behind its own errors and does none of those, so this is
//! a small client on `reqwest` (the one `oci-client` uses) with `oci-spec` for the documents.
//!
//! Tokio stays inside: one process-wide runtime runs requests; blobs reach the caller through
//! a bounded channel and are hashed as they are read, so nothing is buffered whole or on disk.

mod api;
mod auth;
mod blob;
mod client;
mod credentials;
mod endpoint;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod net;
mod options;

use std::io::Read;
use std::sync::Arc;

pub use blob::BlobReader;
pub use client::Client;
pub(crate) use client::run;
pub use endpoint::Endpoint;
use error::Op;
pub use error::RegistryError;
pub use options::{CommandDeadline, Notices, RegistryOptions, RetryPolicy};

use super::dockerref::RegistryRef;
use super::{Fetched, ImageSource, SourceError};
use crate::cache::Cache;
use crate::oci::Digest;
use crate::source::ecr::{Ecr, Unpullable};

/// An image in a registry, read through the distribution API.
pub struct RegistrySource {
    client: Arc<Client>,
    reference: RegistryRef,
    endpoint: Endpoint,
    cache: Option<Arc<Cache>>,
}

impl RegistrySource {
    pub fn new(
        reference: RegistryRef,
        opts: &RegistryOptions,
    ) -> Result<RegistrySource, RegistryError> {
        let endpoint = opts.endpoint(&reference);
        let client = Client::new(&reference.registry, &endpoint.host, endpoint.insecure, opts)?;
        Ok(RegistrySource::on(Arc::new(client), reference, opts))
    }

    /// An image (or a whole repository, for its blobs) read through a client already
    /// connected, so a listing shares its tokens and download slots with the reads.
    pub fn on(
        client: Arc<Client>,
        reference: RegistryRef,
        opts: &RegistryOptions,
    ) -> RegistrySource {
        RegistrySource {
            endpoint: opts.endpoint(&reference),
            client,
            reference,
            cache: opts.cache.clone(),
        }
    }

    pub fn reference(&self) -> &RegistryRef {
        &self.reference
    }

    /// Tags of this repository (for "did you mean" and listings).
    pub fn tags(&self) -> Result<Vec<String>, SourceError> {
        let client = self.client.clone();
        let repo = self.endpoint.repository.clone();
        Ok(run(async move { client.list_tags(&repo).await })??)
    }

    /// The manifest `reference`. Only the root asks ECR why a 404 came (`archived`): a
    /// missing child of an index is the index's fault, and each ask lists the repository.
    fn fetch(&self, reference: String, archived: bool) -> Result<Fetched, SourceError> {
        let client = self.client.clone();
        let repo = self.endpoint.repository.clone();
        let asked = reference.clone();
        match run(async move { client.fetch_manifest(&repo, &reference).await })? {
            Ok(f) => Ok(f),
            Err(e @ RegistryError::NotFound { .. }) if archived => {
                Err(self.unpullable_or(e, asked).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// ECR answers 404 to a pull of an archived image (ECR User Guide, "Archiving an
    /// image"): DescribeImages tells that apart from a missing one, and then says so.
    fn unpullable_or(&self, e: RegistryError, reference: String) -> RegistryError {
        let Some(host) = self.client.ecr.clone() else {
            return e;
        };
        let aws = self.client.opts.aws.clone();
        let repository = self.reference.repository.clone();
        let found = run(async move {
            let ecr = Ecr::connect(&aws, Some(&host.region)).await.ok()?;
            let image = ecr
                .image(Some(&host.account), &repository, &reference)
                .await
                .ok()??;
            let status = image.status.filter(|s| s.unpullable())?;
            Some(Unpullable {
                account: host.account,
                region: ecr.region().to_string(),
                repository,
                reference,
                digest: image.digest,
                status,
                since: image.archived_at,
            })
        });
        match found {
            Ok(Some(u)) => RegistryError::Unpullable(Box::new(u)),
            _ => e,
        }
    }

    /// A manifest by digest, from the cache when it holds it.
    fn cached_manifest(
        &self,
        digest: &Digest,
        media_type: Option<&str>,
        archived: bool,
    ) -> Result<Fetched, SourceError> {
        if let Some(c) = &self.cache
            && let Some(bytes) = c.get_blob(digest)
        {
            let declared = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("mediaType")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                });
            return Ok(Fetched {
                digest: digest.clone(),
                media_type: media_type.map(str::to_string).or(declared),
                bytes,
            });
        }
        let fetched = self.fetch(digest.to_string(), archived)?;
        if let Some(c) = &self.cache {
            // A cache that cannot be written only costs a download next time.
            let _ = c.put_blob(&fetched.digest, &fetched.bytes);
        }
        Ok(fetched)
    }
}

/// Opens `reference` (`docker://REF` or plain `REF`) as an image source.
pub fn open_registry(
    reference: &str,
    opts: &RegistryOptions,
) -> Result<Box<dyn ImageSource>, SourceError> {
    let r = RegistryRef::parse(reference).map_err(|e| SourceError::Reference(e.to_string()))?;
    Ok(Box::new(RegistrySource::new(r, opts)?))
}

impl ImageSource for RegistrySource {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn root(&self) -> Result<Fetched, SourceError> {
        if let Some(d) = &self.reference.digest {
            return self.cached_manifest(d, None, true);
        }
        self.fetch(self.reference.reference(), true)
    }

    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
        self.cached_manifest(digest, media_type, false)
    }

    fn blob(&self, digest: &Digest, size: u64) -> Result<Box<dyn Read + Send>, SourceError> {
        Ok(Box::new(self.client.open_blob(
            &self.endpoint.repository,
            digest,
            size,
        )?))
    }

    fn small_blob(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, SourceError> {
        if let Some(c) = &self.cache
            && let Some(bytes) = c.get_blob(digest)
        {
            return Ok(bytes);
        }
        let mut buf = Vec::new();
        self.blob(digest, size)?
            .read_to_end(&mut buf)
            .map_err(|e| SourceError::Io {
                what: format!("blob {digest}"),
                source: e,
            })?;
        // The stream verified digest and size at its end, so only good bytes are kept.
        if let Some(c) = &self.cache {
            let _ = c.put_blob(digest, &buf);
        }
        Ok(buf)
    }
}
