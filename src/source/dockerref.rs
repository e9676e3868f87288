//! Registry references (`docker://host/repo:tag`, `alpine:3.20`, `repo@sha256:...`) parsed
//! into a validated [`RegistryRef`] with Docker's defaulting rules for Docker Hub short names.

use std::fmt;
use std::str::FromStr;

use crate::oci::Digest;

/// Docker Hub's canonical name in references, and the host that really serves its API.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed registry reference. `tag` and `digest` may both be present
/// (`repo:tag@sha256:...`); the digest then decides what is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// Registry host with optional port, as written (`ghcr.io`, `127.0.0.1:5000`), or `docker.io`.
    pub registry: String,
    /// Repository path (`library/alpine`, `org/team/app`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid image reference {text:?}: {why}. Expected [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST], for example alpine:3.20 or ghcr.io/org/app@sha256:..."
)]
pub struct RefError {
    pub text: String,
    pub why: String,
}

impl RegistryRef {
    /// Parses `docker://REF` or a plain `REF`.
    pub fn parse(text: &str) -> Result<RegistryRef, RefError> {
        let err = |why: &str| RefError {
            text: text.chars().take(200).collect(),
            why: why.to_string(),
        };
        let s = text.strip_prefix("docker://").unwrap_or(text);
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        if s.len() > 4096 {
            return Err(err("it is too long"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let digest = d
                    .parse::<Digest>()
                    .map_err(|_| err("the part after @ is not a sha256:<64 hex> digest"))?;
                (r, Some(digest))
            }
            None => (s, None),
        };
        // A tag follows the last ':' that comes after the last '/', so `host:5000/repo` is
        // a port, not a tag.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(rest[at + 1..].to_string()))
            }
            None => (rest, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(err(
                "the tag must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
            ));
        }
        let (registry, path) = match name.split_once('/') {
            // Docker's rule: the first component is a host only if it looks like one.
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" || registry == DOCKER_HUB_API {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        if !valid_host(&registry) {
            return Err(err("the registry host is not a valid host[:port]"));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if !repository.split('/').all(valid_component) {
            return Err(err(
                "repository path components must be lowercase letters and digits, separated by '.', '_', '__' or '-'",
            ));
        }
        Ok(RegistryRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// What goes after `/manifests/` in the API: the digest if there is one, else the tag,
    /// else `latest` as Docker does.
    pub fn reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }

    /// The host that serves the registry API for this reference.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// `registry/repository`, the name a `[[registry]] prefix` is matched against.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl FromStr for RegistryRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegistryRef::parse(s)
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// A path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` (the distribution spec's grammar).
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn valid_host(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || h.starts_with('[') => (host, Some(port)),
        _ => (h, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()));
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        !v6.is_empty() && v6.bytes().all(|c| c.is_ascii_hexdigit() || c == b':')
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            })
    };
    port_ok && host_ok
}

/// Whether `host[:port]` names this machine, where Docker allows plain HTTP by default.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) && !h.is_empty() => h,
        _ => host,
    };
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    if bare == "localhost" {
        return true;
    }
    bare.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RegistryRef {
        RegistryRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_short_names() {
        let r = p("alpine:3.20");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/alpine");
        assert_eq!(r.tag.as_deref(), Some("3.20"));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.to_string(), "docker.io/library/alpine:3.20");
        let r = p("docker://bitnami/redis");
        assert_eq!(r.repository, "bitnami/redis");
        assert_eq!(r.reference(), "latest");
        assert_eq!(p("index.docker.io/library/busybox").registry, "docker.io");
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let d = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let r = p(&format!("127.0.0.1:5000/team/app:v1.2@{d}"));
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("v1.2"));
        assert_eq!(r.reference(), d);
        let r = p("localhost:5000/app");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("localhost:5000", None)
        );
        let r = p("123456789012.dkr.ecr.eu-west-1.amazonaws.com/my/app:prod");
        assert_eq!(r.registry, "123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(
            r.name(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my/app"
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "docker://",
            "Alpine:3",
            "alpine:-x",
            "alpine@sha256:abc",
            "ghcr.io/org//app",
            "ghcr.io/org/app:",
            "host:port/app",
            "a/b..c",
        ] {
            assert!(RegistryRef::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = RegistryRef::parse("alpine@md5:x").unwrap_err().to_string();
        assert!(e.contains("sha256"), "{e}");
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1:5000"));
        assert!(is_loopback_host("localhost:5000"));
        assert!(is_loopback_host("[::1]:5000"));
        assert!(!is_loopback_host("ghcr.io"));
        assert!(!is_loopback_host("10.0.0.1:5000"));
    }
}
