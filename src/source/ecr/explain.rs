//! What a failed ECR call says to people: the IAM action, the resource and the way out,
//! from the service's code and the error chain. No SDK types here (see `super`).

/// The endpoint the SDK was pointed at, if one was (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL`).
fn endpoint_override() -> Option<String> {
    ["AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|k| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (k, v))
        })
        .map(|(k, v)| format!("{v} (from {k})"))
}

/// The message for a failed call: `code`/`detail` from the service, `context` the whole
/// error chain (credential-provider failures only show up there).
#[cfg_attr(not(feature = "ecr"), allow(dead_code))]
pub(super) fn explain(
    action: &str,
    resource: &str,
    region: &str,
    profile: &str,
    code: &str,
    detail: &str,
    context: &str,
) -> String {
    let lower = context.to_ascii_lowercase();
    if code == "AccessDeniedException" || lower.contains("not authorized") {
        format!(
            "ECR denied {action} on {resource} (region {region}): {detail}. Grant {action} to the caller (the managed policy AmazonEC2ContainerRegistryReadOnly covers every call archlens makes)"
        )
    } else if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        format!(
            "the AWS SSO session for profile {profile} has expired or is missing: run `aws sso login --profile {profile}` and try again"
        )
    } else if lower.contains("no credentials")
        || lower.contains("credentialsnotloaded")
        || lower.contains("failed to load credentials")
    {
        format!(
            "no AWS credentials for {action}: set AWS_PROFILE or pass --profile, run `aws configure`, or `aws sso login --profile {profile}`"
        )
    } else if lower.contains("invalid region") || lower.contains("valid partition") {
        format!(
            "{region} is not an AWS region: pass --region (or set AWS_REGION) to one such as eu-west-1"
        )
    } else if let Some(why) = unreachable(&lower) {
        match endpoint_override() {
            Some(ep) => format!(
                "cannot reach the ECR endpoint {ep} for {action}: {why}. Check that address and that the endpoint is running"
            ),
            None if why.contains("resolve") => format!(
                "cannot reach ECR in region {region} for {action}: {why}. Check that {region} is a real AWS region (--region, AWS_REGION or the profile's region) and the network or proxy (HTTPS_PROXY)"
            ),
            None => format!(
                "cannot reach ECR in region {region} for {action}: {why}. Check the network, any proxy (HTTPS_PROXY) or firewall, and try again"
            ),
        }
    } else if code == "RepositoryNotFoundException" {
        format!(
            "ECR repository {resource} does not exist in region {region}: check the name and region (`archlens ls` lists repositories)"
        )
    } else if code == "ThrottlingException" {
        format!("ECR throttled {action} on {resource} even after retries: try again in a minute")
    } else if code == "ExpiredTokenException" || code == "UnrecognizedClientException" {
        format!(
            "AWS rejected the credentials for {action} ({code}): refresh them (`aws sso login --profile {profile}`, or new keys) and try again"
        )
    } else if !code.is_empty() {
        format!("ECR {action} on {resource} failed: {code}: {detail}")
    } else {
        format!("ECR {action} on {resource} failed: {}", redact(context))
    }
}

/// Why an endpoint could not be reached, from the error chain, if that was the failure.
fn unreachable(lower: &str) -> Option<&'static str> {
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        Some("its host name does not resolve")
    } else if lower.contains("connection refused") {
        Some("the connection was refused")
    } else if lower.contains("timed out") || lower.contains("timeout") {
        Some("it did not answer in time")
    } else if lower.contains("connection reset") || lower.contains("connection closed") {
        Some("the connection was closed")
    } else if lower.contains("certificate") || lower.contains("tls") {
        Some("the TLS connection failed (a proxy or certificate this machine does not trust)")
    } else if lower.contains("dispatch failure") || lower.contains("io error") {
        Some("the request could not be sent")
    } else {
        None
    }
}

/// Drops anything that looks like a credential from SDK error text before it is shown.
fn redact(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let lw = w.to_ascii_lowercase();
            if lw.contains("signature=") || lw.contains("credential=") || lw.contains("token=") {
                "[redacted]"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_action_and_the_fix() {
        let m = explain(
            "ecr:BatchGetImage",
            "team/app",
            "eu-west-1",
            "dev",
            "AccessDeniedException",
            "User: arn:aws:iam::1:user/x is not authorized",
            "",
        );
        assert!(
            m.starts_with("ECR denied ecr:BatchGetImage on team/app (region eu-west-1)"),
            "{m}"
        );
        // The text aws-config's SSO token provider gives for an expired session.
        let m = explain(
            "ecr:DescribeImages",
            "team/app",
            "eu-west-1",
            "dev",
            "",
            "",
            "dispatch failure: an error occurred while loading credentials: the SSO token has expired and cannot be refreshed",
        );
        assert!(m.contains("aws sso login --profile dev"), "{m}");
        let m = explain(
            "a",
            "r",
            "x",
            "p",
            "",
            "",
            "failed: X-Amz-Signature=abc token=xyz",
        );
        assert!(!m.contains("abc") && !m.contains("xyz"), "{m}");
    }

    #[test]
    fn unreachable_endpoints_and_regions_in_one_sentence() {
        // The chain aws-sdk gives for a DNS failure (the Debug tail is never passed in).
        let m = explain(
            "ecr:DescribeRepositories",
            "the default registry",
            "xx-nowhere-1",
            "default",
            "",
            "",
            "dispatch failure: io error: client error (Connect): dns error: failed to lookup address information: Name or service not known",
        );
        if std::env::var_os("AWS_ENDPOINT_URL_ECR").is_none()
            && std::env::var_os("AWS_ENDPOINT_URL").is_none()
        {
            assert!(
                m.starts_with("cannot reach ECR in region xx-nowhere-1 for ecr:DescribeRepositories: its host name does not resolve. Check that xx-nowhere-1 is a real AWS region"),
                "{m}"
            );
        }
        assert!(!m.contains('{') && !m.contains('\n'), "{m}");
        let m = explain(
            "a",
            "r",
            "not a region",
            "p",
            "",
            "",
            "invalid region: not a region",
        );
        assert!(m.starts_with("not a region is not an AWS region"), "{m}");
    }
}
