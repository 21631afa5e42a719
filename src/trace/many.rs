//! The summary across the connections of one run (`tlsscope trace --repeat N`): verdict counts
//! by class, how many ended cleanly, percentiles of handshake time, time to first byte and total
//! time, the odd ones out named by connection id, and whether every connection closed with no
//! event dropped. A [`Tally`] is fed the stream of events (verdicts included) one at a time; its
//! memory grows by three numbers per finished connection plus what the connections still open
//! hold, so it runs alongside a long run. [`Summary`] renders as text lines and one JSON line.

use super::event::*;
use super::format;
use super::verdict::{Class, Severity};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Connection ids kept per class and per kind of unclean end (the rest are counted).
const IDS_KEPT: usize = 20;

/// The JSONL `kind` of the summary line (with `conn` 0: it belongs to no connection).
pub const SUMMARY_KIND: &str = "summary";

/// What is known about a connection still open.
#[derive(Default)]
struct Open {
    start: Nanos,
    events: u64,
    /// When the first `SSL_read` / `SSL_peek` that returned application bytes returned.
    first_byte: Option<Nanos>,
    handshake_done: bool,
    verdict: Option<(Class, Nanos, String)>,
}

/// The connections of one verdict class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassCount {
    pub class: Class,
    pub count: u64,
    /// The first [`IDS_KEPT`] connections of this class to close, in id order.
    pub ids: Vec<ConnId>,
    /// The verdict summary of the first of them.
    pub example: String,
}

/// Nearest-rank percentiles of a set of durations (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub count: usize,
    pub p50: Nanos,
    pub p90: Nanos,
    pub p99: Nanos,
    pub max: Nanos,
}

impl Percentiles {
    /// None for no values. Nearest rank: the smallest value with at least p % of the values at
    /// or below it, so every figure is one that was measured.
    pub fn of(mut values: Vec<Nanos>) -> Option<Percentiles> {
        values.sort_unstable();
        let n = values.len();
        let rank = |p: usize| values[(p * n).div_ceil(100).clamp(1, n) - 1];
        let max = *values.last()?;
        Some(Percentiles {
            count: n,
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max,
        })
    }

    fn line(&self) -> String {
        format!(
            "p50 {}  p90 {}  p99 {}  max {}  ({} connections)",
            format::duration(self.p50),
            format::duration(self.p90),
            format::duration(self.p99),
            format::duration(self.max),
            self.count
        )
    }

    fn json(&self) -> Value {
        json!({"count": self.count, "p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max})
    }
}

/// Connections that did not end cleanly, by how (`stalled`, `failed`, or `unclean`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclean {
    pub how: &'static str,
    pub count: u64,
    /// The first [`IDS_KEPT`] of them to close, in id order, with their class.
    pub ids: Vec<(ConnId, Class)>,
}

/// Feeds on the events of many connections; [`Tally::summary`] says how they went.
#[derive(Default)]
pub struct Tally {
    open: HashMap<ConnId, Open>,
    classes: Vec<ClassCount>,
    unclean: Vec<Unclean>,
    handshake: Vec<Nanos>,
    first_byte: Vec<Nanos>,
    total: Vec<Nanos>,
    closed: u64,
    clean: u64,
    events: u64,
    events_min: Option<u64>,
    events_max: u64,
    dropped: u64,
    last_t: Nanos,
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Takes one event; the verdict event must come before its connection's `close`, as the
    /// trace writes it.
    pub fn feed(&mut self, e: &Event) {
        self.last_t = self.last_t.max(e.t);
        if let EventKind::Dropped { count } = e.kind {
            self.dropped += count;
            return;
        }
        let open = self.open.entry(e.conn).or_insert_with(|| Open {
            start: e.t,
            ..Open::default()
        });
        match &e.kind {
            // Derived from the others, not recorded by the engine.
            EventKind::Verdict(v) => {
                open.verdict = Some((v.class, v.breakdown.handshake, v.summary.clone()));
                return;
            }
            EventKind::Timing(_) => return,
            EventKind::Tls(_) => open.handshake_done = true,
            EventKind::Call(c)
                if matches!(c.op.classic(), Op::Read | Op::Peek)
                    && c.bytes() > 0
                    && open.first_byte.is_none() =>
            {
                open.first_byte = Some((e.t + c.dur()).saturating_sub(open.start));
            }
            _ => {}
        }
        open.events += 1;
        self.events += 1;
        if let EventKind::Close(close) = e.kind {
            if let Some(open) = self.open.remove(&e.conn) {
                self.closed_one(e, close, open);
            }
        }
    }

    fn closed_one(&mut self, e: &Event, close: Close, open: Open) {
        self.closed += 1;
        self.events_min = Some(self.events_min.map_or(open.events, |m| m.min(open.events)));
        self.events_max = self.events_max.max(open.events);
        self.total.push(e.t.saturating_sub(open.start));
        self.first_byte.extend(open.first_byte);
        let (class, handshake, example) =
            open.verdict
                .unwrap_or((Class::Failed, 0, "no verdict was recorded".into()));
        if open.handshake_done {
            self.handshake.push(handshake);
        }
        match self.classes.iter_mut().find(|c| c.class == class) {
            Some(c) => {
                c.count += 1;
                if c.ids.len() < IDS_KEPT {
                    c.ids.push(e.conn);
                }
            }
            None => self.classes.push(ClassCount {
                class,
                count: 1,
                ids: vec![e.conn],
                example,
            }),
        }
        // The same rule as a single trace's exit status: a clean close whose verdict is still a
        // stall or a failure (no answer, nothing delivered) did not end cleanly.
        if close.reason == CloseReason::Clean
            && close.workload_done
            && class.severity() < Severity::Stall
        {
            self.clean += 1;
            return;
        }
        let how = match class.severity() {
            Severity::Stall => "stalled",
            Severity::Failure => "failed",
            _ => "ended uncleanly",
        };
        let group = match self.unclean.iter().position(|u| u.how == how) {
            Some(i) => &mut self.unclean[i],
            None => {
                self.unclean.push(Unclean {
                    how,
                    count: 0,
                    ids: Vec::new(),
                });
                let last = self.unclean.len() - 1;
                &mut self.unclean[last]
            }
        };
        group.count += 1;
        if group.ids.len() < IDS_KEPT {
            group.ids.push((e.conn, class));
        }
    }

    /// How the run went: `requested` connections, `parallel` at a time.
    pub fn summary(&self, requested: u64, parallel: u64) -> Summary {
        let mut classes = self.classes.clone();
        for c in &mut classes {
            c.ids.sort_unstable();
        }
        // Most common first; a tie keeps the order of first appearance (the sort is stable).
        classes.sort_by_key(|c| std::cmp::Reverse(c.count));
        let mut unclean = self.unclean.clone();
        for u in &mut unclean {
            u.ids.sort_unstable_by_key(|(id, _)| *id);
        }
        Summary {
            requested,
            parallel,
            seen: self.closed + self.open.len() as u64,
            closed: self.closed,
            clean: self.clean,
            events: self.events,
            events_min: self.events_min.unwrap_or(0),
            events_max: self.events_max,
            dropped: self.dropped,
            classes,
            unclean,
            handshake: Percentiles::of(self.handshake.clone()),
            first_byte: Percentiles::of(self.first_byte.clone()),
            total: Percentiles::of(self.total.clone()),
            last_t: self.last_t,
        }
    }
}

/// How a run of many connections went.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub requested: u64,
    pub parallel: u64,
    /// Connections that recorded at least one event.
    pub seen: u64,
    pub closed: u64,
    /// Closed cleanly with the workload done (what a single trace's exit status 0 means).
    pub clean: u64,
    /// Events recorded by the engine (verdicts not counted), and per connection the fewest and most.
    pub events: u64,
    pub events_min: u64,
    pub events_max: u64,
    pub dropped: u64,
    /// Most common first.
    pub classes: Vec<ClassCount>,
    pub unclean: Vec<Unclean>,
    /// Of the connections whose handshake completed.
    pub handshake: Option<Percentiles>,
    /// Of the connections that received application data: from their start to the return of
    /// the first `SSL_read` that returned some.
    pub first_byte: Option<Percentiles>,
    /// From each connection's first event to its close.
    pub total: Option<Percentiles>,
    pub last_t: Nanos,
}

fn ids_text<T>(ids: &[T], count: u64, show: impl Fn(&T) -> String) -> String {
    let mut text: Vec<String> = ids.iter().map(show).collect();
    if count > ids.len() as u64 {
        text.push(format!("and {} more", count - ids.len() as u64));
    }
    text.join(", ")
}

impl Summary {
    /// The classes other than the most common one: the connections that went differently.
    pub fn odd_ones_out(&self) -> &[ClassCount] {
        self.classes.get(1..).unwrap_or(&[])
    }

    /// None when every requested connection closed cleanly with nothing dropped; otherwise the
    /// one-line reason for exit status 1 ("1 of 50 connections stalled (#50 no-response)").
    pub fn failure(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .unclean
            .iter()
            .map(|u| {
                let ids = ids_text(&u.ids, u.count, |(id, class)| {
                    format!("#{id} {}", class.name())
                });
                format!("{} {} ({ids})", u.count, u.how)
            })
            .collect();
        let unclosed = self.requested.saturating_sub(self.closed);
        if unclosed > 0 {
            parts.push(format!("{unclosed} did not close"));
        }
        if self.dropped > 0 {
            parts.push(format!("{} events dropped", self.dropped));
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!(
            "{} of {} connections: {}",
            self.requested - self.clean.min(self.requested),
            self.requested,
            parts.join(", ")
        ))
    }

    /// When most connections were slow or stalled while several ran at once, our own load may
    /// be the cause: a server that serves one connection at a time (or this machine) makes each
    /// wait for the others, and every verdict alone reads "slow".
    fn load_note(&self) -> Option<String> {
        if self.parallel < 2 || self.closed == 0 {
            return None;
        }
        let (slow, stalled) =
            self.classes
                .iter()
                .fold((0, 0), |(slow, stalled), c| match c.class.severity() {
                    Severity::Slow => (slow + c.count, stalled),
                    Severity::Stall => (slow, stalled + c.count),
                    _ => (slow, stalled),
                });
        if (slow + stalled) * 2 <= self.closed {
            return None;
        }
        Some(format!(
            "note: {} of {} were slow or stalled with up to {} connections at once: the server \
             (or this machine) may not keep up with this load; --parallel 1 shows each \
             connection alone",
            slow + stalled,
            self.closed,
            self.parallel
        ))
    }

    /// The text trace's closing `summary:` section (without its title; indent it).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut head = format!(
            "{} connections, {} at a time: {} ended cleanly",
            self.requested, self.parallel, self.clean
        );
        for u in &self.unclean {
            head.push_str(&format!(", {} {}", u.count, u.how));
        }
        out.push(head);
        let counts: Vec<String> = self
            .classes
            .iter()
            .map(|c| {
                format!(
                    "{} {} ({})",
                    c.class.name(),
                    c.count,
                    c.class.severity().name()
                )
            })
            .collect();
        out.push(format!("verdicts: {}", counts.join(", ")));
        // When most connections stalled or failed, say how, like the odd ones out.
        if let Some(most) = self
            .classes
            .first()
            .filter(|c| c.class.severity() >= Severity::Stall)
        {
            let ids = ids_text(&most.ids, most.count, |id| format!("#{id}"));
            out.push(format!(
                "most common: {} of {} {}: {ids}: {}",
                most.count,
                self.closed,
                most.class.name(),
                most.example
            ));
        }
        for odd in self.odd_ones_out() {
            let ids = ids_text(&odd.ids, odd.count, |id| format!("#{id}"));
            out.push(format!(
                "odd one{} out: {} of {} {}: {ids}: {}",
                if odd.count == 1 { "" } else { "s" },
                odd.count,
                self.closed,
                odd.class.name(),
                odd.example
            ));
        }
        if let Some(note) = self.load_note() {
            out.push(note);
        }
        for (name, p) in [
            ("handshake: ", &self.handshake),
            ("first byte:", &self.first_byte),
            ("total:     ", &self.total),
        ] {
            match p {
                Some(p) => out.push(format!("{name} {}", p.line())),
                None => out.push(format!("{name} none")),
            }
        }
        out.push(format!(
            "events: {} recorded ({} to {} per connection), {} dropped; {} of {} connections closed",
            self.events, self.events_min, self.events_max, self.dropped, self.closed, self.requested
        ));
        out
    }

    /// The JSONL summary line: `kind` "summary", `conn` 0, `t` the last event's time, counts,
    /// and durations in ns like every other line.
    pub fn to_line(&self) -> String {
        let classes: serde_json::Map<String, Value> = self
            .classes
            .iter()
            .map(|c| (c.class.name().to_string(), json!(c.count)))
            .collect();
        let odd: Vec<Value> = self
            .odd_ones_out()
            .iter()
            .map(|c| {
                json!({"class": c.class.name(), "severity": c.class.severity().name(),
                       "count": c.count, "conns": c.ids, "example": c.example})
            })
            .collect();
        let unclean: Vec<Value> = self
            .unclean
            .iter()
            .map(|u| {
                let conns: Vec<Value> = u
                    .ids
                    .iter()
                    .map(|(id, class)| json!({"conn": id, "class": class.name()}))
                    .collect();
                json!({"how": u.how, "count": u.count, "conns": conns})
            })
            .collect();
        let pct = |p: &Option<Percentiles>| p.as_ref().map_or(Value::Null, Percentiles::json);
        json!({
            "t": self.last_t,
            "conn": 0,
            "kind": SUMMARY_KIND,
            "connections": self.requested,
            "parallel": self.parallel,
            "closed": self.closed,
            "clean": self.clean,
            "classes": classes,
            "odd": odd,
            "unclean": unclean,
            "handshake": pct(&self.handshake),
            "first_byte": pct(&self.first_byte),
            "total": pct(&self.total),
            "events": self.events,
            "dropped": self.dropped,
        })
        .to_string()
    }
}

/// True for a JSONL line that is a run's summary rather than an event (readers skip it).
pub fn is_summary_line(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| {
        v.get("kind").and_then(Value::as_str) == Some(SUMMARY_KIND)
            && v.get("conn").and_then(Value::as_u64) == Some(0)
    })
}

#[cfg(test)]
#[path = "many_tests.rs"]
mod tests;
