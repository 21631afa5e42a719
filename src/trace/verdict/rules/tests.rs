//! The rules on hand-built traces: one test per class boundary that real traffic showed is easy
//! to get wrong (the end-to-end tests run real peers; these pin the decisions).

use crate::trace::event::*;
use crate::trace::verdict::{judge, Class, Severity, Verdict};

const MS: Nanos = 1_000_000;

/// A connection's events, built in time order. Messages and socket I/O go into the next call.
pub(super) struct Trace {
    t: Nanos,
    next_call: CallId,
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

#[test]
fn a_clean_exchange_is_healthy() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3, Woke::Readable)
        .call(Op::Read, SslError::None, 200);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert_eq!(v.severity(), Severity::Ok);
    assert_eq!(v.breakdown.handshake_round_trips, 1);
}

#[test]
fn our_own_read_for_is_not_a_stall_but_an_unanswered_request_is_named() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 5000, Woke::Elapsed);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert_eq!(v.breakdown.idle, 5000 * MS);
    assert_eq!(v.breakdown.wait_read, 0, "our own wait is idle time");
}

#[test]
fn idle_when_we_asked_for_nothing() {
    let mut tr = Trace::new();
    tr.handshake()
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::Idle, "{}", text(&v));
}

#[test]
fn a_request_acknowledged_and_never_answered() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert!(v.summary.contains("delivered"), "{}", v.summary);
    assert_eq!(v.focus, Some(4), "the SSL_read that started the wait");
}

#[test]
fn a_complete_response_on_a_kept_open_connection_is_not_a_stall() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(20), 120)
        .call(Op::Read, SslError::None, 120)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::ResponseCompleteKeptOpen, "{}", text(&v));
    assert_ne!(v.severity(), Severity::Stall);
}

#[test]
fn a_peer_that_stops_mid_stream_is_silent() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .call(Op::Read, SslError::None, 500)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 4000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::PeerSilent, "{}", text(&v));
}

#[test]
fn blocked_writing_with_a_full_receive_queue_is_a_deadlock() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 16384)
        .io(Dir::Write, 0, true)
        .call(Op::Write, SslError::WantWrite, 0)
        .sock(120_000, 60_000, 0)
        .wait(Interest::Write, 3000, Woke::Timeout)
        .sock(121_000, 60_000, 0);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::WriteDeadlock, "{}", text(&v));
    assert!(
        v.next_code.iter().any(|n| n.contains("SSL_read")),
        "{:?}",
        v.next_code
    );
}

#[test]
fn blocked_writing_with_an_empty_receive_queue_is_a_peer_not_reading() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 16384)
        .io(Dir::Write, 0, true)
        .call(Op::Write, SslError::WantWrite, 0)
        .sock(0, 60_000, 0)
        .wait(Interest::Write, 3000, Woke::Timeout)
        .sock(0, 60_000, 0);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::PeerNotReading, "{}", text(&v));
    assert!(
        text(&v).contains("window was 0 in 2 samples"),
        "{}",
        text(&v)
    );
}

#[test]
fn writes_that_keep_progressing_are_a_slow_reader() {
    let mut tr = Trace::new();
    tr.handshake();
    for _ in 0..6 {
        tr.io(Dir::Write, 0, true)
            .call(Op::Write, SslError::WantWrite, 0)
            .wait(Interest::Write, 400, Woke::Writable)
            .call(Op::Write, SslError::None, 4096);
    }
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::SlowReader, "{}", text(&v));
    assert_eq!(v.severity(), Severity::Slow);
}

#[test]
fn live_waits_become_a_stall_only_after_a_while() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0);
    assert_eq!(tr.live(300).class, Class::InProgress);
    let v = tr.live(2500);
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert!(v.summary.contains("2.50 s"), "{}", v.summary);
}

#[test]
fn a_slow_but_answered_wait_is_slow_not_stalled() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 2400, Woke::Readable)
        .call(Op::Read, SslError::None, 300);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Slow, "{}", text(&v));
}

#[test]
fn a_reset_with_unread_data_is_an_early_rejection() {
    let reset_with_unread = |unread: u32| {
        let mut tr = Trace::new();
        tr.handshake()
            .call(Op::Write, SslError::None, 16384)
            .sock(unread, 30_000, 65535)
            .sock(0, 30_000, 65535)
            .io_error(104)
            .call(Op::Write, SslError::Syscall, 0);
        tr.close(CloseReason::Reset, Some("connection reset by peer"))
    };
    let v = reset_with_unread(2000);
    assert_eq!(v.class, Class::EarlyRejection, "{}", text(&v));
    assert!(text(&v).contains("1.95 KiB"), "{}", text(&v));
    // What TLS 1.3 session tickets alone fill the queue with is not an answer.
    let v = reset_with_unread(510);
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
}

#[test]
fn a_reset_with_nothing_unread_is_a_reset() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io_error(104)
        .call(Op::Read, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("connection reset by peer"));
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
}

#[test]
fn eof_before_content_length_is_truncation_and_after_it_is_harmless() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(1000), 400)
        .call(Op::Read, SslError::None, 400)
        .io(Dir::Read, 0, false)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("unexpected eof"));
    assert_eq!(v.class, Class::Truncated, "{}", text(&v));
    assert!(
        text(&v).contains("1.07 KiB"),
        "expected bytes: {}",
        text(&v)
    );

    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(20), 120)
        .call(Op::Read, SslError::None, 120)
        .io(Dir::Read, 0, false)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("unexpected eof"));
    assert_eq!(v.class, Class::NoCloseNotify, "{}", text(&v));
}

#[test]
fn a_close_notify_left_unanswered_is_a_note() {
    let mut tr = Trace::new();
    tr.handshake().call(Op::Write, SslError::None, 80);
    tr.push(EventKind::Phase(Phase::Shutdown));
    tr.io(Dir::Read, 0, true)
        .call(Op::Shutdown, SslError::WantRead, 0)
        .wait(Interest::Read, 2000, Woke::Elapsed);
    tr.push(EventKind::Close(Close {
        reason: CloseReason::Clean,
        notify_sent: true,
        notify_received: false,
        workload_done: true,
    }));
    let v = judge(&tr.events, 1);
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert!(
        text(&v).contains("did not answer our close_notify"),
        "{}",
        text(&v)
    );
}

#[test]
fn a_stapled_revoked_response_fails_a_clean_exchange_and_good_does_not() {
    for (status, class) in [("revoked", Class::CertRevoked), ("good", Class::Healthy)] {
        let mut tr = Trace::new();
        tr.handshake();
        tr.push(EventKind::Tls(Box::new(TlsInfo {
            version: "TLSv1.3".into(),
            verify: "ok".into(),
            ocsp: Some(crate::trace::chain::Ocsp {
                status: status.into(),
                ..Default::default()
            }),
            ..TlsInfo::default()
        })));
        tr.call(Op::Write, SslError::None, 80)
            .call(Op::Read, SslError::None, 200);
        let v = tr.close(CloseReason::Clean, None);
        assert_eq!(v.class, class, "{}", text(&v));
        if status == "revoked" {
            assert!(text(&v).contains("stapled OCSP: revoked"), "{}", text(&v));
        }
    }
}

#[test]
fn a_name_that_does_not_resolve_says_whose_name_it_is() {
    let judge_error = |error: &str| {
        let mut events = Trace::new().events;
        events.retain(|e| !matches!(e.kind, EventKind::Phase(Phase::Connect | Phase::Handshake)));
        let mut tr = Trace {
            t: 10,
            next_call: 1,
            events,
        };
        tr.close(CloseReason::Failed, Some(error))
    };
    let host = judge_error("cannot resolve host \"example.test\": not known");
    assert_eq!(host.class, Class::ResolveFailed, "{}", text(&host));
    assert!(
        host.summary.starts_with("The host name "),
        "{}",
        text(&host)
    );
    let proxy = judge_error("cannot resolve proxy \"proxy.test\": not known");
    assert_eq!(proxy.class, Class::ResolveFailed, "{}", text(&proxy));
    assert!(
        proxy.summary.starts_with("The proxy's host name "),
        "{}",
        text(&proxy)
    );
    assert!(
        proxy.next_user.iter().any(|s| s.contains("--proxy")),
        "{:?}",
        proxy.next_user
    );
}

#[test]
fn a_saved_verdict_on_a_traced_programs_misuse_is_kept_and_others_are_judged_again() {
    let saved = |class: Class| {
        let mut tr = Trace::new();
        tr.handshake().call(Op::Write, SslError::WantWrite, 0);
        tr.push(EventKind::Verdict(Box::new(Verdict {
            class,
            summary: "what the live run said".into(),
            evidence: Vec::new(),
            next_user: Vec::new(),
            next_code: Vec::new(),
            breakdown: crate::trace::verdict::Breakdown::default(),
            focus: None,
        })));
        tr.close(CloseReason::Stopped, None)
    };
    let kept = saved(Class::WaitedWrongDirection);
    assert_eq!(kept.class, Class::WaitedWrongDirection, "{}", text(&kept));
    assert_eq!(kept.summary, "what the live run said");
    // An ordinary class is today's rules' business, not the file's.
    let judged = saved(Class::Healthy);
    assert_ne!(
        judged.summary,
        "what the live run said",
        "{}",
        text(&judged)
    );
}
