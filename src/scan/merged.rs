//! Stacking layer scans into the filesystem a container sees (whiteouts, opaque dirs,
//! per-path history), and the lookups the verdict code and the UI need on it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::detect::Artifact;
use crate::oci::Digest;

use super::arena::{Arena, Id, Kind, ROOT, State};
use super::links::{Links, Settled, rehomed};
use super::owner::{MODE_BITS, Owners, RunCursor};
use super::path::{file_name, parent};
use super::{Change, Entry, EntryKind, LayerScan, Node};

/// Linux gives up with ELOOP after 40 symlinks in one lookup (`MAXSYMLINKS`,
/// include/linux/namei.h); resolution here behaves the same.
pub const SYMLINK_HOP_LIMIT: usize = 40;

/// The most layers one image may have (a slot keeps its layer in 16 bits; real images
/// stop at 127, the overlayfs limit is about 500). `analyze_image` refuses an image with
/// more, so [`MergedFs::build`] never has to drop any.
pub const LAYER_LIMIT: usize = u16::MAX as usize;

/// One path a layer changed, relative to the layers below it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerChange {
    pub path: String,
    pub change: Change,
    /// The entry the layer wrote; `None` for a deletion.
    pub entry: Option<Entry>,
}

/// A path that cannot be resolved in the merged filesystem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{path}: {missing} does not exist in the image")]
    NotFound { path: String, missing: String },
    #[error("{path}: {at} is not a directory")]
    NotADirectory { path: String, at: String },
    #[error(
        "{path}: too many levels of symbolic links (more than {SYMLINK_HOP_LIMIT}): a symlink loop in the image"
    )]
    Loop { path: String },
}

/// What a layer wrote at a path, kept aside once a later layer (or hard-link settling)
/// wrote over it, for that layer's own view.
#[derive(Debug, Clone)]
pub(super) struct Written {
    pub(super) kind: EntryKind,
    pub(super) size: u64,
    pub(super) mode: u32,
}

/// The filesystem a container would see: all layers stacked, whiteouts applied.
///
/// Every path ever written is one slot of an arena (see `arena.rs`); deleted paths keep
/// theirs, with their history. Per-file facts beyond the slot exist only where a file has
/// them: a history other than "added once", a link target, an artefact.
#[derive(Clone, Default)]
pub struct MergedFs {
    /// Layer digests in order, so a node's `layer` index can be named.
    pub layers: Vec<Digest>,
    pub(super) arena: Arena,
    /// Histories other than "added by its layer and left alone" (which is implied).
    pub(super) history: HashMap<Id, Vec<(u16, Change)>>,
    /// Artefacts of live files only (an artefact whose file was deleted or overwritten later
    /// is dropped), with the index of the layer that holds it.
    pub artifacts: Vec<(usize, Artifact)>,
    /// Per layer, the paths it changed, in tree order: the "this layer" view.
    pub(super) changes: Vec<Vec<(Id, Change)>>,
    pub(super) written: HashMap<(u16, Id), Written>,
    /// Per layer, bytes of the files it wrote that a later write or deletion hid: carried
    /// in the layer's blob, never seen in a container (dive's "wasted space").
    pub(super) wasted: Vec<u64>,
    /// Owners other than root, which slots' modes point into.
    pub(super) owners: Owners,
}

impl std::fmt::Debug for MergedFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MergedFs")
            .field("layers", &self.layers)
            .field("paths", &self.arena.slots.len())
            .field("artifacts", &self.artifacts)
            .finish_non_exhaustive()
    }
}

fn kind_of(k: &EntryKind) -> Kind {
    match k {
        EntryKind::File => Kind::File,
        EntryKind::Dir => Kind::Dir,
        EntryKind::Symlink(_) => Kind::Symlink,
        EntryKind::Hardlink(_) => Kind::Hardlink,
        EntryKind::Other => Kind::Other,
    }
}

/// A layer's number as compact records keep it: [`LAYER_LIMIT`] keeps real ones in range.
pub fn layer16(layer: usize) -> u16 {
    u16::try_from(layer).unwrap_or(u16::MAX)
}

const DIR: Entry = Entry {
    path: String::new(),
    kind: EntryKind::Dir,
    size: 0,
    mode: 0o755,
};

/// State used only while building: the layer being stacked, what it changed so far, and
/// the names of hard-linked contents.
struct Builder {
    fs: MergedFs,
    links: Links,
    layer: u16,
    changes: Vec<(Id, Change)>,
    /// The directory of the previous entry: most entries share it.
    last_dir: (String, Id),
    /// The owner of the entry being put, when not root.
    owner: Option<(u32, u32)>,
}

impl Builder {
    /// Deletes `id` (when `include_self`) and every live path below it, as this layer does.
    fn remove_below(&mut self, id: Id, include_self: bool) {
        if !self.fs.arena.is(id, State::Live) {
            return;
        }
        // Below a live path, only live paths have live children: dead subtrees are skipped.
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            if !self.fs.arena.is(n, State::Live) {
                continue;
            }
            stack.extend(self.fs.arena.children(n));
            if (n != id || include_self) && n != ROOT {
                self.kill(n);
            }
        }
    }

    /// Counts the bytes of the live file at `id` as wasted in the layer that wrote them,
    /// before this layer overwrites or deletes it. A name of a hard-linked content is
    /// skipped: the bytes may live on under another name.
    fn discard(&mut self, id: Id) {
        let Some(s) = self.fs.arena.slot(id).copied() else {
            return;
        };
        if s.state != State::Live || s.kind != Kind::File || self.links.has(id) {
            return;
        }
        let l = usize::from(s.layer);
        if self.fs.wasted.len() <= l {
            self.fs.wasted.resize(l + 1, 0);
        }
        self.fs.wasted[l] = self.fs.wasted[l].saturating_add(s.size);
    }

    fn kill(&mut self, id: Id) {
        self.discard(id);
        self.links.forget(id);
        let mut h = self.fs.take_history(id);
        h.push((self.layer, Change::Deleted));
        self.fs.history.insert(id, h);
        if let Some(s) = self.fs.arena.slot_mut(id) {
            s.state = State::Dead;
            s.layer = self.layer;
        }
        self.changes.push((id, Change::Deleted));
    }

    fn put(&mut self, entry: &Entry) {
        if entry.path == "/" {
            self.put_one(ROOT, entry);
            return;
        }
        let (dir, name) = (parent(&entry.path), file_name(&entry.path));
        let dir_id = if self.last_dir.0 == dir {
            Some(self.last_dir.1)
        } else {
            let found = self.fs.arena.lookup(dir);
            if let Some(id) = found {
                // A path keeps its id for the whole build, so this stays true.
                self.last_dir = (dir.to_string(), id);
            }
            found
        };
        if let Some(d) = dir_id.filter(|&d| self.fs.arena.is_live_dir(d)) {
            self.put_child(d, name, entry);
            return;
        }
        // Slow path: a parent is missing, or is not a directory. A symlinked parent is
        // written through (containerd resolves parents inside the root); anything else
        // in the way becomes a directory, as extraction would make it.
        if let Ok(real) = self.fs.resolve_id(dir)
            && self.fs.arena.is_live_dir(real)
            && Some(real) != dir_id
        {
            self.put_child(real, name, entry);
            return;
        }
        let mut cur = ROOT;
        for comp in dir.split('/').filter(|c| !c.is_empty()) {
            let Some(id) = self.fs.arena.find_or_add(cur, comp) else {
                return;
            };
            if !self.fs.arena.is_live_dir(id) {
                self.put_one(id, &DIR);
            }
            cur = id;
        }
        self.put_child(cur, name, entry);
    }

    fn put_child(&mut self, dir: Id, name: &str, entry: &Entry) {
        // Only a full arena (billions of paths) refuses a name.
        if let Some(id) = self.fs.arena.find_or_add(dir, name) {
            self.put_one(id, entry);
        }
    }

    /// What a hard link entry at `id` becomes when extracted now: a name of its target's
    /// content, or a copy of the symlink or device it names. The target's parents are
    /// resolved and the target itself is not followed, as containerd's applier links it.
    fn hard_link(&mut self, id: Id, entry: &Entry) -> EntryKind {
        let EntryKind::Hardlink(target) = &entry.kind else {
            return entry.kind.clone();
        };
        let arena = &self.fs.arena;
        let key = match self.fs.resolve_id(parent(target)) {
            Ok(dir) if arena.is_live_dir(dir) => arena.find(dir, file_name(target)),
            _ => None,
        };
        let Some((key, slot)) = key
            .filter(|&k| k != id && arena.is(k, State::Live))
            .and_then(|k| Some((k, *arena.slot(k)?)))
        else {
            return entry.kind.clone();
        };
        match slot.kind {
            Kind::Symlink => EntryKind::Symlink(self.fs.target(key).to_string()),
            Kind::Other => EntryKind::Other,
            _ => {
                let linked = self.links.link(
                    id,
                    key,
                    slot.kind == Kind::File,
                    usize::from(slot.layer),
                    slot.size,
                );
                if linked {
                    EntryKind::Hardlink(arena.path(key))
                } else {
                    entry.kind.clone()
                }
            }
        }
    }

    fn put_one(&mut self, id: Id, entry: &Entry) {
        self.discard(id);
        self.links.forget(id);
        let kind = self.hard_link(id, entry);
        let layer = self.layer;
        let Some(old) = self.fs.arena.slot(id).copied() else {
            return;
        };
        let was_live = old.state == State::Live;
        if was_live && old.kind == Kind::Dir && kind != EntryKind::Dir {
            self.remove_below(id, false);
        }
        self.fs.set_aside(id, layer);
        let mut h = self.fs.take_history(id);
        let change = if was_live {
            match h.last() {
                // Written twice by the same layer: still one change.
                Some(&(l, c)) if l == layer => {
                    h.pop();
                    c
                }
                _ => Change::Modified,
            }
        } else if old.state == State::Dead && old.layer == layer {
            // Deleted by this very layer (an opaque dir or whiteout) and written again:
            // relative to the layers below, the path changed.
            h.pop();
            Change::Modified
        } else {
            Change::Added
        };
        h.push((layer, change));
        if h.as_slice() != [(layer, Change::Added)] {
            self.fs.history.insert(id, h);
        }
        let mode = self.fs.owners.pack(entry.mode, self.owner);
        self.fs.store(id, &kind, entry.size, mode, layer);
        self.changes.push((id, change));
    }

    /// Closes the layer being stacked: one change per path, the last one it made.
    fn finish_layer(&mut self) {
        let mut seen = vec![false; self.fs.arena.slots.len()];
        let mut keep = vec![false; self.changes.len()];
        for (i, &(id, _)) in self.changes.iter().enumerate().rev() {
            if let (Some(s), Some(k)) = (seen.get_mut(id as usize), keep.get_mut(i))
                && !*s
            {
                *s = true;
                *k = true;
            }
        }
        let mut keep = keep.into_iter();
        let mut kept = std::mem::take(&mut self.changes);
        kept.retain(|_| keep.next().unwrap_or(false));
        self.fs.changes.push(kept);
    }
}

impl MergedFs {
    /// Stacks layer scans, lowest first. Within a layer, its whiteouts and opaque markers
    /// apply to the layers below only, never to the same layer's own entries.
    /// Layers past [`LAYER_LIMIT`] are not stacked; callers refuse such images first.
    pub fn build(layers: &[(Digest, &LayerScan)]) -> MergedFs {
        let layers = layers.get(..LAYER_LIMIT).unwrap_or(layers);
        let mut b = Builder {
            fs: MergedFs {
                layers: layers.iter().map(|(d, _)| d.clone()).collect(),
                ..MergedFs::default()
            },
            links: Links::default(),
            layer: 0,
            changes: Vec::new(),
            last_dir: (String::new(), ROOT),
            owner: None,
        };
        if !layers.is_empty()
            && let Some(root) = b.fs.arena.slot_mut(ROOT)
        {
            root.state = State::Live;
        }
        for (i, (_, scan)) in layers.iter().enumerate() {
            b.layer = layer16(i);
            for dir in &scan.opaque_dirs {
                if let Some(id) = b.fs.arena.lookup(dir) {
                    b.remove_below(id, false);
                }
            }
            for path in &scan.whiteouts {
                if let Some(id) = b.fs.arena.lookup(path) {
                    b.remove_below(id, true);
                }
            }
            let (mut entries, mut owners) = (scan.entries.cursor(), RunCursor::new(&scan.owners));
            let mut index = 0;
            while let Some(e) = entries.next() {
                b.owner = owners.at(index);
                index += 1;
                b.put(e);
            }
            b.finish_layer();
        }
        let (mut fs, links) = (b.fs, b.links);
        let (rewrites, rehome) = links.settle();
        for (id, to) in rewrites {
            let Some(s) = fs.arena.slot(id).copied() else {
                continue;
            };
            fs.set_aside(id, u16::MAX);
            match to {
                Settled::File { size } => fs.store(id, &EntryKind::File, size, s.mode, s.layer),
                Settled::Link { to } => {
                    let kind = EntryKind::Hardlink(fs.arena.path(to));
                    fs.store(id, &kind, 0, s.mode, s.layer);
                }
            }
        }
        let rehome: HashMap<(usize, String), String> = rehome
            .into_iter()
            .map(|((l, from), to)| ((l, fs.arena.path(from)), fs.arena.path(to)))
            .collect();
        fs.finish_order();
        for (i, (_, scan)) in layers.iter().enumerate() {
            for a in &scan.artifacts {
                let mut file = match &a.container {
                    Some(c) => c.as_str(),
                    None => a.path.split('!').next().unwrap_or(&a.path),
                };
                // A library in a jar nested in a fat jar names the inner jar as its
                // container; only the outermost archive is a file in the layer.
                while !fs.contains(file) {
                    match file.rsplit_once("!/") {
                        Some((outer, _)) => file = outer,
                        None => break,
                    }
                }
                // A hard link outlived this file's name: the content lives on under it.
                let moved_to = if rehome.is_empty() {
                    None
                } else {
                    rehome.get(&(i, file.to_string()))
                };
                if let Some(to) = moved_to {
                    let moved = rehomed(a, file, to);
                    fs.artifacts.push((i, moved));
                    continue;
                }
                let live = fs
                    .live_id(file)
                    .and_then(|id| fs.arena.slot(id))
                    .is_some_and(|s| usize::from(s.layer) == i && s.kind == Kind::File);
                if live {
                    fs.artifacts.push((i, a.clone()));
                }
            }
        }
        fs
    }

    /// Bytes of files layer `index` wrote that later writes or deletions hid.
    pub fn wasted_bytes(&self, index: usize) -> u64 {
        self.wasted.get(index).copied().unwrap_or(0)
    }

    /// Bytes of all files the layers carry that the container never sees.
    pub fn wasted_total(&self) -> u64 {
        self.wasted.iter().fold(0, |a, &b| a.saturating_add(b))
    }

    /// A filesystem of exactly these live nodes (their parents implied, not entries) and
    /// no layer changes: for hand-made images in tests and fixtures.
    pub fn from_nodes(
        layers: Vec<Digest>,
        nodes: impl IntoIterator<Item = Node>,
        artifacts: Vec<(usize, Artifact)>,
    ) -> MergedFs {
        let mut fs = MergedFs {
            changes: vec![Vec::new(); layers.len()],
            layers,
            artifacts,
            ..MergedFs::default()
        };
        for n in nodes {
            let mut cur = Some(ROOT);
            for comp in n.entry.path.split('/').filter(|c| !c.is_empty()) {
                cur = cur.and_then(|c| fs.arena.find_or_add(c, comp));
            }
            let Some(id) = cur else {
                continue;
            };
            let layer = layer16(n.layer);
            fs.store(id, &n.entry.kind, n.entry.size, n.entry.mode, layer);
            let h: Vec<(u16, Change)> = n.history.iter().map(|&(l, c)| (layer16(l), c)).collect();
            if h.as_slice() != [(layer, Change::Added)] {
                fs.history.insert(id, h);
            }
        }
        fs.finish_order();
        fs
    }

    /// Sorts child lists by name and each layer's changes in tree order.
    fn finish_order(&mut self) {
        self.arena.sort_children();
        let mut rank = vec![0u32; self.arena.slots.len()];
        for (i, id) in self.arena.descendants(ROOT).enumerate() {
            if let Some(r) = rank.get_mut(id as usize) {
                *r = u32::try_from(i + 1).unwrap_or(u32::MAX);
            }
        }
        for layer in &mut self.changes {
            layer.sort_by_key(|&(id, _)| rank.get(id as usize).copied().unwrap_or(0));
            layer.shrink_to_fit();
        }
        self.arena.shrink_to_fit();
    }

    /// Writes a slot's contents (the path becomes live).
    fn store(&mut self, id: Id, kind: &EntryKind, size: u64, mode: u32, layer: u16) {
        match kind {
            EntryKind::Symlink(t) | EntryKind::Hardlink(t) => {
                self.arena.targets.insert(id, t.as_str().into());
            }
            _ => {
                self.arena.targets.remove(&id);
            }
        }
        if let Some(s) = self.arena.slot_mut(id) {
            s.kind = kind_of(kind);
            s.size = size;
            s.mode = mode;
            s.layer = layer;
            s.state = State::Live;
        }
    }

    /// Before `id` is written over by `layer`, keeps what the layer that wrote it last
    /// wrote, so that layer's own view still shows it.
    fn set_aside(&mut self, id: Id, layer: u16) {
        let Some(s) = self.arena.slot(id).copied() else {
            return;
        };
        let writer = match s.state {
            State::Live => Some(s.layer),
            State::Dead => self.history.get(&id).and_then(|h| {
                h.iter()
                    .rev()
                    .find(|(_, c)| *c != Change::Deleted)
                    .map(|(l, _)| *l)
            }),
            State::Implied => None,
        };
        if let Some(w) = writer.filter(|&w| w != layer) {
            let kind = self.entry_kind(id);
            self.written.entry((w, id)).or_insert(Written {
                kind,
                size: s.size,
                mode: s.mode,
            });
        }
    }

    /// The history of `id`, taken out of the table (or the implied one-step history).
    fn take_history(&mut self, id: Id) -> Vec<(u16, Change)> {
        if let Some(h) = self.history.remove(&id) {
            return h;
        }
        match self.arena.slot(id) {
            Some(s) if s.state == State::Live => vec![(s.layer, Change::Added)],
            _ => Vec::new(),
        }
    }

    pub(super) fn history_of(&self, id: Id) -> Vec<(usize, Change)> {
        match self.history.get(&id) {
            Some(h) => h.iter().map(|&(l, c)| (usize::from(l), c)).collect(),
            None => match self.arena.slot(id) {
                Some(s) if s.state == State::Live => vec![(usize::from(s.layer), Change::Added)],
                _ => Vec::new(),
            },
        }
    }

    pub(super) fn target(&self, id: Id) -> &str {
        self.arena.targets.get(&id).map_or("", |t| t)
    }

    pub(super) fn entry_kind(&self, id: Id) -> EntryKind {
        match self.arena.slot(id).map(|s| s.kind) {
            Some(Kind::File) => EntryKind::File,
            Some(Kind::Dir) | None => EntryKind::Dir,
            Some(Kind::Symlink) => EntryKind::Symlink(self.target(id).to_string()),
            Some(Kind::Hardlink) => EntryKind::Hardlink(self.target(id).to_string()),
            Some(Kind::Other) => EntryKind::Other,
        }
    }

    pub(super) fn node(&self, id: Id) -> Node {
        let s = self.arena.slot(id);
        Node {
            entry: Entry {
                path: self.arena.path(id),
                kind: self.entry_kind(id),
                size: s.map_or(0, |s| s.size),
                mode: s.map_or(0, |s| s.mode & MODE_BITS),
            },
            layer: s.map_or(0, |s| usize::from(s.layer)),
            history: self.history_of(id),
        }
    }

    pub(super) fn live_id(&self, path: &str) -> Option<Id> {
        self.arena
            .lookup(path)
            .filter(|&id| self.arena.is(id, State::Live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Artifact, Details, JarInfo, Kind};
    use crate::scan::Entries;

    fn artifact(path: &str, container: Option<&str>) -> Artifact {
        Artifact {
            path: path.to_string(),
            container: container.map(str::to_string),
            kind: Kind::JniLibrary,
            arch: None,
            libc: None,
            interpreter: None,
            details: Details::Jar(JarInfo::default()),
            sha256: None,
        }
    }

    // Regression: JNI libraries two jars deep (`/app/app.jar!/BOOT-INF/lib/x.jar!/y.so`)
    // were dropped because their container is not itself a file of the layer.
    #[test]
    fn artifacts_nested_two_jars_deep_are_kept_and_die_with_their_file() {
        let inner = "/app/app.jar!/BOOT-INF/lib/x.jar";
        let lib = format!("{inner}!/META-INF/native/libx_aarch_64.so");
        let scan = LayerScan {
            entries: vec![Entry {
                path: "/app/app.jar".into(),
                kind: EntryKind::File,
                size: 1,
                mode: 0o644,
            }]
            .into(),
            artifacts: vec![
                artifact(inner, Some("/app/app.jar")),
                artifact(&lib, Some(inner)),
            ],
            ..LayerScan::default()
        };
        let d = Digest::sha256_of(b"layer");
        let fs = MergedFs::build(&[(d.clone(), &scan)]);
        let paths: Vec<&str> = fs.artifacts.iter().map(|(_, a)| a.path.as_str()).collect();
        assert_eq!(paths, [inner, lib.as_str()]);

        let gone = LayerScan {
            whiteouts: vec!["/app/app.jar".into()],
            ..LayerScan::default()
        };
        let fs = MergedFs::build(&[(d.clone(), &scan), (d, &gone)]);
        assert!(fs.artifacts.is_empty(), "{:?}", fs.artifacts);
    }

    fn entry(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
        }
    }

    fn stack(layers: &[LayerScan]) -> MergedFs {
        let with: Vec<(Digest, &LayerScan)> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| (Digest::sha256_of(format!("{i}").as_bytes()), l))
            .collect();
        MergedFs::build(&with)
    }

    #[test]
    fn a_layer_overwritten_later_still_shows_what_it_wrote() {
        let lower = LayerScan {
            entries: vec![
                entry("/etc/conf", EntryKind::File, 10),
                entry("/bin/sh", EntryKind::Symlink("dash".into()), 0),
            ]
            .into(),
            ..LayerScan::default()
        };
        let upper = LayerScan {
            entries: vec![
                entry("/etc/conf", EntryKind::File, 99),
                entry("/bin/sh", EntryKind::File, 5),
            ]
            .into(),
            ..LayerScan::default()
        };
        let fs = stack(&[lower, upper]);
        assert_eq!(fs.get("/etc/conf").unwrap().entry.size, 99);
        assert_eq!(fs.get("/bin/sh").unwrap().entry.kind, EntryKind::File);
        let own: Vec<(String, Change, Option<EntryKind>, u64)> = fs
            .layer_changes(0)
            .into_iter()
            .map(|c| {
                let size = c.entry.as_ref().map_or(0, |e| e.size);
                (c.path, c.change, c.entry.map(|e| e.kind), size)
            })
            .collect();
        assert_eq!(
            own,
            [
                ("/bin".into(), Change::Added, Some(EntryKind::Dir), 0),
                (
                    "/bin/sh".into(),
                    Change::Added,
                    Some(EntryKind::Symlink("dash".into())),
                    0
                ),
                ("/etc".into(), Change::Added, Some(EntryKind::Dir), 0),
                ("/etc/conf".into(), Change::Added, Some(EntryKind::File), 10),
            ]
        );
        let top = fs.layer_changes(1);
        assert_eq!(top.len(), 2);
        assert!(top.iter().all(|c| c.change == Change::Modified), "{top:?}");
    }

    #[test]
    fn deleted_paths_keep_their_place_and_paths_come_out_in_tree_order() {
        let lower = LayerScan {
            entries: vec![
                entry("/b/x", EntryKind::File, 1),
                entry("/a", EntryKind::File, 1),
                entry("/b/w", EntryKind::File, 1),
            ]
            .into(),
            ..LayerScan::default()
        };
        let upper = LayerScan {
            whiteouts: vec!["/b".into()],
            ..LayerScan::default()
        };
        let fs = stack(&[lower.clone(), upper]);
        assert_eq!(fs.paths().collect::<Vec<_>>(), ["/", "/a"]);
        let gone: Vec<(String, usize)> = fs.deleted_paths().collect();
        assert_eq!(
            gone,
            [("/b".into(), 1), ("/b/w".into(), 1), ("/b/x".into(), 1)]
        );
        assert_eq!(fs.deleted("/b/w"), Some(1));
        assert!(!fs.contains("/b"));
        let fs = stack(&[lower]);
        assert_eq!(
            fs.paths().collect::<Vec<_>>(),
            ["/", "/a", "/b", "/b/w", "/b/x"]
        );
        assert_eq!(fs.len(), 5);
    }

    #[test]
    fn bytes_overwritten_or_deleted_later_are_wasted_in_the_layer_that_wrote_them() {
        let base = LayerScan {
            entries: vec![
                entry("/etc/conf", EntryKind::File, 10),
                entry("/cache/big", EntryKind::File, 1000),
                entry("/cache/small", EntryKind::File, 24),
                entry("/keep", EntryKind::File, 7),
            ]
            .into(),
            ..LayerScan::default()
        };
        let edit = LayerScan {
            entries: vec![
                entry("/etc/conf", EntryKind::File, 12),
                entry("/tmp/x", EntryKind::File, 300),
            ]
            .into(),
            ..LayerScan::default()
        };
        let clean = LayerScan {
            whiteouts: vec!["/cache".into(), "/tmp/x".into()],
            ..LayerScan::default()
        };
        let fs = stack(&[base, edit, clean]);
        assert_eq!(fs.wasted_bytes(0), 10 + 1000 + 24);
        assert_eq!(fs.wasted_bytes(1), 300);
        assert_eq!(fs.wasted_bytes(2), 0);
        assert_eq!(fs.wasted_total(), 1334);
        assert_eq!(fs.get("/etc/conf").unwrap().entry.size, 12);
    }

    // Memory regression for issue 10, by the structure's own accounting (not a timed or
    // RSS test): the merged filesystem and the packed layer entries of many small files.
    #[test]
    fn many_small_files_cost_well_under_100_bytes_each() {
        let files = 50_000usize;
        let mut entries = Entries::default();
        for i in 0..files {
            if i % 1000 == 0 {
                entries.push(&entry(
                    &format!("/data/d{:04}", i / 1000),
                    EntryKind::Dir,
                    0,
                ));
            }
            let path = format!("/data/d{:04}/f{i:07}.txt", i / 1000);
            entries.push(&entry(&path, EntryKind::File, 3));
        }
        entries.shrink_to_fit();
        let scan = LayerScan {
            entries,
            ..LayerScan::default()
        };
        let fs = stack(std::slice::from_ref(&scan));
        assert_eq!(fs.len(), files + files / 1000 + 2);
        let merged = fs.heap_bytes() / files;
        let packed = scan.entries.heap_bytes() / files;
        assert!(merged <= 72, "merged filesystem: {merged} bytes a file");
        assert!(packed <= 16, "layer entries: {packed} bytes a file");
    }
}
