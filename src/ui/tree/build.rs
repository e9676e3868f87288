//! Building a tree from an image: the merged filesystem or one layer's changes, with each
//! file's artefact mark; missing parent directories are made on the way.

use super::*;

impl Tree {
    /// Builds a tree from files in any order; missing parent directories are created.
    /// `marks` gives the artefact mark of a path (absolute, as in the items).
    pub fn build<'a>(
        items: impl IntoIterator<Item = Item<'a>>,
        marks: &HashMap<&str, ArchMark>,
    ) -> Tree {
        let mut nodes = vec![Node {
            name: "/".into(),
            parent: ROOT,
            depth: 0,
            kind: NodeKind::Dir,
            size: 0,
            change: None,
            mark: ArchMark::None,
            layer: 0,
            children: Vec::new(),
            native_below: 0,
            mismatch_below: 0,
            culprit: false,
        }];
        // Directories by (parent, name): lookups cost the path's components, never its
        // full length per level, so a hostile deep path stays linear.
        let mut dirs: HashMap<(u32, &'a str), u32> = HashMap::new();
        // Items come mostly grouped by directory: remember the last parent found.
        let mut last_parent: Option<(&'a str, u32)> = None;
        for item in items {
            let path: &'a str = item.path.trim_end_matches('/');
            if path.is_empty() || path == "/" {
                continue;
            }
            let (parent_path, name): (&'a str, &'a str) = match path.rfind('/') {
                Some(0) => ("/", &path[1..]),
                Some(i) => (&path[..i], &path[i + 1..]),
                None => ("/", path),
            };
            let parent = match last_parent {
                Some((p, id)) if p == parent_path => id,
                _ => {
                    let id = ensure_dir(&mut nodes, &mut dirs, parent_path, item.layer);
                    last_parent = Some((parent_path, id));
                    id
                }
            };
            let existing = if item.kind == NodeKind::Dir {
                dirs.get(&(parent, name)).copied()
            } else {
                None
            };
            let id = match existing {
                Some(id) => id,
                None => {
                    let id = nodes.len() as u32;
                    let depth = nodes[parent as usize].depth.saturating_add(1);
                    nodes.push(Node {
                        name: name.into(),
                        parent,
                        depth,
                        kind: item.kind.clone(),
                        size: 0,
                        change: None,
                        mark: ArchMark::None,
                        layer: item.layer,
                        children: Vec::new(),
                        native_below: 0,
                        mismatch_below: 0,
                        culprit: false,
                    });
                    nodes[parent as usize].children.push(id);
                    if item.kind == NodeKind::Dir {
                        dirs.insert((parent, name), id);
                    }
                    id
                }
            };
            let n = &mut nodes[id as usize];
            n.layer = item.layer;
            n.change = item.change;
            if !n.is_dir() {
                n.size = item.size;
                if let Some(m) = marks.get(path) {
                    n.mark = m.clone();
                }
            }
        }
        // Children always come after their parent, so one reverse pass sums subtrees.
        for i in (1..nodes.len()).rev() {
            let (size, native) = (
                nodes[i].size,
                nodes[i].native_below + u32::from(nodes[i].mark != ArchMark::None),
            );
            nodes[i].native_below = native;
            let p = nodes[i].parent as usize;
            if nodes[p].is_dir() {
                nodes[p].size += size;
                nodes[p].native_below += native;
            }
        }
        let expanded = vec![false; nodes.len()];
        let mut t = Tree {
            nodes,
            expanded,
            visible: Vec::new(),
            sort: SortBy::Name,
            filter: Filter::All,
            text: String::new(),
            target: None,
            selected: 0,
            other_order: None,
        };
        t.expanded[ROOT as usize] = true;
        t.sort_children();
        t.refresh();
        t
    }

    /// The tree of an analysed image: merged, or what one layer changed. Markers show what
    /// `layer` changed.
    pub fn of_image(image: &Image, view: View, layer: usize) -> Tree {
        match view {
            View::Merged => Tree::merged(&image.fs, layer),
            View::Layer => {
                let arts = image
                    .layers
                    .get(layer)
                    .map_or(&[][..], |l| &l.scan.artifacts[..]);
                Tree::layer(&image.fs.layer_changes(layer), layer, arts)
            }
        }
    }

    /// Every layer stacked; paths the selected `layer` added, changed or deleted are marked.
    pub fn merged(fs: &MergedFs, layer: usize) -> Tree {
        let marks = marks_of(fs.artifacts.iter().map(|(_, a)| a));
        let live: Vec<(String, NodeKind, u64, Option<Change>, usize)> = fs
            .nodes()
            .map(|n| {
                let change = n.history.iter().find(|(l, _)| *l == layer).map(|(_, c)| *c);
                (
                    n.entry.path,
                    kind_of(&n.entry.kind),
                    n.entry.size,
                    change,
                    n.layer,
                )
            })
            .collect();
        let gone: Vec<(String, usize)> = fs.deleted_paths().filter(|(_, l)| *l == layer).collect();
        let live = live.iter().map(|(path, kind, size, change, layer)| Item {
            path,
            kind: kind.clone(),
            size: *size,
            change: *change,
            layer: *layer,
        });
        let gone = gone.iter().map(|(path, l)| Item {
            path,
            kind: NodeKind::Other,
            size: 0,
            change: Some(Change::Deleted),
            layer: *l,
        });
        Tree::build(live.chain(gone), &marks)
    }

    /// What one layer changed relative to the layers below: added, modified, deleted.
    pub fn layer(changes: &[LayerChange], layer: usize, artifacts: &[Artifact]) -> Tree {
        let marks = marks_of(artifacts.iter());
        let items = changes.iter().map(|c| Item {
            path: &c.path,
            kind: c
                .entry
                .as_ref()
                .map_or(NodeKind::Other, |e| kind_of(&e.kind)),
            size: c.entry.as_ref().map_or(0, |e| e.size),
            change: Some(c.change),
            layer,
        });
        Tree::build(items, &marks)
    }
}

/// The node of directory `path`, creating it and any missing parents, one component at a
/// time from the root (iterative: a hostile layer can nest tens of thousands of levels).
fn ensure_dir<'a>(
    nodes: &mut Vec<Node>,
    dirs: &mut HashMap<(u32, &'a str), u32>,
    path: &'a str,
    layer: usize,
) -> u32 {
    let mut cur = ROOT;
    for name in path.split('/').filter(|c| !c.is_empty()) {
        cur = match dirs.get(&(cur, name)) {
            Some(&id) => id,
            None => {
                let id = nodes.len() as u32;
                let depth = nodes[cur as usize].depth.saturating_add(1);
                nodes.push(Node {
                    name: name.into(),
                    parent: cur,
                    depth,
                    kind: NodeKind::Dir,
                    size: 0,
                    change: None,
                    mark: ArchMark::None,
                    layer,
                    children: Vec::new(),
                    native_below: 0,
                    mismatch_below: 0,
                    culprit: false,
                });
                nodes[cur as usize].children.push(id);
                dirs.insert((cur, name), id);
                id
            }
        };
    }
    cur
}

fn kind_of(k: &EntryKind) -> NodeKind {
    match k {
        EntryKind::File => NodeKind::File,
        EntryKind::Dir => NodeKind::Dir,
        EntryKind::Symlink(t) => NodeKind::Symlink(t.clone()),
        EntryKind::Hardlink(t) => NodeKind::Hardlink(t.clone()),
        EntryKind::Other => NodeKind::Other,
    }
}

/// Marks for the files themselves (artefacts found inside an archive are shown in the
/// details pane of the archive, not as tree rows).
fn marks_of<'a>(arts: impl Iterator<Item = &'a Artifact>) -> HashMap<&'a str, ArchMark> {
    let mut out = HashMap::new();
    for a in arts.filter(|a| a.container.is_none()) {
        out.insert(a.path.as_str(), mark_of(a));
    }
    out
}
