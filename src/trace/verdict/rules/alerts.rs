//! A fatal alert during the handshake, mapped to our side of the negotiation: what we offered
//! (versions, ciphers, ALPN, a client certificate or none) and what the alert says about it.

use super::{closed_by, sni_sent, Draft};
use crate::trace::event::{CloseReason, Op};
use crate::trace::format;
use crate::trace::names::alert_name;
use crate::trace::verdict::facts::{Alert, Facts};
use crate::trace::verdict::types::Class;

/// Alerts that mean "your certificate is not acceptable".
pub(super) fn is_cert_alert(desc: u8) -> bool {
    matches!(desc, 42 | 43 | 44 | 45 | 46 | 48 | 49 | 51 | 116)
}

pub(super) fn alert_verdict(f: &Facts, alert: Alert) -> Draft {
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

pub(super) fn client_cert_after_handshake(f: &Facts) -> Option<Draft> {
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
pub(super) fn unread_refusal(f: &Facts) -> Option<Draft> {
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

pub(super) fn op_name(op: Option<Op>) -> &'static str {
    op.map_or("a call", Op::name)
}

pub(super) fn offered_alpn(f: &Facts) -> String {
    match &f.setup {
        Some(s) if s.alpn.is_empty() => "none".into(),
        Some(s) => s.alpn.join(", "),
        None => "not recorded".into(),
    }
}

pub(super) fn version_range(f: &Facts) -> String {
    match &f.setup {
        Some(s) if s.version_min == s.version_max => format!("{} only", s.version_min),
        Some(s) => format!("{} to {}", s.version_min, s.version_max),
        None => "version range not recorded".into(),
    }
}

pub(super) fn cipher_offer(f: &Facts) -> String {
    match &f.setup {
        Some(s) => format!(
            "we offered {} TLS 1.2 and {} TLS 1.3 cipher suites",
            s.ciphers_tls12, s.ciphers_tls13
        ),
        None => "our cipher offer is not recorded".into(),
    }
}
