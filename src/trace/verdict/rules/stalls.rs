//! Waits without progress after the handshake: who waits for whom, and on what. A wait is a
//! stall only when it lasted (live: lasts) at least [`STALL_AFTER`] and was not one we chose
//! (`--read-for`, the shutdown grace end with `Woke::Elapsed` and never come here).

use super::{closed_by, delivery, Draft, STALL_AFTER};
use crate::trace::event::{CloseReason, Interest, Nanos, Op, Phase, SslError, Woke};
use crate::trace::format;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

/// The wait that stalled: when it began, how long, for what.
struct Stalled {
    since: Nanos,
    dur: Nanos,
    interest: Interest,
    live: bool,
}

fn stalled_wait(f: &Facts, now: Nanos) -> Option<Stalled> {
    f.handshake_done?;
    match closed_by(f) {
        None => {
            let (since, interest) = f.ongoing_wait()?;
            let dur = now.saturating_sub(since);
            (dur >= STALL_AFTER).then_some(Stalled {
                since,
                dur,
                interest,
                live: true,
            })
        }
        Some(reason @ (CloseReason::Timeout | CloseReason::Stopped)) => {
            let (t, w) = f.last_wait?;
            let ended_it = matches!(w.woke, Woke::Timeout | Woke::Command);
            // The user's deadline passed during this wait: no progress until the end, however
            // short the deadline. A user's stop is a stall only after a real wait.
            // Unless data was still coming shortly before (a stream with pauses shorter than
            // a stall): then the deadline cut a moving connection, not a stalled one.
            let end = t + w.dur;
            // (A complete HTTP response expects nothing more: waiting on is the kept-open case.)
            let moving = f.http_complete.is_none()
                && [f.last_app_in, f.last_app_out]
                    .into_iter()
                    .flatten()
                    .any(|last| end < last + STALL_AFTER);
            let long_enough = (reason == CloseReason::Timeout && !moving) || w.dur >= STALL_AFTER;
            (ended_it && long_enough).then_some(Stalled {
                since: t,
                dur: w.dur,
                interest: w.interest,
                live: false,
            })
        }
        Some(_) => None,
    }
}

pub(super) fn judge(f: &Facts, now: Nanos) -> Option<Draft> {
    let stall = stalled_wait(f, now)?;
    let d = if stall.interest == Interest::Write || f.write_blocked() {
        write_stall(f, &stall)
    } else {
        read_stall(f, &stall)
    };
    let how = if stall.live {
        format!("waiting for {} so far", format::duration(stall.dur))
    } else {
        format!(
            "waited {} until {}",
            format::duration(stall.dur),
            if closed_by(f) == Some(CloseReason::Stopped) {
                "stopped"
            } else {
                "the timeout (--timeout)"
            }
        )
    };
    let call = f.stall_call.or(f.last_call);
    let started = call
        .map(|(_, c)| {
            format!(
                "the wait began after {} #{} returned {}; {how}",
                c.op.name(),
                { c.id },
                c.error.name()
            )
        })
        .unwrap_or(how);
    Some(
        d.fact(started, call.map(|(_, c)| c.id), Some(stall.since))
            .focus(call.map(|(_, c)| c.id)),
    )
}

fn write_stall(f: &Facts, stall: &Stalled) -> Draft {
    let sock = f.last_sock.map(|(_, s)| s).unwrap_or_default();
    let rcvbuf = if sock.rcvbuf > 0 {
        sock.rcvbuf
    } else {
        128 * 1024
    };
    let inq = f.max_inq_while_write_blocked.max(sock.inq);
    let window = window_text(f);
    let in_read = f
        .last_call
        .is_some_and(|(_, c)| matches!(c.op.classic(), Op::Read | Op::Peek));
    if u64::from(inq) * 2 >= u64::from(rcvbuf) && f.reads_since_write_progress == 0 {
        return Draft::new(
            Class::WriteDeadlock,
            format!("Both sides are blocked writing ({} so far): we wait for the peer to read what we send, while our own receive queue is full of what it sent us and we do not read it, so the peer waits for us too.", format::duration(stall.dur)),
        )
        .fact(
            format!(
                "our receive queue holds {} of {} (SO_RCVBUF) unread: the peer is blocked sending to us",
                format::bytes(u64::from(inq)),
                format::bytes(u64::from(rcvbuf))
            ),
            None,
            f.last_sock.map(|(t, _)| t),
        )
        .fact(
            format!(
                "our send queue holds {} of {} (SO_SNDBUF); {window}",
                format::bytes(u64::from(sock.outq)),
                format::bytes(u64::from(sock.sndbuf))
            ),
            None,
            f.last_sock.map(|(t, _)| t),
        )
        .user("Read while you write: a peer that answers as it reads (an echo, a streaming server) needs its answers read during a large upload.")
        .code("Never block on writability alone: poll for readable too and call SSL_read whenever the socket is readable, even while an SSL_write is pending (retry that SSL_write with the same buffer later).");
    }
    let progress_recent = f
        .last_app_out
        .is_some_and(|t| stall.since + stall.dur < t + STALL_AFTER);
    if f.write_block_bytes > 0 && progress_recent {
        let span =
            (stall.since + stall.dur).saturating_sub(f.write_block_since.unwrap_or(stall.since));
        return Draft::new(
            Class::SlowReader,
            format!(
                "The peer reads slowly: our writes progress only as its window opens, at {}.",
                format::rate(f.write_block_bytes, span)
            ),
        )
        .fact(
            format!(
                "{} written since the first WANT_WRITE, {} ago",
                format::bytes(f.write_block_bytes),
                format::duration(span)
            ),
            None,
            f.write_block_since,
        )
        .fact(window, None, f.zero_window_since)
        .user("Nothing to fix on our side: the peer (or its application) consumes slowly. Larger --sndbuf only hides it.")
        .code("After WANT_WRITE, wait for writable and retry SSL_write with the same buffer and length.");
    }
    let (what, code) = if in_read {
        (
            "SSL_read returned WANT_WRITE: it has a handshake flight to send (a renegotiation ClientHello, a post-handshake Certificate) and the peer does not read it",
            "SSL_read can return WANT_WRITE: wait for writable, then call SSL_read again (not SSL_write).",
        )
    } else {
        (
            "our SSL_write cannot go on: the peer does not read",
            "After WANT_WRITE, wait for writable and retry SSL_write with the same buffer; also read if the peer may be waiting for us to.",
        )
    };
    // What the peer sent that we never read: beyond the TLS 1.3 session tickets (about 510 B
    // from OpenSSL-based servers), likely an answer it gave before it stopped reading (an
    // early HTTP status), which only reading shows.
    let unread = f.max_unread.max(sock.inq);
    let tickets_only =
        f.version.as_deref() == Some("TLSv1.3") && f.tickets_in == 0 && unread <= 560;
    let answered = if unread > 0 && !tickets_only {
        format!(" The peer sent {} we have not read (session tickets, or more: it may have answered, with an early HTTP status say, and stopped reading; a client sees that only if it reads while it writes).", format::bytes(u64::from(unread)))
    } else {
        String::new()
    };
    Draft::new(
        Class::PeerNotReading,
        format!(
            "We have waited {} to write and the peer does not read: our send queue is full and its receive window is closed ({what}).{answered}",
            format::duration(stall.dur)
        ),
    )
    .fact(
        format!(
            "our send queue holds {} of {} (SO_SNDBUF)",
            format::bytes(u64::from(sock.outq)),
            format::bytes(u64::from(sock.sndbuf))
        ),
        None,
        f.last_sock.map(|(t, _)| t),
    )
    .fact(window, None, f.zero_window_since)
    .fact(
        format!(
            "{} of TLS records written to the socket in all; SSL_write completed {} of application data{}",
            format::bytes(f.sock_out),
            format::bytes(f.app_out),
            f.last_app_out
                .map_or(String::new(), |t| format!(", the last at {}", format::duration(t)))
        ),
        None,
        f.last_app_out,
    )
    .user("The peer (or its application) stopped reading: check it; --timeout bounds the wait.")
    .code(code)
}

fn window_text(f: &Facts) -> String {
    match f.zero_window_since {
        Some(since) => format!(
            "the peer's receive window was 0 in {} samples since {}",
            f.zero_window_samples,
            format::duration(since)
        ),
        None => match f.last_sock.and_then(|(_, s)| s.tcp) {
            Some(tcp) => format!(
                "the peer's receive window was {} at the last sample",
                tcp.snd_wnd
            ),
            None => "the peer's window was not sampled".into(),
        },
    }
}

fn read_stall(f: &Facts, stall: &Stalled) -> Draft {
    let waited = format::duration(stall.dur);
    let shutting_down =
        f.phase == Some(Phase::Shutdown) || f.last_call.is_some_and(|(_, c)| c.op == Op::Shutdown);
    if shutting_down {
        return Draft::new(
            Class::CloseNotifyUnanswered,
            "We sent close_notify and the peer did not answer it: harmless and common (many servers just close TCP).",
        )
        .user("Nothing to fix.")
        .code("A client may close the socket after sending close_notify without waiting for the peer's (SSL_shutdown returning 0 is enough).");
    }
    if let Some((t, h)) = f.http_complete {
        return Draft::new(
            Class::ResponseCompleteKeptOpen,
            format!(
                "The HTTP response was complete (status {}, {}) but the server keeps the connection open; we waited {waited} for a close that does not come.",
                h.status,
                framing(&h)
            ),
        )
        .fact(format!("the response was complete at {}: {} received", format::duration(t), format::bytes(h.received)), None, Some(t))
        .user(kept_open_advice(f, &h))
        .code("Stop reading when the framing says the response is complete (Content-Length, last chunk), not at EOF.");
    }
    let (delivered, delivery_text) = delivery(f);
    if f.app_out > 0 && f.app_in_since_write == 0 {
        let summary = if delivered {
            format!("We wait for the answer to our request: it was delivered (the peer's TCP acknowledged it) and nothing came back for {waited}: the server does not answer, or something between drops its answer.")
        } else {
            format!("We wait for the answer to our request, which has not even been acknowledged after {waited}: the path to the server drops our data.")
        };
        return Draft::new(Class::NoResponse, summary)
            .fact(format!("we sent {} of request, the last at {}", format::bytes(f.app_out), f.last_app_out.map_or("-".into(), format::duration)), None, f.last_app_out)
            .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
            .fact(arrived_before(f), None, f.last_app_in)
            .user("Check the server's logs for the request; a proxy or load balancer between may hold the answer.")
            .code("SSL_read returns WANT_READ while nothing arrives: wait for readable with a timeout.");
    }
    if f.app_out == 0 && f.app_in == 0 {
        return Draft::new(
            Class::Idle,
            format!("We asked for nothing and the peer sent nothing for {waited}: the connection is idle."),
        )
        .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
        .user("Send a request (--http-get PATH or --send TEXT) if the server waits for one.")
        .code("Nothing to fix: an idle TLS connection waits for readable.");
    }
    let last = f.last_app_in.unwrap_or(stall.since);
    if let Some((t, h)) = f.http_head.filter(|(_, h)| framing(h) == UNTIL_CLOSE) {
        return until_close_kept_open(f, &h, t, last, delivery_text, &waited);
    }
    if f.http_head.is_none() && f.setup.as_ref().is_some_and(|s| s.http_get.is_some()) {
        // What came is no final response head: 1xx interim responses (skipped by the framing),
        // the start of a head, or not HTTP at all.
        return Draft::new(
            Class::PeerSilent,
            format!("The server began to answer but no complete HTTP response head came: {} arrived (interim responses such as 100 Continue or 103 Early Hints, part of a head, or not HTTP), then nothing for {waited}.", format::bytes(f.app_in)),
        )
        .fact(arrived_before(f), None, Some(last))
        .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
        .user("The final response has not come: check the server (or the backend behind a proxy that answered first); --timeout bounds the wait.")
        .code("SSL_read returns WANT_READ while nothing arrives: wait for readable, with a timeout.");
    }
    Draft::new(
        Class::PeerSilent,
        format!(
            "The peer stopped sending: we wait for more data and nothing has come for {waited}."
        ),
    )
    .fact(arrived_before(f), None, Some(last))
    .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
    .user("The server (or a proxy) stalls mid-response: check its side; --timeout bounds the wait.")
    .code("SSL_read returns WANT_READ while nothing arrives: wait for readable, with a timeout.")
}

fn arrived_before(f: &Facts) -> String {
    match f.last_app_in {
        Some(t) => format!(
            "{} of application data arrived before, the last at {}",
            format::bytes(f.app_in),
            format::duration(t)
        ),
        None => "no application data arrived at all".into(),
    }
}

pub(super) fn framing(h: &crate::trace::event::HttpResponse) -> String {
    // These statuses never have a body, whatever the headers say (RFC 9110, 6.4.1).
    if h.status == 204 || h.status == 304 || (100..200).contains(&h.status) {
        return "no body by its status".into();
    }
    match (h.content_length, h.chunked) {
        (Some(n), _) => format!("Content-Length {n}"),
        (None, true) => "chunked, last chunk received".into(),
        (None, false) => UNTIL_CLOSE.into(),
    }
}

/// Keeping a connection open is the server's right, unless the request (--http-get's says
/// `Connection: close`) or its own response asked for a close (RFC 9112, 9.6).
fn kept_open_advice(f: &Facts, h: &crate::trace::event::HttpResponse) -> String {
    let who = if h.close {
        Some("its own response said Connection: close")
    } else if f.setup.as_ref().is_some_and(|s| s.http_get.is_some()) {
        Some("our request (--http-get) said Connection: close")
    } else {
        None
    };
    // Given a --read-for, the read still ran into the deadline: it was the longer of the two.
    let stop = match f.setup.as_ref().and_then(|s| s.read_for) {
        Some(d) => format!("Our --read-for ({}) was longer than what the deadline left: give a --read-for shorter than --timeout to stop reading after the response.", format::duration(d)),
        None => "Use --read-for to stop reading after the response.".into(),
    };
    match who {
        Some(who) => format!("The server does not close although {who}, which means it must close after the response (RFC 9112, 9.6): harmless for a client that stops at the response's end, but one that reads until the close waits for ever. {stop}"),
        None => format!("Nothing is wrong with the server: it keeps the connection alive. {stop}"),
    }
}

/// The framing of a response whose body only the close of the connection ends.
const UNTIL_CLOSE: &str = "body until close";

/// A response without a length (nor chunks) on a connection the server keeps open: only its
/// close can end the body, so a pause may be the end of the body as well as a stall in it.
fn until_close_kept_open(
    f: &Facts,
    h: &crate::trace::event::HttpResponse,
    head_t: Nanos,
    last: Nanos,
    delivery_text: String,
    waited: &str,
) -> Draft {
    Draft::new(
        Class::PeerSilent,
        format!(
            "The HTTP response (status {}) has no Content-Length and is not chunked, so only the server's close ends its body; {} came, then nothing for {waited}, and the server keeps the connection open: the body may be complete with nothing to say so, or the server stalls in it.",
            h.status,
            format::bytes(f.app_in)
        ),
    )
    .fact(
        format!(
            "HTTP {}, no Content-Length, not chunked{}: the body runs until the close",
            h.status,
            if h.close { ", Connection: close" } else { "" }
        ),
        None,
        Some(head_t),
    )
    .fact(arrived_before(f), None, Some(last))
    .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
    .user("If the body looks complete, the server (or a proxy) must give it a length (Content-Length or chunked) or close after it; --read-for S reads for S seconds and then closes.")
    .code("Without Content-Length or chunked framing, a response ends only at the close (RFC 9112, 6.3): read until EOF, with a timeout.")
}

/// A read wait ended by readiness after this long counts as a slow answer (not a stall).
pub(super) fn slow_answer(f: &Facts) -> Option<(Nanos, Nanos)> {
    let (t, w) = f.longest_wait?;
    (w.dur >= STALL_AFTER && w.woke != Woke::Timeout && f.handshake_done.is_some_and(|h| t > h))
        .then_some((t, w.dur))
}

/// The call that returned WANT_READ without anything to wait for (AUTO_RETRY off).
pub(super) fn retry_without_block(f: &Facts) -> bool {
    f.want_read_without_block > 0 && f.last_call.is_some_and(|(_, c)| c.error != SslError::Ssl)
}
