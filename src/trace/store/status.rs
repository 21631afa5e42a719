//! What a connection is doing now, derived from its events.

use super::conn::ConnTrace;
use super::timed::Timed;
use crate::trace::event::*;
use crate::trace::verdict::{Severity, Verdict};

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

/// A wait this long without progress can be a stall (the verdict decides; see
/// [`crate::trace::verdict`]).
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
        if let Some((last, call)) = self
            .call_spans
            .len()
            .checked_sub(1)
            .and_then(|i| Some((i, self.call(i)?)))
        {
            let error = call.error;
            if error.is_want() {
                return Status::Waiting {
                    op: call.op,
                    error,
                    since: self.calls().end(last),
                };
            }
        }
        match self.phase {
            None | Some(Phase::Resolve) | Some(Phase::Connect) => Status::Connecting,
            Some(Phase::Handshake) if self.tls.is_none() => Status::Handshaking,
            _ => Status::Open,
        }
    }

    /// The verdict on this connection at `now` (the close time once it ended). Cheap: the
    /// facts are kept up to date as events arrive, so this only applies the rules.
    pub fn verdict(&self, now: Nanos) -> Verdict {
        let at = if self.close.is_some() {
            self.last_t
        } else {
            now
        };
        crate::trace::verdict::verdict(&self.facts, at)
    }

    /// True when the verdict at `now` is a stall (a closed connection keeps it: one that timed
    /// out waiting stays marked).
    pub fn is_stalled(&self, now: Nanos) -> bool {
        self.verdict(now).severity() == Severity::Stall
    }

    /// When the wait going on at `now` began and what it waits after, if the verdict calls it a
    /// stall.
    pub fn stalled_since(&self, now: Nanos) -> Option<(Nanos, SslError)> {
        match self.status() {
            Status::Waiting { since, error, .. } if self.is_stalled(now) => Some((since, error)),
            _ => None,
        }
    }
}
