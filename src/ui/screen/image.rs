//! The dive-like screen of one image: layers, the file tree of the layer or of the merged
//! filesystem, and the details of the selected file.

use std::sync::Arc;

use super::{Load, move_sel};
use crate::analyze::{Entry, Image};
use crate::oci::{Digest, Platform};
use crate::catalog::{ImageRow, RootInfo};
use crate::ui::keymap::Bind;
use crate::ui::tree::{Filter, SortBy, Tree, View};
use crate::verdict::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Layers,
    Files,
    Details,
}

/// The dive-like screen of one image.
#[derive(Debug, Clone)]
pub struct ImageScreen {
    pub row: ImageRow,
    pub info: Arc<RootInfo>,
    pub digest: Digest,
    pub media_type: String,
    /// The platform the index declares for this entry (or the config's, for a single image).
    pub platform: Option<Platform>,
    pub image: Load<Arc<Image>>,
    pub tree: Option<Tree>,
    pub view: View,
    pub layer: usize,
    pub pane: Pane,
    pub detail_scroll: u16,
    /// A path to select once the tree exists (a jump from the verdict screen).
    pub reveal: Option<String>,
}

impl ImageScreen {
    /// The screen of `entry` of a root, on its merged files; `image` is its analysis.
    pub fn new(
        row: ImageRow,
        info: Arc<RootInfo>,
        entry: &Entry,
        platform: Option<Platform>,
        image: Load<Arc<Image>>,
    ) -> ImageScreen {
        ImageScreen {
            row,
            info,
            digest: entry.digest.clone(),
            media_type: entry.media_type.clone(),
            platform,
            image,
            tree: None,
            view: View::Merged,
            layer: 0,
            pane: Pane::Files,
            detail_scroll: 0,
            reveal: None,
        }
    }

    /// A merged tree kept from an earlier visit, with its sort, filters and selection.
    pub fn resume_tree(&mut self, mut tree: Tree, target: &Target) {
        tree.set_target(Some(target.platform.clone()));
        if let Load::Ready(img) = &self.image {
            self.layer = img.layers.len().saturating_sub(1);
        }
        self.tree = Some(tree);
    }

    pub fn key(&mut self, bind: Bind, page: usize, target: &Target) {
        match bind {
            Bind::NextPane => {
                self.pane = match self.pane {
                    Pane::Layers => Pane::Files,
                    Pane::Files => Pane::Details,
                    Pane::Details => Pane::Layers,
                }
            }
            Bind::PrevPane => {
                self.pane = match self.pane {
                    Pane::Layers => Pane::Details,
                    Pane::Files => Pane::Layers,
                    Pane::Details => Pane::Files,
                }
            }
            Bind::ToggleView => {
                self.view = if self.view == View::Merged {
                    View::Layer
                } else {
                    View::Merged
                };
                self.rebuild_tree(target);
            }
            Bind::Sort => {
                if let Some(t) = &mut self.tree {
                    t.set_sort(if t.sort() == SortBy::Name {
                        SortBy::Size
                    } else {
                        SortBy::Name
                    });
                }
            }
            Bind::OnlyNative | Bind::OnlyMismatches => {
                if let Some(t) = &mut self.tree {
                    let want = if bind == Bind::OnlyNative {
                        Filter::OnlyNative
                    } else {
                        Filter::OnlyMismatches
                    };
                    t.set_filter(if t.filter() == want {
                        Filter::All
                    } else {
                        want
                    });
                    self.pane = Pane::Files;
                }
            }
            Bind::ExpandAll | Bind::CollapseAll => {
                if let Some(t) = &mut self.tree {
                    t.set_all_expanded(bind == Bind::ExpandAll);
                }
            }
            _ => match self.pane {
                Pane::Layers => {
                    let n = self.image.ready().map_or(0, |i| i.layers.len());
                    let before = self.layer;
                    let b = match bind {
                        Bind::Left => Bind::Up,
                        Bind::Right => Bind::Down,
                        b => b,
                    };
                    if move_sel(&mut self.layer, n, b, page) == Some(Bind::Enter) {
                        self.pane = Pane::Files;
                    }
                    if before != self.layer {
                        self.rebuild_tree(target);
                    }
                }
                Pane::Files => {
                    let Some(t) = &mut self.tree else { return };
                    match bind {
                        Bind::Down => t.move_by(1),
                        Bind::Up => t.move_by(-1),
                        Bind::PageDown => t.move_by(page as isize),
                        Bind::PageUp => t.move_by(-(page as isize)),
                        Bind::Top => t.select_first(),
                        Bind::Bottom => t.select_last(),
                        Bind::Right => t.expand(),
                        Bind::Left => t.collapse(),
                        Bind::Enter => t.toggle(),
                        _ => {}
                    }
                    self.detail_scroll = 0;
                }
                Pane::Details => match bind {
                    Bind::Down => self.detail_scroll = self.detail_scroll.saturating_add(1),
                    Bind::Up => self.detail_scroll = self.detail_scroll.saturating_sub(1),
                    Bind::PageDown => {
                        self.detail_scroll = self.detail_scroll.saturating_add(page as u16)
                    }
                    Bind::PageUp => {
                        self.detail_scroll = self.detail_scroll.saturating_sub(page as u16)
                    }
                    Bind::Top => self.detail_scroll = 0,
                    _ => {}
                },
            },
        }
    }

    /// Selects row `n` of the focused pane (a layer, or a row of the file tree).
    pub fn select_row(&mut self, n: usize, target: &Target) {
        match self.pane {
            Pane::Layers => {
                let layers = self.image.ready().map_or(0, |i| i.layers.len());
                if n < layers && n != self.layer {
                    self.layer = n;
                    self.rebuild_tree(target);
                }
            }
            Pane::Files => {
                if let Some(tree) = &mut self.tree {
                    tree.select_row(n);
                }
            }
            Pane::Details => {}
        }
    }

    /// The tree of a freshly read image: the top layer selected, and a requested path (or
    /// else `culprit`, the file behind the first finding) revealed.
    pub fn show_tree(
        &mut self,
        target: &Target,
        built: Option<Box<Tree>>,
        culprit: Option<String>,
    ) {
        let Load::Ready(img) = &self.image else {
            return;
        };
        self.layer = img.layers.len().saturating_sub(1);
        let mut tree = match built {
            Some(t) if self.view == View::Merged => *t,
            _ => Tree::of_image(img, self.view, self.layer),
        };
        tree.set_target(Some(target.platform.clone()));
        if let Some(p) = self.reveal.take().or(culprit) {
            tree.reveal(&p);
        }
        self.tree = Some(tree);
    }

    /// Shows `file` in the files pane, unfiltered, switching to the merged view when this
    /// layer does not have it; remembered until the tree exists.
    pub fn reveal_file(&mut self, file: String, target: &Target) {
        self.pane = Pane::Files;
        match &mut self.tree {
            Some(tree) => {
                if tree.filter() != Filter::All || !tree.text_filter().is_empty() {
                    tree.set_filter(Filter::All);
                    tree.set_text_filter("");
                }
                if !tree.reveal(&file) && self.view == View::Layer {
                    // The file may come from another layer: show the merged view.
                    if let Load::Ready(img) = &self.image {
                        self.view = View::Merged;
                        let mut t = Tree::of_image(img, self.view, self.layer);
                        t.set_target(Some(target.platform.clone()));
                        t.reveal(&file);
                        self.tree = Some(t);
                    }
                }
            }
            None => self.reveal = Some(file),
        }
    }

    /// The path of the selected file, or else the image digest.
    pub fn copy_text(&self) -> Option<String> {
        match (&self.pane, &self.tree) {
            (Pane::Files, Some(t)) => t.selected_id().map(|id| t.path_of(id)),
            _ => Some(self.digest.to_string()),
        }
    }

    /// Rebuilds the tree for the selected view and layer, keeping sort, filters and selection.
    fn rebuild_tree(&mut self, target: &Target) {
        let Load::Ready(img) = &self.image else {
            return;
        };
        let old = self.tree.take();
        let mut t = Tree::of_image(img, self.view, self.layer);
        t.set_target(Some(target.platform.clone()));
        if let Some(o) = old {
            t.set_sort(o.sort());
            t.set_filter(o.filter());
            t.set_text_filter(o.text_filter());
            if let Some(id) = o.selected_id() {
                t.reveal(&o.path_of(id));
            }
        }
        self.tree = Some(t);
    }
}
