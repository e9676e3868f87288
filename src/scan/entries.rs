//! A layer's tar entries packed into one byte string: each path stored as the bytes it
//! does not share with the path before it, numbers as varints (about 12 bytes a file).

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Entry, EntryKind};

/// Entries in tar order, packed. Read them with [`Entries::cursor`] (no allocation per
/// entry) or [`Entries::iter`] (an owned [`Entry`] each).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Entries {
    bytes: Vec<u8>,
    len: usize,
    /// The last path pushed, which the next one is stored against.
    last: String,
}

const FILE: u8 = 0;
const DIR: u8 = 1;
const SYMLINK: u8 = 2;
const HARDLINK: u8 = 3;
const OTHER: u8 = 4;

impl Entries {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held, for the memory accounting of [`super::MergedFs::heap_bytes`] and tests.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.last.capacity()
    }

    /// Gives back what growth left unused, once the layer is read.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    pub fn push(&mut self, e: &Entry) {
        let mut shared = self
            .last
            .bytes()
            .zip(e.path.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !e.path.is_char_boundary(shared) {
            shared -= 1;
        }
        let (tag, link) = match &e.kind {
            EntryKind::File => (FILE, None),
            EntryKind::Dir => (DIR, None),
            EntryKind::Symlink(t) => (SYMLINK, Some(t)),
            EntryKind::Hardlink(t) => (HARDLINK, Some(t)),
            EntryKind::Other => (OTHER, None),
        };
        self.bytes.push(tag);
        let suffix = e.path.get(shared..).unwrap_or("");
        put_varint(&mut self.bytes, shared as u64);
        put_str(&mut self.bytes, suffix);
        put_varint(&mut self.bytes, e.size);
        put_varint(&mut self.bytes, u64::from(e.mode));
        if let Some(t) = link {
            put_str(&mut self.bytes, t);
        }
        self.last.truncate(shared);
        self.last.push_str(suffix);
        self.len += 1;
    }

    /// Reads the entries in order into one reused [`Entry`].
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            bytes: &self.bytes,
            at: 0,
            entry: Entry {
                path: String::new(),
                kind: EntryKind::File,
                size: 0,
                mode: 0,
            },
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        let mut c = self.cursor();
        std::iter::from_fn(move || c.next().cloned())
    }
}

/// See [`Entries::cursor`].
pub struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    entry: Entry,
}

impl<'a> Cursor<'a> {
    /// The next entry, or `None` at the end.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<&Entry> {
        let tag = *self.bytes.get(self.at)?;
        self.at += 1;
        let shared = usize::try_from(self.varint()?).ok()?;
        let suffix = self.str()?;
        let e = &mut self.entry;
        if shared > e.path.len() || !e.path.is_char_boundary(shared) {
            return None;
        }
        e.path.truncate(shared);
        e.path.push_str(suffix);
        self.entry.size = self.varint()?;
        self.entry.mode = u32::try_from(self.varint()?).ok()?;
        self.entry.kind = match tag {
            FILE => EntryKind::File,
            DIR => EntryKind::Dir,
            SYMLINK => EntryKind::Symlink(self.str()?.to_string()),
            HARDLINK => EntryKind::Hardlink(self.str()?.to_string()),
            _ => EntryKind::Other,
        };
        Some(&self.entry)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn str(&mut self) -> Option<&'a str> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.at.checked_add(len)?;
        let bytes: &'a [u8] = self.bytes;
        let s = std::str::from_utf8(bytes.get(self.at..end)?).ok()?;
        self.at = end;
        Some(s)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

impl fmt::Debug for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Entry>> for Entries {
    fn from(v: Vec<Entry>) -> Entries {
        v.into_iter().collect()
    }
}

impl FromIterator<Entry> for Entries {
    fn from_iter<I: IntoIterator<Item = Entry>>(iter: I) -> Entries {
        let mut out = Entries::default();
        for e in iter {
            out.push(&e);
        }
        out.shrink_to_fit();
        out
    }
}

/// Written as a list of entries, as before packing, so cached scans stay readable.
impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct Seq;
        impl<'de> Visitor<'de> for Seq {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of tar entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entries, A::Error> {
                let mut out = Entries::default();
                while let Some(e) = seq.next_element::<Entry>()? {
                    out.push(&e);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, kind: EntryKind, size: u64, mode: u32) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size,
            mode,
        }
    }

    #[test]
    fn entries_come_back_as_pushed_and_cost_little() {
        let list = vec![
            e("/usr", EntryKind::Dir, 0, 0o755),
            e("/usr/bin/ä", EntryKind::File, u64::MAX, 0o100755),
            e("/usr/bin/äb", EntryKind::Symlink("../ä".into()), 0, 0o777),
            e("/usr/bin/x", EntryKind::Hardlink("/usr/bin/ä".into()), 0, 0),
            e("/a", EntryKind::Other, 0, u32::MAX),
        ];
        let packed: Entries = list.clone().into();
        assert_eq!(packed.len(), 5);
        assert_eq!(packed.iter().collect::<Vec<_>>(), list);
        let json = serde_json::to_string(&packed).unwrap();
        assert_eq!(json, serde_json::to_string(&list).unwrap());
        let back: Entries = serde_json::from_str(&json).unwrap();
        assert_eq!(back, packed);

        let many: Entries = (0..10_000)
            .map(|i| {
                e(
                    &format!("/data/d{:04}/f{i:07}.txt", i / 1000),
                    EntryKind::File,
                    3,
                    0o644,
                )
            })
            .collect();
        assert!(many.bytes.len() < 10_000 * 12, "{} bytes", many.bytes.len());
    }
}
