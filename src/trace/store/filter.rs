//! Which events a table filter keeps: by kind, operation and result.

use super::stored::Stored;
use crate::trace::event::{EventKind, Op, SslError};

/// The filter; `None` means any.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventFilter {
    /// An event kind's JSONL name (`call`, `io`, …).
    pub kind: Option<&'static str>,
    pub op: Option<Op>,
    pub result: Option<SslError>,
}

impl EventFilter {
    /// Does `e` pass? Operation and result are known only for calls, so those filters keep
    /// calls only. Raw bytes and secrets (kept for the exports) are never rows.
    pub fn accepts(&self, e: &Stored) -> bool {
        if e.kind.is_export_only() {
            return false;
        }
        if self.kind.is_some_and(|k| k != e.kind_name()) {
            return false;
        }
        if self.op.is_none() && self.result.is_none() {
            return true;
        }
        match &e.kind {
            EventKind::Call(c) => {
                self.op.is_none_or(|op| op == c.op) && self.result.is_none_or(|r| r == c.error)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::Dir;
    use crate::trace::store::fixtures::{call, ev, io};

    #[test]
    fn filters_keep_what_they_name() {
        let read_ok = ev(0, call(1, Op::Read, SslError::None, 5));
        let write_blocked = ev(10, call(2, Op::Write, SslError::WantWrite, 5));
        let socket = ev(12, io(2, Dir::Write, 0, true));
        let any = EventFilter::default();
        // The filter reads events as the store keeps them.
        let [read_ok, write_blocked, socket] = [read_ok, write_blocked, socket].map(|e| Stored {
            t: e.t,
            kind: e.kind,
        });
        assert!([&read_ok, &write_blocked, &socket]
            .iter()
            .all(|e| any.accepts(e)));
        let calls = EventFilter {
            kind: Some("call"),
            ..Default::default()
        };
        assert!(calls.accepts(&read_ok) && !calls.accepts(&socket));
        let writes = EventFilter {
            op: Some(Op::Write),
            ..Default::default()
        };
        assert!(writes.accepts(&write_blocked) && !writes.accepts(&read_ok));
        // The socket write inside the SSL_write is not a call: an operation filter drops it.
        assert!(!writes.accepts(&socket));
        let blocked_reads = EventFilter {
            op: Some(Op::Read),
            result: Some(SslError::WantWrite),
            ..Default::default()
        };
        assert!(!blocked_reads.accepts(&read_ok) && !blocked_reads.accepts(&write_blocked));
        let read_blocked = Stored {
            t: 20,
            kind: call(3, Op::Read, SslError::WantWrite, 5),
        };
        assert!(blocked_reads.accepts(&read_blocked));
        let secret = Stored {
            t: 21,
            kind: EventKind::Secret("CLIENT_RANDOM 00 11".into()),
        };
        assert!(
            !any.accepts(&secret),
            "secrets are never shown in the table"
        );
    }
}
