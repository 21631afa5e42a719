//! The fast path of reading a JSONL line: the frequent kinds (`call`, `io`, `wait`, `sock`,
//! `msg`, `state`, `phase`) parsed straight into a typed struct with borrowed strings, with no
//! `serde_json::Value` tree in between (about 5× faster). Whatever this path is not sure of (a
//! field of an unexpected type, a `null`, an escaped string, a duplicate key, a value out of
//! range, any other kind) returns `None`, and [`super::jsonl_read::from_line`] reads the line
//! the general way — so the accepted format and every error message are the general path's.
//! Also the cap on strings read from a file ([`capped`]). The fields usually come from
//! [`super::jsonl_scan`], a one-pass scanner, and from serde when the scanner is not sure.

use super::event::*;
use super::jsonl_read::MAX_NANOS;
use super::names;
use serde::{Deserialize, Deserializer};

/// The longest text kept from a file's string field (an error, a name, a certificate subject):
/// a longer one is cut with a visible marker, so one huge string costs at most this much.
pub const MAX_TEXT: usize = 4096;

/// `text`, cut to at most [`MAX_TEXT`] bytes (at a character boundary) with "…(N bytes cut)"
/// after it when it was longer. Every string read from a file goes through here.
pub fn capped(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_string();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…({} bytes cut)", &text[..end], text.len() - end)
}

/// A field that, when present, must hold a `T` (a `null` is refused, so that the general path
/// decides what it means).
fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Every field the fast kinds use; absent ones are `None`.
#[derive(Deserialize, Default)]
pub(super) struct Raw<'a> {
    #[serde(default, deserialize_with = "some")]
    pub(super) t: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) conn: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) kind: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) phase: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) id: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) op: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) ret: Option<i64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) error: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) dur: Option<u64>,
    /// `null` and absent both mean "outside any call" here, as in the general path.
    #[serde(default)]
    pub(super) call: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) dir: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) want: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) got: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) would_block: Option<bool>,
    /// `null` (what the writer says for no error) and absent both mean none.
    #[serde(default, borrow)]
    pub(super) os_error: Option<&'a str>,
    #[serde(default, deserialize_with = "some", rename = "for")]
    pub(super) interest: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) woke: Option<&'a str>,
    #[serde(default, deserialize_with = "some", rename = "where")]
    pub(super) where_: Option<Vec<&'a str>>,
    #[serde(default, deserialize_with = "some")]
    pub(super) text: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) content: Option<&'a str>,
    #[serde(default, deserialize_with = "some", rename = "type")]
    pub(super) msg_type: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) level: Option<&'a str>,
    #[serde(default, deserialize_with = "some")]
    pub(super) request_update: Option<bool>,
    #[serde(default, deserialize_with = "some")]
    pub(super) len: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) inq: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) outq: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) notsent: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) sndbuf: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) rcvbuf: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) ssl_pending: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) rtt_us: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) snd_cwnd: Option<u64>,
    #[serde(default, deserialize_with = "some")]
    pub(super) snd_wnd: Option<u64>,
}

fn nanos(n: Option<u64>) -> Option<u64> {
    n.filter(|&n| n <= MAX_NANOS)
}

fn u32_of(n: Option<u64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

fn named<T: Copy>(
    text: Option<&str>,
    all: impl IntoIterator<Item = T>,
    name: impl Fn(T) -> &'static str,
) -> Option<T> {
    let text = text?;
    all.into_iter().find(|v| name(*v) == text)
}

/// The event on `text` when it is one of the fast kinds and every field is as expected; `None`
/// sends the line to the general path.
pub(super) fn fast_line(text: &str) -> Option<Event> {
    let r = match super::jsonl_scan::scan(text) {
        Some(r) => r,
        None => serde_json::from_str(text).ok()?,
    };
    event_of(&r)
}

/// The event the fields of a fast-kind line make; `None` when one is missing or unexpected.
pub(super) fn event_of(r: &Raw) -> Option<Event> {
    let t = nanos(r.t)?;
    let conn = u32_of(r.conn)?;
    let call = match r.call {
        None => None,
        Some(n) => Some(u32::try_from(n).ok()?),
    };
    let kind = match r.kind? {
        "phase" => EventKind::Phase(named(r.phase, Phase::ALL, Phase::name)?),
        "call" => EventKind::Call(Call::new(
            u32_of(r.id)?,
            named(r.op, Op::ALL, Op::name)?,
            i32::try_from(r.ret?).ok()?,
            SslError::from_name(r.error?)?,
            nanos(r.dur)?,
        )),
        "io" => EventKind::Io(Io::new(
            call,
            named(r.dir, Dir::ALL, Dir::name)?,
            u32_of(r.want)?,
            u32_of(r.got)?,
            r.would_block?,
            r.os_error.and_then(names::errno_from_name),
        )),
        "wait" => EventKind::Wait(Wait {
            interest: named(r.interest, Interest::ALL, Interest::name)?,
            dur: nanos(r.dur)?,
            woke: named(r.woke, Woke::ALL, Woke::name)?,
        }),
        "state" => {
            let where_ = r
                .where_
                .as_ref()?
                .iter()
                .filter_map(|f| names::WHERE_FLAGS.iter().find(|(_, n)| n == f))
                .fold(0, |acc, (bit, _)| acc | bit);
            // A text under the cap is interned as it is, without a copy.
            let text = r.text?;
            let text = if text.len() <= MAX_TEXT {
                StateText::intern(text)
            } else {
                StateText::intern(&capped(text))
            };
            EventKind::State(State::new(call, text, where_, 0))
        }
        "msg" => {
            let content_text = r.content?;
            let content = (0..=255u8).find(|c| names::content_name(*c) == content_text)?;
            let type_text = r.msg_type?;
            let (msg_type, hello_retry) = Msg::type_from_name(content, type_text);
            let level = match r.level {
                Some("fatal") => 2,
                Some("warning") => 1,
                _ if content == 21 => 1,
                _ => 0,
            };
            EventKind::Msg(Msg::new(
                call,
                named(r.dir, MsgDir::ALL, MsgDir::name)?,
                content,
                msg_type,
                level,
                hello_retry | u8::from(r.request_update == Some(true)),
                u32_of(r.len)?,
            ))
        }
        "sock" => {
            let tcp = match (r.rtt_us, r.snd_cwnd, r.snd_wnd) {
                (Some(rtt), Some(cwnd), Some(wnd)) => Some(TcpInfo {
                    rtt_us: u32_of(Some(rtt))?,
                    snd_cwnd: u32_of(Some(cwnd))?,
                    snd_wnd: u32_of(Some(wnd))?,
                }),
                (None, None, None) => None,
                // Partly there: the general path says what is missing.
                _ => return None,
            };
            EventKind::Sock(Box::new(Sock {
                inq: u32_of(r.inq)?,
                outq: u32_of(r.outq)?,
                notsent: r.notsent.unwrap_or(0) as u32,
                sndbuf: u32_of(r.sndbuf)?,
                rcvbuf: u32_of(r.rcvbuf)?,
                ssl_pending: u32_of(r.ssl_pending)?,
                tcp,
            }))
        }
        _ => return None,
    };
    Some(Event { t, conn, kind })
}

#[cfg(test)]
mod tests {
    use super::super::jsonl_read::from_line;
    use super::*;

    #[test]
    fn long_strings_are_cut_with_a_marker_at_a_character_boundary() {
        assert_eq!(capped("short"), "short");
        let exact = "a".repeat(MAX_TEXT);
        assert_eq!(capped(&exact), exact);
        let long = format!("{}é{}", "a".repeat(MAX_TEXT - 1), "b".repeat(3_000_000));
        let cut = capped(&long);
        assert!(cut.len() < MAX_TEXT + 32, "{}", cut.len());
        // 'é' straddles the cap: it is cut whole, not split.
        assert!(
            cut.ends_with(&format!("a…({} bytes cut)", 3_000_002)),
            "{}",
            &cut[4000..]
        );
        let line = format!(r#"{{"t":1,"conn":1,"kind":"error","message":"{long}"}}"#);
        match from_line(&line).expect("an error line").kind {
            EventKind::Error(m) => assert_eq!(&*m, cut),
            other => panic!("{other:?}"),
        }
    }

    /// The fast path gives the general path's event, and leaves to it what it is not sure of.
    #[test]
    fn the_fast_path_agrees_with_the_general_one() {
        let lines = [
            r#"{"t":1,"conn":2,"kind":"call","id":3,"op":"SSL_write","ret":-1,"error":"WANT_WRITE","dur":9,"bytes":0}"#,
            r#"{"t":1,"conn":2,"kind":"io","call":3,"dir":"write","want":5,"got":0,"would_block":true,"os_error":"ECONNRESET"}"#,
            r#"{"t":1,"conn":2,"kind":"io","call":null,"dir":"read","want":5,"got":5,"would_block":false}"#,
            r#"{"t":1,"conn":2,"kind":"sock","inq":1,"outq":2,"sndbuf":3,"rcvbuf":4,"ssl_pending":0,"rtt_us":5,"snd_cwnd":6,"snd_wnd":7}"#,
            r#"{"t":1,"conn":2,"kind":"msg","call":1,"dir":"in","content":"alert","type":"close_notify","len":2}"#,
            r#"{"t":1,"conn":2,"kind":"state","call":1,"where":["loop","bogus"],"text":"before SSL initialization"}"#,
            r#"{"t":1,"conn":2,"kind":"wait","for":"read","dur":5,"woke":"readable"}"#,
        ];
        for line in lines {
            let fast = fast_line(line).unwrap_or_else(|| panic!("fast: {line}"));
            assert_eq!(Ok(fast), from_line(line), "{line}");
        }
        for slow in [
            // A null where a number belongs, a partial TCP_INFO, an escaped string, a
            // duplicate key, a kind the fast path leaves alone, a number out of range.
            r#"{"t":1,"conn":2,"kind":"sock","inq":null,"outq":2,"sndbuf":3,"rcvbuf":4,"ssl_pending":0}"#,
            r#"{"t":1,"conn":2,"kind":"sock","inq":1,"outq":2,"sndbuf":3,"rcvbuf":4,"ssl_pending":0,"rtt_us":null,"snd_cwnd":6,"snd_wnd":7}"#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":"re\u0073olve"}"#,
            r#"{"t":1,"t":2,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":1,"conn":2,"kind":"error","message":"x"}"#,
            r#"{"t":1,"conn":4294967296,"kind":"phase","phase":"resolve"}"#,
        ] {
            assert_eq!(fast_line(slow), None, "{slow}");
        }
    }

    #[test]
    fn what_the_writer_writes_takes_the_fast_path() {
        use crate::trace::jsonl::to_line;
        let hot = [
            EventKind::Call(Call::new(3, Op::Write, 100, SslError::None, 9)),
            EventKind::Io(Io::new(Some(3), Dir::Write, 5, 5, false, None)),
            EventKind::Io(Io::new(None, Dir::Read, 5, 0, true, None)),
            EventKind::Io(Io::new(Some(3), Dir::Read, 5, 0, false, Some(104))),
            EventKind::Wait(Wait {
                interest: Interest::Read,
                dur: 7,
                woke: Woke::Readable,
            }),
            EventKind::Sock(Box::default()),
            EventKind::Msg(Msg::new(Some(3), MsgDir::In, 22, 2, 0, 0, 90)),
            EventKind::State(State::new(
                Some(3),
                StateText::of_static("SSLv3/TLS read server hello"),
                0x1001,
                0,
            )),
        ];
        for kind in hot {
            let e = Event {
                t: 1,
                conn: 2,
                kind,
            };
            let line = to_line(&e).expect("written");
            assert_eq!(fast_line(&line), Some(e), "{line}");
        }
    }
}
