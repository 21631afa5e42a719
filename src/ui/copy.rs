//! What the app puts on the clipboard, as text a person pastes into a ticket: the verdict as the
//! command line's `diagnosis:` section, a call with everything that happened inside it as the
//! text trace prints it, and the events table's rows as shown.

use super::model::{Model, Source};
use crate::trace::diagnosis::section_of;
use crate::trace::store::{ConnTrace, Stored};
use crate::trace::text::TextWriter;
use crate::trace::{format, text, ConnId};

/// The number a connection is known by in text: its number in the file it was opened from,
/// else its id.
pub fn number(model: &Model, id: ConnId) -> ConnId {
    match model.sources.get(&id) {
        Some(Source::Opened { number, .. }) => *number,
        _ => id,
    }
}

/// The verdict of `c` and the counts behind it, as `tlsscope trace` ends its text output; judged
/// at the connection's clock while it is still going on.
pub fn verdict_text(model: &Model, c: &ConnTrace) -> String {
    let at = if c.close.is_some() {
        c.facts.last_t
    } else {
        model.now_of(c.id)
    };
    let mut out = format!("diagnosis of {}:\n", model.title(c.id));
    for line in section_of(&c.facts, at) {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Call `i` of `c` and the socket I/O, states and messages inside it, as the text trace prints
/// them (the call's line, then the nested lines indented under it).
pub fn call_text(model: &Model, c: &ConnTrace, i: usize) -> Option<String> {
    let event = c.events.get(c.call_spans.event.get(i)? as usize)?;
    let conn = number(model, c.id);
    let renumbered = |e: &Stored| e.event(conn);
    let mut writer = TextWriter::new();
    let mut out = Vec::new();
    for e in c.nested(i) {
        writer.write_event(&renumbered(e), &mut out).ok()?;
    }
    writer.write_event(&renumbered(event), &mut out).ok()?;
    String::from_utf8(out).ok()
}

/// One row of the events table: the time from the connection's start, then the event.
pub fn row_line(c: &ConnTrace, e: &Stored) -> String {
    format!(
        "{:>15}  {}",
        format::clock(e.t.saturating_sub(c.first_t)),
        text::describe_kind(&e.kind)
    )
}

/// The rows `rows` (event indices of `c`) as the table shows them, one per line.
pub fn rows_text(c: &ConnTrace, rows: impl IntoIterator<Item = u32>) -> String {
    let mut out = String::new();
    for e in rows.into_iter().filter_map(|r| c.events.get(r as usize)) {
        out.push_str(&row_line(c, e));
        out.push('\n');
    }
    out
}

/// Puts `text` on the clipboard and says so in the status line (`what`: "the verdict", …).
pub fn to_clipboard(ctx: &egui::Context, model: &mut Model, what: &str, text: String) {
    let lines = match text.lines().count() {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    ctx.copy_text(text);
    model.notify(format!("copied {what} to the clipboard ({lines})"), false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Call, Dir, Event, EventKind, Io, Op, SslError};

    fn ev(t: u64, kind: EventKind) -> Event {
        Event { t, conn: 3, kind }
    }

    fn events() -> Vec<Event> {
        let io = |dir, got| EventKind::Io(Io::new(Some(1), dir, 5, got, got == 0, None));
        vec![
            ev(1_000, io(Dir::Write, 5)),
            ev(2_000, io(Dir::Read, 0)),
            ev(
                1_000,
                EventKind::Call(Call::new(1, Op::Read, -1, SslError::WantRead, 2_000)),
            ),
        ]
    }

    #[test]
    fn a_call_is_copied_with_its_nested_io_under_it() {
        let mut model = Model::default();
        model.store.push_batch(&events());
        let c = model.store.conn(3).expect("the connection");
        let text = call_text(&model, c, 0).expect("the call's text");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("[3]") && lines[0].contains("SSL_read #1 → -1 WANT_READ"));
        assert!(lines[1].trim_start().starts_with("io") && lines[1].starts_with("    "));
        assert!(lines[2].contains("would-block"), "{text}");
        assert!(call_text(&model, c, 1).is_none(), "no such call");
        // An opened trace's connection keeps the number it had in its file.
        model.sources.insert(
            3,
            Source::Opened {
                file: "x.jsonl".into(),
                number: 1,
            },
        );
        let c = model.store.conn(3).expect("the connection");
        assert!(call_text(&model, c, 0).is_some_and(|t| t.starts_with("[1]")));
    }

    #[test]
    fn rows_are_copied_as_the_table_shows_them() {
        let mut model = Model::default();
        model.store.push_batch(&events());
        let c = model.store.conn(3).expect("the connection");
        let text = rows_text(c, [1, 2, 99]);
        assert_eq!(text.lines().count(), 2);
        assert_eq!(
            text.lines().next(),
            Some(row_line(c, &c.events[1]).as_str())
        );
        let verdict = verdict_text(&model, c);
        assert!(verdict.starts_with("diagnosis of #3 connection 3:\n  verdict: "));
        assert!(verdict.contains("Still open."), "{verdict}");
    }
}
