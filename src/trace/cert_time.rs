//! Certificate validity dates as OpenSSL prints them (`Nov 24 11:07:25 2026 GMT`): a small pure
//! parser to Unix seconds and the validity of a certificate at a given instant.

/// Where an instant falls in a certificate's validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Valid,
    Expired,
}

impl Validity {
    pub fn name(self) -> &'static str {
        match self {
            Validity::NotYetValid => "not yet valid",
            Validity::Valid => "valid now",
            Validity::Expired => "expired",
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; Howard Hinnant's
/// algorithm, exact for every year a certificate can carry).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses `Mon DD HH:MM:SS YYYY GMT` (the day may be space-padded, the seconds may carry a
/// fraction, which is ignored) to seconds since the Unix epoch. None for anything else: the
/// text comes from the peer's certificate, so a malformed one must not panic.
pub fn parse(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let month = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    let year: i64 = parts.next()?.parse().ok()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    let m = MONTHS.iter().position(|&x| x == month)? as i64 + 1;
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let min: i64 = hms.next()?.parse().ok()?;
    let sec_text = hms.next()?;
    if hms.next().is_some() {
        return None;
    }
    let sec: i64 = sec_text.split('.').next()?.parse().ok()?;
    let in_range = (0..=9999).contains(&year)
        && (1..=days_in_month(year, m)).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&min)
        && (0..=60).contains(&sec);
    if !in_range {
        return None;
    }
    Some(days_from_civil(year, m, day) * 86400 + h * 3600 + min * 60 + sec)
}

/// The validity at `now` (Unix seconds) of a certificate with these dates; None when either
/// date cannot be read.
pub fn validity(not_before: &str, not_after: &str, now: i64) -> Option<Validity> {
    let (from, to) = (parse(not_before)?, parse(not_after)?);
    Some(if now < from {
        Validity::NotYetValid
    } else if now > to {
        Validity::Expired
    } else {
        Validity::Valid
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openssl_dates() {
        assert_eq!(parse("Jan  1 00:00:00 1970 GMT"), Some(0));
        // The expected values come from `date -u -d "2026-11-24 11:07:25" +%s`.
        assert_eq!(parse("Nov 24 11:07:25 2026 GMT"), Some(1_795_518_445));
        assert_eq!(parse("Feb 29 23:59:59 2024 GMT"), Some(1_709_251_199));
        assert_eq!(parse("Dec 31 23:59:59 9999 GMT"), Some(253_402_300_799));
        assert_eq!(
            parse("Mar  5 08:09:10.123 2030 GMT"),
            parse("Mar 5 08:09:10 2030 GMT")
        );
        assert_eq!(parse("Jun 30 12:00:00 1950 GMT"), Some(-615_556_800));
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "Nov 24 11:07:25 2026",
            "Nov 24 11:07:25 2026 UTC",
            "Foo 24 11:07:25 2026 GMT",
            "Feb 29 00:00:00 2023 GMT",
            "Nov 31 00:00:00 2026 GMT",
            "Nov 24 24:00:00 2026 GMT",
            "Nov 24 11:07 2026 GMT",
            "Nov 24 11:07:25:01 2026 GMT",
            "Nov x 11:07:25 2026 GMT",
            "Nov 24 11:07:25 2026 GMT extra",
            "Nov 24 11:07:25 99999999999999999999 GMT",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn validity_at_an_instant() {
        let (from, to) = ("Nov 24 11:07:25 2025 GMT", "Nov 24 11:07:25 2026 GMT");
        let t = parse(to).unwrap_or_default();
        assert_eq!(validity(from, to, t - 1), Some(Validity::Valid));
        assert_eq!(validity(from, to, t), Some(Validity::Valid));
        assert_eq!(validity(from, to, t + 1), Some(Validity::Expired));
        let f = parse(from).unwrap_or_default();
        assert_eq!(validity(from, to, f - 1), Some(Validity::NotYetValid));
        assert_eq!(validity("garbage", to, t), None);
    }
}
