//! The certificate chain the server presented, explained: which certificate failed
//! verification and why (expired, wrong host, self-signed, untrusted root, missing intermediate,
//! wrong order), from the chain as sent and OpenSSL's verification error. Also the stapled OCSP
//! response (`--status`). Pure: the engine records the facts, this names the failing link.

use super::payloads::CertInfo;

/// The chain as the server sent it (leaf first) and how verification went; recorded when a
/// handshake failed after the server's certificates arrived (a successful handshake has them in
/// its `tls` event).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainInfo {
    /// The name the leaf was checked against (host name or IP address); `None`: not checked.
    pub host: Option<String>,
    /// The first verification error OpenSSL reported, if any.
    pub failure: Option<VerifyError>,
    pub certs: Vec<CertInfo>,
}

/// One verification error as OpenSSL's verify callback saw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VerifyError {
    /// Depth in the chain OpenSSL built (0: the leaf).
    pub depth: u32,
    /// `X509_V_ERR_*`.
    pub code: i32,
    /// OpenSSL's words for `code`.
    pub reason: String,
    /// The certificate it was about (it may come from the trust store, not from the server).
    pub subject: String,
    pub sha256: String,
}

/// What kind of failure a link has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Expired,
    NotYetValid,
    HostMismatch,
    SelfSigned,
    UntrustedRoot,
    MissingIntermediate,
    WrongOrder,
    Other,
}

impl Problem {
    pub fn name(self) -> &'static str {
        match self {
            Problem::Expired => "expired",
            Problem::NotYetValid => "not yet valid",
            Problem::HostMismatch => "host name mismatch",
            Problem::SelfSigned => "self-signed",
            Problem::UntrustedRoot => "untrusted root",
            Problem::MissingIntermediate => "missing intermediate",
            Problem::WrongOrder => "wrong order",
            Problem::Other => "not accepted",
        }
    }
}

/// One thing wrong with the chain: which certificate (index in the chain as sent; `None` for
/// one that came from the trust store) and a sentence naming it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub cert: Option<usize>,
    pub problem: Problem,
    pub text: String,
}

// X509_V_ERR_* codes (stable across OpenSSL versions).
const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
const CERT_NOT_YET_VALID: i32 = 9;
const CERT_HAS_EXPIRED: i32 = 10;
const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
const HOSTNAME_MISMATCH: i32 = 62;
const IP_ADDRESS_MISMATCH: i32 = 64;

/// Everything wrong with the chain: the verification failure first, then an order problem
/// (which OpenSSL itself tolerates, so it is reported even when verification passed).
pub fn findings(info: &ChainInfo) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(f) = &info.failure {
        out.push(explain_failure(info, f));
    }
    if let Some(order) = order_problem(&info.certs) {
        if !out.iter().any(|f| f.problem == Problem::WrongOrder) {
            out.push(order);
        }
    }
    out
}

/// The finding that marks certificate `index`, if any.
pub fn finding_for(findings: &[Finding], index: usize) -> Option<&Finding> {
    findings.iter().find(|f| f.cert == Some(index))
}

/// `certificate N (SUBJECT)`, or the subject alone for one not sent by the server.
fn label(index: Option<usize>, subject: &str) -> String {
    match index {
        Some(i) => format!("certificate {i} ({subject})"),
        None => format!("the trusted certificate {subject}"),
    }
}

/// Where the failing certificate is in the chain as sent: by fingerprint, else by depth when
/// the subject agrees.
fn index_of(info: &ChainInfo, f: &VerifyError) -> Option<usize> {
    if !f.sha256.is_empty() {
        if let Some(i) = info.certs.iter().position(|c| c.sha256 == f.sha256) {
            return Some(i);
        }
    }
    let depth = usize::try_from(f.depth).ok()?;
    info.certs
        .get(depth)
        .filter(|c| c.subject == f.subject)
        .map(|_| depth)
}

/// The names a certificate is valid for: its SANs, else the CN of its subject.
pub fn valid_names(cert: &CertInfo) -> Vec<String> {
    if !cert.sans.is_empty() {
        return cert.sans.clone();
    }
    cert.subject
        .split(", ")
        .filter_map(|part| part.strip_prefix("CN="))
        .map(str::to_string)
        .collect()
}

fn explain_failure(info: &ChainInfo, f: &VerifyError) -> Finding {
    let index = index_of(info, f);
    let cert = index.and_then(|i| info.certs.get(i));
    let who = label(index, &f.subject);
    let (problem, text) = match f.code {
        CERT_HAS_EXPIRED => (
            Problem::Expired,
            match cert {
                Some(c) => format!("{who} expired on {}", c.not_after),
                None => format!("{who} has expired"),
            },
        ),
        CERT_NOT_YET_VALID => (
            Problem::NotYetValid,
            match cert {
                Some(c) => format!("{who} is not valid before {}", c.not_before),
                None => format!("{who} is not yet valid"),
            },
        ),
        HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH => {
            let names = cert.map(valid_names).unwrap_or_default();
            let host = info.host.as_deref().unwrap_or("the requested host");
            let list = if names.is_empty() {
                "no name".to_string()
            } else {
                names.join(", ")
            };
            (
                Problem::HostMismatch,
                format!("{who} is valid for: {list} — not for {host}"),
            )
        }
        DEPTH_ZERO_SELF_SIGNED_CERT => (
            Problem::SelfSigned,
            format!("{who} is self-signed and not trusted here"),
        ),
        SELF_SIGNED_CERT_IN_CHAIN => (
            Problem::UntrustedRoot,
            format!("{who} is a root certificate this client does not trust"),
        ),
        UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE
        | UNABLE_TO_GET_ISSUER_CERT => issuer_missing(info, f, index, &who),
        _ => (Problem::Other, format!("{who}: {}", f.reason)),
    };
    Finding {
        cert: index,
        problem,
        text,
    }
}

/// The issuer of the failing certificate was found neither in what the server sent nor in the
/// trust store: for the leaf that is almost always an intermediate the server did not send;
/// higher up, a root this client does not trust.
fn issuer_missing(
    info: &ChainInfo,
    f: &VerifyError,
    index: Option<usize>,
    who: &str,
) -> (Problem, String) {
    let Some(cert) = index.and_then(|i| info.certs.get(i)) else {
        return (Problem::UntrustedRoot, format!("{who}: {}", f.reason));
    };
    let sent = info.certs.iter().any(|c| c.subject == cert.issuer);
    let url = cert
        .ca_issuers
        .first()
        .map(|u| format!(" (its CA Issuers URL: {u})"))
        .unwrap_or_default();
    if index == Some(0) && !sent {
        (
            Problem::MissingIntermediate,
            format!(
                "{who} was issued by {}, which the server did not send and this client does not have{url}: a missing intermediate",
                cert.issuer
            ),
        )
    } else {
        (
            Problem::UntrustedRoot,
            format!(
                "{who} was issued by {}, which this client does not trust{url}: an untrusted root (or a missing intermediate)",
                cert.issuer
            ),
        )
    }
}

/// Certificate i+1 should issue certificate i. When it does not, say which one does (sent out of
/// order) or that the sent certificate is unrelated.
fn order_problem(certs: &[CertInfo]) -> Option<Finding> {
    for (i, pair) in certs.windows(2).enumerate() {
        let (cert, next) = (&pair[0], &pair[1]);
        if cert.issuer == cert.subject || next.subject == cert.issuer {
            continue;
        }
        let text = match certs.iter().position(|c| c.subject == cert.issuer) {
            Some(j) => format!(
                "certificate {} ({}) does not issue certificate {i}: its issuer is certificate {j}; the server sent the chain in the wrong order",
                i + 1,
                next.subject
            ),
            None => format!(
                "certificate {} ({}) does not issue certificate {i} (issued by {}): the server sent an unrelated certificate",
                i + 1,
                next.subject,
                cert.issuer
            ),
        };
        return Some(Finding {
            cert: Some(i + 1),
            problem: Problem::WrongOrder,
            text,
        });
    }
    None
}

/// What a stapled OCSP response said (`--status`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ocsp {
    /// `no response stapled`, or the certificate's status: `good`, `revoked`, `unknown`; or why
    /// the response could not be read (`unparsable response`, `responder said tryLater`, …).
    pub status: String,
    pub produced_at: Option<String>,
    pub this_update: Option<String>,
    pub next_update: Option<String>,
    pub revoked_at: Option<String>,
    /// The responder's name or key hash.
    pub responder: Option<String>,
    /// `verified`, or why the response's signature did not verify against the issuer.
    pub verified: Option<String>,
}

impl Ocsp {
    pub const NONE: &'static str = "no response stapled";

    /// One line: `good (produced …, this update …, next update …; responder …; verified)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("produced", &self.produced_at),
            ("revoked", &self.revoked_at),
            ("this update", &self.this_update),
            ("next update", &self.next_update),
            ("responder", &self.responder),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} {v}"));
            }
        }
        if let Some(v) = &self.verified {
            parts.push(v.clone());
        }
        if parts.is_empty() {
            self.status.clone()
        } else {
            format!("{} ({})", self.status, parts.join("; "))
        }
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
