//! docs/deploy/ holds what people apply to a cluster or an AWS account untested here: each file is
//! checked against the real schemas (scripts/validate_deploy.py), and the shard split against the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv scripts/test.sh makes with kubernetes-validate, parliament and botocore.
fn python() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let py = target.join("deploy-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/test.sh once, or by hand: python3 -m venv target/deploy-venv && \
         target/deploy-venv/bin/pip install 'kubernetes-validate>=1.30' 'parliament>=1.6' 'botocore>=1.34'",
        py.display()
    );
    py
}

fn validate(extra: &[&str]) -> (Output, String) {
    let out = Command::new(python())
        .arg(root().join("scripts/validate_deploy.py"))
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

#[test]
fn the_deploy_files_match_the_kubernetes_batch_and_iam_schemas_and_each_other() {
    let (out, text) = validate(&["--archlens", env!("CARGO_BIN_EXE_archlens")]);
    assert!(out.status.success(), "{text}");
    for want in [
        "audit-job.yaml: Job/archlens-audit matches the Kubernetes 1.29.0 schema (strict)",
        "ServiceAccount/archlens-audit matches",
        "job-definition.json is valid RegisterJobDefinition input",
        "submit-merge.json is valid SubmitJob input",
        "audit-job.yaml: 8 indexed completions, --shard auto/8",
        "submit-merge.json: depends on the array job and merges exactly its 8 shard files",
        "ecr-read-policy.json: parliament finds nothing",
        "trust-irsa.json trusts system:serviceaccount:archlens:archlens-audit",
        "shard arithmetic: api->1",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_broken_copy_fails_naming_each_problem() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("deploy");
    copy_dir(&root().join("docs/deploy"), &d);
    // A typo Kubernetes would refuse, a shard count the Job does not run, a size Batch refuses,
    // a dependency that waits for one child only, and a policy that writes.
    edit(
        &d.join("kubernetes/merge-job.yaml"),
        "backoffLimit:",
        "backofLimit:",
    );
    edit(
        &d.join("kubernetes/audit-job.yaml"),
        "completions: 8",
        "completions: 4",
    );
    edit(
        &d.join("batch/submit-audit.json"),
        r#""size": 8"#,
        r#""size": "8""#,
    );
    edit(
        &d.join("batch/submit-merge.json"),
        r#"{"jobId": "00000000-0000-0000-0000-000000000000"}"#,
        r#"{"jobId": "00000000-0000-0000-0000-000000000000", "type": "N_TO_N"}"#,
    );
    edit(
        &d.join("iam/ecr-read-policy.json"),
        r#""ecr:ListImages""#,
        r#""ecr:ListImages", "ecr:PutImage""#,
    );
    let (out, text) = validate(&["--deploy", d.to_str().unwrap()]);
    assert!(!out.status.success(), "{text}");
    for want in [
        "Job/archlens-audit-merge against Kubernetes 1.29.0",
        "--shard ['auto/8'] does not match completions 4",
        "submit-audit.json is not valid SubmitJob input",
        "dependsOn must be one dependency on the array job, with no type",
        "ecr-read-policy.json grants more than reading: ['ecr:PutImage']",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}
