//! The report: one self-contained HTML page about a trace that a person can attach to a ticket
//! and open in any browser, offline. Per connection: the verdict with its evidence and what to
//! do, the connection summary and certificate chain, where the time went, a picture of the
//! timeline (inline SVG, the app's lanes and colours) and the event table.
//!
//! The verdict is computed from the events with today's rules (as `tlsscope show` does): a
//! `verdict` event the trace carries from its live run is neither used nor listed. Everything
//! from the trace is escaped (see `escape`); the page has no script and loads nothing.
//!
//! - `html`: the page skeleton, its stylesheet and the Content-Security-Policy with its hash.
//! - `palette`: colours by meaning as CSS classes (from `ui::style`) and as SVG swatches and bars,
//!   since the policy allows no `style` attribute.
//! - `sections`: the verdict banner, the summary and chain, the time breakdown.
//! - the time steps are the connection's waterfall from `trace::timing`, as the text trace and
//!   the app's Timings tab show it.
//! - `svg`: the timeline picture.
//! - `table`: the event table.

mod escape;
mod html;
mod palette;
mod sections;
mod svg;
mod table;

use crate::trace::store::{ConnTrace, Store};
use crate::trace::verdict::Verdict;
use crate::trace::{Event, EventKind};
use escape::text as esc;
use std::fmt::Write as _;

/// A colour of the app's palette (`ui::style`) as CSS hex: the page and its picture use the
/// app's colours by meaning.
fn hex(c: egui::Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// The report on `events` (one connection's or a whole trace's), as a complete HTML page;
/// `source` says where the events came from (a file name, "live session") and is shown on the
/// page. Certificates are judged valid or expired at the current time, the time the page
/// gives as its date.
pub fn html(events: &[Event], source: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    html_at(events, source, now)
}

/// [`html`] as of `now_unix` (seconds since the Unix epoch): the date on the page and the
/// instant certificates are judged at.
pub fn html_at(events: &[Event], source: &str, now_unix: i64) -> String {
    let mut store = Store::new();
    for e in events {
        if !matches!(e.kind, EventKind::Verdict(_) | EventKind::Timing(_)) {
            store.push(e);
        }
    }
    let mut conns: Vec<&ConnTrace> = store.conns.iter().collect();
    conns.sort_by_key(|c| c.id);
    let judged: Vec<(&ConnTrace, Verdict)> = conns
        .into_iter()
        .map(|c| (c, c.verdict(c.last_t)))
        .collect();
    let mut targets: Vec<String> = Vec::new();
    for t in judged.iter().filter_map(|(c, _)| sections::target(c)) {
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let target = match targets.as_slice() {
        [] => source.to_string(),
        [one] => one.clone(),
        [first, ..] => format!("{first} and others"),
    };
    let date = html::utc(now_unix);
    let title = format!("tlsscope report: {target}, {date}");
    let heading = format!(
        "TLS connection report <span class=\"target\">{}</span>",
        esc(&target)
    );
    let subtitle = format!(
        "{} connection(s), {} events, from {} · made {} by tlsscope {}",
        judged.len(),
        store.total_events,
        esc(source),
        esc(&date),
        env!("CARGO_PKG_VERSION")
    );
    let mut body = String::new();
    if judged.is_empty() {
        body.push_str("<p class=\"card\">The trace holds no events.</p>\n");
    }
    if judged.len() > 1 {
        body.push_str(&index(&judged));
    }
    for (c, v) in &judged {
        body.push_str(&connection(c, v, now_unix));
    }
    let _ = writeln!(
        body,
        "<footer>Times count from each connection's first event. Certificate validity is as of {}. \
         Made with <code>tlsscope report</code>; <code>tlsscope show</code> prints the same trace as text.</footer>",
        esc(&date)
    );
    html::page(&title, &heading, &subtitle, &body)
}

/// The list of connections at the top of a report on several, with their verdicts.
fn index(judged: &[(&ConnTrace, Verdict)]) -> String {
    let mut out = String::from(
        "<div class=\"card\"><h3>Connections</h3>\n<table class=\"index\">\n<tbody>\n",
    );
    for (c, v) in judged {
        let word = sections::severity_word(v);
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#conn-{id}\">#{id}</a></td><td>{}</td>\
             <td class=\"v\"><span class=\"badge sev-{}\">{word}</span> <b>{}</b></td><td>{}</td></tr>",
            esc(&sections::target(c).unwrap_or_default()),
            v.severity().name(),
            esc(v.class.name()),
            esc(&v.summary),
            id = c.id,
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    out
}

/// One connection's section.
fn connection(c: &ConnTrace, v: &Verdict, now_unix: i64) -> String {
    let (head, tail) = table::kept(c.events.len());
    // Evidence links only to rows the table shows.
    let linkable = |id: u32| {
        c.call_index(id)
            .and_then(|i| c.call_spans.event.get(i))
            .is_some_and(|row| head.contains(&(row as usize)) || tail.contains(&(row as usize)))
    };
    let stalled = v.severity() == crate::trace::verdict::Severity::Stall;
    let target = sections::target(c).unwrap_or_default();
    let chain = sections::chain(c, now_unix);
    format!(
        "<section class=\"conn\" id=\"conn-{id}\">\n\
         <h2>Connection {id}<span class=\"target\">{}</span></h2>\n\
         {}\
         <div class=\"cols\">\n<div class=\"card\"><h3>Connection</h3>\n{}</div>\n\
         <div class=\"card\"><h3>Where the time went</h3>\n{}</div>\n</div>\n\
         <div class=\"card\"><h3>Certificate chain</h3>\n{chain}</div>\n\
         <div class=\"card\"><h3>Timeline</h3>\n<figure>\n{}<figcaption class=\"legend\">\n{}</figcaption>\n</figure></div>\n\
         <div class=\"card\"><h3>Events <span class=\"muted\">({})</span></h3>\n{}</div>\n\
         </section>\n",
        esc(&target),
        sections::verdict_banner(c, v, &linkable),
        sections::summary(c),
        sections::time(c, v),
        svg::timeline(c, v),
        svg::legend(stalled),
        c.events.len(),
        table::html(c, v.focus),
        id = c.id,
    )
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
