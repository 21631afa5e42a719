//! Scenarios that refuse the connection: a fatal alert on the ClientHello (`alert`), a port that
//! is not TLS, a required client certificate (`client-cert`) and bad server certificates.

use super::{defaults, Def};
use crate::lab::peers::{failures, http, ClientAuth, HelloCheck, Serve, ServerCert, Tls};

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
