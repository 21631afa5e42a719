//! The certificate chain in the text trace: a line per certificate, a line of its details
//! (names, signature, usage, AIA URLs) and a `✗` line under each certificate that failed, with
//! the reason from [`super::chain::findings`]. Everything the peer wrote is escaped.

use super::chain::{findings, ChainInfo, Finding, Ocsp};
use super::escape::escape;
use super::payloads::CertInfo;
use std::fmt::Write as _;

/// The details line of a certificate (`names …; signed …; usage …; OCSP …; CA Issuers …`), or
/// `None` when the trace has none of them (older traces).
pub fn cert_details(c: &CertInfo) -> Option<String> {
    let mut parts = Vec::new();
    let list = |v: &[String]| escape(&v.join(", ")).into_owned();
    if !c.sans.is_empty() {
        parts.push(format!("names {}", list(&c.sans)));
    }
    if !c.sig_alg.is_empty() {
        parts.push(format!("signed {}", escape(&c.sig_alg)));
    }
    if !c.key_usage.is_empty() {
        parts.push(format!("usage {}", list(&c.key_usage)));
    }
    if !c.ocsp_urls.is_empty() {
        parts.push(format!("OCSP {}", list(&c.ocsp_urls)));
    }
    if !c.ca_issuers.is_empty() {
        parts.push(format!("CA Issuers {}", list(&c.ca_issuers)));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Appends the chain's lines (each starting with a newline and `indent`).
pub fn write_certs(s: &mut String, certs: &[CertInfo], found: &[Finding], indent: &str) {
    for (depth, c) in certs.iter().enumerate() {
        let _ = write!(
            s,
            "\n{indent}cert {depth}: {} (issuer {}; {} .. {}; {}; sha256 {})",
            escape(&c.subject),
            escape(&c.issuer),
            escape(&c.not_before),
            escape(&c.not_after),
            escape(&c.key),
            escape(&c.sha256)
        );
        if let Some(details) = cert_details(c) {
            let _ = write!(s, "\n{indent}  {details}");
        }
        for f in found.iter().filter(|f| f.cert == Some(depth)) {
            let _ = write!(s, "\n{indent}  ✗ {}: {}", f.problem.name(), escape(&f.text));
        }
    }
    for f in found.iter().filter(|f| f.cert.is_none()) {
        let _ = write!(s, "\n{indent}✗ {}: {}", f.problem.name(), escape(&f.text));
    }
}

/// The `chain` event: the headline and the certificates.
pub fn describe_chain(s: &mut String, info: &ChainInfo, indent: &str) {
    match &info.failure {
        Some(f) => {
            let _ = write!(
                s,
                "chain verification failed: {} (depth {})",
                escape(&f.reason),
                f.depth
            );
        }
        None => s.push_str("chain as sent"),
    }
    if let Some(host) = &info.host {
        let _ = write!(s, " host={}", escape(host));
    }
    let _ = write!(s, ", {} certificate(s) sent", info.certs.len());
    write_certs(s, &info.certs, &findings(info), indent);
}

/// The stapled OCSP line under a `tls` event.
pub fn describe_ocsp(s: &mut String, ocsp: &Ocsp, indent: &str) {
    let _ = write!(s, "\n{indent}ocsp {}", escape(&ocsp.describe()));
}
