//! The human-readable trace: one line per event, socket I/O, states and messages indented under
//! the OpenSSL call they happened in, times in milliseconds with microsecond precision. Text
//! from the peer or a trace file (names, ALPN, messages) is escaped, one line per field.

use super::escape::{escape, escape_or};
use super::event::*;
use super::names;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Turns events into text lines. Events that happen inside a call arrive before the call's own
/// event (which is emitted when the call returns), so they are held until their call arrives and
/// then printed beneath it.
#[derive(Default)]
pub struct TextWriter {
    pending: HashMap<ConnId, Vec<Event>>,
    last_sock: HashMap<ConnId, Sock>,
}

const INDENT: &str = "                          ";

impl TextWriter {
    pub fn new() -> TextWriter {
        TextWriter::default()
    }

    pub fn write_event(&mut self, event: &Event, out: &mut dyn Write) -> io::Result<()> {
        if event.kind.is_export_only() {
            return Ok(()); // raw bytes and secrets never go into a trace
        }
        let nested = matches!(
            event.kind,
            EventKind::Io(_) | EventKind::State(_) | EventKind::Msg(_)
        );
        if nested && event.call_id().is_some() {
            self.pending
                .entry(event.conn)
                .or_default()
                .push(event.clone());
            return Ok(());
        }
        if let EventKind::Sock(sock) = &event.kind {
            // Levels are sampled at every call; the text shows them only when they change.
            if self.last_sock.get(&event.conn) == Some(&**sock) {
                return Ok(());
            }
            self.last_sock.insert(event.conn, **sock);
        }
        writeln!(out, "{}", headline(event))?;
        if let EventKind::Timing(t) = &event.kind {
            for line in super::timing_text::lines(t) {
                writeln!(out, "{INDENT}{line}")?;
            }
        }
        if matches!(event.kind, EventKind::Call(_) | EventKind::Close(_)) {
            for inner in self.pending.remove(&event.conn).unwrap_or_default() {
                writeln!(out, "{INDENT}{}", describe(&inner))?;
            }
        }
        Ok(())
    }
}

fn ms(ns: Nanos) -> String {
    format!("{:.3} ms", ns as f64 / 1e6)
}

fn headline(e: &Event) -> String {
    format!("[{}] {:>12}  {}", e.conn, ms(e.t), describe(e))
}

/// One event as text, without time or connection.
pub fn describe(e: &Event) -> String {
    describe_kind(&e.kind)
}

/// What happened, as [`describe`] writes it.
pub fn describe_kind(kind: &EventKind) -> String {
    let mut s = String::new();
    match kind {
        EventKind::Phase(p) => {
            let _ = write!(s, "── {} ──", p.name());
        }
        EventKind::Call(c) => {
            let _ = write!(
                s,
                "{} #{} → {} {}",
                c.op.name(),
                { c.id },
                { c.ret },
                c.error.name()
            );
            if c.bytes() > 0 {
                let _ = write!(s, ", {} B", c.bytes());
            }
            let _ = write!(s, "  ({})", ms(c.dur()));
        }
        EventKind::Io(io) => {
            let _ = write!(s, "io    {:<5} {}/{} B", io.dir.name(), { io.got }, {
                io.want
            });
            if io.would_block() {
                s.push_str(" would-block");
            } else if let Some(errno) = io.os_error() {
                let _ = write!(s, " error {}", names::errno_name(errno));
            } else if io.is_eof() {
                s.push_str(" EOF");
            }
        }
        EventKind::Wait(w) => {
            let _ = write!(
                s,
                "wait  for {} {} → {}",
                w.interest.name(),
                ms(w.dur),
                w.woke.name()
            );
        }
        EventKind::State(st) => {
            let flags: Vec<_> = names::where_flags(st.where_).collect();
            let _ = write!(s, "state {}  [{}]", st.text(), flags.join(" "));
        }
        EventKind::Msg(m) => {
            let arrow = if m.dir == MsgDir::Out { "→" } else { "←" };
            let _ = write!(
                s,
                "msg   {arrow} {} {} ({} B)",
                names::content_name(m.content),
                m.type_name(),
                { m.len }
            );
            if m.content == 21 && m.level == 2 {
                s.push_str(" fatal");
            }
            if m.is_handshake(24) {
                s.push_str(if m.requests_update() {
                    " update_requested"
                } else {
                    " update_not_requested"
                });
            }
        }
        EventKind::Sock(k) => {
            let _ = write!(
                s,
                "sock  inq {} / rcvbuf {}, outq {} (unsent {}) / sndbuf {}, ssl_pending {}",
                k.inq, k.rcvbuf, k.outq, k.notsent, k.sndbuf, k.ssl_pending
            );
            if let Some(tcp) = k.tcp {
                let _ = write!(
                    s,
                    ", rtt {} µs, cwnd {}, peer window {}",
                    tcp.rtt_us, tcp.snd_cwnd, tcp.snd_wnd
                );
            }
        }
        EventKind::Tls(t) => {
            let _ = write!(
                s,
                "tls   {} {} alpn={} sni={} verify={} resumed={}",
                escape(&t.version),
                escape(&t.cipher),
                escape_or(t.alpn.as_deref(), "-"),
                escape_or(t.sni.as_deref(), "-"),
                escape(&t.verify),
                t.resumed
            );
            // The chain is the peer's text: escaped, so each certificate stays on its line.
            let chain = super::chain::ChainInfo {
                certs: t.chain.clone(),
                ..Default::default()
            };
            let found = super::chain::findings(&chain);
            super::chain_text::write_certs(&mut s, &t.chain, &found, INDENT);
            if let Some(ocsp) = &t.ocsp {
                super::chain_text::describe_ocsp(&mut s, ocsp, INDENT);
            }
            if let Some(r) = &t.resumption {
                let _ = write!(s, "\n{INDENT}{}", r.line());
            }
        }
        EventKind::Chain(info) => super::chain_text::describe_chain(&mut s, info, INDENT),
        EventKind::Connected(ends) => {
            let _ = write!(s, "tcp   connected {} → {}", ends.local, ends.peer);
        }
        EventKind::Program(p) => {
            let _ = write!(
                s,
                "program {} pid {} thread {} SSL {:#x}",
                escape_or(Some(p.exe.as_str()).filter(|e| !e.is_empty()), "?"),
                p.pid,
                p.tid,
                p.ssl
            );
        }
        EventKind::Close(c) => {
            let _ = write!(
                s,
                "close {} (close_notify sent: {}, received: {})",
                c.reason.name(),
                yes_no(c.notify_sent),
                yes_no(c.notify_received)
            );
        }
        EventKind::Error(message) => {
            let _ = write!(s, "error {}", escape(message));
        }
        EventKind::Setup(setup) => {
            let _ = write!(
                s,
                "setup {} sni={} alpn={} versions {}..{} ciphers tls1.2:{} tls1.3:{} client-cert={} verify={} auto-retry={}",
                escape(&setup.target),
                escape_or(setup.sni.as_deref(), "(none)"),
                if setup.alpn.is_empty() { "(none)".to_string() } else { escape(&setup.alpn.join(",")).into_owned() },
                escape(&setup.version_min),
                escape(&setup.version_max),
                setup.ciphers_tls12,
                setup.ciphers_tls13,
                yes_no(setup.client_cert),
                yes_no(setup.verify),
                yes_no(setup.auto_retry),
            );
        }
        EventKind::Http(h) => {
            let framing = match (h.content_length, h.chunked) {
                (Some(n), _) => format!("Content-Length {n}"),
                (None, true) => "chunked".to_string(),
                (None, false) => "until close".to_string(),
            };
            let _ = write!(
                s,
                "http  {} status {}, head {} B, body {framing}{}, {} B received",
                if h.complete {
                    "response complete:"
                } else {
                    "response:"
                },
                h.status,
                h.head_bytes,
                if h.close { ", Connection: close" } else { "" },
                h.received
            );
        }
        EventKind::Verdict(v) => {
            let _ = write!(s, "verdict {}: {}", v.class.name(), escape(&v.summary));
        }
        EventKind::Timing(t) => s.push_str(&super::timing_text::summary(t)),
        EventKind::Dropped { count } => {
            let _ = write!(s, "DROPPED {count} events");
        }
        EventKind::Paused(p) => {
            let _ = write!(
                s,
                "recording paused {} for a slow consumer (connections not driven; nothing lost)",
                ms(p.dur)
            );
        }
        EventKind::Plain(p) => {
            let arrow = match p.dir {
                PlainDir::Sent => "→",
                PlainDir::Received => "←",
                PlainDir::Injected => "← INJECTED (after the go-ahead, not given to TLS):",
            };
            let _ = write!(s, "plain {arrow} {}", escape(&p.text));
        }
        EventKind::Wire(_) | EventKind::Secret(_) => {}
    }
    s
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: Nanos, kind: EventKind) -> Event {
        Event { t, conn: 1, kind }
    }

    #[test]
    fn io_is_printed_under_its_call() {
        let mut w = TextWriter::new();
        let mut out = Vec::new();
        let io = Io::new(Some(7), Dir::Write, 517, 517, false, None);
        w.write_event(&ev(10, EventKind::Io(io)), &mut out).unwrap();
        assert!(out.is_empty(), "io waits for its call");
        let call = Call::new(7, Op::Read, -1, SslError::WantWrite, 5);
        w.write_event(&ev(5, EventKind::Call(call)), &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains("SSL_read #7 → -1 WANT_WRITE"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(INDENT) && lines[1].contains("write 517/517 B"),
            "{}",
            lines[1]
        );
    }

    /// A hostile certificate and error message: no raw control character reaches the text, and
    /// each certificate stays on its own line.
    #[test]
    fn peer_text_is_escaped() {
        let cert = CertInfo {
            subject: "CN=\u{1b}[31mevil\nforged line".into(),
            issuer: "O=\u{202e}txt.exe".into(),
            ..CertInfo::default()
        };
        let tls = TlsInfo {
            alpn: Some("h2\r".into()),
            chain: vec![cert],
            ..TlsInfo::default()
        };
        let text = describe(&ev(1, EventKind::Tls(Box::new(tls))));
        assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'));
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[1].contains("CN=\\x1b[31mevil\\nforged line (issuer O=\\u{202e}txt.exe;"),
            "{text}"
        );
        assert!(lines[0].contains("alpn=h2\\r "), "{text}");
        let error = describe(&ev(2, EventKind::Error("bad \u{1b}]0;x\u{7}\nend".into())));
        assert_eq!(error, "error bad \\x1b]0;x\\x07\\nend");
    }

    #[test]
    fn unchanged_levels_are_not_repeated() {
        let mut w = TextWriter::new();
        let mut out = Vec::new();
        let sock = Sock {
            inq: 1,
            ..Sock::default()
        };
        w.write_event(&ev(1, EventKind::Sock(Box::new(sock))), &mut out)
            .unwrap();
        w.write_event(&ev(2, EventKind::Sock(Box::new(sock))), &mut out)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }
}
