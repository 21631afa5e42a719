//! The report on hand-built traces: hostile strings come out inert, the verdict is today's and
//! shown once, several connections get an index, and the picture stays small however many
//! events there are.

use super::*;
use crate::trace::store::fixtures::{call, ev, io, read, wait};
use crate::trace::*;

const HOSTILE: &str = "<script>alert(1)</script>\u{1b}[2J\u{202e}";

/// A connection that completes a handshake with a hostile peer certificate, reads a little,
/// and fails with a hostile error.
fn hostile_trace(conn: ConnId) -> Vec<Event> {
    let cert = CertInfo {
        subject: format!("CN={HOSTILE}"),
        issuer: "CN=Evil \"CA\" & co".into(),
        not_before: "Jan  1 00:00:00 2020 GMT".into(),
        not_after: "Jan  1 00:00:00 2021 GMT".into(),
        key: "EC 256".into(),
        sha256: "AA:BB".into(),
        ..CertInfo::default()
    };
    let mut events = vec![
        ev(
            0,
            EventKind::Setup(Box::new(Setup {
                target: format!("evil.example:443{HOSTILE}"),
                alpn: vec![format!("h2{HOSTILE}")],
                ..Setup::default()
            })),
        ),
        ev(10, EventKind::Phase(Phase::Resolve)),
        ev(20, EventKind::Phase(Phase::Connect)),
        ev(40, EventKind::Phase(Phase::Handshake)),
        ev(50, call(1, Op::DoHandshake, SslError::None, 30)),
        ev(
            90,
            EventKind::Tls(Box::new(TlsInfo {
                version: "TLSv1.3".into(),
                cipher: "TLS_AES_128_GCM_SHA256".into(),
                alpn: Some(format!("x{HOSTILE}")),
                sni: Some("evil.example".into()),
                verify: "skipped".into(),
                resumed: false,
                chain: vec![cert],
                ocsp: None,
                resumption: None,
            })),
        ),
        ev(100, EventKind::Phase(Phase::Workload)),
        ev(110, read(2, SslError::None, 10, 42)),
        ev(150, read(3, SslError::Ssl, 10, 0)),
        ev(200, EventKind::Error(format!("peer said {HOSTILE}").into())),
        ev(
            210,
            EventKind::Close(Close {
                reason: CloseReason::Failed,
                notify_sent: false,
                notify_received: false,
                workload_done: false,
            }),
        ),
    ];
    for e in &mut events {
        e.conn = conn;
    }
    events
}

#[test]
fn hostile_strings_are_escaped_and_their_controls_shown() {
    let page = html_at(&hostile_trace(1), "evil.jsonl<b>", 1_700_000_000);
    assert!(!page.contains("<script"), "no script element");
    assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J\\u{202e}"));
    // In the chain, the table, the summary, the title and the header: never raw.
    assert!(page.contains("CN=&lt;script&gt;"), "subject escaped");
    assert!(
        page.contains("CN=Evil &quot;CA&quot; &amp; co"),
        "issuer escaped"
    );
    assert!(page.contains("peer said &lt;script&gt;"), "error escaped");
    assert!(page.contains("evil.jsonl&lt;b&gt;"), "source escaped");
    assert!(page.contains("<title>tlsscope report: evil.example:443&lt;script&gt;"));
    // The certificate expired in 2021; the report is as of 2023.
    assert!(page.contains("validity expired"), "expired marked");
}

/// The text between the first `open` and the `close` after it.
fn between<'a>(page: &'a str, open: &str, close: &str) -> &'a str {
    let start = page.find(open).expect("open") + open.len();
    let len = page[start..].find(close).expect("close");
    &page[start..start + len]
}

#[test]
fn the_page_loads_nothing_and_runs_nothing() {
    let page = html_at(&hostile_trace(1), "t.jsonl", 1_700_000_000);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The policy allows the page's one stylesheet by the SHA-256 of its exact text, and no
    // `style` attribute is left for it to refuse.
    let style = between(&page, "<style>", "</style>");
    let hash = openssl::base64::encode_block(&openssl::sha::sha256(style.as_bytes()));
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-{hash}'; img-src data:\"/>"
    )));
    assert_eq!(page.matches("<style").count(), 1);
    assert!(!page.contains("style="));
    assert_eq!(page.matches("Content-Security-Policy").count(), 1);
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", "url(", "@import",
    ] {
        assert!(!page.contains(forbidden), "{forbidden}");
    }
    assert!(page.contains("<svg class=\"timeline\""));
}

#[test]
fn the_verdict_is_recomputed_and_a_saved_one_is_not_listed() {
    let mut events = hostile_trace(1);
    let stale = verdict::Verdict {
        class: verdict::Class::WriteDeadlock,
        summary: "STALE VERDICT FROM AN OLD RUN".into(),
        evidence: Vec::new(),
        next_user: Vec::new(),
        next_code: Vec::new(),
        breakdown: verdict::Breakdown::default(),
        focus: None,
    };
    let close = events.pop().expect("close");
    events.push(ev(210, EventKind::Verdict(Box::new(stale))));
    events.push(close);
    let page = html_at(&events, "t.jsonl", 1_700_000_000);
    assert!(!page.contains("STALE VERDICT"));
    let today = verdict::judge(&events, 1);
    assert_ne!(today.class, verdict::Class::WriteDeadlock);
    assert!(page.contains(&format!(
        "<span class=\"class\">{}</span>",
        today.class.name()
    )));
    assert!(page.contains(&super::escape::text(&today.summary)));
}

#[test]
fn several_connections_get_an_index_and_a_section_each() {
    let mut events = hostile_trace(1);
    events.extend(hostile_trace(2));
    let page = html_at(&events, "t.jsonl", 1_700_000_000);
    assert!(page.contains("<h3>Connections</h3>"));
    assert!(page.contains("href=\"#conn-1\"") && page.contains("href=\"#conn-2\""));
    assert_eq!(page.matches("<section class=\"conn\"").count(), 2);
    // An empty trace is a page that says so, not a panic.
    assert!(html_at(&[], "empty.jsonl", 0).contains("The trace holds no events."));
}

/// A long transfer: `n` reads, each with a socket read, a wait and a buffer sample.
fn long_trace(n: u32) -> Vec<Event> {
    let mut events = vec![ev(0, EventKind::Phase(Phase::Workload))];
    for i in 1..=n {
        let t = u64::from(i) * 10_000;
        let error = if i % 3 == 0 {
            SslError::WantRead
        } else {
            SslError::None
        };
        events.push(ev(t + 100, io(i, Dir::Read, 5, false)));
        events.push(ev(t, read(i, error, 2_000, 5)));
        events.push(ev(t + 3_000, wait(Interest::Read, 5_000)));
        let sock = Sock {
            inq: i % 1000,
            rcvbuf: 4096,
            sndbuf: 4096,
            ..Sock::default()
        };
        events.push(ev(t + 8_000, EventKind::Sock(Box::new(sock))));
    }
    events
}

fn svg_part(page: &str) -> &str {
    let start = page.find("<svg").expect("svg");
    let end = page.find("</svg>").expect("svg end");
    &page[start..end]
}

#[test]
fn the_picture_does_not_grow_with_the_events_and_the_table_is_capped() {
    let small = html_at(&long_trace(5_000), "t", 0);
    let large = html_at(&long_trace(100_000), "t", 0);
    let (s, l) = (svg_part(&small).len(), svg_part(&large).len());
    assert!(l < 200_000, "the SVG of 400k events is {l} bytes");
    assert!(l < s * 2, "{s} bytes for 20k events, {l} for 400k");
    assert!(large.contains("rows omitted"));
    assert!(large.len() < 2_000_000, "the page is {} bytes", large.len());
}
