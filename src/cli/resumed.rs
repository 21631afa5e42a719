//! The resumption line of a `--reconnect` run's closing summary: how many connections that
//! offered a session were resumed (`trace::resumption::Count`), as text and as a `resumption`
//! field of the JSONL summary line.

use crate::trace::resumption::Count;
use crate::trace::{ConnId, Event, EventKind};
use std::collections::HashSet;

#[derive(Default)]
pub(super) struct Resumed {
    count: Count,
    /// Connections already counted: a renegotiation's second `tls` event is not a resumption.
    seen: HashSet<ConnId>,
}

impl Resumed {
    pub(super) fn feed(&mut self, event: &Event) {
        if let EventKind::Tls(info) = &event.kind {
            if let Some(r) = &info.resumption {
                if self.seen.insert(event.conn) {
                    self.count.feed(r);
                }
            }
        }
    }

    /// The text line, when some connection tried to resume.
    pub(super) fn line(&self) -> Option<String> {
        (self.count.attempts > 0).then(|| self.count.line())
    }

    /// The summary's JSON line with a `resumption` field added when some connection tried.
    pub(super) fn add_to(&self, summary_line: String) -> String {
        if self.count.attempts == 0 {
            return summary_line;
        }
        match serde_json::from_str::<serde_json::Value>(&summary_line) {
            Ok(mut v) if v.is_object() => {
                v["resumption"] = self.count.json();
                v.to_string()
            }
            // The summary is our own JSON object; anything else is left as it was.
            _ => summary_line,
        }
    }
}
