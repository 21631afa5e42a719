//! One way to write durations, sizes and rates for people, used by every view, the text trace
//! and the verdict: three significant digits, the unit stepping ns → µs → ms → s.

use super::event::Nanos;

/// A duration with three significant digits: "812 ns", "4.15 µs", "7.73 ms", "2.41 s", "118 s".
pub fn duration(ns: Nanos) -> String {
    if ns < 1_000 {
        return format!("{ns} ns");
    }
    let (value, unit) = if ns < 1_000_000 {
        (ns as f64 / 1e3, "µs")
    } else if ns < 1_000_000_000 {
        (ns as f64 / 1e6, "ms")
    } else {
        (ns as f64 / 1e9, "s")
    };
    format!("{} {unit}", three_digits(value))
}

/// A duration given in seconds (for plot axes and hover text).
pub fn seconds(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let sign = if s < 0.0 { "-" } else { "" };
    format!("{sign}{}", duration((s.abs() * 1e9).round() as Nanos))
}

/// A byte count: "512 B", "3.91 KiB", "1.25 MiB", "2.00 GiB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", three_digits(value), UNITS[unit])
}

/// A transfer rate from bytes over nanoseconds: "12.3 KiB/s".
pub fn rate(bytes_moved: u64, over: Nanos) -> String {
    if over == 0 {
        return "-".into();
    }
    let per_second = (bytes_moved as f64 * 1e9 / over as f64).round() as u64;
    format!("{}/s", bytes(per_second))
}

/// A bytes value on a plot axis or in hover text (fractional and negative values read as 0).
pub fn axis_bytes(v: f64) -> String {
    if v.is_finite() {
        bytes(v.max(0.0).round() as u64)
    } else {
        "-".into()
    }
}

/// A time-axis label for `s` seconds on an axis `span` seconds wide: milliseconds while the span
/// is under 2 s, else seconds, with enough decimals that ticks a tenth of the span apart differ.
pub fn axis_time(s: f64, span: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let (scale, unit, fewest) = if span < 2.0 {
        (1e3, "ms", 1)
    } else {
        (1.0, "s", 2)
    };
    let tick = span * scale / 10.0;
    let needed = if tick > 0.0 && tick.is_finite() {
        (-tick.log10()).ceil().max(0.0) as usize
    } else {
        0
    };
    let decimals = needed.clamp(fewest, 9);
    format!("{:.decimals$} {unit}", s * scale)
}

/// A point in time `t` as the time since `origin` (a connection's start), in the one duration
/// format: "7.73 ms", "2.41 s"; before the origin with a minus sign. The timeline's axis, its
/// hover text and the views that show event times count from the same origin.
pub fn since(t: Nanos, origin: Nanos) -> String {
    if t >= origin {
        duration(t - origin)
    } else {
        format!("-{}", duration(origin - t))
    }
}

/// A point on the engine's clock (nanoseconds since it started), in milliseconds to the µs.
pub fn clock(t: Nanos) -> String {
    format!("{:.3} ms", t as f64 / 1e6)
}

/// Three significant digits for a value ≥ 1 (fewer decimals as it grows; no exponent).
fn three_digits(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2}")
    } else if value < 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_three_significant_digits() {
        assert_eq!(duration(0), "0 ns");
        assert_eq!(duration(812), "812 ns");
        assert_eq!(duration(4_150), "4.15 µs");
        assert_eq!(duration(7_730_000), "7.73 ms");
        assert_eq!(duration(2_410_000_000), "2.41 s");
        assert_eq!(duration(118_000_000_000), "118 s");
        assert_eq!(duration(45_600_000), "45.6 ms");
    }

    #[test]
    fn seconds_read_like_durations() {
        assert_eq!(seconds(0.00773), "7.73 ms");
        assert_eq!(seconds(-1.5), "-1.50 s");
        assert_eq!(seconds(f64::NAN), "-");
    }

    #[test]
    fn sizes_and_rates() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4000), "3.91 KiB");
        assert_eq!(bytes(131_072), "128 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 + 512 * 1024), "3.50 MiB");
        assert_eq!(rate(1024, 1_000_000_000), "1.00 KiB/s");
        assert_eq!(rate(1, 0), "-");
        assert_eq!(axis_bytes(4000.4), "3.91 KiB");
        assert_eq!(axis_bytes(-3.0), "0 B");
        assert_eq!(axis_bytes(f64::INFINITY), "-");
    }

    #[test]
    fn axis_labels_step_units_and_decimals_with_the_span() {
        // Short spans read in ms, long ones in s, as before.
        assert_eq!(axis_time(0.5843, 1.0), "584.3 ms");
        assert_eq!(axis_time(12.3456, 10.0), "12.35 s");
        assert_eq!(axis_time(1.5, 2.0), "1.50 s");
        // Zoomed in, ticks a few µs apart still get distinct labels.
        assert_eq!(axis_time(584.000_01, 0.000_1), "584000.01 ms");
        assert_ne!(
            axis_time(584.000_001, 0.000_01),
            axis_time(584.000_002, 0.000_01)
        );
        assert_eq!(axis_time(f64::NAN, 1.0), "-");
    }

    #[test]
    fn times_count_from_the_origin() {
        assert_eq!(since(1_007_730_000, 1_000_000_000), "7.73 ms");
        assert_eq!(since(1_000_000_000, 1_000_000_000), "0 ns");
        assert_eq!(since(999_000_000, 1_000_000_000), "-1.00 ms");
    }

    #[test]
    fn clock_times_are_milliseconds_to_the_microsecond() {
        assert_eq!(clock(0), "0.000 ms");
        assert_eq!(clock(584_123_456_789), "584123.457 ms");
    }
}
