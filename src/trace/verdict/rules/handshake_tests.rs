//! The handshake rules on hand-built traces: alerts mapped to what we offered, client
//! certificates, a ClientHello nobody answers, an EOF right after it.

use super::trace_builder::{text, Trace};
use crate::trace::event::*;
use crate::trace::verdict::{Class, Verdict};

/// Our ClientHello written and OpenSSL waiting for the answer.
fn hello_sent() -> Trace {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0);
    tr
}

fn failed_with_alert(desc: u8) -> Verdict {
    let mut tr = hello_sent();
    tr.wait(Interest::Read, 2, Woke::Readable)
        .msg(MsgDir::In, 21, desc, 2)
        .call(Op::DoHandshake, SslError::Ssl, 0);
    tr.close(CloseReason::Failed, Some("TLS handshake failed: alert"))
}

#[test]
fn handshake_alerts_map_to_our_side_of_the_negotiation() {
    let v = failed_with_alert(112);
    assert_eq!(v.class, Class::SniRejected);
    assert!(v.summary.contains("\"example.test\""), "{}", v.summary);
    let v = failed_with_alert(120);
    assert_eq!(v.class, Class::AlpnMismatch);
    assert!(v.summary.contains("http/1.1"), "{}", v.summary);
    let v = failed_with_alert(70);
    assert_eq!(v.class, Class::VersionMismatch);
    assert!(v.summary.contains("TLSv1.2 to TLSv1.3"), "{}", v.summary);
    assert_eq!(failed_with_alert(40).class, Class::CipherMismatch);
    assert_eq!(failed_with_alert(80).class, Class::HandshakeAlert);
}

#[test]
fn an_empty_certificate_answer_means_a_client_certificate_is_required_whatever_the_alert() {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0)
        .msg(MsgDir::In, 22, 2, 90)
        .msg(MsgDir::In, 22, 13, 40)
        .msg(MsgDir::Out, 22, 11, 7)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0)
        .msg(MsgDir::In, 21, 50, 2)
        .call(Op::DoHandshake, SslError::Ssl, 0);
    let v = tr.close(
        CloseReason::Failed,
        Some("TLS handshake failed: decode error"),
    );
    assert_eq!(v.class, Class::ClientCertRequired, "{}", text(&v));
    assert!(v.summary.contains("decode_error"), "{}", v.summary);
}

#[test]
fn tls13_client_certificate_refusal_surfaces_in_the_first_read() {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0)
        .msg(MsgDir::In, 22, 2, 90)
        .msg(MsgDir::In, 22, 13, 40)
        .msg(MsgDir::Out, 22, 11, 8)
        .call(Op::DoHandshake, SslError::None, 0);
    tr.push(EventKind::Tls(Box::default()));
    tr.call(Op::Write, SslError::None, 80)
        .msg(MsgDir::In, 21, 116, 2)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Failed, Some("certificate required"));
    assert_eq!(v.class, Class::ClientCertRequired, "{}", text(&v));
    assert!(text(&v).contains("first SSL_read"), "{}", text(&v));
    assert_eq!(v.focus, Some(4));
}

#[test]
fn a_clienthello_nobody_answers() {
    let mut tr = hello_sent();
    tr.sock(0, 0, 65535)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::HelloUnanswered, "{}", text(&v));
    assert!(v.summary.contains("delivered"), "{}", v.summary);
}

#[test]
fn an_eof_right_after_the_clienthello_is_a_closed_handshake() {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io(Dir::Read, 0, false)
        .call(Op::DoHandshake, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Failed, Some("peer closed"));
    assert_eq!(v.class, Class::HandshakeClosed, "{}", text(&v));
}

/// ClientHello out; the server's answer is `answer` bytes that make no whole message.
fn partial_answer(answer: u32) -> Trace {
    let mut tr = hello_sent();
    tr.wait(Interest::Read, 2, Woke::Readable)
        .io(Dir::Read, answer, false)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0);
    tr
}

#[test]
fn bytes_of_an_answer_without_a_whole_message_are_a_stalled_handshake_not_an_unanswered_hello() {
    let mut tr = partial_answer(5);
    tr.sock(0, 0, 65535)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::HandshakeStalled, "{}", text(&v));
    assert!(
        text(&v).contains("5 B of the server's answer"),
        "{}",
        text(&v)
    );
    assert!(!text(&v).contains("nothing came back"), "{}", text(&v));
}

#[test]
fn a_close_in_the_middle_of_the_answer_is_not_blamed_on_the_sni_or_the_version() {
    let mut tr = partial_answer(100);
    tr.wait(Interest::Read, 2, Woke::Readable)
        .io(Dir::Read, 0, false)
        .call(Op::DoHandshake, SslError::Ssl, 0);
    let v = tr.close(
        CloseReason::Eof,
        Some("peer closed after sending 100 bytes"),
    );
    assert_eq!(v.class, Class::HandshakeClosed, "{}", text(&v));
    assert!(
        v.summary.contains("in the middle of its first answer"),
        "{}",
        v.summary
    );
    assert!(!v.next_user.concat().contains("--sni"), "{:?}", v.next_user);
    // After a ServerHello: the server accepted the ClientHello.
    let mut tr = hello_sent();
    tr.io(Dir::Read, 127, false)
        .msg(MsgDir::In, 22, 2, 122)
        .io(Dir::Read, 0, false)
        .call(Op::DoHandshake, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("peer closed"));
    assert!(v.summary.contains("after its ServerHello"), "{}", v.summary);
    assert!(!v.next_user.concat().contains("--sni"), "{:?}", v.next_user);
}

#[test]
fn our_own_alert_failing_after_the_peers_eof_does_not_make_it_a_reset() {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io(Dir::Read, 0, false)
        .io_error(32) // EPIPE: OpenSSL's decode_error alert, written after the EOF
        .call(Op::DoHandshake, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Eof, Some("peer closed"));
    assert!(v.summary.starts_with("The peer closed"), "{}", v.summary);
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io_error(104)
        .call(Op::DoHandshake, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("reset"));
    assert!(v.summary.starts_with("The peer reset"), "{}", v.summary);
}

#[test]
fn a_certificate_not_yet_valid_is_not_told_to_be_renewed() {
    let failed = |why: &str| {
        let mut tr = Trace::new();
        tr.msg(MsgDir::Out, 22, 1, 300)
            .io(Dir::Write, 305, false)
            .io(Dir::Read, 0, true)
            .call(Op::DoHandshake, SslError::WantRead, 0)
            .msg(MsgDir::In, 22, 2, 90)
            .msg(MsgDir::Out, 21, 42, 2)
            .call(Op::DoHandshake, SslError::Ssl, 0);
        let error = format!(
            "certificate verification failed: {why} (certificate at depth 0: CN=x); advice"
        );
        tr.close(CloseReason::Failed, Some(&error))
    };
    let v = failed("certificate is not yet valid");
    assert_eq!(v.class, Class::VerifyFailed, "{}", text(&v));
    let advice = v.next_user.concat();
    assert!(advice.contains("clock"), "{advice}");
    assert!(!advice.contains("renew"), "{advice}");
    let v = failed("certificate has expired");
    assert!(v.next_user.concat().contains("renew"), "{:?}", v.next_user);
}

#[test]
fn a_plaintext_greeting_names_its_protocol_and_the_starttls_option() {
    let not_tls = |first: &str| {
        let mut tr = Trace::new();
        tr.msg(MsgDir::Out, 22, 1, 300)
            .io(Dir::Write, 305, false)
            .io(Dir::Read, 5, false)
            .call(Op::DoHandshake, SslError::Ssl, 0);
        let error = format!("the peer is not speaking TLS: its first bytes were \"{first}\"");
        tr.close(CloseReason::Failed, Some(&error))
    };
    let v = not_tls("220 mx.example ESMTP Postfix\\r\\n");
    assert_eq!(v.class, Class::NotTls, "{}", text(&v));
    assert!(v.summary.contains("SMTP server"), "{}", v.summary);
    assert!(
        v.next_user.concat().contains("--starttls smtp"),
        "{:?}",
        v.next_user
    );
    let v = not_tls("* OK [CAPABILITY IMAP4rev1] ready\\r\\n");
    assert!(
        v.next_user.concat().contains("--starttls imap"),
        "{:?}",
        v.next_user
    );
    let v = not_tls("SSH-2.0-OpenSSH_9.2\\r\\n");
    assert!(v.summary.contains("SSH server"), "{}", v.summary);
    let v = not_tls("\\x00\\x01garbage");
    assert!(v.summary.contains("another protocol"), "{}", v.summary);
}

#[test]
fn a_trace_of_only_a_close_is_not_a_resolve_failure() {
    let close = Event {
        t: 5,
        conn: 1,
        kind: EventKind::Close(Close {
            reason: CloseReason::Clean,
            notify_sent: true,
            notify_received: true,
            workload_done: true,
        }),
    };
    let v = crate::trace::verdict::judge(&[close], 1);
    assert_ne!(v.class, Class::ResolveFailed, "{}", text(&v));
    assert!(v.summary.contains("only the end"), "{}", v.summary);
}
