//! Hit testing: what is at a time in one lane of the timeline, found from the store (not from
//! what was drawn), and the words for it.

use super::conn::ConnTrace;
use super::timed::Timed;
use crate::trace::event::{MsgDir, Nanos};
use crate::trace::{format, names, text};

/// The kinds of things the timeline shows on separate rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Calls,
    Io,
    Waits,
    Handshake,
}

impl Lane {
    pub const ALL: [Lane; 4] = [Lane::Calls, Lane::Io, Lane::Waits, Lane::Handshake];

    pub fn name(self) -> &'static str {
        match self {
            Lane::Calls => "OpenSSL calls",
            Lane::Io => "socket I/O",
            Lane::Waits => "waits",
            Lane::Handshake => "handshake",
        }
    }
}

/// What was hit, as an index into its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Call(usize),
    /// The band of a run of retries, between its attempts.
    RetryRun(usize),
    Io(usize),
    Wait(usize),
    Msg(usize),
    State(usize),
}

impl Hit {
    /// The call a click on this hit selects.
    pub fn call(self) -> Option<usize> {
        match self {
            Hit::Call(i) => Some(i),
            _ => None,
        }
    }

    /// When the hit thing began (a point's own time), on the engine's clock.
    pub fn time(self, c: &ConnTrace) -> Option<Nanos> {
        match self {
            Hit::Call(i) => c.calls().get(i).map(|s| s.0),
            Hit::RetryRun(r) => c.retries().get(r).map(|s| s.0),
            Hit::Io(i) => c.io().get(i).map(|s| s.0),
            Hit::Wait(i) => c.waits().get(i).map(|s| s.0),
            Hit::Msg(i) => c.msgs.get(i).map(|m| m.0),
            Hit::State(i) => c.states.get(i).map(|s| s.0),
        }
    }

    /// What the hit is, in words, for hover text.
    pub fn describe(self, c: &ConnTrace) -> String {
        match self {
            Hit::Call(i) => {
                let mut s = c
                    .events
                    .get(c.call_event(i).unwrap_or(u32::MAX) as usize)
                    .map_or_else(String::new, |e| text::describe_kind(&e.kind));
                if let Some(r) = c.retry_run(i) {
                    s.push('\n');
                    s.push_str(&retry_text(c, r, Some(i)));
                }
                s
            }
            Hit::RetryRun(r) => retry_text(c, r, None),
            Hit::Io(i) => {
                let Some(e) = c
                    .io_spans
                    .event
                    .get(i)
                    .and_then(|e| c.events.get(e as usize))
                else {
                    return String::new();
                };
                let call = e
                    .call_id()
                    .map_or(String::new(), |id| format!(" (inside call #{id})"));
                format!("{}{call}", text::describe_kind(&e.kind))
            }
            Hit::Wait(i) => format!(
                "waited {} for the socket to be ready for {}; woke: {}",
                format::duration(c.waits().duration(i)),
                c.wait_spans.class(i).operation(),
                c.wait(i).map_or("?", |w| w.woke.name())
            ),
            Hit::Msg(i) => {
                let m = c.msgs[i].1;
                format!(
                    "TLS message {} {} {} ({} B)",
                    if m.dir == MsgDir::In { "in" } else { "out" },
                    names::content_name(m.content),
                    m.type_name(),
                    { m.len }
                )
            }
            Hit::State(i) => format!("handshake state: {}", c.states[i].1.text()),
        }
    }
}

impl ConnTrace {
    /// What is in `lane` at time `t`: what spans `t`, else the nearest within `tol`.
    pub fn hit(&self, lane: Lane, t: Nanos, tol: Nanos) -> Option<Hit> {
        match lane {
            Lane::Calls => match self.calls().nearest(t, tol) {
                Some(i) => Some(Hit::Call(i)),
                // Between the attempts of a retried operation: the band itself.
                None => self.retries().at(t).map(Hit::RetryRun),
            },
            Lane::Io => self.io().nearest_start(t, tol).map(Hit::Io),
            Lane::Waits => self.waits().nearest(t, tol).map(Hit::Wait),
            Lane::Handshake => {
                let (a, b) = self.msgs_within(t.saturating_sub(tol), t.saturating_add(tol));
                if let Some(i) = (a..b).min_by_key(|&i| self.msgs[i].0.abs_diff(t)) {
                    return Some(Hit::Msg(i));
                }
                let i = self.states.partition_point(|s| s.0 <= t).checked_sub(1)?;
                Some(Hit::State(i))
            }
        }
    }
}

/// What a run of retries is: the operation, how many attempts over how long, and which one
/// call `i` is.
fn retry_text(c: &ConnTrace, r: usize, i: Option<usize>) -> String {
    let first = c.retry_first[r] as usize;
    let n = c.retry_attempts[r];
    let op = c.call(first).map_or("?", |call| call.op.name());
    let span = format::duration(c.retries().duration(r));
    let which = i.map_or(String::new(), |i| format!("attempt {} of ", i + 1 - first));
    format!("{which}{n} attempts of one {op} (retried after WANT_*), over {span}")
}
