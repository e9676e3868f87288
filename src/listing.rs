//! Listing what a registry holds: repositories, and a repository's images with their tags,
//! platforms and attached artefacts. A library API for `archlens ls` and the TUI.
//!
//! ECR is asked through its API (DescribeRepositories, DescribeImages, BatchGetImage); other
//! registries through `/v2/_catalog` and `tags/list`. Index children, attestations, SOCI
//! indexes and other referrers are grouped under the image they describe, never listed alone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::oci::manifest::{self, Document, EntryKind};
use crate::oci::{Digest, media};
use crate::source::SourceError;
use crate::source::dockerref::RegistryRef;
use crate::source::ecr::{self, Ecr};
use crate::source::registry::{Client, Op, RegistryError, RegistryOptions, run};

/// The result of `archlens ls TARGET`.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// The registry as named (`docker.io`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com`).
    pub registry: String,
    /// Set when images of one repository are listed; then `repositories` is empty.
    pub repository: Option<String>,
    pub repositories: Vec<RepositoryInfo>,
    pub images: Vec<ImageInfo>,
    /// Things people should know about the listing (a config that could not be read...).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RepositoryInfo {
    pub name: String,
    pub uri: Option<String>,
    pub created_at: Option<String>,
}

/// What kind of top-level thing an image entry is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ImageKind {
    /// A multi-platform index (manifest list).
    Index,
    /// A single-platform image manifest.
    Image,
    /// Something that is neither and has no subject (a Helm chart, a lone artefact).
    Artifact,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlatformInfo {
    /// `linux/arm64`, or `unknown` when it could not be learned.
    pub platform: String,
    pub digest: String,
}

/// An artefact attached to an image: an attestation, a SOCI index, a signature, a referrer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Related {
    pub digest: String,
    /// `attestation`, `soci-index`, `signature`, `sbom` or `referrer`.
    pub kind: String,
    /// For attestations: the platform image they describe.
    pub subject: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImageInfo {
    pub tags: Vec<String>,
    pub digest: String,
    pub kind: ImageKind,
    pub media_type: Option<String>,
    /// Bytes as the registry reports (ECR: compressed layers), or the sum of layer sizes.
    pub size: Option<u64>,
    pub pushed_at: Option<String>,
    pub last_pulled_at: Option<String>,
    pub platforms: Vec<PlatformInfo>,
    pub related: Vec<Related>,
}

/// What `archlens ls` was pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListTarget {
    /// A whole registry: list its repositories.
    Registry(String),
    /// One repository: list its images.
    Repository(RegistryRef),
}

/// `host[:port]` alone is a registry; anything with a path (or a Docker Hub short name) is a
/// repository. A tag or digest on a repository is ignored.
pub fn parse_target(text: &str) -> Result<ListTarget, SourceError> {
    let s = text
        .strip_prefix("docker://")
        .unwrap_or(text)
        .trim_end_matches('/');
    // `python:3` is a repository and tag; `127.0.0.1:5000` and `ghcr.io` are hosts.
    let (host_part, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let looks_host = !s.contains('/')
        && (host_part.contains('.') || host_part == "localhost")
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    if looks_host {
        let probe = RegistryRef::parse(&format!("{s}/x"))
            .map_err(|e| SourceError::Reference(e.to_string()))?;
        return Ok(ListTarget::Registry(probe.registry));
    }
    let mut r = RegistryRef::parse(s).map_err(|e| SourceError::Reference(e.to_string()))?;
    r.tag = None;
    r.digest = None;
    Ok(ListTarget::Repository(r))
}

/// Lists a registry's repositories or a repository's images.
pub fn list(target: &str, opts: &RegistryOptions) -> Result<Listing, SourceError> {
    match parse_target(target)? {
        ListTarget::Registry(registry) => Ok(Listing {
            repositories: list_repositories(&registry, opts)?,
            registry,
            repository: None,
            images: Vec::new(),
            notes: Vec::new(),
        }),
        ListTarget::Repository(r) => {
            let (images, notes) = list_images_noted(&r, opts)?;
            Ok(Listing {
                images,
                registry: r.registry.clone(),
                repository: Some(r.repository.clone()),
                repositories: Vec::new(),
                notes,
            })
        }
    }
}

/// `archlens ls` with no target: the caller's own ECR registry in the configured region
/// (`--region`, the config's `aws_region`, or the AWS profile's region).
pub fn list_default_ecr(opts: &RegistryOptions) -> Result<Listing, SourceError> {
    let aws = opts.aws.clone();
    let (region, repos) = run(async move {
        let client = Ecr::connect(&aws, None).await?;
        let repos = client.repositories(None).await?;
        Ok::<_, ecr::EcrError>((client.region().to_string(), repos))
    })?
    .map_err(RegistryError::from)?;
    // The registry host is only known from a repository URI (it holds the account id).
    let registry = repos
        .iter()
        .find_map(|r| r.uri.as_deref()?.split('/').next().map(str::to_string))
        .unwrap_or_else(|| format!("ECR ({region})"));
    let mut repositories: Vec<RepositoryInfo> = repos
        .into_iter()
        .map(|r| RepositoryInfo {
            name: r.name,
            uri: r.uri,
            created_at: r.created_at,
        })
        .collect();
    repositories.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Listing {
        registry,
        repository: None,
        repositories,
        images: Vec::new(),
        notes: Vec::new(),
    })
}

/// Repositories of a registry: DescribeRepositories for ECR, `/v2/_catalog` otherwise.
pub fn list_repositories(
    registry: &str,
    opts: &RegistryOptions,
) -> Result<Vec<RepositoryInfo>, SourceError> {
    if let Some(h) = ecr::parse_ecr_host(registry) {
        let aws = opts.aws.clone();
        let repos = run(async move {
            let client = Ecr::connect(&aws, Some(&h.region)).await?;
            client.repositories(Some(&h.account)).await
        })?
        .map_err(RegistryError::from)?;
        let mut out: Vec<RepositoryInfo> = repos
            .into_iter()
            .map(|r| RepositoryInfo {
                name: r.name,
                uri: r.uri,
                created_at: r.created_at,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        return Ok(out);
    }
    let (host, insecure) = opts.config.host_endpoint(registry);
    let client = Client::new(registry, &host, insecure, opts)?;
    let names = run(async move { client.catalog().await })??;
    let mut out: Vec<RepositoryInfo> = names
        .into_iter()
        .map(|name| RepositoryInfo {
            uri: Some(format!("{registry}/{name}")),
            name,
            created_at: None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Images of one repository, grouped (see the module doc).
pub fn list_images(
    repo: &RegistryRef,
    opts: &RegistryOptions,
) -> Result<Vec<ImageInfo>, SourceError> {
    list_images_noted(repo, opts).map(|(images, _)| images)
}

/// [`list_images`] plus notes for people (tags left out...).
pub fn list_images_noted(
    repo: &RegistryRef,
    opts: &RegistryOptions,
) -> Result<(Vec<ImageInfo>, Vec<String>), SourceError> {
    let endpoint = opts.config.endpoint(repo);
    let client = Arc::new(Client::new(
        &repo.registry,
        &endpoint.host,
        endpoint.insecure,
        opts,
    )?);
    let cache = opts.cache.clone();
    let (raws, notes) = if let Some(h) = ecr::parse_ecr_host(&repo.registry) {
        let aws = opts.aws.clone();
        let name = repo.repository.clone();
        (
            run(async move { ecr_raw_images(&aws, &h, &name).await })??,
            Vec::new(),
        )
    } else {
        let c = client.clone();
        let r = endpoint.repository.clone();
        run(async move { registry_raw_images(c, r).await })??
    };
    let repository = endpoint.repository.clone();
    let c = client.clone();
    let images = run(async move { group(raws, &c, &repository, cache.as_deref()).await })?;
    Ok((images, notes))
}

/// One manifest as found, before grouping.
#[derive(Debug, Clone, Default)]
struct Raw {
    digest: String,
    tags: Vec<String>,
    size: Option<u64>,
    pushed_at: Option<String>,
    last_pulled_at: Option<String>,
    media_type: Option<String>,
    artifact_media_type: Option<String>,
    subject: Option<String>,
    manifest: Option<Vec<u8>>,
}

async fn ecr_raw_images(
    aws: &ecr::AwsOptions,
    host: &ecr::EcrHost,
    repository: &str,
) -> Result<Vec<Raw>, RegistryError> {
    let client = Ecr::connect(aws, Some(&host.region)).await?;
    let images = client.images(Some(&host.account), repository).await?;
    let digests: Vec<String> = images.iter().map(|i| i.digest.clone()).collect();
    let manifests = client
        .manifests(Some(&host.account), repository, &digests)
        .await?;
    let mut by_digest: BTreeMap<String, (Option<String>, Vec<u8>)> = manifests
        .into_iter()
        .filter(|(d, _, bytes)| d.parse::<Digest>().is_ok_and(|dd| dd.matches(bytes)))
        .map(|(d, m, b)| (d, (m, b)))
        .collect();
    Ok(images
        .into_iter()
        .map(|i| {
            let (mt, bytes) = by_digest.remove(&i.digest).unzip();
            Raw {
                media_type: i.manifest_media_type.or(mt.flatten()),
                manifest: bytes,
                digest: i.digest,
                tags: i.tags,
                size: i.size,
                pushed_at: i.pushed_at,
                last_pulled_at: i.last_pulled_at,
                artifact_media_type: i.artifact_media_type,
                subject: i.subject,
            }
        })
        .collect())
}

/// Tags whose manifests a non-ECR listing fetches: each is a request, and Docker Hub counts
/// manifest GETs against its pull limits.
pub const MAX_TAGS_INSPECTED: usize = 200;
/// Manifest requests in flight while listing.
const LIST_PARALLEL: usize = 8;

async fn registry_raw_images(
    client: Arc<Client>,
    repository: String,
) -> Result<(Vec<Raw>, Vec<String>), RegistryError> {
    let mut tags = client.list_tags(&repository).await?;
    let mut notes = Vec::new();
    if tags.len() > MAX_TAGS_INSPECTED {
        notes.push(format!(
            "{} tags; only the first {MAX_TAGS_INSPECTED} were inspected. Name a tag to look at another: archlens inspect {}:TAG",
            tags.len(),
            repository
        ));
        tags.truncate(MAX_TAGS_INSPECTED);
    }
    let mut by_digest: BTreeMap<String, Raw> = BTreeMap::new();
    for batch in tags.chunks(LIST_PARALLEL) {
        let mut set = tokio::task::JoinSet::new();
        for tag in batch {
            let (c, r, t) = (client.clone(), repository.clone(), tag.clone());
            set.spawn(async move {
                let f = c.fetch_manifest(&r, &t).await;
                (t, f)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(pair) = joined {
                results.push(pair);
            }
        }
        // Keep tag order stable whatever order the requests finished in.
        results.sort_by(|a, b| a.0.cmp(&b.0));
        for (tag, f) in results {
            let f = match f {
                Ok(f) => f,
                // A tag deleted between the list and the fetch.
                Err(RegistryError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let key = f.digest.to_string();
            let entry = by_digest.entry(key.clone()).or_insert_with(|| Raw {
                digest: key,
                media_type: f.media_type.clone(),
                manifest: Some(f.bytes.clone()),
                ..Raw::default()
            });
            entry.tags.push(tag);
        }
    }
    Ok((by_digest.into_values().collect(), notes))
}

/// What one manifest says about itself.
struct Parsed {
    kind: ImageKind,
    /// Index entries: (digest, platform, entry kind, attestation subject).
    children: Vec<(String, String, EntryKind, Option<String>)>,
    config: Option<(Digest, u64)>,
    layers_size: Option<u64>,
    subject: Option<String>,
    artifact_type: Option<String>,
}

fn parse(raw: &Raw) -> Option<Parsed> {
    let bytes = raw.manifest.as_ref()?;
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let subject = v
        .pointer("/subject/digest")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    let artifact_type = v
        .get("artifactType")
        .and_then(|a| a.as_str())
        .map(str::to_string);
    match manifest::parse_document(bytes, raw.media_type.as_deref(), &raw.digest).ok()? {
        Document::Index(i) => Some(Parsed {
            kind: ImageKind::Index,
            children: i
                .manifests()
                .iter()
                .map(|d| {
                    let (kind, subj) = manifest::entry_kind(d);
                    let platform = manifest::descriptor_platform(d)
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "unknown".into());
                    (d.digest().to_string(), platform, kind, subj)
                })
                .collect(),
            config: None,
            layers_size: None,
            subject,
            artifact_type,
        }),
        Document::Image(m) => {
            let config_mt = m.config().media_type().to_string();
            let is_image = config_mt == media::OCI_CONFIG || config_mt == media::DOCKER_CONFIG;
            let artifact_type = artifact_type.or_else(|| (!is_image).then_some(config_mt));
            Some(Parsed {
                kind: if is_image {
                    ImageKind::Image
                } else {
                    ImageKind::Artifact
                },
                children: Vec::new(),
                config: m
                    .config()
                    .digest()
                    .to_string()
                    .parse::<Digest>()
                    .ok()
                    .map(|d| (d, m.config().size())),
                layers_size: Some(
                    m.layers().iter().map(|l| l.size()).sum::<u64>() + m.config().size(),
                ),
                subject,
                artifact_type,
            })
        }
    }
}

/// Cosign's tag convention for signatures and attestations: `sha256-<hex>.sig|.att|.sbom`.
fn cosign_subject(tag: &str) -> Option<(String, &'static str)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = rest.split_once('.')?;
    let kind = match suffix {
        "sig" => "signature",
        "att" => "attestation",
        "sbom" => "sbom",
        _ => return None,
    };
    let d = format!("sha256:{hex}").parse::<Digest>().ok()?;
    Some((d.to_string(), kind))
}

fn related_kind(artifact_type: Option<&str>) -> String {
    let a = artifact_type.unwrap_or("").to_ascii_lowercase();
    if a.contains("soci") {
        "soci-index"
    } else if a.contains("in-toto") || a.contains("attestation") || a.contains("provenance") {
        "attestation"
    } else if a.contains("sig") || a.contains("cosign") || a.contains("notary") {
        "signature"
    } else if a.contains("sbom") || a.contains("spdx") || a.contains("cyclonedx") {
        "sbom"
    } else {
        "referrer"
    }
    .to_string()
}

async fn group(
    raws: Vec<Raw>,
    client: &Client,
    repository: &str,
    cache: Option<&crate::cache::Cache>,
) -> Vec<ImageInfo> {
    let parsed: BTreeMap<String, Option<Parsed>> =
        raws.iter().map(|r| (r.digest.clone(), parse(r))).collect();
    // Every digest some index lists, and which index lists it.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (d, p) in &parsed {
        if let Some(p) = p {
            for c in &p.children {
                owner.insert(c.0.clone(), d.clone());
            }
        }
    }
    let subject_of = |r: &Raw| -> Option<(String, String)> {
        if let Some((s, kind)) = r.tags.iter().find_map(|t| cosign_subject(t)) {
            return Some((s, kind.to_string()));
        }
        let p = parsed.get(&r.digest).and_then(|p| p.as_ref());
        let s = r
            .subject
            .clone()
            .or_else(|| p.and_then(|p| p.subject.clone()))?;
        let at = r
            .artifact_media_type
            .clone()
            .or_else(|| p.and_then(|p| p.artifact_type.clone()));
        Some((s, related_kind(at.as_deref())))
    };
    let mut attached: BTreeMap<String, Vec<Related>> = BTreeMap::new();
    let mut top: Vec<&Raw> = Vec::new();
    for r in &raws {
        if let Some((subject, kind)) = subject_of(r) {
            // Attach to the top-level image: the subject itself, or the index owning it.
            let target = owner.get(&subject).cloned().unwrap_or(subject);
            attached.entry(target).or_default().push(Related {
                digest: r.digest.clone(),
                kind,
                subject: None,
                tags: r.tags.clone(),
            });
        } else if !owner.contains_key(&r.digest) || !r.tags.is_empty() {
            top.push(r);
        }
    }
    let mut out = Vec::new();
    for r in top {
        let p = parsed.get(&r.digest).and_then(|p| p.as_ref());
        let mut info = ImageInfo {
            tags: {
                let mut t = r.tags.clone();
                t.sort();
                t
            },
            digest: r.digest.clone(),
            kind: p.map_or(ImageKind::Artifact, |p| p.kind),
            media_type: r.media_type.clone(),
            size: r.size.or(p.and_then(|p| p.layers_size)),
            pushed_at: r.pushed_at.clone(),
            last_pulled_at: r.last_pulled_at.clone(),
            platforms: Vec::new(),
            related: attached.remove(&r.digest).unwrap_or_default(),
        };
        if let Some(p) = p {
            for (digest, platform, kind, subj) in &p.children {
                match kind {
                    EntryKind::Image => info.platforms.push(PlatformInfo {
                        platform: platform.clone(),
                        digest: digest.clone(),
                    }),
                    EntryKind::Attestation => info.related.push(Related {
                        digest: digest.clone(),
                        kind: "attestation".into(),
                        subject: subj.clone(),
                        tags: Vec::new(),
                    }),
                    EntryKind::Other => info.related.push(Related {
                        digest: digest.clone(),
                        kind: "referrer".into(),
                        subject: None,
                        tags: Vec::new(),
                    }),
                }
            }
            if p.kind == ImageKind::Image
                && let Some((cfg, size)) = &p.config
            {
                let platform = config_platform(client, repository, cfg, *size, cache)
                    .await
                    .unwrap_or_else(|| "unknown".into());
                info.platforms.push(PlatformInfo {
                    platform,
                    digest: r.digest.clone(),
                });
            }
        }
        out.push(info);
    }
    out.sort_by(|a, b| {
        b.pushed_at
            .cmp(&a.pushed_at)
            .then_with(|| a.tags.cmp(&b.tags))
            .then_with(|| a.digest.cmp(&b.digest))
    });
    out
}

/// The platform an image config declares; the config is a small blob, never a layer.
async fn config_platform(
    client: &Client,
    repository: &str,
    digest: &Digest,
    size: u64,
    cache: Option<&crate::cache::Cache>,
) -> Option<String> {
    const MAX_CONFIG: u64 = 8 << 20;
    if size > MAX_CONFIG {
        return None;
    }
    let bytes = match cache.and_then(|c| c.get_blob(digest)) {
        Some(b) => b,
        None => {
            let url = client
                .url(&format!("v2/{repository}/blobs/{digest}"))
                .ok()?;
            let scope = format!("repository:{repository}:pull");
            let what = format!("config {digest}");
            let resp = client
                .get(&url, None, None, &scope, Op::Blob, &what)
                .await
                .ok()?;
            let mut resp = resp;
            let mut bytes = Vec::new();
            while let Ok(Some(c)) = resp.chunk().await {
                bytes.extend_from_slice(&c);
                if bytes.len() as u64 > size {
                    return None;
                }
            }
            if !digest.matches(&bytes) {
                return None;
            }
            if let Some(c) = cache {
                let _ = c.put_blob(digest, &bytes);
            }
            bytes
        }
    };
    let cfg = manifest::parse_config(&bytes, &digest.to_string()).ok()?;
    Some(manifest::config_platform(&cfg).to_string())
}

/// Aligns cells into columns; every cell is sanitised first, since names and tags come
/// from the registry.
fn table(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| crate::text::sanitize(c)).collect())
        .collect();
    let rows = &rows;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The listing as a text table, as `archlens ls` prints it.
pub fn render_listing_text(l: &Listing) -> String {
    let mut out = String::new();
    if l.repository.is_none() {
        if l.repositories.is_empty() {
            out.push_str(&format!(
                "{}: no repositories\n",
                crate::text::sanitize(&l.registry)
            ));
        } else {
            let mut rows = vec![vec![
                "REPOSITORY".to_string(),
                "CREATED".into(),
                "URI".into(),
            ]];
            for r in &l.repositories {
                rows.push(vec![
                    r.name.clone(),
                    r.created_at.clone().unwrap_or_else(|| "-".into()),
                    r.uri.clone().unwrap_or_default(),
                ]);
            }
            out.push_str(&table(&rows));
        }
    } else {
        let name = format!("{}/{}", l.registry, l.repository.as_deref().unwrap_or(""));
        if l.images.is_empty() {
            out.push_str(&format!("{}: no images\n", crate::text::sanitize(&name)));
        } else {
            let mut rows = vec![vec![
                "TAGS".to_string(),
                "DIGEST".into(),
                "KIND".into(),
                "PLATFORMS".into(),
                "SIZE".into(),
                "PUSHED".into(),
                "LAST PULLED".into(),
                "ATTACHED".into(),
            ]];
            for i in &l.images {
                let short = i.digest.get(..19).unwrap_or(&i.digest).to_string();
                let platforms: BTreeSet<&str> =
                    i.platforms.iter().map(|p| p.platform.as_str()).collect();
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for r in &i.related {
                    *counts.entry(r.kind.as_str()).or_default() += 1;
                }
                let attached = counts
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                rows.push(vec![
                    if i.tags.is_empty() {
                        "<untagged>".into()
                    } else {
                        i.tags.join(",")
                    },
                    short,
                    format!("{:?}", i.kind).to_ascii_lowercase(),
                    if platforms.is_empty() {
                        "-".into()
                    } else {
                        platforms.into_iter().collect::<Vec<_>>().join(",")
                    },
                    i.size
                        .map(crate::text::human_size)
                        .unwrap_or_else(|| "-".into()),
                    i.pushed_at.clone().unwrap_or_else(|| "-".into()),
                    i.last_pulled_at.clone().unwrap_or_else(|| "-".into()),
                    if attached.is_empty() {
                        "-".into()
                    } else {
                        attached
                    },
                ]);
            }
            out.push_str(&table(&rows));
        }
    }
    for n in &l.notes {
        out.push_str(&format!("note: {}\n", crate::text::sanitize(n)));
    }
    out
}

/// The listing as pretty JSON, as `archlens ls --format json` prints it.
pub fn render_listing_json(l: &Listing) -> String {
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string_pretty(l).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("127.0.0.1:5000").unwrap(),
            ListTarget::Registry("127.0.0.1:5000".into())
        );
        assert_eq!(
            parse_target("docker://123456789012.dkr.ecr.us-east-1.amazonaws.com/").unwrap(),
            ListTarget::Registry("123456789012.dkr.ecr.us-east-1.amazonaws.com".into())
        );
        let ListTarget::Repository(r) = parse_target("alpine:3.20").unwrap() else {
            panic!("not a repository")
        };
        assert_eq!(r.to_string(), "docker.io/library/alpine");
    }

    #[test]
    fn cosign_tags_name_their_subject() {
        let hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(
            cosign_subject(&format!("sha256-{hex}.sig")),
            Some((format!("sha256:{hex}"), "signature"))
        );
        assert_eq!(cosign_subject("v1.0"), None);
        assert_eq!(
            related_kind(Some("application/vnd.amazon.soci.index.v1+json")),
            "soci-index"
        );
    }

    #[test]
    fn text_table_lists_tags_platforms_and_attachments() {
        let l = Listing {
            registry: "r.example".into(),
            repository: Some("app".into()),
            repositories: vec![],
            images: vec![ImageInfo {
                tags: vec!["latest".into(), "v1".into()],
                digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                    .into(),
                kind: ImageKind::Index,
                media_type: Some(media::OCI_INDEX.into()),
                size: Some(12_345_678),
                pushed_at: Some("2026-01-02T03:04:05Z".into()),
                last_pulled_at: None,
                platforms: vec![
                    PlatformInfo {
                        platform: "linux/arm64".into(),
                        digest: "sha256:a".into(),
                    },
                    PlatformInfo {
                        platform: "linux/amd64".into(),
                        digest: "sha256:b".into(),
                    },
                ],
                related: vec![Related {
                    digest: "sha256:c".into(),
                    kind: "attestation".into(),
                    subject: Some("sha256:a".into()),
                    tags: vec![],
                }],
            }],
            notes: vec![],
        };
        let t = render_listing_text(&l);
        let line = t.lines().nth(1).unwrap();
        assert!(line.starts_with("latest,v1  sha256:2cf24dba5fb0  index  linux/amd64,linux/arm64  12.3 MB  2026-01-02T03:04:05Z  -"), "{t}");
        assert!(line.ends_with("1 attestation"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&render_listing_json(&l)).unwrap();
        assert_eq!(j["images"][0]["platforms"][0]["platform"], "linux/arm64");
    }
}
