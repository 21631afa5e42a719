//! The time breakdown of one connection, step by step, from its phase events: resolve, TCP
//! connect, TLS handshake, post-handshake actions, the wait for the first byte, the transfer
//! and the shutdown. The steps follow each other without gaps, so they add up to the total.

use crate::trace::{Event, EventKind, Nanos, Op, Phase};

/// One step of a connection's life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub name: &'static str,
    pub start: Nanos,
    pub end: Nanos,
}

impl Step {
    pub(crate) fn dur(&self) -> Nanos {
        self.end.saturating_sub(self.start)
    }
}

fn step_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Resolve => "resolve",
        Phase::Connect => "TCP connect",
        Phase::Proxy => "proxy CONNECT",
        Phase::Starttls => "STARTTLS",
        Phase::Handshake => "TLS handshake",
        Phase::Action => "post-handshake actions",
        Phase::Workload => "workload",
        Phase::Shutdown => "TLS shutdown",
    }
}

/// The steps of the connection whose events are `events` (one connection's, in order).
pub(crate) fn steps(events: &[Event]) -> Vec<Step> {
    let mut starts: Vec<(Phase, Nanos)> = Vec::new();
    let mut first_byte: Option<Nanos> = None;
    let mut end: Option<Nanos> = None;
    let mut last = 0;
    for e in events {
        last = last.max(e.t);
        match &e.kind {
            EventKind::Phase(p) if !starts.iter().any(|(q, _)| q == p) => starts.push((*p, e.t)),
            EventKind::Call(c)
                if first_byte.is_none() && matches!(c.op, Op::Read | Op::Peek) && c.bytes() > 0 =>
            {
                first_byte = Some(e.t + c.dur());
            }
            EventKind::Close(_) => end = Some(e.t),
            _ => {}
        }
    }
    let end = end.unwrap_or(last);
    let mut out = Vec::new();
    for (i, &(phase, start)) in starts.iter().enumerate() {
        let next = starts.get(i + 1).map_or(end, |s| s.1).max(start);
        if phase != Phase::Workload {
            out.push(Step {
                name: step_name(phase),
                start,
                end: next,
            });
            continue;
        }
        // The workload splits where the first application byte was read.
        match first_byte.filter(|&b| b >= start && b <= next) {
            Some(b) => {
                out.push(Step {
                    name: "first byte",
                    start,
                    end: b,
                });
                out.push(Step {
                    name: "transfer",
                    start: b,
                    end: next,
                });
            }
            None => out.push(Step {
                name: "workload (no byte read)",
                start,
                end: next,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::store::fixtures::{ev, read};
    use crate::trace::{Close, CloseReason, SslError};

    #[test]
    fn phases_follow_each_other_and_the_workload_splits_at_the_first_byte() {
        let events = vec![
            ev(10, EventKind::Phase(Phase::Resolve)),
            ev(20, EventKind::Phase(Phase::Connect)),
            ev(50, EventKind::Phase(Phase::Handshake)),
            ev(150, EventKind::Phase(Phase::Workload)),
            ev(160, read(1, SslError::WantRead, 5, 0)),
            ev(300, read(2, SslError::None, 20, 100)),
            ev(400, read(3, SslError::None, 5, 100)),
            ev(500, EventKind::Phase(Phase::Shutdown)),
            ev(
                520,
                EventKind::Close(Close {
                    reason: CloseReason::Clean,
                    notify_sent: true,
                    notify_received: true,
                    workload_done: true,
                }),
            ),
        ];
        let s = steps(&events);
        let names: Vec<_> = s.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "resolve",
                "TCP connect",
                "TLS handshake",
                "first byte",
                "transfer",
                "TLS shutdown"
            ]
        );
        assert_eq!((s[3].start, s[3].end), (150, 320));
        assert_eq!((s[4].start, s[4].end), (320, 500));
        assert_eq!(s[5].dur(), 20);
        let sum: Nanos = s.iter().map(Step::dur).sum();
        assert_eq!(sum, 520 - 10, "the steps add up to the whole");
    }

    #[test]
    fn a_failed_connect_ends_its_step_at_the_close_and_nothing_read_is_said() {
        let events = vec![
            ev(10, EventKind::Phase(Phase::Resolve)),
            ev(20, EventKind::Phase(Phase::Connect)),
            ev(90, EventKind::Error("refused".into())),
        ];
        let s = steps(&events);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].end, 90, "no close: the last event ends it");
        let w = steps(&[
            ev(5, EventKind::Phase(Phase::Workload)),
            ev(8, read(1, SslError::WantRead, 1, 0)),
        ]);
        assert_eq!(w[0].name, "workload (no byte read)");
    }
}
