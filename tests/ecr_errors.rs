//! AWS failures as the CLI words them: no credentials (an empty environment), an endpoint
//! that refuses connections, and a repository moto says does not exist. One sentence each,
//! with the command or setting to fix it, never the SDK's Debug structure.

mod support_registry;

use std::process::Command;

use support_registry::{Moto, free_port};

const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// Runs archlens with nothing of this machine's AWS or Docker setup, plus `env`.
fn archlens(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("archlens.toml");
    std::fs::write(&config, "").expect("write config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_archlens"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("ARCHLENS_CONFIG", &config)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("aws-credentials"),
        )
        .env("AWS_REGION", "us-east-1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run archlens");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_worded_line(err: &str) {
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for raw in ["DispatchFailure", "ConnectorError", "{", "\\u{a}", "Some("] {
        assert!(!err.contains(raw), "{raw} in {err}");
    }
}

#[test]
fn aws_failures_are_one_sentence_with_the_fix() {
    // No credentials anywhere.
    let (code, err) = archlens(&["--no-cache", "ls", REGISTRY], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err.matches("no AWS credentials for ecr:").count(),
        1,
        "{err}"
    );
    assert!(err.contains("aws configure"), "{err}");
    assert_one_worded_line(&err);

    // Credentials, but the endpoint refuses connections.
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let keys = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let mut env = keys.to_vec();
    env.push(("AWS_ENDPOINT_URL_ECR", &endpoint));
    let (code, err) = archlens(&["--no-cache", "ls", REGISTRY], &env);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "cannot reach the ECR endpoint {endpoint} (from AWS_ENDPOINT_URL_ECR) for ecr:DescribeRepositories: the connection was refused"
        )),
        "{err}"
    );
    assert_one_worded_line(&err);

    // The real ECR API (moto): a repository that does not exist.
    let moto = Moto::start();
    let mut env = keys.to_vec();
    env.push(("AWS_ENDPOINT_URL_ECR", &moto.endpoint));
    let (code, err) = archlens(&["--no-cache", "ls", &format!("{REGISTRY}/nope")], &env);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err.matches("ECR repository nope does not exist in region us-east-1")
            .count(),
        1,
        "{err}"
    );
    assert_one_worded_line(&err);
}
