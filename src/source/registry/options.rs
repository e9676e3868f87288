//! What shapes how registries are reached: credentials sources, AWS profile, parallelism,
//! retries and timeouts, and the cache manifests and configs go through.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// The per-request deadline: one request, its retries and waits included (for a blob:
    /// since its last byte), fails after this long.
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
    /// The per-command deadline (`--timeout`): no request runs past it.
    pub deadline: Option<CommandDeadline>,
    /// Where "waiting for REGISTRY" and listing warnings go (the CLI: stderr).
    pub notices: Notices,
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
            deadline: None,
            notices: Notices::default(),
            cache: None,
        }
    }
}

/// `--timeout SECS`: when the command must be done, and the limit as given (for messages).
#[derive(Debug, Clone, Copy)]
pub struct CommandDeadline {
    pub at: Instant,
    pub limit: Duration,
}

impl CommandDeadline {
    pub fn from_now(limit: Duration) -> CommandDeadline {
        CommandDeadline {
            at: Instant::now() + limit,
            limit,
        }
    }
}

type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// A sink for messages to people while requests run; none by default (library use).
#[derive(Clone, Default)]
pub struct Notices(Option<Sink>);

impl Notices {
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Notices {
        Notices(Some(Arc::new(f)))
    }

    pub fn say(&self, message: &str) {
        if let Some(f) = &self.0 {
            f(message);
        }
    }
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notices(on)"
        } else {
            "Notices(off)"
        })
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
