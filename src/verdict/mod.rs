//! Verdicts: will an image run on a target, and if not, which file breaks it, what the
//! runtime will print, and how to fix the build.
//!
//! [`Assessment`] answers the whole question for one reference and one target: what the
//! runtime pulls (from manifests alone) and, once that image is read, what its files do.

mod assessment;
pub mod explain;
mod finding;
mod hosts;
pub mod natives;
mod rules;
pub mod target;

use serde::Serialize;

use crate::oci::{Digest, Platform};

pub use assessment::{Assessment, Basis, Decision, EntryAssessment, Read, Summary, pulled_entry};
pub use finding::{Code, Finding, Severity, Verdict};
pub use rules::evaluate_image;
pub use target::{Runtime, Target};

/// The image a target would run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    pub digest: Digest,
    /// The platform the index declares for it, or for a single image the config's.
    pub platform: Option<Platform>,
}

/// The verdict for one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetResult {
    pub target: String,
    pub platform: Platform,
    pub verdict: Verdict,
    pub image: Option<Chosen>,
    pub predicted_error: Option<String>,
    pub findings: Vec<Finding>,
}

impl TargetResult {
    /// Builds a result from findings: `fail` on any error, `warn` on any warning.
    pub fn from_findings(
        target: &Target,
        image: Option<Chosen>,
        mut findings: Vec<Finding>,
    ) -> TargetResult {
        // Most severe first, keeping the rules' order within a severity.
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let verdict = match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => Verdict::Fail,
            Some(Severity::Warning) => Verdict::Warn,
            _ => Verdict::Pass,
        };
        let predicted_error = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .find_map(|f| f.predicted_error.clone());
        TargetResult {
            target: target.name.clone(),
            platform: target.platform.clone(),
            verdict,
            image,
            predicted_error,
            findings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Entry, Root};
    use crate::oci::manifest::EntryKind;

    fn entry(n: u8, platform: Option<&str>, kind: EntryKind) -> Entry {
        Entry {
            digest: Digest::sha256_of(&[n]),
            media_type: crate::oci::media::OCI_MANIFEST.into(),
            platform: platform.map(|p| p.parse().unwrap()),
            artifact: (kind == EntryKind::Attestation)
                .then_some(crate::oci::manifest::Artifact::BuildkitAttestation),
            kind,
            subject: None,
            size: 100,
        }
    }

    fn index(entries: Vec<Entry>) -> Root {
        Root {
            digest: Digest::sha256_of(b"index"),
            media_type: crate::oci::media::OCI_INDEX.into(),
            is_index: true,
            entries,
        }
    }

    fn t(name: &str) -> Target {
        target::lookup(name).unwrap()
    }

    fn assess(reference: &str, root: &Root, target: &str) -> Assessment {
        Assessment::new(reference, root, None, &t(target), &|_| Read::NotYet)
    }

    #[test]
    fn app_runner_picks_the_amd64_entry_and_refuses_an_arm64_only_index() {
        let both = index(vec![
            entry(1, Some("linux/arm64"), EntryKind::Image),
            entry(2, Some("linux/amd64"), EntryKind::Image),
            entry(3, Some("unknown/unknown"), EntryKind::Attestation),
        ]);
        let a = assess("x", &both, "apprunner");
        assert_eq!(
            a.decision,
            Decision::Pulls {
                digest: Digest::sha256_of(&[2]),
                platform: "linux/amd64".parse().unwrap(),
                fallback: false,
                if_host_level: false,
            }
        );
        // The arm64 entry is never pulled by App Runner: judged on its own platform, not failed.
        let arm = a.entry(&Digest::sha256_of(&[1])).unwrap();
        assert_eq!(arm.basis, Basis::OwnPlatform);
        assert_eq!(a.entries.len(), 2, "attestations are not runnable entries");
        // Unread: a hint from the label, not a settled verdict.
        assert!(a.pending());
        let s = a.summary();
        assert_eq!(
            (s.verdict, s.settled, s.note.as_str()),
            (Verdict::Pass, false, "label ok")
        );

        let arm_only = index(vec![entry(1, Some("linux/arm64"), EntryKind::Image)]);
        let r = assess("example.com/app:1", &arm_only, "apprunner");
        assert_eq!(r.decision, Decision::NoMatch);
        let s = r.summary();
        assert_eq!(
            (s.verdict, s.settled, s.note.as_str()),
            (Verdict::Fail, true, "no amd64")
        );
        let r = r.result.unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, Code::NoMatchingPlatform);
        assert_eq!(
            r.predicted_error.as_deref(),
            Some(
                "CannotPullContainerError: ... image Manifest does not contain descriptor matching platform 'linux/amd64'"
            )
        );
        assert!(
            r.findings[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("--platform linux/amd64,linux/arm64 -t example.com/app:1")
        );
    }

    #[test]
    fn containerd_names_arm64_v8_in_its_error() {
        let amd_only = index(vec![entry(1, Some("linux/amd64"), EntryKind::Image)]);
        let r = assess("x", &amd_only, "graviton").result.unwrap();
        assert_eq!(
            r.predicted_error.as_deref(),
            Some("no matching manifest for linux/arm64/v8 in the manifest list entries")
        );
    }

    #[test]
    fn a_refused_index_names_the_soci_index_and_signature_it_holds() {
        use crate::oci::manifest::Artifact;
        let mut soci = entry(2, Some("linux/amd64"), EntryKind::Other);
        soci.artifact = Some(Artifact::SociIndex);
        let mut sig = entry(3, None, EntryKind::Other);
        sig.artifact = Some(Artifact::Signature);
        let root = index(vec![
            entry(1, Some("linux/amd64"), EntryKind::Image),
            soci,
            sig,
        ]);
        let a = assess("fn:1", &root, "lambda");
        let r = a.result.as_ref().unwrap();
        let msg = &r.findings[0].message;
        assert!(
            msg.contains(
                "lists a SOCI index that `soci convert` appended and signatures (cosign/Notation)"
            ),
            "{msg}"
        );
        assert!(!msg.contains("BuildKit"), "{msg}");
        let paras = explain::explain(&explain::Focus {
            label: "fn:1",
            root: &root,
            config_platform: None,
            assessment: &a,
            entry: None,
            finding: None,
        });
        assert!(
            paras[0].text.contains("plus a SOCI index"),
            "{}",
            paras[0].text
        );
        assert!(
            paras[1]
                .text
                .contains("`soci convert` appends a SOCI index"),
            "{}",
            paras[1].text
        );
    }

    #[test]
    fn lambda_rejects_any_index_even_with_the_right_platform() {
        let root = index(vec![
            entry(1, Some("linux/amd64"), EntryKind::Image),
            entry(2, Some("unknown/unknown"), EntryKind::Attestation),
        ]);
        let a = assess("acct.dkr.ecr.eu-west-1.amazonaws.com/fn:1", &root, "lambda");
        assert_eq!(
            a.decision,
            Decision::Refused {
                would_match: Some(Digest::sha256_of(&[1]))
            }
        );
        assert_eq!(
            a.entry(&Digest::sha256_of(&[1])).unwrap().basis,
            Basis::Alone
        );
        assert!(a.pulled().is_none());
        let r = a.result.unwrap();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].code, Code::IndexNotSupported);
        assert!(r.findings[0].message.contains("attestation"));
        let fix = r.findings[0].fix.as_deref().unwrap();
        assert!(
            fix.contains("--platform linux/amd64 --provenance=false --sbom=false"),
            "{fix}"
        );
        // Lambda runs nothing from an index: no image is named as the one it runs.
        assert_eq!(r.image, None);
    }

    #[test]
    fn arm64_host_falls_back_to_arm_v7_with_a_warning() {
        let root = index(vec![entry(1, Some("linux/arm/v7"), EntryKind::Image)]);
        let a = assess("x", &root, "graviton");
        assert!(matches!(a.decision, Decision::Pulls { fallback: true, .. }));
        assert_eq!(a.summary().note, "fallback");
    }

    #[test]
    fn a_single_image_is_run_whatever_its_label() {
        let root = Root {
            digest: Digest::sha256_of(b"m"),
            media_type: crate::oci::media::OCI_MANIFEST.into(),
            is_index: false,
            entries: vec![entry(1, None, EntryKind::Image)],
        };
        for target in ["fargate-arm64", "lambda"] {
            let a = assess("x", &root, target);
            assert_eq!(
                a.decision,
                Decision::Single {
                    digest: Digest::sha256_of(&[1])
                }
            );
            assert_eq!(a.entries[0].basis, Basis::Pulled);
        }
        let amd: Platform = "linux/amd64".parse().unwrap();
        let a = Assessment::new("x", &root, Some(&amd), &t("graviton"), &|_| Read::NotYet);
        let s = a.summary();
        assert_eq!(
            (s.verdict, s.settled, s.note.as_str()),
            (Verdict::Fail, false, "labelled amd64")
        );
        let a = Assessment::new("x", &root, None, &t("graviton"), &|_| {
            Read::Failed("truncated layer")
        });
        let r = a.result.unwrap();
        assert_eq!(r.findings[0].code, Code::ImageUnreadable);
        assert!(r.findings[0].message.contains("truncated layer"));
    }

    #[test]
    fn an_amd64_v3_only_index_is_pulled_with_a_warning_where_aws_names_no_level() {
        let root = index(vec![
            entry(1, Some("linux/amd64/v3"), EntryKind::Image),
            entry(2, Some("linux/arm64"), EntryKind::Image),
        ]);
        for name in ["apprunner", "fargate"] {
            let a = assess("x", &root, name);
            assert_eq!(
                a.decision,
                Decision::Pulls {
                    digest: Digest::sha256_of(&[1]),
                    platform: "linux/amd64/v3".parse().unwrap(),
                    fallback: false,
                    if_host_level: true,
                },
                "{name}"
            );
            let s = a.summary();
            assert_eq!((s.verdict, s.note.as_str()), (Verdict::Warn, "cpu level"));
            assert!(
                a.decision_text()
                    .contains("only on a host of x86-64-v3 whose runtime matches CPU levels"),
                "{}",
                a.decision_text()
            );
            // Once the files are known the warning says why: AWS does not document the CPUs.
            let a = Assessment::new("x", &root, None, &t(name), &|_| Read::Failed("gone"));
            let r = a.result.unwrap();
            let w = r
                .findings
                .iter()
                .find(|f| f.code == Code::CpuLevelUnsupported)
                .unwrap();
            assert_eq!(w.severity, Severity::Warning);
            assert!(w.message.contains("are not documented"), "{}", w.message);
            assert!(
                w.explanation.contains("containers-roadmap#1538"),
                "{}",
                w.explanation
            );
            assert!(
                w.explanation
                    .contains("descriptor matching platform 'linux/amd64'"),
                "{}",
                w.explanation
            );
        }
        // Lambda refuses the index, and would run the v3 entry if pushed alone.
        let a = assess("x", &root, "lambda");
        assert_eq!(
            a.decision,
            Decision::Refused {
                would_match: Some(Digest::sha256_of(&[1]))
            }
        );
    }

    #[test]
    fn the_badge_and_the_finding_name_the_same_level_whatever_the_index_order() {
        // v4 listed before v3: a v3 host would take v3, so both must say v3.
        let root = index(vec![
            entry(1, Some("linux/amd64/v4"), EntryKind::Image),
            entry(2, Some("linux/amd64/v3"), EntryKind::Image),
        ]);
        let a = assess("x", &root, "linux/amd64/v2");
        assert_eq!(a.decision, Decision::NoMatch);
        let f = &a.result.as_ref().unwrap().findings[0];
        assert!(f.message.contains("only linux/amd64/v3"), "{}", f.message);
        assert_eq!(a.summary().note, "only amd64/v3");
    }

    #[test]
    fn explicit_amd64_levels_keep_containerds_semantics() {
        let root = index(vec![entry(1, Some("linux/amd64/v3"), EntryKind::Image)]);
        let a = assess("x", &root, "linux/amd64/v2");
        assert_eq!(a.decision, Decision::NoMatch);
        let r = a.result.as_ref().unwrap();
        let f = &r.findings[0];
        assert_eq!(f.code, Code::NoMatchingPlatform);
        assert!(
            f.message.contains(
                "only linux/amd64/v3, which asks for x86-64-v3; linux/amd64/v2 guarantees x86-64-v2"
            ),
            "{}",
            f.message
        );
        assert_eq!(
            r.predicted_error.as_deref(),
            Some("no matching manifest for linux/amd64/v2 in the manifest list entries")
        );
        assert_eq!(a.summary().note, "only amd64/v3");
        for host in ["linux/amd64/v3", "linux/amd64/v4"] {
            let a = assess("x", &root, host);
            // A lower level of the host's own CPU runs everywhere the host does: no fallback.
            assert!(
                matches!(
                    a.decision,
                    Decision::Pulls {
                        fallback: false,
                        if_host_level: false,
                        ..
                    }
                ),
                "{host}: {:?}",
                a.decision
            );
            assert_eq!(a.summary().verdict, Verdict::Pass, "{host}");
        }
    }

    #[test]
    fn an_arm64_v9_only_index_is_refused_on_every_graviton_by_containerd() {
        let root = index(vec![entry(1, Some("linux/arm64/v9"), EntryKind::Image)]);
        let a = assess("x", &root, "graviton");
        assert_eq!(a.decision, Decision::NoMatch);
        let r = a.result.as_ref().unwrap();
        let f = &r.findings[0];
        assert!(
            f.message.contains(
                "only linux/arm64/v9, which asks for Armv9.0; graviton guarantees Armv8.0"
            ),
            "{}",
            f.message
        );
        assert!(
            f.explanation.contains("CPU architecture: 8"),
            "{}",
            f.explanation
        );
        assert!(
            f.explanation.contains("even on an Armv9 host"),
            "{}",
            f.explanation
        );
        assert_eq!(
            r.predicted_error.as_deref(),
            Some("no matching manifest for linux/arm64/v8 in the manifest list entries")
        );
        let paras = explain::explain(&explain::Focus {
            label: "x",
            root: &root,
            config_platform: None,
            assessment: &a,
            entry: None,
            finding: None,
        });
        assert!(
            paras[1].text.contains(
                "linux/arm64/v9 asks for Armv9.0, more than linux/arm64 hosts are matched with"
            ),
            "{}",
            paras[1].text
        );
        // Fargate's Graviton2/3 hosts are at least Armv8.2: a v9 entry runs on none of them.
        let a = assess("x", &root, "fargate-arm64");
        assert_eq!(a.decision, Decision::NoMatch);
        let msg = &a.result.as_ref().unwrap().findings[0].message;
        assert!(msg.contains("fargate-arm64 guarantees Armv8.2"), "{msg}");
        // An Armv8.2 entry: every Fargate arm64 host has the level; whether ECS matches
        // levels is not written, so it is a warning, not a no-match.
        let v82 = index(vec![entry(1, Some("linux/arm64/v8.2"), EntryKind::Image)]);
        let a = Assessment::new("x", &v82, None, &t("fargate-arm64"), &|_| {
            Read::Failed("gone")
        });
        assert!(matches!(
            a.decision,
            Decision::Pulls {
                if_host_level: true,
                ..
            }
        ));
        let w = a
            .result
            .as_ref()
            .unwrap()
            .findings
            .iter()
            .find(|f| f.code == Code::CpuLevelUnsupported)
            .unwrap();
        assert!(w.message.contains("hosts have Armv8.2"), "{}", w.message);
        // An explicit arm64/v9 host takes it, as containerd does.
        assert!(matches!(
            assess("x", &root, "linux/arm64/v9").decision,
            Decision::Pulls {
                fallback: false,
                if_host_level: false,
                ..
            }
        ));
    }

    #[test]
    fn an_arm_v7_fallback_on_graviton_says_it_fails_on_graviton4() {
        let root = index(vec![entry(1, Some("linux/arm/v7"), EntryKind::Image)]);
        let fallback = |target: &str| {
            let a = Assessment::new("x", &root, None, &t(target), &|_| Read::Failed("gone"));
            a.result
                .unwrap()
                .findings
                .into_iter()
                .find(|f| f.code == Code::PlatformFallback)
                .unwrap()
        };
        let f = fallback("graviton");
        assert!(
            f.message.contains("fails on Graviton4") && f.message.contains("exec format error"),
            "{}",
            f.message
        );
        assert!(
            f.explanation.contains("32bit Backward Compatibility"),
            "{}",
            f.explanation
        );
        // Fargate arm64 lands on Graviton2 or 3, which run 32-bit userspace.
        let f = fallback("fargate-arm64");
        assert!(!f.message.contains("Graviton4"), "{}", f.message);
    }
}
