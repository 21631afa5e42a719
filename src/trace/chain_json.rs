//! JSONL fields of certificates, of the `chain` event and of the stapled OCSP response, written
//! and read back (lenient on read: a missing or mistyped optional field is left empty).

use super::chain::{ChainInfo, Ocsp, VerifyError};
use super::payloads::CertInfo;
use serde_json::{json, Value};

fn string(v: &Value, key: &str) -> String {
    opt(v, key).unwrap_or_default()
}

fn opt(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn cert_json(c: &CertInfo) -> Value {
    json!({
        "subject": c.subject, "issuer": c.issuer, "not_before": c.not_before,
        "not_after": c.not_after, "key": c.key, "sha256": c.sha256, "sans": c.sans,
        "sig_alg": c.sig_alg, "key_usage": c.key_usage, "ocsp_urls": c.ocsp_urls,
        "ca_issuers": c.ca_issuers,
    })
}

/// The fields added with the chain explanation (the older ones are read by `jsonl_read`).
pub(crate) fn cert_extras(v: &Value) -> CertInfo {
    CertInfo {
        sans: strings(v, "sans"),
        sig_alg: string(v, "sig_alg"),
        key_usage: strings(v, "key_usage"),
        ocsp_urls: strings(v, "ocsp_urls"),
        ca_issuers: strings(v, "ca_issuers"),
        ..CertInfo::default()
    }
}

fn cert_from(v: &Value) -> CertInfo {
    CertInfo {
        subject: string(v, "subject"),
        issuer: string(v, "issuer"),
        not_before: string(v, "not_before"),
        not_after: string(v, "not_after"),
        key: string(v, "key"),
        sha256: string(v, "sha256"),
        ..cert_extras(v)
    }
}

pub(crate) fn chain_json(info: &ChainInfo) -> Value {
    let failure = info.failure.as_ref().map(|f| {
        json!({
            "depth": f.depth, "code": f.code, "reason": f.reason, "subject": f.subject,
            "sha256": f.sha256,
        })
    });
    json!({
        "host": info.host,
        "failure": failure,
        "certs": info.certs.iter().map(cert_json).collect::<Vec<_>>(),
    })
}

pub(crate) fn chain_from(v: &Value) -> Result<ChainInfo, String> {
    let certs = v
        .get("certs")
        .and_then(Value::as_array)
        .ok_or("field `certs` is not a list")?;
    let failure = match v.get("failure") {
        None | Some(Value::Null) => None,
        Some(f) => Some(VerifyError {
            depth: f
                .get("depth")
                .and_then(Value::as_u64)
                .and_then(|d| u32::try_from(d).ok())
                .ok_or("field `failure.depth` is not a depth")?,
            code: f
                .get("code")
                .and_then(Value::as_i64)
                .and_then(|c| i32::try_from(c).ok())
                .ok_or("field `failure.code` is not an error code")?,
            reason: string(f, "reason"),
            subject: string(f, "subject"),
            sha256: string(f, "sha256"),
        }),
    };
    Ok(ChainInfo {
        host: opt(v, "host"),
        failure,
        certs: certs.iter().map(cert_from).collect(),
    })
}

pub(crate) fn ocsp_json(o: &Ocsp) -> Value {
    json!({
        "status": o.status, "produced_at": o.produced_at, "this_update": o.this_update,
        "next_update": o.next_update, "revoked_at": o.revoked_at, "responder": o.responder,
        "verified": o.verified,
    })
}

pub(crate) fn ocsp_from(v: &Value) -> Option<Ocsp> {
    let o = v.get("ocsp").filter(|o| o.is_object())?;
    Some(Ocsp {
        status: string(o, "status"),
        produced_at: opt(o, "produced_at"),
        this_update: opt(o, "this_update"),
        next_update: opt(o, "next_update"),
        revoked_at: opt(o, "revoked_at"),
        responder: opt(o, "responder"),
        verified: opt(o, "verified"),
    })
}
