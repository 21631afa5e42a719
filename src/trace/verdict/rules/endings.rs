//! How a connection that got past its handshake ended: cut short (reset, EOF without
//! close_notify, a fatal alert) or finished — and then what is worth knowing about it
//! (post-handshake activity, latency, a slow reader) or that it was healthy.

use super::stalls::framing;
use super::{closed_by, delivery, reset, Draft};
use crate::trace::event::{Close, CloseReason, Nanos, Op};
use crate::trace::format;
use crate::trace::names::alert_name;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

/// A reset, an EOF without close_notify, or a fatal alert after the handshake.
pub(super) fn cut_short(f: &Facts) -> Option<Draft> {
    f.handshake_done?;
    let reason = closed_by(f)?;
    if let Some(alert) = f.alert_in.filter(|a| a.fatal && a.after_handshake) {
        let name = alert_name(alert.desc);
        return Some(
            Draft::new(
                Class::PeerAlert,
                format!("The peer ended the connection with the fatal alert {name} after the handshake."),
            )
            .fact(format!("alert {name} arrived in {}", alert.op.map_or("a call", Op::name)), alert.at.call, Some(alert.at.t))
            .focus(alert.at.call)
            .user("The alert names what the peer objected to; check its logs.")
            .code("A fatal alert makes SSL_read/SSL_write fail with SSL_ERROR_SSL; the connection cannot be used again."),
        );
    }
    if reason == CloseReason::Failed {
        if let Some(d) = super::post_handshake::renegotiation_refused(f) {
            return Some(d);
        }
        if let Some(d) = rejected_record(f) {
            return Some(d);
        }
    }
    // An error on the socket after the peer's EOF is OpenSSL's own alert failing to go out
    // (EPIPE, or the reset our write provoked): the peer's act was the close, not a reset.
    let reset = reason == CloseReason::Reset
        || f.os_error.is_some_and(|(s, e, _)| {
            reset::is_reset_errno(e) && f.eof.is_none_or(|eof| s.t < eof.t)
        });
    if reset {
        return Some(reset::verdict(f));
    }
    let eof = reason == CloseReason::Eof
        || f.error
            .as_deref()
            .is_some_and(|e| e.contains("unexpected eof"))
        || (f.eof.is_some() && !f.close.is_some_and(|(_, c)| c.notify_received));
    if eof && reason != CloseReason::Clean {
        return Some(eof_verdict(f));
    }
    None
}

/// OpenSSL failed the connection after the handshake on something the peer sent, and said so
/// with its own fatal alert (bad_record_mac, decode_error, unexpected_message, ...); without an
/// alert of ours (a local error), the generic `failed` verdict with OpenSSL's reason.
fn rejected_record(f: &Facts) -> Option<Draft> {
    let error = f
        .error
        .clone()
        .unwrap_or_else(|| "the connection failed".into());
    let last = f.last_call.map(|(_, c)| c.id);
    let Some(alert) = f.alert_out.filter(|a| a.fatal && a.after_handshake) else {
        return Some(
            Draft::new(
                Class::Failed,
                format!("The connection failed after the handshake: {error}."),
            )
            .fact(error.clone(), last, f.close.map(|(t, _)| t))
            .focus(last)
            .user(failed_advice(&error)),
        );
    };
    let name = alert_name(alert.desc);
    let meaning = match name {
        "bad_record_mac" => "a record from the peer did not decrypt: its bytes were changed on the way (a broken middlebox, NIC offload or proxy) or the peer encrypted it wrongly",
        "decode_error" | "illegal_parameter" => "a message from the peer could not be parsed",
        "unexpected_message" => "the peer sent a message that is not allowed at this point",
        "record_overflow" => "the peer sent a record longer than TLS allows",
        _ => "OpenSSL rejected what the peer sent",
    };
    let call = alert
        .op
        .map_or("a call".to_string(), |op| match alert.at.call {
            Some(id) => format!("{} #{id}", op.name()),
            None => op.name().to_string(),
        });
    Some(
        Draft::new(
            Class::RejectedRecord,
            format!("We ended the connection with the fatal alert {name}: {meaning}."),
        )
        .fact(format!("{call} failed: {error}"), alert.at.call, Some(alert.at.t))
        .fact(format!("OpenSSL sent the alert {name} and closed"), alert.at.call, Some(alert.at.t))
        .focus(alert.at.call)
        .user("Capture the traffic on both ends (--pcapng here) and compare the bytes; look for a proxy or offload that rewrites them.")
        .code("After SSL_ERROR_SSL the connection is dead: do not call SSL_shutdown or retry; close the socket."),
    )
}

fn eof_verdict(f: &Facts) -> Draft {
    let at = f.eof;
    let focus = at.and_then(|s| s.call);
    if let Some((t, h)) = f.http_complete {
        return Draft::new(
            Class::NoCloseNotify,
            format!("The peer closed TCP without close_notify, after a complete HTTP response (status {}, {}): harmless here.", h.status, framing(&h)),
        )
        .fact(format!("the response was complete at {}", format::duration(t)), None, Some(t))
        .fact("EOF without close_notify", focus, at.map(|s| s.t))
        .focus(focus)
        .user("Nothing to fix: the response's own framing shows it is complete.")
        .code("With OpenSSL 3, EOF without close_notify is SSL_ERROR_SSL \"unexpected eof while reading\" (SSL_OP_IGNORE_UNEXPECTED_EOF turns it into a plain end).");
    }
    if let Some((_, h)) = f.http_head {
        let received = response_bytes(f);
        if let Some(len) = h.content_length {
            let expected = u64::from(h.head_bytes) + len;
            return Draft::new(
                Class::Truncated,
                format!("The response was cut short: the peer closed TCP without close_notify after {} of the {} its Content-Length announced.", format::bytes(received), format::bytes(expected)),
            )
            .fact(format!("HTTP {} with Content-Length {len} (+{} B of head)", h.status, h.head_bytes), None, None)
            .fact(format!("{} received, {} missing", format::bytes(received), format::bytes(expected.saturating_sub(received))), focus, at.map(|s| s.t))
            .focus(focus)
            .user("The server or a proxy died or timed out mid-response: check its logs.")
            .code("Treat EOF without close_notify as truncation unless the framing says the data is complete.");
        }
        if !h.chunked {
            return Draft::new(
                Class::NoCloseNotify,
                format!("The peer closed TCP without close_notify to end an HTTP response whose body runs until the close (status {}): the end cannot be told from a truncation.", h.status),
            )
            .fact(format!("{} received", format::bytes(received)), focus, at.map(|s| s.t))
            .focus(focus)
            .user("Nothing tlsscope can check: the response has no length.")
            .code("Without close_notify and without a length, a truncation attack cannot be detected.");
        }
    }
    if f.app_in == 0 && f.app_out > 0 && asked_for_answer(f) {
        // Nothing came back, so nothing was cut short: the peer hung up on the request.
        return Draft::new(
            Class::ClosedWithoutAnswer,
            format!("The peer closed TCP (without close_notify) without answering our {} request.", format::bytes(f.app_out)),
        )
        .fact(format!("we sent {}", format::bytes(f.app_out)), None, f.last_app_out)
        .fact("EOF without close_notify, and no byte of an answer before it", focus, at.map(|s| s.t))
        .focus(focus)
        .user("The server (or a proxy before it) hung up on the request: check that it expects this protocol (--alpn, --send) and its logs.")
        .code("With OpenSSL 3, EOF without close_notify is SSL_ERROR_SSL \"unexpected eof while reading\".");
    }
    Draft::new(
        Class::Truncated,
        if f.app_in == 0 && f.app_out == 0 {
            "The peer closed TCP without close_notify right after the handshake, before any data either way: it hung up on us (a server that refuses something in our handshake only after it finished, in TLS 1.3, does this).".to_string()
        } else {
            format!("The peer closed TCP without close_notify after {} received and {} sent: the data may be cut short.", format::bytes(f.app_in), format::bytes(f.app_out))
        },
    )
    .fact("EOF without close_notify", focus, at.map(|s| s.t))
    .focus(focus)
    .user("If the protocol has its own end marker, check it; otherwise the peer (or a proxy) ended abruptly.")
    .code("With OpenSSL 3, EOF without close_notify is SSL_ERROR_SSL \"unexpected eof while reading\".")
}

/// What to do about a failure after the handshake: for an action the negotiated version does
/// not allow (the probe's "… refused by OpenSSL: it needs …"), the option that fits; else
/// OpenSSL's reason is the best guide.
fn failed_advice(error: &str) -> &'static str {
    if !error.contains("refused by OpenSSL: it needs") {
        return "Read OpenSSL's reason above; it names what went wrong.";
    }
    if error.starts_with("KeyUpdate") {
        "The server chose a version before TLS 1.3, which has no KeyUpdate: --key-update needs TLS 1.3 (--tls-min 1.3 asks for it; a server without it then fails the handshake), and --renegotiate is TLS 1.2's way to new keys."
    } else {
        "TLS 1.3 has no renegotiation: --key-update gives new keys on TLS 1.3, and --tls-max 1.2 asks for TLS 1.2 to renegotiate (the server must allow it)."
    }
}

/// Bytes of the final HTTP response received (its head and body; interim 1xx responses before
/// it are not counted against its Content-Length).
fn response_bytes(f: &Facts) -> u64 {
    f.app_in.saturating_sub(f.before_response)
}

/// The peer's close_notify came before the HTTP response its head framed was complete: a clean
/// TLS end, but the response is cut short all the same (Content-Length not reached, or a chunked
/// body without its last chunk).
fn ended_mid_response(f: &Facts, close_t: Nanos, close: &Close) -> Option<Draft> {
    let (_, h) = f.http_head?;
    if !close.notify_received
        || f.http_complete.is_some()
        || (h.content_length.is_none() && !h.chunked)
    {
        return None;
    }
    let received = response_bytes(f);
    let (summary, missing) = match h.content_length {
        Some(len) => {
            let expected = u64::from(h.head_bytes) + len;
            (
                format!("The response was cut short: the peer closed the connection (cleanly, with close_notify) after {} of the {} its Content-Length announced.", format::bytes(received), format::bytes(expected)),
                format!("HTTP {} with Content-Length {len} (+{} B of head): {} received, {} missing", h.status, h.head_bytes, format::bytes(received), format::bytes(expected.saturating_sub(received))),
            )
        }
        None => (
            format!("The response was cut short: the peer closed the connection (cleanly, with close_notify) in the middle of a chunked body, before its last chunk, after {}.", format::bytes(received)),
            format!("HTTP {}, chunked: {} received, no last (zero-length) chunk", h.status, format::bytes(received)),
        ),
    };
    Some(
        Draft::new(Class::Truncated, summary)
            .fact(missing, None, f.last_app_in)
            .fact("the peer's close_notify came before the end of the response", None, Some(close_t))
            .user("The server (or a proxy in front of it) ended the response early: check its logs; a clean TLS close does not make the response whole.")
            .code("SSL_read returning 0 (SSL_ERROR_ZERO_RETURN) ends the TLS stream, not the HTTP message: check the framing before using the body."),
    )
}

/// A finished (or live, progressing) connection: notes, slowness, or healthy.
pub(super) fn judge(f: &Facts, now: Nanos) -> Option<Draft> {
    f.handshake_done?;
    let reason = closed_by(f);
    if reason == Some(CloseReason::Stopped) {
        return Some(Draft::new(
            Class::Stopped,
            "Stopped by the user; nothing was stalled.",
        ));
    }
    if let Some(d) = super::program_end::abandoned(f) {
        return Some(d);
    }
    // A deadline is never "healthy" or merely slow: say what it cut.
    if let (Some(CloseReason::Timeout), Some((close_t, _))) = (reason, f.close) {
        let doing = f.error.clone().unwrap_or_else(|| "timed out".into());
        let flowing = |last: Option<Nanos>| last.is_some_and(|t| close_t < t + super::STALL_AFTER);
        if f.http_complete.is_none() && (flowing(f.last_app_in) || flowing(f.last_app_out)) {
            // Our own deadline cut a connection that was moving: not a stall.
            let total = close_t.saturating_sub(f.handshake_done.unwrap_or(close_t));
            return Some(
                Draft::new(
                    Class::InProgress,
                    format!(
                        "Our deadline (--timeout) ended the connection while data was still flowing: {} received and {} sent, the last {} before the end{}; not a stall.",
                        format::bytes(f.app_in),
                        format::bytes(f.app_out),
                        format::duration(close_t.saturating_sub(f.last_app_in.max(f.last_app_out).unwrap_or(close_t))),
                        f.http_head.map_or(String::new(), |(_, h)| format!(", and the HTTP {} response ({}) had not ended", h.status, if h.chunked { "chunked, no last chunk yet".to_string() } else { framing(&h) })),
                    ),
                )
                .fact(doing, f.last_call.map(|(_, c)| c.id), Some(close_t))
                .fact(format!("{} received in {} after the handshake ({})", format::bytes(f.app_in), format::duration(total), format::rate(f.app_in, total)), None, f.last_app_in)
                .focus(f.last_call.map(|(_, c)| c.id))
                .user("Raise --timeout (0 = no limit) if the transfer should finish, or use --read-for S to read for a while and close politely; a stream that never ends (events, a feed) needs --read-for.")
                .code("Nothing is wrong with the connection: the deadline was ours."),
            );
        }
        return Some(
            Draft::new(Class::Stalled, format!("No progress until the deadline: {doing}."))
                .fact(doing, f.last_call.map(|(_, c)| c.id), Some(close_t))
                .focus(f.last_call.map(|(_, c)| c.id))
                .user("Raise --timeout if the peer is just slow; otherwise see what the last call waited for."),
        );
    }
    if let Some(d) = super::post_handshake::note(f) {
        return Some(d);
    }
    if let Some(d) = super::slow::slow(f) {
        return Some(d);
    }
    reason?;
    let (close_t, close) = f.close?;
    if reason == Some(CloseReason::Clean)
        && f.app_out > 0
        && f.app_in_since_write == 0
        && f.idle_reading > 0
    {
        let (_, delivery_text) = delivery(f);
        return Some(
            Draft::new(
                Class::NoResponse,
                format!("No answer to our request came back in the {} we read for (--read-for).", format::duration(f.idle_reading)),
            )
            .fact(format!("we sent {}", format::bytes(f.app_out)), None, f.last_app_out)
            .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
            .user("Read longer (--read-for) or check that the server answers this request.")
            .code("SSL_read returns WANT_READ while nothing arrives: wait for readable, with a timeout."),
        );
    }
    if reason == Some(CloseReason::Clean) && f.app_in == 0 && f.app_out == 0 && f.idle_reading > 0 {
        return Some(
            Draft::new(
                Class::Idle,
                format!("We asked for nothing and the peer sent nothing in the {} we read for; we closed. Idle by our own choice, not a stall.", format::duration(f.idle_reading)),
            )
            .user("Send a request (--http-get PATH or --send TEXT) to see the server answer."),
        );
    }
    if let Some((t, h)) = f.http_head.filter(|(_, h)| h.status >= 400) {
        return Some(
            Draft::new(
                Class::HttpError,
                format!("TLS worked and the connection closed cleanly, but the server answered HTTP {}{}.", h.status, http_reason(h.status)),
            )
            .fact(format!("HTTP {} after {} of request", h.status, format::bytes(f.app_out)), None, Some(t))
            .user("The problem is above TLS: check the request (--http-get PATH, the Host header from --sni) and the server's logs.")
            .code("Nothing to change in the TLS code."),
        );
    }
    if f.app_out > 0
        && f.app_in == 0
        && close.notify_received
        && f.idle_reading == 0
        && asked_for_answer(f)
    {
        return Some(
            Draft::new(
                Class::ClosedWithoutAnswer,
                format!("The peer closed the connection cleanly (close_notify) without answering our {} request.", format::bytes(f.app_out)),
            )
            .fact(format!("we sent {}", format::bytes(f.app_out)), None, f.last_app_out)
            .fact("the peer's close_notify came instead of an answer", None, Some(close_t))
            .user("The server refused the request without saying why: check that it expects this protocol (--alpn, --send) and its logs.")
            .code("SSL_read returning 0 with SSL_ERROR_ZERO_RETURN is the peer's orderly close."),
        );
    }
    if let Some(d) = ended_mid_response(f, close_t, &close) {
        return Some(d);
    }
    let total = f.first_t.map_or(0, |t| now.saturating_sub(t));
    let mut d = Draft::new(
        Class::Healthy,
        format!(
            "Healthy: {} handshake in {}, {}{} sent and {} received, closed cleanly in {}.",
            f.version.as_deref().unwrap_or("TLS"),
            format::duration(
                f.handshake_done.unwrap_or(0).saturating_sub(
                    f.phase_began(crate::trace::event::Phase::Handshake)
                        .unwrap_or(0)
                )
            ),
            f.http_head
                .map_or(String::new(), |(_, h)| format!("HTTP {}, ", h.status)),
            format::bytes(f.app_out),
            format::bytes(f.app_in),
            format::duration(total)
        ),
    );
    let asked_http = f.setup.as_ref().is_some_and(|s| s.http_get.is_some());
    if asked_http && f.http_head.is_none() && f.app_in > 0 {
        d = d.fact(
            format!("we asked for HTTP (--http-get), but the {} that came back did not parse as an HTTP response (not HTTP, a malformed status line or header, or a head over 64 KiB): TLS is healthy, the answer is not", format::bytes(f.app_in)),
            None,
            f.first_app_in,
        );
    }
    if close.notify_sent && !close.notify_received {
        // OpenSSL 3 fails SSL_shutdown when data arrives after our close_notify: the peer was
        // still sending (an echo of what we sent, say), not ignoring our close.
        let data_after = f
            .error
            .as_deref()
            .is_some_and(|e| e.contains("application data after close notify"));
        // Its data may have waited in our receive queue since before our close_notify (an
        // early answer we never read): OpenSSL only meets it after.
        let read = f
            .setup
            .as_ref()
            .is_some_and(|s| s.read_for.is_some() || s.http_get.is_some());
        d = d.fact(
            if data_after && read {
                "the peer sent data we had not read when our close_notify went out (it kept sending after our reading ended): SSL_shutdown failed on it; read longer (--read-for) to get it"
            } else if data_after {
                "the peer sent data we never read (an answer, or an echo: without --read-for nothing is read after the writes); OpenSSL met it after our close_notify went out and SSL_shutdown failed on it; --read-for S reads it"
            } else {
                "the peer did not answer our close_notify (harmless and common)"
            },
            None,
            None,
        );
    }
    Some(d)
}

/// We sent a request that wants an answer. A bulk upload (--upload alone) asks for none: a
/// peer's close_notify during it is a TLS half-close, and the peer may read on.
fn asked_for_answer(f: &Facts) -> bool {
    f.setup
        .as_ref()
        .is_none_or(|s| s.http_get.is_some() || s.send_bytes > 0)
}

/// The reason phrase of common HTTP error statuses (the response's own phrase is not recorded).
fn http_reason(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        413 => " Payload Too Large",
        421 => " Misdirected Request",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

/// Why an SSL_read wrote: the messages that went out explain it.
pub(super) fn why_read_wrote(f: &Facts) -> &'static str {
    if f.alert_after_eof
        .is_some_and(|a| a.op.map(Op::classic) == Some(Op::Read))
    {
        "the alert OpenSSL sends after an EOF without close_notify"
    } else if f
        .alert_out
        .is_some_and(|a| a.op.map(Op::classic) == Some(Op::Read))
    {
        "our own alert"
    } else if f.reneg_hello_out.is_some() {
        "our renegotiation ClientHello"
    } else if f.post_handshake_cert_request.is_some() {
        "our answer to a post-handshake CertificateRequest"
    } else if f
        .key_update_out
        .is_some_and(|(_, _, op)| op == Some(Op::Read))
    {
        "our KeyUpdate reply"
    } else {
        "a handshake message had to go out"
    }
}
