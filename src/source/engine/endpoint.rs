//! Which socket an engine listens on: `DOCKER_HOST`, the active docker context, the default
//! socket; for Podman `CONTAINER_HOST`, then its rootless and rootful sockets.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::EngineKind;
use super::http::Endpoint;
use crate::oci::Digest;

/// Where the endpoint came from, for messages (`DOCKER_HOST`, `docker context "colima"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub endpoint: Endpoint,
    pub from: String,
}

/// The environment that decides the endpoint, read once so tests can give their own.
#[derive(Debug, Default, Clone)]
pub struct Env {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub docker_config: Option<PathBuf>,
    pub container_host: Option<String>,
    pub xdg_runtime_dir: Option<PathBuf>,
}

impl Env {
    pub fn current() -> Env {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config: var("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| dirs::home_dir().map(|h| h.join(".docker"))),
            container_host: var("CONTAINER_HOST"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
        }
    }
}

/// Parses `unix:///path`, `tcp://host:port` (and `http://`); other schemes are refused with
/// the way around them.
pub fn parse_host(host: &str, from: &str) -> Result<Endpoint, String> {
    if let Some(p) = host.strip_prefix("unix://") {
        if p.is_empty() {
            return Err(format!("{from} is {host:?}: the socket path is empty"));
        }
        return Ok(Endpoint::Unix(PathBuf::from(p)));
    }
    if let Some(a) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let a = a.trim_end_matches('/');
        let a = if a.contains(':') {
            a.to_string()
        } else {
            format!("{a}:2375")
        };
        return Ok(Endpoint::Tcp(a));
    }
    if host.starts_with('/') {
        return Ok(Endpoint::Unix(PathBuf::from(host)));
    }
    let scheme = host.split("://").next().unwrap_or(host);
    Err(format!(
        "{from} is {host:?}: archlens reaches engines over unix:// or tcp:// only, not {scheme}://; forward the socket (e.g. `ssh -L /tmp/docker.sock:/var/run/docker.sock HOST`) and set DOCKER_HOST=unix:///tmp/docker.sock"
    ))
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(rename = "currentContext")]
    current_context: Option<String>,
}

#[derive(Deserialize)]
struct ContextMeta {
    #[serde(rename = "Endpoints", default)]
    endpoints: std::collections::HashMap<String, ContextEndpoint>,
}

#[derive(Deserialize)]
struct ContextEndpoint {
    #[serde(rename = "Host")]
    host: Option<String>,
}

/// The docker context's endpoint: `~/.docker/contexts/meta/<sha256 of the name>/meta.json`.
fn context_host(config_dir: &Path, name: &str) -> Result<String, String> {
    let id = Digest::sha256_of(name.as_bytes()).to_string();
    let hex = id.trim_start_matches("sha256:");
    let meta = config_dir
        .join("contexts")
        .join("meta")
        .join(hex)
        .join("meta.json");
    let text = std::fs::read(&meta).map_err(|e| {
        format!(
            "docker context {name:?} is active but {} cannot be read ({e}); run `docker context use default` or set DOCKER_HOST",
            meta.display()
        )
    })?;
    let meta_json: ContextMeta = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a docker context: {e}", meta.display()))?;
    meta_json
        .endpoints
        .get("docker")
        .and_then(|e| e.host.clone())
        .ok_or_else(|| {
            format!(
                "docker context {name:?} has no docker endpoint in {}; run `docker context inspect {name}`",
                meta.display()
            )
        })
}

/// The endpoint of `kind` as this environment names it.
pub fn locate(kind: EngineKind, env: &Env) -> Result<Located, String> {
    match kind {
        EngineKind::Docker => {
            if let Some(h) = &env.docker_host {
                return Ok(Located {
                    endpoint: parse_host(h, "DOCKER_HOST")?,
                    from: "DOCKER_HOST".into(),
                });
            }
            let context = env.docker_context.clone().or_else(|| {
                let dir = env.docker_config.as_ref()?;
                let bytes = std::fs::read(dir.join("config.json")).ok()?;
                serde_json::from_slice::<DockerConfig>(&bytes)
                    .ok()?
                    .current_context
            });
            if let (Some(name), Some(dir)) = (context, &env.docker_config)
                && !name.is_empty()
                && name != "default"
            {
                let host = context_host(dir, &name)?;
                let from = format!("docker context {name:?}");
                return Ok(Located {
                    endpoint: parse_host(&host, &from)?,
                    from,
                });
            }
            Ok(Located {
                endpoint: Endpoint::Unix(PathBuf::from("/var/run/docker.sock")),
                from: "the default socket".into(),
            })
        }
        EngineKind::Podman => {
            if let Some(h) = &env.container_host {
                return Ok(Located {
                    endpoint: parse_host(h, "CONTAINER_HOST")?,
                    from: "CONTAINER_HOST".into(),
                });
            }
            let rootless = env
                .xdg_runtime_dir
                .as_ref()
                .map(|d| d.join("podman").join("podman.sock"));
            let path = match rootless {
                Some(p) if p.exists() => p,
                _ => PathBuf::from("/run/podman/podman.sock"),
            };
            Ok(Located {
                endpoint: Endpoint::Unix(path),
                from: "Podman's socket".into(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parse_like_the_docker_cli() {
        assert_eq!(
            parse_host("unix:///run/user/1000/docker.sock", "DOCKER_HOST").unwrap(),
            Endpoint::Unix("/run/user/1000/docker.sock".into())
        );
        assert_eq!(
            parse_host("tcp://10.0.0.5", "DOCKER_HOST").unwrap(),
            Endpoint::Tcp("10.0.0.5:2375".into())
        );
        let e = parse_host("ssh://me@box", "DOCKER_HOST").unwrap_err();
        assert!(e.contains("not ssh://") && e.contains("ssh -L"), "{e}");
    }

    #[test]
    fn docker_host_wins_then_the_context_then_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            docker_config: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        assert_eq!(
            locate(EngineKind::Docker, &env).unwrap().endpoint,
            Endpoint::Unix("/var/run/docker.sock".into())
        );

        // The layout `docker context create colima --docker host=...` writes.
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{},"currentContext":"colima"}"#,
        )
        .unwrap();
        let hex = Digest::sha256_of(b"colima").to_string()[7..].to_string();
        let meta = dir.path().join("contexts/meta").join(hex);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"colima","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///home/me/.colima/docker.sock","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let got = locate(EngineKind::Docker, &env).unwrap();
        assert_eq!(
            got.endpoint,
            Endpoint::Unix("/home/me/.colima/docker.sock".into())
        );
        assert_eq!(got.from, "docker context \"colima\"");

        let env = Env {
            docker_host: Some("tcp://127.0.0.1:2375".into()),
            ..env
        };
        assert_eq!(
            locate(EngineKind::Docker, &env).unwrap().endpoint,
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
    }

    #[test]
    fn a_missing_context_says_how_to_get_back() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            docker_context: Some("gone".into()),
            docker_config: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        let e = locate(EngineKind::Docker, &env).unwrap_err();
        assert!(e.contains("docker context use default"), "{e}");
    }

    #[test]
    fn podman_prefers_container_host_then_the_rootless_socket() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            xdg_runtime_dir: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        assert_eq!(
            locate(EngineKind::Podman, &env).unwrap().endpoint,
            Endpoint::Unix("/run/podman/podman.sock".into())
        );
        std::fs::create_dir_all(dir.path().join("podman")).unwrap();
        std::fs::write(dir.path().join("podman/podman.sock"), b"").unwrap();
        assert_eq!(
            locate(EngineKind::Podman, &env).unwrap().endpoint,
            Endpoint::Unix(dir.path().join("podman/podman.sock"))
        );
    }
}
