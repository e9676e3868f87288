//! Stacking layer scans into the filesystem a container sees (whiteouts, opaque dirs,
//! per-path history), and the lookups the verdict code and the UI need on it.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::oci::Digest;

use super::links::{Links, rehomed};
use super::path::{file_name, is_within, join, normalise_str, parent};
use super::{Change, Entry, EntryKind, LayerScan, MergedFs, Node};

/// Linux gives up with ELOOP after 40 symlinks in one lookup (`MAXSYMLINKS`,
/// include/linux/namei.h); resolution here behaves the same.
pub const SYMLINK_HOP_LIMIT: usize = 40;

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

/// State used only while building: histories of deleted paths, so a path re-added later
/// keeps its whole story, and the names of hard-linked contents.
struct Builder {
    fs: MergedFs,
    graveyard: HashMap<String, Vec<(usize, Change)>>,
    links: Links,
}

impl Builder {
    /// Removes `path` (when `include_self`) and everything below it, as layer `layer` does.
    fn remove_below(
        &mut self,
        path: &str,
        include_self: bool,
        layer: usize,
        changes: &mut BTreeMap<String, LayerChange>,
    ) {
        let doomed: Vec<String> = self
            .fs
            .nodes
            .range::<str, _>((Bound::Included(path), Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(path))
            .filter(|k| is_within(k, path) && (include_self || k.as_str() != path))
            .filter(|k| k.as_str() != "/")
            .cloned()
            .collect();
        for key in doomed {
            let Some(mut node) = self.fs.nodes.remove(&key) else {
                continue;
            };
            self.links.forget(&key);
            node.history.push((layer, Change::Deleted));
            self.graveyard.insert(key.clone(), node.history);
            self.fs.deleted.insert(key.clone(), layer);
            changes.insert(
                key.clone(),
                LayerChange {
                    path: key,
                    change: Change::Deleted,
                    entry: None,
                },
            );
        }
    }

    fn put(&mut self, entry: &Entry, layer: usize, changes: &mut BTreeMap<String, LayerChange>) {
        let dir = parent(&entry.path);
        let parent_is_dir = self
            .fs
            .nodes
            .get(dir)
            .is_some_and(|n| n.entry.kind == EntryKind::Dir);
        if parent_is_dir {
            self.put_one(entry.clone(), layer, changes);
            return;
        }
        // Slow path: a parent is missing, or is not a directory. A symlinked parent is
        // written through (containerd resolves parents inside the root); anything else
        // in the way becomes a directory, as extraction would make it.
        if let Ok((real, node)) = self.fs.resolve(dir)
            && node.entry.kind == EntryKind::Dir
            && real != dir
        {
            let mut moved = entry.clone();
            moved.path = join(&real, file_name(&entry.path));
            self.put_one(moved, layer, changes);
            return;
        }
        let mut ancestors = Vec::new();
        let mut a = dir;
        while a != "/" {
            ancestors.push(a.to_string());
            a = parent(a);
        }
        for a in ancestors.into_iter().rev() {
            let is_dir = self
                .fs
                .nodes
                .get(&a)
                .is_some_and(|n| n.entry.kind == EntryKind::Dir);
            if !is_dir {
                let synth = Entry {
                    path: a,
                    kind: EntryKind::Dir,
                    size: 0,
                    mode: 0o755,
                };
                self.put_one(synth, layer, changes);
            }
        }
        self.put_one(entry.clone(), layer, changes);
    }

    /// What a hard link entry becomes when extracted now: a name of its target's content,
    /// or a copy of the symlink or device it names. The target's parents are resolved and
    /// the target itself is not followed, as containerd's applier links it.
    fn hard_link(&mut self, mut entry: Entry) -> Entry {
        let EntryKind::Hardlink(target) = &entry.kind else {
            return entry;
        };
        let key = match self.fs.resolve(parent(target)) {
            Ok((dir, n)) if n.entry.kind == EntryKind::Dir => join(&dir, file_name(target)),
            _ => return entry,
        };
        let Some(node) = self.fs.nodes.get(&key).filter(|_| key != entry.path) else {
            return entry;
        };
        match &node.entry.kind {
            EntryKind::Symlink(t) => entry.kind = EntryKind::Symlink(t.clone()),
            EntryKind::Other => entry.kind = EntryKind::Other,
            _ => {
                if self.links.link(&entry.path, &key, node) {
                    entry.kind = EntryKind::Hardlink(key);
                }
            }
        }
        entry
    }

    fn put_one(&mut self, entry: Entry, layer: usize, changes: &mut BTreeMap<String, LayerChange>) {
        let path = entry.path.clone();
        self.links.forget(&path);
        let entry = self.hard_link(entry);
        let replaces_dir = self
            .fs
            .nodes
            .get(&path)
            .is_some_and(|n| n.entry.kind == EntryKind::Dir && entry.kind != EntryKind::Dir);
        if replaces_dir {
            self.remove_below(&path, false, layer, changes);
        }
        let deleted_here = changes
            .get(&path)
            .is_some_and(|c| c.change == Change::Deleted);
        let (history, change) = match self.fs.nodes.remove(&path) {
            Some(old) => {
                let mut h = old.history;
                let change = match h.last() {
                    // Written twice by the same layer: still one change.
                    Some(&(l, c)) if l == layer => {
                        h.pop();
                        c
                    }
                    _ => Change::Modified,
                };
                h.push((layer, change));
                (h, change)
            }
            None => {
                let mut h = self.graveyard.remove(&path).unwrap_or_default();
                self.fs.deleted.remove(&path);
                // Deleted by this very layer (an opaque dir or whiteout) and written again:
                // relative to the layers below, the path changed.
                let change = if deleted_here {
                    h.pop();
                    Change::Modified
                } else {
                    Change::Added
                };
                h.push((layer, change));
                (h, change)
            }
        };
        changes.insert(
            path.clone(),
            LayerChange {
                path: path.clone(),
                change,
                entry: Some(entry.clone()),
            },
        );
        self.fs.nodes.insert(
            path,
            Node {
                entry,
                layer,
                history,
            },
        );
    }
}

impl MergedFs {
    /// Stacks layer scans, lowest first. Within a layer, its whiteouts and opaque markers
    /// apply to the layers below only, never to the same layer's own entries.
    pub fn build(layers: &[(Digest, &LayerScan)]) -> MergedFs {
        let mut b = Builder {
            fs: MergedFs {
                layers: layers.iter().map(|(d, _)| d.clone()).collect(),
                ..MergedFs::default()
            },
            graveyard: HashMap::new(),
            links: Links::default(),
        };
        if !layers.is_empty() {
            b.fs.nodes.insert(
                "/".to_string(),
                Node {
                    entry: Entry {
                        path: "/".to_string(),
                        kind: EntryKind::Dir,
                        size: 0,
                        mode: 0o755,
                    },
                    layer: 0,
                    history: vec![(0, Change::Added)],
                },
            );
        }
        for (i, (_, scan)) in layers.iter().enumerate() {
            let mut changes = BTreeMap::new();
            for dir in &scan.opaque_dirs {
                b.remove_below(dir, false, i, &mut changes);
            }
            for path in &scan.whiteouts {
                b.remove_below(path, true, i, &mut changes);
            }
            for entry in &scan.entries {
                b.put(entry, i, &mut changes);
            }
            b.fs.changes.push(changes.into_values().collect());
        }
        let mut fs = b.fs;
        let rehome = b.links.settle(&mut fs.nodes);
        for (i, (_, scan)) in layers.iter().enumerate() {
            for a in &scan.artifacts {
                let mut file = match &a.container {
                    Some(c) => c.as_str(),
                    None => a.path.split('!').next().unwrap_or(&a.path),
                };
                // A library in a jar nested in a fat jar names the inner jar as its
                // container; only the outermost archive is a file in the layer.
                while !fs.nodes.contains_key(file) {
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
                    .nodes
                    .get(file)
                    .is_some_and(|n| n.layer == i && n.entry.kind == EntryKind::File);
                if live {
                    fs.artifacts.push((i, a.clone()));
                }
            }
        }
        fs
    }

    /// The node at exactly this normalised absolute path, symlinks not followed.
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Resolves `path` the way the kernel would inside the container: every symlink on the
    /// way (parents and the last component, relative or absolute, written by any layer)
    /// is followed, `..` stops at `/`, and a hard link at the end leads to the first
    /// surviving name of its content, where that content's size and artefacts are (a link
    /// whose target never existed is itself the answer).
    /// Returns the real path and its node.
    pub fn resolve(&self, path: &str) -> Result<(String, &Node), ResolveError> {
        let err_path = path.to_string();
        let mut pending: Vec<String> = path.rsplit('/').map(str::to_string).collect();
        let mut cur = String::from("/");
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            match comp.as_str() {
                "" | "." => continue,
                ".." => {
                    cur = parent(&cur).to_string();
                    continue;
                }
                _ => {}
            }
            let candidate = join(&cur, &comp);
            let Some(node) = self.nodes.get(&candidate) else {
                return Err(ResolveError::NotFound {
                    path: err_path,
                    missing: candidate,
                });
            };
            let more = pending.iter().any(|c| !c.is_empty() && c != ".");
            let target = match &node.entry.kind {
                EntryKind::Dir => {
                    cur = candidate;
                    continue;
                }
                EntryKind::Symlink(t) => t.as_str(),
                // Only a link made to nothing (a broken layer) names a missing path.
                EntryKind::Hardlink(t) if !self.nodes.contains_key(t.as_str()) => {
                    if more {
                        return Err(ResolveError::NotADirectory {
                            path: err_path,
                            at: candidate,
                        });
                    }
                    cur = candidate;
                    continue;
                }
                EntryKind::Hardlink(t) => t.as_str(),
                EntryKind::File | EntryKind::Other => {
                    if more {
                        return Err(ResolveError::NotADirectory {
                            path: err_path,
                            at: candidate,
                        });
                    }
                    cur = candidate;
                    continue;
                }
            };
            hops += 1;
            if hops > SYMLINK_HOP_LIMIT {
                return Err(ResolveError::Loop { path: err_path });
            }
            if target.is_empty() {
                return Err(ResolveError::NotFound {
                    path: err_path,
                    missing: candidate,
                });
            }
            if target.starts_with('/') {
                cur = String::from("/");
            }
            pending.extend(target.rsplit('/').map(str::to_string));
        }
        match self.nodes.get(&cur) {
            Some(node) => Ok((cur, node)),
            None => Err(ResolveError::NotFound {
                path: err_path,
                missing: cur,
            }),
        }
    }

    /// The entries of a directory (symlinks to it followed), by name.
    pub fn list_dir(&self, path: &str) -> Result<Vec<(&str, &Node)>, ResolveError> {
        let (real, node) = self.resolve(path)?;
        if node.entry.kind != EntryKind::Dir {
            return Err(ResolveError::NotADirectory {
                path: path.to_string(),
                at: real,
            });
        }
        Ok(self.children(&real).collect())
    }

    /// The direct children of the directory at exactly `dir` (no symlink following), in
    /// name order, without walking the subtrees below them.
    pub fn children<'a>(&'a self, dir: &str) -> Children<'a> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        Children {
            nodes: &self.nodes,
            from: prefix.clone(),
            inclusive: true,
            prefix,
        }
    }

    /// What layer `index` changed relative to the layers below: the "this layer" view.
    pub fn layer_changes(&self, index: usize) -> &[LayerChange] {
        self.changes.get(index).map_or(&[], Vec::as_slice)
    }

    /// Resolves a relative symlink target against the directory of `link` (both as text).
    pub fn link_target(link: &str, target: &str) -> String {
        normalise_str(target, parent(link)).path
    }
}

/// Iterator over a directory's direct children; see [`MergedFs::children`].
pub struct Children<'a> {
    nodes: &'a BTreeMap<String, Node>,
    prefix: String,
    from: String,
    inclusive: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let lower = if self.inclusive {
                Bound::Included(self.from.as_str())
            } else {
                Bound::Excluded(self.from.as_str())
            };
            let (key, node) = self
                .nodes
                .range::<str, _>((lower, Bound::Unbounded))
                .next()?;
            let rest = key.strip_prefix(self.prefix.as_str())?;
            if rest.is_empty() {
                // The directory itself when listing `/`.
                self.from = key.clone();
                self.inclusive = false;
                continue;
            }
            match rest.find('/') {
                None => {
                    self.from = key.clone();
                    self.inclusive = false;
                    return Some((rest, node));
                }
                Some(slash) => {
                    // Inside a child's subtree: jump past it. '0' is the byte after '/'.
                    self.from = format!("{}{}0", self.prefix, &rest[..slash]);
                    self.inclusive = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Artifact, Details, JarInfo, Kind};

    fn artifact(path: &str, container: Option<&str>) -> Artifact {
        Artifact {
            path: path.to_string(),
            container: container.map(str::to_string),
            kind: Kind::JniLibrary,
            arch: None,
            libc: None,
            interpreter: None,
            details: Details::Jar(JarInfo::default()),
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
            }],
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
}
