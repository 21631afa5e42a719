//! The page's colours by meaning, as CSS classes and as SVG swatches and bars. The page's
//! Content-Security-Policy allows its one stylesheet by hash and no `style` attribute, so a
//! colour that depends on the trace is either a class (the rules here are generated from
//! `ui::style`, every variant, so the app's palette stays the only place a colour is written)
//! or an SVG presentation attribute (`fill`), which is not style.

use super::hex;
use crate::trace::verdict::Severity;
use crate::ui::style;
use egui::Color32;
use std::fmt::Write as _;

/// The verification line's classes (`verify ok` …) and their colours.
pub(super) const VERIFY: [(&str, Color32); 3] = [
    ("ok", style::VERIFY_OK),
    ("skipped", style::VERIFY_SKIPPED),
    ("failed", style::VERIFY_FAILED),
];

/// A certificate's validity classes (`validity expired` …) and their colours.
pub(super) const VALIDITY: [(&str, Color32); 4] = [
    ("valid", style::CERT_VALID),
    ("expired", style::CERT_INVALID),
    ("not-yet-valid", style::CERT_INVALID),
    ("unreadable", style::CERT_UNREADABLE),
];

/// The handshake's round trips and the total under the waterfall: a neutral grey the app's
/// palette has no meaning for.
pub(super) const NEUTRAL_BAR: &str = "#9aa5b1";

/// The stylesheet's coloured rules: severity badges and banner borders (`sev-ok` …), the
/// verification line and certificate validity.
pub(super) fn css() -> String {
    let mut out = String::new();
    for s in Severity::ALL {
        let (_, colour) = style::verdict(s);
        let (name, c) = (s.name(), hex(colour));
        let _ = writeln!(
            out,
            ".verdict.sev-{name} {{ border-color: {c}; }} .sev-{name} .badge, .badge.sev-{name} {{ background: {c}; }}"
        );
    }
    for (name, colour) in VERIFY {
        let _ = writeln!(out, ".verify.{name} {{ border-color: {}; }}", hex(colour));
    }
    for (name, colour) in VALIDITY {
        let _ = writeln!(out, ".validity.{name} {{ border-color: {}; }}", hex(colour));
    }
    out
}

/// A small square of `colour` (the legend's keys, the event table's call marks), with a
/// tooltip when `title` is given (already escaped). Sized by the `sw` class; kept short, as the
/// event table has one per call row.
pub(super) fn swatch(colour: Color32, title: Option<&str>) -> String {
    // Titled, the `<title>` is its name and tooltip; untitled, the text beside it says it all.
    let (hidden, title) = title.map_or((" aria-hidden=\"true\"", String::new()), |t| {
        ("", format!("<title>{t}</title>"))
    });
    format!(
        "<svg class=\"sw\"{hidden}>{title}<rect width=\"100%\" height=\"100%\" fill=\"{}\"/></svg>",
        hex(colour)
    )
}

/// A waterfall bar: `start` and `width` in percent of the row, filled with `fill` (CSS hex).
/// The outline, 2 px whatever the row's width (`non-scaling-stroke`), keeps a step of a few
/// microseconds in a connection of seconds visible; a bar at the very end stays inside the row.
pub(super) fn bar(start: f64, width: f64, fill: &str) -> String {
    let width = width.clamp(0.0, 100.0);
    let start = start.clamp(0.0, 100.0 - width);
    format!(
        "<svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect x=\"{start:.2}\" width=\"{width:.2}\" height=\"10\" fill=\"{fill}\" stroke=\"{fill}\" stroke-width=\"2\" vector-effect=\"non-scaling-stroke\"/></svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_severity_has_its_colour_class() {
        let css = css();
        for s in Severity::ALL {
            let colour = hex(style::verdict(s).1);
            assert!(
                css.contains(&format!(
                    ".badge.sev-{} {{ background: {colour}; }}",
                    s.name()
                )),
                "{css}"
            );
        }
        assert!(!css.contains('<') && !css.contains('&'));
    }
}
