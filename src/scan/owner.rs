//! Who owns each path (uid:gid), kept only where it is not root: per layer as runs of
//! entries, in the merged filesystem as a small table indexed from spare mode bits.

use serde::{Deserialize, Serialize};

use super::LayerScan;

/// Entries `first..first + count` of a layer (tar order) owned by `uid:gid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRun {
    pub first: u32,
    pub count: u32,
    pub uid: u32,
    pub gid: u32,
}

impl LayerScan {
    /// Records that entry `index` (the next one pushed) is owned by `uid:gid`.
    pub fn note_owner(&mut self, index: usize, uid: u32, gid: u32) {
        let Ok(index) = u32::try_from(index) else {
            return;
        };
        if (uid, gid) == (0, 0) {
            return;
        }
        if let Some(r) = self.owners.last_mut()
            && (r.uid, r.gid) == (uid, gid)
            && r.first.checked_add(r.count) == Some(index)
        {
            r.count += 1;
            return;
        }
        self.owners.push(OwnerRun {
            first: index,
            count: 1,
            uid,
            gid,
        });
    }
}

/// Mode bits a tar mode uses (permissions and file type); the bits above hold an owner.
pub(super) const MODE_BITS: u32 = 0xffff;

/// The distinct owners of a merged filesystem other than root; a slot's mode keeps its
/// owner's position here + 1 above [`MODE_BITS`], so a path costs no byte more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Owners {
    table: Vec<(u32, u32)>,
}

impl Owners {
    /// `mode` with the owner `uid:gid` packed above its mode bits.
    pub(super) fn pack(&mut self, mode: u32, owner: Option<(u32, u32)>) -> u32 {
        let mode = mode & MODE_BITS;
        let Some(o) = owner else {
            return mode;
        };
        let at = match self.table.iter().position(|&t| t == o) {
            Some(at) => at,
            None => {
                // Past 65,535 distinct owners (never seen in an image) the rest read as root.
                if self.table.len() >= usize::from(u16::MAX) {
                    return mode;
                }
                self.table.push(o);
                self.table.len() - 1
            }
        };
        mode | (u32::try_from(at + 1).unwrap_or(0) << 16)
    }

    /// The owner a packed mode holds: `(0, 0)` for root.
    pub(super) fn of(&self, mode: u32) -> (u32, u32) {
        let at = (mode >> 16) as usize;
        at.checked_sub(1)
            .and_then(|i| self.table.get(i))
            .copied()
            .unwrap_or((0, 0))
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.table.capacity() * 8
    }
}

/// Walks a layer's owner runs alongside its entries, in order.
pub(super) struct RunCursor<'a> {
    runs: &'a [OwnerRun],
}

impl<'a> RunCursor<'a> {
    pub(super) fn new(runs: &'a [OwnerRun]) -> RunCursor<'a> {
        RunCursor { runs }
    }

    /// The owner of entry `index`, asked for in increasing order; None for root.
    pub(super) fn at(&mut self, index: usize) -> Option<(u32, u32)> {
        let index = u32::try_from(index).ok()?;
        while let Some((r, rest)) = self.runs.split_first() {
            if r.first.saturating_add(r.count) > index {
                return (r.first <= index).then_some((r.uid, r.gid));
            }
            self.runs = rest;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_group_one_owner_and_root_costs_nothing() {
        let mut scan = LayerScan::default();
        for (i, o) in [(0, 0), (1000, 1000), (1000, 1000), (0, 0), (33, 33)]
            .into_iter()
            .enumerate()
        {
            scan.note_owner(i, o.0, o.1);
        }
        assert_eq!(scan.owners.len(), 2);
        assert_eq!((scan.owners[0].first, scan.owners[0].count), (1, 2));
        let mut c = RunCursor::new(&scan.owners);
        let got: Vec<_> = (0..6).map(|i| c.at(i)).collect();
        assert_eq!(
            got,
            [
                None,
                Some((1000, 1000)),
                Some((1000, 1000)),
                None,
                Some((33, 33)),
                None
            ]
        );
        let mut t = Owners::default();
        let m = t.pack(0o100755, Some((1000, 50)));
        assert_eq!((m & MODE_BITS, t.of(m)), (0o100755 & MODE_BITS, (1000, 50)));
        let root = t.pack(0o644, None);
        assert_eq!((root, t.of(root)), (0o644, (0, 0)));
    }
}
