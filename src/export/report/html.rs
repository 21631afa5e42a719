//! The page around the sections: doctype, a Content-Security-Policy that allows nothing but the
//! page's own stylesheet, by its SHA-256 (no script, no fetch, no external asset, no `style`
//! attribute), the stylesheet, and the date the report was made. The markup is also well-formed XML (void elements closed,
//! attributes quoted, no named entities), so a strict parser can check it.

use super::escape::text as esc;

/// The fixed part of the stylesheet; `palette::css` adds the rules coloured by meaning.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: #1d1d1f; background: #f3f4f6; margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 40px; }
header.top { background: #1b1b1b; color: #eee; padding: 16px 24px; }
header.top h1 { margin: 0; font-size: 20px; font-weight: 600; }
header.top h1 .target { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  color: #9fd3ff; margin-left: 8px; }
header.top p { margin: 4px 0 0; color: #aaa; font-size: 13px; }
h2 { font-size: 18px; margin: 28px 0 10px; }
h2 .target { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 500;
  color: #555; margin-left: 8px; }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 13px; margin: 10px 0 4px; text-transform: uppercase; letter-spacing: .04em;
  color: #555; }
.card { background: #fff; border: 1px solid #dcdfe4; border-radius: 8px; padding: 14px 16px;
  margin: 12px 0; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 12px; }
.cols > .card { margin: 0; }
.verdict { background: #fff; border: 1px solid #dcdfe4; border-left: 10px solid; margin-bottom: 12px;
  border-radius: 8px; padding: 12px 16px; }
.vhead { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
.badge { color: #111; font-weight: 700; padding: 2px 10px; border-radius: 12px; }
.sev-stall .badge, .badge.sev-stall { color: #fff; }
.vhead .class { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 700;
  font-size: 16px; }
.vhead .meaning { color: #555; }
.verdict .summary { font-size: 16px; margin: 8px 0 4px; }
.verdict ul { margin: 0; padding-left: 22px; }
.at { color: #666; font-size: 12px; }
a { color: #0b63b6; }
table { border-collapse: collapse; }
.kv th { text-align: left; padding: 3px 14px 3px 0; color: #555; font-weight: 600;
  white-space: nowrap; vertical-align: top; }
.kv td { padding: 3px 0; overflow-wrap: anywhere; }
.verify { border-left: 6px solid; padding: 4px 10px; font-weight: 600; margin: 0 0 8px;
  background: #f7f7f7; }
.error { color: #b3261e; overflow-wrap: anywhere; }
.muted { color: #777; }
.chain { width: 100%; font-size: 13px; }
.chain th, .chain td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eee;
  vertical-align: top; overflow-wrap: anywhere; }
.chain td.fp { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px;
  color: #555; max-width: 260px; }
.validity { border: 2px solid; border-radius: 10px; padding: 0 8px; white-space: nowrap;
  font-weight: 600; }
.time { width: 100%; font-size: 13px; }
.time th { text-align: left; font-weight: 600; padding: 3px 10px 3px 0; white-space: nowrap; }
.time td { padding: 3px 6px; white-space: nowrap; }
.time td.bar { width: 55%; }
.time td.bar svg { display: block; width: 100%; height: 10px; }
.time tr.total th, .time tr.total td { border-top: 1px solid #ccc; }
.breakdown { font-size: 13px; margin-top: 10px; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0; }
svg.timeline { width: 100%; height: auto; display: block; border-radius: 6px;
  font-family: system-ui, sans-serif; }
.legend { font-size: 12px; color: #333; margin-top: 8px; display: grid; gap: 2px; }
.key { margin-right: 12px; white-space: nowrap; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 4px; vertical-align: -1px; border: 1px solid #0003; }
.events { width: 100%; font: 12px/1.35 ui-monospace, "SFMono-Regular", Menlo, Consolas,
  monospace; }
.events th { position: sticky; top: 0; background: #eef0f3; text-align: left; padding: 4px 6px; }
.events td { padding: 1px 6px; border-bottom: 1px solid #f0f0f0; vertical-align: top; }
.events td.t { white-space: nowrap; text-align: right; }
.events td.d { overflow-wrap: anywhere; }
.events td.in { padding-left: 28px; color: #444; }
.events tr.focus td { background: #fff3c4; }
.events tr.err td { color: #b3261e; }
.events tr.omitted td { text-align: center; background: #f6f6f6; color: #555; padding: 8px;
  font-family: system-ui, sans-serif; }
.index { width: 100%; }
.index td, .index th { text-align: left; padding: 4px 10px 4px 0; vertical-align: top; }
.index td.v { white-space: nowrap; }
footer { color: #777; font-size: 12px; margin-top: 30px; }
@media (max-width: 900px) { .cols { grid-template-columns: minmax(0, 1fr); } }
@media print { body { background: #fff; } .card, .verdict { break-inside: avoid; } }
"#;

/// A Unix time as `YYYY-MM-DD HH:MM UTC` (Howard Hinnant's civil-from-days).
pub(super) fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// The page's stylesheet, exactly as it goes between `<style>` and `</style>`.
pub(super) fn stylesheet() -> String {
    format!("{STYLE}{}", super::palette::css())
}

/// What the page may load: nothing; only the stylesheet `style` (by its SHA-256, so neither
/// an injected `<style>` nor a `style` attribute would apply) and `data:` images.
pub(super) fn csp(style: &str) -> String {
    let hash = openssl::base64::encode_block(&openssl::sha::sha256(style.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; img-src data:")
}

/// The whole page: `title` (plain text), the header's lines (HTML) and the body (HTML).
pub(super) fn page(title: &str, heading: &str, subtitle: &str, body: &str) -> String {
    let style = stylesheet();
    let csp = csp(&style);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"tlsscope {}\"/>\n\
         <title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n\
         <header class=\"top\"><h1>{heading}</h1><p>{subtitle}</p></header>\n\
         <main>\n{body}</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_798_116_245), "2026-12-24 12:44 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn the_style_is_safe_inside_xml() {
        let style = stylesheet();
        assert!(!style.contains('<') && !style.contains('&'));
    }
}
