//! Parsing manifests, indexes and image configs from bytes, whatever their flavour
//! (OCI or Docker schema2), into the `oci-spec` types.

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};

use super::media;
use super::platform::{Arch, Platform};

/// A parsed manifest document.
#[derive(Debug, Clone)]
pub enum Document {
    Index(Box<ImageIndex>),
    Image(Box<ImageManifest>),
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "{what} is a Docker schema 1 manifest: a legacy format, not supported. Re-push the image with a current Docker or `skopeo copy --format v2s2` to convert it"
    )]
    Schema1 { what: String },
    #[error("{what} is not valid JSON: {source}")]
    Json {
        what: String,
        source: serde_json::Error,
    },
    #[error("{what} has media type {media_type:?}, which is not an image manifest or index")]
    UnknownKind { what: String, media_type: String },
    #[error("{what} is not a valid {kind}: {detail}")]
    Invalid {
        what: String,
        kind: &'static str,
        detail: String,
    },
}

/// Parses a manifest or index. `media_type` is what the transport said (the HTTP
/// `Content-Type` or the parent descriptor), if anything; the document's own
/// `mediaType` field and its shape decide when that is missing. `what` names the
/// document in errors (a digest or a file).
pub fn parse_document(
    bytes: &[u8],
    media_type: Option<&str>,
    what: &str,
) -> Result<Document, ManifestError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
            what: what.to_string(),
            source,
        })?;
    let declared = value.get("mediaType").and_then(|m| m.as_str());
    let schema_version = value.get("schemaVersion").and_then(|v| v.as_u64());
    let kind = media_type
        .filter(|m| !m.is_empty() && *m != "application/json")
        .or(declared)
        .map(str::to_string);
    let is_schema1 = schema_version == Some(1)
        || kind.as_deref().is_some_and(media::is_schema1)
        || value.get("fsLayers").is_some();
    if is_schema1 {
        return Err(ManifestError::Schema1 {
            what: what.to_string(),
        });
    }
    let looks_index = value.get("manifests").is_some();
    let looks_image = value.get("layers").is_some() || value.get("config").is_some();
    let index = match kind.as_deref() {
        Some(m) if media::is_index(m) => true,
        Some(media::OCI_MANIFEST) | Some(media::DOCKER_MANIFEST) => false,
        Some(m) if looks_index == looks_image => {
            return Err(ManifestError::UnknownKind {
                what: what.to_string(),
                media_type: m.to_string(),
            });
        }
        _ => looks_index,
    };
    let invalid = |kind: &'static str, e: serde_json::Error| ManifestError::Invalid {
        what: what.to_string(),
        kind,
        detail: e.to_string(),
    };
    if index {
        spec_platform_keys(&mut value);
        serde_json::from_value(value)
            .map(|i| Document::Index(Box::new(i)))
            .map_err(|e| invalid("image index", e))
    } else {
        serde_json::from_value(value)
            .map(|m| Document::Image(Box::new(m)))
            .map_err(|e| invalid("image manifest", e))
    }
}

/// oci-spec 0.10 reads an entry's `os.version` and `os.features` only under the names
/// `os_version` and `os_features` (youki-dev/oci-spec-rs#163), so they are renamed first.
fn spec_platform_keys(index: &mut serde_json::Value) {
    let Some(entries) = index.get_mut("manifests").and_then(|m| m.as_array_mut()) else {
        return;
    };
    for platform in entries
        .iter_mut()
        .filter_map(|e| e.get_mut("platform")?.as_object_mut())
    {
        for (spec, read_as) in [("os.version", "os_version"), ("os.features", "os_features")] {
            if let Some(v) = platform.remove(spec) {
                platform.insert(read_as.into(), v);
            }
        }
    }
}

/// Parses an image config (OCI or Docker, which share the fields archlens reads).
pub fn parse_config(bytes: &[u8], what: &str) -> Result<ImageConfiguration, ManifestError> {
    serde_json::from_slice(bytes).map_err(|e| ManifestError::Invalid {
        what: what.to_string(),
        kind: "image config",
        detail: e.to_string(),
    })
}

/// The platform an index entry declares, normalised.
pub fn descriptor_platform(d: &Descriptor) -> Option<Platform> {
    let p = d.platform().as_ref()?;
    Some(
        Platform::new(
            &p.os().to_string(),
            Arch::new(&p.architecture().to_string(), p.variant().as_deref()),
        )
        .with_os_version(p.os_version().as_deref().unwrap_or_default())
        .with_os_features(p.os_features().iter().flatten()),
    )
}

/// The platform a config declares, normalised.
pub fn config_platform(c: &ImageConfiguration) -> Platform {
    Platform::new(
        &c.os().to_string(),
        Arch::new(&c.architecture().to_string(), c.variant().as_deref()),
    )
}

/// What an index entry is, going by BuildKit's and the referrers API's conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Image,
    Attestation,
    Other,
}

/// Which artefact a non-image manifest is, so that messages name what is really there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Artifact {
    /// Provenance/SBOM manifest BuildKit adds (platform `unknown/unknown`).
    BuildkitAttestation,
    /// An in-toto attestation stored as an OCI 1.1 referrer (cosign, Notation, ECR).
    Attestation,
    /// A SOCI index: v1 as a referrer, v2 as an entry `soci convert` appends to the index.
    SociIndex,
    /// A cosign, Sigstore or Notation (AWS Signer) signature.
    Signature,
    Sbom,
    /// Anything else that is not an image.
    Referrer,
}

/// The index-descriptor annotation a SOCI v2 index entry names its image with.
pub const SOCI_IMAGE_MANIFEST_DIGEST: &str = "com.amazon.soci.image-manifest-digest";

impl Artifact {
    /// Classifies a referrer by its `artifactType` (or config media type).
    pub fn from_type(artifact_type: Option<&str>) -> Artifact {
        let a = artifact_type.unwrap_or("").to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| a.contains(w));
        // SBOM before signature: cosign's SBOM type also says "cosign".
        if has(&["soci"]) {
            Artifact::SociIndex
        } else if has(&["sbom", "spdx", "cyclonedx"]) {
            Artifact::Sbom
        } else if has(&["in-toto", "attestation", "provenance"]) {
            Artifact::Attestation
        } else if has(&["sig", "cosign", "notary"]) {
            Artifact::Signature
        } else {
            Artifact::Referrer
        }
    }

    /// The word the catalog listing uses (`attestation`, `soci-index`, `signature`, `sbom`, `referrer`).
    pub fn listing_kind(self) -> &'static str {
        match self {
            Artifact::BuildkitAttestation | Artifact::Attestation => "attestation",
            Artifact::SociIndex => "soci-index",
            Artifact::Signature => "signature",
            Artifact::Sbom => "sbom",
            Artifact::Referrer => "referrer",
        }
    }

    /// One such entry, named in a listing.
    pub fn noun(self) -> &'static str {
        match self {
            Artifact::BuildkitAttestation => "attestation",
            Artifact::Attestation => "in-toto attestation",
            Artifact::SociIndex => "SOCI index",
            Artifact::Signature => "signature",
            Artifact::Sbom => "SBOM",
            Artifact::Referrer => "other artifact",
        }
    }

    /// `2 attestations`, `1 SOCI index`; `compact` for 80 columns: `2 att.`, `1 SOCI`.
    pub fn counted(self, n: usize, compact: bool) -> String {
        let (one, many, short) = match self {
            Artifact::BuildkitAttestation | Artifact::Attestation => {
                ("attestation", "attestations", "att.")
            }
            Artifact::SociIndex => ("SOCI index", "SOCI indexes", "SOCI"),
            Artifact::Signature => ("signature", "signatures", "sig."),
            Artifact::Sbom => ("SBOM", "SBOMs", "SBOM"),
            Artifact::Referrer => ("other artifact", "other artifacts", "other"),
        };
        let word = if compact {
            short
        } else if n == 1 {
            one
        } else {
            many
        };
        format!("{n} {word}")
    }

    /// What these entries are, for a sentence about an index ("it also carries ...").
    pub fn described(self) -> &'static str {
        match self {
            Artifact::BuildkitAttestation => {
                "attestation manifests that BuildKit adds by default (provenance/SBOM)"
            }
            Artifact::Attestation => "in-toto attestations",
            Artifact::SociIndex => "a SOCI index that `soci convert` appended",
            Artifact::Signature => "signatures (cosign/Notation)",
            Artifact::Sbom => "SBOMs",
            Artifact::Referrer => "other non-image artefacts",
        }
    }
}

/// `a, b and c` of each kind's description, for one sentence.
pub fn describe_all(kinds: &[Artifact]) -> String {
    let words: Vec<&str> = kinds.iter().map(|k| k.described()).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a non-image index entry is; `None` for an image.
pub fn artifact(d: &Descriptor) -> Option<Artifact> {
    let ann = d.annotations().as_ref();
    let has = |k: &str| ann.is_some_and(|a| a.contains_key(k));
    if ann
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .map(String::as_str)
        == Some("attestation-manifest")
    {
        return Some(Artifact::BuildkitAttestation);
    }
    // A SOCI v2 entry declares its image's platform; only the annotation tells it apart.
    if has(SOCI_IMAGE_MANIFEST_DIGEST) {
        return Some(Artifact::SociIndex);
    }
    if let Some(t) = d.artifact_type() {
        return Some(Artifact::from_type(Some(t.as_ref())));
    }
    let mt = d.media_type().to_string();
    if mt == media::OCI_MANIFEST || mt == media::DOCKER_MANIFEST || media::is_index(&mt) {
        if let Some(p) = descriptor_platform(d)
            && p.os == "unknown"
            && p.arch.name == "unknown"
        {
            return Some(Artifact::Referrer);
        }
        None
    } else {
        Some(Artifact::Referrer)
    }
}

/// Classifies an index entry and returns the digest of the image it belongs to, if it says
/// (a BuildKit attestation's subject, a SOCI v2 index's image).
pub fn entry_kind(d: &Descriptor) -> (EntryKind, Option<String>) {
    let get = |k: &str| d.annotations().as_ref().and_then(|a| a.get(k)).cloned();
    match artifact(d) {
        None => (EntryKind::Image, None),
        Some(Artifact::BuildkitAttestation) => {
            (EntryKind::Attestation, get("vnd.docker.reference.digest"))
        }
        Some(Artifact::SociIndex) => (EntryKind::Other, get(SOCI_IMAGE_MANIFEST_DIGEST)),
        Some(_) => (EntryKind::Other, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema1_is_refused_with_advice() {
        let doc = br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        let err = parse_document(doc, None, "sha256:abc").unwrap_err();
        assert!(err.to_string().contains("legacy format, not supported"));
    }

    #[test]
    fn garbage_names_the_document() {
        let err = parse_document(b"{nope", None, "index.json").unwrap_err();
        assert!(err.to_string().starts_with("index.json is not valid JSON"));
    }

    #[test]
    fn docker_manifest_list_parses_as_index() {
        let doc = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":7,"platform":{"architecture":"arm","os":"linux","variant":"v7"}}]}"#;
        let Document::Index(i) = parse_document(doc, None, "x").unwrap() else {
            panic!("not an index")
        };
        let p = descriptor_platform(&i.manifests()[0]).unwrap();
        assert_eq!(p.to_string(), "linux/arm/v7");
    }

    fn descriptor(json: &str) -> Descriptor {
        serde_json::from_str(json).unwrap()
    }

    const HEX: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn soci_v2_entry_is_told_apart_from_its_image_by_the_annotation() {
        let d = descriptor(&format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{HEX}","size":1,
            "platform":{{"architecture":"amd64","os":"linux"}},
            "annotations":{{"com.amazon.soci.image-manifest-digest":"sha256:{HEX}"}}}}"#
        ));
        assert_eq!(artifact(&d), Some(Artifact::SociIndex));
        assert_eq!(
            entry_kind(&d),
            (EntryKind::Other, Some(format!("sha256:{HEX}")))
        );
        assert!(Artifact::SociIndex.described().contains("SOCI index"));
    }

    #[test]
    fn referrers_are_named_by_artifact_type() {
        for (t, want) in [
            (
                "application/vnd.amazon.soci.index.v1+json",
                Artifact::SociIndex,
            ),
            (
                "application/vnd.dev.cosign.artifact.sig.v1+json",
                Artifact::Signature,
            ),
            ("application/vnd.cncf.notary.signature", Artifact::Signature),
            (
                "application/vnd.dev.cosign.artifact.sbom.v1+json",
                Artifact::Sbom,
            ),
            ("application/spdx+json", Artifact::Sbom),
            ("application/vnd.in-toto+json", Artifact::Attestation),
            ("application/vnd.example.thing", Artifact::Referrer),
        ] {
            assert_eq!(Artifact::from_type(Some(t)), want, "{t}");
        }
        let d = descriptor(&format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{HEX}","size":1,
            "artifactType":"application/vnd.cncf.notary.signature"}}"#
        ));
        assert_eq!(entry_kind(&d), (EntryKind::Other, None));
        assert_eq!(artifact(&d).map(Artifact::listing_kind), Some("signature"));
    }

    #[test]
    fn buildkit_attestation_keeps_its_subject_and_images_stay_images() {
        let att = descriptor(&format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{HEX}","size":1,
            "platform":{{"architecture":"unknown","os":"unknown"}},
            "annotations":{{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"sha256:{HEX}"}}}}"#
        ));
        assert_eq!(artifact(&att), Some(Artifact::BuildkitAttestation));
        assert_eq!(entry_kind(&att).0, EntryKind::Attestation);
        let img = descriptor(&format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{HEX}","size":1,
            "platform":{{"architecture":"arm64","os":"linux"}}}}"#
        ));
        assert_eq!(entry_kind(&img), (EntryKind::Image, None));
    }
}
