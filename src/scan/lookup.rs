//! Lookups on the merged filesystem: paths, nodes, kernel-style resolution, listings and
//! each layer's own changes, all answered from the arena with text built on demand.

use super::arena::{Id, Kind, ROOT, State};
use super::merged::{LayerChange, ResolveError, SYMLINK_HOP_LIMIT, layer16};
use super::path::{normalise_str, parent};
use super::{Change, EntryKind, MergedFs, Node};

impl MergedFs {
    /// The node at exactly this normalised absolute path, symlinks not followed.
    pub fn get(&self, path: &str) -> Option<Node> {
        self.live_id(path).map(|id| self.node(id))
    }

    /// Who owns the live `path` (`uid`, `gid`) as the layer that last wrote it left it:
    /// `(0, 0)` for root.
    pub fn owner(&self, path: &str) -> Option<(u32, u32)> {
        let s = self.arena.slot(self.live_id(path)?)?;
        Some(self.owners.of(s.mode))
    }

    /// Whether a live path is at exactly `path` (symlinks not followed).
    pub fn contains(&self, path: &str) -> bool {
        self.live_id(path).is_some()
    }

    /// The layer that deleted `path`, when it existed in some layer and is gone now.
    pub fn deleted(&self, path: &str) -> Option<usize> {
        let id = self.arena.lookup(path)?;
        let s = self.arena.slot(id)?;
        (s.state == State::Dead).then_some(usize::from(s.layer))
    }

    /// Every deleted path with the layer that deleted it, in tree order.
    pub fn deleted_paths(&self) -> impl Iterator<Item = (String, usize)> + '_ {
        self.arena.descendants(ROOT).filter_map(|id| {
            let s = self.arena.slot(id)?;
            (s.state == State::Dead).then(|| (self.arena.path(id), usize::from(s.layer)))
        })
    }

    /// Every live path (`/` first), in tree order: parents before children, siblings by
    /// name. Each path is built as it is yielded.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.live_ids().map(|id| self.arena.path(id))
    }

    /// The live paths whose file name `keep` accepts, in the order of [`MergedFs::paths`];
    /// only those paths are built.
    pub fn paths_named<'a>(
        &'a self,
        keep: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = String> + 'a {
        self.live_ids()
            .filter(move |&id| keep(self.arena.name(id)))
            .map(|id| self.arena.path(id))
    }

    /// Every live node, in the order of [`MergedFs::paths`].
    pub fn nodes(&self) -> impl Iterator<Item = Node> + '_ {
        self.live_ids().map(|id| self.node(id))
    }

    fn live_ids(&self) -> impl Iterator<Item = Id> + '_ {
        std::iter::once(ROOT)
            .chain(self.arena.descendants(ROOT))
            .filter(|&id| self.arena.is(id, State::Live))
    }

    /// How many live paths there are (`/` included).
    pub fn len(&self) -> usize {
        self.arena
            .slots
            .iter()
            .filter(|s| s.state == State::Live)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held on the heap, by the allocator's count of capacity: the memory regression
    /// check of issue 10 divides this by the number of files.
    pub fn heap_bytes(&self) -> usize {
        let history: usize = self.history.values().map(|h| h.capacity() * 4 + 48).sum();
        let changes: usize = self.changes.iter().map(|c| c.capacity() * 8).sum();
        self.arena.heap_bytes()
            + history
            + changes
            + self.written.len() * 64
            + self.owners.heap_bytes()
    }

    /// Resolves `path` the way the kernel would inside the container: every symlink on the
    /// way (parents and the last component, relative or absolute, written by any layer)
    /// is followed, `..` stops at `/`, and a hard link at the end leads to the first
    /// surviving name of its content, where that content's size and artefacts are (a link
    /// whose target never existed is itself the answer).
    /// Returns the real path and its node.
    pub fn resolve(&self, path: &str) -> Result<(String, Node), ResolveError> {
        let id = self.resolve_id(path)?;
        Ok((self.arena.path(id), self.node(id)))
    }

    pub(super) fn resolve_id(&self, path: &str) -> Result<Id, ResolveError> {
        let mut pending: Vec<&str> = path.rsplit('/').collect();
        let mut cur = ROOT;
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            match comp {
                "" | "." => continue,
                ".." => {
                    cur = self.arena.parent(cur);
                    continue;
                }
                _ => {}
            }
            let Some(cand) = self
                .arena
                .find(cur, comp)
                .filter(|&c| self.arena.is(c, State::Live))
            else {
                return Err(ResolveError::NotFound {
                    path: path.to_string(),
                    missing: self.arena.path_with(cur, comp),
                });
            };
            let more = pending.iter().any(|c| !c.is_empty() && *c != ".");
            let not_a_dir = || ResolveError::NotADirectory {
                path: path.to_string(),
                at: self.arena.path(cand),
            };
            let kind = self.arena.slot(cand).map_or(Kind::Other, |s| s.kind);
            let target = match kind {
                Kind::Dir => {
                    cur = cand;
                    continue;
                }
                Kind::Symlink => self.target(cand),
                // Only a link made to nothing (a broken layer) names a missing path.
                Kind::Hardlink if !self.contains(self.target(cand)) => {
                    if more {
                        return Err(not_a_dir());
                    }
                    cur = cand;
                    continue;
                }
                Kind::Hardlink => self.target(cand),
                Kind::File | Kind::Other => {
                    if more {
                        return Err(not_a_dir());
                    }
                    cur = cand;
                    continue;
                }
            };
            hops += 1;
            if hops > SYMLINK_HOP_LIMIT {
                return Err(ResolveError::Loop {
                    path: path.to_string(),
                });
            }
            if target.is_empty() {
                return Err(ResolveError::NotFound {
                    path: path.to_string(),
                    missing: self.arena.path(cand),
                });
            }
            if target.starts_with('/') {
                cur = ROOT;
            }
            pending.extend(target.rsplit('/'));
        }
        if self.arena.is(cur, State::Live) {
            Ok(cur)
        } else {
            Err(ResolveError::NotFound {
                path: path.to_string(),
                missing: self.arena.path(cur),
            })
        }
    }

    /// The entries of a directory (symlinks to it followed), by name.
    pub fn list_dir(&self, path: &str) -> Result<Vec<(&str, Node)>, ResolveError> {
        let id = self.resolve_id(path)?;
        if !self.arena.is_live_dir(id) {
            return Err(ResolveError::NotADirectory {
                path: path.to_string(),
                at: self.arena.path(id),
            });
        }
        Ok(self.children_of(id).collect())
    }

    /// The direct children of the directory at exactly `dir` (no symlink following), in
    /// name order, without walking the subtrees below them.
    pub fn children<'a>(&'a self, dir: &str) -> Children<'a> {
        match self.live_id(dir) {
            Some(id) => self.children_of(id),
            None => Children {
                fs: self,
                ids: None,
            },
        }
    }

    fn children_of(&self, id: Id) -> Children<'_> {
        Children {
            fs: self,
            ids: Some(self.arena.children(id)),
        }
    }

    /// What layer `index` changed relative to the layers below: the "this layer" view.
    pub fn layer_changes(&self, index: usize) -> Vec<LayerChange> {
        let Some(list) = self.changes.get(index) else {
            return Vec::new();
        };
        let layer = layer16(index);
        list.iter()
            .map(|&(id, change)| {
                let entry = (change != Change::Deleted).then(|| {
                    let mut e = self.node(id).entry;
                    if let Some(w) = self.written.get(&(layer, id)) {
                        e.kind = w.kind.clone();
                        e.size = w.size;
                        e.mode = w.mode & super::owner::MODE_BITS;
                    }
                    e
                });
                LayerChange {
                    path: self.arena.path(id),
                    change,
                    entry,
                }
            })
            .collect()
    }

    /// How many paths layer `index` changed.
    pub fn layer_change_count(&self, index: usize) -> usize {
        self.changes.get(index).map_or(0, Vec::len)
    }

    /// Resolves a relative symlink target against the directory of `link` (both as text).
    pub fn link_target(link: &str, target: &str) -> String {
        normalise_str(target, parent(link)).path
    }
}

/// Iterator over a directory's direct children; see [`MergedFs::children`].
pub struct Children<'a> {
    fs: &'a MergedFs,
    ids: Option<super::arena::ChildIds<'a>>,
}

impl<'a> Iterator for Children<'a> {
    type Item = (&'a str, Node);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let id = self.ids.as_mut()?.next()?;
            if self.fs.arena.is(id, State::Live) {
                return Some((self.fs.arena.name(id), self.fs.node(id)));
            }
        }
    }
}

/// One path as [`MergedFs::walk`] hands it out: ids and a borrowed name, no path text.
#[derive(Debug, Clone)]
pub struct WalkItem<'a> {
    /// The path's id (see [`MergedFs::id_of`]); `0` is `/`.
    pub id: u32,
    pub parent: u32,
    pub name: &'a str,
    pub kind: EntryKind,
    pub size: u64,
    pub layer: usize,
    /// Only a parent of live paths in a hand-made tree, not an entry of any layer.
    pub implied: bool,
}

impl MergedFs {
    /// Every live path below `/`, parents before children, siblings by name: how the
    /// explorer builds its tree without a path string per file.
    pub fn walk(&self) -> impl Iterator<Item = WalkItem<'_>> + '_ {
        self.arena.descendants(ROOT).filter_map(|id| {
            let s = self.arena.slot(id)?;
            if s.state == State::Dead {
                return None;
            }
            Some(WalkItem {
                id,
                parent: s.parent,
                name: self.arena.name(id),
                kind: self.entry_kind(id),
                size: s.size,
                layer: usize::from(s.layer),
                implied: s.state == State::Implied,
            })
        })
    }

    /// The id of the live path at exactly `path`.
    pub fn id_of(&self, path: &str) -> Option<u32> {
        self.live_id(path)
    }

    /// One more than the largest id, to size tables indexed by id.
    pub fn id_bound(&self) -> usize {
        self.arena.slots.len()
    }

    /// What layer `layer` did to the path `id`, if anything.
    pub fn change_in(&self, id: u32, layer: usize) -> Option<Change> {
        match self.history.get(&id) {
            Some(h) => h
                .iter()
                .find(|(l, _)| usize::from(*l) == layer)
                .map(|(_, c)| *c),
            None => self
                .arena
                .slot(id)
                .filter(|s| s.state == State::Live && usize::from(s.layer) == layer)
                .map(|_| Change::Added),
        }
    }
}
