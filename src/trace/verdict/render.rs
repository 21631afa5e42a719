//! The verdict as text: summary, evidence, what to do, where the time went. Its sentences may
//! quote the peer (a certificate's name in an error), so each line is escaped.

use super::types::Verdict;
use crate::trace::escape::escape;
use crate::trace::format;

/// Lines for the text trace's `diagnosis:` section (without indentation).
pub fn lines(v: &Verdict) -> Vec<String> {
    let mut out = vec![format!(
        "verdict: {} ({})",
        v.class.name(),
        v.severity().name()
    )];
    out.push(escape(&v.summary).into_owned());
    for e in &v.evidence {
        let at = match (e.call, e.t) {
            (Some(c), _) => format!(" [call #{c}]"),
            (None, Some(t)) => format!(" [at {}]", format::duration(t)),
            (None, None) => String::new(),
        };
        out.push(format!("  - {}{at}", escape(&e.text)));
    }
    for n in &v.next_user {
        out.push(format!("next: {}", escape(n)));
    }
    for n in &v.next_code {
        out.push(format!("for programmers: {}", escape(n)));
    }
    out.push(format!("time: {}", breakdown(v)));
    out
}

/// Where the time went, in one line ("total 3.00 s, handshake 9.35 ms, …").
pub fn breakdown(v: &Verdict) -> String {
    let b = &v.breakdown;
    let mut parts = vec![format!("total {}", format::duration(b.total))];
    let mut part = |name: &str, ns: u64| {
        if ns > 0 {
            parts.push(format!("{name} {}", format::duration(ns)));
        }
    };
    part("resolve", b.resolve);
    part("connect", b.connect);
    part("handshake", b.handshake);
    part("waiting to read", b.wait_read);
    part("waiting to write", b.wait_write);
    part("in OpenSSL", b.in_openssl);
    part("idle by our choice", b.idle);
    if b.handshake_round_trips > 0 {
        parts.push(format!(
            "{} handshake round trip(s), longest {}",
            b.handshake_round_trips,
            format::duration(b.longest_round_trip)
        ));
    }
    if b.tcp_rtt > 0 {
        let to = if b.tcp_rtt_to_proxy {
            " (to the proxy)"
        } else {
            ""
        };
        parts.push(format!("TCP rtt {}{to}", format::duration(b.tcp_rtt)));
    }
    parts.join(", ")
}
