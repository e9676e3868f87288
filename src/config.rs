//! The user's configuration file (`~/.config/archlens/config.toml`): default targets, AWS
//! defaults, the cache, and `[[registry]]` entries that remap or allow plain HTTP per prefix.
//!
//! The `[[registry]]` shape follows containers' `registries.conf` (prefix, location,
//! insecure) because that is what users already write; the longest matching prefix wins.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Environment variable naming another configuration file.
pub const CONFIG_ENV: &str = "ARCHLENS_CONFIG";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub explorer: ExplorerConfig,
    #[serde(default, rename = "registry")]
    pub registries: Vec<RegistryEntry>,
    /// Key bindings for the terminal UI, read by `ui::keymap` (action = "key" pairs).
    #[serde(default)]
    pub keys: toml::Table,
    /// Colours for the terminal UI, read by `ui::theme`.
    #[serde(default)]
    pub theme: toml::Table,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Target profiles checked when none is given (`apprunner`, `linux/arm64`...).
    #[serde(default)]
    pub targets: Vec<String>,
    /// AWS profile for ECR when `--profile` is not given (else the SDK's own default).
    pub aws_profile: Option<String>,
    /// AWS region for ECR calls that cannot take it from a registry host name.
    pub aws_region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Another cache directory; the user's cache dir (`$XDG_CACHE_HOME/archlens`) otherwise.
    pub dir: Option<PathBuf>,
    /// Size limit in MiB; least recently used entries go first.
    #[serde(default = "default_cache_mib")]
    pub max_size_mib: u64,
}

fn yes() -> bool {
    true
}
fn default_cache_mib() -> u64 {
    1024
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            dir: None,
            max_size_mib: default_cache_mib(),
        }
    }
}

/// The terminal UI's settings that are not keys or colours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorerConfig {
    /// Megabytes (SI, as sizes are shown) of layers the images list may download per session
    /// to give the rows on screen file-based badges without `c`; cached layers are free, 0
    /// turns it off.
    #[serde(default = "default_auto_check_mb")]
    pub auto_check_mb: u64,
}

fn default_auto_check_mb() -> u64 {
    300
}

impl Default for ExplorerConfig {
    fn default() -> Self {
        ExplorerConfig {
            auto_check_mb: default_auto_check_mb(),
        }
    }
}

impl ExplorerConfig {
    /// The automatic check's budget in bytes.
    pub fn auto_check_bytes(&self) -> u64 {
        self.auto_check_mb.saturating_mul(1_000_000)
    }
}

/// One `[[registry]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryEntry {
    /// `host[:port][/path]` that references must start with (at a `/` boundary).
    pub prefix: String,
    /// Where to go instead, replacing the prefix (`127.0.0.1:5000`, `mirror.example/hub`).
    pub location: Option<String>,
    /// Allow plain HTTP (and skip nothing else: TLS is simply not used).
    #[serde(default)]
    pub insecure: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read config file {path}: {source}. Fix the path given by --config or {CONFIG_ENV}"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {detail}")]
    Parse { path: PathBuf, detail: String },
}

impl Config {
    /// The default location: `$XDG_CONFIG_HOME/archlens/config.toml` on Linux.
    pub fn default_path() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("archlens").join("config.toml"))
    }

    /// Loads `explicit` (from `--config`), else `$ARCHLENS_CONFIG`, else the default file.
    /// A missing default file is an empty config; a missing named file is an error.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let env = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty());
        let named = explicit
            .map(Path::to_path_buf)
            .or_else(|| env.map(PathBuf::from));
        match named {
            Some(path) => Config::from_file(&path),
            None => match Config::default_path() {
                Some(path) if path.exists() => Config::from_file(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        for r in &config.registries {
            if r.prefix.trim().is_empty() || r.prefix.contains("://") {
                return Err(ConfigError::Parse {
                    path: path.to_path_buf(),
                    detail: format!(
                        "[[registry]] prefix {:?} must be host[:port][/path] without a scheme",
                        r.prefix
                    ),
                });
            }
        }
        Ok(config)
    }

    /// The entry whose prefix is the longest match for `name` (`host/repo/path`).
    pub fn registry_entry(&self, name: &str) -> Option<&RegistryEntry> {
        self.registries
            .iter()
            .filter(|e| {
                let p = e.prefix.trim_end_matches('/');
                name == p || name.strip_prefix(p).is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|e| e.prefix.len())
    }

    /// Entry for a registry host as a whole (used for catalogs, where no repository is known).
    pub fn host_entry(&self, host: &str) -> Option<&RegistryEntry> {
        self.registries
            .iter()
            .find(|e| e.prefix.trim_end_matches('/') == host)
    }
}

/// An annotated example, also shown in `docs/registries.md`.
pub const EXAMPLE: &str = r#"# ~/.config/archlens/config.toml
[defaults]
targets = ["apprunner", "fargate-arm64"]
aws_profile = "dev"
aws_region = "eu-west-1"

[cache]
enabled = true
max_size_mib = 2048

# The explorer reads the files of the images on screen while their layers fit in this many
# MB per session (cached layers are free); 0 waits for `c`.
[explorer]
auto_check_mb = 300

# Send an ECR host to a local mirror over plain HTTP; it still authenticates with ECR's token.
[[registry]]
prefix = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
location = "127.0.0.1:5000"
insecure = true

# Allow plain HTTP for one registry on the LAN.
[[registry]]
prefix = "registry.lan:5000"
insecure = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses() {
        let c = Config::parse(EXAMPLE, Path::new("example.toml")).unwrap();
        assert_eq!(c.defaults.targets, ["apprunner", "fargate-arm64"]);
        assert_eq!(c.cache.max_size_mib, 2048);
        assert_eq!(c.explorer.auto_check_bytes(), 300_000_000);
        let ecr = c
            .registry_entry("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app")
            .unwrap();
        assert_eq!(ecr.location.as_deref(), Some("127.0.0.1:5000"));
        assert!(ecr.insecure);
    }

    #[test]
    fn the_automatic_check_has_a_budget_unless_set_to_zero() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c.explorer.auto_check_mb, 300);
        let c = Config::parse("[explorer]\nauto_check_mb = 0\n", Path::new("c.toml")).unwrap();
        assert_eq!(c.explorer.auto_check_bytes(), 0);
    }

    #[test]
    fn unknown_keys_and_schemes_are_errors_naming_the_file() {
        let e = Config::parse("[defaults]\ntarget = 1\n", Path::new("/x/c.toml")).unwrap_err();
        assert!(e.to_string().contains("/x/c.toml"), "{e}");
        let e = Config::parse("[[registry]]\nprefix = \"http://a\"\n", Path::new("c.toml"))
            .unwrap_err();
        assert!(e.to_string().contains("without a scheme"), "{e}");
    }
}
