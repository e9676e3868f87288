//! What shapes how registries are reached: credentials sources, AWS profile, parallelism,
//! retries and timeouts, and the cache manifests and configs go through.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::Cache;
use crate::config::Config;
use crate::source::ecr::AwsOptions;

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
