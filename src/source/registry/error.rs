//! The one error type of the registry client, worded for the person running archlens, and
//! the operation a request is for (which names it and picks the IAM action ECR checks).

use crate::oci::Digest;
use crate::source::ecr;

/// What went wrong talking to a registry, worded for the person running archlens.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{registry}: {what}: access denied (HTTP {status}). {advice}")]
    Denied {
        registry: String,
        what: String,
        status: u16,
        advice: String,
    },
    #[error("{what} was not found on {registry}{hint}")]
    NotFound {
        registry: String,
        what: String,
        hint: String,
    },
    #[error(
        "{registry}: {what}: {detail}. Check the network and that the registry is reachable, then try again"
    )]
    Network {
        registry: String,
        what: String,
        detail: String,
    },
    /// Below HTTP: refused, name not found, TLS, timeout, reset; `reason` is one sentence.
    #[error("{registry}: {what}: {reason}")]
    Unreachable {
        registry: String,
        what: String,
        reason: String,
    },
    #[error(
        "{registry}: {what}: no answer within {limit} ({which}). The registry accepted the connection but did not answer: check that it is up and not overloaded, or allow more time with --timeout"
    )]
    TimedOut {
        registry: String,
        what: String,
        limit: String,
        which: &'static str,
    },
    #[error(
        "{registry}: {what}: gave up after {attempts} attempts in {elapsed}, last: {last}. The registry is overloaded or failing; try again later"
    )]
    GaveUp {
        registry: String,
        what: String,
        attempts: u32,
        elapsed: String,
        last: String,
    },
    #[error(
        "{registry}: {what}: {host}, where {registry} redirected the download, refused it (HTTP {status}). The registry's credentials were accepted; the storage host's link may have expired or this machine's clock may be off: try again, and check the clock"
    )]
    RedirectRefused {
        registry: String,
        what: String,
        host: String,
        status: u16,
    },
    #[error("{registry}: {what}: unexpected HTTP {status}{detail}")]
    Status {
        registry: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error(
        "{registry} refuses to list its repositories (HTTP {status}): many registries (Docker Hub, GHCR) do not offer /v2/_catalog. Name a repository instead: archlens ls {registry}/REPOSITORY"
    )]
    CatalogRefused { registry: String, status: u16 },
    #[error(
        "{registry}: {what}: digest mismatch: expected {expected}, got {actual}. The blob is corrupt; fetch or build the image again"
    )]
    DigestMismatch {
        registry: String,
        what: String,
        expected: Digest,
        actual: String,
    },
    #[error(transparent)]
    Ecr(#[from] ecr::EcrError),
    /// ECR holds the image but will not serve it until it is restored.
    #[error("{0}")]
    Unpullable(Box<ecr::Unpullable>),
    #[error("{0}")]
    Invalid(String),
}

/// What a request is for: names it in messages and picks the IAM action ECR checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Manifest,
    Blob,
    Tags,
    Catalog,
}

impl Op {
    pub(super) fn ecr_action(self) -> &'static str {
        match self {
            Op::Manifest => "ecr:BatchGetImage",
            Op::Blob => "ecr:GetDownloadUrlForLayer",
            Op::Tags => "ecr:ListImages",
            Op::Catalog => "ecr:DescribeRepositories",
        }
    }
}
