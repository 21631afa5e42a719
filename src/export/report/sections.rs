//! The parts of a connection's section above its picture: the verdict banner (class, severity,
//! summary, evidence, what to do), the connection summary and certificate chain (what the app's
//! Summary shows), and where the time went.

use super::escape::text as esc;
use super::palette;
use super::table;
use crate::trace::cert_time::{validity, Validity};
use crate::trace::chain::findings;
use crate::trace::chain_text::cert_details;
use crate::trace::store::ConnTrace;
use crate::trace::timing;
use crate::trace::verdict::Verdict;
use crate::trace::{format, EventKind, HttpResponse, Setup};
use crate::ui::style;
use std::fmt::Write as _;

/// The banner word of the verdict's severity, as in the app (its colour is the class
/// `sev-{name}`, see `palette`).
pub(super) fn severity_word(v: &Verdict) -> &'static str {
    style::verdict(v.severity()).0
}

/// The verdict: what is wrong (or that nothing is), the evidence with links to the events'
/// rows, what to change, and the rule for programmers.
pub(super) fn verdict_banner(c: &ConnTrace, v: &Verdict, linkable: &dyn Fn(u32) -> bool) -> String {
    let word = severity_word(v);
    let mut out = format!(
        "<div class=\"verdict sev-{}\">\n\
         <div class=\"vhead\"><span class=\"badge\">{word}</span> \
         <span class=\"class\">{}</span> <span class=\"meaning\">{}</span></div>\n\
         <p class=\"summary\">{}</p>\n",
        v.severity().name(),
        esc(v.class.name()),
        esc(v.class.meaning()),
        esc(&v.summary)
    );
    if !v.evidence.is_empty() {
        out.push_str("<h4>Evidence</h4>\n<ul>\n");
        for e in &v.evidence {
            let at = match (e.call, e.t) {
                (Some(id), _) if linkable(id) => format!(
                    " <a href=\"#{}\">call #{id}</a>",
                    table::call_anchor(c.id, id)
                ),
                (Some(id), _) => format!(" <span class=\"at\">call #{id}</span>"),
                (None, Some(t)) => format!(
                    " <span class=\"at\">at {}</span>",
                    esc(&format::since(t, c.first_t))
                ),
                (None, None) => String::new(),
            };
            let _ = writeln!(out, "<li>{}{at}</li>", esc(&e.text));
        }
        out.push_str("</ul>\n");
    }
    for (title, items) in [
        ("What to do", &v.next_user),
        ("For programmers", &v.next_code),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h4>{title}</h4>\n<ul>");
        for n in items {
            let _ = writeln!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</div>\n");
    out
}

/// The verification result as one prominent line, in its colour (as the app's Summary; the
/// class is one of `palette::VERIFY`).
fn verification(verify: &str) -> String {
    let (text, class) = match verify {
        "ok" => ("Certificate verified: ok".to_string(), "ok"),
        "skipped" => (
            "Certificate verification skipped (--insecure): the peer was not authenticated".into(),
            "skipped",
        ),
        reason => (
            format!("Certificate verification failed: {reason}"),
            "failed",
        ),
    };
    format!("<p class=\"verify {class}\">{}</p>\n", esc(&text))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The connection's setup and its last HTTP response, from its events.
fn setup_and_http(c: &ConnTrace) -> (Option<&Setup>, Option<&HttpResponse>) {
    let mut setup = None;
    let mut http = None;
    for e in &c.events {
        match &e.kind {
            EventKind::Setup(s) => setup = Some(&**s),
            EventKind::Http(h) => http = Some(&**h),
            _ => {}
        }
    }
    (setup, http)
}

/// The connection's target as the user wrote it, if the trace has its setup.
pub(super) fn target(c: &ConnTrace) -> Option<String> {
    setup_and_http(c).0.map(|s| s.target.clone())
}

/// What was offered and what was negotiated, the endpoints, how it ended.
pub(super) fn summary(c: &ConnTrace) -> String {
    let (setup, http) = setup_and_http(c);
    let mut out = String::new();
    match (&c.tls, &c.error) {
        (Some(t), _) => out.push_str(&verification(&t.verify)),
        (None, Some(e)) => {
            if let Some(reason) = e.strip_prefix("certificate verification failed: ") {
                out.push_str(&verification(reason));
            }
        }
        (None, None) => {}
    }
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(s) = setup {
        rows.push(("Target", s.target.clone()));
    }
    if let Some(ep) = &c.endpoints {
        rows.push(("TCP", format!("{} → {}", ep.local, ep.peer)));
    }
    if let Some(s) = setup {
        rows.push(("SNI sent", s.sni.clone().unwrap_or_else(|| "(none)".into())));
        let alpn = if s.alpn.is_empty() {
            "(none)".to_string()
        } else {
            s.alpn.join(", ")
        };
        rows.push(("ALPN offered", alpn));
        rows.push((
            "Versions offered",
            format!("{} to {}", s.version_min, s.version_max),
        ));
    }
    match &c.tls {
        Some(t) => {
            rows.push(("Version", t.version.clone()));
            rows.push(("Cipher", t.cipher.clone()));
            rows.push(("ALPN chosen", t.alpn.clone().unwrap_or_else(|| "-".into())));
            rows.push(("SNI", t.sni.clone().unwrap_or_else(|| "-".into())));
            rows.push(("Verification", t.verify.clone()));
            rows.push(("Resumed", yes_no(t.resumed).into()));
        }
        None => rows.push(("TLS", "no handshake completed".into())),
    }
    if let Some(h) = http {
        let complete = if h.complete { ", complete" } else { "" };
        rows.push((
            "HTTP",
            format!(
                "status {}, {} received{complete}",
                h.status,
                format::bytes(h.received)
            ),
        ));
    }
    if let Some(close) = &c.close {
        rows.push((
            "Closed",
            format!(
                "{} (close_notify sent: {}, received: {}; workload done: {})",
                close.reason.name(),
                yes_no(close.notify_sent),
                yes_no(close.notify_received),
                yes_no(close.workload_done)
            ),
        ));
    }
    out.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    out.push_str("</table>\n");
    if let Some(e) = &c.error {
        let _ = writeln!(out, "<p class=\"error\">Error: {}</p>", esc(e));
    }
    out
}

/// The peer's certificates, each with its validity at `now_unix` (the report's time), its
/// details (names, signature, usage, AIA URLs) and, under the certificate that failed, why
/// (`trace::chain::findings`). A failed handshake shows the chain the `chain` event recorded.
pub(super) fn chain(c: &ConnTrace, now_unix: i64) -> String {
    let (certs, found, headline) = match (&c.tls, &c.chain) {
        (Some(t), _) => (&t.chain, Vec::new(), None),
        (None, Some(info)) => {
            let headline = match &info.failure {
                Some(f) => format!("Verification failed: {} (depth {}).", f.reason, f.depth),
                None => "The chain as the server sent it.".into(),
            };
            (&info.certs, findings(info), Some(headline))
        }
        (None, None) => {
            return "<p class=\"muted\">No certificates recorded: the handshake ended before the server's certificate arrived.</p>\n".into();
        }
    };
    if certs.is_empty() {
        return "<p class=\"muted\">The peer sent no certificate.</p>\n".into();
    }
    let mut out = String::new();
    if let Some(h) = headline {
        let _ = writeln!(out, "<p class=\"error\">{}</p>", esc(&h));
    }
    out.push_str(
        "<table class=\"chain\">\n<thead><tr><th>#</th><th>subject</th><th>issuer</th><th>valid from</th><th>valid until</th><th>now</th><th>key, SHA-256</th></tr></thead>\n<tbody>\n",
    );
    for (depth, cert) in certs.iter().enumerate() {
        // The class is one of `palette::VALIDITY`, which colours it.
        let (state, class) = match validity(&cert.not_before, &cert.not_after, now_unix) {
            Some(Validity::Valid) => (Validity::Valid.name(), "valid"),
            Some(v @ Validity::Expired) => (v.name(), "expired"),
            Some(v) => (v.name(), "not-yet-valid"),
            None => ("dates unreadable", "unreadable"),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{depth}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><span class=\"validity {class}\">{state}</span></td>\
             <td class=\"fp\">{}<br/>{}</td></tr>",
            esc(&cert.subject),
            esc(&cert.issuer),
            esc(&cert.not_before),
            esc(&cert.not_after),
            esc(&cert.key),
            esc(&cert.sha256)
        );
        if let Some(details) = cert_details(cert) {
            let _ = writeln!(
                out,
                "<tr><td></td><td colspan=\"6\" class=\"muted\">{}</td></tr>",
                esc(&details)
            );
        }
        for f in found.iter().filter(|f| f.cert == Some(depth)) {
            let _ = writeln!(
                out,
                "<tr><td></td><td colspan=\"6\" class=\"error\">✗ {}: {}</td></tr>",
                esc(f.problem.name()),
                esc(&f.text)
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
    for f in found.iter().filter(|f| f.cert.is_none()) {
        let _ = writeln!(
            out,
            "<p class=\"error\">✗ {}: {}</p>",
            esc(f.problem.name()),
            esc(&f.text)
        );
    }
    out
}

/// Where the time went: the connection's waterfall (`trace::timing`, as the text trace and
/// the app's Timings tab draw it), each step a bar at its place in the connection in the app's
/// colour for it, the handshake's round trips under it; then the verdict's breakdown (waits,
/// time inside OpenSSL, round trips), which is what `diagnosis:`'s `time:` line says.
pub(super) fn time(c: &ConnTrace, v: &Verdict) -> String {
    let timing = timing::of_kinds(c.events.iter().map(|e| (e.t, &e.kind)));
    let total = timing.total.max(1);
    let mut out = String::from("<table class=\"time\">\n");
    let pct = |ns: u64| ns.min(total) as f64 / total as f64 * 100.0;
    let mut row = |name: &str, start: u64, dur: u64, colour: &str, note: &str| {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td class=\"n\">{}</td><td class=\"bar\">{}</td><td class=\"muted\">at {}{note}</td></tr>",
            esc(name),
            esc(&format::duration(dur)),
            palette::bar(pct(start), pct(dur).max(0.2), colour),
            esc(&format::duration(start)),
        );
    };
    for s in &timing.steps {
        let note = if s.done { "" } else { ", did not finish" };
        let colour = super::hex(style::timing_step(s.step));
        row(s.step.label(), s.start, s.dur, &colour, note);
        if s.step == timing::Step::Handshake {
            for (i, r) in timing.round_trips.iter().enumerate() {
                let name = format!("\u{a0}\u{a0}round trip {}", i + 1);
                row(&name, r.start, r.dur, palette::NEUTRAL_BAR, "");
            }
        }
    }
    let _ = writeln!(
        out,
        "<tr class=\"total\"><th>total</th><td class=\"n\">{}</td><td class=\"bar\">{}</td><td></td></tr>\n</table>",
        esc(&format::duration(timing.total)),
        palette::bar(0.0, 100.0, palette::NEUTRAL_BAR)
    );
    // The verdict's account of the same time: waits, OpenSSL's own time, round trips.
    let b = &v.breakdown;
    let mut rows: Vec<(&str, String)> = [
        ("waiting to read", b.wait_read),
        ("waiting to write", b.wait_write),
        ("inside OpenSSL calls", b.in_openssl),
        ("idle by our choice", b.idle),
    ]
    .into_iter()
    .filter(|&(_, ns)| ns > 0)
    .map(|(name, ns)| (name, format::duration(ns)))
    .collect();
    if b.handshake_round_trips > 0 {
        rows.push((
            "handshake round trips",
            format!(
                "{}, the longest {}",
                b.handshake_round_trips,
                format::duration(b.longest_round_trip)
            ),
        ));
    }
    if b.tcp_rtt > 0 {
        let label = if b.tcp_rtt_to_proxy {
            "TCP rtt (kernel, to the proxy)"
        } else {
            "TCP rtt (kernel)"
        };
        rows.push((label, format::duration(b.tcp_rtt)));
    }
    if !rows.is_empty() {
        out.push_str("<table class=\"kv breakdown\">\n");
        for (k, v) in rows {
            let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
        }
        out.push_str("</table>\n");
    }
    out
}
