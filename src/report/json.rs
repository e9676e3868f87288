//! The JSON contract: `archlens.check/v1` and `archlens.inspect/v1`. Fields may be added,
//! never renamed or removed.

use serde_json::{Value, json};

use super::Inspection;
use crate::analyze::Root;
use crate::verdict::Assessment;

/// `check --format json`: each result is the target's verdict plus what the runtime does
/// with the reference (`decision`).
pub fn check_json(reference: &str, root: &Root, assessments: &[Assessment]) -> Value {
    let results: Vec<Value> = assessments
        .iter()
        .filter_map(|a| {
            let mut v = serde_json::to_value(a.result.as_ref()?).ok()?;
            if let Value::Object(m) = &mut v {
                m.insert("decision".into(), serde_json::to_value(&a.decision).ok()?);
            }
            Some(v)
        })
        .collect();
    json!({
        "schema": "archlens.check/v1",
        "image": reference,
        "digest": root.digest,
        "media_type": root.media_type,
        "results": results,
    })
}

/// `inspect --format json`.
pub fn inspect_json(ins: &Inspection) -> Value {
    let manifests: Vec<Value> = ins
        .root
        .entries
        .iter()
        .map(|e| {
            json!({
                "digest": e.digest,
                "media_type": e.media_type,
                "platform": e.platform,
                "kind": e.kind,
                "subject": e.subject,
                "artifact": e.artifact,
                "size": e.size,
            })
        })
        .collect();
    let images: Vec<Value> = ins
        .images
        .iter()
        .map(|(entry, img)| match img {
            Ok(img) => {
                let layers: Vec<Value> = img
                    .layers
                    .iter()
                    .map(|l| {
                        json!({
                            "digest": l.digest,
                            "media_type": l.media_type,
                            "size": l.size,
                            "uncompressed_size": l.scan.uncompressed_size,
                            "files": l.scan.entries.len(),
                            "created_by": l.created_by,
                            "warnings": l.scan.warnings,
                        })
                    })
                    .collect();
                let artifacts: Vec<Value> = img
                    .fs
                    .artifacts
                    .iter()
                    .map(|(layer, a)| {
                        json!({
                            "path": a.path,
                            "layer": img.fs.layers.get(*layer),
                            "kind": a.kind,
                            "arch": a.arch,
                            "libc": a.libc,
                            "interpreter": a.interpreter,
                            "container": a.container,
                            "details": a.details,
                        })
                    })
                    .collect();
                json!({
                    "digest": img.digest,
                    "platform": entry.platform.clone().unwrap_or_else(|| img.config.platform.clone()),
                    "config_platform": img.config.platform,
                    "config": {
                        "entrypoint": img.config.entrypoint,
                        "cmd": img.config.cmd,
                        "env": img.config.env,
                        "workdir": img.config.workdir,
                    },
                    "layers": layers,
                    "artifacts": artifacts,
                    "error": Value::Null,
                })
            }
            Err(e) => json!({
                "digest": entry.digest,
                "platform": entry.platform,
                "config": Value::Null,
                "layers": [],
                "artifacts": [],
                "error": e,
            }),
        })
        .collect();
    json!({
        "schema": "archlens.inspect/v1",
        "image": ins.reference,
        "digest": ins.root.digest,
        "media_type": ins.root.media_type,
        "manifests": manifests,
        "images": images,
    })
}
