//! Where a reference is really fetched from once the config's `[[registry]]` entries are
//! applied: the host to connect to, the repository path there, and whether HTTP is allowed.

use super::RegistryOptions;
use crate::source::dockerref::{DOCKER_HUB, RegistryRef};

/// Where a reference is really fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `host[:port]` to connect to.
    pub host: String,
    /// Repository path on that host.
    pub repository: String,
    /// Plain HTTP allowed by configuration.
    pub insecure: bool,
}

impl RegistryOptions {
    /// Applies the config's `[[registry]]` remapping for `r`.
    pub fn endpoint(&self, r: &RegistryRef) -> Endpoint {
        let name = r.name();
        match self.config.registry_entry(&name) {
            Some(e) => {
                let p = e.prefix.trim_end_matches('/');
                let rest = &name[p.len()..];
                let location = e.location.as_deref().unwrap_or(p).trim_end_matches('/');
                let full = format!("{location}{rest}");
                let (host, repository) = match full.split_once('/') {
                    Some((h, repo)) => (h.to_string(), repo.to_string()),
                    None => (full.clone(), String::new()),
                };
                Endpoint {
                    host,
                    repository,
                    insecure: e.insecure,
                }
            }
            None => Endpoint {
                host: r.api_host().to_string(),
                repository: r.repository.clone(),
                insecure: false,
            },
        }
    }

    /// Endpoint host and insecure flag for a whole registry (catalog listings).
    pub fn host_endpoint(&self, host: &str) -> (String, bool) {
        match self.config.host_entry(host) {
            Some(e) => (
                e.location.clone().unwrap_or_else(|| host.to_string()),
                e.insecure,
            ),
            None if host == DOCKER_HUB => ("registry-1.docker.io".to_string(), false),
            None => (host.to_string(), false),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, EXAMPLE, RegistryEntry};

    #[test]
    fn the_longest_prefix_remaps() {
        let mut o = RegistryOptions::from_config(
            Config::parse(EXAMPLE, Path::new("example.toml")).unwrap(),
        );
        let r =
            RegistryRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1").unwrap();
        let e = o.endpoint(&r);
        assert_eq!(
            e,
            Endpoint {
                host: "127.0.0.1:5000".into(),
                repository: "team/app".into(),
                insecure: true
            }
        );
        o.config.registries.push(RegistryEntry {
            prefix: "123456789012.dkr.ecr.us-east-1.amazonaws.com/team".into(),
            location: Some("mirror.example/ecr-team".into()),
            insecure: false,
        });
        let e = o.endpoint(&r);
        assert_eq!(e.host, "mirror.example");
        assert_eq!(e.repository, "ecr-team/app");
        // A prefix only matches at a path boundary.
        let other =
            RegistryRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/teamx/app").unwrap();
        assert_eq!(o.endpoint(&other).repository, "teamx/app");
        assert_eq!(o.endpoint(&other).host, "127.0.0.1:5000");
    }

    #[test]
    fn docker_hub_uses_its_api_host() {
        let o = RegistryOptions::default();
        let e = o.endpoint(&RegistryRef::parse("alpine").unwrap());
        assert_eq!(e.host, "registry-1.docker.io");
        assert_eq!(e.repository, "library/alpine");
    }
}
