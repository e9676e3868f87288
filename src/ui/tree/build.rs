//! Building a tree from an image: the merged filesystem or one layer's changes, with each
//! file's artefact mark; missing parent directories are made on the way.

use super::*;
use crate::scan::layer16;

/// Nodes under construction, and the directories among them by (parent, name).
struct Builder<'a> {
    recs: Vec<Rec>,
    flags: Vec<Flags>,
    names: String,
    links: HashMap<u32, String>,
    marks: HashMap<u32, ArchMark>,
    dirs: HashMap<(u32, &'a str), u32>,
    /// Items come mostly grouped by directory: the last parent found.
    last_parent: Option<(&'a str, u32)>,
}

impl<'a> Builder<'a> {
    fn new() -> Builder<'a> {
        let root = Rec {
            size: 0,
            name: 0,
            parent: ROOT,
            children: 0,
            depth: 0,
            layer: 0,
        };
        Builder {
            recs: vec![root],
            flags: vec![Flags::new(&NodeKind::Dir, None)],
            names: String::new(),
            links: HashMap::new(),
            marks: HashMap::new(),
            // Directories by (parent, name): lookups cost the path's components, never its
            // full length per level, so a hostile deep path stays linear.
            dirs: HashMap::new(),
            last_parent: None,
        }
    }

    /// Adds a child of `parent`; a directory is remembered for later lookups by name.
    fn push(&mut self, parent: u32, name: &'a str, kind: NodeKind, layer: usize) -> u32 {
        let id = self.recs.len() as u32;
        let depth = self
            .recs
            .get(parent as usize)
            .map_or(0, |p| p.depth.saturating_add(1));
        let start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push_str(name);
        self.recs.push(Rec {
            size: 0,
            name: start,
            parent,
            children: 0,
            depth,
            layer: layer16(layer),
        });
        self.flags.push(Flags::new(&kind, None));
        match kind {
            NodeKind::Dir => {
                self.dirs.insert((parent, name), id);
            }
            NodeKind::Symlink(t) | NodeKind::Hardlink(t) => {
                self.links.insert(id, t);
            }
            NodeKind::File | NodeKind::Other => {}
        }
        id
    }

    /// Sets what the last layer to write a node says about it.
    fn fill(&mut self, id: u32, layer: usize, change: Option<Change>, size: u64) {
        let i = id as usize;
        let dir = self.flags[i].is_dir();
        self.flags[i].set_change(change);
        let r = &mut self.recs[i];
        r.layer = layer16(layer);
        if !dir {
            r.size = size;
        }
    }

    fn insert(&mut self, item: Item<'a>, marks: &HashMap<&str, ArchMark>) {
        let path: &'a str = item.path.trim_end_matches('/');
        if path.is_empty() || path == "/" {
            return;
        }
        let (parent_path, name): (&'a str, &'a str) = match path.rfind('/') {
            Some(0) => ("/", &path[1..]),
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("/", path),
        };
        let parent = match self.last_parent {
            Some((p, id)) if p == parent_path => id,
            _ => {
                let id = ensure_dir(self, parent_path, item.layer);
                self.last_parent = Some((parent_path, id));
                id
            }
        };
        let existing = if item.kind == NodeKind::Dir {
            self.dirs.get(&(parent, name)).copied()
        } else {
            None
        };
        let is_dir = item.kind == NodeKind::Dir;
        let id = match existing {
            Some(id) => id,
            None => self.push(parent, name, item.kind, item.layer),
        };
        self.fill(id, item.layer, item.change, item.size);
        if !is_dir && let Some(m) = marks.get(path).filter(|m| **m != ArchMark::None) {
            self.marks.insert(id, m.clone());
        }
    }

    fn finish(self) -> Tree {
        let Builder {
            mut recs,
            mut flags,
            names,
            links,
            marks,
            ..
        } = self;
        // Children always come after their parent, so one reverse pass sums subtrees.
        for i in (1..recs.len()).rev() {
            let (size, p) = (recs[i].size, recs[i].parent as usize);
            if flags[p].is_dir() {
                recs[p].size += size;
            }
        }
        let mut below: HashMap<u32, Below> = HashMap::new();
        for &id in marks.keys() {
            below.entry(id).or_default().native += 1;
            let mut cur = id;
            while cur != ROOT {
                let p = recs[cur as usize].parent;
                if !flags[p as usize].is_dir() {
                    break;
                }
                below.entry(p).or_default().native += 1;
                cur = p;
            }
        }
        // One array of children, each node's in a run: count per parent, turn the counts
        // into run ends, then place children from the last back (ascending ids per run).
        for i in 1..recs.len() {
            let p = recs[i].parent as usize;
            recs[p].children += 1;
        }
        let mut end = 0u32;
        for r in &mut recs {
            end += r.children;
            r.children = end;
        }
        let mut children = vec![0u32; end as usize];
        for i in (1..recs.len()).rev() {
            let p = recs[i].parent as usize;
            recs[p].children -= 1;
            if let Some(slot) = children.get_mut(recs[p].children as usize) {
                *slot = i as u32;
            }
        }
        flags[ROOT as usize].set(EXPANDED, true);
        let mut t = Tree {
            recs,
            flags,
            names,
            children,
            links,
            marks,
            below,
            visible: Vec::new(),
            last: Vec::new(),
            sort: SortBy::Name,
            filter: Filter::All,
            text: Pattern::default(),
            target: None,
            selected: 0,
            other_order: None,
        };
        t.sort_children();
        t.refresh();
        t
    }
}

impl Tree {
    /// Builds a tree from files in any order; missing parent directories are created.
    /// `marks` gives the artefact mark of a path (absolute, as in the items).
    pub fn build<'a>(
        items: impl IntoIterator<Item = Item<'a>>,
        marks: &HashMap<&str, ArchMark>,
    ) -> Tree {
        let mut b = Builder::new();
        for item in items {
            b.insert(item, marks);
        }
        b.finish()
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
    /// Built from the merged filesystem's own walk (ids and names, never a path per file);
    /// the paths `layer` deleted follow as items.
    pub fn merged(fs: &MergedFs, layer: usize) -> Tree {
        let path_marks = marks_of(fs.artifacts.iter().map(|(_, a)| a));
        let marks: HashMap<u32, &ArchMark> = path_marks
            .iter()
            .filter_map(|(p, m)| Some((fs.id_of(p)?, m)))
            .collect();
        let gone: Vec<(String, usize)> = fs.deleted_paths().filter(|(_, l)| *l == layer).collect();
        let mut b = Builder::new();
        // Merged-filesystem id -> tree id; parents come first in the walk.
        let mut ids = vec![u32::MAX; fs.id_bound()];
        if let Some(root) = ids.first_mut() {
            *root = ROOT;
        }
        for w in fs.walk() {
            let Some(&parent) = ids.get(w.parent as usize).filter(|&&p| p != u32::MAX) else {
                continue;
            };
            let kind = if w.implied {
                NodeKind::Dir
            } else {
                kind_of(&w.kind)
            };
            let dir = kind == NodeKind::Dir;
            let id = b.push(parent, w.name, kind, w.layer);
            if let Some(slot) = ids.get_mut(w.id as usize) {
                *slot = id;
            }
            let change = if w.implied {
                None
            } else {
                fs.change_in(w.id, layer)
            };
            b.fill(id, w.layer, change, w.size);
            if !dir && let Some(m) = marks.get(&w.id).filter(|m| ***m != ArchMark::None) {
                b.marks.insert(id, (*m).clone());
            }
        }
        drop(ids);
        for (path, l) in &gone {
            let item = Item {
                path,
                kind: NodeKind::Other,
                size: 0,
                change: Some(Change::Deleted),
                layer: *l,
            };
            b.insert(item, &path_marks);
        }
        b.finish()
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
fn ensure_dir<'a>(b: &mut Builder<'a>, path: &'a str, layer: usize) -> u32 {
    let mut cur = ROOT;
    for name in path.split('/').filter(|c| !c.is_empty()) {
        cur = match b.dirs.get(&(cur, name)) {
            Some(&id) => id,
            None => b.push(cur, name, NodeKind::Dir, layer),
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
