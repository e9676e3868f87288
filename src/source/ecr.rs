//! Amazon ECR through the AWS SDK, the only module that imports it: the v2 API token and the
//! listing calls (DescribeRepositories, DescribeImages, BatchGetImage, pull-through rules).
//!
//! Credentials come from `aws-config`'s default chain (environment, profiles, SSO, web
//! identity, container and instance roles); `AWS_ENDPOINT_URL_ECR` points it elsewhere.
//! Built without the `ecr` cargo feature, host parsing stays and every call fails in words.

#[cfg(feature = "ecr")]
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
#[cfg(feature = "ecr")]
use aws_sdk_ecr::primitives::{DateTime, DateTimeFormat};
#[cfg(feature = "ecr")]
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageIdentifier, ImageStatusFilter};

#[cfg(feature = "ecr")]
use crate::oci::media;

mod explain;
#[cfg(feature = "ecr")]
use explain::explain;

/// An ECR registry host, `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrHost {
    pub account: String,
    pub region: String,
}

/// Recognises an ECR registry host (port ignored).
pub fn parse_ecr_host(host: &str) -> Option<EcrHost> {
    let host = host.split(':').next()?.to_ascii_lowercase();
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let mut parts = rest.split('.');
    let account = parts.next()?;
    let dkr = parts.next()?;
    let ecr = parts.next()?;
    let region = parts.next()?;
    let ok = parts.next().is_none()
        && account.len() == 12
        && account.bytes().all(|c| c.is_ascii_digit())
        && dkr == "dkr"
        && (ecr == "ecr" || ecr == "ecr-fips")
        && !region.is_empty()
        && region
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-');
    ok.then(|| EcrHost {
        account: account.to_string(),
        region: region.to_string(),
    })
}

/// The registry host of `account` in `region`; China regions (`cn-*`) live under
/// `amazonaws.com.cn`. [`parse_ecr_host`] reads it back.
pub fn registry_host(account: &str, region: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("{account}.dkr.ecr.{region}.{domain}")
}

/// What to pass to `aws-config`.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// An ECR call failed; the message names the IAM action and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct EcrError(pub String);

/// An ECR API client for one region.
#[derive(Clone, Debug)]
pub struct Ecr {
    #[cfg(feature = "ecr")]
    client: aws_sdk_ecr::Client,
    #[cfg(feature = "ecr")]
    profile: Option<String>,
    region: String,
}

/// One image as DescribeImages reports it.
#[derive(Debug, Clone)]
pub struct EcrImage {
    pub digest: String,
    pub tags: Vec<String>,
    pub size: Option<u64>,
    pub pushed_at: Option<String>,
    pub last_pulled_at: Option<String>,
    pub manifest_media_type: Option<String>,
    pub artifact_media_type: Option<String>,
    pub subject: Option<String>,
    /// `imageStatus`; `None` when ECR does not say (older answers, moto).
    pub status: Option<ImageStatus>,
    /// `lastArchivedAt`, RFC 3339.
    pub archived_at: Option<String>,
    /// `imageScanFindingsSummary.findingSeverityCounts` (`CRITICAL` -> 2), when scanned.
    pub scan_findings: Option<std::collections::BTreeMap<String, u64>>,
}

/// ECR's storage state of an image (DescribeImages `imageStatus`, UpdateImageStorageClass
/// response: ACTIVE | ARCHIVED | ACTIVATING).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageStatus {
    Active,
    /// In the archive storage class: a pull answers 404 until it is restored (ECR User
    /// Guide, "Archiving an image").
    Archived,
    /// Being restored to STANDARD; still not pullable until ACTIVE.
    Activating,
}

impl ImageStatus {
    /// ECR's word for it.
    pub fn parse(s: &str) -> Option<ImageStatus> {
        match s {
            "ACTIVE" => Some(ImageStatus::Active),
            "ARCHIVED" => Some(ImageStatus::Archived),
            "ACTIVATING" => Some(ImageStatus::Activating),
            _ => None,
        }
    }

    /// Whether a pull fails because of it.
    pub fn unpullable(self) -> bool {
        self != ImageStatus::Active
    }

    pub fn word(self) -> &'static str {
        match self {
            ImageStatus::Active => "active",
            ImageStatus::Archived => "archived",
            ImageStatus::Activating => "restoring",
        }
    }
}

/// An image ECR holds but will not serve: archived, or still being restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpullable {
    pub account: String,
    pub region: String,
    pub repository: String,
    /// The tag or digest that was asked for.
    pub reference: String,
    pub digest: String,
    pub status: ImageStatus,
    /// When it was archived (`lastArchivedAt`), RFC 3339.
    pub since: Option<String>,
}

impl Unpullable {
    /// The AWS CLI v2 command that restores it (reference: `update-image-storage-class`).
    pub fn restore_command(&self) -> String {
        format!(
            "aws ecr update-image-storage-class --registry-id {} --region {} --repository-name {} --image-id imageDigest={} --target-storage-class STANDARD",
            self.account, self.region, self.repository, self.digest
        )
    }

    /// What it is, since when, and that pulls fail; [`Unpullable::message`] adds the fix.
    pub fn summary(&self) -> String {
        let what =
            format!("{}:{}", self.repository, self.reference).replace(":sha256:", "@sha256:");
        let since = self
            .since
            .as_deref()
            .map(|t| {
                let ago = crate::text::time_ago(t, crate::text::now_unix())
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                format!(" since {}{ago}", crate::text::display_time(t))
            })
            .unwrap_or_default();
        match self.status {
            ImageStatus::Activating => format!(
                "{what} is being restored from ECR's archive (ACTIVATING){since}: pulls fail until the restore is done"
            ),
            _ => format!("{what} is archived in ECR{since}: pulls fail until it is restored"),
        }
    }

    /// One sentence: what it is, since when, that pulls fail, and what to run.
    pub fn message(&self) -> String {
        match self.status {
            ImageStatus::Activating => format!("{}; try again in a few minutes", self.summary()),
            _ => format!("{}. Run: {}", self.summary(), self.restore_command()),
        }
    }
}

impl std::fmt::Display for Unpullable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// One repository as DescribeRepositories reports it.
#[derive(Debug, Clone)]
pub struct EcrRepository {
    pub name: String,
    pub uri: Option<String>,
    pub created_at: Option<String>,
    /// `imageTagMutability` as ECR words it: `MUTABLE`, `IMMUTABLE`, `*_WITH_EXCLUSION`.
    pub tag_mutability: Option<String>,
}

/// A pull-through cache rule (DescribePullThroughCacheRules): repositories named
/// `prefix/...` mirror `upstream`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullThroughRule {
    pub prefix: String,
    pub upstream: String,
}

/// What every ECR call says when this build has no AWS SDK.
pub const COMPILED_OUT: &str = "this archlens was built without Amazon ECR support (the `ecr` cargo feature): rebuild it with default features to read ECR registries";

#[cfg(not(feature = "ecr"))]
impl Ecr {
    /// Always fails: the AWS SDK is compiled out.
    pub async fn connect(_opts: &AwsOptions, _region: Option<&str>) -> Result<Ecr, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub async fn basic_credentials(&self, _account: &str) -> Result<(String, String), EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    pub async fn repositories(
        &self,
        _account: Option<&str>,
    ) -> Result<Vec<EcrRepository>, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    pub async fn images(
        &self,
        _account: Option<&str>,
        _repository: &str,
    ) -> Result<Vec<EcrImage>, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    pub async fn pull_through_rules(
        &self,
        _account: Option<&str>,
    ) -> Result<Vec<PullThroughRule>, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    pub async fn image(
        &self,
        _account: Option<&str>,
        _repository: &str,
        _reference: &str,
    ) -> Result<Option<EcrImage>, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }

    #[allow(clippy::type_complexity)]
    pub async fn manifests(
        &self,
        _account: Option<&str>,
        _repository: &str,
        _digests: &[String],
    ) -> Result<Vec<(String, Option<String>, Vec<u8>)>, EcrError> {
        Err(EcrError(COMPILED_OUT.into()))
    }
}

#[cfg(feature = "ecr")]
impl Ecr {
    /// Loads AWS configuration. `region` (from the host name, else `--region`/config) wins
    /// over the profile's region.
    pub async fn connect(opts: &AwsOptions, region: Option<&str>) -> Result<Ecr, EcrError> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).retry_config(
            // Throttling and 5xx are retried by the SDK with backoff and jitter, bounded here.
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(5)
                .with_max_backoff(std::time::Duration::from_secs(10)),
        );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = region.or(opts.region.as_deref()) {
            loader = loader.region(aws_config::Region::new(r.to_string()));
        }
        let conf = loader.load().await;
        let region = conf.region().map(|r| r.to_string()).ok_or_else(|| {
            EcrError(
                "no AWS region: pass --region, set AWS_REGION, or set aws_region in the archlens config"
                    .into(),
            )
        })?;
        Ok(Ecr {
            client: aws_sdk_ecr::Client::new(&conf),
            profile: opts.profile.clone(),
            region,
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// GetAuthorizationToken, decoded into the user and password for `Authorization: Basic`.
    pub async fn basic_credentials(&self, account: &str) -> Result<(String, String), EcrError> {
        #[allow(deprecated)] // registryIds is deprecated but still picks the account's token
        let out = self
            .client
            .get_authorization_token()
            .registry_ids(account)
            .send()
            .await
            .map_err(|e| self.error("ecr:GetAuthorizationToken", account, e))?;
        let token = out
            .authorization_data()
            .iter()
            .find_map(|d| d.authorization_token())
            .ok_or_else(|| {
                EcrError(format!(
                    "ECR GetAuthorizationToken for account {account} returned no token"
                ))
            })?;
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                EcrError("ECR authorization token is not base64 of user:password".into())
            })?;
        let (user, pass) = decoded
            .split_once(':')
            .ok_or_else(|| EcrError("ECR authorization token is not user:password".into()))?;
        Ok((user.to_string(), pass.to_string()))
    }

    /// DescribeRepositories, all pages.
    pub async fn repositories(
        &self,
        account: Option<&str>,
    ) -> Result<Vec<EcrRepository>, EcrError> {
        let what = account.unwrap_or("the default registry");
        paged(|token| async move {
            let page = self
                .client
                .describe_repositories()
                .set_registry_id(account.map(str::to_string))
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.error("ecr:DescribeRepositories", what, e))?;
            let items = page
                .repositories()
                .iter()
                .filter_map(|r| {
                    Some(EcrRepository {
                        name: r.repository_name()?.to_string(),
                        uri: r.repository_uri().map(str::to_string),
                        created_at: r.created_at().and_then(fmt_time),
                        tag_mutability: r.image_tag_mutability().map(|m| m.as_str().to_string()),
                    })
                })
                .collect();
            Ok((items, page.next_token().map(str::to_string)))
        })
        .await
    }

    /// DescribePullThroughCacheRules, all pages.
    pub async fn pull_through_rules(
        &self,
        account: Option<&str>,
    ) -> Result<Vec<PullThroughRule>, EcrError> {
        let what = account.unwrap_or("the default registry");
        paged(|token| async move {
            let page = self
                .client
                .describe_pull_through_cache_rules()
                .set_registry_id(account.map(str::to_string))
                .max_results(1000)
                .set_next_token(token)
                .customize()
                // Optional to every listing: one try, so an endpoint without the call (or
                // a 5xx) costs no backoff before the repositories show.
                .config_override(
                    aws_sdk_ecr::config::Builder::default()
                        .retry_config(aws_config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
                .map_err(|e| self.error("ecr:DescribePullThroughCacheRules", what, e))?;
            let items = page
                .pull_through_cache_rules()
                .iter()
                .filter_map(|r| {
                    Some(PullThroughRule {
                        prefix: r.ecr_repository_prefix()?.to_string(),
                        upstream: r.upstream_registry_url()?.to_string(),
                    })
                })
                .collect();
            Ok((items, page.next_token().map(str::to_string)))
        })
        .await
    }

    /// DescribeImages of one repository with the `imageStatus` filter ANY: without it ECR
    /// returns only ACTIVE images, and archived ones must be listed too.
    fn describe_images(
        &self,
        account: Option<&str>,
        repository: &str,
    ) -> aws_sdk_ecr::operation::describe_images::builders::DescribeImagesFluentBuilder {
        self.client
            .describe_images()
            .set_registry_id(account.map(str::to_string))
            .repository_name(repository)
            .filter(
                DescribeImagesFilter::builder()
                    .image_status(ImageStatusFilter::Any)
                    .build(),
            )
    }

    /// DescribeImages, all pages, archived images included.
    pub async fn images(
        &self,
        account: Option<&str>,
        repository: &str,
    ) -> Result<Vec<EcrImage>, EcrError> {
        paged(|token| async move {
            let page = self
                .describe_images(account, repository)
                .max_results(1000)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.error("ecr:DescribeImages", repository, e))?;
            let items = page.image_details().iter().filter_map(ecr_image).collect();
            Ok((items, page.next_token().map(str::to_string)))
        })
        .await
    }

    /// The image a tag or digest names, as DescribeImages reports it (archived included):
    /// one call naming it in `imageIds`; only when ECR refuses that call is the repository
    /// listed to find it. `None` when ECR has no such image.
    pub async fn image(
        &self,
        account: Option<&str>,
        repository: &str,
        reference: &str,
    ) -> Result<Option<EcrImage>, EcrError> {
        let id = if reference.contains(':') {
            ImageIdentifier::builder().image_digest(reference).build()
        } else {
            ImageIdentifier::builder().image_tag(reference).build()
        };
        let asked = self
            .describe_images(account, repository)
            .image_ids(id)
            .send()
            .await;
        match asked {
            Ok(page) => Ok(page.image_details().iter().find_map(ecr_image)),
            Err(e) if e.code() == Some("ImageNotFoundException") => Ok(None),
            Err(_) => {
                let all = self.images(account, repository).await?;
                Ok(all
                    .into_iter()
                    .find(|i| i.digest == reference || i.tags.iter().any(|t| t == reference)))
            }
        }
    }

    /// BatchGetImage in batches of 100 (the API's limit), accepting all manifest types so
    /// ECR returns each manifest as pushed. Returns (digest, media type, manifest bytes);
    /// digests ECR could not return are skipped.
    pub async fn manifests(
        &self,
        account: Option<&str>,
        repository: &str,
        digests: &[String],
    ) -> Result<Vec<(String, Option<String>, Vec<u8>)>, EcrError> {
        let mut out = Vec::new();
        for batch in digests.chunks(100) {
            let ids = batch
                .iter()
                .map(|d| ImageIdentifier::builder().image_digest(d).build())
                .collect();
            let res = self
                .client
                .batch_get_image()
                .set_registry_id(account.map(str::to_string))
                .repository_name(repository)
                .set_image_ids(Some(ids))
                .set_accepted_media_types(Some(
                    media::ALL_MANIFESTS.iter().map(|m| m.to_string()).collect(),
                ))
                .send()
                .await
                .map_err(|e| self.error("ecr:BatchGetImage", repository, e))?;
            for img in res.images() {
                let digest = img.image_id().and_then(|i| i.image_digest());
                if let (Some(d), Some(m)) = (digest, img.image_manifest()) {
                    out.push((
                        d.to_string(),
                        img.image_manifest_media_type().map(str::to_string),
                        m.as_bytes().to_vec(),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// An SDK error as a message naming the IAM action, the resource and what to do.
    fn error<E, R>(&self, action: &str, resource: &str, e: SdkError<E, R>) -> EcrError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let profile = self
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "default".into());
        let code = e.code().unwrap_or_default().to_string();
        let detail = e.message().unwrap_or_default().to_string();
        let context = error_chain(&e);
        EcrError(explain(
            action,
            resource,
            &self.region,
            &profile,
            &code,
            &detail,
            &context,
        ))
    }
}

/// The Display text of an error and each of its causes, one line, without repeats. Not the
/// SDK's `DisplayErrorContext`: that appends the Debug structure.
#[cfg(feature = "ecr")]
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(feature = "ecr")]
fn fmt_time(t: &DateTime) -> Option<String> {
    t.fmt(DateTimeFormat::DateTime).ok()
}

/// Every page of a paged ECR call: `page(token)` sends one request and returns its items
/// and the next token; pages are asked until ECR gives no (or an empty) token.
#[cfg(feature = "ecr")]
async fn paged<T, F, Fut>(mut page: F) -> Result<Vec<T>, EcrError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), EcrError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token.take()).await?;
        out.extend(items);
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// One ImageDetail as archlens keeps it; `None` without a digest.
#[cfg(feature = "ecr")]
fn ecr_image(d: &aws_sdk_ecr::types::ImageDetail) -> Option<EcrImage> {
    Some(EcrImage {
        digest: d.image_digest()?.to_string(),
        tags: d.image_tags().to_vec(),
        size: d.image_size_in_bytes().and_then(|s| u64::try_from(s).ok()),
        pushed_at: d.image_pushed_at().and_then(fmt_time),
        last_pulled_at: d.last_recorded_pull_time().and_then(fmt_time),
        manifest_media_type: d.image_manifest_media_type().map(str::to_string),
        artifact_media_type: d.artifact_media_type().map(str::to_string),
        subject: d.subject_manifest_digest().map(str::to_string),
        status: d
            .image_status()
            .and_then(|s| ImageStatus::parse(s.as_str())),
        archived_at: d.last_archived_at().and_then(fmt_time),
        scan_findings: d
            .image_scan_findings_summary()
            .and_then(|f| f.finding_severity_counts())
            .map(|counts| {
                counts
                    .iter()
                    .map(|(k, n)| (k.as_str().to_string(), u64::try_from(*n).unwrap_or(0)))
                    .collect()
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ecr_hosts() {
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(EcrHost {
                account: "123456789012".into(),
                region: "eu-west-1".into()
            })
        );
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com:443")
                .map(|h| h.region),
            Some("us-gov-west-1".into())
        );
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443"),
            Some(EcrHost {
                account: "123456789012".into(),
                region: "cn-north-1".into()
            })
        );
        for no in [
            "ghcr.io",
            "12345.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example",
            "public.ecr.aws",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.cn",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn.evil.example",
        ] {
            assert!(parse_ecr_host(no).is_none(), "{no}");
        }
    }

    #[test]
    fn registry_hosts_read_back_in_every_partition() {
        assert_eq!(
            registry_host("123456789012", "cn-northwest-1"),
            "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"
        );
        for region in ["eu-west-1", "cn-north-1", "us-gov-west-1"] {
            let host = registry_host("123456789012", region);
            assert_eq!(
                parse_ecr_host(&host),
                Some(EcrHost {
                    account: "123456789012".into(),
                    region: region.into()
                }),
                "{host}"
            );
        }
    }
}
