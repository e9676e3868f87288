//! `inspect --format json` written as it is serialised: the document is never a value or a
//! string in memory, one image's part at a time is, and the bytes are those of [`inspect_json`].

use std::io::Write;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{EscapingFormatter, Inspection, inspect_json};

/// Writes the pretty-printed `archlens.inspect/v1` document to `out`, then a newline.
pub fn write_inspect_json(out: &mut dyn Write, ins: &Inspection) -> serde_json::Result<()> {
    let head = inspect_json(&Inspection {
        reference: ins.reference,
        root: ins.root,
        images: Vec::new(),
    });
    // The same escaping as every other JSON document (C1 controls, bidi overrides).
    let mut ser = serde_json::Serializer::with_formatter(
        &mut *out,
        EscapingFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    Doc { head: &head, ins }.serialize(&mut ser)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

struct Doc<'a> {
    head: &'a Value,
    ins: &'a Inspection<'a>,
}

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Value::Object(fields) = self.head else {
            return self.head.serialize(s);
        };
        // The keys in the order the document has them; only `images` is written lazily.
        let mut map = s.serialize_map(Some(fields.len()))?;
        for (k, v) in fields {
            if k == "images" {
                map.serialize_entry(k, &Images(self.ins))?;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

struct Images<'a>(&'a Inspection<'a>);

impl Serialize for Images<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ins = self.0;
        s.collect_seq(ins.images.iter().map(|one| {
            let mut doc = inspect_json(&Inspection {
                reference: ins.reference,
                root: ins.root,
                images: vec![*one],
            });
            doc.get_mut("images")
                .and_then(|i| i.get_mut(0))
                .map(Value::take)
                .unwrap_or(Value::Null)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Arch;
    use crate::ui::app::fixture;

    #[test]
    fn streamed_bytes_are_the_document_pretty_printed() {
        let info = fixture::single("app", Arch::amd64());
        let img = fixture::image("app", Arch::amd64());
        let entry = &info.root.entries[0];
        let ins = Inspection {
            // A bidi override from outside must reach the terminal escaped, as in every document.
            reference: "oci:app\u{202e}\u{9b}",
            root: &info.root,
            images: vec![(entry, Ok(&img)), (entry, Err("cannot read layer"))],
        };
        let mut out = Vec::new();
        write_inspect_json(&mut out, &ins).unwrap();
        let whole = format!("{}\n", crate::report::to_pretty_json(&inspect_json(&ins)));
        assert_eq!(String::from_utf8(out).unwrap(), whole);
        assert!(whole.contains("/app/server"), "{whole}");
        assert!(whole.contains(r#""oci:app\u202e\u009b""#), "{whole}");
    }
}
