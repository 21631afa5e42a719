//! Reading certificates for the trace: each certificate's fields ([`CertInfo`]), the chain of a
//! failed handshake with its verification error ([`ChainInfo`]), and the stapled OCSP response
//! (`--status`).

use super::tls_setup::VerifyFailure;
use crate::ffi;
use crate::trace::chain::{ChainInfo, Ocsp, VerifyError};
use crate::trace::CertInfo;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ocsp::{OcspCertId, OcspCertStatus, OcspFlag, OcspResponse, OcspResponseStatus};
use openssl::ssl::SslRef;
use openssl::stack::Stack;
use openssl::x509::{X509NameRef, X509Ref, X509};

pub(super) fn name_of(name: &X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// SHA-256 of the DER certificate, uppercase hex with colons.
pub(super) fn sha256(cert: &X509Ref) -> String {
    cert.digest(MessageDigest::sha256())
        .map(|d| {
            d.iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .unwrap_or_default()
}

fn key(cert: &X509Ref) -> String {
    match cert.public_key() {
        Ok(pk) => {
            let kind = match pk.id() {
                openssl::pkey::Id::RSA => "RSA",
                openssl::pkey::Id::EC => "EC",
                openssl::pkey::Id::ED25519 => "Ed25519",
                openssl::pkey::Id::ED448 => "Ed448",
                openssl::pkey::Id::DSA => "DSA",
                _ => "key",
            };
            format!("{kind} {}", pk.bits())
        }
        Err(_) => "unknown key".into(),
    }
}

const KEY_USAGE: [(u32, &str); 9] = [
    (0x80, "digitalSignature"),
    (0x40, "nonRepudiation"),
    (0x20, "keyEncipherment"),
    (0x10, "dataEncipherment"),
    (0x08, "keyAgreement"),
    (0x04, "keyCertSign"),
    (0x02, "cRLSign"),
    (0x01, "encipherOnly"),
    (0x8000, "decipherOnly"),
];

const EXTENDED_KEY_USAGE: [(u32, &str); 6] = [
    (0x1, "serverAuth"),
    (0x2, "clientAuth"),
    (0x4, "emailProtection"),
    (0x8, "codeSigning"),
    (0x20, "OCSPSigning"),
    (0x100, "anyExtendedKeyUsage"),
];

fn usage(cert: &X509Ref) -> Vec<String> {
    let (ku, xku) = ffi::key_usage(cert);
    let named = |bits: Option<u32>, names: &[(u32, &'static str)]| -> Vec<String> {
        bits.map(|b| {
            names
                .iter()
                .filter(|(bit, _)| b & bit != 0)
                .map(|(_, n)| n.to_string())
                .collect()
        })
        .unwrap_or_default()
    };
    let mut out = named(ku, &KEY_USAGE);
    out.extend(named(xku, &EXTENDED_KEY_USAGE));
    out
}

pub(super) fn cert_info(cert: &X509Ref) -> CertInfo {
    let sans = cert
        .subject_alt_names()
        .map(|names| {
            names
                .iter()
                .filter_map(|n| {
                    n.dnsname().map(str::to_string).or_else(|| {
                        n.ipaddress().and_then(|ip| match ip.len() {
                            4 => <[u8; 4]>::try_from(ip)
                                .ok()
                                .map(|a| std::net::IpAddr::from(a).to_string()),
                            16 => <[u8; 16]>::try_from(ip)
                                .ok()
                                .map(|a| std::net::IpAddr::from(a).to_string()),
                            _ => None,
                        })
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let (mut ocsp_urls, mut ca_issuers) = (Vec::new(), Vec::new());
    for access in cert.authority_info().iter().flatten() {
        let Some(uri) = access.location().uri() else {
            continue;
        };
        match access.method().nid() {
            Nid::AD_OCSP => ocsp_urls.push(uri.to_string()),
            Nid::AD_CA_ISSUERS => ca_issuers.push(uri.to_string()),
            _ => {}
        }
    }
    let alg = cert.signature_algorithm().object();
    CertInfo {
        subject: name_of(cert.subject_name()),
        issuer: name_of(cert.issuer_name()),
        not_before: cert.not_before().to_string(),
        not_after: cert.not_after().to_string(),
        key: key(cert),
        sha256: sha256(cert),
        sans,
        sig_alg: alg
            .nid()
            .long_name()
            .map(str::to_string)
            .unwrap_or_else(|_| alg.to_string()),
        key_usage: usage(cert),
        ocsp_urls,
        ca_issuers,
    }
}

/// The certificates the server sent, leaf first (empty before its Certificate arrived).
pub(super) fn peer_chain(ssl: &SslRef) -> Vec<CertInfo> {
    ssl.peer_cert_chain()
        .map(|chain| chain.iter().map(cert_info).collect())
        .or_else(|| ssl.peer_certificate().map(|c| vec![cert_info(&c)]))
        .unwrap_or_default()
}

/// The chain of a handshake that failed, with its verification error; `None` when no
/// certificate had arrived (nothing to show).
pub(super) fn failed_chain(
    ssl: &SslRef,
    host: Option<&str>,
    failure: Option<&VerifyFailure>,
) -> Option<ChainInfo> {
    let certs = peer_chain(ssl);
    if certs.is_empty() {
        return None;
    }
    Some(ChainInfo {
        host: host.map(str::to_string),
        failure: failure.map(|f| VerifyError {
            depth: f.depth,
            code: f.code,
            reason: f.reason.clone(),
            subject: f.subject.clone(),
            sha256: f.sha256.clone(),
        }),
        certs,
    })
}

/// What the server stapled (only asked for with `--status`): the leaf's status, the dates, the
/// responder, and whether the response verifies against the issuer the server sent (or the
/// trust store).
pub(super) fn stapled(ssl: &SslRef) -> Ocsp {
    let Some(der) = ssl.ocsp_status() else {
        return Ocsp {
            status: Ocsp::NONE.into(),
            ..Ocsp::default()
        };
    };
    let failed = |why: String| Ocsp {
        status: why,
        ..Ocsp::default()
    };
    let Ok(response) = OcspResponse::from_der(der) else {
        return failed("unparsable OCSP response".into());
    };
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        return failed(format!(
            "responder refused (OCSP response status {})",
            response.status().as_raw()
        ));
    }
    let Ok(basic) = response.basic() else {
        return failed("OCSP response without a basic response".into());
    };
    let mut out = Ocsp {
        produced_at: ffi::ocsp_produced_at(&basic),
        responder: ffi::ocsp_responder(&basic, name_of),
        ..Ocsp::default()
    };
    let chain = ssl.peer_cert_chain();
    let leaf = ssl.peer_certificate();
    let issuer = chain.and_then(|c| c.iter().nth(1).map(|i| i.to_owned()));
    let (Some(leaf), Some(issuer)) = (leaf, issuer) else {
        out.status = "unknown (the server sent no issuer to identify the leaf by)".into();
        return out;
    };
    let status = OcspCertId::from_cert(MessageDigest::sha1(), &leaf, &issuer)
        .ok()
        .and_then(|id| {
            basic.find_status(&id).map(|s| {
                (
                    s.status,
                    s.revocation_time.map(|t| t.to_string()),
                    s.this_update.to_string(),
                    s.next_update().map(|t| t.to_string()),
                )
            })
        });
    match status {
        Some((cert_status, revoked, this, next)) => {
            out.status = match cert_status {
                OcspCertStatus::GOOD => "good",
                OcspCertStatus::REVOKED => "revoked",
                _ => "unknown",
            }
            .into();
            out.revoked_at = revoked;
            out.this_update = Some(this);
            out.next_update = next;
        }
        None => out.status = "no status for this certificate in the response".into(),
    }
    out.verified = Some(verify(&basic, ssl));
    out
}

/// Checks the response's signature and signer: the issuer itself or a responder the issuer
/// certified for OCSP signing, its chain built from what the server sent up to the client's
/// trust store (so with `--insecure` and an unknown CA it does not verify).
fn verify(basic: &openssl::ocsp::OcspBasicResponseRef, ssl: &SslRef) -> String {
    let Ok(mut certs) = Stack::<X509>::new() else {
        return "not checked (out of memory)".into();
    };
    for cert in ssl.peer_cert_chain().into_iter().flatten() {
        if certs.push(cert.to_owned()).is_err() {
            return "not checked (out of memory)".into();
        }
    }
    let store = ssl.ssl_context().cert_store();
    match basic.verify(&certs, store, OcspFlag::empty()) {
        Ok(()) => "verified".into(),
        Err(e) => format!(
            "does not verify against the issuer: {}",
            e.errors()
                .first()
                .and_then(|x| x.reason())
                .unwrap_or("signature check failed")
        ),
    }
}
