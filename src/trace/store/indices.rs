//! A column of event indices, increasing (a column's events arrive in order), in about two
//! bytes each instead of four: per block of [`BLOCK`] entries the index of its first, and per
//! entry its distance from that one in a `u16`. The few entries farther than that (a block whose
//! events are more than 65,534 events apart: a call after a long run of other events) keep
//! their index whole in a side list.

const SHIFT: u32 = 6;
/// Entries per block: a block costs its 4-byte first index (1/16 byte per entry).
const BLOCK: usize = 1 << SHIFT;
/// The distance that marks an entry kept in the side list.
const FAR: u16 = u16::MAX;

/// Increasing `u32` indices, about 2 bytes each.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Indices {
    /// The first index of each block.
    base: Vec<u32>,
    /// Each entry's distance from its block's first index, or [`FAR`].
    near: Vec<u16>,
    /// `(entry, index)` of the entries marked [`FAR`], in entry order.
    far: Vec<(u32, u32)>,
}

impl Indices {
    /// Appends `index` (at least the last one).
    pub(crate) fn push(&mut self, index: u32) {
        let i = self.near.len();
        if i.is_multiple_of(BLOCK) {
            self.base.push(index);
        }
        let base = self.base.last().copied().unwrap_or(index);
        let near = index
            .checked_sub(base)
            .and_then(|d| u16::try_from(d).ok())
            .filter(|&d| d != FAR);
        match near {
            Some(d) => self.near.push(d),
            None => {
                self.near.push(FAR);
                self.far.push((i as u32, index));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.near.len()
    }

    pub fn is_empty(&self) -> bool {
        self.near.is_empty()
    }

    /// Entry `i`.
    pub fn get(&self, i: usize) -> Option<u32> {
        let d = *self.near.get(i)?;
        if d != FAR {
            return Some(self.base[i >> SHIFT] + u32::from(d));
        }
        let k = self.far.binary_search_by_key(&(i as u32), |f| f.0).ok()?;
        Some(self.far[k].1)
    }

    /// Entry `i`, or `u32::MAX` (no event) past the end.
    pub(crate) fn at(&self, i: usize) -> u32 {
        self.get(i).unwrap_or(u32::MAX)
    }

    pub fn last(&self) -> Option<u32> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Bytes held (the vectors' lengths, not their spare room).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.base.len() * size_of::<u32>()
            + self.near.len() * size_of::<u16>()
            + self.far.len() * size_of::<(u32, u32)>()
    }

    /// Gives back the room the vectors grew into.
    pub(crate) fn shrink(&mut self) {
        self.base.shrink_to_fit();
        self.near.shrink_to_fit();
        self.far.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_come_back_near_or_far() {
        // Close together, then gaps too wide for a block's u16 (and one exactly at the mark).
        let mut want: Vec<u32> = (0..200).map(|i| i * 3).collect();
        want.extend([
            100_000,
            100_001,
            100_000 + 65_535,
            100_000 + 65_536,
            4_000_000_000,
        ]);
        want.extend((0..100).map(|i| 4_000_000_001 + i));
        let mut c = Indices::default();
        for &i in &want {
            c.push(i);
        }
        assert_eq!(c.len(), want.len());
        let got: Vec<u32> = (0..c.len()).filter_map(|i| c.get(i)).collect();
        assert_eq!(got, want);
        assert_eq!(c.get(want.len()), None);
        assert_eq!(c.at(want.len()), u32::MAX);
        assert_eq!(c.last(), want.last().copied());
        // A gap puts at most the rest of its block aside: three gaps here, in two blocks.
        assert!(c.far.len() <= 2 * BLOCK, "{} aside", c.far.len());
        let mut dense = Indices::default();
        (0..10_000).for_each(|i| dense.push(i * 7));
        assert!(dense.far.is_empty());
        assert!(dense.bytes() < 21_000, "{} bytes", dense.bytes());
        assert_eq!(Indices::default().last(), None);
    }
}
