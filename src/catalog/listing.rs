//! Listing what a registry holds, for `archlens ls` and the explorer: ECR through its API
//! (DescribeRepositories, DescribeImages, BatchGetImage), others by `_catalog` and `tags/list`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::RepoStats;
use super::group::{Raw, group};
use crate::oci::Digest;
use crate::oci::manifest::Artifact;
use crate::source::SourceError;
use crate::source::dockerref::RegistryRef;
use crate::source::ecr::{self, Ecr};
use crate::source::engine::EngineKind;
use crate::source::registry::{Client, RegistryError, RegistryOptions, RegistrySource, run};

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
    /// Tagged images (ECR only; see [`RepoStats`]).
    pub image_count: Option<usize>,
    /// The latest push in the repository (ECR only).
    pub last_pushed_at: Option<String>,
    /// ECR's `imageTagMutability`: `MUTABLE`, `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION`,
    /// `MUTABLE_WITH_EXCLUSION`.
    pub tag_mutability: Option<String>,
    /// For an ECR pull-through cache repository, the upstream registry it mirrors.
    pub pull_through_upstream: Option<String>,
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

/// How an attachment was tied to its image.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Found {
    /// An entry of the image's index (BuildKit attestation, SOCI v2).
    Index,
    /// A manifest whose `subject` names the image (OCI 1.1 referrer, SOCI v1).
    Subject,
    /// A cosign tag `sha256-<digest>.sig|.att|.sbom`.
    Tag,
}

/// An artefact attached to an image: an attestation, a SOCI index, a signature, a referrer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Related {
    pub digest: String,
    /// `attestation`, `soci-index`, `signature`, `sbom` or `referrer`.
    pub kind: String,
    /// The finer kind (`buildkit-attestation` versus an in-toto `attestation` referrer).
    pub artifact: Artifact,
    /// How it is tied to the image.
    pub found: Found,
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
    /// ECR's storage state (`active`, `archived`, `activating`); absent when not told.
    pub image_status: Option<ecr::ImageStatus>,
    /// When ECR archived it (RFC 3339).
    pub last_archived_at: Option<String>,
    /// ECR's scan findings by severity (`CRITICAL` -> 2), when the image was scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_findings: Option<BTreeMap<String, u64>>,
}

/// ECR's tag mutability in a few words: `mutable`, `immutable`, `immutable except filters`.
pub fn mutability_word(m: &str) -> String {
    // A value the SDK does not know is the server's own text: sanitised once, here, for
    // every screen and table that shows it.
    let m = crate::text::sanitize(m);
    match m.strip_suffix("_WITH_EXCLUSION") {
        Some(base) => format!("{} except filters", base.to_ascii_lowercase()),
        None => m.to_ascii_lowercase(),
    }
}

/// ECR's severities, most severe first; others follow in name order.
const SEVERITIES: [&str; 6] = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNDEFINED",
];

/// The non-zero counts, most severe first.
fn by_severity(counts: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let known = SEVERITIES
        .iter()
        .filter_map(|k| counts.get(*k).map(|n| (*k, *n)));
    let others = counts
        .iter()
        .filter(|(k, _)| !SEVERITIES.contains(&k.as_str()))
        .map(|(k, n)| (k.as_str(), *n));
    known.chain(others).filter(|(_, n)| *n > 0).collect()
}

/// Scan finding counts, most severe first, by initial: `2C 3H 1M`; `none` when clean.
pub fn findings_word(counts: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = by_severity(counts)
        .into_iter()
        .map(|(k, n)| match SEVERITIES.contains(&k) {
            true => format!("{n}{}", &k[..1]),
            false => format!("{n} {}", crate::text::sanitize(&k.to_ascii_lowercase())),
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" ")
    }
}

/// The same counts in words, for a details line: `2 critical, 3 high`; `none` when clean.
pub fn findings_text(counts: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = by_severity(counts)
        .into_iter()
        .map(|(k, n)| format!("{n} {}", crate::text::sanitize(&k.to_ascii_lowercase())))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
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

/// Lists a registry's repositories or a repository's images (or a local engine's images:
/// `docker-daemon:`, `podman:`).
pub fn list(target: &str, opts: &RegistryOptions) -> Result<Listing, SourceError> {
    for kind in [EngineKind::Docker, EngineKind::Podman] {
        if target.trim_end_matches(':') == kind.transport() {
            return super::engine::list_engine(kind);
        }
    }
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
    list_default_ecr_with(opts, true, None)
}

/// [`list_default_ecr`]; `stats: false` leaves image counts and last push out (one
/// DescribeImages per repository), for a caller that asks [`repository_stats`] later;
/// `account` reads another account's registry (cross-account `registryId`) in that region.
pub fn list_default_ecr_with(
    opts: &RegistryOptions,
    stats: bool,
    account: Option<&str>,
) -> Result<Listing, SourceError> {
    let aws = opts.aws.clone();
    let account = account.map(str::to_string);
    let (region, repos) = run(async move {
        let client = Ecr::connect(&aws, None).await?;
        let repos = described(&client, account.as_deref(), stats).await?;
        let region = client.region().to_string();
        Ok::<_, ecr::EcrError>(((region, account), repos))
    })?
    .map_err(RegistryError::from)?;
    let (region, account) = region;
    // The registry host is only known from a repository URI (it holds the account id), or
    // from the account asked for.
    let registry = match &account {
        Some(a) => ecr::registry_host(a, &region),
        None => repos
            .iter()
            .find_map(|r| r.uri.as_deref()?.split('/').next().map(str::to_string))
            .unwrap_or_else(|| format!("ECR ({region})")),
    };
    Ok(Listing {
        registry,
        repository: None,
        repositories: repos,
        images: Vec::new(),
        notes: Vec::new(),
    })
}

/// DescribeImages calls in flight at once while gathering repository stats.
const STATS_PARALLEL: usize = 8;

/// Each repository with its stats; one that cannot be described keeps none (the listing
/// still stands, and opening the repository names the failure).
async fn with_stats(
    client: &Ecr,
    account: Option<&str>,
    repos: Vec<ecr::EcrRepository>,
    stats: bool,
) -> Vec<(ecr::EcrRepository, Option<RepoStats>)> {
    if !stats {
        return repos.into_iter().map(|r| (r, None)).collect();
    }
    let names: Vec<String> = repos.iter().map(|r| r.name.clone()).collect();
    let found = stats_of_all(client, account, &names).await;
    repos.into_iter().zip(found).collect()
}

/// The stats of every named repository, in order, through one client: at most
/// [`STATS_PARALLEL`] DescribeImages in flight, each started as a slot frees (not in
/// batches). A repository whose call fails, or whose task panics, gets `None`: its row stays.
async fn stats_of_all(
    client: &Ecr,
    account: Option<&str>,
    names: &[String],
) -> Vec<Option<RepoStats>> {
    let slots = Arc::new(tokio::sync::Semaphore::new(STATS_PARALLEL));
    let mut set = tokio::task::JoinSet::new();
    let mut index_of = std::collections::HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let (c, a, name, slots) = (
            client.clone(),
            account.map(str::to_string),
            name.clone(),
            Arc::clone(&slots),
        );
        let handle = set.spawn(async move {
            let _slot = slots.acquire_owned().await.ok()?;
            c.images(a.as_deref(), &name)
                .await
                .ok()
                .map(|v| stats_of(&v))
        });
        index_of.insert(handle.id(), i);
    }
    let mut out = vec![None; names.len()];
    while let Some(joined) = set.join_next_with_id().await {
        if let Ok((id, stats)) = joined
            && let Some(slot) = index_of.get(&id).and_then(|i| out.get_mut(*i))
        {
            *slot = stats;
        }
    }
    out
}

/// Count and last push from one repository's DescribeImages answer.
fn stats_of(images: &[ecr::EcrImage]) -> RepoStats {
    RepoStats {
        // Cosign's `sha256-….sig` tags and referrers are attachments, not images.
        images: images
            .iter()
            .filter(|i| i.subject.is_none())
            .filter(|i| {
                i.tags
                    .iter()
                    .any(|t| super::group::cosign_subject(t).is_none())
            })
            .count(),
        // RFC 3339 in UTC from the SDK: the text orders as the time does.
        last_push: images.iter().filter_map(|i| i.pushed_at.clone()).max(),
    }
}

/// Count and last push of each named repository of `registry`, in order: DescribeImages
/// (all pages) for ECR through one client; `None` for registries, whose API has no push
/// times. A repository that cannot be described gets `None` in the list. `client` keeps the
/// ECR client between calls (the explorer asks chunk by chunk), with the profile and region
/// it was made for: credentials are resolved once, not per chunk.
pub fn repository_stats(
    registry: &str,
    repositories: &[String],
    opts: &RegistryOptions,
    client: &std::sync::Mutex<Option<(String, Ecr)>>,
) -> Result<Option<Vec<Option<RepoStats>>>, SourceError> {
    let Some(h) = ecr::parse_ecr_host(registry) else {
        return Ok(None);
    };
    let aws = opts.aws.clone();
    let names = repositories.to_vec();
    let key = format!("{:?} {}", aws.profile, h.region);
    let kept = client
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .filter(|(k, _)| *k == key)
        .map(|(_, c)| c);
    let (connected, stats) = run(async move {
        let c = match kept {
            Some(c) => c,
            None => Ecr::connect(&aws, Some(&h.region)).await?,
        };
        let stats = stats_of_all(&c, Some(&h.account), &names).await;
        Ok::<_, ecr::EcrError>((c, stats))
    })?
    .map_err(RegistryError::from)?;
    if let Ok(mut g) = client.lock() {
        *g = Some((key, connected));
    }
    Ok(Some(stats))
}

/// The upstream a pull-through cache rule gives `repository` (`prefix/...`), the longest
/// matching prefix winning.
fn upstream_of(rules: &[ecr::PullThroughRule], repository: &str) -> Option<String> {
    rules
        .iter()
        .filter(|r| {
            repository
                .strip_prefix(r.prefix.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|r| r.prefix.len())
        .map(|r| r.upstream.clone())
}

/// DescribeRepositories and DescribePullThroughCacheRules, with stats when asked, as rows.
async fn described(
    client: &Ecr,
    account: Option<&str>,
    stats: bool,
) -> Result<Vec<RepositoryInfo>, ecr::EcrError> {
    let repos = client.repositories(account).await?;
    // Without the permission (or where the API lacks the call) the listing stands, with no
    // upstream shown.
    let rules = client.pull_through_rules(account).await.unwrap_or_default();
    let repos = with_stats(client, account, repos, stats).await;
    Ok(ecr_repositories(repos, &rules))
}

/// ECR's repositories as listing rows, by name.
fn ecr_repositories(
    repos: Vec<(ecr::EcrRepository, Option<RepoStats>)>,
    rules: &[ecr::PullThroughRule],
) -> Vec<RepositoryInfo> {
    let mut out: Vec<RepositoryInfo> = repos
        .into_iter()
        .map(|(r, stats)| RepositoryInfo {
            pull_through_upstream: upstream_of(rules, &r.name),
            name: r.name,
            uri: r.uri,
            created_at: r.created_at,
            image_count: stats.as_ref().map(|s| s.images),
            last_pushed_at: stats.and_then(|s| s.last_push),
            tag_mutability: r.tag_mutability,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Repositories of a registry: DescribeRepositories for ECR, `/v2/_catalog` otherwise.
pub fn list_repositories(
    registry: &str,
    opts: &RegistryOptions,
) -> Result<Vec<RepositoryInfo>, SourceError> {
    list_repositories_with(registry, opts, true)
}

/// [`list_repositories`]; `stats: false` as for [`list_default_ecr_with`].
pub fn list_repositories_with(
    registry: &str,
    opts: &RegistryOptions,
    stats: bool,
) -> Result<Vec<RepositoryInfo>, SourceError> {
    if let Some(h) = ecr::parse_ecr_host(registry) {
        let aws = opts.aws.clone();
        let repos = run(async move {
            let client = Ecr::connect(&aws, Some(&h.region)).await?;
            described(&client, Some(&h.account), stats).await
        })?
        .map_err(RegistryError::from)?;
        return Ok(repos);
    }
    let (host, insecure) = opts.host_endpoint(registry);
    let client = Client::new(registry, &host, insecure, opts)?;
    let names = run(async move { client.catalog().await })??;
    let mut out: Vec<RepositoryInfo> = names
        .into_iter()
        .map(|name| RepositoryInfo {
            uri: Some(format!("{registry}/{name}")),
            name,
            created_at: None,
            image_count: None,
            last_pushed_at: None,
            tag_mutability: None,
            pull_through_upstream: None,
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
    list_images_picked(repo, opts, &first_tags)
}

/// Chooses, from a repository's whole tag list (in `/tags/list` order), the tags whose
/// manifests are fetched, with notes for people about the tags left out.
pub type TagPick<'a> = dyn Fn(&str, Vec<String>) -> (Vec<String>, Vec<String>) + Sync + 'a;

/// The explorer's pick: the first [`MAX_TAGS_INSPECTED`] tags, and a note when there are more.
pub fn first_tags(repository: &str, mut tags: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut notes = Vec::new();
    if tags.len() > MAX_TAGS_INSPECTED {
        notes.push(format!(
            "{} tags; only the first {MAX_TAGS_INSPECTED} were inspected. Name a tag to look at another: archlens inspect {}:TAG",
            tags.len(),
            repository
        ));
        tags.truncate(MAX_TAGS_INSPECTED);
    }
    (tags, notes)
}

/// [`list_images_noted`] with the tags of a plain registry chosen by `pick` from the whole
/// tag list (ECR lists every image in one call, so `pick` is not asked there).
pub fn list_images_picked(
    repo: &RegistryRef,
    opts: &RegistryOptions,
    pick: &TagPick<'_>,
) -> Result<(Vec<ImageInfo>, Vec<String>), SourceError> {
    let endpoint = opts.endpoint(repo);
    let client = Arc::new(Client::new(
        &repo.registry,
        &endpoint.host,
        endpoint.insecure,
        opts,
    )?);
    list_images_on(client, repo, opts, pick)
}

/// [`list_images_noted`] through a client already connected to the repository's endpoint,
/// so a catalog listing many repositories logs in once.
pub fn list_images_on(
    client: Arc<Client>,
    repo: &RegistryRef,
    opts: &RegistryOptions,
    pick: &TagPick<'_>,
) -> Result<(Vec<ImageInfo>, Vec<String>), SourceError> {
    let endpoint = opts.endpoint(repo);
    let (raws, notes) = if let Some(h) = ecr::parse_ecr_host(&repo.registry) {
        let aws = opts.aws.clone();
        let name = repo.repository.clone();
        (
            run(async move { ecr_raw_images(&aws, &h, &name).await })??,
            Vec::new(),
        )
    } else {
        let (c, r) = (client.clone(), endpoint.repository.clone());
        let all = run(async move { c.list_tags(&r).await })??;
        let (tags, notes) = pick(&endpoint.repository, all);
        let (c, r) = (client.clone(), endpoint.repository.clone());
        (
            run(async move { registry_raw_images(c, r, tags).await })??,
            notes,
        )
    };
    let mut listed = repo.clone();
    listed.tag = None;
    listed.digest = None;
    let source = RegistrySource::on(client, listed, opts);
    let images = group(raws, &source);
    Ok((images, notes))
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
                status: i.status,
                archived_at: i.archived_at,
                scan_findings: i.scan_findings,
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
    tags: Vec<String>,
) -> Result<Vec<Raw>, RegistryError> {
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
    Ok(by_digest.into_values().collect())
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
    fn scan_findings_most_severe_first_in_both_forms() {
        let counts: BTreeMap<String, u64> = [("LOW", 1), ("CRITICAL", 2), ("HIGH", 0), ("NEW", 4)]
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        assert_eq!(findings_word(&counts), "2C 1L 4 new");
        assert_eq!(findings_text(&counts), "2 critical, 1 low, 4 new");
        assert_eq!(findings_text(&BTreeMap::new()), "none");
        assert_eq!(
            mutability_word("IMMUTABLE_WITH_EXCLUSION"),
            "immutable except filters"
        );
        // Values the SDK does not know reach screens as the server sent them.
        let hostile = "MUTABLE\x1b]0;owned\x07";
        assert!(!mutability_word(hostile).contains('\x1b'));
        let odd: BTreeMap<String, u64> = [("\x1b[2JX".to_string(), 1)].into_iter().collect();
        assert!(!findings_word(&odd).contains('\x1b'));
        assert!(!findings_text(&odd).contains('\x1b'));
    }
}
