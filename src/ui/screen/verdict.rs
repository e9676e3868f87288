//! The verdict of one image for every target: targets on the left, the findings of the
//! selected one on the right; Enter on a finding opens its file.

use std::sync::Arc;

use super::{Nav, move_sel};
use crate::catalog::{ImageRow, RootInfo};
use crate::ui::keymap::Bind;
use crate::verdict::TargetResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictPane {
    Targets,
    Findings,
}

#[derive(Debug, Clone)]
pub struct VerdictScreen {
    pub row: ImageRow,
    pub info: Arc<RootInfo>,
    pub sel_target: usize,
    pub sel_finding: usize,
    pub pane: VerdictPane,
}

impl VerdictScreen {
    pub fn new(row: ImageRow, info: Arc<RootInfo>, sel_target: usize) -> VerdictScreen {
        VerdictScreen {
            row,
            info,
            sel_target,
            sel_finding: 0,
            pane: VerdictPane::Targets,
        }
    }

    /// A key on `n_targets` targets; `findings(t)` counts the findings for target `t`
    /// (asked only when the findings pane needs it: evaluating costs).
    pub fn key(
        &mut self,
        bind: Bind,
        page: usize,
        n_targets: usize,
        findings: impl FnOnce(usize) -> usize,
    ) -> Option<Nav> {
        match (bind, self.pane) {
            (Bind::NextPane | Bind::PrevPane, _) => {
                self.pane = if self.pane == VerdictPane::Targets {
                    VerdictPane::Findings
                } else {
                    VerdictPane::Targets
                }
            }
            (Bind::Right | Bind::Enter, VerdictPane::Targets) => {
                self.pane = VerdictPane::Findings;
                self.sel_finding = 0;
            }
            (Bind::Left, VerdictPane::Findings) => self.pane = VerdictPane::Targets,
            (_, VerdictPane::Targets) => {
                let before = self.sel_target;
                move_sel(&mut self.sel_target, n_targets, bind, page);
                if before != self.sel_target {
                    self.sel_finding = 0;
                }
            }
            (Bind::Enter, VerdictPane::Findings) => {
                return Some(Nav::JumpToFinding {
                    target: self.sel_target,
                    finding: self.sel_finding,
                });
            }
            (_, VerdictPane::Findings) => {
                let n = findings(self.sel_target);
                move_sel(&mut self.sel_finding, n, bind, page);
            }
        }
        None
    }

    /// Selects target `n` of `n_targets` when the targets pane is focused.
    pub fn select_row(&mut self, n: usize, n_targets: usize) {
        if self.pane == VerdictPane::Targets && n < n_targets && n != self.sel_target {
            self.sel_target = n;
            self.sel_finding = 0;
        }
    }

    /// The fix (or file) of the selected finding; on the targets pane the first fix or the
    /// error the runtime would print. `r` is the verdict for the selected target.
    pub fn copy_text(&self, r: &TargetResult) -> Option<String> {
        match self.pane {
            VerdictPane::Findings => {
                let f = r.findings.get(self.sel_finding)?;
                f.fix.clone().or_else(|| f.path.clone())
            }
            VerdictPane::Targets => r
                .findings
                .iter()
                .find_map(|f| f.fix.clone())
                .or(r.predicted_error.clone()),
        }
    }
}
