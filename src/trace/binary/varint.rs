//! LEB128 varints (7 bits a byte, low bits first) and zigzag for signed values: the small
//! numbers of the binary trace (time deltas, lengths, byte counts) in one or two bytes.
//!
//! Written by hand (twenty lines) rather than taken from a crate: the decoder reads from a
//! slice with a cursor and must refuse, not panic on, a varint cut off or longer than ten bytes.

/// Appends `v` as a varint (1 to 10 bytes).
#[inline]
pub(super) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Zigzag: small negative and positive numbers both become small unsigned ones.
#[inline]
pub(super) fn zig(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline]
pub(super) fn unzig(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Reads a varint at `*at`, moving past it; `None` when the bytes end inside it or it is longer
/// than a `u64` holds.
#[inline(always)]
pub(super) fn get(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let first = *bytes.get(*at)?;
    if first < 0x80 {
        *at += 1;
        return Some(u64::from(first));
    }
    let mut v = 0u64;
    for i in 0..10 {
        let b = *bytes.get(*at + i)?;
        let bits = u64::from(b & 0x7f);
        // The tenth byte may carry only the top bit of a u64.
        if i == 9 && b > 1 {
            return None;
        }
        v |= bits << (7 * i);
        if b < 0x80 {
            *at += i + 1;
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_bad_varints_are_refused() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put(&mut buf, v);
            let mut at = 0;
            assert_eq!(get(&buf, &mut at), Some(v));
            assert_eq!(at, buf.len());
            // Cut anywhere inside: refused.
            for cut in 0..buf.len() {
                assert_eq!(get(&buf[..cut], &mut 0), None, "{v} cut at {cut}");
            }
        }
        assert_eq!(get(&[0xff; 11], &mut 0), None);
        assert_eq!(
            get(
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
                &mut 0
            ),
            None
        );
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -12345] {
            assert_eq!(unzig(zig(v)), v);
        }
        assert_eq!((zig(0), zig(-1), zig(1)), (0, 1, 2));
    }
}
