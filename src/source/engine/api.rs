//! The few Docker Engine API calls archlens makes (`/version`, `/images/json`,
//! `/images/{name}/json`, `/images/{name}/get`), with the API version negotiated once.

use serde::Deserialize;

use super::EngineKind;
use super::endpoint::Located;
use super::http::{self, Endpoint, Response};

/// The newest API version archlens speaks; older engines are asked in their own version.
pub const API_MAX: (u32, u32) = (1, 48);
/// The oldest it accepts: Docker 17.03 / Podman's compat layer (which says 1.41).
pub const API_MIN: (u32, u32) = (1, 25);
/// JSON answers (image lists, inspects) larger than this are refused.
const JSON_MAX: u64 = 64 << 20;

/// An engine that answered `/version`, with the API version both sides speak.
#[derive(Debug, Clone)]
pub struct Engine {
    pub kind: EngineKind,
    pub located: Located,
    pub version: (u32, u32),
    /// The engine's own version string (`20.10.24`, `4.3.1`).
    pub server: String,
}

/// `GET /images/{name}/json`, the parts archlens uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Inspect {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Created", default)]
    pub created: Option<String>,
    #[serde(rename = "Size", default)]
    pub size: Option<u64>,
    #[serde(rename = "Os", default)]
    pub os: Option<String>,
    #[serde(rename = "Architecture", default)]
    pub architecture: Option<String>,
    #[serde(rename = "Variant", default)]
    pub variant: Option<String>,
}

impl Inspect {
    /// `linux/arm64/v8` as the engine reports it; `None` when it reports no architecture.
    pub fn platform(&self) -> Option<String> {
        let arch = self.architecture.as_deref().filter(|a| !a.is_empty())?;
        let os = self
            .os
            .as_deref()
            .filter(|o| !o.is_empty())
            .unwrap_or("linux");
        Some(match self.variant.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        })
    }
}

/// One row of `GET /images/json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    /// Seconds since the epoch.
    #[serde(rename = "Created", default)]
    pub created: i64,
    #[serde(rename = "Size", default)]
    pub size: i64,
}

impl Summary {
    /// Tags, without Docker's `<none>:<none>` placeholder.
    pub fn tags(&self) -> Vec<String> {
        self.repo_tags
            .iter()
            .flatten()
            .filter(|t| !t.contains("<none>"))
            .cloned()
            .collect()
    }
}

#[derive(Deserialize)]
struct Version {
    #[serde(rename = "ApiVersion")]
    api_version: String,
    #[serde(rename = "Version", default)]
    version: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: String,
}

/// `1.41` -> (1, 41); a patch part (`4.3.1`) is ignored.
pub fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim().split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Escapes a name for a URL path: image names keep `/`, `:` and `@`, the rest is encoded.
fn escape(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Engine {
    /// Connects, asks `/version` and settles the API version; every failure is one
    /// sentence that says what to do.
    pub fn connect(kind: EngineKind, located: Located) -> Result<Engine, String> {
        let resp = call(kind, &located, "/version")?;
        if resp.status != 200 {
            return Err(format!(
                "{} at {} answered /version with HTTP {}; is it a {} engine?",
                kind.name(),
                located.endpoint,
                resp.status,
                kind.name()
            ));
        }
        let bytes = resp
            .bytes(JSON_MAX)
            .map_err(|e| format!("{} at {}: {e}", kind.name(), located.endpoint))?;
        let v: Version = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{} at {} answered /version with something that is not the Engine API ({e})",
                kind.name(),
                located.endpoint
            )
        })?;
        let theirs = parse_version(&v.api_version).ok_or_else(|| {
            format!(
                "{} at {} reports API version {:?}, which archlens cannot read",
                kind.name(),
                located.endpoint,
                v.api_version
            )
        })?;
        if theirs < API_MIN {
            return Err(format!(
                "{} {} at {} speaks API {}, older than the {}.{} archlens needs; upgrade the engine, or `docker save` the image and check docker-archive:FILE",
                kind.name(),
                v.version,
                located.endpoint,
                v.api_version,
                API_MIN.0,
                API_MIN.1
            ));
        }
        Ok(Engine {
            kind,
            located,
            version: theirs.min(API_MAX),
            server: v.version,
        })
    }

    /// `GET /v{version}{path}`.
    pub fn get(&self, path: &str) -> Result<Response, String> {
        let versioned = format!("/v{}.{}{path}", self.version.0, self.version.1);
        call(self.kind, &self.located, &versioned)
    }

    fn json<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<Option<T>, String> {
        let resp = self.get(path)?;
        let status = resp.status;
        let bytes = resp.bytes(JSON_MAX).map_err(|e| self.io(path, e))?;
        if status == 404 {
            return Ok(None);
        }
        if status != 200 {
            return Err(self.refused(path, status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} answered {path} with unexpected JSON: {e}", self.label()))
    }

    /// `GET /images/{name}/json`; `None` when the engine has no such image.
    pub fn inspect(&self, name: &str) -> Result<Option<Inspect>, String> {
        self.json(&format!("/images/{}/json", escape(name)))
    }

    /// `GET /images/json`: every image, like `docker images`.
    pub fn list(&self) -> Result<Vec<Summary>, String> {
        Ok(self.json("/images/json")?.unwrap_or_default())
    }

    /// `GET /images/{id}/get`: a docker-archive of the image, as a stream.
    pub fn save(&self, id: &str) -> Result<Response, String> {
        let path = format!("/images/{}/get", escape(id));
        let resp = self.get(&path)?;
        if resp.status != 200 {
            let status = resp.status;
            let bytes = resp.bytes(JSON_MAX).unwrap_or_default();
            return Err(self.refused(&path, status, &bytes));
        }
        Ok(resp)
    }

    /// `Docker 20.10.24 at unix:///var/run/docker.sock`.
    pub fn label(&self) -> String {
        format!(
            "{} {} at {}",
            self.kind.name(),
            self.server,
            self.located.endpoint
        )
    }

    fn io(&self, path: &str, e: std::io::Error) -> String {
        format!("{} while reading {path}: {e}", self.label())
    }

    fn refused(&self, path: &str, status: u16, body: &[u8]) -> String {
        let msg = serde_json::from_slice::<ErrorBody>(body)
            .map(|b| b.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(body).chars().take(200).collect());
        format!(
            "{} refused {path} (HTTP {status}): {}",
            self.label(),
            msg.trim()
        )
    }
}

/// One request, with connection failures turned into what to do about them.
fn call(kind: EngineKind, located: &Located, path: &str) -> Result<Response, String> {
    http::get(&located.endpoint, path).map_err(|e| connect_error(kind, located, &e))
}

fn connect_error(kind: EngineKind, located: &Located, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let at = &located.endpoint;
    let from = &located.from;
    match (e.kind(), at) {
        (K::PermissionDenied, Endpoint::Unix(p)) => match kind {
            EngineKind::Docker => format!(
                "permission denied on {} (from {from}): add yourself to the docker group with `sudo usermod -aG docker $USER`, then log in again",
                p.display()
            ),
            EngineKind::Podman => format!(
                "permission denied on {} (from {from}): use your own rootless socket (`systemctl --user start podman.socket`) or run as the socket's owner",
                p.display()
            ),
        },
        (K::NotFound | K::ConnectionRefused, _) => format!(
            "no {} engine at {at} (from {from}): {}",
            kind.name(),
            kind.start_hint()
        ),
        _ => format!("cannot reach {} at {at} (from {from}): {e}", kind.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_slashes_and_tags() {
        assert_eq!(
            escape("localhost:5000/app:v1"),
            "localhost:5000/app:v1".to_string()
        );
        assert_eq!(escape("a b?c"), "a%20b%3Fc");
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert!(parse_version("1.9").unwrap() < parse_version("1.41").unwrap());
        assert_eq!(parse_version("1.41"), Some((1, 41)));
        assert_eq!(parse_version("4.3.1").map(|v| v.0), Some(4));
        assert!(parse_version("x").is_none());
    }

    /// A socket that answers one request with `answer`, as an old engine would.
    fn one_answer(answer: &'static str) -> (tempfile::TempDir, Located) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            use std::io::{BufRead, Write};
            if let Ok((s, _)) = listener.accept() {
                let mut r = std::io::BufReader::new(s);
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = r.get_mut().write_all(answer.as_bytes());
            }
        });
        let located = Located {
            endpoint: Endpoint::Unix(path),
            from: "DOCKER_HOST".into(),
        };
        (dir, located)
    }

    /// An engine's `GET /version` answer with `body`.
    fn version_answer(body: &str) -> &'static str {
        Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        )
    }

    #[test]
    fn old_engines_are_named_with_the_way_around() {
        let body = r#"{"Version":"1.12.6","ApiVersion":"1.24","MinAPIVersion":"1.12"}"#;
        let (_dir, located) = one_answer(version_answer(body));
        let e = Engine::connect(EngineKind::Docker, located).unwrap_err();
        assert!(e.contains("Docker 1.12.6"), "{e}");
        assert!(e.contains("older than the 1.25 archlens needs"), "{e}");
        assert!(e.contains("docker-archive:FILE"), "{e}");
    }

    #[test]
    fn newer_engines_are_asked_in_the_newest_version_archlens_speaks() {
        let body = r#"{"Version":"28.0.1","ApiVersion":"1.49","MinAPIVersion":"1.24"}"#;
        let (_dir, located) = one_answer(version_answer(body));
        let e = Engine::connect(EngineKind::Docker, located).unwrap();
        assert_eq!(e.version, API_MAX);
        assert_eq!(e.server, "28.0.1");
    }

    #[test]
    fn connection_failures_say_what_to_do() {
        let located = Located {
            endpoint: Endpoint::Unix("/nonexistent/docker.sock".into()),
            from: "DOCKER_HOST".into(),
        };
        let e = Engine::connect(EngineKind::Docker, located).unwrap_err();
        assert!(
            e.starts_with("no Docker engine at unix:///nonexistent/docker.sock"),
            "{e}"
        );
        assert!(e.contains("DOCKER_HOST"), "{e}");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let located = Located {
            endpoint: Endpoint::Unix("/var/run/docker.sock".into()),
            from: "the default socket".into(),
        };
        let e = connect_error(EngineKind::Docker, &located, &denied);
        assert!(e.contains("sudo usermod -aG docker $USER"), "{e}");
    }
}
