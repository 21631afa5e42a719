//! Hand-built traces for the rules' unit tests: a connection's events in time order, with
//! messages and socket I/O nested in the next call, and a verdict's text for assertions.

use crate::trace::event::*;
use crate::trace::verdict::{judge, Verdict};

pub(super) const MS: Nanos = 1_000_000;

/// A connection's events, built in time order. Messages and socket I/O go into the next call.
pub(super) struct Trace {
    pub(super) t: Nanos,
    pub(super) next_call: CallId,
    pub(super) events: Vec<Event>,
}

impl Trace {
    pub(super) fn new() -> Trace {
        let mut tr = Trace {
            t: 0,
            next_call: 1,
            events: Vec::new(),
        };
        tr.push(EventKind::Setup(Box::new(Setup {
            target: "example.test:443".into(),
            sni: Some("example.test".into()),
            alpn: vec!["http/1.1".into()],
            version_min: "TLSv1.2".into(),
            version_max: "TLSv1.3".into(),
            ciphers_tls12: 30,
            ciphers_tls13: 3,
            ..Setup::default()
        })));
        tr.push(EventKind::Phase(Phase::Resolve));
        tr.push(EventKind::Phase(Phase::Connect));
        tr.push(EventKind::Phase(Phase::Handshake));
        tr
    }

    pub(super) fn push(&mut self, kind: EventKind) {
        self.events.push(Event {
            t: self.t,
            conn: 1,
            kind,
        });
    }

    pub(super) fn msg(&mut self, dir: MsgDir, content: u8, msg_type: u8, len: u32) -> &mut Trace {
        let level = if content == 21 { 2 } else { 0 };
        self.push(EventKind::Msg(Msg::new(
            Some(self.next_call),
            dir,
            content,
            msg_type,
            level,
            0,
            len,
        )));
        self
    }

    pub(super) fn io(&mut self, dir: Dir, got: u32, would_block: bool) -> &mut Trace {
        self.push(EventKind::Io(Io::new(
            Some(self.next_call),
            dir,
            got.max(5),
            got,
            would_block,
            None,
        )));
        self
    }

    pub(super) fn io_error(&mut self, errno: i32) -> &mut Trace {
        self.push(EventKind::Io(Io::new(
            Some(self.next_call),
            Dir::Read,
            5,
            0,
            false,
            Some(errno),
        )));
        self
    }

    pub(super) fn call(&mut self, op: Op, error: SslError, bytes: u32) -> &mut Trace {
        self.push(EventKind::Call(Call::new(
            self.next_call,
            op,
            // A successful data call returns the bytes it moved (`Call::bytes`).
            match error {
                SslError::None => i32::try_from(bytes).unwrap_or(i32::MAX).max(1),
                _ => -1,
            },
            error,
            10_000,
        )));
        self.next_call += 1;
        self.t += 10_000;
        self
    }

    pub(super) fn wait(&mut self, interest: Interest, ms: u64, woke: Woke) -> &mut Trace {
        self.push(EventKind::Wait(Wait {
            interest,
            dur: ms * MS,
            woke,
        }));
        self.t += ms * MS;
        self
    }

    pub(super) fn sock(&mut self, inq: u32, outq: u32, snd_wnd: u32) -> &mut Trace {
        self.push(EventKind::Sock(Box::new(Sock {
            inq,
            outq,
            notsent: 0,
            sndbuf: 64 * 1024,
            rcvbuf: 128 * 1024,
            ssl_pending: 0,
            tcp: Some(TcpInfo {
                rtt_us: 50,
                snd_cwnd: 10,
                snd_wnd,
            }),
        })));
        self
    }

    /// ClientHello out, the server's flight in, handshake done (TLS 1.3).
    pub(super) fn handshake(&mut self) -> &mut Trace {
        self.msg(MsgDir::Out, 22, 1, 300)
            .io(Dir::Write, 305, false)
            .io(Dir::Read, 0, true)
            .call(Op::DoHandshake, SslError::WantRead, 0)
            .wait(Interest::Read, 2, Woke::Readable)
            .msg(MsgDir::In, 22, 2, 90)
            .msg(MsgDir::In, 22, 20, 36)
            .msg(MsgDir::Out, 22, 20, 36)
            .call(Op::DoHandshake, SslError::None, 0);
        self.tls_done()
    }

    /// The handshake's end: the negotiated parameters (TLS 1.3), then the workload begins.
    pub(super) fn tls_done(&mut self) -> &mut Trace {
        self.push(EventKind::Tls(Box::new(TlsInfo {
            version: "TLSv1.3".into(),
            verify: "ok".into(),
            ..TlsInfo::default()
        })));
        self.push(EventKind::Phase(Phase::Workload));
        self
    }

    pub(super) fn http(
        &mut self,
        status: u16,
        content_length: Option<u64>,
        received: u64,
    ) -> &mut Trace {
        let complete = content_length.is_some_and(|n| received >= 100 + n);
        self.push(EventKind::Http(Box::new(HttpResponse {
            status,
            head_bytes: 100,
            content_length,
            chunked: false,
            close: false,
            received,
            complete,
        })));
        self
    }

    pub(super) fn close(&mut self, reason: CloseReason, error: Option<&str>) -> Verdict {
        if let Some(message) = error {
            self.push(EventKind::Error(message.into()));
        }
        self.push(EventKind::Close(Close {
            reason,
            notify_sent: reason == CloseReason::Clean,
            notify_received: reason == CloseReason::Clean,
            workload_done: reason == CloseReason::Clean,
        }));
        judge(&self.events, 1)
    }

    /// A clean close of ours whose close_notify the peer never answered (the common end of an
    /// upload we closed): the verdict on it.
    pub(super) fn close_unanswered(&mut self) -> Verdict {
        self.push(EventKind::Close(Close {
            reason: CloseReason::Clean,
            notify_sent: true,
            notify_received: false,
            workload_done: true,
        }));
        judge(&self.events, 1)
    }

    pub(super) fn live(&self, now_ms_later: u64) -> Verdict {
        let mut facts = crate::trace::verdict::Facts::new(1);
        for e in &self.events {
            facts.feed(e);
        }
        crate::trace::verdict::verdict(&facts, self.t + now_ms_later * MS)
    }
}

pub(super) fn text(v: &Verdict) -> String {
    let evidence: Vec<&str> = v.evidence.iter().map(|e| e.text.as_str()).collect();
    format!("{}\n{}", v.summary, evidence.join("\n"))
}
