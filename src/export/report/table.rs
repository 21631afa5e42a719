//! The event table of one connection: every event in recording order, its time from the
//! connection's start, its kind, its call and what it says, with calls marked by result. A long
//! trace keeps its first and last rows and says how many were left out between them.

use super::escape;
use super::palette;
use crate::trace::store::{CallClass, ConnTrace, Stored};
use crate::trace::{format, text, CallId, EventKind, TlsInfo};
use crate::ui::style;
use std::fmt::Write as _;
use std::ops::Range;

/// Rows kept from the start and from the end of a long trace.
const HEAD_ROWS: usize = 2000;
const TAIL_ROWS: usize = 500;

/// The rows of a table of `n` events that are shown: all of them, or the first and the last.
pub(super) fn kept(n: usize) -> (Range<usize>, Range<usize>) {
    if n <= HEAD_ROWS + TAIL_ROWS {
        (0..n, n..n)
    } else {
        (0..HEAD_ROWS, n - TAIL_ROWS..n)
    }
}

/// The anchor of call `id`'s row in connection `conn`'s table (evidence links point at it).
pub(super) fn call_anchor(conn: u32, id: CallId) -> String {
    format!("c{conn}-call-{id}")
}

/// What an event says, as HTML. A `tls` event's certificates go on lines of their own, each
/// escaped apart (the text form puts them on lines of its own too).
fn describe(e: &Stored) -> String {
    let EventKind::Tls(info) = &e.kind else {
        return escape::text(&text::describe_kind(&e.kind));
    };
    let head = EventKind::Tls(Box::new(TlsInfo {
        chain: Vec::new(),
        ..(**info).clone()
    }));
    let mut out = escape::text(&text::describe_kind(&head));
    for (depth, c) in info.chain.iter().enumerate() {
        let _ = write!(
            out,
            "<br/>cert {depth}: {} (issuer {})",
            escape::text(&c.subject),
            escape::text(&c.issuer)
        );
    }
    out
}

fn row(out: &mut String, c: &ConnTrace, i: usize, e: &Stored, focus: Option<CallId>) {
    let time = format::since(e.t, c.first_t);
    let call = e.call_id().map_or(String::new(), |id| id.to_string());
    let nested = matches!(
        e.kind,
        EventKind::Io(_) | EventKind::State(_) | EventKind::Msg(_)
    ) && e.call_id().is_some();
    let mut attrs = String::new();
    let mut mark = String::new();
    if let EventKind::Call(call) = &e.kind {
        let class = CallClass::of(call.error);
        let _ = write!(attrs, " id=\"{}\"", call_anchor(c.id, call.id));
        if focus == Some(call.id) {
            attrs.push_str(" class=\"focus\"");
        }
        mark = palette::swatch(style::call(class), Some(class.name()));
    } else if matches!(e.kind, EventKind::Error(_)) {
        attrs.push_str(" class=\"err\"");
    }
    let _ = writeln!(
        out,
        "<tr{attrs}><td class=\"n\">{}</td><td class=\"t\">{}</td><td>{}</td><td class=\"n\">{call}</td><td class=\"d{}\">{mark}{}</td></tr>",
        i + 1,
        escape::text(&time),
        e.kind_name(),
        if nested { " in" } else { "" },
        describe(e)
    );
}

/// The table of connection `c`'s events; the row of the verdict's call is highlighted.
pub(super) fn html(c: &ConnTrace, focus: Option<CallId>) -> String {
    let n = c.events.len();
    let (head, tail) = kept(n);
    let mut out = String::from(
        "<table class=\"events\">\n<thead><tr><th>#</th><th>time</th><th>kind</th><th>call</th><th>event</th></tr></thead>\n<tbody>\n",
    );
    for i in head.clone() {
        row(&mut out, c, i, &c.events[i], focus);
    }
    if !tail.is_empty() {
        let omitted = tail.start - head.end;
        let _ = writeln!(
            out,
            "<tr class=\"omitted\"><td colspan=\"5\">… {omitted} rows omitted (events {} to {}); the first {HEAD_ROWS} and the last {TAIL_ROWS} are shown. <code>tlsscope show</code> prints them all.</td></tr>",
            head.end + 1,
            tail.start
        );
        for i in tail {
            row(&mut out, c, i, &c.events[i], focus);
        }
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tables_keep_their_ends() {
        assert_eq!(kept(10), (0..10, 10..10));
        assert_eq!(kept(2500), (0..2500, 2500..2500));
        let (head, tail) = kept(1_000_000);
        assert_eq!(head, 0..HEAD_ROWS);
        assert_eq!(tail, 1_000_000 - TAIL_ROWS..1_000_000);
    }
}
