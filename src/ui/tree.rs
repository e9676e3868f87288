//! The file-tree model behind the image screen: collapse, expand, sort, filter and the list
//! of visible rows, with no UI, so it is tested alone and stays fast on 200,000 files.
//!
//! Nodes live in one arena in creation order (a parent is always created before its
//! children), so subtree sums are one reverse pass and the visible rows one walk.

use std::collections::HashMap;

use crate::analyze::Image;
use crate::detect::{Artifact, Kind};
use crate::oci::{Arch, Platform};
use crate::scan::{Change, EntryKind, LayerChange, MergedFs};

/// Which files the tree shows: the whole image, or one layer's own tar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every layer stacked (what the container sees); markers show what `layer` changed.
    Merged,
    /// Only the entries and whiteouts of one layer.
    Layer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    /// Largest first.
    Size,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Native artefacts of any architecture (and arch-independent ones such as wheels).
    OnlyNative,
    /// Artefacts the target cannot run.
    OnlyMismatches,
}

/// What a file is built for, as far as the classifiers could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchMark {
    /// An ordinary file, no artefact.
    None,
    /// An artefact that runs anywhere (a pure wheel, a script, a jar without JNI).
    Independent,
    /// Built for this CPU.
    Arch(Arch),
    /// A Mach-O or PE binary: never runs on Linux. Holds the CPU as the format names it.
    Foreign(String),
}

/// An artefact relative to the active target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Match,
    Mismatch,
    Independent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Dir,
    File,
    Symlink(String),
    Hardlink(String),
    Other,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub name: Box<str>,
    pub parent: u32,
    pub depth: u16,
    pub kind: NodeKind,
    /// File size, or for a directory the sum of what is below it.
    pub size: u64,
    pub change: Option<Change>,
    pub mark: ArchMark,
    /// The layer that last wrote this path.
    pub layer: usize,
    children: Vec<u32>,
    /// Artefacts at or below this node.
    native_below: u32,
    /// Mismatching artefacts at or below this node, for the current target.
    mismatch_below: u32,
    /// A finding of the verdict on screen names this file.
    culprit: bool,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }
}

/// One file as handed to [`Tree::build`].
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub path: &'a str,
    pub kind: NodeKind,
    pub size: u64,
    pub change: Option<Change>,
    pub layer: usize,
}

/// A row ready to draw.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub id: u32,
    pub node: &'a Node,
    pub expanded: bool,
}

/// The tree and its view state.
#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    expanded: Vec<bool>,
    visible: Vec<u32>,
    sort: SortBy,
    filter: Filter,
    text: String,
    target: Option<Platform>,
    selected: usize,
    /// The child lists in the other sort order, kept after the first switch so toggling the
    /// sort on a big tree is a swap, not a sort.
    other_order: Option<Vec<Vec<u32>>>,
}

const ROOT: u32 = 0;

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
                Tree::layer(image.fs.layer_changes(layer), layer, arts)
            }
        }
    }

    /// Every layer stacked; paths the selected `layer` added, changed or deleted are marked.
    pub fn merged(fs: &MergedFs, layer: usize) -> Tree {
        let marks = marks_of(fs.artifacts.iter().map(|(_, a)| a));
        let live = fs.nodes.iter().map(|(path, n)| Item {
            path,
            kind: kind_of(&n.entry.kind),
            size: n.entry.size,
            change: n.history.iter().find(|(l, _)| *l == layer).map(|(_, c)| *c),
            layer: n.layer,
        });
        let gone = fs
            .deleted
            .iter()
            .filter(|(_, l)| **l == layer)
            .map(|(path, l)| Item {
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

    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    pub fn selected(&self) -> usize {
        self.selected
    }

    pub fn selected_id(&self) -> Option<u32> {
        self.visible.get(self.selected).copied()
    }

    pub fn sort(&self) -> SortBy {
        self.sort
    }

    pub fn filter(&self) -> Filter {
        self.filter
    }

    pub fn text_filter(&self) -> &str {
        &self.text
    }

    /// The absolute path of a node.
    pub fn path_of(&self, id: u32) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            let Some(n) = self.nodes.get(cur as usize) else {
                break;
            };
            parts.push(&*n.name);
            cur = n.parent;
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// How a node relates to the verdict on screen: a file a finding names is a mismatch
    /// whatever its CPU (a glibc binary in a musl image); otherwise its artefact against the
    /// platform judged (None for ordinary files and dirs).
    pub fn class(&self, id: u32) -> Option<Class> {
        let n = self.nodes.get(id as usize)?;
        if n.culprit {
            return Some(Class::Mismatch);
        }
        class_of(&n.mark, self.target.as_ref())
    }

    /// Whether a finding names this node.
    pub fn is_culprit(&self, id: u32) -> bool {
        self.nodes.get(id as usize).is_some_and(|n| n.culprit)
    }

    /// Number of mismatching artefacts at or below a node.
    pub fn mismatches_below(&self, id: u32) -> u32 {
        self.nodes.get(id as usize).map_or(0, |n| n.mismatch_below)
    }

    /// Number of artefacts at or below a node.
    pub fn native_below(&self, id: u32) -> u32 {
        self.nodes.get(id as usize).map_or(0, |n| n.native_below)
    }

    /// The rows `offset..offset+height` of the visible list.
    pub fn rows(&self, offset: usize, height: usize) -> impl Iterator<Item = Row<'_>> {
        let filtering = self.filtering();
        self.visible
            .iter()
            .skip(offset)
            .take(height)
            .filter_map(move |&id| {
                let node = self.nodes.get(id as usize)?;
                Some(Row {
                    id,
                    node,
                    expanded: node.is_dir() && (filtering || self.expanded[id as usize]),
                })
            })
    }

    /// Judges the files against `target` alone (no finding names a file).
    pub fn set_target(&mut self, target: Option<Platform>) {
        self.set_judgement(target, &[]);
    }

    /// Judges the files against `target` (the platform of the verdict on screen) and marks
    /// `culprits`, the files its findings name.
    pub fn set_judgement(&mut self, target: Option<Platform>, culprits: &[&str]) {
        self.target = target;
        for n in &mut self.nodes {
            n.mismatch_below = 0;
            n.culprit = false;
        }
        for p in culprits {
            if let Some(id) = self.find(p) {
                self.nodes[id as usize].culprit = true;
            }
        }
        for i in (1..self.nodes.len()).rev() {
            let own = u32::from(self.class(i as u32) == Some(Class::Mismatch));
            self.nodes[i].mismatch_below += own;
            let below = self.nodes[i].mismatch_below;
            let p = self.nodes[i].parent as usize;
            self.nodes[p].mismatch_below += below;
        }
        if self.filter == Filter::OnlyMismatches {
            self.refresh();
        }
    }

    pub fn set_sort(&mut self, sort: SortBy) {
        if self.sort != sort {
            self.sort = sort;
            match self.other_order.take() {
                Some(mut lists) => {
                    for (n, list) in self.nodes.iter_mut().zip(lists.iter_mut()) {
                        std::mem::swap(&mut n.children, list);
                    }
                    self.other_order = Some(lists);
                }
                None => {
                    let before: Vec<Vec<u32>> =
                        self.nodes.iter().map(|n| n.children.clone()).collect();
                    self.sort_children();
                    self.other_order = Some(before);
                }
            }
            self.refresh();
        }
    }

    pub fn set_filter(&mut self, filter: Filter) {
        if self.filter != filter {
            self.filter = filter;
            self.refresh();
        }
    }

    /// Keeps files whose name contains `text` (case-insensitive), and their directories.
    pub fn set_text_filter(&mut self, text: &str) {
        let text = text.to_lowercase();
        if self.text != text {
            self.text = text;
            self.refresh();
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            return;
        }
        let max = self.visible.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(max);
    }

    pub fn select_first(&mut self) {
        self.selected = 0;
    }

    pub fn select_last(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }

    pub fn select_row(&mut self, row: usize) {
        if row < self.visible.len() {
            self.selected = row;
        }
    }

    /// Right / `l`: open a closed directory, or step into an open one.
    pub fn expand(&mut self) {
        let Some(id) = self.selected_id() else { return };
        if !self.nodes[id as usize].is_dir() {
            return;
        }
        if self.filtering() || self.expanded[id as usize] {
            if self
                .visible
                .get(self.selected + 1)
                .is_some_and(|&c| self.nodes[c as usize].parent == id)
            {
                self.selected += 1;
            }
        } else {
            self.expanded[id as usize] = true;
            self.refresh();
        }
    }

    /// Left / `h`: close an open directory, or go to the parent.
    pub fn collapse(&mut self) {
        let Some(id) = self.selected_id() else { return };
        if self.nodes[id as usize].is_dir() && self.expanded[id as usize] && !self.filtering() {
            self.expanded[id as usize] = false;
            self.refresh();
            return;
        }
        let parent = self.nodes[id as usize].parent;
        if parent != ROOT
            && let Some(pos) = self.visible.iter().position(|&v| v == parent)
        {
            self.selected = pos;
        }
    }

    /// Enter / space on a directory.
    pub fn toggle(&mut self) {
        let Some(id) = self.selected_id() else { return };
        if self.nodes[id as usize].is_dir() {
            let e = &mut self.expanded[id as usize];
            *e = !*e;
            self.refresh();
        }
    }

    pub fn set_all_expanded(&mut self, open: bool) {
        for (i, n) in self.nodes.iter().enumerate() {
            if n.is_dir() {
                self.expanded[i] = open;
            }
        }
        self.expanded[ROOT as usize] = true;
        self.refresh();
    }

    /// The node at `path`, if this tree has it.
    fn find(&self, path: &str) -> Option<u32> {
        let mut cur = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur = self.nodes[cur as usize]
                .children
                .iter()
                .copied()
                .find(|&c| &*self.nodes[c as usize].name == part)?;
        }
        Some(cur)
    }

    /// Opens the directories down to `path` and selects it. Returns false when the path is
    /// not in this tree (or hidden by a filter).
    pub fn reveal(&mut self, path: &str) -> bool {
        let Some(cur) = self.find(path) else {
            return false;
        };
        let mut up = self.nodes[cur as usize].parent;
        while up != ROOT {
            self.expanded[up as usize] = true;
            up = self.nodes[up as usize].parent;
        }
        self.expanded[ROOT as usize] = true;
        self.refresh();
        match self.visible.iter().position(|&v| v == cur) {
            Some(pos) => {
                self.selected = pos;
                true
            }
            None => false,
        }
    }

    fn filtering(&self) -> bool {
        self.filter != Filter::All || !self.text.is_empty()
    }

    fn sort_children(&mut self) {
        let sort = self.sort;
        // Take the child lists out so the comparison can read other nodes.
        let mut lists: Vec<Vec<u32>> = self
            .nodes
            .iter_mut()
            .map(|n| std::mem::take(&mut n.children))
            .collect();
        for list in &mut lists {
            list.sort_by(|&a, &b| {
                let (na, nb) = (&self.nodes[a as usize], &self.nodes[b as usize]);
                match sort {
                    SortBy::Name => (!na.is_dir(), &na.name).cmp(&(!nb.is_dir(), &nb.name)),
                    SortBy::Size => nb.size.cmp(&na.size).then_with(|| na.name.cmp(&nb.name)),
                }
            });
        }
        for (n, list) in self.nodes.iter_mut().zip(lists) {
            n.children = list;
        }
    }

    /// Recomputes the visible rows, keeping the selected node selected when it stays visible.
    fn refresh(&mut self) {
        let keep_id = self.selected_id();
        let keep = self.keep_mask();
        let filtering = self.filtering();
        let mut visible = Vec::new();
        let mut stack: Vec<u32> = self.nodes[ROOT as usize]
            .children
            .iter()
            .rev()
            .copied()
            .collect();
        while let Some(id) = stack.pop() {
            if let Some(k) = &keep
                && !k[id as usize]
            {
                continue;
            }
            visible.push(id);
            let n = &self.nodes[id as usize];
            if n.is_dir() && (filtering || self.expanded[id as usize]) {
                stack.extend(n.children.iter().rev().copied());
            }
        }
        self.visible = visible;
        self.selected = keep_id
            .and_then(|k| self.visible.iter().position(|&v| v == k))
            .unwrap_or_else(|| self.selected.min(self.visible.len().saturating_sub(1)));
    }

    /// Which nodes pass the filters (None when nothing is filtered): a file by its own
    /// merits, a directory when something below it passes.
    fn keep_mask(&self) -> Option<Vec<bool>> {
        if !self.filtering() {
            return None;
        }
        let mut keep = vec![false; self.nodes.len()];
        for i in (1..self.nodes.len()).rev() {
            let n = &self.nodes[i];
            let by_kind = match self.filter {
                Filter::All => true,
                Filter::OnlyNative => n.mark != ArchMark::None,
                Filter::OnlyMismatches => self.class(i as u32) == Some(Class::Mismatch),
            };
            let by_text = self.text.is_empty() || n.name.to_lowercase().contains(&self.text);
            if (by_kind && by_text && !n.is_dir())
                || (n.is_dir() && by_text && self.filter == Filter::All)
            {
                keep[i] = true;
            }
            if keep[i] {
                keep[n.parent as usize] = true;
            }
        }
        Some(keep)
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

/// The mark of an artefact, for the tree.
pub fn mark_of(a: &Artifact) -> ArchMark {
    match (&a.kind, &a.arch) {
        (Kind::MachO | Kind::Pe, arch) => ArchMark::Foreign(match (&a.details, arch) {
            (crate::detect::Details::MachO(f) | crate::detect::Details::Pe(f), _) => f.cpu.clone(),
            (_, Some(a)) => a.to_string(),
            _ => "?".into(),
        }),
        (_, Some(arch)) => ArchMark::Arch(arch.clone()),
        (_, None) => ArchMark::Independent,
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

/// How an artefact mark relates to a target platform.
pub fn class_of(mark: &ArchMark, target: Option<&Platform>) -> Option<Class> {
    match mark {
        ArchMark::None => None,
        ArchMark::Independent => Some(Class::Independent),
        ArchMark::Foreign(_) => Some(Class::Mismatch),
        ArchMark::Arch(a) => Some(match target {
            Some(t) if t.runs_arch(a) => Class::Match,
            Some(_) => Class::Mismatch,
            None => Class::Independent,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, size: u64) -> Item<'_> {
        Item {
            path,
            kind: NodeKind::File,
            size,
            change: Some(Change::Added),
            layer: 0,
        }
    }

    fn sample() -> Tree {
        let mut marks = HashMap::new();
        marks.insert("/app/server", ArchMark::Arch(Arch::arm64()));
        marks.insert("/usr/bin/env", ArchMark::Arch(Arch::amd64()));
        marks.insert("/app/run.sh", ArchMark::Independent);
        let mut t = Tree::build(
            [
                file("/usr/bin/env", 40),
                file("/app/server", 1000),
                file("/app/run.sh", 10),
                file("/etc/hostname", 5),
            ],
            &marks,
        );
        t.set_target(Some("linux/amd64".parse().unwrap()));
        t
    }

    fn names(t: &Tree) -> Vec<String> {
        t.rows(0, usize::MAX)
            .map(|r| format!("{}{}", "  ".repeat(r.node.depth as usize - 1), r.node.name))
            .collect()
    }

    #[test]
    fn a_file_a_finding_names_is_a_culprit_whatever_its_cpu() {
        let mut t = sample();
        let usr = t.find("/usr").unwrap();
        assert_eq!(t.mismatches_below(usr), 0, "amd64 env on an amd64 target");
        // A glibc amd64 binary in a musl image breaks it although its CPU matches.
        t.set_judgement(Some("linux/amd64".parse().unwrap()), &["/usr/bin/env"]);
        let env = t.find("/usr/bin/env").unwrap();
        assert_eq!(t.class(env), Some(Class::Mismatch));
        assert!(t.is_culprit(env));
        assert_eq!(t.mismatches_below(usr), 1);
        t.set_filter(Filter::OnlyMismatches);
        assert_eq!(names(&t), ["app", "  server", "usr", "  bin", "    env"]);
        // Judged again without findings: only the CPU decides.
        t.set_judgement(Some("linux/amd64".parse().unwrap()), &[]);
        assert_eq!(t.class(env), Some(Class::Match));
    }

    #[test]
    fn starts_collapsed_and_expands_and_collapses() {
        let mut t = sample();
        assert_eq!(names(&t), ["app", "etc", "usr"]);
        t.expand();
        assert_eq!(names(&t), ["app", "  run.sh", "  server", "etc", "usr"]);
        t.expand(); // steps into the open directory
        assert_eq!(t.path_of(t.selected_id().unwrap()), "/app/run.sh");
        t.collapse(); // a file: goes to its parent
        assert_eq!(t.path_of(t.selected_id().unwrap()), "/app");
        t.collapse();
        assert_eq!(names(&t), ["app", "etc", "usr"]);
    }

    #[test]
    fn sizes_sum_up_and_sort_by_size_puts_big_first() {
        let mut t = sample();
        let app = t.selected_id().unwrap();
        assert_eq!(t.node(app).unwrap().size, 1010);
        t.set_sort(SortBy::Size);
        assert_eq!(names(&t), ["app", "usr", "etc"]);
        // The selection follows the node, not the row.
        assert_eq!(t.path_of(t.selected_id().unwrap()), "/app");
    }

    #[test]
    fn filters_keep_matching_files_and_their_directories() {
        let mut t = sample();
        t.set_filter(Filter::OnlyMismatches);
        assert_eq!(names(&t), ["app", "  server"]);
        t.set_filter(Filter::OnlyNative);
        assert_eq!(
            names(&t),
            ["app", "  run.sh", "  server", "usr", "  bin", "    env"]
        );
        t.set_filter(Filter::All);
        t.set_text_filter("HOST");
        assert_eq!(names(&t), ["etc", "  hostname"]);
    }

    #[test]
    fn target_switch_changes_classes_and_mismatch_counts() {
        let mut t = sample();
        t.set_filter(Filter::OnlyMismatches);
        assert_eq!(t.mismatches_below(ROOT), 1);
        t.set_target(Some("linux/arm64".parse().unwrap()));
        assert_eq!(names(&t), ["usr", "  bin", "    env"]);
        assert!(t.reveal("/usr/bin/env"));
        let id = t.selected_id().unwrap();
        assert_eq!(t.class(id), Some(Class::Mismatch));
    }

    #[test]
    fn reveal_opens_parents() {
        let mut t = sample();
        assert!(t.reveal("/usr/bin/env"));
        assert_eq!(t.path_of(t.selected_id().unwrap()), "/usr/bin/env");
        assert_eq!(names(&t), ["app", "etc", "usr", "  bin", "    env"]);
        assert!(!t.reveal("/nope"));
    }

    #[test]
    fn a_hostile_deep_path_neither_overflows_nor_recurses() {
        let deep = "/a".repeat(100_000);
        let mut t = Tree::build([file(&deep, 1)], &HashMap::new());
        assert_eq!(t.len(), 100_000);
        assert!(t.reveal(&deep));
        assert_eq!(t.visible_len(), 100_000);
        assert_eq!(t.path_of(t.selected_id().unwrap()).len(), deep.len());
    }

    #[test]
    fn two_hundred_thousand_files_build_filter_and_scroll_quickly() {
        let paths: Vec<String> = (0..200_000)
            .map(|i| format!("/usr/lib/pkg{}/sub{}/file{i}.py", i % 500, i % 7))
            .collect();
        let mut marks = HashMap::new();
        for p in paths.iter().step_by(1000) {
            marks.insert(p.as_str(), ArchMark::Arch(Arch::arm64()));
        }
        let start = std::time::Instant::now();
        let mut t = Tree::build(paths.iter().map(|p| file(p, 1)), &marks);
        t.set_target(Some("linux/amd64".parse().unwrap()));
        t.set_all_expanded(true);
        assert!(t.visible_len() > 200_000);
        t.set_filter(Filter::OnlyMismatches);
        assert_eq!(t.mismatches_below(ROOT), 200);
        t.set_filter(Filter::All);
        t.set_sort(SortBy::Size);
        for _ in 0..1000 {
            t.move_by(100);
            assert_eq!(t.rows(t.selected(), 40).count().min(1), 1);
        }
        // Generous bound for a debug build on a busy machine; the release numbers are in
        // docs/tui.md. This catches accidental quadratic work, not small regressions.
        let took = start.elapsed();
        assert!(took.as_secs() < 20, "200k-file tree took {took:?}");
    }
}
