//! Unit tests of the event model: size, names, EOF.

use super::*;

#[test]
fn events_stay_small() {
    // The hot path stores one of these per socket operation; keep it within a cache line.
    assert!(
        std::mem::size_of::<Event>() <= 64,
        "{}",
        std::mem::size_of::<Event>()
    );
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
    let io = Io {
        call: None,
        dir: Dir::Read,
        want: 5,
        got: 0,
        would_block: false,
        os_error: None,
    };
    assert!(io.is_eof());
    assert!(!Io {
        would_block: true,
        ..io
    }
    .is_eof());
    assert!(!Io {
        dir: Dir::Write,
        ..io
    }
    .is_eof());
}
