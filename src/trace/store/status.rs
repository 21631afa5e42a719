//! What a connection is doing now, derived from its events.

use super::conn::ConnTrace;
use crate::trace::event::*;

/// What a connection is doing now.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Connecting,
    Handshaking,
    Open,
    /// The last call asked to wait; `since` is when it returned.
    Waiting {
        op: Op,
        error: SslError,
        since: Nanos,
    },
    Closed(CloseReason),
    Failed(String),
}

impl Status {
    pub fn is_live(&self) -> bool {
        !matches!(self, Status::Closed(_) | Status::Failed(_))
    }
}

/// A connection is called stalled when it has been waiting this long.
pub const STALL_NANOS: Nanos = 1_000_000_000;

impl ConnTrace {
    pub fn status(&self) -> Status {
        if let Some(close) = self.close {
            return match (close.reason, &self.error) {
                (CloseReason::Failed, Some(msg)) => Status::Failed(msg.clone()),
                (CloseReason::Failed, None) => Status::Failed("failed".into()),
                (reason, _) => Status::Closed(reason),
            };
        }
        if let Some(last) = self.calls.len().checked_sub(1) {
            let error = self.call_error[last];
            if error.is_want() {
                return Status::Waiting {
                    op: self.call_op[last],
                    error,
                    since: self.calls.end[last],
                };
            }
        }
        match self.phase {
            None | Some(Phase::Resolve) | Some(Phase::Connect) => Status::Connecting,
            Some(Phase::Handshake) if self.tls.is_none() => Status::Handshaking,
            _ => Status::Open,
        }
    }

    /// True when the connection has been waiting for readiness for a long time at `now`.
    pub fn is_stalled(&self, now: Nanos) -> bool {
        self.stalled_since(now).is_some()
    }

    /// When the wait going on at `now` began and what it waits after, if it is long enough to
    /// call a stall.
    pub fn stalled_since(&self, now: Nanos) -> Option<(Nanos, SslError)> {
        match self.status() {
            Status::Waiting { since, error, .. } if now.saturating_sub(since) >= STALL_NANOS => {
                Some((since, error))
            }
            _ => None,
        }
    }
}
