//! Answers to a registry's 401: a bearer token per scope from the challenge's realm, or Basic
//! with the caller's credentials (ECR's token for ECR hosts), and advice when access is denied.

use std::collections::HashMap;
use std::time::Instant;

use reqwest::header;
use reqwest::{StatusCode, Url};

use super::client::{Client, Deadline, read_capped};
use super::credentials::{BasicCreds, Secret, docker_credentials};
use super::{Op, RegistryError};
use crate::oci::limits::ERROR_BODY_MAX;
use crate::source::dockerref;
use crate::source::ecr::Ecr;

impl Client {
    /// Basic credentials: ECR's token for ECR hosts (even when remapped), else Docker's config.
    pub(super) async fn credentials(&self) -> Result<Option<BasicCreds>, RegistryError> {
        if let Some(c) = self.fresh_credentials() {
            return Ok(c);
        }
        let _one = self.creds_fetch.lock().await;
        if let Some(c) = self.fresh_credentials() {
            return Ok(c);
        }
        let got = if let Some(h) = &self.ecr {
            let client = Ecr::connect(&self.opts.aws, Some(&h.region)).await?;
            let (user, pass) = client.basic_credentials(&h.account).await?;
            Some(BasicCreds {
                user,
                pass: Secret(pass),
            })
        } else {
            let path = self.opts.docker_config.clone();
            let names = [self.host.clone(), self.registry.clone()];
            tokio::task::spawn_blocking(move || docker_credentials(path, &names))
                .await
                .ok()
                .flatten()
        };
        if let Ok(mut g) = self.creds.lock() {
            *g = Some((Instant::now(), got.clone()));
        }
        Ok(got)
    }

    /// The credentials fetched before, unless they are an ECR token near its expiry.
    fn fresh_credentials(&self) -> Option<Option<BasicCreds>> {
        let g = self.creds.lock().ok()?;
        let (at, c) = g.as_ref()?;
        if self.ecr.is_some() && at.elapsed() >= super::client::ECR_TOKEN_REUSE {
            return None;
        }
        Some(c.clone())
    }

    pub(super) fn auth_header(&self, scope: &str) -> Option<String> {
        let state = self.auth.lock().ok()?;
        state.tokens.get(scope).map(|t| format!("Bearer {t}"))
    }

    /// Answers a 401 challenge: fetch a bearer token for `scope`, or switch to Basic.
    pub(super) async fn authenticate(
        &self,
        challenge: Option<&str>,
        scope: &str,
        op: Op,
        what: &str,
        dl: &Deadline,
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
            // The token service fails like any server: 5xx and 429 are retried, not blamed
            // on the credentials.
            let token_what = format!("token for {what}");
            let resp = self
                .send_retrying(dl, &token_what, || {
                    let mut req = self.http.get(url.clone()).timeout(self.opts.timeout);
                    if let Some(c) = &creds {
                        req = req.header(header::AUTHORIZATION, c.header());
                    }
                    req.send()
                })
                .await?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(self.denied(op, what, status.as_u16(), creds.is_some()));
            }
            if !status.is_success() {
                return Err(RegistryError::Status {
                    registry: self.registry.clone(),
                    what: token_what,
                    status: status.as_u16(),
                    detail: String::new(),
                });
            }
            let body = read_capped(resp, ERROR_BODY_MAX).await.unwrap_or_default();
            let token = token_of(&body).ok_or_else(|| {
                RegistryError::Invalid(format!(
                    "{}: the token service answered without a token",
                    self.registry
                ))
            })?;
            if let Ok(mut st) = self.auth.lock() {
                st.tokens.insert(scope.to_string(), token);
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

    pub(super) fn denied(&self, op: Op, what: &str, status: u16, had_creds: bool) -> RegistryError {
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
}

/// The token in a token service's JSON answer (`token`, or OAuth2's `access_token`).
pub(super) fn token_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let t = v.get("token").or_else(|| v.get("access_token"))?;
    t.as_str().map(str::to_string)
}

/// Parses `Bearer realm="...",service="...",scope="..."`.
pub(super) fn parse_challenge(h: &str) -> (String, HashMap<String, String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_from_token_or_access_token() {
        assert_eq!(token_of(br#"{"token":"abc"}"#).as_deref(), Some("abc"));
        assert_eq!(
            token_of(br#"{"access_token":"xyz"}"#).as_deref(),
            Some("xyz")
        );
        assert_eq!(token_of(br#"{"token":7}"#), None);
        assert_eq!(token_of(b"not json"), None);
    }

    #[test]
    fn challenge_parsing() {
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
    }
}
