//! Unit tests of the event model: size, names, EOF.

use super::*;

#[test]
fn events_stay_small() {
    // The hot path stores one of these per socket operation; 10^8 of them must fit in memory.
    use std::mem::size_of;
    assert!(size_of::<Event>() <= 32, "{}", size_of::<Event>());
    // What keeps it there: every kind fits 15 bytes after its tag (the boxed ones 8).
    assert!(size_of::<EventKind>() <= 16, "{}", size_of::<EventKind>());
}

#[test]
fn names_round_trip() {
    for op in Op::ALL {
        assert_eq!(Op::from_name(op.name()), Some(op));
    }
    for code in 0..=11 {
        let e = SslError::from_code(code);
        assert_eq!(SslError::from_name(e.name()), Some(e));
    }
}

#[test]
fn eof_is_a_zero_read_without_error() {
    let io = Io::new(None, Dir::Read, 5, 0, false, None);
    assert!(io.is_eof());
    assert!(!Io::new(None, Dir::Read, 5, 0, true, None).is_eof());
    assert!(!Io::new(None, Dir::Write, 5, 0, false, None).is_eof());
}
