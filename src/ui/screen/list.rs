//! A list of rows that arrive from a background job, narrowed by a filter typed as you go,
//! with a selection among the rows that pass: the state every list screen shares.

use super::{Load, move_sel};
use crate::ui::keymap::Bind;

/// Rows, the filter text and the selection (an index into the rows that pass the filter).
#[derive(Debug, Clone)]
pub struct FilteredList<T> {
    pub rows: Load<Vec<T>>,
    filter: String,
    sel: usize,
    /// Whether a row passes a filter (given in lower case, maybe empty).
    passes: fn(&T, &str) -> bool,
}

impl<T> FilteredList<T> {
    pub fn new(rows: Load<Vec<T>>, passes: fn(&T, &str) -> bool) -> FilteredList<T> {
        FilteredList {
            rows,
            filter: String::new(),
            sel: 0,
            passes,
        }
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The selected position among the visible rows.
    pub fn sel(&self) -> usize {
        self.sel
    }

    /// Indices into the rows of the rows passing the filter, in order.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        self.rows.ready().map_or_else(Vec::new, |v| {
            v.iter()
                .enumerate()
                .filter(|(_, r)| (self.passes)(r, &f))
                .map(|(i, _)| i)
                .collect()
        })
    }

    /// The selected row and its index into the rows.
    pub fn selected(&self) -> Option<(usize, &T)> {
        let i = *self.visible().get(self.sel)?;
        Some((i, self.rows.ready()?.get(i)?))
    }

    /// A new filter: the selection goes back to the first row passing it.
    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.sel = 0;
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
            |w, f| w.to_lowercase().contains(f),
        )
    }

    #[test]
    fn filter_narrows_the_rows_and_moves_stay_among_them() {
        let mut l = words();
        l.key(Bind::Bottom, 10);
        assert_eq!(l.selected(), Some((3, &"busybox")));
        l.set_filter("D".into());
        assert_eq!(l.visible(), [1, 2]);
        assert_eq!(l.selected(), Some((1, &"Debian")));
        l.key(Bind::PageDown, 10);
        assert_eq!(l.selected(), Some((2, &"distroless")));
        l.select(5);
        assert_eq!(l.sel(), 1, "a row past the end is not selected");
        assert_eq!(l.key(Bind::Enter, 10), Some(Bind::Enter));
    }
}
