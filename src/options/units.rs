//! Parsing of sizes (`64K`, `256M`) and durations in seconds (`2.5`) given on the command line.

use std::time::Duration;

/// A byte count with an optional K/M/G suffix (powers of 1024).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 65536, 64K, 256M, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => {
            return Err(format!(
                "{text:?}: unknown size unit {unit:?} (use K, M or G)"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// A socket buffer size: a size that fits the kernel's int.
pub(crate) fn parse_buffer(text: &str) -> Result<u32, String> {
    let n = parse_size(text)?;
    if n == 0 || n > i32::MAX as u64 / 2 {
        return Err(format!(
            "{text:?}: buffer size must be between 1 byte and 1G"
        ));
    }
    Ok(n as u32)
}

/// Seconds, possibly fractional.
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || !(0.0..=1e7).contains(&secs) {
        return Err(format!("{text:?}: seconds must be between 0 and 10000000"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64K").unwrap(), 65536);
        assert_eq!(parse_size("256M").unwrap(), 256 << 20);
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert!(parse_buffer("0").is_err());
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_seconds("-2").is_err());
        assert!(parse_seconds("soon").is_err());
    }
}
