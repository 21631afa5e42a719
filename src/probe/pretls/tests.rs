//! The dialogues on byte strings: what each sends, when it says go, and its one-line reasons.

use super::proxy::Proxy;
use super::*;

/// Feeds `server` to a dialogue in one piece after each of its sends; returns what it sent
/// (as shown) and its last word.
fn run(mut d: Box<dyn Dialogue>, server: &[&[u8]]) -> (Vec<String>, Say) {
    let mut input = Vec::new();
    let mut heard = Vec::new();
    let mut sent = Vec::new();
    let mut answers = server.iter();
    for _ in 0..50 {
        match d.next(&mut input, &mut heard) {
            Say::Send { shown, .. } => sent.extend(shown),
            Say::More => match answers.next() {
                Some(bytes) => input.extend_from_slice(bytes),
                None => return (sent, Say::More),
            },
            other => return (sent, other),
        }
    }
    (sent, Say::More)
}

#[test]
fn smtp_waits_for_the_whole_multiline_reply() {
    let d = Starttls::Smtp.dialogue("me.example");
    let (sent, say) = run(
        d,
        &[
            b"220 hi\r\n",
            b"250-x\r\n250-STAR",
            b"TTLS\r\n250 OK\r\n",
            b"220 go\r\n",
        ],
    );
    assert_eq!(sent, ["EHLO me.example", "STARTTLS"]);
    assert_eq!(say, Say::GoAhead);
}

#[test]
fn smtp_refusal_quotes_and_escapes_the_server() {
    let d = Starttls::Smtp.dialogue("h");
    let (_, say) = run(
        d,
        &[b"220 hi\r\n", b"250 STARTTLS\r\n", b"454 no \x1b[31m\r\n"],
    );
    assert_eq!(
        say,
        Say::Refused("STARTTLS refused by the server: \"454 no \\x1b[31m\"".into())
    );
}

#[test]
fn nothing_after_the_go_ahead_is_consumed() {
    let mut d = Starttls::Pop3.dialogue("h");
    let mut input = b"+OK hi\r\n".to_vec();
    let mut heard = Vec::new();
    assert!(matches!(d.next(&mut input, &mut heard), Say::Send { .. }));
    input.extend_from_slice(b"+OK\r\nSTLS\r\n.\r\n");
    assert!(matches!(d.next(&mut input, &mut heard), Say::Send { .. }));
    input.extend_from_slice(b"+OK go\r\nEXTRA");
    assert_eq!(d.next(&mut input, &mut heard), Say::GoAhead);
    assert_eq!(input, b"EXTRA");
}

#[test]
fn postgres_and_ldap_binary_answers() {
    let (_, say) = run(Starttls::Postgres.dialogue("h"), &[b"S"]);
    assert_eq!(say, Say::GoAhead);
    let (_, say) = run(Starttls::Postgres.dialogue("h"), &[b"N"]);
    assert!(matches!(say, Say::Refused(r) if r.contains("\"N\"")));
    let ok = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";
    // Split mid-message: the dialogue waits for the rest.
    let (_, say) = run(Starttls::Ldap.dialogue("h"), &[&ok[..5], &ok[5..]]);
    assert_eq!(say, Say::GoAhead);
}

#[test]
fn unknown_protocols_are_named() {
    assert_eq!(Starttls::parse("IMAP"), Ok(Starttls::Imap));
    let err = Starttls::parse("gopher").unwrap_err();
    assert!(err.contains("smtp, lmtp, imap"), "{err}");
}

#[test]
fn http_connect_sends_basic_auth_and_names_a_refusal() {
    let proxy = Proxy::parse("http://u:p@127.0.0.1:3128").expect("proxy");
    assert_eq!(proxy.display(), "http://u:***@127.0.0.1:3128");
    let (sent, say) = run(
        proxy.dialogue("example.com", 443),
        &[b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"],
    );
    assert_eq!(sent[0], "CONNECT example.com:443 HTTP/1.1");
    assert!(sent
        .iter()
        .any(|l| l == "Proxy-Authorization: Basic (hidden)"));
    assert_eq!(
        say,
        Say::Refused(
            "the proxy refused CONNECT: \"HTTP/1.1 407 Proxy Authentication Required\"".into()
        )
    );
}

#[test]
fn socks5_asks_by_name_and_names_error_codes() {
    let proxy = Proxy::parse("socks5://127.0.0.1:1080").expect("proxy");
    let ok: &[&[u8]] = &[b"\x05\x00", b"\x05\x00\x00\x01\x7f\x00\x00\x01\x01\xbb"];
    assert_eq!(run(proxy.dialogue("example.com", 443), ok).1, Say::GoAhead);
    let refused: &[&[u8]] = &[b"\x05\x00", b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00"];
    let (_, say) = run(proxy.dialogue("example.com", 443), refused);
    assert!(matches!(say, Say::Refused(r) if r.contains("error 5 (connection refused)")));
    assert!(Proxy::parse("ftp://x:1").is_err());
}
