//! The diagnosis of a trace as it streams by: a bounded [`Facts`] and [`TimingFold`] per
//! connection, the `timing` and `verdict` events to write just before each connection's
//! `close`, and the closing `diagnosis:` section of the text trace (the verdict first, then the
//! counts behind it).

use super::event::*;
use super::format;
use super::timing::TimingFold;
use super::verdict::{self, Facts};
use std::collections::HashMap;

/// Follows every connection of a stream of events; memory grows with connections, not events.
#[derive(Default)]
pub struct Diagnoser {
    facts: HashMap<ConnId, (Facts, TimingFold)>,
}

impl Diagnoser {
    pub fn new() -> Diagnoser {
        Diagnoser::default()
    }

    /// Takes one event. For a `close`, returns the events to record just before it: the
    /// connection's `timing`, then its `verdict`; nothing for any other event. A `timing` or
    /// `verdict` event in the input (a saved trace's) is taken as it is: these are derived here,
    /// and a consumer that reads a saved trace drops them to write the ones returned.
    pub fn feed(&mut self, e: &Event) -> Vec<Event> {
        let (facts, timing) = self
            .facts
            .entry(e.conn)
            .or_insert_with(|| (Facts::new(e.conn), TimingFold::new()));
        facts.feed(e);
        timing.feed(e);
        if !matches!(e.kind, EventKind::Close(_)) {
            return Vec::new();
        }
        let at = |kind| Event {
            t: e.t,
            conn: e.conn,
            kind,
        };
        vec![
            at(EventKind::Timing(Box::new(timing.timing(e.t)))),
            at(EventKind::Verdict(Box::new(verdict::verdict(
                facts,
                facts.last_t,
            )))),
        ]
    }

    /// Forgets a connection whose diagnosis was written (a long `--repeat` run keeps only the
    /// connections still open).
    pub fn forget(&mut self, conn: ConnId) {
        self.facts.remove(&conn);
    }

    /// Connections seen, in id order.
    pub fn conns(&self) -> Vec<ConnId> {
        let mut ids: Vec<ConnId> = self.facts.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The `diagnosis:` lines for one connection (without indentation): the verdict, then the
    /// counts it rests on.
    pub fn section(&self, conn: ConnId) -> Vec<String> {
        match self.facts.get(&conn) {
            Some((f, _)) => section_of(f, f.last_t),
            None => Vec::new(),
        }
    }
}

/// The `diagnosis:` lines of one connection's facts, judged at `at` (its last event once it
/// ended; the app passes the clock of a connection still going on).
pub fn section_of(f: &Facts, at: Nanos) -> Vec<String> {
    let mut out = verdict::lines(&verdict::verdict(f, at));
    out.push(format!(
        "{} OpenSSL calls: {} returned WANT_READ, {} returned WANT_WRITE.",
        f.calls, f.want_read, f.want_write
    ));
    if let Some((call, bytes)) = f.first_read_that_wrote {
        out.push(format!(
            "SSL_read wrote to the socket in {} call(s), first #{call} ({bytes} B).",
            f.reads_that_wrote
        ));
    }
    if let Some((call, bytes)) = f.first_write_that_read {
        out.push(format!(
            "SSL_write read from the socket in {} call(s), first #{call} ({bytes} B).",
            f.writes_that_read
        ));
    }
    if let Some((_, w)) = f.longest_wait {
        out.push(format!(
            "Longest wait: {} for {}, ended {}.",
            format::duration(w.dur),
            w.interest.name(),
            w.woke.name()
        ));
    }
    match (f.close, &f.error) {
        (Some((_, c)), Some(e)) => out.push(format!(
            "Ended {}: {}",
            c.reason.name(),
            crate::trace::escape::escape(e)
        )),
        (Some((_, c)), None) => out.push(format!(
            "Ended {} (close_notify sent: {}, received: {}).",
            c.reason.name(),
            if c.notify_sent { "yes" } else { "no" },
            if c.notify_received { "yes" } else { "no" }
        )),
        (None, _) => out.push("Still open.".into()),
    }
    out
}
