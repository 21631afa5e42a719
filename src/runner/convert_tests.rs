//! Tests of the records-to-events conversion.

use super::*;

#[test]
fn ipv4_and_ipv6_socket_addresses_are_read_and_others_are_not() {
    let mut v4 = vec![0u8; 16];
    v4[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
    v4[2..4].copy_from_slice(&443u16.to_be_bytes());
    v4[4..8].copy_from_slice(&[127, 0, 0, 1]);
    assert_eq!(sockaddr(&v4), Some("127.0.0.1:443".parse().unwrap()));
    let mut v6 = vec![0u8; 28];
    v6[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
    v6[2..4].copy_from_slice(&8443u16.to_be_bytes());
    v6[23] = 1;
    assert_eq!(sockaddr(&v6), Some("[::1]:8443".parse().unwrap()));
    assert_eq!(sockaddr(&v4[..6]), None);
    let mut unix = vec![0u8; 16];
    unix[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
    assert_eq!(sockaddr(&unix), None);
}

fn rec(kind: Kind, ssl: u64, t: u64) -> Rec {
    let mut r = Rec::new(kind);
    r.pid = 10;
    r.tid = 11;
    r.ssl = ssl;
    r.t = 1_000 + t;
    r
}

#[test]
fn io_is_nested_under_its_call_and_free_closes_the_connection() {
    let mut conv = Converter::new(1_000);
    let mut out = Vec::new();
    let mut io = rec(Kind::Io, 0xa0, 5);
    io.op = 1;
    io.a = 300;
    io.ret = 300;
    conv.feed(&io, &[], &mut out);
    let mut call = rec(Kind::Call, 0xa0, 2);
    call.op = wire::op::SSL_CONNECT;
    call.ret = -1;
    call.err = 2;
    call.dur = 50;
    conv.feed(&call, &[], &mut out);
    conv.feed(&rec(Kind::Free, 0xa0, 100), &[], &mut out);
    // The same address again is a new connection.
    call.t += 200;
    conv.feed(&call, &[], &mut out);
    let events: Vec<String> = out
        .iter()
        .map(|o| match o {
            Out::Event(e) if matches!(e.kind, EventKind::Program(_)) => {
                format!("began {}", e.conn)
            }
            Out::Event(e) => crate::trace::text::describe(e),
            Out::Ended(_, e, m) => format!(
                "{} {:?}",
                crate::trace::text::describe(e),
                m.findings()
                    .iter()
                    .map(|f| f.class.name())
                    .collect::<Vec<_>>()
            ),
        })
        .collect();
    assert_eq!(events[0], "began 1");
    assert_eq!(events[1], "── connect ──");
    assert_eq!(events[2], "── handshake ──");
    assert!(events[3].starts_with("io    write 300/300 B"), "{events:?}");
    assert!(
        events[4].starts_with("SSL_connect #1 → -1 WANT_READ"),
        "{events:?}"
    );
    assert!(
        events[5].starts_with("close freed") && events[5].contains("want-as-error"),
        "{events:?}"
    );
    assert_eq!(events[6], "began 2");
    assert_eq!(conv.calls, 2);
}

#[test]
fn states_and_messages_are_nested_under_their_call() {
    let mut conv = Converter::new(1_000);
    let mut out = Vec::new();
    let mut state = rec(Kind::State, 0xb0, 1);
    state.a = 0x1001;
    state.ret = 1;
    conv.feed(&state, b"\x17SSLv3/TLS read finished", &mut out);
    // A fatal alert out: level 2, description 40; a KeyUpdate in asking for one back.
    let mut alert = rec(Kind::Msg, 0xb0, 2);
    alert.op = 1;
    alert.a = 21;
    alert.b = u64::from_le_bytes([2, 40, 0, 0, 0, 0, 0, 0]);
    alert.c = 2;
    conv.feed(&alert, &[], &mut out);
    let mut key_update = rec(Kind::Msg, 0xb0, 3);
    key_update.a = 22;
    key_update.b = u64::from_le_bytes([24, 0, 0, 1, 1, 0, 0, 0]);
    key_update.c = 5;
    conv.feed(&key_update, &[], &mut out);
    let mut call = rec(Kind::Call, 0xb0, 0);
    call.op = wire::op::SSL_READ;
    call.ret = 5;
    conv.feed(&call, &[], &mut out);
    let kinds: Vec<EventKind> = out
        .iter()
        .filter_map(|o| match o {
            Out::Event(e) => Some(e.kind.clone()),
            _ => None,
        })
        .collect();
    let state = kinds.iter().find_map(|k| match k {
        EventKind::State(s) => Some(*s),
        _ => None,
    });
    let state = state.expect("a state event");
    assert_eq!(state.text(), "SSLv3/TLS read finished");
    assert_eq!(state.call(), Some(1));
    let msgs: Vec<Msg> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::Msg(m) => Some(*m),
            _ => None,
        })
        .collect();
    assert_eq!(
        msgs,
        vec![
            Msg::new(Some(1), MsgDir::Out, 21, 40, 2, 0, 2),
            Msg::new(Some(1), MsgDir::In, 22, 24, 0, 1, 5),
        ]
    );
}
