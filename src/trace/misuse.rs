//! The traced program's own misuse of OpenSSL (`tlsscope run`): pure rules over what it did on
//! one connection, fed one observation at a time like the verdict's facts, each rule the
//! OpenSSL documentation's (`SSL_get_error(3)`, `SSL_write(3)`, `SSL_shutdown(3)`):
//!
//! - after WANT_WRITE, wait for writable (after WANT_READ, readable), then call again;
//! - take what `SSL_pending` holds before waiting on the socket;
//! - retry `SSL_write` after WANT_* with the same buffer and length;
//! - WANT_READ / WANT_WRITE are not errors: do not give up on the connection after one;
//! - do not call `SSL_shutdown` after SSL_ERROR_SYSCALL or SSL_ERROR_SSL.
//!
//! A finding becomes the connection's verdict (see [`Misuse::verdict`]): the program's own bug
//! explains more than anything the peer did.

use super::event::{CallId, Interest, Nanos, Op, SslError};
use super::verdict::{Class, Evidence, Verdict};

/// What the traced program did on one connection, as the interposer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obs {
    /// An OpenSSL call returned. `len` and `buf`: the length and buffer it was given (writes);
    /// `pending`: `SSL_pending` right after it (reads).
    Call {
        id: CallId,
        t: Nanos,
        op: Op,
        error: SslError,
        bytes: u64,
        len: u64,
        buf: u64,
        pending: u32,
    },
    /// The program waited on the connection's socket (poll, select, epoll).
    Wait { t: Nanos, interest: Interest },
    /// The program freed the SSL object.
    Free { t: Nanos },
}

/// One misuse found, with the call it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub class: Class,
    pub call: Option<CallId>,
    pub t: Nanos,
    pub text: String,
}

/// The last call that returned WANT_READ / WANT_WRITE, until the next call.
#[derive(Debug, Clone, Copy)]
struct Want {
    id: CallId,
    op: Op,
    error: SslError,
    len: u64,
    buf: u64,
    waited: bool,
}

/// Bounded state of one connection: a handful of fields and at most one finding per class.
#[derive(Debug, Default, Clone)]
pub struct Misuse {
    want: Option<Want>,
    /// The last read left this many decrypted bytes inside OpenSSL (and which read it was).
    pending: Option<(CallId, u32)>,
    /// A call failed fatally (SSL or SYSCALL).
    fatal: Option<(CallId, SslError)>,
    handshake_done: bool,
    read_data: bool,
    findings: Vec<Finding>,
}

fn is_write(op: Op) -> bool {
    op.classic() == Op::Write
}

impl Misuse {
    pub fn new() -> Misuse {
        Misuse::default()
    }

    fn find(&mut self, class: Class, call: Option<CallId>, t: Nanos, text: String) {
        if !self.findings.iter().any(|f| f.class == class) {
            self.findings.push(Finding {
                class,
                call,
                t,
                text,
            });
        }
    }

    pub fn feed(&mut self, obs: Obs) {
        match obs {
            Obs::Call {
                id,
                t,
                op,
                error,
                bytes,
                len,
                buf,
                pending,
            } => self.call(id, t, op, error, bytes, len, buf, pending),
            Obs::Wait { t, interest } => self.wait(t, interest),
            Obs::Free { t } => self.gave_up(t, "freed the SSL object (SSL_free)"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        id: CallId,
        t: Nanos,
        op: Op,
        error: SslError,
        bytes: u64,
        len: u64,
        buf: u64,
        pending: u32,
    ) {
        if op == Op::Shutdown {
            if let Some((fatal_id, e)) = self.fatal {
                self.find(
                    Class::ShutdownAfterFatal,
                    Some(id),
                    t,
                    format!("SSL_shutdown #{id} was called after call #{fatal_id} failed with {}: after a fatal error the connection must just be closed", e.name()),
                );
            }
            if self.fatal.is_none() {
                self.gave_up(t, "called SSL_shutdown");
            }
        }
        if let Some(w) = self.want.take() {
            if is_write(w.op) && is_write(op) {
                if len != w.len {
                    self.find(
                        Class::WriteRetryChanged,
                        Some(id),
                        t,
                        format!("{} #{} returned {} with {} B; the retry {} #{id} asked for {len} B (it must repeat the same length)", w.op.name(), w.id, w.error.name(), w.len, op.name()),
                    );
                } else if buf != w.buf && error == SslError::Ssl {
                    self.find(
                        Class::WriteRetryChanged,
                        Some(id),
                        t,
                        format!("{} #{} returned {}; the retry {} #{id} passed another buffer and OpenSSL refused it (bad write retry)", w.op.name(), w.id, w.error.name(), op.name()),
                    );
                }
            }
        }
        match op.classic() {
            Op::DoHandshake if error == SslError::None => self.handshake_done = true,
            Op::Read | Op::Peek | Op::Write if error == SslError::None => {
                self.handshake_done = true
            }
            _ => {}
        }
        if matches!(op.classic(), Op::Read | Op::Peek) {
            self.pending = (pending > 0).then_some((id, pending));
            if bytes > 0 {
                self.read_data = true;
            }
        }
        if error.is_want() {
            self.want = Some(Want {
                id,
                op,
                error,
                len,
                buf,
                waited: false,
            });
        }
        // A zero-length SSL_write returns 0 and SSL_get_error says SYSCALL without anything
        // having failed (openssl s_client drives its handshake that way).
        let empty_write = is_write(op) && len == 0;
        if matches!(error, SslError::Ssl | SslError::Syscall) && !empty_write {
            self.fatal.get_or_insert((id, error));
        }
    }

    fn wait(&mut self, t: Nanos, interest: Interest) {
        if let Some(w) = &mut self.want {
            w.waited = true;
            let wrong = match (w.error, interest) {
                (SslError::WantWrite, Interest::Read) => Some("readable"),
                (SslError::WantRead, Interest::Write) => Some("writable"),
                _ => None,
            };
            let w = *w;
            if let Some(what) = wrong {
                let right = if what == "readable" {
                    "writable"
                } else {
                    "readable"
                };
                self.find(
                    Class::WaitedWrongDirection,
                    Some(w.id),
                    t,
                    format!("{} #{} returned {}, then the program waited for the socket to become {what} (it must wait for {right})", w.op.name(), w.id, w.error.name()),
                );
            }
        }
        if let Some((id, pending)) = self.pending {
            if interest != Interest::Write {
                self.find(
                    Class::PolledWithPending,
                    Some(id),
                    t,
                    format!("after read #{id}, {pending} decrypted byte(s) were still in SSL_pending when the program waited for the socket to become readable"),
                );
            }
        }
    }

    /// The program ended the connection (`how`): a problem if the last call asked to be
    /// retried and the program neither waited nor called again while it still expected data.
    fn gave_up(&mut self, t: Nanos, how: &str) {
        let Some(w) = self.want else {
            return;
        };
        let expecting = !self.handshake_done || is_write(w.op) || !self.read_data;
        if !w.waited && expecting {
            self.find(
                Class::WantAsError,
                Some(w.id),
                t,
                format!("{} #{} returned {} and the program {how} without waiting for the socket and calling again", w.op.name(), w.id, w.error.name()),
            );
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The verdict when the program misused OpenSSL (the most serious finding leads, the
    /// others follow as evidence); `base` (the verdict from the trace) lends its time breakdown.
    pub fn verdict(&self, base: &Verdict) -> Option<Verdict> {
        let lead = self
            .findings
            .iter()
            .max_by_key(|f| (f.class.severity(), std::cmp::Reverse(f.t)))?;
        let mut evidence: Vec<Evidence> = vec![Evidence {
            text: lead.text.clone(),
            call: lead.call,
            t: Some(lead.t),
        }];
        evidence.extend(
            self.findings
                .iter()
                .filter(|f| *f != lead)
                .map(|f| Evidence {
                    text: format!("also {}: {}", f.class.name(), f.text),
                    call: f.call,
                    t: Some(f.t),
                }),
        );
        // Lost records may hide what the program did (a wait that was not recorded): said here too.
        evidence.extend(base.evidence.iter().filter(|e| e.is_lost_events()).cloned());
        evidence.push(Evidence {
            text: format!(
                "without the program's own misuse the verdict would be {}: {}",
                base.class.name(),
                base.summary
            ),
            call: base.focus,
            t: None,
        });
        Some(Verdict {
            class: lead.class,
            summary: format!("The program misused OpenSSL: {}.", lead.text),
            evidence,
            next_user: vec![],
            next_code: vec![advice(lead.class).to_string()],
            breakdown: base.breakdown,
            focus: lead.call,
        })
    }
}

/// The OpenSSL rule a programmer needs for each finding.
fn advice(class: Class) -> &'static str {
    match class {
        Class::WaitedWrongDirection => "After SSL_ERROR_WANT_WRITE wait until the socket is writable, after SSL_ERROR_WANT_READ until it is readable, whatever the call was (SSL_read may need to write), then call the same function again.",
        Class::PolledWithPending => "Before waiting for readable, check SSL_pending (or SSL_has_pending): decrypted bytes already inside OpenSSL never make the socket readable; read them first.",
        Class::WriteRetryChanged => "After WANT_WRITE / WANT_READ, call SSL_write again with the same buffer and the same length (or set SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER to move the buffer, never shorten it).",
        Class::WantAsError => "WANT_READ and WANT_WRITE are not errors: wait for the socket (poll) and call the same function again; only SSL_ERROR_SSL, SSL_ERROR_SYSCALL and ZERO_RETURN end a connection.",
        Class::ShutdownAfterFatal => "After SSL_ERROR_SYSCALL or SSL_ERROR_SSL, do not call SSL_shutdown: free the SSL object and close the socket.",
        _ => "",
    }
}

#[cfg(test)]
#[path = "misuse_tests.rs"]
mod tests;
