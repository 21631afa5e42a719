//! The last answer of a query kept with what it was asked, so a frame that asks the same again
//! (the same connection with the same events, the same range at the same width: a repaint for
//! a hover, a live trace with nothing new) gets it without searching the store again.

use crate::trace::event::{ConnId, Nanos};

/// What a view's per-bucket queries depend on: the connection, how many events the store had
/// taken (it only grows, so no two states of a connection share one), the range and the
/// buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewKey {
    pub conn: ConnId,
    /// [`super::Store::total_events`] when asked.
    pub generation: u64,
    pub t0: Nanos,
    pub t1: Nanos,
    pub buckets: usize,
}

/// One remembered answer.
#[derive(Debug, Clone)]
pub struct Memo<K, V> {
    last: Option<(K, V)>,
    /// How many times the answer was made (the first time and each time the key changed).
    pub made: u64,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Memo<K, V> {
        Memo {
            last: None,
            made: 0,
        }
    }
}

impl<K: PartialEq, V> Memo<K, V> {
    /// The answer for `key`: the remembered one if it was asked for this key, else `make()`'s,
    /// remembered in its place.
    pub fn get_or(&mut self, key: K, make: impl FnOnce() -> V) -> &V {
        let entry = match self.last.take() {
            Some((k, v)) if k == key => (k, v),
            _ => {
                self.made += 1;
                (key, make())
            }
        };
        &self.last.insert(entry).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::{Op, SslError};
    use crate::trace::store::fixtures::{call, ev};
    use crate::trace::store::{aggregate, Store};

    #[test]
    fn an_answer_is_made_again_only_when_its_key_changes() {
        let mut store = Store::new();
        let events: Vec<_> = (1..=5_000u32)
            .map(|id| {
                let error = [SslError::None, SslError::WantWrite][id as usize % 3 % 2];
                ev(u64::from(id) * 2_000, call(id, Op::Write, error, 700))
            })
            .collect();
        store.push_batch(&events[..events.len() / 2]);
        let mut memo = Memo::default();
        let key = |s: &Store, t0, t1| ViewKey {
            conn: s.conns[0].id,
            generation: s.total_events,
            t0,
            t1,
            buckets: 100,
        };
        let marks = |s: &Store, t0, t1| aggregate(&s.conns[0].calls(), t0, t1, 100);
        let first = memo.get_or(key(&store, 0, 10_000_000), || marks(&store, 0, 10_000_000));
        assert_eq!(*first, marks(&store, 0, 10_000_000));
        memo.get_or(key(&store, 0, 10_000_000), || unreachable!("remembered"));
        assert_eq!(memo.made, 1);
        // Another range, then more events: made again, and equal to a fresh query.
        let other = memo.get_or(key(&store, 5, 9_000_000), || marks(&store, 5, 9_000_000));
        assert_eq!(*other, marks(&store, 5, 9_000_000));
        store.push_batch(&events[events.len() / 2..]);
        let grown = memo.get_or(key(&store, 5, 9_000_000), || marks(&store, 5, 9_000_000));
        assert_eq!(*grown, marks(&store, 5, 9_000_000));
        assert_eq!(memo.made, 3);
    }
}
