//! Grouping the manifests of one repository into images: index children become platforms,
//! and attestations, SOCI indexes, signatures and other referrers attach to their subject.

use std::collections::BTreeMap;

use super::listing::{Found, ImageInfo, ImageKind, PlatformInfo, Related};
use super::read_config_platform;
use crate::oci::manifest::{self, Artifact, Document, EntryKind};
use crate::oci::{Digest, media};
use crate::source::ImageSource;
use crate::source::ecr::ImageStatus;

/// One manifest as found, before grouping.
#[derive(Debug, Clone, Default)]
pub(super) struct Raw {
    pub(super) digest: String,
    pub(super) tags: Vec<String>,
    pub(super) size: Option<u64>,
    pub(super) pushed_at: Option<String>,
    pub(super) last_pulled_at: Option<String>,
    pub(super) media_type: Option<String>,
    pub(super) artifact_media_type: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) manifest: Option<Vec<u8>>,
    /// ECR's `imageStatus` and `lastArchivedAt`.
    pub(super) status: Option<ImageStatus>,
    pub(super) archived_at: Option<String>,
    /// ECR's scan finding counts by severity.
    pub(super) scan_findings: Option<BTreeMap<String, u64>>,
}

/// One entry of an index.
struct Child {
    digest: String,
    platform: String,
    kind: EntryKind,
    /// The image an attestation or SOCI index describes.
    subject: Option<String>,
    artifact: Option<manifest::Artifact>,
}

/// What one manifest says about itself.
struct Parsed {
    kind: ImageKind,
    children: Vec<Child>,
    config: Option<(Digest, u64)>,
    layers_size: Option<u64>,
    subject: Option<String>,
    artifact_type: Option<String>,
}

fn parse(raw: &Raw) -> Option<Parsed> {
    let bytes = raw.manifest.as_ref()?;
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let subject = v
        .pointer("/subject/digest")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    let artifact_type = v
        .get("artifactType")
        .and_then(|a| a.as_str())
        .map(str::to_string);
    match manifest::parse_document(bytes, raw.media_type.as_deref(), &raw.digest).ok()? {
        Document::Index(i) => Some(Parsed {
            kind: ImageKind::Index,
            children: i
                .manifests()
                .iter()
                .map(|d| {
                    let (kind, subject) = manifest::entry_kind(d);
                    Child {
                        digest: d.digest().to_string(),
                        platform: manifest::descriptor_platform(d)
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "unknown".into()),
                        kind,
                        subject,
                        artifact: manifest::artifact(d),
                    }
                })
                .collect(),
            config: None,
            layers_size: None,
            subject,
            artifact_type,
        }),
        Document::Image(m) => {
            let config_mt = m.config().media_type().to_string();
            let is_image = config_mt == media::OCI_CONFIG || config_mt == media::DOCKER_CONFIG;
            let artifact_type = artifact_type.or_else(|| (!is_image).then_some(config_mt));
            Some(Parsed {
                kind: if is_image {
                    ImageKind::Image
                } else {
                    ImageKind::Artifact
                },
                children: Vec::new(),
                config: m
                    .config()
                    .digest()
                    .to_string()
                    .parse::<Digest>()
                    .ok()
                    .map(|d| (d, m.config().size())),
                layers_size: Some(
                    m.layers().iter().map(|l| l.size()).sum::<u64>() + m.config().size(),
                ),
                subject,
                artifact_type,
            })
        }
    }
}

/// Cosign's tag convention for signatures and attestations: `sha256-<hex>.sig|.att|.sbom`.
pub(super) fn cosign_subject(tag: &str) -> Option<(String, Artifact)> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = rest.split_once('.')?;
    let kind = match suffix {
        "sig" => Artifact::Signature,
        "att" => Artifact::Attestation,
        "sbom" => Artifact::Sbom,
        _ => return None,
    };
    let d = format!("sha256:{hex}").parse::<Digest>().ok()?;
    Some((d.to_string(), kind))
}

fn related_kind(artifact_type: Option<&str>) -> Artifact {
    Artifact::from_type(artifact_type)
}

fn related(digest: &str, artifact: Artifact, found: Found, subject: Option<String>) -> Related {
    Related {
        digest: digest.to_string(),
        kind: artifact.listing_kind().into(),
        artifact,
        found,
        subject,
        tags: Vec::new(),
    }
}

/// The top-level images of `raws`, newest push first. A single image's platform comes from
/// its config, read through `source` (the repository the manifests came from).
pub(super) fn group(raws: Vec<Raw>, source: &dyn ImageSource) -> Vec<ImageInfo> {
    let parsed: BTreeMap<String, Option<Parsed>> =
        raws.iter().map(|r| (r.digest.clone(), parse(r))).collect();
    // Every digest some index lists, and which index lists it.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (d, p) in &parsed {
        if let Some(p) = p {
            for c in &p.children {
                owner.insert(c.digest.clone(), d.clone());
            }
        }
    }
    let subject_of = |r: &Raw| -> Option<(String, Artifact, Found)> {
        if let Some((s, kind)) = r.tags.iter().find_map(|t| cosign_subject(t)) {
            return Some((s, kind, Found::Tag));
        }
        let p = parsed.get(&r.digest).and_then(|p| p.as_ref());
        let s = r
            .subject
            .clone()
            .or_else(|| p.and_then(|p| p.subject.clone()))?;
        let at = r
            .artifact_media_type
            .clone()
            .or_else(|| p.and_then(|p| p.artifact_type.clone()));
        Some((s, related_kind(at.as_deref()), Found::Subject))
    };
    let mut attached: BTreeMap<String, Vec<Related>> = BTreeMap::new();
    let mut top: Vec<&Raw> = Vec::new();
    for r in &raws {
        if let Some((subject, kind, found)) = subject_of(r) {
            // Attach to the top-level image: the subject itself, or the index owning it.
            let target = owner.get(&subject).cloned().unwrap_or(subject);
            let mut rel = related(&r.digest, kind, found, None);
            rel.tags = r.tags.clone();
            attached.entry(target).or_default().push(rel);
        } else if !owner.contains_key(&r.digest) || !r.tags.is_empty() {
            top.push(r);
        }
    }
    let mut out = Vec::new();
    for r in top {
        let p = parsed.get(&r.digest).and_then(|p| p.as_ref());
        let mut info = ImageInfo {
            tags: {
                let mut t = r.tags.clone();
                t.sort();
                t
            },
            digest: r.digest.clone(),
            kind: p.map_or(ImageKind::Artifact, |p| p.kind),
            media_type: r.media_type.clone(),
            size: r.size.or(p.and_then(|p| p.layers_size)),
            pushed_at: r.pushed_at.clone(),
            last_pulled_at: r.last_pulled_at.clone(),
            platforms: Vec::new(),
            related: attached.remove(&r.digest).unwrap_or_default(),
            image_status: r.status,
            last_archived_at: r.archived_at.clone(),
            scan_findings: r.scan_findings.clone(),
        };
        // An archived image's blobs answer 404: its platform is not asked for.
        let pullable = r.status.is_none_or(|s| !s.unpullable());
        if let Some(p) = p {
            for Child {
                digest,
                platform,
                kind,
                subject: subj,
                artifact,
            } in &p.children
            {
                match kind {
                    EntryKind::Image => info.platforms.push(PlatformInfo {
                        platform: platform.clone(),
                        digest: digest.clone(),
                    }),
                    EntryKind::Attestation => info.related.push(related(
                        digest,
                        artifact.unwrap_or(Artifact::BuildkitAttestation),
                        Found::Index,
                        subj.clone(),
                    )),
                    EntryKind::Other => info.related.push(related(
                        digest,
                        artifact.unwrap_or(Artifact::Referrer),
                        Found::Index,
                        subj.clone(),
                    )),
                }
            }
            if p.kind == ImageKind::Image
                && pullable
                && let Some((cfg, size)) = &p.config
            {
                let platform = read_config_platform(source, cfg, *size)
                    .map_or_else(|| "unknown".into(), |p| p.to_string());
                info.platforms.push(PlatformInfo {
                    platform,
                    digest: r.digest.clone(),
                });
            }
        }
        out.push(info);
    }
    out.sort_by(|a, b| {
        b.pushed_at
            .cmp(&a.pushed_at)
            .then_with(|| a.tags.cmp(&b.tags))
            .then_with(|| a.digest.cmp(&b.digest))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosign_tags_name_their_subject() {
        let hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(
            cosign_subject(&format!("sha256-{hex}.sig")),
            Some((format!("sha256:{hex}"), Artifact::Signature))
        );
        assert_eq!(cosign_subject("v1.0"), None);
        assert_eq!(
            related_kind(Some("application/vnd.amazon.soci.index.v1+json")).listing_kind(),
            "soci-index"
        );
    }

    #[test]
    fn a_soci_v2_index_entry_is_listed_as_a_soci_index_of_its_image() {
        let img = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let soci = "sha256:486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7";
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{img}","size":1,"platform":{{"architecture":"amd64","os":"linux"}}}},
            {{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{soci}","size":1,"platform":{{"architecture":"amd64","os":"linux"}},
             "annotations":{{"com.amazon.soci.image-manifest-digest":"{img}"}}}}]}}"#
        );
        let p = parse(&Raw {
            digest: "sha256:00".into(),
            manifest: Some(index.into_bytes()),
            ..Raw::default()
        })
        .unwrap();
        let kinds: Vec<_> = p.children.iter().map(|c| (c.kind, c.artifact)).collect();
        assert_eq!(
            kinds,
            [
                (EntryKind::Image, None),
                (EntryKind::Other, Some(manifest::Artifact::SociIndex))
            ]
        );
        assert_eq!(p.children[1].subject.as_deref(), Some(img));
    }
}
