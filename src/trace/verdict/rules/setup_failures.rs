//! Failures before data can flow: the name, the TCP connection, a peer that is not TLS, and the
//! handshake — each alert mapped to our side of the negotiation (what we offered).

use super::{closed_by, delivery, sni_sent, Draft, STALL_AFTER};
use crate::trace::event::{CloseReason, Nanos, Phase};
use crate::trace::format;
use crate::trace::names::alert_name;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

use super::alerts::{alert_verdict, client_cert_after_handshake, version_range};

pub(super) fn judge(f: &Facts, now: Nanos) -> Option<Draft> {
    if let Some(d) = client_cert_after_handshake(f) {
        return Some(d);
    }
    if f.handshake_done.is_some() {
        return None;
    }
    let reason = closed_by(f);
    let error = f.error.clone().unwrap_or_default();
    if let Some(d) = only_the_end(f) {
        return Some(d);
    }
    if f.phase_began(Phase::Connect).is_none() && reason.is_some() {
        // The engine says which name failed: the target's or the proxy's (`--proxy`).
        let (whose, advice) = if error.starts_with("cannot resolve proxy") {
            (
                "The proxy's host name",
                "Check the host in --proxy; try its IP address.",
            )
        } else {
            ("The host name", "Check the host name; try the IP address as HOST (and --sni NAME for the certificate).")
        };
        return Some(
            Draft::new(
                Class::ResolveFailed,
                format!("{whose} could not be resolved: {error}"),
            )
            .fact(error.clone(), None, f.close.map(|(t, _)| t))
            .user(advice)
            .code("getaddrinfo failed: nothing was sent."),
        );
    }
    if f.phase_began(Phase::Handshake).is_none() {
        if let Some(d) = pre_tls_failure(f, &error) {
            return Some(d);
        }
        return match reason {
            Some(CloseReason::Freed | CloseReason::Exited) => super::program_end::abandoned(f),
            Some(CloseReason::Timeout) => Some(
                Draft::new(
                    Class::ConnectTimeout,
                    "Nobody answered our TCP connection request (SYN): a firewall drops it, the host is down, or its accept queue is full.",
                )
                .fact(error, None, f.close.map(|(t, _)| t))
                .user("Check the address and port, and whether a firewall is in the path.")
                .code("connect() never completed: no TLS was involved."),
            ),
            Some(_) => Some(
                Draft::new(
                    Class::ConnectFailed,
                    format!("The TCP connection failed before TLS began: {error}"),
                )
                .fact(error.clone(), None, f.close.map(|(t, _)| t))
                .user(if error.contains("ECONNRESET") {
                    "Something accepted the TCP connection and reset it at once: a server refusing this client (an allow-list, a connection limit), a firewall or a load balancer without a backend: check their logs."
                } else if error.contains("ECONNREFUSED") {
                    "Check the port: connection refused means nothing listens there (or a firewall rejects it)."
                } else {
                    "Check the address and the route (the host or its network is unreachable from here)."
                })
                .code("connect() failed: no TLS was involved."),
            ),
            None => None,
        };
    }
    if error.contains("not speaking TLS") {
        let (who, advice) = what_listens(&error);
        return Some(
            Draft::new(
                Class::NotTls,
                format!("The peer answered our ClientHello with something that is not TLS: {who} listens on this port."),
            )
            .fact(error, None, f.first_in.map(|s| s.t))
            .user(advice)
            .code("The first byte of a TLS record is 20–23; anything else is another protocol."),
        );
    }
    if let Some(alert) = f.alert_in.filter(|a| a.fatal) {
        return Some(alert_verdict(f, alert));
    }
    if let Some(notify) = f.notify_in {
        let when = if f.server_hello.is_some() {
            "in the middle of the handshake"
        } else {
            "in answer to our ClientHello"
        };
        return Some(
            Draft::new(
                Class::HandshakeClosed,
                format!("The peer sent close_notify {when}: it ended TLS before negotiating, without an alert saying why."),
            )
            .fact("close_notify from the peer during the handshake", notify.call, Some(notify.t))
            .fact(sni_sent(f), None, f.hello_out.map(|s| s.t))
            .focus(notify.call)
            .user("Servers do this when they will not serve the name asked for (SNI), refuse this client, or are shutting down: try --sni NAME and check the server's log.")
            .code("SSL_do_handshake returns 0 with SSL_ERROR_ZERO_RETURN: the handshake cannot go on; do not call SSL_shutdown before a handshake finished."),
        );
    }
    if error.starts_with("certificate verification failed") || is_verify_failure(f) {
        let ours = f
            .alert_out
            .map(|a| format!("we sent the alert {} and stopped", alert_name(a.desc)))
            .unwrap_or_else(|| "we stopped the handshake".into());
        // The engine's reason reads "certificate verification failed: WHY (certificate at depth
        // N: SUBJECT); advice": keep WHY and the certificate for the one-line summary.
        let why = error
            .strip_prefix("certificate verification failed: ")
            .and_then(|rest| rest.split("; ").next())
            .unwrap_or("the certificate was not accepted")
            .to_string();
        let mut draft = Draft::new(
            Class::VerifyFailed,
            format!("We did not trust the server's certificate — {why} — so {ours}."),
        )
        .fact(sni_sent(f), None, f.hello_out.map(|s| s.t))
        .fact(
            format!(
                "verification result: {}",
                f.verify.as_deref().unwrap_or(&why)
            ),
            f.last_call.map(|(_, c)| c.id),
            f.close.map(|(t, _)| t),
        );
        // The chain event names the failing certificate and why, from the chain as sent.
        if let Some(problem) = &f.chain_problem {
            draft = draft.fact(problem.clone(), f.last_call.map(|(_, c)| c.id), None);
        }
        let missing_intermediate = f
            .chain_problem
            .as_deref()
            .is_some_and(|p| p.ends_with("a missing intermediate"));
        return Some(
            draft
            .focus(f.last_call.map(|(_, c)| c.id))
            .user(if missing_intermediate {
                "The server must send its intermediate certificate(s) after the leaf; --ca FILE with the intermediate works around it here."
            } else if why.contains("hostname")
                || why.contains("host name")
                || why.contains("IP address mismatch")
            {
                "Connect with the name the certificate is for (or --sni NAME); --insecure looks anyway."
            } else if why.contains("not yet valid") {
                "The certificate's validity has not begun: check this machine's clock (is it behind?), or the server installed a certificate dated in the future; --insecure looks anyway."
            } else if why.contains("expired") {
                "The server must renew its certificate (check this machine's clock too); --insecure looks anyway."
            } else {
                "Trust the issuer with --ca FILE (the server may also be missing an intermediate certificate); --insecure looks anyway."
            })
            .code("SSL_get_verify_result names the failure; set the expected host with SSL_set1_host."),
        );
    }
    if let Some(alert) = f.alert_out.filter(|a| a.fatal) {
        return Some(
            Draft::new(
                Class::HandshakeAlert,
                format!(
                    "We ended the handshake with the alert {}: {error}",
                    alert_name(alert.desc)
                ),
            )
            .fact(
                format!("our alert {} went out", alert_name(alert.desc)),
                alert.at.call,
                Some(alert.at.t),
            )
            .focus(alert.at.call)
            .user(if error.contains("legacy renegotiation disabled") {
                "The server does not support secure renegotiation (RFC 5746, 2010), and OpenSSL 3 refuses such servers by default: the server must be updated or configured for it (a client can accept it with SSL_OP_LEGACY_SERVER_CONNECT, and is then open to the renegotiation attack)."
            } else {
                "The error names what OpenSSL refused in the server's messages."
            })
            .code("An outgoing fatal alert is our own OpenSSL refusing the peer's handshake."),
        );
    }
    match reason {
        Some(CloseReason::Eof | CloseReason::Reset) | Some(CloseReason::Failed)
            if f.eof.is_some() || f.os_error.is_some() =>
        {
            Some(closed_in_handshake(f, &error))
        }
        Some(CloseReason::Timeout | CloseReason::Stopped) => Some(handshake_stall(f, now)),
        Some(CloseReason::Freed | CloseReason::Exited) => super::program_end::abandoned(f),
        Some(_) => Some(
            Draft::new(Class::Failed, format!("The handshake failed: {error}"))
                .fact(error, None, f.close.map(|(t, _)| t))
                .focus(f.last_call.map(|(_, c)| c.id)),
        ),
        None => f
            .ongoing_wait()
            .filter(|(since, _)| now.saturating_sub(*since) >= STALL_AFTER)
            .map(|_| handshake_stall(f, now)),
    }
}

/// A trace that holds a connection's close but nothing before it (a cropped or partial file):
/// no rule can say what failed, so the verdict says what is there instead of guessing (an empty
/// resolve or connect failure, say).
fn only_the_end(f: &Facts) -> Option<Draft> {
    let (t, close) = f.close?;
    let began = f.setup.is_some() || f.phase_start.iter().any(Option::is_some);
    // A traced program's connection (`tlsscope run`) may end freed or exited with no call:
    // its own rules judge that.
    let program_end = matches!(close.reason, CloseReason::Freed | CloseReason::Exited);
    if began || program_end || f.calls > 0 || f.error.is_some() || f.connected_at.is_some() {
        return None;
    }
    let class = if close.reason == CloseReason::Clean {
        Class::Healthy
    } else {
        Class::Failed
    };
    Some(
        Draft::new(
            class,
            format!(
                "This trace holds only the end of the connection (closed {}): nothing before it was recorded here, so there is nothing more to judge.",
                close.reason.name()
            ),
        )
        .fact("no setup, phase or OpenSSL call of this connection in the trace", None, Some(t))
        .user("Trace it again, or open the whole trace rather than a cropped part."),
    )
}

/// A stapled OCSP response said the server's certificate is revoked. OpenSSL completes the
/// handshake anyway (it does not act on a staple), so the connection looks healthy: this rule
/// makes it a failure, because a revoked certificate means the server must not be trusted.
pub(super) fn revoked(f: &Facts) -> Option<Draft> {
    let (t, status, described) = f.ocsp.as_ref()?;
    if status != "revoked" {
        return None;
    }
    Some(
        Draft::new(
            Class::CertRevoked,
            "The server's certificate is revoked: the OCSP response it stapled says so, although the handshake completed.",
        )
        .fact(format!("stapled OCSP: {described}"), None, Some(*t))
        .user("The server must get a new certificate; do not trust this one.")
        .code("OpenSSL does not act on a stapled response: check it with SSL_get_tlsext_status_ocsp_resp and OCSP_resp_find_status."),
    )
}

fn is_verify_failure(f: &Facts) -> bool {
    f.verify
        .as_deref()
        .is_some_and(|v| v != "ok" && v != "skipped")
}

fn closed_in_handshake(f: &Facts, error: &str) -> Draft {
    if f.cert_sent_empty == Some(true) {
        let at = f.eof.or(f.os_error.map(|(s, _, _)| s));
        return Draft::new(
            Class::ClientCertRequired,
            "The server requires a client certificate: it sent a CertificateRequest, we answered with none, and it closed the connection without an alert.",
        )
        .fact("the server sent a CertificateRequest", f.cert_request.and_then(|s| s.call), f.cert_request.map(|s| s.t))
        .fact("we answered with an empty Certificate", None, None)
        .focus(at.and_then(|s| s.call))
        .user("Give a client certificate and key with --cert FILE --key FILE.")
        .code("Load one with SSL_use_certificate / SSL_use_PrivateKey before the handshake.");
    }
    // The first sign is what the peer did: a reset seen before any EOF, or an EOF (OpenSSL's own
    // alert written after it may then fail with EPIPE or ECONNRESET: that is not the peer's act).
    let reset_first = f
        .os_error
        .is_some_and(|(s, _, _)| f.eof.is_none_or(|e| s.t < e.t));
    let how = if reset_first { "reset" } else { "closed" };
    let at = if reset_first {
        f.os_error.map(|(s, _, _)| s)
    } else {
        f.eof.or(f.os_error.map(|(s, _, _)| s))
    };
    if f.server_answered() {
        // The server took our ClientHello (it began to answer): the SNI and the versions we
        // offered are not why it stopped.
        let (when, advice) = if f.server_hello.is_some() {
            (
                "in the middle of the handshake, after its ServerHello",
                "The server accepted our ClientHello and then gave up: it (or a proxy or load balancer before it) crashed, timed out or dropped the connection mid-handshake: check its logs.",
            )
        } else {
            (
                "in the middle of its first answer, before a whole handshake message",
                "The server's answer was cut short (by the server, or by a proxy or middlebox in the path): check its logs, and try from another network.",
            )
        };
        return Draft::new(
            Class::HandshakeClosed,
            format!("The peer {how} the connection {when}, without a TLS alert."),
        )
        .fact(error.to_string(), at.and_then(|s| s.call), at.map(|s| s.t))
        .fact(
            answer_so_far(f),
            f.first_bytes_in.and_then(|s| s.call),
            f.first_bytes_in.map(|s| s.t),
        )
        .focus(at.and_then(|s| s.call))
        .user(advice)
        .code("EOF during the handshake: SSL_get_error says SYSCALL (or SSL \"unexpected eof\").");
    }
    if f.sock_out == 0 {
        // Not one byte of our ClientHello left: the peer saw nothing of ours (SNI, versions).
        return Draft::new(
            Class::HandshakeClosed,
            format!("The peer {how} the connection before our ClientHello could leave (writing it failed): it dropped the TCP connection it had just accepted, before seeing anything we send."),
        )
        .fact(format!("{error}; 0 B of our ClientHello were written"), at.and_then(|s| s.call), at.map(|s| s.t))
        .focus(at.and_then(|s| s.call))
        .user("Nothing in our ClientHello is the cause: the server, or a firewall, load balancer or connection limit in front of it, drops connections as they come; check its limits, access rules and logs.")
        .code("A reset on the first write: SSL_get_error says SYSCALL (errno ECONNRESET); no TLS setting changes it.");
    }
    Draft::new(
        Class::HandshakeClosed,
        format!("The peer {how} the connection right after our ClientHello, without answering it, without a TLS alert."),
    )
    .fact(error.to_string(), at.and_then(|s| s.call), at.map(|s| s.t))
    .fact(sni_sent(f), None, f.hello_out.map(|s| s.t))
    .fact(format!("versions offered: {}", version_range(f)), None, None)
    .focus(at.and_then(|s| s.call))
    .user("Servers that refuse an SNI or a version silently do this, and so do proxies with no backend: try --sni NAME, --tls-max 1.2, or check the server's log.")
    .code("EOF during the handshake: SSL_get_error says SYSCALL (or SSL \"unexpected eof\").")
}

/// Who answered in plain text, from its first bytes as the engine quoted them (escaped, after
/// `its first bytes were "`), and what to do: a protocol that upgrades to TLS is reached with
/// `--starttls`.
fn what_listens(error: &str) -> (&'static str, &'static str) {
    let first = error.split("first bytes were \"").nth(1).unwrap_or("");
    let starts = |p: &str| first.starts_with(p);
    if starts("SSH-") {
        (
            "an SSH server",
            "This port speaks SSH, not TLS: check the port.",
        )
    } else if starts("HTTP/") {
        ("a plain HTTP server", "This port speaks plain HTTP: use the server's HTTPS port (usually 443), or http:// without TLS.")
    } else if starts("220")
        && (first.contains("SMTP") || first.contains("ESMTP") || first.contains("mail"))
    {
        (
            "an SMTP server",
            "SMTP upgrades to TLS: try --starttls smtp on this port, or the TLS port 465.",
        )
    } else if starts("220") {
        (
            "an FTP or SMTP server (its greeting is 220)",
            "Try --starttls ftp or --starttls smtp on this port, or the protocol's TLS port.",
        )
    } else if starts("* OK") {
        (
            "an IMAP server",
            "IMAP upgrades to TLS: try --starttls imap on this port, or the TLS port 993.",
        )
    } else if starts("+OK") {
        (
            "a POP3 server",
            "POP3 upgrades to TLS: try --starttls pop3 on this port, or the TLS port 995.",
        )
    } else {
        ("another protocol", "Check the port; for a protocol that upgrades to TLS (SMTP, IMAP, …) use --starttls PROTO, or connect to its TLS port instead.")
    }
}

/// How much of the server's handshake answer came: its first message, or only bytes of one.
fn answer_so_far(f: &Facts) -> String {
    let bytes = format::bytes(f.sock_in);
    match f.first_in {
        Some(first) => format!(
            "the server's answer began at {} ({bytes} received)",
            format::duration(first.t)
        ),
        None => format!(
            "{bytes} of the server's answer arrived (from {}), not one whole handshake message",
            format::duration(f.first_bytes_in.map_or(0, |s| s.t))
        ),
    }
}

fn handshake_stall(f: &Facts, now: Nanos) -> Draft {
    let waited = f
        .ongoing_wait()
        .map(|(since, _)| now.saturating_sub(since))
        .or(f.last_wait.map(|(_, w)| w.dur))
        .unwrap_or(0);
    let (delivered, delivery_text) = delivery(f);
    let focus = f.stall_call.or(f.last_call).map(|(_, c)| c.id);
    if !f.server_answered() {
        let hello = f
            .hello_out
            .map(|s| format!("our ClientHello went out at {}", format::duration(s.t)))
            .unwrap_or_else(|| "our ClientHello was not seen going out".into());
        let summary = if delivered {
            format!("We wait for the server's answer to our ClientHello; it was delivered (acknowledged by the peer's TCP) but nothing came back for {}: this port is not speaking TLS first, the server is stuck, or something between (a proxy, a TLS-inspecting firewall) holds our ClientHello.", format::duration(waited))
        } else {
            format!("We wait for the server's answer to our ClientHello, which the peer has not even acknowledged after {}: the path drops our packets.", format::duration(waited))
        };
        return Draft::new(Class::HelloUnanswered, summary)
            .fact(hello, None, f.hello_out.map(|s| s.t))
            .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
            .fact(format!("nothing arrived from the server in {}", format::duration(waited)), focus, None)
            .focus(focus)
            .user("Check that the port speaks TLS from the first byte (STARTTLS protocols do not); try the server's TLS port.")
            .code("SSL_do_handshake returns WANT_READ until the server answers; bound the wait with a timeout.");
    }
    Draft::new(
        Class::HandshakeStalled,
        format!(
            "The server began its handshake answer but stopped: we wait for the rest of its flight, nothing for {}.",
            format::duration(waited)
        ),
    )
    .fact(
        answer_so_far(f),
        f.first_bytes_in.and_then(|s| s.call),
        f.first_bytes_in.map(|s| s.t),
    )
    .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
    .focus(focus)
    .user("The server (or a proxy before it) hangs mid-handshake: check its logs; --timeout bounds the wait.")
    .code("SSL_do_handshake returns WANT_READ while the flight is incomplete: wait for readable and call it again.")
}

/// The proxy or the STARTTLS dialogue ended the connection before TLS began.
fn pre_tls_failure(f: &Facts, error: &str) -> Option<Draft> {
    let reason = closed_by(f)?;
    if matches!(
        reason,
        CloseReason::Stopped | CloseReason::Freed | CloseReason::Exited
    ) {
        return None;
    }
    let at = f.close.map(|(t, _)| t);
    if f.phase_began(Phase::Starttls).is_some() {
        return Some(
            Draft::new(
                Class::StarttlsRefused,
                format!("STARTTLS did not reach TLS: {error}"),
            )
            .fact(error.to_string(), None, at)
            .user("Check the protocol (--starttls) and the port; ask the server's admin whether STARTTLS is enabled.")
            .code("No TLS was involved: the plaintext dialogue is in the trace as `plain` events."),
        );
    }
    if f.phase_began(Phase::Proxy).is_some() {
        return Some(
            Draft::new(Class::ProxyRefused, format!("The proxy did not connect us: {error}"))
                .fact(error.to_string(), None, at)
                .user("Check the proxy's address, credentials (user:pass@ in --proxy) and whether it allows this target and port.")
                .code("No TLS was involved: the proxy's answer is in the trace as `plain` events."),
        );
    }
    None
}

/// A connection that otherwise went well, but the server sent bytes after its go-ahead.
pub(super) fn injection(f: &Facts) -> Option<Draft> {
    let (t, text) = f.injected.as_ref()?;
    Some(
        Draft::new(
            Class::StarttlsInjection,
            format!("The server sent bytes after its go-ahead, before our ClientHello (dropped, never given to TLS): {text}"),
        )
        .fact(format!("after the go-ahead: {text}"), None, Some(*t))
        .user("A server (or something in the path) that sends after its go-ahead is buggy or under attack: report it to its admin.")
        .code("A client must discard its plaintext buffer before the handshake (CVE-2011-0411 and kin)."),
    )
}
