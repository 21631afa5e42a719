//! The verdict as a JSONL event (`kind: "verdict"`) and back.

use super::jsonl_read::capped;
use super::verdict::{Breakdown, Class, Evidence, Verdict};
use serde_json::{json, Value};

/// The verdict's fields (without `t`, `conn`, `kind`).
pub(super) fn to_json(v: &Verdict) -> Value {
    let b = &v.breakdown;
    json!({
        "class": v.class.name(),
        "severity": v.severity().name(),
        "summary": v.summary,
        "evidence": v.evidence.iter().map(|e| json!({
            "text": e.text, "call": e.call, "t": e.t,
        })).collect::<Vec<_>>(),
        "next": { "user": v.next_user, "code": v.next_code },
        "breakdown": {
            "resolve": b.resolve, "connect": b.connect, "handshake": b.handshake,
            "handshake_round_trips": b.handshake_round_trips,
            "longest_round_trip": b.longest_round_trip, "wait_read": b.wait_read,
            "wait_write": b.wait_write, "in_openssl": b.in_openssl, "idle": b.idle,
            "total": b.total, "tcp_rtt": b.tcp_rtt, "tcp_rtt_to_proxy": b.tcp_rtt_to_proxy,
        },
        "focus": v.focus,
    })
}

/// Reads a verdict line back; unknown classes are refused with their name.
pub(super) fn from_json(value: &Value) -> Result<Verdict, String> {
    let text =
        |v: &Value, key: &str| -> Option<String> { v.get(key).and_then(Value::as_str).map(capped) };
    let class_name = text(value, "class").ok_or("missing field `class`")?;
    let class =
        Class::from_name(&class_name).ok_or_else(|| format!("unknown class {class_name:?}"))?;
    let id = |v: &Value, key: &str| -> Option<u32> {
        v.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).map(capped).collect())
            .unwrap_or_default()
    };
    let evidence = value
        .get("evidence")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| Evidence {
                    text: text(e, "text").unwrap_or_default(),
                    call: id(e, "call"),
                    t: e.get("t").and_then(Value::as_u64),
                })
                .collect()
        })
        .unwrap_or_default();
    let b = value.get("breakdown").cloned().unwrap_or(Value::Null);
    let ns = |key: &str| b.get(key).and_then(Value::as_u64).unwrap_or(0);
    let next = value.get("next");
    Ok(Verdict {
        class,
        summary: text(value, "summary").unwrap_or_default(),
        evidence,
        next_user: strings(next.and_then(|n| n.get("user"))),
        next_code: strings(next.and_then(|n| n.get("code"))),
        breakdown: Breakdown {
            resolve: ns("resolve"),
            connect: ns("connect"),
            handshake: ns("handshake"),
            handshake_round_trips: u32::try_from(ns("handshake_round_trips")).unwrap_or(0),
            longest_round_trip: ns("longest_round_trip"),
            wait_read: ns("wait_read"),
            wait_write: ns("wait_write"),
            in_openssl: ns("in_openssl"),
            idle: ns("idle"),
            total: ns("total"),
            tcp_rtt: ns("tcp_rtt"),
            tcp_rtt_to_proxy: b
                .get("tcp_rtt_to_proxy")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        focus: id(value, "focus"),
    })
}
