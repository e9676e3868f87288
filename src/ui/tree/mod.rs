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
    /// Where the name is in the tree's one string of names (see [`Tree::name`]).
    name: (u32, u32),
    pub parent: u32,
    pub depth: u16,
    pub kind: NodeKind,
    /// File size, or for a directory the sum of what is below it.
    pub size: u64,
    pub change: Option<Change>,
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
    pub name: &'a str,
    pub mark: &'a ArchMark,
    pub expanded: bool,
}

/// The tree and its view state.
#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Every node's name, one after the other: no allocation per file.
    names: String,
    /// Artefact marks, for the few files that have one.
    marks: HashMap<u32, ArchMark>,
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
static NO_MARK: ArchMark = ArchMark::None;

mod build;
#[cfg(test)]
mod tests;

impl Tree {
    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    /// A node's name (the last component of its path).
    pub fn name(&self, id: u32) -> &str {
        self.nodes.get(id as usize).map_or("", |n| self.name_of(n))
    }

    fn name_of(&self, n: &Node) -> &str {
        self.names
            .get(n.name.0 as usize..n.name.1 as usize)
            .unwrap_or("")
    }

    /// A node's artefact mark ([`ArchMark::None`] for ordinary files and dirs).
    pub fn mark(&self, id: u32) -> &ArchMark {
        self.marks.get(&id).unwrap_or(&NO_MARK)
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
            parts.push(self.name_of(n));
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
        class_of(self.mark(id), self.target.as_ref())
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
                    name: self.name_of(node),
                    mark: self.mark(id),
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
                .find(|&c| self.name(c) == part)?;
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
                let (ma, mb) = (self.name_of(na), self.name_of(nb));
                match sort {
                    SortBy::Name => (!na.is_dir(), ma).cmp(&(!nb.is_dir(), mb)),
                    SortBy::Size => nb.size.cmp(&na.size).then_with(|| ma.cmp(mb)),
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
                Filter::OnlyNative => self.marks.contains_key(&(i as u32)),
                Filter::OnlyMismatches => self.class(i as u32) == Some(Class::Mismatch),
            };
            let by_text =
                self.text.is_empty() || self.name_of(n).to_lowercase().contains(&self.text);
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
