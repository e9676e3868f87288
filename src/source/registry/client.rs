//! The HTTP client for one registry endpoint: every GET goes through [`Client::get`], which
//! authenticates, follows redirects by hand and retries transient failures with backoff.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use super::credentials::BasicCreds;
use super::{Op, RegistryError, RegistryOptions, RetryPolicy, net};
use crate::oci::limits::ERROR_BODY_MAX;
use crate::source::{dockerref, ecr};

const MAX_REDIRECTS: usize = 5;
/// How long an ECR login token is used: ECR's last 12 hours (GetAuthorizationToken), and an
/// audit of a large registry can run longer; an hour early, so none expires mid-download.
pub(super) const ECR_TOKEN_REUSE: Duration = Duration::from_secs(11 * 3600);
/// How long an answer may take before people are told archlens is waiting.
const WAITING_NOTICE_AFTER: Duration = Duration::from_secs(3);

/// When a request must be done, how long that was, and whose limit it is (for messages).
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    pub(super) at: Instant,
    pub(super) limit: Duration,
    pub(super) which: &'static str,
}

/// The process-wide runtime the sync API drives. Two workers: requests are I/O bound.
pub(super) fn runtime() -> Result<&'static tokio::runtime::Runtime, RegistryError> {
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

/// A connection to one registry endpoint, shared by all requests of a source or listing.
/// Listings use its public calls (manifests, tags, catalog); blobs are read only through
/// [`super::RegistrySource`], so there is one blob reader with one cache and one cap.
pub struct Client {
    pub(super) http: reqwest::Client,
    /// `http://host/` or `https://host/`.
    pub(super) base: Url,
    /// The registry as the user named it (for messages and credential look-up).
    pub(super) registry: String,
    /// The host actually contacted, after remapping.
    pub(super) host: String,
    pub(super) ecr: Option<ecr::EcrHost>,
    pub(super) opts: RegistryOptions,
    /// Basic credentials and when they were fetched: ECR's expire (see [`ECR_TOKEN_REUSE`]),
    /// so a client kept for a long audit fetches them again.
    pub(super) creds: Mutex<Option<(Instant, Option<BasicCreds>)>>,
    /// Held while credentials are fetched, so threads sharing the client fetch them once.
    pub(super) creds_fetch: tokio::sync::Mutex<()>,
    /// Bearer tokens by scope, or the Basic header once the registry asked for Basic.
    pub(super) auth: Mutex<AuthState>,
    pub(super) downloads: Arc<Semaphore>,
    /// Tags per repository from the last listing, for the closest-tag hint.
    pub(super) known_tags: Mutex<HashMap<String, Option<Arc<Vec<String>>>>>,
    pub(super) said_waiting: AtomicBool,
}

#[derive(Default)]
pub(super) struct AuthState {
    pub(super) basic: bool,
    pub(super) tokens: HashMap<String, String>,
}

impl Client {
    /// A client for `host` (already remapped); `registry` is the name the user gave.
    pub fn new(
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
            creds: Mutex::new(None),
            creds_fetch: tokio::sync::Mutex::new(()),
            auth: Mutex::new(AuthState::default()),
            downloads: Arc::new(Semaphore::new(opts.max_parallel.max(1))),
            known_tags: Mutex::new(HashMap::new()),
            said_waiting: AtomicBool::new(false),
        })
    }

    pub(super) fn url(&self, path: &str) -> Result<Url, RegistryError> {
        self.base
            .join(path)
            .map_err(|e| RegistryError::Invalid(format!("bad URL path {path:?}: {e}")))
    }

    /// GET with authentication, manual redirects and retries. `range` asks for bytes from an
    /// offset (blob resumption). Returns a 2xx response, or an error worded for people.
    pub(super) async fn get(
        &self,
        url: &Url,
        accept: Option<&str>,
        range: Option<u64>,
        scope: &str,
        op: Op,
        what: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let dl = self.deadline(Instant::now());
        self.get_until(url, accept, range, scope, op, what, &dl)
            .await
    }

    /// [`Client::get`] by a given deadline (a blob's resumption counts from its last byte).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn get_until(
        &self,
        url: &Url,
        accept: Option<&str>,
        range: Option<u64>,
        scope: &str,
        op: Op,
        what: &str,
        dl: &Deadline,
    ) -> Result<reqwest::Response, RegistryError> {
        let mut authenticated = false;
        loop {
            let resp = self
                .send_retrying(dl, what, || self.send_following(url, accept, range, scope))
                .await?;
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
            if refused && !same_origin(resp.url(), &self.base) {
                // A presigned storage URL refused: the registry's own credentials were fine.
                return Err(RegistryError::RedirectRefused {
                    registry: self.registry.clone(),
                    what: what.to_string(),
                    host: origin_name(resp.url()),
                    status: status.as_u16(),
                });
            }
            if status == StatusCode::UNAUTHORIZED && !authenticated {
                authenticated = true;
                let challenge = resp
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                self.authenticate(challenge.as_deref(), scope, op, what, dl)
                    .await?;
                continue;
            }
            if refused {
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
            let body = read_capped(resp, ERROR_BODY_MAX).await.unwrap_or_default();
            return Err(RegistryError::Status {
                registry: self.registry.clone(),
                what: what.to_string(),
                status: status.as_u16(),
                detail: error_detail(&body),
            });
        }
    }

    /// Sends with retries: transient answers (408, 429, 5xx but 501) and transient network
    /// failures are tried again with backoff (`Retry-After` honoured) while attempts and
    /// the deadline last. Any other answer is handed back for the caller to judge.
    pub(super) async fn send_retrying<F, Fut>(
        &self,
        dl: &Deadline,
        what: &str,
        send: F,
    ) -> Result<reqwest::Response, RegistryError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<reqwest::Response, reqwest::Error>>,
    {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let Some(result) = self.within(dl, what, send()).await else {
                return Err(self.timed_out(dl, what));
            };
            let (retry_after, failure) = match result {
                Ok(resp) => {
                    let status = resp.status();
                    let transient = status == StatusCode::TOO_MANY_REQUESTS
                        || status == StatusCode::REQUEST_TIMEOUT
                        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED);
                    if !transient {
                        return Ok(resp);
                    }
                    let wait = resp
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| net::retry_after(v, SystemTime::now()));
                    (wait, Err(status))
                }
                Err(e) => {
                    let (kind, detail) = net::classify(&e);
                    let reason = net::explain(kind, &self.host, &detail);
                    if !kind.transient() {
                        return Err(self.unreachable(what, reason));
                    }
                    (None, Ok(reason))
                }
            };
            let delay = retry_after
                .map(|d| d.min(self.opts.retry.max_delay))
                .unwrap_or_else(|| backoff(&self.opts.retry, attempt));
            if attempt >= self.opts.retry.max_attempts || Instant::now() + delay > dl.at {
                return Err(match failure {
                    Ok(reason) => self.unreachable(what, reason),
                    Err(status) => RegistryError::GaveUp {
                        registry: self.registry.clone(),
                        what: what.to_string(),
                        attempts: attempt,
                        elapsed: net::secs(started.elapsed()),
                        last: format!("HTTP {status}"),
                    },
                });
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// Runs `fut` until the deadline (`None` past it), saying once per client that it is
    /// waiting when an answer takes longer than a few seconds.
    pub(super) async fn within<F: std::future::Future>(
        &self,
        dl: &Deadline,
        what: &str,
        fut: F,
    ) -> Option<F::Output> {
        let end = tokio::time::sleep_until(tokio::time::Instant::from_std(dl.at));
        let note = tokio::time::sleep(WAITING_NOTICE_AFTER);
        tokio::pin!(fut, end, note);
        let mut noted = false;
        loop {
            tokio::select! {
                out = &mut fut => return Some(out),
                _ = &mut end => return None,
                _ = &mut note, if !noted => {
                    noted = true;
                    if !self.said_waiting.swap(true, Ordering::Relaxed) {
                        self.opts.notices.say(&format!(
                            "waiting for {} ({what}); giving up after {} ({})",
                            self.registry,
                            net::secs(dl.limit),
                            dl.which
                        ));
                    }
                }
            }
        }
    }

    /// When a request starting at `start` must be done: its own deadline, never past the
    /// command's `--timeout`.
    pub(super) fn deadline(&self, start: Instant) -> Deadline {
        let budget = self.opts.retry.budget;
        let own = Deadline {
            at: start + budget,
            limit: budget,
            which: "the per-request deadline",
        };
        match self.opts.deadline {
            Some(c) if c.at < own.at => Deadline {
                at: c.at,
                limit: c.limit,
                which: "the command's --timeout",
            },
            _ => own,
        }
    }

    pub(super) fn timed_out(&self, dl: &Deadline, what: &str) -> RegistryError {
        RegistryError::TimedOut {
            registry: self.registry.clone(),
            what: what.to_string(),
            limit: net::secs(dl.limit),
            which: dl.which,
        }
    }

    pub(super) fn unreachable(&self, what: &str, reason: String) -> RegistryError {
        RegistryError::Unreachable {
            registry: self.registry.clone(),
            what: what.to_string(),
            reason,
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
                // Through `credentials`, which fetches ECR's again once they are old: a
                // long audit on one client must not send a token past its 12 hours.
                (None, true) => self.credentials().await.ok().flatten().map(|c| c.header()),
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
}

/// `host[:port]` of a URL, for naming a redirect target without its (presigned) path.
fn origin_name(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the redirect target".to_string(),
    }
}

pub(super) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Full-jitter exponential backoff: uniform in [0, min(max, base * 2^(attempt-1))].
pub(super) fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
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

pub(super) async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => {
                if (out.len() + c.len()) as u64 > cap {
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
pub(super) fn describe_reqwest(e: &reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        for a in 1..40 {
            assert!(backoff(&p, a) <= p.max_delay);
        }
    }
}
