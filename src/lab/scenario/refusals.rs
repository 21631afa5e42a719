//! Scenarios that refuse the connection: a fatal alert on the ClientHello (`alert`, and the
//! negotiation failures `sni-required`, `alpn-required`, `version-capped`, `cipher-mismatch`),
//! a port that is not TLS, client certificates (`client-cert*`) and bad server certificates.

use super::{defaults, Def};
use crate::lab::peers::{failures, http, ClientAuth, HelloCheck, Serve, ServerCert, Tls, Versions};
use crate::lab::pki::LAB_HOST;
use crate::probe::{Sni, TlsVersion};

pub(super) static ALERT: Def = Def {
    name: "alert",
    summary: "aborts the handshake with a fatal handshake_failure alert",
    explanation: "The server rejects the handshake with a fatal handshake_failure alert right after reading our ClientHello, the way a server does when it shares no protocol version, cipher or group with the client, or refuses the requested server name. SSL_do_handshake fails with SSL_ERROR_SSL and the trace shows the incoming alert message.",
    signature: "SSL_do_handshake: msg out ClientHello, then msg in alert (fatal, handshake_failure 40) and the call fails with SSL; close reason failed.",
    client: defaults,
    serve: Serve::Tls(Tls { hello_check: HelloCheck::RefuseAll, ..Tls::PLAIN }, http::hello),
};

pub(super) static NOT_TLS: Def = Def {
    name: "not-tls",
    summary: "a plain-text server that answers a ClientHello with an HTTP error",
    explanation: "Not a TLS server at all: a plain-text server that reads our ClientHello and answers with `HTTP/1.1 400 Bad Request`, as a web server does on its plain-HTTP port. OpenSSL reads the first bytes as a TLS record header, finds nonsense (`HTTP` is not a record type) and fails with `wrong version number` or `packet length too long`. The first bytes received tell you what is really listening.",
    signature: "SSL_do_handshake writes the ClientHello, reads plain text (`HTTP/1.1 400`) and fails with SSL (`wrong version number` / `packet length too long`); no ServerHello; close reason failed.",
    client: defaults,
    serve: Serve::Plain(failures::not_tls),
};

pub(super) static CLIENT_CERT: Def = Def {
    name: "client-cert",
    summary: "requires a client certificate signed by the lab CA",
    explanation: "The server requires a client certificate signed by the lab CA (mutual TLS). With the lab's client identity the handshake succeeds and the server answers. Without one, the server refuses: in TLS 1.2 the handshake fails; in TLS 1.3 our SSL_do_handshake succeeds first (the client finishes before the server has checked its certificate), and the server's certificate_required alert arrives at our first SSL_read.",
    signature: "With the lab identity: msg in CertificateRequest, msg out Certificate during the handshake, then a normal response; close clean. Without: TLS 1.3 handshake succeeds, then SSL_read fails with SSL after msg in alert certificate_required (116); TLS 1.2 fails in SSL_do_handshake (alert handshake_failure 40).",
    client: |spec, pki| spec.client_identity = Some(pki.client_identity()),
    serve: Serve::Tls(Tls { client_auth: ClientAuth::Required, ..Tls::PLAIN }, http::hello),
};

pub(super) static BAD_CERT_EXPIRED: Def = Def {
    name: "bad-cert-expired",
    summary: "presents a certificate that expired yesterday",
    explanation: "The server presents a certificate for localhost, signed by the lab CA, that expired yesterday. Verification fails with `certificate has expired` (X509 error 10) and the client aborts the handshake with a certificate_expired alert. With verification off the connection works.",
    signature: "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, certificate_expired 45); the error names `certificate has expired`; close reason failed.",
    client: defaults,
    serve: Serve::Tls(Tls { cert: ServerCert::Expired, ..Tls::PLAIN }, http::hello),
};

pub(super) static BAD_CERT_WRONG_HOST: Def = Def {
    name: "bad-cert-wrong-host",
    summary: "presents a valid certificate for another host name",
    explanation: "The server presents a certificate signed by the lab CA for another name (wrong-host.tlsscope.invalid) while we asked for localhost. The chain is fine; the host name check fails with `hostname mismatch` (X509 error 62) and the client aborts the handshake. With verification off the connection works.",
    signature: "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, bad_certificate 42); the error names `hostname mismatch`; close reason failed.",
    client: defaults,
    serve: Serve::Tls(Tls { cert: ServerCert::WrongHost, ..Tls::PLAIN }, http::hello),
};

pub(super) static BAD_CERT_SELF_SIGNED: Def = Def {
    name: "bad-cert-self-signed",
    summary: "presents a self-signed certificate",
    explanation: "The server presents a self-signed certificate for localhost, signed by no CA at all. Verification fails with `self-signed certificate` (X509 error 18). This is what a freshly installed server or appliance with a default certificate looks like. With verification off the connection works.",
    signature: "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, unknown_ca 48); the error names `self-signed certificate`; close reason failed.",
    client: defaults,
    serve: Serve::Tls(Tls { cert: ServerCert::SelfSigned, ..Tls::PLAIN }, http::hello),
};

pub(super) static BAD_CERT_UNTRUSTED: Def = Def {
    name: "bad-cert-untrusted",
    summary: "presents a certificate from a CA the client does not trust",
    explanation: "The server presents a certificate for localhost issued by a second CA that the client does not trust, and sends that CA along. Verification fails with `self-signed certificate in certificate chain` (X509 error 19): the chain is complete but ends in an unknown root, as with a private corporate CA or an intercepting proxy. With verification off the connection works.",
    signature: "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, unknown_ca 48); the error names `self-signed certificate in certificate chain`; close reason failed.",
    client: defaults,
    serve: Serve::Tls(Tls { cert: ServerCert::Untrusted, ..Tls::PLAIN }, http::hello),
};

pub(super) static SNI_REQUIRED: Def = Def {
    name: "sni-required",
    summary: "refuses a ClientHello without the server name it serves (SNI) with unrecognized_name",
    explanation: "The server hosts only `localhost` and refuses a ClientHello that names no server or another one, with a fatal unrecognized_name alert, as virtual-hosting servers and CDNs do. The lab's client connects to the IP literal 127.0.0.1 and therefore sends no SNI (clients send none for IP addresses). SSL_do_handshake writes the ClientHello and fails on the alert; nothing about certificates is involved yet. `--sni localhost` fixes it.",
    signature: "SSL_do_handshake: msg out ClientHello (no server name), then msg in alert (fatal, unrecognized_name 112) and the call fails with SSL; no ServerHello; close reason failed.",
    client: |spec, _| spec.sni = Sni::Off,
    serve: Serve::Tls(
        Tls {
            hello_check: HelloCheck::RequireSni(LAB_HOST),
            ..Tls::PLAIN
        },
        http::hello,
    ),
};

pub(super) static ALPN_REQUIRED: Def = Def {
    name: "alpn-required",
    summary: "speaks only h2 and refuses a client offering other ALPN protocols with no_application_protocol",
    explanation: "The server accepts the application protocol `h2` only (an HTTP/2-only or gRPC endpoint). The lab's client offers `http/1.1`; with no protocol in common the server aborts the handshake with a fatal no_application_protocol alert (RFC 7301). SSL_do_handshake fails on the alert right after the ClientHello. `--alpn h2` (or a list that contains it) fixes it; a client that offers no ALPN at all is served.",
    signature: "SSL_do_handshake: msg out ClientHello (ALPN http/1.1), then msg in alert (fatal, no_application_protocol 120) and the call fails with SSL; no ServerHello; close reason failed.",
    client: |spec, _| spec.alpn = vec!["http/1.1".to_string()],
    serve: Serve::Tls(
        Tls {
            alpn: Some(b"\x02h2"),
            ..Tls::PLAIN
        },
        http::hello,
    ),
};

pub(super) static VERSION_CAPPED: Def = Def {
    name: "version-capped",
    summary: "speaks TLS 1.2 at most; a client that requires TLS 1.3 gets protocol_version",
    explanation: "The server supports TLS 1.2 at most, like many older appliances and load balancers. The lab's client allows TLS 1.3 only (`--tls-min 1.3`), so the two share no version and the server answers the ClientHello with a fatal protocol_version alert. SSL_do_handshake fails with SSL (`tlsv1 alert protocol version`). Allowing TLS 1.2 (`--tls-min 1.2`) fixes it.",
    signature: "SSL_do_handshake: msg out ClientHello (TLS 1.3 only), then msg in alert (fatal, protocol_version 70) and the call fails with SSL; no ServerHello; close reason failed.",
    client: |spec, _| spec.tls_min = Some(TlsVersion::Tls13),
    serve: Serve::Tls(
        Tls {
            versions: Versions::UpTo12,
            ..Tls::PLAIN
        },
        http::hello,
    ),
};

pub(super) static CIPHER_MISMATCH: Def = Def {
    name: "cipher-mismatch",
    summary: "TLS 1.2 server with one cipher the client does not offer: handshake_failure",
    explanation: "The server speaks TLS 1.2 at most and allows a single cipher, ECDHE-ECDSA-CHACHA20-POLY1305. The lab's client offers only ECDHE-ECDSA-AES128-GCM-SHA256 for TLS 1.2 (`--ciphers`); its TLS 1.3 suites do not count, since the server does not speak TLS 1.3. With no cipher in common the server sends a fatal handshake_failure alert (`no shared cipher` on its side). Widening the client's list (or dropping `--ciphers`) fixes it.",
    signature: "SSL_do_handshake: msg out ClientHello, then msg in alert (fatal, handshake_failure 40) and the call fails with SSL; no ServerHello; close reason failed.",
    client: |spec, _| spec.ciphers = Some("ECDHE-ECDSA-AES128-GCM-SHA256".to_string()),
    serve: Serve::Tls(
        Tls {
            versions: Versions::UpTo12,
            ciphers: Some("ECDHE-ECDSA-CHACHA20-POLY1305"),
            ..Tls::PLAIN
        },
        http::hello,
    ),
};

pub(super) static CLIENT_CERT_REQUIRED: Def = Def {
    name: "client-cert-required",
    summary: "TLS 1.3, requires a client certificate; the client has none: refused at the first SSL_read",
    explanation: "The server (TLS 1.3) requires a client certificate signed by the lab CA, and the lab's client has none, so it answers the CertificateRequest with an empty Certificate. In TLS 1.3 the client sends its Certificate and Finished and is done: SSL_do_handshake succeeds before the server has looked at them. The server then refuses with a fatal certificate_required alert, which our client only reads at its first SSL_read, after sending its request. The handshake looks fine; the failure surfaces later. `--cert`/`--key` fix it.",
    signature: "SSL_do_handshake: msg in CertificateRequest, msg out Certificate (empty, a few bytes), and the call succeeds; SSL_write of the request succeeds; the first SSL_read fails with SSL after msg in alert (fatal, certificate_required 116); close reason failed.",
    client: defaults,
    serve: Serve::Tls(
        Tls {
            versions: Versions::Only13,
            client_auth: ClientAuth::Required,
            ..Tls::PLAIN
        },
        http::hello,
    ),
};

pub(super) static CLIENT_CERT_REQUIRED_TLS12: Def = Def {
    name: "client-cert-required-tls12",
    summary: "TLS 1.2, requires a client certificate; the client has none: the handshake fails",
    explanation: "The server (TLS 1.2 at most) requires a client certificate signed by the lab CA, and the lab's client has none. In TLS 1.2 the server reads the client's (empty) Certificate before it sends its own Finished, so it refuses inside the handshake with a fatal handshake_failure alert: SSL_do_handshake fails. Compare `client-cert-required`, where TLS 1.3 lets the same refusal arrive only at the first SSL_read. `--cert`/`--key` fix it.",
    signature: "SSL_do_handshake: msg in CertificateRequest, msg out Certificate (empty), then msg in alert (fatal, handshake_failure 40) and the call fails with SSL; no SSL_read; close reason failed.",
    client: defaults,
    serve: Serve::Tls(
        Tls {
            versions: Versions::UpTo12,
            client_auth: ClientAuth::Required,
            ..Tls::PLAIN
        },
        http::hello,
    ),
};
