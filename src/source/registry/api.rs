//! The distribution API calls: manifests by tag or digest (verified), `tags/list` and
//! `/v2/_catalog` (paged by `Link`), and the closest tags when one is missing.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Url;
use reqwest::header;

use super::client::{Client, read_capped, same_origin};
use super::{Op, RegistryError};
use crate::oci::limits::{LIST_PAGE_MAX, MANIFEST_MAX};
use crate::oci::{Digest, media};
use crate::source::Fetched;

/// Pages of a `_catalog` or tag list read at most (1000 names each asked for).
const MAX_PAGES: usize = 1000;

impl Client {
    /// GET a manifest by tag or digest and verify it.
    pub async fn fetch_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Fetched, RegistryError> {
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let what = format!("manifest {repository}:{reference}");
        let accept = media::ALL_MANIFESTS.join(", ");
        let scope = pull_scope(repository);
        let resp = match self
            .get(&url, Some(&accept), None, &scope, Op::Manifest, &what)
            .await
        {
            Err(RegistryError::NotFound { registry, .. }) if !reference.contains(':') => {
                let hint = self.closest_tags_hint(repository, reference).await;
                return Err(RegistryError::NotFound {
                    registry,
                    what: format!("tag {reference:?} of {repository}"),
                    hint,
                });
            }
            other => other?,
        };
        let media_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty());
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<Digest>().ok());
        let bytes = read_capped(resp, MANIFEST_MAX)
            .await
            .map_err(|e| RegistryError::Network {
                registry: self.registry.clone(),
                what: what.clone(),
                detail: e,
            })?;
        let expected = reference.parse::<Digest>().ok().or(header_digest);
        let digest = match expected {
            Some(d) if d.matches(&bytes) => d,
            Some(d) => {
                let actual = Digest::sha256_of(&bytes).to_string();
                return Err(RegistryError::DigestMismatch {
                    registry: self.registry.clone(),
                    what,
                    expected: d,
                    actual,
                });
            }
            None => Digest::sha256_of(&bytes),
        };
        Ok(Fetched {
            digest,
            media_type,
            bytes,
        })
    }

    /// `: existing tags closest to "x": a, b, c`, or nothing if tags cannot be listed. The
    /// tag list is the one the last listing fetched, or fetched once per repository, so a
    /// listing full of missing tags does not download it again for each.
    async fn closest_tags_hint(&self, repository: &str, wanted: &str) -> String {
        let known = self
            .known_tags
            .lock()
            .ok()
            .and_then(|k| k.get(repository).cloned());
        let tags = match known {
            Some(t) => t,
            None => {
                let t = self.list_tags(repository).await.ok().map(Arc::new);
                if let Ok(mut k) = self.known_tags.lock() {
                    k.insert(repository.to_string(), t.clone());
                }
                t
            }
        };
        match tags {
            Some(tags) if tags.is_empty() => " (the repository has no tags)".to_string(),
            Some(tags) => {
                let near = crate::text::closest(wanted, tags.iter().map(String::as_str), 3);
                format!(". Closest existing tags: {}", near.join(", "))
            }
            None => String::new(),
        }
    }

    /// `tags/list`, following `Link` pagination.
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let first = self.url(&format!("v2/{repository}/tags/list?n=1000"))?;
        let scope = pull_scope(repository);
        let what = format!("tag list of {repository}");
        let tags = self.paged(first, &scope, Op::Tags, &what, "tags").await?;
        if let Ok(mut k) = self.known_tags.lock() {
            k.insert(repository.to_string(), Some(Arc::new(tags.clone())));
        }
        Ok(tags)
    }

    /// `/v2/_catalog`, following `Link` pagination.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let first = self.url("v2/_catalog?n=1000")?;
        match self
            .paged(
                first,
                "registry:catalog:*",
                Op::Catalog,
                "catalog",
                "repositories",
            )
            .await
        {
            Err(RegistryError::Denied { status, .. }) if self.ecr.is_none() => {
                Err(RegistryError::CatalogRefused {
                    registry: self.registry.clone(),
                    status,
                })
            }
            Err(RegistryError::NotFound { .. }) => Err(RegistryError::CatalogRefused {
                registry: self.registry.clone(),
                status: 404,
            }),
            other => other,
        }
    }

    async fn paged(
        &self,
        first: Url,
        scope: &str,
        op: Op,
        what: &str,
        field: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        let mut items_seen = HashSet::new();
        let mut urls_seen = HashSet::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            if !urls_seen.insert(url.to_string()) {
                self.opts.notices.say(&format!(
                    "warning: {}: the {what} links back to a page already read ({}); stopped after {pages} pages",
                    self.registry,
                    url.path()
                ));
                break;
            }
            pages += 1;
            if pages > MAX_PAGES {
                self.opts.notices.say(&format!(
                    "warning: {}: the {what} has more than {MAX_PAGES} pages; stopped there, the list is incomplete",
                    self.registry
                ));
                break;
            }
            let resp = self.get(&url, None, None, scope, op, what).await?;
            next = resp
                .headers()
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .and_then(|l| url.join(&l).ok())
                .filter(|u| same_origin(u, &self.base));
            let body =
                read_capped(resp, LIST_PAGE_MAX)
                    .await
                    .map_err(|e| RegistryError::Network {
                        registry: self.registry.clone(),
                        what: what.to_string(),
                        detail: e,
                    })?;
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                RegistryError::Invalid(format!("{}: {what} is not valid JSON: {e}", self.registry))
            })?;
            let items: Vec<String> = v
                .get(field)
                .and_then(|t| t.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let fresh = items.len();
            let new: Vec<String> = items
                .into_iter()
                .filter(|i| items_seen.insert(i.clone()))
                .collect();
            if fresh > 0 && new.is_empty() && next.is_some() {
                // A different URL with a page already read: the registry is going round.
                self.opts.notices.say(&format!(
                    "warning: {}: the {what} repeats a page already read; stopped after {pages} pages",
                    self.registry
                ));
                break;
            }
            out.extend(new);
        }
        Ok(out)
    }
}

pub(super) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The `rel="next"` target of a `Link` header.
pub(super) fn next_link(h: &str) -> Option<String> {
    h.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_parsing() {
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }
}
