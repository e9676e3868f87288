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

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio::sync::{OnceCell, Semaphore};

use super::dockerref::{self, RegistryRef};
use super::ecr::{self, AwsOptions, Ecr};
use super::{Fetched, ImageSource, SourceError};
use crate::cache::Cache;
use crate::config::{Config, Endpoint};
use crate::oci::{Digest, media};

/// Manifests larger than this are refused: real ones are a few KiB, and the bytes are held
/// in memory to be hashed and parsed.
const MAX_MANIFEST: usize = 4 << 20;
/// Cap on an error body read for its message.
const MAX_ERROR_BODY: usize = 16 << 10;
const MAX_REDIRECTS: usize = 5;
/// Chunks in flight between the download task and the reader.
const CHANNEL_CHUNKS: usize = 16;

/// How hard to retry transient failures (timeouts, connection errors, 429, 5xx).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff; doubled each attempt, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts after this much time on one request.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            budget: Duration::from_secs(60),
        }
    }
}

/// Everything that shapes how registries are reached.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    pub config: Config,
    /// `--insecure`: plain HTTP to every registry (loopback ones always get it).
    pub insecure: bool,
    /// `--profile` / `--region`, falling back to the config's defaults.
    pub aws: AwsOptions,
    /// Docker's config file; `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` if unset.
    pub docker_config: Option<PathBuf>,
    /// Blob downloads running at once, per source.
    pub max_parallel: usize,
    pub retry: RetryPolicy,
    /// Connect timeout, and the longest wait for any single read.
    pub timeout: Duration,
    /// Manifests by digest are served from and stored to this cache.
    pub cache: Option<Arc<Cache>>,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            config: Config::default(),
            insecure: false,
            aws: AwsOptions::default(),
            docker_config: None,
            max_parallel: 4,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            cache: None,
        }
    }
}

impl RegistryOptions {
    /// Options from a loaded config: its AWS defaults apply where flags gave none.
    pub fn from_config(config: Config) -> RegistryOptions {
        let aws = AwsOptions {
            profile: config.defaults.aws_profile.clone(),
            region: config.defaults.aws_region.clone(),
        };
        RegistryOptions {
            config,
            aws,
            ..RegistryOptions::default()
        }
    }
}

/// What went wrong talking to a registry, worded for the person running archlens.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{registry}: {what}: access denied (HTTP {status}). {advice}")]
    Denied {
        registry: String,
        what: String,
        status: u16,
        advice: String,
    },
    #[error("{what} was not found on {registry}{hint}")]
    NotFound {
        registry: String,
        what: String,
        hint: String,
    },
    #[error(
        "{registry}: {what}: {detail}. Check the network and that the registry is reachable, then try again"
    )]
    Network {
        registry: String,
        what: String,
        detail: String,
    },
    #[error(
        "{registry}: {what}: gave up after {attempts} attempts in {secs}s, last: {last}. The registry is overloaded or failing; try again later"
    )]
    GaveUp {
        registry: String,
        what: String,
        attempts: u32,
        secs: u64,
        last: String,
    },
    #[error("{registry}: {what}: unexpected HTTP {status}{detail}")]
    Status {
        registry: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error(
        "{registry} refuses to list its repositories (HTTP {status}): many registries (Docker Hub, GHCR) do not offer /v2/_catalog. Name a repository instead: archlens ls {registry}/REPOSITORY"
    )]
    CatalogRefused { registry: String, status: u16 },
    #[error("{0}")]
    Ecr(#[from] ecr::EcrError),
    #[error("{0}")]
    Invalid(String),
}

impl From<RegistryError> for SourceError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NotFound { .. } => SourceError::NotFound(e.to_string()),
            other => SourceError::Invalid(other.to_string()),
        }
    }
}

/// What a request is for: names it in messages and picks the IAM action ECR checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Manifest,
    Blob,
    Tags,
    Catalog,
}

impl Op {
    fn ecr_action(self) -> &'static str {
        match self {
            Op::Manifest => "ecr:BatchGetImage",
            Op::Blob => "ecr:GetDownloadUrlForLayer",
            Op::Tags => "ecr:ListImages",
            Op::Catalog => "ecr:DescribeRepositories",
        }
    }
}

/// The process-wide runtime the sync API drives. Two workers: requests are I/O bound.
fn runtime() -> Result<&'static tokio::runtime::Runtime, RegistryError> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("archlens-net")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| RegistryError::Invalid(format!("cannot start the network runtime: {e}")))
}

/// Runs `fut` on the network runtime and waits for it from any thread, async or not.
pub(crate) fn run<F>(fut: F) -> Result<F::Output, RegistryError>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    let (tx, rx) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| RegistryError::Invalid("a network task stopped unexpectedly".into()))
}

/// A secret that never prints.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug)]
struct BasicCreds {
    user: String,
    pass: Secret,
}

impl BasicCreds {
    fn header(&self) -> String {
        let raw = format!("{}:{}", self.user, self.pass.0);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// A connection to one registry endpoint, shared by all requests of a source or listing.
pub(crate) struct Client {
    http: reqwest::Client,
    /// `http://host/` or `https://host/`.
    base: Url,
    /// The registry as the user named it (for messages and credential look-up).
    registry: String,
    /// The host actually contacted, after remapping.
    host: String,
    ecr: Option<ecr::EcrHost>,
    opts: RegistryOptions,
    creds: OnceCell<Option<BasicCreds>>,
    /// Bearer tokens by scope, or the Basic header once the registry asked for Basic.
    auth: Mutex<AuthState>,
    downloads: Arc<Semaphore>,
}

#[derive(Default)]
struct AuthState {
    basic: bool,
    tokens: HashMap<String, String>,
}

impl Client {
    /// A client for `host` (already remapped); `registry` is the name the user gave.
    pub(crate) fn new(
        registry: &str,
        host: &str,
        insecure_entry: bool,
        opts: &RegistryOptions,
    ) -> Result<Client, RegistryError> {
        // Plain HTTP only where Docker allows it by default (loopback) or where the user
        // said so; everything else is HTTPS.
        let plain = opts.insecure || insecure_entry || dockerref::is_loopback_host(host);
        let scheme = if plain { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/"))
            .map_err(|e| RegistryError::Invalid(format!("bad registry host {host:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
            .user_agent(concat!("archlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RegistryError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base,
            registry: registry.to_string(),
            host: host.to_string(),
            ecr: ecr::parse_ecr_host(registry),
            opts: opts.clone(),
            creds: OnceCell::new(),
            auth: Mutex::new(AuthState::default()),
            downloads: Arc::new(Semaphore::new(opts.max_parallel.max(1))),
        })
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, RegistryError> {
        self.base
            .join(path)
            .map_err(|e| RegistryError::Invalid(format!("bad URL path {path:?}: {e}")))
    }

    /// Basic credentials: ECR's token for ECR hosts (even when remapped), else Docker's config.
    async fn credentials(&self) -> Result<Option<BasicCreds>, RegistryError> {
        self.creds
            .get_or_try_init(|| async {
                if let Some(h) = &self.ecr {
                    let client = Ecr::connect(&self.opts.aws, Some(&h.region)).await?;
                    let (user, pass) = client.basic_credentials(&h.account).await?;
                    return Ok(Some(BasicCreds {
                        user,
                        pass: Secret(pass),
                    }));
                }
                let path = self.opts.docker_config.clone();
                let names = [self.host.clone(), self.registry.clone()];
                Ok(
                    tokio::task::spawn_blocking(move || docker_credentials(path, &names))
                        .await
                        .ok()
                        .flatten(),
                )
            })
            .await
            .cloned()
    }

    fn auth_header(&self, scope: &str) -> Option<String> {
        let state = self.auth.lock().ok()?;
        state.tokens.get(scope).map(|t| format!("Bearer {t}"))
    }

    /// Answers a 401 challenge: fetch a bearer token for `scope`, or switch to Basic.
    async fn authenticate(
        &self,
        challenge: Option<&str>,
        scope: &str,
        op: Op,
        what: &str,
    ) -> Result<(), RegistryError> {
        let creds = self.credentials().await?;
        let challenge = challenge.unwrap_or("");
        let (scheme, params) = parse_challenge(challenge);
        if scheme.eq_ignore_ascii_case("bearer") {
            let realm = params.get("realm").cloned().unwrap_or_default();
            let mut url = Url::parse(&realm).map_err(|_| {
                RegistryError::Invalid(format!(
                    "{}: the auth challenge names no usable token realm ({realm:?})",
                    self.registry
                ))
            })?;
            if url.scheme() != "https"
                && !dockerref::is_loopback_host(url.host_str().unwrap_or(""))
                && !self.opts.insecure
            {
                return Err(RegistryError::Invalid(format!(
                    "{}: token realm {realm} is plain HTTP; refusing to send credentials there (use --insecure if this is intended)",
                    self.registry
                )));
            }
            {
                let mut q = url.query_pairs_mut();
                if let Some(s) = params.get("service") {
                    q.append_pair("service", s);
                }
                q.append_pair("scope", scope);
            }
            let mut req = self.http.get(url).timeout(self.opts.timeout);
            if let Some(c) = &creds {
                req = req.header(header::AUTHORIZATION, c.header());
            }
            let resp = req.send().await.map_err(|e| RegistryError::Network {
                registry: self.registry.clone(),
                what: "token request".into(),
                detail: describe_reqwest(&e),
            })?;
            let status = resp.status();
            if !status.is_success() {
                return Err(self.denied(op, what, status.as_u16(), creds.is_some()));
            }
            let body = read_capped(resp, MAX_ERROR_BODY).await.unwrap_or_default();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let token = v
                .get("token")
                .or_else(|| v.get("access_token"))
                .and_then(|t| t.as_str())
                .ok_or_else(|| {
                    RegistryError::Invalid(format!(
                        "{}: the token service answered without a token",
                        self.registry
                    ))
                })?;
            if let Ok(mut st) = self.auth.lock() {
                st.tokens.insert(scope.to_string(), token.to_string());
            }
            Ok(())
        } else if scheme.eq_ignore_ascii_case("basic") {
            if creds.is_none() {
                return Err(self.denied(op, what, 401, false));
            }
            if let Ok(mut st) = self.auth.lock() {
                st.basic = true;
            }
            Ok(())
        } else {
            Err(self.denied(op, what, 401, creds.is_some()))
        }
    }

    fn denied(&self, op: Op, what: &str, status: u16, had_creds: bool) -> RegistryError {
        let advice = if let Some(h) = &self.ecr {
            format!(
                "ECR refused {}: grant it to the caller on this repository (the managed policy AmazonEC2ContainerRegistryReadOnly covers it), and check the account ({}) and region ({})",
                op.ecr_action(),
                h.account,
                h.region
            )
        } else if had_creds {
            format!(
                "The credentials for {} were refused or lack pull access: run `docker login {}` again, or check the repository name",
                self.registry, self.registry
            )
        } else {
            format!(
                "The registry wants credentials and none were found: run `docker login {}` (archlens reads ~/.docker/config.json and credential helpers)",
                self.registry
            )
        };
        RegistryError::Denied {
            registry: self.registry.clone(),
            what: what.to_string(),
            status,
            advice,
        }
    }

    /// GET with authentication, manual redirects and retries. `range` asks for bytes from an
    /// offset (blob resumption). Returns a 2xx response, or an error worded for people.
    pub(crate) async fn get(
        &self,
        url: &Url,
        accept: Option<&str>,
        range: Option<u64>,
        scope: &str,
        op: Op,
        what: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut authenticated = false;
        loop {
            attempt += 1;
            let result = self.send_following(url, accept, range, scope).await;
            let retry_after;
            let last;
            match result {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        return Ok(resp);
                    }
                    if status == StatusCode::UNAUTHORIZED && !authenticated {
                        authenticated = true;
                        let challenge = resp
                            .headers()
                            .get(header::WWW_AUTHENTICATE)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        self.authenticate(challenge.as_deref(), scope, op, what)
                            .await?;
                        attempt -= 1;
                        continue;
                    }
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                        let had = self.credentials().await.ok().flatten().is_some();
                        return Err(self.denied(op, what, status.as_u16(), had));
                    }
                    if status == StatusCode::NOT_FOUND {
                        return Err(RegistryError::NotFound {
                            registry: self.registry.clone(),
                            what: what.to_string(),
                            hint: String::new(),
                        });
                    }
                    let transient = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::REQUEST_TIMEOUT
                        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED);
                    if !transient {
                        let body = read_capped(resp, MAX_ERROR_BODY).await.unwrap_or_default();
                        return Err(RegistryError::Status {
                            registry: self.registry.clone(),
                            what: what.to_string(),
                            status: status.as_u16(),
                            detail: error_detail(&body),
                        });
                    }
                    retry_after = resp
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    last = format!("HTTP {status}");
                }
                Err(e) => {
                    if !(e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()) {
                        return Err(RegistryError::Network {
                            registry: self.registry.clone(),
                            what: what.to_string(),
                            detail: describe_reqwest(&e),
                        });
                    }
                    retry_after = None;
                    last = describe_reqwest(&e);
                }
            }
            let delay = retry_after
                .map(|d| d.min(self.opts.retry.max_delay))
                .unwrap_or_else(|| backoff(&self.opts.retry, attempt));
            let elapsed = started.elapsed();
            if attempt >= self.opts.retry.max_attempts || elapsed + delay > self.opts.retry.budget {
                return Err(RegistryError::GaveUp {
                    registry: self.registry.clone(),
                    what: what.to_string(),
                    attempts: attempt,
                    secs: elapsed.as_secs(),
                    last,
                });
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: sends the request and follows redirects by hand, sending credentials
    /// only to the registry's own host (ECR and S3 answer blob GETs with 307 to S3).
    async fn send_following(
        &self,
        url: &Url,
        accept: Option<&str>,
        range: Option<u64>,
        scope: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut url = url.clone();
        let auth = {
            let bearer = self.auth_header(scope);
            let basic = self.auth.lock().map(|s| s.basic).unwrap_or(false);
            match (bearer, basic) {
                (Some(b), _) => Some(b),
                (None, true) => self.creds.get().cloned().flatten().map(|c| c.header()),
                _ => None,
            }
        };
        for _ in 0..=MAX_REDIRECTS {
            let mut headers = HeaderMap::new();
            if let Some(a) = accept
                && let Ok(v) = HeaderValue::from_str(a)
            {
                headers.insert(header::ACCEPT, v);
            }
            if let Some(off) = range
                && let Ok(v) = HeaderValue::from_str(&format!("bytes={off}-"))
            {
                headers.insert(header::RANGE, v);
            }
            if same_origin(&url, &self.base)
                && let Some(a) = &auth
                && let Ok(mut v) = HeaderValue::from_str(a)
            {
                v.set_sensitive(true);
                headers.insert(header::AUTHORIZATION, v);
            }
            let resp = self.http.get(url.clone()).headers(headers).send().await?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let next = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok());
            match next {
                Some(n) => url = n,
                None => return Ok(resp),
            }
        }
        // Too many redirects: hand back the last answer; `get` reports its status.
        self.http.get(url).send().await
    }

    /// GET a manifest by tag or digest and verify it.
    pub(crate) async fn fetch_manifest(
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
        let bytes = read_capped(resp, MAX_MANIFEST)
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
                return Err(RegistryError::Invalid(
                    SourceError::DigestMismatch {
                        what: format!("{}: {what}", self.registry),
                        expected: d,
                        actual,
                    }
                    .to_string(),
                ));
            }
            None => Digest::sha256_of(&bytes),
        };
        Ok(Fetched {
            digest,
            media_type,
            bytes,
        })
    }

    /// `: existing tags closest to "x": a, b, c`, or nothing if tags cannot be listed.
    async fn closest_tags_hint(&self, repository: &str, wanted: &str) -> String {
        match self.list_tags(repository).await {
            Ok(tags) if tags.is_empty() => " (the repository has no tags)".to_string(),
            Ok(tags) => {
                let near = closest(wanted, &tags, 3);
                format!(". Closest existing tags: {}", near.join(", "))
            }
            Err(_) => String::new(),
        }
    }

    /// `tags/list`, following `Link` pagination.
    pub(crate) async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let first = self.url(&format!("v2/{repository}/tags/list?n=1000"))?;
        let scope = pull_scope(repository);
        let what = format!("tag list of {repository}");
        self.paged(first, &scope, Op::Tags, &what, "tags").await
    }

    /// `/v2/_catalog`, following `Link` pagination.
    pub(crate) async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
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
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > 10_000 {
                break; // a registry that links to itself forever
            }
            let resp = self.get(&url, None, None, scope, op, what).await?;
            next = resp
                .headers()
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .and_then(|l| url.join(&l).ok())
                .filter(|u| same_origin(u, &self.base));
            let body = read_capped(resp, 64 << 20)
                .await
                .map_err(|e| RegistryError::Network {
                    registry: self.registry.clone(),
                    what: what.to_string(),
                    detail: e,
                })?;
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                RegistryError::Invalid(format!("{}: {what} is not valid JSON: {e}", self.registry))
            })?;
            if let Some(items) = v.get(field).and_then(|t| t.as_array()) {
                out.extend(items.iter().filter_map(|t| t.as_str().map(str::to_string)));
            }
        }
        Ok(out)
    }

    /// Opens a verified blob stream. The first request runs before returning so a missing
    /// or forbidden blob is an error here; the body then flows through a bounded channel,
    /// resuming with `Range` if the connection breaks.
    pub(crate) fn open_blob(
        self: &Arc<Self>,
        repository: &str,
        digest: &Digest,
        size: u64,
    ) -> Result<BlobReader, RegistryError> {
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let scope = pull_scope(repository);
        let what = format!("blob {digest}");
        let client = Arc::clone(self);
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, String>>(CHANNEL_CHUNKS);
        let first = {
            let (client, url, scope, what) =
                (client.clone(), url.clone(), scope.clone(), what.clone());
            run(async move {
                let permit = client.downloads.clone().acquire_owned().await.ok();
                let resp = client.get(&url, None, None, &scope, Op::Blob, &what).await;
                resp.map(|r| (r, permit))
            })??
        };
        let task = async move {
            let (mut resp, _permit) = first;
            let mut offset: u64 = 0;
            let mut skip: u64 = 0;
            let mut resumes = 0u32;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        let mut chunk: &[u8] = &chunk;
                        if skip > 0 {
                            let n = usize::try_from(skip).unwrap_or(usize::MAX).min(chunk.len());
                            chunk = &chunk[n..];
                            skip -= n as u64;
                        }
                        if chunk.is_empty() {
                            continue;
                        }
                        offset += chunk.len() as u64;
                        if tx.send(Ok(chunk.to_vec())).await.is_err() {
                            return; // the reader was dropped
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        resumes += 1;
                        if resumes >= client.opts.retry.max_attempts {
                            let _ = tx
                                .send(Err(format!(
                                    "{}: {what}: connection broken after {offset} bytes, {resumes} times: {}",
                                    client.registry,
                                    describe_reqwest(&e)
                                )))
                                .await;
                            return;
                        }
                        tokio::time::sleep(backoff(&client.opts.retry, resumes)).await;
                        match client
                            .get(&url, None, Some(offset), &scope, Op::Blob, &what)
                            .await
                        {
                            Ok(r) => {
                                // A server that ignores Range starts again from byte 0.
                                skip = if r.status() == StatusCode::PARTIAL_CONTENT {
                                    0
                                } else {
                                    offset
                                };
                                resp = r;
                            }
                            Err(e) => {
                                let _ = tx.send(Err(e.to_string())).await;
                                return;
                            }
                        }
                    }
                }
            }
        };
        runtime()?.spawn(task);
        Ok(BlobReader {
            rx,
            what: format!("{}: blob {digest}", self.registry),
            digest: digest.clone(),
            hasher: Some(digest.hasher()),
            size,
            read: 0,
            buf: Vec::new(),
            pos: 0,
        })
    }
}

/// A blob as it arrives, hashed and counted; the end of the stream is an error unless
/// digest and size match. Read it from a plain thread, not from inside an async task.
pub struct BlobReader {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    what: String,
    digest: Digest,
    hasher: Option<crate::oci::digest::Hasher>,
    size: u64,
    read: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.buf.len() {
            let Some(hasher) = self.hasher.take() else {
                return Ok(0);
            };
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.size {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "{}: more than the {} bytes the descriptor declares; the registry sent a different blob",
                                self.what, self.size
                            ),
                        ));
                    }
                    let mut hasher = hasher;
                    hasher.update(&chunk);
                    self.hasher = Some(hasher);
                    self.buf = chunk;
                    self.pos = 0;
                }
                Some(Err(msg)) => return Err(io::Error::other(msg)),
                None => {
                    if self.read != self.size {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "{}: ended after {} of {} bytes",
                                self.what, self.read, self.size
                            ),
                        ));
                    }
                    let actual = hasher.finish_hex();
                    if actual != self.digest.hex() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            SourceError::DigestMismatch {
                                what: self.what.clone(),
                                expected: self.digest.clone(),
                                actual: format!("{}:{actual}", self.digest.algorithm().name()),
                            }
                            .to_string(),
                        ));
                    }
                    return Ok(0);
                }
            }
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

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
        let endpoint = opts.config.endpoint(&reference);
        let client = Client::new(&reference.registry, &endpoint.host, endpoint.insecure, opts)?;
        Ok(RegistrySource {
            client: Arc::new(client),
            reference,
            endpoint,
            cache: opts.cache.clone(),
        })
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

    fn fetch(&self, reference: String) -> Result<Fetched, SourceError> {
        let client = self.client.clone();
        let repo = self.endpoint.repository.clone();
        Ok(run(async move {
            client.fetch_manifest(&repo, &reference).await
        })??)
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
            return self.manifest(d, None);
        }
        self.fetch(self.reference.reference())
    }

    fn manifest(&self, digest: &Digest, media_type: Option<&str>) -> Result<Fetched, SourceError> {
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
        let fetched = self.fetch(digest.to_string())?;
        if let Some(c) = &self.cache {
            // A cache that cannot be written only costs a download next time.
            let _ = c.put_blob(&fetched.digest, &fetched.bytes);
        }
        Ok(fetched)
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

// ---- helpers ---------------------------------------------------------------------------

fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Full-jitter exponential backoff: uniform in [0, min(max, base * 2^(attempt-1))].
fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
    let exp = p
        .base_delay
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(p.max_delay);
    let r = jitter_fraction();
    exp.mul_f64(r).max(Duration::from_millis(10))
}

/// A number in [0, 1) from the std hasher's per-instance random keys; no RNG crate needed
/// for jitter.
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if out.len() + c.len() > cap {
                    return Err(format!("the answer is larger than {cap} bytes"));
                }
                out.extend_from_slice(&c);
            }
            Ok(None) => return Ok(out),
            Err(e) => return Err(describe_reqwest(&e)),
        }
    }
}

/// A reqwest error without its URL (which may carry presigned credentials).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "connection broken while reading"
    } else {
        "request failed"
    };
    let mut src = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = src {
        detail = s.to_string();
        src = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({detail})")
    }
}

/// The registry's own error message (`{"errors":[{"code":..,"message":..}]}`), shortened.
fn error_detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let msgs: Vec<String> = v
        .get("errors")
        .and_then(|e| e.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                    let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                    (!code.is_empty() || !msg.is_empty()).then(|| format!("{code} {msg}"))
                })
                .collect()
        })
        .unwrap_or_default();
    if msgs.is_empty() {
        String::new()
    } else {
        let s = msgs.join("; ");
        format!(": {}", s.chars().take(300).collect::<String>())
    }
}

/// Parses `Bearer realm="...",service="...",scope="..."`.
fn parse_challenge(h: &str) -> (String, HashMap<String, String>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = HashMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let Some((key, after)) = s.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.insert(key, value.to_string());
        s = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    (scheme.to_string(), params)
}

/// The `rel="next"` target of a `Link` header.
fn next_link(h: &str) -> Option<String> {
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

/// The `n` names nearest to `wanted` by edit distance.
pub(crate) fn closest(wanted: &str, names: &[String], n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .map(|t| (edit_distance(wanted, t), t))
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, t)| t.clone()).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Docker's stored credentials for the first of `names` that has any: `auths` entries
/// (`auth` = base64 user:password), `credHelpers`, then `credsStore`.
fn docker_credentials(path: Option<PathBuf>, names: &[String]) -> Option<BasicCreds> {
    let path = path.or_else(|| {
        std::env::var_os("DOCKER_CONFIG")
            .map(|d| PathBuf::from(d).join("config.json"))
            .or_else(|| dirs::home_dir().map(|h| h.join(".docker").join("config.json")))
    })?;
    let text = std::fs::read(&path).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    for name in names {
        let keys = auth_keys(name);
        if let Some(helper) = v
            .get("credHelpers")
            .and_then(|h| h.as_object())
            .and_then(|h| keys.iter().find_map(|k| h.get(k)))
            .and_then(|s| s.as_str())
            && let Some(c) = run_helper(helper, name)
        {
            return Some(c);
        }
        if let Some(auths) = v.get("auths").and_then(|a| a.as_object()) {
            let entry = auths.iter().find_map(|(k, e)| {
                let host = k
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or("");
                keys.iter()
                    .any(|want| want == host || want == k)
                    .then_some(e)
            });
            if let Some(e) = entry {
                if let Some(a) = e.get("auth").and_then(|a| a.as_str())
                    && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(a.trim())
                    && let Ok(s) = String::from_utf8(raw)
                    && let Some((u, p)) = s.split_once(':')
                {
                    return Some(BasicCreds {
                        user: u.to_string(),
                        pass: Secret(p.to_string()),
                    });
                }
                if let (Some(u), Some(p)) = (
                    e.get("username").and_then(|x| x.as_str()),
                    e.get("password").and_then(|x| x.as_str()),
                ) {
                    return Some(BasicCreds {
                        user: u.to_string(),
                        pass: Secret(p.to_string()),
                    });
                }
            }
        }
        if let Some(store) = v.get("credsStore").and_then(|s| s.as_str())
            && let Some(c) = run_helper(store, name)
        {
            return Some(c);
        }
    }
    None
}

fn auth_keys(name: &str) -> Vec<String> {
    if name == dockerref::DOCKER_HUB || name == "registry-1.docker.io" || name == "index.docker.io"
    {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![name.to_string()]
    }
}

/// Runs `docker-credential-<helper> get` with the server on stdin (Docker's protocol).
fn run_helper(helper: &str, server: &str) -> Option<BasicCreds> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
    {
        return None;
    }
    let server = if server == dockerref::DOCKER_HUB || server == "registry-1.docker.io" {
        "https://index.docker.io/v1/"
    } else {
        server
    };
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let user = v.get("Username")?.as_str()?.to_string();
    let pass = v.get("Secret")?.as_str()?.to_string();
    Some(BasicCreds {
        user,
        pass: Secret(pass),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_and_link_parsing() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/alpine:pull");
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (s.as_str(), p["realm"].as_str()),
            ("Basic", "Registry Realm")
        );
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }

    #[test]
    fn closest_tags_by_edit_distance() {
        let tags: Vec<String> = ["3.19", "3.20", "3.20.1", "edge", "latest"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(closest("3.2O", &tags, 2), ["3.20", "3.19"]);
    }

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        for a in 1..40 {
            assert!(backoff(&p, a) <= p.max_delay);
        }
    }

    #[test]
    fn docker_config_auths_and_secrets_do_not_print() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &path,
            format!(r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},"127.0.0.1:5000":{{"username":"bob","password":"pw"}}}}}}"#),
        )
        .unwrap();
        let c = docker_credentials(Some(path.clone()), &["docker.io".into()]).unwrap();
        assert_eq!(c.user, "alice");
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = docker_credentials(Some(path.clone()), &["127.0.0.1:5000".into()]).unwrap();
        assert_eq!(c.user, "bob");
        assert!(docker_credentials(Some(path), &["ghcr.io".into()]).is_none());
    }
}
