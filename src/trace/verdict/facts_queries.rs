//! Questions the rules ask of [`Facts`] that take more than reading a field.

use super::{phase_index, Facts};
use crate::trace::event::*;

impl Facts {
    /// The last call returned WANT_WRITE (we are waiting to write, or about to).
    pub fn write_blocked(&self) -> bool {
        self.last_call
            .is_some_and(|(_, c)| c.error == SslError::WantWrite)
    }

    /// The wait under way now (the last call asked to wait, and no wait event ended it yet):
    /// when it began and for what.
    pub fn ongoing_wait(&self) -> Option<(Nanos, Interest)> {
        if self.close.is_some() {
            return None;
        }
        let (t, c) = self.last_call?;
        let end = t + c.dur();
        if self.last_wait.is_some_and(|(wt, _)| wt >= end) {
            return None;
        }
        match c.error {
            SslError::WantRead => Some((end, Interest::Read)),
            SslError::WantWrite => Some((end, Interest::Write)),
            _ => None,
        }
    }

    /// When the given phase began.
    pub fn phase_began(&self, p: Phase) -> Option<Nanos> {
        self.phase_start[phase_index(p)]
    }

    /// The server answered something in the handshake: a message, or bytes of one (a record
    /// cut short, a header without its body, what a proxy let through).
    pub fn server_answered(&self) -> bool {
        self.first_in.is_some() || self.sock_in > 0
    }
}
