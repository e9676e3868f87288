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
            let r = a.result.as_ref()?;
            let mut v = serde_json::to_value(r).ok()?;
            if let Value::Object(m) = &mut v {
                m.insert("decision".into(), serde_json::to_value(&a.decision).ok()?);
                // Added value: a consumer reading only `verdict` must not see a network
                // error as "fail".
                if let Some(cause) = crate::check::unreadable_cause(r) {
                    m.insert("verdict".into(), "error".into());
                    m.insert("error".into(), cause.into());
                }
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
                    .enumerate()
                    .map(|(i, l)| {
                        json!({
                            "digest": l.digest,
                            "media_type": l.media_type,
                            "size": l.size,
                            "uncompressed_size": l.scan.uncompressed_size,
                            "files": l.scan.entries.len(),
                            "created_by": l.created_by,
                            "wasted_bytes": img.fs.wasted_bytes(i),
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
                            "sha256": a.sha256,
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
                    "wasted_bytes": img.fs.wasted_total(),
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

/// Pretty JSON whose strings carry C1 controls (U+0080-U+009F) and bidi overrides and
/// isolates (U+202A-U+202E, U+2066-U+2069) as `\uXXXX`: serde_json escapes only C0, and
/// these come from images and registries to a terminal, as text output already sanitises.
pub fn to_pretty_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        EscapingFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    // Serialising plain strings, numbers and maps with string keys cannot fail.
    if v.serialize(&mut ser).is_err() {
        return "{}".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".into())
}

fn must_escape(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// serde_json's pretty layout, with [`must_escape`] characters written as `\uXXXX`.
pub struct EscapingFormatter<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for EscapingFormatter<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|(_, c)| must_escape(*c)) {
            w.write_all(&rest.as_bytes()[..i])?;
            write!(w, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped() {
        let v = json!({"name\u{9b}": "a\u{9b}31m b\u{202e}gpj.exe \u{2066}x\u{2069} é ✓ \n"});
        let s = to_pretty_json(&v);
        assert!(s.contains(r"name\u009b"), "{s}");
        assert!(
            s.contains(r"a\u009b31m b\u202egpj.exe \u2066x\u2069 é ✓ \n"),
            "{s}"
        );
        assert!(!s.chars().any(must_escape), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }
}
