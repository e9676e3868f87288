//! The diff page of an index: two platform entries compared by the core ([`crate::diff`]),
//! held here once both images are read; the view only draws it.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Load, Nav};
use crate::analyze::{Entry, Image};
use crate::catalog::{ImageRow, RootInfo};
use crate::diff::{self, Diff};
use crate::oci::Digest;
use crate::ui::keymap::Bind;

#[derive(Debug, Clone)]
pub struct DiffScreen {
    pub row: ImageRow,
    pub info: Arc<RootInfo>,
    /// A, then B.
    pub entries: [Entry; 2],
    pub images: [Load<Arc<Image>>; 2],
    /// Computed once both images are read.
    pub diff: Option<Box<Diff>>,
    pub scroll: usize,
}

impl DiffScreen {
    pub fn new(row: ImageRow, info: Arc<RootInfo>, entries: [Entry; 2]) -> DiffScreen {
        DiffScreen {
            row,
            info,
            entries,
            images: [Load::Loading(0), Load::Loading(0)],
            diff: None,
            scroll: 0,
        }
    }

    /// Takes what the app now knows of the two images; compares them once both are read.
    pub fn arrived(
        &mut self,
        images: &HashMap<Digest, Arc<Image>>,
        failed: &HashMap<Digest, String>,
    ) {
        for (e, slot) in self.entries.iter().zip(&mut self.images) {
            if let Some(i) = images.get(&e.digest) {
                *slot = Load::Ready(Arc::clone(i));
            } else if let Some(err) = failed.get(&e.digest) {
                *slot = Load::Failed(err.clone());
            }
        }
        if self.diff.is_none()
            && let [Load::Ready(a), Load::Ready(b)] = &self.images
        {
            let [ea, eb] = &self.entries;
            let (la, lb) = (label(ea), label(eb));
            self.diff = Some(Box::new(diff::compare(
                (&la, ea.platform.as_ref(), a),
                (&lb, eb.platform.as_ref(), b),
            )));
        }
    }

    /// Scrolls the page up to `max` rows (the view's wrapped height at the terminal's
    /// width, less the rows on screen). ← / Esc go back.
    pub fn key(&mut self, bind: Bind, page: usize, max: usize) -> Option<Nav> {
        match bind {
            Bind::Left => return Some(Nav::Back),
            Bind::Down => self.scroll = (self.scroll + 1).min(max),
            Bind::Up => self.scroll = self.scroll.saturating_sub(1),
            Bind::PageDown => self.scroll = (self.scroll + page).min(max),
            Bind::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Bind::Top => self.scroll = 0,
            Bind::Bottom => self.scroll = max,
            _ => {}
        }
        None
    }

    /// The command that prints this diff. None when an entry has no platform: the command
    /// line names the entries of an index by platform only.
    pub fn copy_text(&self) -> Option<String> {
        let [a, b] = &self.entries;
        let (Some(pa), Some(pb)) = (&a.platform, &b.platform) else {
            return None;
        };
        Some(format!(
            "archlens diff {} --platforms {pa},{pb}",
            self.row.reference
        ))
    }

    /// The two entries of `info` a picker chose: `a`, and `b` when it is another entry, else
    /// the usual other side (linux/arm64, else linux/amd64, else the next image).
    pub fn pair(info: &RootInfo, a: &Digest, b: Option<&Digest>) -> Option<[Entry; 2]> {
        let root = &info.root;
        let a = root.images().find(|e| &e.digest == a)?;
        let other = |e: &&Entry| e.digest != a.digest;
        let b = b
            .and_then(|d| root.images().find(|e| &e.digest == d))
            .filter(other)
            .or_else(|| {
                diff::default_platforms()
                    .iter()
                    .rev()
                    .find_map(|p| diff::pick("", root, p).ok().filter(other))
            })
            .or_else(|| root.images().find(other))?;
        Some([a.clone(), b.clone()])
    }
}

/// How a side is named on the page: its platform, else its digest.
pub fn label(e: &Entry) -> String {
    e.platform
        .as_ref()
        .map_or_else(|| e.digest.short(), |p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::manifest::EntryKind;

    fn entry(n: u8, platform: Option<&str>) -> Entry {
        Entry {
            digest: Digest::sha256_of(&[n]),
            media_type: crate::oci::media::OCI_MANIFEST.into(),
            platform: platform.map(|p| p.parse().unwrap()),
            kind: EntryKind::Image,
            subject: None,
            artifact: None,
            size: 1,
        }
    }

    fn screen(entries: Vec<Entry>, a: usize, b: Option<usize>) -> Option<DiffScreen> {
        let info = Arc::new(RootInfo {
            root: crate::analyze::Root {
                digest: Digest::sha256_of(b"index"),
                media_type: crate::oci::media::OCI_INDEX.into(),
                is_index: true,
                entries: entries.clone(),
            },
            config_platform: None,
            size: 0,
            unread: HashMap::new(),
        });
        let row = ImageRow {
            tags: vec!["t".into()],
            reference: "oci:x:t".into(),
            digest: None,
            pushed: None,
            size: None,
            attached: Box::new([]),
            unpullable: None,
            scan_findings: None,
        };
        let b = b.map(|i| entries[i].digest.clone());
        let pair = DiffScreen::pair(&info, &entries[a].digest, b.as_ref())?;
        Some(DiffScreen::new(row, info, pair))
    }

    #[test]
    fn the_picker_takes_any_two_and_y_needs_both_platforms() {
        let all = vec![
            entry(1, Some("linux/amd64")),
            entry(2, Some("linux/arm64")),
            entry(3, Some("linux/s390x")),
            entry(4, None),
        ];
        let s = screen(all.clone(), 2, Some(0)).unwrap();
        assert_eq!(
            s.copy_text().as_deref(),
            Some("archlens diff oci:x:t --platforms linux/s390x,linux/amd64")
        );
        // B not chosen (d on A again): arm64, or amd64 when A is arm64.
        let s = screen(all.clone(), 0, Some(0)).unwrap();
        assert_eq!(label(&s.entries[1]), "linux/arm64");
        let s = screen(all.clone(), 1, None).unwrap();
        assert_eq!(label(&s.entries[1]), "linux/amd64");
        // An entry without a platform has no command line to copy.
        let s = screen(all.clone(), 3, Some(0)).unwrap();
        assert_eq!(s.copy_text(), None);
        assert!(screen(vec![entry(1, Some("linux/amd64"))], 0, None).is_none());
    }
}
