//! From a connection's [`Facts`] to one [`Verdict`]: which rule applies, in order of what
//! explains the most (a failure before a stall, a stall before a note, a note before "healthy").
//!
//! - `setup_failures`: resolve, connect, not TLS, the handshake and its alerts.
//! - `stalls`: waits without progress (read and write), live or ended by a timeout.
//! - `endings`: resets, EOF, truncation, and how a clean connection went.
//! - `reset`: the peer's reset after the handshake (`endings` asks it).
//! - `slow`: a connection that worked, slowly (handshake, reader, answer).
//! - `post_handshake`: the notes on a renegotiation, post-handshake auth, a KeyUpdate.
//! - `undelivered`: a clean close with what we wrote still in our send queue.
//! - `program_end`: a traced program freed the connection, or exited, without a TLS shutdown.

mod alerts;
mod endings;
mod post_handshake;
mod program_end;
mod reset;
mod setup_failures;
mod slow;
mod stalls;
mod undelivered;

use super::facts::Facts;
use super::types::{Breakdown, Class, Evidence, Verdict};
use crate::trace::event::{CallId, CloseReason, Nanos, Phase};
use crate::trace::format;

/// A wait longer than this without progress can be a stall (shorter ones are just latency).
pub(super) const STALL_AFTER: Nanos = 1_000_000_000;

/// The fact that says events were lost, after their count (a verdict on the program's misuse
/// keeps it: [`Evidence::is_lost_events`]).
pub(super) const LOST_EVENTS: &str =
    "events were not recorded (the recorder fell behind); the verdict may miss something.";

/// A verdict being written.
pub(super) struct Draft {
    class: Class,
    summary: String,
    evidence: Vec<Evidence>,
    next_user: Vec<String>,
    next_code: Vec<String>,
    focus: Option<CallId>,
}

impl Draft {
    pub(super) fn new(class: Class, summary: impl Into<String>) -> Draft {
        Draft {
            class,
            summary: summary.into(),
            evidence: Vec::new(),
            next_user: Vec::new(),
            next_code: Vec::new(),
            focus: None,
        }
    }

    /// A fact, optionally pointing at a call and a moment.
    pub(super) fn fact(
        mut self,
        text: impl Into<String>,
        call: Option<CallId>,
        t: Option<Nanos>,
    ) -> Draft {
        self.evidence.push(Evidence {
            text: text.into(),
            call,
            t,
        });
        self
    }

    pub(super) fn user(mut self, text: impl Into<String>) -> Draft {
        self.next_user.push(text.into());
        self
    }

    pub(super) fn code(mut self, text: impl Into<String>) -> Draft {
        self.next_code.push(text.into());
        self
    }

    pub(super) fn focus(mut self, call: Option<CallId>) -> Draft {
        if self.focus.is_none() {
            self.focus = call;
        }
        self
    }
}

/// The verdict on a connection as of `now` (engine ns; the close time for a finished one).
pub fn verdict(f: &Facts, now: Nanos) -> Verdict {
    if let Some(saved) = &f.program_verdict {
        return (**saved).clone();
    }
    let now = now.max(f.last_t);
    let draft = setup_failures::judge(f, now)
        .or_else(|| setup_failures::revoked(f))
        .or_else(|| endings::cut_short(f))
        .or_else(|| stalls::judge(f, now))
        .or_else(|| undelivered::judge(f))
        .or_else(|| setup_failures::injection(f))
        .or_else(|| endings::judge(f, now))
        .unwrap_or_else(|| in_progress(f, now));
    let draft = with_common_evidence(draft, f);
    Verdict {
        class: draft.class,
        summary: draft.summary,
        evidence: draft.evidence,
        next_user: draft.next_user,
        next_code: draft.next_code,
        breakdown: breakdown(f, now),
        focus: draft.focus,
    }
}

fn in_progress(f: &Facts, now: Nanos) -> Draft {
    let doing = match f.phase {
        None | Some(Phase::Resolve) => "resolving the host name",
        Some(Phase::Connect) => "connecting",
        Some(Phase::Proxy) => "asking the proxy to connect",
        Some(Phase::Starttls) => "in the STARTTLS dialogue",
        Some(Phase::Handshake) => "in the handshake",
        Some(Phase::Action) => "carrying out an action",
        Some(Phase::Workload) => "exchanging data",
        Some(Phase::Shutdown) => "shutting down",
    };
    let since = f.first_t.map_or(0, |t| now.saturating_sub(t));
    Draft::new(
        Class::InProgress,
        format!(
            "In progress, {doing}, for {}; nothing is wrong so far.",
            format::duration(since)
        ),
    )
}

/// Facts worth stating whatever the class: lost events, post-handshake activity.
fn with_common_evidence(mut d: Draft, f: &Facts) -> Draft {
    if f.dropped > 0 {
        d = d.fact(format!("{} {LOST_EVENTS}", f.dropped), None, None);
    }
    if f.pauses > 0 {
        d = d.fact(
            format!(
                "Recording paused {} times ({} in all) because the output was read slowly; nothing was lost and waits exclude the pauses.",
                f.pauses,
                format::duration(f.paused)
            ),
            None,
            None,
        );
    }
    if let Some(retry) = f.hello_retry {
        d = d.fact(
            "the server answered our ClientHello with a HelloRetryRequest (it wants a key share for another group, or a cookie): our second ClientHello cost the handshake one more round trip",
            retry.call,
            Some(retry.t),
        );
    }
    // The alert OpenSSL writes after an EOF is said on its own line below.
    let only_the_eof_alert = f.reads_that_wrote == 1 && f.alert_after_eof.is_some();
    let explained = matches!(d.class, Class::Renegotiation | Class::PostHandshakeAuth);
    if f.reads_that_wrote > 0 && !explained && !only_the_eof_alert {
        if let Some((call, bytes)) = f.first_read_that_wrote {
            d = d.fact(
                format!(
                    "SSL_read wrote to the socket in {} call(s), first #{call} ({} B): {}.",
                    f.reads_that_wrote,
                    bytes,
                    endings::why_read_wrote(f)
                ),
                Some(call),
                None,
            );
        }
    }
    if let Some(alert) = f.alert_after_eof {
        d = d.fact(
            format!(
                "after the EOF, OpenSSL sent the alert {} itself: its answer to a connection cut without close_notify (any program on a plain socket does the same)",
                crate::trace::names::alert_name(alert.desc)
            ),
            alert.at.call,
            Some(alert.at.t),
        );
    }
    if f.writes_that_read > 0 {
        if let Some((call, bytes)) = f.first_write_that_read {
            d = d.fact(
                format!(
                    "SSL_write read from the socket in {} call(s), first #{call} ({} B): the peer's post-handshake messages were processed while writing.",
                    f.writes_that_read, bytes
                ),
                Some(call),
                None,
            );
        }
    }
    d
}

fn breakdown(f: &Facts, now: Nanos) -> Breakdown {
    let start = |p| f.phase_began(p);
    let span = |from: Option<Nanos>, to: Option<Nanos>| match (from, to) {
        (Some(a), Some(b)) if b >= a => b - a,
        (Some(a), None) => now.saturating_sub(a),
        _ => 0,
    };
    // TCP is up at `connected`; what follows until the handshake starts is preparing TLS
    // (loading the trust store), not the network.
    let connect_end = f
        .connected_at
        .or(start(Phase::Handshake))
        .or(f.close.map(|(t, _)| t));
    let handshake_end = f
        .handshake_done
        .or_else(|| f.close.map(|(t, _)| t))
        .or(Some(now));
    Breakdown {
        resolve: span(start(Phase::Resolve), start(Phase::Connect).or(connect_end)),
        connect: span(start(Phase::Connect), connect_end),
        handshake: if start(Phase::Handshake).is_some() {
            span(start(Phase::Handshake), handshake_end)
        } else {
            0
        },
        handshake_round_trips: f.round_trips,
        longest_round_trip: f.longest_round_trip,
        wait_read: f.wait_read,
        wait_write: f.wait_write,
        in_openssl: f.in_openssl,
        idle: f.idle,
        total: f.first_t.map_or(0, |t| now.saturating_sub(t)),
        tcp_rtt: u64::from(f.rtt_us) * 1000,
        tcp_rtt_to_proxy: f.phase_began(Phase::Proxy).is_some(),
    }
}

/// "we sent SNI "x"" / "we sent no SNI", from the setup when recorded.
pub(super) fn sni_sent(f: &Facts) -> String {
    match &f.setup {
        Some(s) => match &s.sni {
            Some(name) => format!("we sent the server name (SNI) {name:?}"),
            None => {
                "we sent no server name (SNI), because the target is an IP address or --no-sni was given".to_string()
            }
        },
        None => "the SNI we sent is not recorded in this trace".to_string(),
    }
}

/// Whether our bytes reached the peer's TCP: the send queue was empty at the last sample.
pub(super) fn delivery(f: &Facts) -> (bool, String) {
    match f.last_sock {
        Some((_, s)) if s.outq == 0 => (
            true,
            "all our bytes were acknowledged by the peer's TCP (send queue 0): they arrived".into(),
        ),
        Some((_, s)) => (
            false,
            format!(
                "{} of our bytes are still unacknowledged in the send queue ({} never sent)",
                s.outq, s.notsent
            ),
        ),
        None => (false, "no buffer levels were recorded".into()),
    }
}

/// The close reason, if the connection ended.
pub(super) fn closed_by(f: &Facts) -> Option<CloseReason> {
    f.close.map(|(_, c)| c.reason)
}

#[cfg(test)]
mod ending_tests;
#[cfg(test)]
mod handshake_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod trace_builder;
