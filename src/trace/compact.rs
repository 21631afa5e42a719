//! Compact encodings that keep the hot events small (see [`super::event`]): a duration in 32
//! bits, an optional call id in 32 bits, handshake state texts as 16-bit numbers, and a string
//! behind one thin pointer.
//!
//! A stored event is 32 bytes; at 10^8 events that is the difference between fitting in memory
//! and not. Each encoding says what it gives up (precision beyond a second; more than 65,535
//! distinct state texts) and never fails: the worst case is a less precise value.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{PoisonError, RwLock};

use super::event::{CallId, Nanos};

/// A duration in 32 bits: exact to the nanosecond below 2^30 ns (1.07 s), then microseconds
/// up to 17.9 minutes, then milliseconds up to 12.4 days, then seconds (saturating at 34 years).
/// The two top bits say which unit the other 30 count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Dur32(u32);

const VALUE_BITS: u32 = 30;
const VALUE_MAX: u64 = (1 << VALUE_BITS) - 1;
/// Nanoseconds per unit for each value of the two top bits.
const UNITS: [u64; 4] = [1, 1_000, 1_000_000, 1_000_000_000];

impl Dur32 {
    pub fn from_nanos(ns: Nanos) -> Dur32 {
        for (scale, unit) in UNITS.iter().enumerate() {
            let count = ns / unit;
            if count <= VALUE_MAX {
                return Dur32(((scale as u32) << VALUE_BITS) | count as u32);
            }
        }
        Dur32((3 << VALUE_BITS) | VALUE_MAX as u32)
    }

    pub fn nanos(self) -> Nanos {
        let scale = (self.0 >> VALUE_BITS) as usize;
        u64::from(self.0 & VALUE_MAX as u32) * UNITS[scale]
    }
}

/// An optional call id in 32 bits: call ids start at 1, so 0 means "not inside a call".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallRef(u32);

impl CallRef {
    pub fn new(call: Option<CallId>) -> CallRef {
        CallRef(call.unwrap_or(0))
    }

    pub fn get(self) -> Option<CallId> {
        (self.0 != 0).then_some(self.0)
    }
}

/// A handshake state text (`SSL_state_string_long`) as a number into a process-wide table.
/// OpenSSL has a few dozen such texts; texts read from files are capped so a hostile file
/// cannot grow the table without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateText(u16);

/// The most distinct texts kept; later new ones read as [`UNKNOWN_STATE`].
const MAX_TEXTS: usize = 4096;
pub(crate) const UNKNOWN_STATE: &str = "unknown state";

struct Texts {
    all: Vec<&'static str>,
    index: HashMap<&'static str, u16>,
    cap: usize,
}

impl Texts {
    fn new(cap: usize) -> Texts {
        Texts {
            all: vec![UNKNOWN_STATE],
            index: HashMap::from([(UNKNOWN_STATE, 0)]),
            cap,
        }
    }

    fn get(&self, text: &str) -> Option<u16> {
        self.index.get(text).copied()
    }

    fn add(&mut self, text: &str, keep: impl FnOnce() -> &'static str) -> u16 {
        if let Some(n) = self.get(text) {
            return n;
        }
        if self.all.len() >= self.cap {
            return 0;
        }
        let kept = keep();
        let n = self.all.len() as u16;
        self.all.push(kept);
        self.index.insert(kept, n);
        n
    }

    fn text(&self, n: u16) -> &'static str {
        self.all
            .get(usize::from(n))
            .copied()
            .unwrap_or(UNKNOWN_STATE)
    }
}

static TEXTS: RwLock<Option<Texts>> = RwLock::new(None);

impl StateText {
    /// The number for a text that lives for the whole process (OpenSSL's constants).
    pub fn of_static(text: &'static str) -> StateText {
        StateText::find_or_add(text, || text)
    }

    /// The number for a text read from a file (copied once per distinct text).
    pub fn intern(text: &str) -> StateText {
        StateText::find_or_add(text, || Box::leak(text.to_string().into_boxed_str()))
    }

    pub fn as_str(self) -> &'static str {
        let texts = TEXTS.read().unwrap_or_else(PoisonError::into_inner);
        texts.as_ref().map_or(UNKNOWN_STATE, |t| t.text(self.0))
    }

    fn find_or_add(text: &str, keep: impl FnOnce() -> &'static str) -> StateText {
        let read = TEXTS.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = read.as_ref().and_then(|t| t.get(text)) {
            return StateText(n);
        }
        drop(read);
        let mut write = TEXTS.write().unwrap_or_else(PoisonError::into_inner);
        let texts = write.get_or_insert_with(|| Texts::new(MAX_TEXTS));
        StateText(texts.add(text, keep))
    }
}

/// A string held behind one 8-byte pointer (a `Box<str>` takes 16), for the rare events that
/// carry text (`error`, `secret`): it keeps every event kind within 16 bytes.
#[derive(Clone, PartialEq, Eq)]
#[allow(clippy::box_collection)] // the box is the point: a thin pointer, where `String` is 24 bytes
pub struct ThinStr(Box<String>);

impl Deref for ThinStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ThinStr {
    fn from(text: &str) -> ThinStr {
        ThinStr(Box::new(text.to_string()))
    }
}

impl From<String> for ThinStr {
    fn from(text: String) -> ThinStr {
        ThinStr(Box::new(text))
    }
}

impl From<Box<str>> for ThinStr {
    fn from(text: Box<str>) -> ThinStr {
        ThinStr(Box::new(text.into_string()))
    }
}

impl fmt::Display for ThinStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for ThinStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact_below_a_second_and_close_above() {
        for ns in [0, 1, 999, 1_073_741_823] {
            assert_eq!(Dur32::from_nanos(ns).nanos(), ns);
        }
        for ns in [
            1_073_741_824u64,
            5_000_000_123,
            3_600_000_000_000,
            40 * 86_400 * 1_000_000_000,
        ] {
            let back = Dur32::from_nanos(ns).nanos();
            assert!(
                back <= ns && ns - back < ns / 1000 + 1_000,
                "{ns} -> {back}"
            );
        }
        assert_eq!(
            Dur32::from_nanos(u64::MAX).nanos(),
            VALUE_MAX * 1_000_000_000
        );
        assert!(Dur32::from_nanos(2_000_000_000) > Dur32::from_nanos(1_999_999_999));
    }

    #[test]
    fn call_refs_keep_none_apart_from_ids() {
        assert_eq!(CallRef::new(None).get(), None);
        assert_eq!(CallRef::new(Some(7)).get(), Some(7));
    }

    #[test]
    fn state_texts_round_trip_and_stay_bounded() {
        let a = StateText::of_static("SSLv3/TLS write client hello");
        assert_eq!(a.as_str(), "SSLv3/TLS write client hello");
        assert_eq!(StateText::intern("SSLv3/TLS write client hello"), a);
        let b = StateText::intern("a text from a file");
        assert_ne!(a, b);
        assert_eq!(b.as_str(), "a text from a file");
    }

    #[test]
    fn a_full_table_answers_unknown_and_keeps_what_it_has() {
        let mut texts = Texts::new(3);
        let first = texts.add("first", || "first");
        let second = texts.add("second", || "second");
        assert_eq!(texts.add("third", || "third"), 0);
        assert_eq!(texts.text(0), UNKNOWN_STATE);
        assert_eq!((texts.text(first), texts.text(second)), ("first", "second"));
        assert_eq!(texts.add("first", || "first"), first);
    }
}
