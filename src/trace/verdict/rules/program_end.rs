//! A connection the traced program (`tlsscope run`) ended itself without a TLS shutdown: it
//! freed the SSL object, or exited with it open. Nobody stopped anything, so neither `stopped`
//! nor a failure is the truth.

use super::{closed_by, Draft};
use crate::trace::event::CloseReason;
use crate::trace::format;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

/// The verdict for a connection closed as `freed` or `exited`; `None` for any other ending.
pub(super) fn abandoned(f: &Facts) -> Option<Draft> {
    let reason = closed_by(f)?;
    let during = if f.handshake_done.is_none() {
        " during the handshake"
    } else {
        ""
    };
    let summary = match reason {
        CloseReason::Freed => format!("The program freed the connection (SSL_free){during} without SSL_shutdown: no close_notify was sent, so the peer cannot tell this end from a truncation."),
        CloseReason::Exited => format!("The program ended (it exited, or a signal killed it) with the connection open{during} (no SSL_shutdown, no SSL_free): no close_notify was sent, so the peer cannot tell this end from a truncation."),
        _ => return None,
    };
    let last = f.last_call.map(|(_, c)| c);
    let mut d = Draft::new(Class::Abandoned, summary).fact(
        format!(
            "{} sent and {} received before the end",
            format::bytes(f.app_out),
            format::bytes(f.app_in)
        ),
        None,
        f.close.map(|(t, _)| t),
    );
    if let Some(c) = last {
        d = d
            .fact(
                format!(
                    "the program's last call: {} #{} → {}",
                    c.op.name(),
                    { c.id },
                    c.error.name()
                ),
                Some(c.id),
                f.last_call.map(|(t, _)| t),
            )
            .focus(Some(c.id));
    }
    Some(
        d.user("Nothing to change in tlsscope: this is how the program itself ended the connection.")
            .code("Call SSL_shutdown before SSL_free (unless a call failed with SSL_ERROR_SSL or SSL_ERROR_SYSCALL), so the peer gets close_notify and can tell the end from a truncation."),
    )
}
