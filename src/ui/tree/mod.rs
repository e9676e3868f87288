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
use crate::ui::filter::Pattern;

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

/// A node as the screen reads it, made on demand from the tree's compact records.
#[derive(Debug, Clone)]
pub struct Node {
    pub parent: u32,
    pub depth: u16,
    pub kind: NodeKind,
    /// File size, or for a directory the sum of what is below it.
    pub size: u64,
    pub change: Option<Change>,
    /// The layer that last wrote this path.
    pub layer: usize,
}

impl Node {
    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }
}

/// What the tree keeps per file: 24 bytes plus one byte of [`Flags`] and one child slot.
/// Where a name or a child list ends is where the next record's begins.
#[derive(Debug, Clone, Copy)]
struct Rec {
    /// File size, or for a directory the sum of what is below it.
    size: u64,
    /// Where the name starts in the tree's one string of names.
    name: u32,
    parent: u32,
    /// Where the node's children start in the tree's one array of children.
    children: u32,
    depth: u16,
    /// Saturated: no image has 65,535 layers.
    layer: u16,
}

/// Kind, change and view state of one node, in one byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags(u8);

const KIND_MASK: u8 = 0b111;
const CHANGE_SHIFT: u8 = 3;
const CULPRIT: u8 = 1 << 5;
const EXPANDED: u8 = 1 << 6;
const DIR: u8 = 0;
const FILE: u8 = 1;
const SYMLINK: u8 = 2;
const HARDLINK: u8 = 3;
const OTHER: u8 = 4;

impl Flags {
    fn new(kind: &NodeKind, change: Option<Change>) -> Flags {
        let k = match kind {
            NodeKind::Dir => DIR,
            NodeKind::File => FILE,
            NodeKind::Symlink(_) => SYMLINK,
            NodeKind::Hardlink(_) => HARDLINK,
            NodeKind::Other => OTHER,
        };
        let c = match change {
            None => 0,
            Some(Change::Added) => 1,
            Some(Change::Modified) => 2,
            Some(Change::Deleted) => 3,
        };
        Flags(k | (c << CHANGE_SHIFT))
    }

    fn is_dir(self) -> bool {
        self.0 & KIND_MASK == DIR
    }

    fn kind(self) -> u8 {
        self.0 & KIND_MASK
    }

    fn change(self) -> Option<Change> {
        match (self.0 >> CHANGE_SHIFT) & 0b11 {
            1 => Some(Change::Added),
            2 => Some(Change::Modified),
            3 => Some(Change::Deleted),
            _ => None,
        }
    }

    fn set_change(&mut self, change: Option<Change>) {
        let kind_and_rest = self.0 & !(0b11 << CHANGE_SHIFT);
        self.0 = kind_and_rest | (Flags::new(&NodeKind::Dir, change).0 & (0b11 << CHANGE_SHIFT));
    }

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.0 |= bit;
        } else {
            self.0 &= !bit;
        }
    }
}

/// Artefact counts of a node; kept only for the few nodes at or above an artefact.
#[derive(Debug, Clone, Copy, Default)]
struct Below {
    native: u32,
    mismatch: u32,
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
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub id: u32,
    pub node: Node,
    pub name: &'a str,
    pub mark: &'a ArchMark,
    pub expanded: bool,
}

/// The tree and its view state.
#[derive(Debug, Clone)]
pub struct Tree {
    recs: Vec<Rec>,
    flags: Vec<Flags>,
    /// Every node's name, one after the other: no allocation per file.
    names: String,
    /// Every node's children, each list in a run of its own (see [`Rec::children`]).
    children: Vec<u32>,
    /// Link targets, for the symlinks and hard links.
    links: HashMap<u32, String>,
    /// Artefact marks, for the few files that have one.
    marks: HashMap<u32, ArchMark>,
    below: HashMap<u32, Below>,
    visible: Vec<u32>,
    /// One bit per node: it is the last visible child of its parent (for the guide lines),
    /// set with the visible rows, so a frame reads a row's prefix up its ancestors only.
    last: Vec<u64>,
    sort: SortBy,
    filter: Filter,
    text: Pattern,
    target: Option<Platform>,
    selected: usize,
    /// The child lists in the other sort order, kept after the first switch so toggling the
    /// sort on a big tree is a swap, not a sort.
    other_order: Option<Vec<u32>>,
}

const ROOT: u32 = 0;
static NO_MARK: ArchMark = ArchMark::None;

mod build;
#[cfg(test)]
mod tests;

impl Tree {
    pub fn len(&self) -> usize {
        self.recs.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.recs.len() <= 1
    }

    /// A node as the screen reads it (its link target copied out).
    pub fn node(&self, id: u32) -> Option<Node> {
        let r = self.recs.get(id as usize)?;
        let f = self.flag(id);
        let link = || self.links.get(&id).cloned().unwrap_or_default();
        let kind = match f.kind() {
            DIR => NodeKind::Dir,
            FILE => NodeKind::File,
            SYMLINK => NodeKind::Symlink(link()),
            HARDLINK => NodeKind::Hardlink(link()),
            _ => NodeKind::Other,
        };
        Some(Node {
            parent: r.parent,
            depth: r.depth,
            kind,
            size: r.size,
            change: f.change(),
            layer: usize::from(r.layer),
        })
    }

    /// A node's name (the last component of its path).
    pub fn name(&self, id: u32) -> &str {
        let i = id as usize;
        let Some(r) = self.recs.get(i) else { return "" };
        let end = self
            .recs
            .get(i + 1)
            .map_or(self.names.len(), |n| n.name as usize);
        self.names.get(r.name as usize..end).unwrap_or("")
    }

    /// The children of a node, in the current sort order.
    fn kids(&self, id: u32) -> &[u32] {
        let i = id as usize;
        let Some(r) = self.recs.get(i) else {
            return &[];
        };
        let end = self
            .recs
            .get(i + 1)
            .map_or(self.children.len(), |n| n.children as usize);
        self.children.get(r.children as usize..end).unwrap_or(&[])
    }

    fn flag(&self, id: u32) -> Flags {
        self.flags.get(id as usize).copied().unwrap_or_default()
    }

    fn is_dir(&self, id: u32) -> bool {
        self.flag(id).is_dir()
    }

    fn parent(&self, id: u32) -> u32 {
        self.recs.get(id as usize).map_or(ROOT, |r| r.parent)
    }

    fn is_expanded(&self, id: u32) -> bool {
        self.flag(id).has(EXPANDED)
    }

    fn set_expanded(&mut self, id: u32, open: bool) {
        if let Some(f) = self.flags.get_mut(id as usize) {
            f.set(EXPANDED, open);
        }
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
        self.text.text()
    }

    /// The `/` filter, compiled.
    pub fn pattern(&self) -> &Pattern {
        &self.text
    }

    /// The absolute path of a node.
    pub fn path_of(&self, id: u32) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT && (cur as usize) < self.recs.len() {
            parts.push(self.name(cur));
            cur = self.parent(cur);
        }
        parts.reverse();
        format!("/{}", parts.join("/"))
    }

    /// How a node relates to the verdict on screen: a file a finding names is a mismatch
    /// whatever its CPU (a glibc binary in a musl image); otherwise its artefact against the
    /// platform judged (None for ordinary files and dirs).
    pub fn class(&self, id: u32) -> Option<Class> {
        if self.is_culprit(id) {
            return Some(Class::Mismatch);
        }
        class_of(self.mark(id), self.target.as_ref())
    }

    /// Whether a finding names this node.
    pub fn is_culprit(&self, id: u32) -> bool {
        self.flag(id).has(CULPRIT)
    }

    /// Number of mismatching artefacts at or below a node.
    pub fn mismatches_below(&self, id: u32) -> u32 {
        self.below.get(&id).map_or(0, |b| b.mismatch)
    }

    /// Number of artefacts at or below a node.
    pub fn native_below(&self, id: u32) -> u32 {
        self.below.get(&id).map_or(0, |b| b.native)
    }

    /// Whether `id` is the last of its parent's visible children.
    fn is_last(&self, id: u32) -> bool {
        self.last
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// The guide lines before a row's name, `│  ├──` style: a column per ancestor (a bar
    /// where that ancestor has siblings below it) and the row's own branch. Walks only the
    /// row's ancestors, so drawing a screen costs its height times the depth.
    pub fn guides(&self, id: u32) -> String {
        let depth = self.recs.get(id as usize).map_or(0, |r| r.depth as usize);
        let mut cols = vec![false; depth.saturating_sub(1)];
        let mut cur = self.parent(id);
        for col in cols.iter_mut().rev() {
            *col = self.is_last(cur);
            cur = self.parent(cur);
        }
        let mut out = String::with_capacity(depth * 9);
        for last in cols {
            out.push_str(if last { "   " } else { "│  " });
        }
        if depth > 0 {
            out.push_str(if self.is_last(id) {
                "└──"
            } else {
                "├──"
            });
        }
        out
    }

    /// The rows `offset..offset+height` of the visible list.
    pub fn rows(&self, offset: usize, height: usize) -> impl Iterator<Item = Row<'_>> {
        let filtering = self.filtering();
        self.visible
            .iter()
            .skip(offset)
            .take(height)
            .filter_map(move |&id| {
                let node = self.node(id)?;
                let expanded = node.is_dir() && (filtering || self.is_expanded(id));
                Some(Row {
                    id,
                    node,
                    name: self.name(id),
                    mark: self.mark(id),
                    expanded,
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
        for f in &mut self.flags {
            f.set(CULPRIT, false);
        }
        for b in self.below.values_mut() {
            b.mismatch = 0;
        }
        let mut judged: Vec<u32> = self.marks.keys().copied().collect();
        for p in culprits {
            if let Some(id) = self.find(p) {
                if let Some(f) = self.flags.get_mut(id as usize) {
                    f.set(CULPRIT, true);
                }
                judged.push(id);
            }
        }
        judged.sort_unstable();
        judged.dedup();
        for id in judged {
            if id == ROOT || self.class(id) != Some(Class::Mismatch) {
                continue;
            }
            // The node itself and every ancestor up to the root.
            let mut cur = id;
            loop {
                self.below.entry(cur).or_default().mismatch += 1;
                if cur == ROOT {
                    break;
                }
                cur = self.parent(cur);
            }
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
                    std::mem::swap(&mut self.children, &mut lists);
                    self.other_order = Some(lists);
                }
                None => {
                    let before = self.children.clone();
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

    /// Keeps files whose name matches `text` (a case-insensitive regex, `!` inverts; see
    /// [`Pattern`]), and their directories.
    pub fn set_text_filter(&mut self, text: &str) {
        if self.text.text() != text {
            self.text = Pattern::new(text);
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
        if !self.is_dir(id) {
            return;
        }
        if self.filtering() || self.is_expanded(id) {
            if self
                .visible
                .get(self.selected + 1)
                .is_some_and(|&c| self.parent(c) == id)
            {
                self.selected += 1;
            }
        } else {
            self.set_expanded(id, true);
            self.refresh();
        }
    }

    /// Left / `h`: close an open directory, or go to the parent.
    pub fn collapse(&mut self) {
        let Some(id) = self.selected_id() else { return };
        if self.is_dir(id) && self.is_expanded(id) && !self.filtering() {
            self.set_expanded(id, false);
            self.refresh();
            return;
        }
        let parent = self.parent(id);
        if parent != ROOT
            && let Some(pos) = self.visible.iter().position(|&v| v == parent)
        {
            self.selected = pos;
        }
    }

    /// Enter / space on a directory.
    pub fn toggle(&mut self) {
        let Some(id) = self.selected_id() else { return };
        if self.is_dir(id) {
            let open = self.is_expanded(id);
            self.set_expanded(id, !open);
            self.refresh();
        }
    }

    pub fn set_all_expanded(&mut self, open: bool) {
        for f in &mut self.flags {
            if f.is_dir() {
                f.set(EXPANDED, open);
            }
        }
        self.set_expanded(ROOT, true);
        self.refresh();
    }

    /// The node at `path`, if this tree has it.
    fn find(&self, path: &str) -> Option<u32> {
        let mut cur = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur = self
                .kids(cur)
                .iter()
                .copied()
                .find(|&c| self.name(c) == part)?;
        }
        Some(cur)
    }

    /// What Tab offers after `typed` (a path, `/` or not in front): the entries of the
    /// folder typed so far whose names start with the rest, folders ending in `/`.
    pub fn complete_path(&self, typed: &str) -> Vec<String> {
        let (dir, part) = match typed.rfind('/') {
            Some(i) => (&typed[..=i], &typed[i + 1..]),
            None => ("", typed),
        };
        let Some(d) = self.find(dir).filter(|&d| self.is_dir(d)) else {
            return Vec::new();
        };
        self.kids(d)
            .iter()
            .filter(|&&c| self.name(c).starts_with(part))
            .take(500)
            .map(|&c| {
                let slash = if self.is_dir(c) { "/" } else { "" };
                format!("{dir}{}{slash}", self.name(c))
            })
            .collect()
    }

    /// Opens the directories down to `path` and selects it. Returns false when the path is
    /// not in this tree (or hidden by a filter).
    pub fn reveal(&mut self, path: &str) -> bool {
        let Some(cur) = self.find(path) else {
            return false;
        };
        let mut up = self.parent(cur);
        while up != ROOT {
            self.set_expanded(up, true);
            up = self.parent(up);
        }
        self.set_expanded(ROOT, true);
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
        // Take the child array out so the comparison can read the records.
        let mut all = std::mem::take(&mut self.children);
        for i in 0..self.recs.len() {
            let start = self.recs[i].children as usize;
            let end = self
                .recs
                .get(i + 1)
                .map_or(all.len(), |n| n.children as usize);
            let Some(list) = all.get_mut(start..end) else {
                continue;
            };
            list.sort_by(|&a, &b| {
                let (ma, mb) = (self.name(a), self.name(b));
                match sort {
                    SortBy::Name => (!self.is_dir(a), ma).cmp(&(!self.is_dir(b), mb)),
                    SortBy::Size => {
                        let (sa, sb) = (self.recs[a as usize].size, self.recs[b as usize].size);
                        sb.cmp(&sa).then_with(|| ma.cmp(mb))
                    }
                }
            });
        }
        self.children = all;
    }

    /// Recomputes the visible rows (and which is the last of its siblings), keeping the
    /// selected node selected when it stays visible.
    fn refresh(&mut self) {
        let keep_id = self.selected_id();
        let keep = self.keep_mask();
        let filtering = self.filtering();
        let mut visible = Vec::new();
        let mut last = vec![0u64; self.recs.len().div_ceil(64)];
        let mut stack: Vec<u32> = Vec::new();
        // Children go on the stack last first, so the first pushed is the last shown.
        let mut push_kids = |stack: &mut Vec<u32>, kids: &[u32]| {
            let start = stack.len();
            stack.extend(
                kids.iter()
                    .rev()
                    .copied()
                    .filter(|&c| keep.as_ref().is_none_or(|k| k[c as usize])),
            );
            if let Some(&l) = stack.get(start)
                && let Some(w) = last.get_mut(l as usize / 64)
            {
                *w |= 1 << (l % 64);
            }
        };
        push_kids(&mut stack, self.kids(ROOT));
        while let Some(id) = stack.pop() {
            visible.push(id);
            if self.is_dir(id) && (filtering || self.is_expanded(id)) {
                push_kids(&mut stack, self.kids(id));
            }
        }
        self.visible = visible;
        self.last = last;
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
        let mut keep = vec![false; self.recs.len()];
        for i in (1..self.recs.len()).rev() {
            let id = i as u32;
            let dir = self.is_dir(id);
            let by_kind = match self.filter {
                Filter::All => true,
                Filter::OnlyNative => self.marks.contains_key(&id),
                Filter::OnlyMismatches => self.class(id) == Some(Class::Mismatch),
            };
            let by_text = self.text.matches(self.name(id));
            let passes = if dir {
                self.filter == Filter::All
            } else {
                by_kind
            };
            if by_text && passes {
                keep[i] = true;
            }
            if keep[i] {
                keep[self.recs[i].parent as usize] = true;
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
