//! Reading a JSONL trace back into events (the inverse of [`super::jsonl`]), so a trace saved
//! with `tlsscope trace --format jsonl --out FILE` can be opened in the app. Bad lines get a
//! one-line reason naming the line; nothing panics on what a file contains.

use super::event::*;
pub use super::jsonl_fast::{capped, MAX_TEXT};
use super::names;
use serde_json::Value;

/// The largest time or duration a trace file may hold: 2^53 ns, about 104 days (and the largest
/// integer a JSON reader in a browser keeps exact).
pub const MAX_NANOS: u64 = 1 << 53;

fn by_name<T: Copy>(
    all: impl IntoIterator<Item = T>,
    name: impl Fn(T) -> &'static str,
    text: &str,
) -> Option<T> {
    all.into_iter().find(|v| name(*v) == text)
}

struct Line<'a>(&'a Value);

impl Line<'_> {
    fn field(&self, key: &str) -> Result<&Value, String> {
        self.0
            .get(key)
            .ok_or_else(|| format!("missing field `{key}`"))
    }
    fn u64(&self, key: &str) -> Result<u64, String> {
        self.field(key)?
            .as_u64()
            .ok_or_else(|| format!("field `{key}` is not a non-negative integer"))
    }
    /// A time or a duration: at most [`MAX_NANOS`], so sums of a time and a duration never
    /// overflow in the analysis, whatever a file says.
    fn nanos(&self, key: &str) -> Result<u64, String> {
        let n = self.u64(key)?;
        if n > MAX_NANOS {
            return Err(format!(
                "field `{key}` is {n} ns, beyond the {} ns (104 days) a trace can span",
                MAX_NANOS
            ));
        }
        Ok(n)
    }
    fn u32(&self, key: &str) -> Result<u32, String> {
        u32::try_from(self.u64(key)?).map_err(|_| format!("field `{key}` is too large"))
    }
    fn i32(&self, key: &str) -> Result<i32, String> {
        let n = self
            .field(key)?
            .as_i64()
            .ok_or_else(|| format!("field `{key}` is not an integer"))?;
        i32::try_from(n).map_err(|_| format!("field `{key}` is out of range"))
    }
    fn str(&self, key: &str) -> Result<&str, String> {
        self.field(key)?
            .as_str()
            .ok_or_else(|| format!("field `{key}` is not a string"))
    }
    fn opt_str(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(Value::as_str).map(capped)
    }
    fn bool(&self, key: &str) -> Result<bool, String> {
        self.field(key)?
            .as_bool()
            .ok_or_else(|| format!("field `{key}` is not true or false"))
    }
    fn call(&self) -> Result<Option<CallId>, String> {
        match self.0.get("call") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| "field `call` is not a call id".into()),
        }
    }
    fn named<T: Copy>(
        &self,
        key: &str,
        all: impl IntoIterator<Item = T>,
        name: impl Fn(T) -> &'static str,
    ) -> Result<T, String> {
        let text = self.str(key)?;
        by_name(all, name, text).ok_or_else(|| format!("unknown {key} {text:?}"))
    }
}

/// Parses one JSONL line into an event.
pub fn from_line(text: &str) -> Result<Event, String> {
    if let Some(event) = super::jsonl_fast::fast_line(text) {
        return Ok(event);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let line = Line(&value);
    let t = line.nanos("t")?;
    let conn = line.u32("conn")?;
    let kind = match line.str("kind")? {
        "phase" => EventKind::Phase(line.named("phase", Phase::ALL, Phase::name)?),
        // `bytes` is written for readers but not read back: it is the call's positive return
        // value for the calls that move data (`Call::bytes`).
        "call" => EventKind::Call(Call::new(
            line.u32("id")?,
            line.named("op", Op::ALL, Op::name)?,
            line.i32("ret")?,
            {
                let text = line.str("error")?;
                SslError::from_name(text).ok_or_else(|| format!("unknown error {text:?}"))?
            },
            line.nanos("dur")?,
        )),
        "io" => EventKind::Io(Io::new(
            line.call()?,
            line.named("dir", Dir::ALL, Dir::name)?,
            line.u32("want")?,
            line.u32("got")?,
            line.bool("would_block")?,
            line.opt_str("os_error")
                .and_then(|n| names::errno_from_name(&n)),
        )),
        "wait" => EventKind::Wait(Wait {
            interest: line.named("for", Interest::ALL, Interest::name)?,
            dur: line.nanos("dur")?,
            woke: line.named("woke", Woke::ALL, Woke::name)?,
        }),
        "state" => {
            let flags = line
                .field("where")?
                .as_array()
                .ok_or("field `where` is not a list")?;
            let where_ = flags
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|f| {
                    names::WHERE_FLAGS
                        .iter()
                        .find(|(_, n)| *n == f)
                        .map(|(bit, _)| *bit)
                })
                .fold(0, |acc, bit| acc | bit);
            EventKind::State(State::new(
                line.call()?,
                StateText::intern(&capped(line.str("text")?)),
                where_,
                0,
            ))
        }
        "msg" => {
            let content_text = line.str("content")?;
            let content = (0..=255u8)
                .find(|c| names::content_name(*c) == content_text)
                .ok_or_else(|| format!("unknown content {content_text:?}"))?;
            let type_text = line.str("type")?;
            let (msg_type, hello_retry) = Msg::type_from_name(content, type_text);
            let level = match line.opt_str("level").as_deref() {
                Some("fatal") => 2,
                Some("warning") => 1,
                // The writer calls every alert level but fatal a warning.
                _ if content == 21 => 1,
                _ => 0,
            };
            EventKind::Msg(Msg::new(
                line.call()?,
                line.named("dir", MsgDir::ALL, MsgDir::name)?,
                content,
                msg_type,
                level,
                match value.get("request_update").and_then(Value::as_bool) {
                    Some(true) => 1,
                    _ => hello_retry,
                },
                line.u32("len")?,
            ))
        }
        "sock" => {
            let tcp = match (
                value.get("rtt_us"),
                value.get("snd_cwnd"),
                value.get("snd_wnd"),
            ) {
                (Some(_), Some(_), Some(_)) => Some(TcpInfo {
                    rtt_us: line.u32("rtt_us")?,
                    snd_cwnd: line.u32("snd_cwnd")?,
                    snd_wnd: line.u32("snd_wnd")?,
                }),
                _ => None,
            };
            EventKind::Sock(Box::new(Sock {
                inq: line.u32("inq")?,
                outq: line.u32("outq")?,
                notsent: value.get("notsent").and_then(Value::as_u64).unwrap_or(0) as u32,
                sndbuf: line.u32("sndbuf")?,
                rcvbuf: line.u32("rcvbuf")?,
                ssl_pending: line.u32("ssl_pending")?,
                tcp,
            }))
        }
        "tls" => {
            let chain = match value.get("chain").and_then(Value::as_array) {
                Some(certs) => certs
                    .iter()
                    .map(|c| {
                        let c = Line(c);
                        CertInfo {
                            subject: c.opt_str("subject").unwrap_or_default(),
                            issuer: c.opt_str("issuer").unwrap_or_default(),
                            not_before: c.opt_str("not_before").unwrap_or_default(),
                            not_after: c.opt_str("not_after").unwrap_or_default(),
                            key: c.opt_str("key").unwrap_or_default(),
                            sha256: c.opt_str("sha256").unwrap_or_default(),
                            ..super::chain_json::cert_extras(c.0)
                        }
                    })
                    .collect(),
                None => Vec::new(),
            };
            EventKind::Tls(Box::new(TlsInfo {
                version: capped(line.str("version")?),
                cipher: line.opt_str("cipher").unwrap_or_default(),
                alpn: line.opt_str("alpn"),
                sni: line.opt_str("sni"),
                verify: line.opt_str("verify").unwrap_or_default(),
                resumed: value
                    .get("resumed")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                chain,
                ocsp: super::chain_json::ocsp_from(&value),
                resumption: value
                    .get("resumption")
                    .and_then(super::resumption::Resumption::from_json),
            }))
        }
        "chain" => EventKind::Chain(Box::new(super::chain_json::chain_from(&value)?)),
        "connected" => {
            let addr = |key: &str| -> Result<std::net::SocketAddr, String> {
                line.str(key)?
                    .parse()
                    .map_err(|_| format!("field `{key}` is not a socket address"))
            };
            EventKind::Connected(Box::new(Endpoints {
                local: addr("local")?,
                peer: addr("peer")?,
            }))
        }
        "program" => EventKind::Program(Box::new(Program {
            exe: capped(&line.opt_str("exe").unwrap_or_default()),
            pid: line.u32("pid")?,
            tid: line.u32("thread")?,
            ssl: line
                .opt_str("ssl")
                .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
                .unwrap_or(0),
        })),
        "close" => EventKind::Close(Close {
            reason: line.named("reason", CloseReason::ALL, CloseReason::name)?,
            notify_sent: line.bool("notify_sent")?,
            notify_received: line.bool("notify_received")?,
            workload_done: value
                .get("workload_done")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }),
        "error" => EventKind::Error(capped(line.str("message")?).into()),
        "plain" => EventKind::Plain(Box::new(Plain::new(
            line.named("dir", PlainDir::ALL, PlainDir::name)?,
            &capped(line.str("text")?),
        ))),
        "setup" => EventKind::Setup(Box::new(setup_from(&line)?)),
        "http" => EventKind::Http(Box::new(HttpResponse {
            status: u16::try_from(line.u64("status")?)
                .map_err(|_| "field `status` is too large")?,
            head_bytes: line.u32("head_bytes")?,
            content_length: value.get("content_length").and_then(Value::as_u64),
            chunked: line.bool("chunked")?,
            close: line.bool("close")?,
            received: line.u64("received")?,
            complete: line.bool("complete")?,
        })),
        "verdict" => EventKind::Verdict(Box::new(super::verdict_json::from_json(&value)?)),
        "timing" => EventKind::Timing(Box::new(super::timing_json::from_json(&value)?)),
        "dropped" => EventKind::Dropped {
            count: line.u64("count")?,
        },
        "paused" => EventKind::Paused(Paused {
            dur: line.u64("dur")?,
        }),
        other => return Err(format!("unknown kind {other:?}")),
    };
    Ok(Event { t, conn, kind })
}

fn setup_from(line: &Line) -> Result<Setup, String> {
    let strings = |key: &str| -> Vec<String> {
        line.0
            .get(key)
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(capped).collect())
            .unwrap_or_default()
    };
    let count = |key: &str| line.0.get(key).and_then(Value::as_u64).unwrap_or(0);
    Ok(Setup {
        target: capped(line.str("target")?),
        sni: line.opt_str("sni"),
        alpn: strings("alpn"),
        version_min: line.opt_str("version_min").unwrap_or_default(),
        version_max: line.opt_str("version_max").unwrap_or_default(),
        ciphers_tls12: u32::try_from(count("ciphers_tls12")).unwrap_or(u32::MAX),
        ciphers_tls13: u32::try_from(count("ciphers_tls13")).unwrap_or(u32::MAX),
        client_cert: line.bool("client_cert")?,
        verify: line.bool("verify")?,
        auto_retry: line.bool("auto_retry")?,
        http_get: line.opt_str("http_get"),
        send_bytes: count("send_bytes"),
        upload_bytes: count("upload_bytes"),
        read_for: line.0.get("read_for").and_then(Value::as_u64),
        epoch_unix_ns: line.0.get("epoch_unix_ns").and_then(Value::as_u64),
    })
}

/// Parses a whole JSONL trace; the error names the first bad line. The summary line of a
/// `--repeat` run (`kind` "summary", `conn` 0; see [`super::many`]) is not an event: skipped.
pub fn from_text(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match from_line(l) {
            Ok(e) => Some(Ok(e)),
            Err(_) if super::many::is_summary_line(l) => None,
            Err(e) => Some(Err(format!("line {}: {e}", i + 1))),
        })
        .collect()
}

#[cfg(test)]
#[path = "jsonl_read_tests.rs"]
pub(crate) mod tests;
