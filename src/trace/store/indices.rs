//! A column of event indices, increasing (a column's events arrive in order), in about two
//! bytes each instead of four: per block of [`BLOCK`] entries the index of its first, and per
//! entry its distance from that one in a `u16`. A block whose events are more than 65,535 events
//! apart (a sparse column: a wait after a long run of other events) keeps all its entries whole
//! instead, so every read is O(1): the galloping bucket search reads entries on every probe.

const SHIFT: u32 = 6;
/// Entries per block: a block costs its 4-byte first index (1/16 byte per entry).
const BLOCK: usize = 1 << SHIFT;
/// `wide` of a block whose entries are its base plus `near`.
const NARROW: u32 = u32::MAX;

/// Increasing `u32` indices, about 2 bytes each.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Indices {
    /// The first index of each block.
    base: Vec<u32>,
    /// Per block, [`NARROW`] or where its entries start in `whole`.
    wide: Vec<u32>,
    /// Each entry's distance from its block's first index (0 in a wide block).
    near: Vec<u16>,
    /// The entries of the wide blocks, whole, block after block.
    whole: Vec<u32>,
}

impl Indices {
    /// Appends `index` (at least the last one).
    pub(crate) fn push(&mut self, index: u32) {
        let i = self.near.len();
        if i.is_multiple_of(BLOCK) {
            self.base.push(index);
            self.wide.push(NARROW);
        }
        let block = self.base.len() - 1;
        let base = self.base[block];
        if self.wide[block] == NARROW {
            match index.checked_sub(base).and_then(|d| u16::try_from(d).ok()) {
                Some(d) => {
                    self.near.push(d);
                    return;
                }
                // Too far for this block: it keeps its entries whole from now on.
                None => {
                    self.wide[block] = u32::try_from(self.whole.len()).unwrap_or(NARROW - 1);
                    let first = block * BLOCK;
                    for j in first..i {
                        self.whole.push(base + u32::from(self.near[j]));
                        self.near[j] = 0;
                    }
                }
            }
        }
        self.whole.push(index);
        self.near.push(0);
    }

    pub fn len(&self) -> usize {
        self.near.len()
    }

    pub fn is_empty(&self) -> bool {
        self.near.is_empty()
    }

    /// Entry `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<u32> {
        let d = *self.near.get(i)?;
        let block = i >> SHIFT;
        match self.wide[block] {
            NARROW => Some(self.base[block] + u32::from(d)),
            at => self.whole.get(at as usize + (i & (BLOCK - 1))).copied(),
        }
    }

    /// Entry `i`, or `u32::MAX` (no event) past the end.
    #[inline]
    pub(crate) fn at(&self, i: usize) -> u32 {
        self.get(i).unwrap_or(u32::MAX)
    }

    pub fn last(&self) -> Option<u32> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Bytes held (the vectors' lengths, not their spare room).
    pub(crate) fn bytes(&self) -> usize {
        use std::mem::size_of;
        (self.base.len() + self.wide.len() + self.whole.len()) * size_of::<u32>()
            + self.near.len() * size_of::<u16>()
    }

    /// Gives back the room the vectors grew into.
    pub(crate) fn shrink(&mut self) {
        self.base.shrink_to_fit();
        self.wide.shrink_to_fit();
        self.near.shrink_to_fit();
        self.whole.shrink_to_fit();
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
        // A gap makes its block whole: the three gaps here all fall in the fourth block.
        assert_eq!(c.whole.len(), BLOCK, "{} whole", c.whole.len());
        assert_eq!(c.wide.iter().filter(|&&w| w != NARROW).count(), 1);
        let mut dense = Indices::default();
        (0..10_000).for_each(|i| dense.push(i * 7));
        assert!(dense.whole.is_empty());
        // Two bytes an entry, eight a block (its base and its `wide`).
        assert!(dense.bytes() < 22_000, "{} bytes", dense.bytes());
        assert_eq!(Indices::default().last(), None);
    }
}
