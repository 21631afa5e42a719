//! Failures before data can flow: the name, the TCP connection, a peer that is not TLS, and the
//! handshake — each alert mapped to our side of the negotiation (what we offered).

use super::{closed_by, delivery, sni_sent, Draft, STALL_AFTER};
use crate::trace::event::{CloseReason, Nanos, Op, Phase};
use crate::trace::format;
use crate::trace::names::alert_name;
use crate::trace::verdict::facts::{Alert, Facts};
use crate::trace::verdict::types::Class;

pub(super) fn judge(f: &Facts, now: Nanos) -> Option<Draft> {
    if let Some(d) = client_cert_after_handshake(f) {
        return Some(d);
    }
    if f.handshake_done.is_some() {
        return None;
    }
    let reason = closed_by(f);
    let error = f.error.clone().unwrap_or_default();
    if f.phase_began(Phase::Connect).is_none() && reason.is_some() {
        return Some(
            Draft::new(
                Class::ResolveFailed,
                format!("The host name could not be resolved: {error}"),
            )
            .fact(error.clone(), None, f.close.map(|(t, _)| t))
            .user("Check the host name; try the IP address as HOST (and --sni NAME for the certificate).")
            .code("getaddrinfo failed: nothing was sent."),
        );
    }
    if f.phase_began(Phase::Handshake).is_none() {
        if let Some(d) = pre_tls_failure(f, &error) {
            return Some(d);
        }
        return match reason {
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
                .fact(error, None, f.close.map(|(t, _)| t))
                .user("Check the port (connection refused: nothing listens there) and the route.")
                .code("connect() failed: no TLS was involved."),
            ),
            None => None,
        };
    }
    if error.contains("not speaking TLS") {
        return Some(
            Draft::new(
                Class::NotTls,
                "The peer answered our ClientHello with something that is not TLS: another protocol listens on this port.",
            )
            .fact(error, None, f.first_in.map(|s| s.t))
            .user("Check the port; for a protocol that upgrades to TLS (SMTP, IMAP, …) connect to its TLS port instead.")
            .code("The first byte of a TLS record is 20–23; anything else is another protocol."),
        );
    }
    if let Some(alert) = f.alert_in.filter(|a| a.fatal) {
        return Some(alert_verdict(f, alert));
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
            } else if why.contains("hostname") || why.contains("host name") {
                "Connect with the name the certificate is for (or --sni NAME); --insecure looks anyway."
            } else if why.contains("expired") || why.contains("not yet valid") {
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
            .user("The error names what OpenSSL refused in the server's messages.")
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

/// Alerts that mean "your certificate is not acceptable".
fn is_cert_alert(desc: u8) -> bool {
    matches!(desc, 42 | 43 | 44 | 45 | 46 | 48 | 49 | 51 | 116)
}

fn alert_verdict(f: &Facts, alert: Alert) -> Draft {
    let name = alert_name(alert.desc);
    let at = format!("the server sent the fatal alert {name}");
    let base = |class, summary: String| {
        Draft::new(class, summary)
            .fact(at.clone(), alert.at.call, Some(alert.at.t))
            .focus(alert.at.call)
    };
    if f.cert_sent_empty == Some(true) || (alert.desc == 116 && !has_cert(f)) {
        return client_cert_required(f, alert, false);
    }
    match alert.desc {
        112 => base(
            Class::SniRejected,
            format!("The server refused the server name: {}, and it answered unrecognized_name.", sni_sent(f)),
        )
        .fact(sni_sent(f), None, f.hello_out.map(|s| s.t))
        .user("Send the name the server serves with --sni NAME (connecting to an IP address sends none).")
        .code("Set the name with SSL_set_tlsext_host_name before SSL_connect."),
        120 => {
            let offered = offered_alpn(f);
            base(
                Class::AlpnMismatch,
                format!("The server supports none of the application protocols we offered ({offered}) and answered no_application_protocol."),
            )
            .fact(format!("ALPN offered: {offered}"), None, f.hello_out.map(|s| s.t))
            .user("Offer a protocol the server speaks with --alpn (e.g. --alpn h2 or --alpn http/1.1).")
            .code("SSL_set_alpn_protos lists what we offer; the server must pick one of them.")
        }
        70 => {
            let range = version_range(f);
            base(
                Class::VersionMismatch,
                format!("The server does not speak any TLS version we offered ({range}) and answered protocol_version."),
            )
            .fact(format!("versions offered: {range}"), None, f.hello_out.map(|s| s.t))
            .user("Widen the range with --tls-min / --tls-max (e.g. --tls-min 1.2).")
            .code("SSL_set_min_proto_version / SSL_set_max_proto_version set what the ClientHello offers.")
        }
        40 | 71 if versions_narrowed(f) && !ciphers_narrowed(f) => {
            // Some servers (GnuTLS) answer a version they do not speak with handshake_failure
            // rather than protocol_version: with our range narrowed and our ciphers not, the
            // version is the likely cause.
            let range = version_range(f);
            base(
                Class::VersionMismatch,
                format!("The server refused our ClientHello with {name}; we offered {range}, which it most likely does not speak."),
            )
            .fact(format!("versions offered: {range} (narrowed by --tls-min / --tls-max)"), None, f.hello_out.map(|s| s.t))
            .fact(cipher_offer(f), None, None)
            .user("Widen the range with --tls-min / --tls-max (e.g. drop --tls-min 1.3).")
            .code("SSL_set_min_proto_version / SSL_set_max_proto_version set what the ClientHello offers.")
        }
        40 | 71 => {
            let ciphers = cipher_offer(f);
            base(
                Class::CipherMismatch,
                format!("The server found nothing acceptable in our ClientHello ({ciphers}; {}) and answered {name}.", version_range(f)),
            )
            .fact(ciphers, None, f.hello_out.map(|s| s.t))
            .user("Offer more cipher suites (drop --ciphers / --ciphersuites) or another version range (--tls-min / --tls-max).")
            .code("SSL_set_cipher_list (TLS 1.2) and SSL_set_ciphersuites (TLS 1.3) set what we offer; handshake_failure also covers groups and signature algorithms.")
        }
        d if is_cert_alert(d) && f.cert_request.is_some() && has_cert(f) => {
            base(
                Class::ClientCertRejected,
                format!("The server asked for a client certificate, we sent one, and it refused it with {name}."),
            )
            .fact("the server sent a CertificateRequest; our Certificate was not empty", f.cert_request.and_then(|s| s.call), f.cert_request.map(|s| s.t))
            .user("Use a certificate the server trusts (--cert FILE --key FILE), issued by a CA it accepts.")
            .code("The server's CertificateRequest lists the CAs it accepts.")
        }
        _ => base(
            Class::HandshakeAlert,
            format!("The server ended the handshake with the fatal alert {name}."),
        )
        .user("The alert names what the server refused; compare with `openssl s_client -connect HOST:PORT`.")
        .code("A fatal alert from the peer ends the handshake: SSL_get_error says SSL."),
    }
}

fn has_cert(f: &Facts) -> bool {
    f.cert_sent_empty == Some(false) || f.setup.as_ref().is_some_and(|s| s.client_cert)
}

fn client_cert_required(f: &Facts, alert: Alert, after_handshake: bool) -> Draft {
    let name = alert_name(alert.desc);
    let mut d = Draft::new(
        Class::ClientCertRequired,
        format!(
            "The server requires a client certificate: it sent a CertificateRequest, we answered with none, and it ended the connection with {name}."
        ),
    )
    .fact(
        "the server sent a CertificateRequest",
        f.cert_request.and_then(|s| s.call),
        f.cert_request.map(|s| s.t),
    );
    if f.cert_sent_empty == Some(true) {
        d = d.fact(
            "we answered with an empty Certificate (no client certificate configured)",
            None,
            None,
        );
    }
    d = d
        .fact(
            format!("the server sent the fatal alert {name}"),
            alert.at.call,
            Some(alert.at.t),
        )
        .focus(alert.at.call);
    if after_handshake {
        d = d.fact(
            "in TLS 1.3 the client finishes its handshake before the server checks the certificate, so the refusal arrives in the first SSL_read, not in SSL_do_handshake",
            alert.at.call,
            Some(alert.at.t),
        );
    }
    d.user("Give a client certificate and key with --cert FILE --key FILE.")
        .code("Load one with SSL_use_certificate / SSL_use_PrivateKey (or a client cert callback) before the handshake.")
}

/// TLS 1.3: a refused client certificate shows up only at the first read.
/// Our version range is narrower than OpenSSL's default (TLS 1.2 and 1.3 both offered).
fn versions_narrowed(f: &Facts) -> bool {
    f.setup
        .as_ref()
        .is_some_and(|s| s.version_min == "TLSv1.3" || s.version_max != "TLSv1.3")
}

/// We offered fewer cipher suites than OpenSSL's defaults for the versions we offered.
fn ciphers_narrowed(f: &Facts) -> bool {
    f.setup.as_ref().is_some_and(|s| {
        let tls12 = s.version_min != "TLSv1.3";
        let tls13 = s.version_max == "TLSv1.3";
        (tls12 && s.ciphers_tls12 < 10) || (tls13 && s.ciphers_tls13 < 3)
    })
}

fn client_cert_after_handshake(f: &Facts) -> Option<Draft> {
    f.cert_request?;
    let Some(alert) = f.alert_in.filter(|a| a.fatal && a.after_handshake) else {
        return unread_refusal(f);
    };
    if !(is_cert_alert(alert.desc) || alert.desc == 50 || alert.desc == 40) {
        return None;
    }
    if f.cert_sent_empty == Some(true) || !has_cert(f) {
        return Some(client_cert_required(f, alert, true));
    }
    let name = alert_name(alert.desc);
    Some(
        Draft::new(
            Class::ClientCertRejected,
            format!("The server refused our client certificate with {name}; in TLS 1.3 the refusal arrives only at the first SSL_read, after our handshake had finished."),
        )
        .fact(format!("the server sent the fatal alert {name} in {}", op_name(alert.op)), alert.at.call, Some(alert.at.t))
        .focus(alert.at.call)
        .user("Use a certificate the server trusts (--cert FILE --key FILE).")
        .code("In TLS 1.3 SSL_connect returns before the server verified us: expect the failure from the first SSL_read."),
    )
}

/// TLS 1.3: we answered a CertificateRequest with no certificate, the handshake finished on our
/// side, and the connection died before any answer: the server's refusal (an alert) is most
/// likely unread in our receive queue, because our write hit the reset first.
fn unread_refusal(f: &Facts) -> Option<Draft> {
    if f.cert_sent_empty != Some(true) || f.app_in > 0 || f.alert_in.is_some() {
        return None;
    }
    f.handshake_done?;
    let reason = closed_by(f)?;
    if !matches!(
        reason,
        CloseReason::Reset | CloseReason::Eof | CloseReason::Failed
    ) {
        return None;
    }
    let at = f.os_error.map(|(s, _, _)| s).or(f.eof);
    let unread = f.max_unread;
    Some(
        Draft::new(
            Class::ClientCertRequired,
            "The server requires a client certificate: it sent a CertificateRequest, we answered with none, and it closed the connection right after our handshake finished.",
        )
        .fact("the server sent a CertificateRequest", f.cert_request.and_then(|s| s.call), f.cert_request.map(|s| s.t))
        .fact("we answered with an empty Certificate (no client certificate configured)", None, None)
        .fact(
            format!("{} arrived unread (most likely the server's alert) before the connection ended; in TLS 1.3 our handshake finishes before the server checks the certificate", format::bytes(u64::from(unread))),
            at.and_then(|s| s.call),
            at.map(|s| s.t),
        )
        .focus(at.and_then(|s| s.call))
        .user("Give a client certificate and key with --cert FILE --key FILE.")
        .code("In TLS 1.3, read after SSL_connect: the refusal of a client certificate arrives as an alert on the first SSL_read."),
    )
}

fn op_name(op: Option<Op>) -> &'static str {
    op.map_or("a call", Op::name)
}

fn offered_alpn(f: &Facts) -> String {
    match &f.setup {
        Some(s) if s.alpn.is_empty() => "none".into(),
        Some(s) => s.alpn.join(", "),
        None => "not recorded".into(),
    }
}

fn version_range(f: &Facts) -> String {
    match &f.setup {
        Some(s) if s.version_min == s.version_max => format!("{} only", s.version_min),
        Some(s) => format!("{} to {}", s.version_min, s.version_max),
        None => "version range not recorded".into(),
    }
}

fn cipher_offer(f: &Facts) -> String {
    match &f.setup {
        Some(s) => format!(
            "we offered {} TLS 1.2 and {} TLS 1.3 cipher suites",
            s.ciphers_tls12, s.ciphers_tls13
        ),
        None => "our cipher offer is not recorded".into(),
    }
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
    let how = if f.os_error.is_some() {
        "reset"
    } else {
        "closed"
    };
    let when = if f.server_answered() {
        "in the middle of the handshake"
    } else {
        "right after our ClientHello, without answering it"
    };
    let at = f.eof.or(f.os_error.map(|(s, _, _)| s));
    Draft::new(
        Class::HandshakeClosed,
        format!("The peer {how} the connection {when}, without a TLS alert."),
    )
    .fact(error.to_string(), at.and_then(|s| s.call), at.map(|s| s.t))
    .fact(sni_sent(f), None, f.hello_out.map(|s| s.t))
    .fact(format!("versions offered: {}", version_range(f)), None, None)
    .focus(at.and_then(|s| s.call))
    .user("Servers that refuse an SNI or a version silently do this, and so do proxies with no backend: try --sni NAME, --tls-max 1.2, or check the server's log.")
    .code("EOF during the handshake: SSL_get_error says SYSCALL (or SSL \"unexpected eof\").")
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
            format!("We wait for the server's answer to our ClientHello; it was delivered (acknowledged by the peer's TCP) but nothing came back for {}: this port is not speaking TLS first, or the server is stuck.", format::duration(waited))
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
        format!("the server's first message came at {}", format::duration(f.first_in.map_or(0, |s| s.t))),
        f.first_in.and_then(|s| s.call),
        f.first_in.map(|s| s.t),
    )
    .fact(delivery_text, None, f.last_sock.map(|(t, _)| t))
    .focus(focus)
    .user("The server (or a proxy before it) hangs mid-handshake: check its logs; --timeout bounds the wait.")
    .code("SSL_do_handshake returns WANT_READ while the flight is incomplete: wait for readable and call it again.")
}

/// The proxy or the STARTTLS dialogue ended the connection before TLS began.
fn pre_tls_failure(f: &Facts, error: &str) -> Option<Draft> {
    let reason = closed_by(f)?;
    if reason == CloseReason::Stopped {
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
