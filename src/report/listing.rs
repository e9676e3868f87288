//! `archlens ls` output: the listing of a registry or repository as an aligned table for
//! people, or as JSON for tools.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Listing, findings_word, mutability_word};

/// Aligns cells into columns; every cell is sanitised first, since names and tags come
/// from the registry.
fn table(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| crate::text::sanitize(c)).collect())
        .collect();
    let rows = &rows;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The listing as a text table, as `archlens ls` prints it.
pub fn render_listing_text(l: &Listing) -> String {
    let mut out = String::new();
    if l.repository.is_none() {
        if l.repositories.is_empty() {
            out.push_str(&format!(
                "{}: no repositories\n",
                crate::text::sanitize(&l.registry)
            ));
        } else {
            // Counts and push times only where the registry tells them (ECR).
            let stats = l
                .repositories
                .iter()
                .any(|r| r.image_count.is_some() || r.last_pushed_at.is_some());
            let time = |t: &Option<String>| {
                t.as_deref()
                    .map_or_else(|| "-".to_string(), crate::text::display_time)
            };
            let tags = l.repositories.iter().any(|r| r.tag_mutability.is_some());
            let cached = l
                .repositories
                .iter()
                .any(|r| r.pull_through_upstream.is_some());
            let mut head = vec!["REPOSITORY".to_string()];
            if stats {
                head.extend(["IMAGES".to_string(), "LAST PUSH".into()]);
            }
            if tags {
                head.push("MUTABILITY".into());
            }
            if cached {
                head.push("PULL-THROUGH".into());
            }
            head.extend(["CREATED".to_string(), "URI".into()]);
            let mut rows = vec![head];
            for r in &l.repositories {
                let mut row = vec![r.name.clone()];
                if stats {
                    row.push(r.image_count.map_or_else(|| "-".into(), |n| n.to_string()));
                    row.push(time(&r.last_pushed_at));
                }
                if tags {
                    row.push(
                        r.tag_mutability
                            .as_deref()
                            .map_or_else(|| "-".into(), mutability_word),
                    );
                }
                if cached {
                    row.push(
                        r.pull_through_upstream
                            .clone()
                            .unwrap_or_else(|| "-".into()),
                    );
                }
                row.extend([time(&r.created_at), r.uri.clone().unwrap_or_default()]);
                rows.push(row);
            }
            out.push_str(&table(&rows));
        }
    } else {
        let name = format!("{}/{}", l.registry, l.repository.as_deref().unwrap_or(""));
        if l.images.is_empty() {
            out.push_str(&format!("{}: no images\n", crate::text::sanitize(&name)));
        } else {
            // ECR's storage state, shown only when some image is not plainly active.
            let unpullable =
                |i: &crate::catalog::ImageInfo| i.image_status.filter(|s| s.unpullable());
            let statuses = l.images.iter().any(|i| unpullable(i).is_some());
            let mut head = vec![
                "TAGS".to_string(),
                "DIGEST".into(),
                "KIND".into(),
                "PLATFORMS".into(),
                "SIZE".into(),
                "PUSHED".into(),
                "LAST PULLED".into(),
            ];
            if statuses {
                head.push("STATUS".into());
            }
            let scanned = l.images.iter().any(|i| i.scan_findings.is_some());
            if scanned {
                head.push("FINDINGS".into());
            }
            head.push("ATTACHED".into());
            let mut rows = vec![head];
            let time = |t: &Option<String>| {
                t.as_deref()
                    .map_or_else(|| "-".to_string(), crate::text::display_time)
            };
            for i in &l.images {
                let short = i.digest.get(..19).unwrap_or(&i.digest).to_string();
                let platforms: BTreeSet<&str> =
                    i.platforms.iter().map(|p| p.platform.as_str()).collect();
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for r in &i.related {
                    *counts.entry(r.kind.as_str()).or_default() += 1;
                }
                let attached = counts
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut row = vec![
                    if i.tags.is_empty() {
                        "<untagged>".into()
                    } else {
                        i.tags.join(",")
                    },
                    short,
                    format!("{:?}", i.kind).to_ascii_lowercase(),
                    if platforms.is_empty() {
                        "-".into()
                    } else {
                        platforms.into_iter().collect::<Vec<_>>().join(",")
                    },
                    i.size
                        .map(crate::text::human_size)
                        .unwrap_or_else(|| "-".into()),
                    time(&i.pushed_at),
                    time(&i.last_pulled_at),
                ];
                if statuses {
                    row.push(match unpullable(i) {
                        Some(s) => match &i.last_archived_at {
                            Some(t) => format!("{} {}", s.word(), crate::text::display_time(t)),
                            None => s.word().to_string(),
                        },
                        None => "active".into(),
                    });
                }
                if scanned {
                    row.push(
                        i.scan_findings
                            .as_ref()
                            .map_or_else(|| "-".into(), findings_word),
                    );
                }
                row.push(if attached.is_empty() {
                    "-".into()
                } else {
                    attached
                });
                rows.push(row);
            }
            out.push_str(&table(&rows));
            let archived = l
                .images
                .iter()
                .filter(|i| unpullable(i) == Some(crate::source::ecr::ImageStatus::Archived))
                .count();
            if archived > 0 {
                out.push_str(&format!(
                    "note: {archived} archived image{}: pulls fail until restored with `aws ecr update-image-storage-class --repository-name {} --image-id imageDigest=DIGEST --target-storage-class STANDARD` (`archlens check` on one prints its command)\n",
                    if archived == 1 { "" } else { "s" },
                    crate::text::sanitize(l.repository.as_deref().unwrap_or("REPOSITORY")),
                ));
            }
        }
    }
    for n in &l.notes {
        out.push_str(&format!("note: {}\n", crate::text::sanitize(n)));
    }
    out
}

/// The listing as pretty JSON, as `archlens ls --format json` prints it.
pub fn render_listing_json(l: &Listing) -> String {
    super::to_pretty_json(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ImageInfo, ImageKind, PlatformInfo, Related};
    use crate::oci::media;

    #[test]
    fn text_table_lists_tags_platforms_and_attachments() {
        let l = Listing {
            registry: "r.example".into(),
            repository: Some("app".into()),
            repositories: vec![],
            images: vec![ImageInfo {
                tags: vec!["latest".into(), "v1".into()],
                digest: "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
                    .into(),
                kind: ImageKind::Index,
                media_type: Some(media::OCI_INDEX.into()),
                size: Some(12_345_678),
                pushed_at: Some("2026-01-02T03:04:05Z".into()),
                last_pulled_at: None,
                platforms: vec![
                    PlatformInfo {
                        platform: "linux/arm64".into(),
                        digest: "sha256:a".into(),
                    },
                    PlatformInfo {
                        platform: "linux/amd64".into(),
                        digest: "sha256:b".into(),
                    },
                ],
                related: vec![Related {
                    digest: "sha256:c".into(),
                    kind: "attestation".into(),
                    artifact: crate::oci::manifest::Artifact::BuildkitAttestation,
                    found: crate::catalog::listing::Found::Index,
                    subject: Some("sha256:a".into()),
                    tags: vec![],
                }],
                image_status: None,
                last_archived_at: None,
                scan_findings: None,
            }],
            notes: vec![],
        };
        let t = render_listing_text(&l);
        let line = t.lines().nth(1).unwrap();
        assert!(line.starts_with("latest,v1  sha256:2cf24dba5fb0  index  linux/amd64,linux/arm64  12.3 MB  2026-01-02 03:04  -"), "{t}");
        assert!(line.ends_with("1 attestation"), "{t}");
        let j: serde_json::Value = serde_json::from_str(&render_listing_json(&l)).unwrap();
        assert_eq!(j["images"][0]["platforms"][0]["platform"], "linux/arm64");
        let att = &j["images"][0]["related"][0];
        assert_eq!(
            (&att["kind"], &att["artifact"], &att["found"]),
            (
                &serde_json::json!("attestation"),
                &serde_json::json!("buildkit-attestation"),
                &serde_json::json!("index")
            )
        );
    }
}
