//! The JSONL trace format: one JSON object per event, documented in README ("JSONL reference").
//! Every line has `t` (ns since the engine started), `conn` and `kind`.

use super::event::*;
use super::names;
use serde_json::{json, Map, Value};

/// The JSON object for one event; `None` for raw bytes and secrets, which a trace never holds
/// ([`EventKind::is_export_only`]).
pub fn to_json(event: &Event) -> Option<Value> {
    let mut obj = Map::new();
    obj.insert("t".into(), json!(event.t));
    obj.insert("conn".into(), json!(event.conn));
    obj.insert("kind".into(), json!(event.kind_name()));
    let fields = match &event.kind {
        EventKind::Phase(p) => json!({ "phase": p.name() }),
        EventKind::Call(c) => {
            let (id, ret) = (c.id, c.ret);
            json!({
                "id": id, "op": c.op.name(), "ret": ret, "error": c.error.name(),
                "dur": c.dur(), "bytes": c.bytes(),
            })
        }
        EventKind::Io(io) => {
            let (want, got) = (io.want, io.got);
            json!({
                "call": io.call(), "dir": io.dir.name(), "want": want, "got": got,
                "would_block": io.would_block(), "eof": io.is_eof(),
                "os_error": io.os_error().map(names::errno_name),
            })
        }
        EventKind::Wait(w) => {
            let dur = w.dur;
            json!({ "for": w.interest.name(), "dur": dur, "woke": w.woke.name() })
        }
        EventKind::State(s) => json!({
            "call": s.call(), "text": s.text(),
            "where": names::where_flags(s.where_).collect::<Vec<_>>(),
        }),
        EventKind::Msg(m) => {
            let len = m.len;
            let mut v = json!({
                "call": m.call(), "dir": m.dir.name(), "content": names::content_name(m.content),
                "type": m.type_name(), "len": len,
            });
            if m.content == 21 {
                v["level"] = json!(if m.level == 2 { "fatal" } else { "warning" });
            }
            if m.is_handshake(24) {
                v["request_update"] = json!(m.requests_update());
            }
            v
        }
        EventKind::Sock(s) => {
            let mut v = json!({
                "inq": s.inq, "outq": s.outq, "notsent": s.notsent, "sndbuf": s.sndbuf,
                "rcvbuf": s.rcvbuf, "ssl_pending": s.ssl_pending,
            });
            if let Some(tcp) = s.tcp {
                v["rtt_us"] = json!(tcp.rtt_us);
                v["snd_cwnd"] = json!(tcp.snd_cwnd);
                v["snd_wnd"] = json!(tcp.snd_wnd);
            }
            v
        }
        EventKind::Tls(info) => {
            let mut v = json!({
                "version": info.version, "cipher": info.cipher, "alpn": info.alpn,
                "sni": info.sni, "verify": info.verify, "resumed": info.resumed,
                "chain": info.chain.iter().map(super::chain_json::cert_json).collect::<Vec<_>>(),
            });
            if let Some(ocsp) = &info.ocsp {
                v["ocsp"] = super::chain_json::ocsp_json(ocsp);
            }
            if let Some(r) = &info.resumption {
                v["resumption"] = r.json();
            }
            v
        }
        EventKind::Chain(info) => super::chain_json::chain_json(info),
        EventKind::Connected(ends) => {
            json!({ "local": ends.local.to_string(), "peer": ends.peer.to_string() })
        }
        EventKind::Program(p) => json!({
            "exe": p.exe, "pid": p.pid, "thread": p.tid, "ssl": format!("{:#x}", p.ssl),
        }),
        EventKind::Close(c) => json!({
            "reason": c.reason.name(), "notify_sent": c.notify_sent,
            "notify_received": c.notify_received, "workload_done": c.workload_done,
        }),
        EventKind::Error(message) => json!({ "message": &**message }),
        EventKind::Plain(p) => json!({ "dir": p.dir.name(), "text": p.text }),
        EventKind::Setup(s) => json!({
            "target": s.target, "sni": s.sni, "alpn": s.alpn, "version_min": s.version_min,
            "version_max": s.version_max, "ciphers_tls12": s.ciphers_tls12,
            "ciphers_tls13": s.ciphers_tls13, "client_cert": s.client_cert, "verify": s.verify,
            "auto_retry": s.auto_retry, "http_get": s.http_get, "send_bytes": s.send_bytes,
            "upload_bytes": s.upload_bytes, "read_for": s.read_for,
            "epoch_unix_ns": s.epoch_unix_ns,
        }),
        EventKind::Http(h) => json!({
            "status": h.status, "head_bytes": h.head_bytes, "content_length": h.content_length,
            "chunked": h.chunked, "close": h.close, "received": h.received,
            "complete": h.complete,
        }),
        EventKind::Verdict(v) => super::verdict_json::to_json(v),
        EventKind::Timing(t) => super::timing_json::to_json(t),
        EventKind::Dropped { count } => json!({ "count": count }),
        EventKind::Paused(p) => json!({ "dur": p.dur }),
        EventKind::Wire(_) | EventKind::Secret(_) => return None,
    };
    if let Value::Object(fields) = fields {
        obj.extend(fields);
    }
    Some(Value::Object(obj))
}

/// One JSONL line (without the trailing newline); `None` for the events a trace never holds.
pub fn to_line(event: &Event) -> Option<String> {
    to_json(event).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_line_has_required_fields() {
        let e = Event {
            t: 1500,
            conn: 1,
            kind: EventKind::Call(Call::new(3, Op::Read, -1, SslError::WantRead, 2000)),
        };
        let v = to_json(&e).expect("a trace event");
        assert_eq!(v["t"], 1500);
        assert_eq!(v["conn"], 1);
        assert_eq!(v["kind"], "call");
        assert_eq!(v["op"], "SSL_read");
        assert_eq!(v["error"], "WANT_READ");
        assert_eq!(v["ret"], -1);
        assert_eq!(v["dur"], 2000);
    }

    #[test]
    fn io_line_names_errno_and_null_call() {
        let e = Event {
            t: 0,
            conn: 2,
            kind: EventKind::Io(Io::new(None, Dir::Read, 5, 0, false, Some(104))),
        };
        let v = to_json(&e).expect("a trace event");
        assert!(v["call"].is_null());
        assert_eq!(v["os_error"], "ECONNRESET");
        assert_eq!(v["would_block"], false);
    }

    #[test]
    fn msg_line_names_alerts() {
        let e = Event {
            t: 0,
            conn: 1,
            kind: EventKind::Msg(Msg::new(Some(1), MsgDir::In, 21, 40, 2, 0, 2)),
        };
        let v = to_json(&e).expect("a trace event");
        assert_eq!(v["content"], "alert");
        assert_eq!(v["type"], "handshake_failure");
        assert_eq!(v["level"], "fatal");
    }

    #[test]
    fn raw_bytes_and_secrets_are_never_written() {
        let secret = "CLIENT_RANDOM 00 11";
        for kind in [
            EventKind::Secret(secret.into()),
            EventKind::Wire(Box::new(Wire {
                call: Some(1),
                dir: Dir::Write,
                moved: 3,
                data: Box::new(*b"GET"),
            })),
        ] {
            assert!(kind.is_export_only());
            let e = Event {
                t: 0,
                conn: 1,
                kind,
            };
            assert_eq!(to_line(&e), None, "{e:?}");
        }
    }
}
