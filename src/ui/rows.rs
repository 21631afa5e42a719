//! The events table's rows: the sorted indices of the events that pass the filter. With the
//! usual filter nearly every event passes, so the list is kept as the events that do not (a
//! few bytes per hidden event, not four per row: 10^8 rows would be 400 MB); once more are
//! hidden than shown, as the shown ones.

use crate::trace::store::first;

/// Sorted event indices, kept as whichever list is shorter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    /// Every event in `0..scanned` except `hidden` (sorted).
    AllBut { scanned: u32, hidden: Vec<u32> },
    /// Only these events (sorted).
    Only(Vec<u32>),
}

impl Default for Rows {
    fn default() -> Rows {
        Rows::AllBut {
            scanned: 0,
            hidden: Vec::new(),
        }
    }
}

impl Rows {
    /// Adds the next scanned event, shown or not (events come in order).
    pub fn push(&mut self, event: u32, shown: bool) {
        let flip = match self {
            Rows::AllBut { scanned, hidden } => {
                *scanned = event + 1;
                if !shown {
                    hidden.push(event);
                }
                hidden.len() > 64 && hidden.len() * 2 > *scanned as usize
            }
            Rows::Only(rows) => {
                if shown {
                    rows.push(event);
                }
                false
            }
        };
        if flip {
            let only = self.iter().collect();
            *self = Rows::Only(only);
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::AllBut { scanned, hidden } => *scanned as usize - hidden.len(),
            Rows::Only(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event shown in row `r`.
    pub fn get(&self, r: usize) -> Option<u32> {
        match self {
            Rows::AllBut { hidden, .. } => {
                (r < self.len()).then_some(())?;
                // Hidden events before the answer: those with at most r shown events before them
                // (hidden[j] - j of them, growing with j).
                let k = first(hidden.len(), |j| hidden[j] as usize - j > r);
                u32::try_from(r + k).ok()
            }
            Rows::Only(rows) => rows.get(r).copied(),
        }
    }

    /// How many rows show events before `event` (the row `event` is in, or would be).
    pub fn position(&self, event: u32) -> usize {
        match self {
            Rows::AllBut { scanned, hidden } => {
                let event = event.min(*scanned);
                event as usize - hidden.partition_point(|&h| h < event)
            }
            Rows::Only(rows) => rows.partition_point(|&r| r < event),
        }
    }

    /// The events of rows `range`, in order.
    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = u32> + '_ {
        let first = self.get(range.start);
        let n = range.end.min(self.len()).saturating_sub(range.start);
        let mut next = first;
        let mut hidden_at = match (self, first) {
            (Rows::AllBut { hidden, .. }, Some(e)) => hidden.partition_point(|&h| h < e),
            _ => 0,
        };
        let mut r = range.start;
        std::iter::from_fn(move || {
            let e = next?;
            next = match self {
                Rows::AllBut { hidden, .. } => {
                    let mut n = e + 1;
                    while hidden.get(hidden_at).is_some_and(|&h| h <= n) {
                        if hidden[hidden_at] == n {
                            n += 1;
                        }
                        hidden_at += 1;
                    }
                    Some(n)
                }
                Rows::Only(rows) => rows.get(r + 1).copied(),
            };
            r += 1;
            Some(e)
        })
        .take(n)
    }

    /// Every row's event, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.range(0..self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Rows;

    /// Rows built from `shown(i)` for events `0..n`, checked against a plain list.
    fn check(n: u32, shown: impl Fn(u32) -> bool) -> Rows {
        let mut rows = Rows::default();
        for e in 0..n {
            rows.push(e, shown(e));
        }
        let plain: Vec<u32> = (0..n).filter(|&e| shown(e)).collect();
        assert_eq!(rows.len(), plain.len());
        assert_eq!(rows.iter().collect::<Vec<_>>(), plain);
        for (r, &e) in plain.iter().enumerate() {
            assert_eq!(rows.get(r), Some(e), "row {r}");
            assert_eq!(rows.position(e), r);
            let tail: Vec<u32> = rows.range(r..r + 3).collect();
            assert_eq!(tail, plain[r..(r + 3).min(plain.len())]);
        }
        assert_eq!(rows.get(plain.len()), None);
        for e in 0..n {
            assert_eq!(rows.position(e), plain.partition_point(|&p| p < e));
        }
        rows
    }

    #[test]
    fn few_hidden_events_are_kept_as_the_hidden_ones() {
        let rows = check(1000, |e| !(e < 3 || e % 97 == 5 || e % 97 == 6));
        assert!(matches!(rows, Rows::AllBut { .. }));
        let all = check(500, |_| true);
        assert_eq!(
            all,
            Rows::AllBut {
                scanned: 500,
                hidden: vec![]
            }
        );
    }

    #[test]
    fn many_hidden_events_are_kept_as_the_shown_ones() {
        let rows = check(1000, |e| e % 3 == 0);
        assert!(matches!(rows, Rows::Only(_)));
        check(100, |_| false);
        check(0, |_| true);
    }
}
