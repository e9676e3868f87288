//! AWS names people pick from when switching the explorer's ECR source: the profiles of the
//! AWS config and credentials files, and the regions that have ECR. No SDK here.

/// The AWS profiles people can switch to: `[profile NAME]` and `[default]` of the AWS config
/// file (`AWS_CONFIG_FILE`, else `~/.aws/config`) and `[NAME]` of the credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), sorted, each once.
pub fn profiles() -> Vec<String> {
    let file = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| dirs::home_dir().map(|h| h.join(".aws").join(name)))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    };
    let mut out = profile_names(&file("AWS_CONFIG_FILE", "config"), true);
    out.extend(profile_names(
        &file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        false,
    ));
    out.sort();
    out.dedup();
    out
}

/// Section names of an AWS config (`[profile NAME]`, `[default]`; `sso-session` and
/// `services` sections are not profiles) or credentials file (`[NAME]`).
fn profile_names(text: &str, config: bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .filter_map(|s| {
            let s = s.trim();
            match (config, s.strip_prefix("profile ")) {
                (true, Some(name)) => Some(name.trim().to_string()),
                (true, None) => (s == "default").then(|| s.to_string()),
                (false, _) => Some(s.to_string()),
            }
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// AWS regions that have ECR, for completing `:region` (the commercial partition's public
/// regions as of late 2026; any other name is accepted and tried).
pub fn regions() -> Vec<String> {
    [
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ]
    .iter()
    .map(|r| r.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_from_config_and_credentials_sections() {
        let config = "[default]\nregion = eu-west-1\n[profile dev]\n[sso-session corp]\n[services x]\n[profile  prod ]\n";
        assert_eq!(profile_names(config, true), ["default", "dev", "prod"]);
        assert_eq!(
            profile_names("[ci]\nkey=1\n[default]\n", false),
            ["ci", "default"]
        );
        assert!(regions().iter().any(|r| r == "eu-west-1"));
    }
}
