//! The stall note above the timeline: the wait going on now when it is long, else the longest
//! wait of at least [`STALL_NANOS`]. Kept apart so the verdict analysis can replace it whole.

use super::conn::ConnTrace;
use super::status::{Status, STALL_NANOS};
use crate::trace::event::{Nanos, Op, SslError};
use crate::trace::format;

/// A long wait worth pointing out, and the call result that led to it, when known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StallNote {
    pub(crate) text: String,
    pub(crate) after: Option<(Op, SslError)>,
}

/// The long wait worth pointing out at `now`: the one going on now, or the longest one.
pub(crate) fn stall(c: &ConnTrace, now: Nanos) -> Option<StallNote> {
    if let Status::Waiting { op, error, since } = c.status() {
        if c.is_stalled(now) {
            let dir = if error == SslError::WantWrite {
                "writable"
            } else {
                "readable"
            };
            let text = format!(
                "Stalled: {} returned {} and has been waiting {} for the socket to become {dir}.",
                op.name(),
                error.name(),
                format::duration(now.saturating_sub(since))
            );
            let after = Some((op, error));
            return Some(StallNote { text, after });
        }
    }
    let w = c.longest_wait?;
    let dur = c.waits.duration(w);
    if dur < STALL_NANOS {
        return None;
    }
    let after = c
        .calls
        .end
        .partition_point(|&e| e <= c.waits.start[w])
        .checked_sub(1)
        .map(|i| (c.call_op[i], c.call_error[i]));
    let call = after.map_or(String::new(), |(op, error)| {
        format!("after {} returned {}, ", op.name(), error.name())
    });
    let text = format!(
        "Stall: {call}the socket was not {} for {} (the wait ended: {}).",
        c.waits.class[w].adjective(),
        format::duration(dur),
        c.wait_woke[w].name()
    );
    Some(StallNote { text, after })
}
