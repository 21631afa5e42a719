//! Which rows of the events table are picked for copying: a click picks one, Shift+click extends
//! from the last click, Ctrl+A picks every row shown. Rows are event indices (the table's rows
//! are sorted event indices, see [`Rows`]), so a pick survives new events and a change of filter.

use super::rows::Rows;
use std::ops::Range;

/// A contiguous range of picked event indices, and where the last plain click was.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RowPick {
    anchor: Option<u32>,
    range: Option<(u32, u32)>,
}

impl RowPick {
    /// A plain click: picks this row alone.
    pub fn click(&mut self, event: u32) {
        self.anchor = Some(event);
        self.range = Some((event, event));
    }

    /// Shift+click: picks from the last plain click to this row (this row alone if none).
    pub fn extend(&mut self, event: u32) {
        let anchor = *self.anchor.get_or_insert(event);
        self.range = Some((anchor.min(event), anchor.max(event)));
    }

    /// Ctrl+A: every row in `rows`.
    pub fn all(&mut self, rows: &Rows) {
        let last = rows.len().checked_sub(1).and_then(|r| rows.get(r));
        if let (Some(first), Some(last)) = (rows.get(0), last) {
            self.anchor = Some(first);
            self.range = Some((first, last));
        }
    }

    pub fn clear(&mut self) {
        *self = RowPick::default();
    }

    pub fn contains(&self, event: u32) -> bool {
        self.range.is_some_and(|(a, b)| (a..=b).contains(&event))
    }

    /// The picked rows among `rows`, as a range of row numbers.
    pub fn rows(&self, rows: &Rows) -> Range<usize> {
        let Some((a, b)) = self.range else {
            return 0..0;
        };
        let start = rows.position(a);
        let end = rows.position(b.saturating_add(1));
        start..end.max(start)
    }
}

#[cfg(test)]
mod tests {
    use super::{RowPick, Rows};

    /// The rows of these sorted events, and the events of a range of them.
    fn rows(events: &[u32]) -> Rows {
        let mut r = Rows::default();
        for e in 0..=events.last().copied().unwrap_or(0) {
            r.push(e, events.contains(&e));
        }
        r
    }

    fn picked(p: &RowPick, events: &[u32]) -> Vec<u32> {
        let r = rows(events);
        r.range(p.rows(&r)).collect()
    }

    #[test]
    fn click_picks_one_and_shift_click_extends_from_it_either_way() {
        let rows = [2, 3, 5, 8, 13, 21];
        let mut p = RowPick::default();
        assert!(picked(&p, &rows).is_empty());
        p.click(5);
        assert_eq!(picked(&p, &rows), &[5]);
        p.extend(13);
        assert_eq!(picked(&p, &rows), &[5, 8, 13]);
        // Extending again starts from the same click, not from the end of the last range.
        p.extend(2);
        assert_eq!(picked(&p, &rows), &[2, 3, 5]);
        assert!(p.contains(4) && !p.contains(8));
        p.click(21);
        assert_eq!(picked(&p, &rows), &[21]);
    }

    #[test]
    fn select_all_takes_the_rows_shown_and_a_filter_narrows_a_pick() {
        let mut p = RowPick::default();
        p.all(&rows(&[4, 9, 30]));
        assert_eq!(picked(&p, &[4, 9, 30]), &[4, 9, 30]);
        // Fewer rows pass another filter: the pick is what of them lies in the range.
        assert_eq!(picked(&p, &[1, 9, 31]), &[9]);
        p.all(&rows(&[]));
        assert_eq!(
            picked(&p, &[4, 9, 30]),
            &[4, 9, 30],
            "nothing to pick: kept"
        );
        p.clear();
        assert!(picked(&p, &[4, 9]).is_empty());
        // Shift+click with no click before: that row alone.
        p.extend(9);
        assert_eq!(picked(&p, &[4, 9, 30]), &[9]);
    }
}
