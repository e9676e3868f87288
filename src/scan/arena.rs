//! Storage of the merged filesystem: one 32-byte slot per path ever seen, names interned in
//! one byte string, children found through a table of ids; a path is text only when asked.

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;

/// A path's index in the arena. A path keeps its id for the whole build, deleted or not.
pub type Id = u32;
pub const ROOT: Id = 0;
pub const NONE: Id = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Live,
    /// Deleted by a later layer; its last contents and history stay for the record.
    Dead,
    /// Only a parent of live paths, never an entry (hand-made trees; a new slot).
    Implied,
}

/// One path. `layer` is the layer that last wrote it, or for a dead path the one that
/// deleted it.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub size: u64,
    pub parent: Id,
    pub first_child: Id,
    pub next_sibling: Id,
    name: u32,
    pub mode: u32,
    pub layer: u16,
    pub kind: Kind,
    pub state: State,
}

#[derive(Clone)]
pub struct Arena {
    pub slots: Vec<Slot>,
    /// Each name as a varint length and its UTF-8 bytes.
    names: Vec<u8>,
    index: HashTable<Id>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Symlink texts and hard link paths, for links only.
    pub targets: HashMap<Id, Box<str>>,
}

impl Default for Arena {
    fn default() -> Arena {
        let mut a = Arena {
            slots: Vec::new(),
            names: Vec::new(),
            index: HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            targets: HashMap::new(),
        };
        a.names.push(0);
        a.slots.push(Slot {
            size: 0,
            parent: ROOT,
            first_child: NONE,
            next_sibling: NONE,
            name: 0,
            mode: 0o755,
            layer: 0,
            kind: Kind::Dir,
            state: State::Implied,
        });
        a
    }
}

impl Arena {
    pub fn slot(&self, id: Id) -> Option<&Slot> {
        self.slots.get(id as usize)
    }

    pub fn slot_mut(&mut self, id: Id) -> Option<&mut Slot> {
        self.slots.get_mut(id as usize)
    }

    pub fn is(&self, id: Id, state: State) -> bool {
        self.slot(id).is_some_and(|s| s.state == state)
    }

    pub fn is_live_dir(&self, id: Id) -> bool {
        self.slot(id)
            .is_some_and(|s| s.state == State::Live && s.kind == Kind::Dir)
    }

    pub fn name(&self, id: Id) -> &str {
        self.slot(id).map_or("", |s| name_at(&self.names, s.name))
    }

    fn hash(&self, parent: Id, name: &str) -> u64 {
        self.hasher.hash_one((parent, name))
    }

    /// The child `name` of `parent`, in any state.
    pub fn find(&self, parent: Id, name: &str) -> Option<Id> {
        let h = self.hash(parent, name);
        self.index
            .find(h, |&id| {
                self.slot(id)
                    .is_some_and(|s| s.parent == parent && name_at(&self.names, s.name) == name)
            })
            .copied()
    }

    /// The child `name` of `parent`, made (as [`State::Implied`]) when new. `None` only when
    /// the arena is full (4 billion paths or 4 GiB of names).
    pub fn find_or_add(&mut self, parent: Id, name: &str) -> Option<Id> {
        if let Some(id) = self.find(parent, name) {
            return Some(id);
        }
        let id = Id::try_from(self.slots.len()).ok().filter(|&i| i != NONE)?;
        let at = u32::try_from(self.names.len()).ok()?;
        put_varint(&mut self.names, name.len());
        self.names.extend_from_slice(name.as_bytes());
        let first = self.slot(parent).map_or(NONE, |s| s.first_child);
        self.slots.push(Slot {
            size: 0,
            parent,
            first_child: NONE,
            next_sibling: first,
            name: at,
            mode: 0,
            layer: 0,
            kind: Kind::Dir,
            state: State::Implied,
        });
        if let Some(p) = self.slot_mut(parent) {
            p.first_child = id;
        }
        let h = self.hash(parent, name);
        let (slots, names, hasher) = (&self.slots, &self.names, &self.hasher);
        self.index.insert_unique(h, id, |&i| {
            let s = slots.get(i as usize);
            hasher.hash_one((
                s.map_or(NONE, |s| s.parent),
                s.map_or("", |s| name_at(names, s.name)),
            ))
        });
        Some(id)
    }

    /// The id of a normalised absolute path, in any state.
    pub fn lookup(&self, path: &str) -> Option<Id> {
        let mut cur = ROOT;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            cur = self.find(cur, comp)?;
        }
        Some(cur)
    }

    pub fn parent(&self, id: Id) -> Id {
        self.slot(id).map_or(ROOT, |s| s.parent)
    }

    /// The absolute path of `id`, built from its names.
    pub fn path(&self, id: Id) -> String {
        let mut names = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            names.push(self.name(cur));
            cur = self.parent(cur);
        }
        if names.is_empty() {
            return "/".to_string();
        }
        let mut out = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for n in names.iter().rev() {
            out.push('/');
            out.push_str(n);
        }
        out
    }

    /// `dir`'s path joined with `name`, for error messages.
    pub fn path_with(&self, dir: Id, name: &str) -> String {
        super::path::join(&self.path(dir), name)
    }

    pub fn children(&self, id: Id) -> ChildIds<'_> {
        ChildIds {
            arena: self,
            next: self.slot(id).map_or(NONE, |s| s.first_child),
        }
    }

    /// Relinks every child list in name order, so listings and walks come out sorted.
    pub fn sort_children(&mut self) {
        let mut kids: Vec<Id> = Vec::new();
        for dir in 0..self.slots.len() {
            let dir = dir as Id;
            kids.clear();
            kids.extend(self.children(dir));
            if kids.len() < 2 {
                continue;
            }
            let names = &self.names;
            let slots = &self.slots;
            kids.sort_by(|&a, &b| {
                let n = |i: Id| slots.get(i as usize).map_or("", |s| name_at(names, s.name));
                n(a).cmp(n(b))
            });
            for (i, &k) in kids.iter().enumerate() {
                let next = kids.get(i + 1).copied().unwrap_or(NONE);
                if let Some(s) = self.slot_mut(k) {
                    s.next_sibling = next;
                }
            }
            let first = kids.first().copied().unwrap_or(NONE);
            if let Some(s) = self.slot_mut(dir) {
                s.first_child = first;
            }
        }
    }

    /// Ids below `id` (not `id` itself), parents before children, siblings in list order.
    pub fn descendants(&self, id: Id) -> impl Iterator<Item = Id> + '_ {
        let mut stack: Vec<Id> = Vec::new();
        let push_kids = |stack: &mut Vec<Id>, of: Id| {
            let at = stack.len();
            stack.extend(self.children(of));
            if let Some(s) = stack.get_mut(at..) {
                s.reverse();
            }
        };
        push_kids(&mut stack, id);
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            push_kids(&mut stack, next);
            Some(next)
        })
    }

    /// Gives back what the growth of the arena left unused, once nothing more is added.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.names.shrink_to_fit();
        let (slots, names, hasher) = (&self.slots, &self.names, &self.hasher);
        self.index.shrink_to_fit(|&i| {
            let s = slots.get(i as usize);
            hasher.hash_one((
                s.map_or(NONE, |s| s.parent),
                s.map_or("", |s| name_at(names, s.name)),
            ))
        });
    }

    /// Bytes this arena holds on the heap (capacity, not length: what the allocator gave).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.names.capacity()
            + self.index.capacity() * (std::mem::size_of::<Id>() + 1)
            + self
                .targets
                .values()
                .map(|t| t.len() + 2 * std::mem::size_of::<usize>() + 8)
                .sum::<usize>()
    }
}

pub struct ChildIds<'a> {
    arena: &'a Arena,
    next: Id,
}

impl Iterator for ChildIds<'_> {
    type Item = Id;

    fn next(&mut self) -> Option<Id> {
        let id = self.next;
        self.next = self.arena.slot(id)?.next_sibling;
        Some(id)
    }
}

fn name_at(names: &[u8], at: u32) -> &str {
    let mut i = at as usize;
    let mut len = 0usize;
    let mut shift = 0;
    while let Some(&b) = names.get(i) {
        i += 1;
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 || shift > 56 {
            break;
        }
    }
    names
        .get(i..i.saturating_add(len))
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

fn put_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_32_bytes() {
        // The memory budget of issue 10 (under 100 bytes a file at a million files) rests
        // on this: a slot, its name, and a few bytes of index.
        assert_eq!(std::mem::size_of::<Slot>(), 32);
    }

    #[test]
    fn paths_are_rebuilt_from_interned_names() {
        let mut a = Arena::default();
        let usr = a.find_or_add(ROOT, "usr").unwrap();
        let bin = a.find_or_add(usr, "bin").unwrap();
        let env = a.find_or_add(bin, "ënv").unwrap();
        let b = a.find_or_add(bin, "a").unwrap();
        assert_eq!(a.find_or_add(usr, "bin"), Some(bin), "one id per path");
        assert_eq!(a.path(env), "/usr/bin/ënv");
        assert_eq!(a.path(ROOT), "/");
        assert_eq!(a.lookup("/usr/bin/ënv"), Some(env));
        assert_eq!(a.lookup("/usr/lib"), None);
        a.sort_children();
        assert_eq!(a.children(bin).collect::<Vec<_>>(), [b, env]);
        assert_eq!(a.descendants(ROOT).collect::<Vec<_>>(), [usr, bin, b, env]);
    }
}
