//! A list of rows that arrive from a background job, narrowed by a filter typed as you go,
//! with a selection among the rows that pass: the state every list screen shares.

use super::{Load, move_sel};
use crate::ui::filter::Pattern;
use crate::ui::keymap::Bind;

/// Rows, the filter and the selection (an index into the rows that pass the filter).
#[derive(Debug, Clone)]
pub struct FilteredList<T> {
    pub rows: Load<Vec<T>>,
    filter: Pattern,
    sel: usize,
    /// A row's own searchable text (its name, tags, digest), one field a line.
    text: fn(&T) -> String,
    /// What the app knows of each row beyond the row itself (platforms, verdict words),
    /// by row index, so `/arm64` and `/FAIL` find rows too.
    extra: Vec<String>,
}

impl<T> FilteredList<T> {
    pub fn new(rows: Load<Vec<T>>, text: fn(&T) -> String) -> FilteredList<T> {
        FilteredList {
            rows,
            filter: Pattern::default(),
            sel: 0,
            text,
            extra: Vec::new(),
        }
    }

    /// The filter as typed.
    pub fn filter(&self) -> &str {
        self.filter.text()
    }

    pub fn pattern(&self) -> &Pattern {
        &self.filter
    }

    /// The selected position among the visible rows.
    pub fn sel(&self) -> usize {
        self.sel
    }

    /// Indices into the rows of the rows passing the filter, in order.
    pub fn visible(&self) -> Vec<usize> {
        let Some(rows) = self.rows.ready() else {
            return Vec::new();
        };
        if self.filter.is_empty() {
            return (0..rows.len()).collect();
        }
        rows.iter()
            .enumerate()
            .filter(|(i, r)| {
                let mut hay = (self.text)(r);
                if let Some(x) = self.extra.get(*i) {
                    hay.push('\n');
                    hay.push_str(x);
                }
                self.filter.matches(&hay)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether the filter is set and hides every row.
    pub fn filtered_out(&self) -> bool {
        !self.filter.is_empty()
            && self.rows.ready().is_some_and(|r| !r.is_empty())
            && self.visible().is_empty()
    }

    /// The selected row and its index into the rows.
    pub fn selected(&self) -> Option<(usize, &T)> {
        let i = *self.visible().get(self.sel)?;
        Some((i, self.rows.ready()?.get(i)?))
    }

    /// A new filter: the selection goes back to the first row passing it.
    pub fn set_filter(&mut self, text: &str) {
        self.filter = Pattern::new(text);
        self.sel = 0;
    }

    /// The app's text for each row, by row index (see [`FilteredList::extra`]).
    pub fn set_extra(&mut self, extra: Vec<String>) {
        self.extra = extra;
    }

    /// Selects visible row `n`, when there is one.
    pub fn select(&mut self, n: usize) {
        if n < self.visible().len() {
            self.sel = n;
        }
    }

    /// Moves the selection for a movement key; returns any other key.
    pub fn key(&mut self, bind: Bind, page: usize) -> Option<Bind> {
        let n = self.visible().len();
        move_sel(&mut self.sel, n, bind, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> FilteredList<&'static str> {
        FilteredList::new(
            Load::Ready(vec!["alpine", "Debian", "distroless", "busybox"]),
            |w| w.to_string(),
        )
    }

    #[test]
    fn filter_narrows_the_rows_and_moves_stay_among_them() {
        let mut l = words();
        l.key(Bind::Bottom, 10);
        assert_eq!(l.selected(), Some((3, &"busybox")));
        l.set_filter("D");
        assert_eq!(l.visible(), [1, 2]);
        assert_eq!(l.selected(), Some((1, &"Debian")));
        l.key(Bind::PageDown, 10);
        assert_eq!(l.selected(), Some((2, &"distroless")));
        l.select(5);
        assert_eq!(l.sel(), 1, "a row past the end is not selected");
        assert_eq!(l.key(Bind::Enter, 10), Some(Bind::Enter));
    }

    #[test]
    fn regex_inversion_and_the_apps_text_filter_too() {
        let mut l = words();
        l.set_filter("^d");
        assert_eq!(l.visible(), [1, 2]);
        l.set_filter("!^d");
        assert_eq!(l.visible(), [0, 3]);
        l.set_extra(vec![
            "linux/arm64\n✓ PASS".into(),
            "linux/amd64\n✗ FAIL".into(),
        ]);
        l.set_filter("fail");
        assert_eq!(l.visible(), [1]);
        l.set_filter("zzz");
        assert!(l.filtered_out());
        l.set_filter("");
        assert!(!l.filtered_out());
        assert_eq!(l.visible().len(), 4);
    }
}
