//! `tlsscope report` on a trace saved by a real run: a well-formed, self-contained HTML page with
//! the live run's verdict, the peer's certificate chain and the timeline picture, checked by a
//! strict parser (Python's XML parser, and its HTML parser for tag balance).

mod common;

use common::run::*;
use std::path::PathBuf;
use std::process::Command;
use tlsscope::trace::{jsonl_read, EventKind};

/// Parses the page strictly and prints what it holds as JSON: the count of each tag and the
/// page's text. Exits non-zero with the reason when the markup is not well-formed or a tag is
/// left open or closed out of order.
const CHECK: &str = r#"
import json, sys, xml.etree.ElementTree as ET
from html.parser import HTMLParser
page = open(sys.argv[1], encoding="utf-8").read()
if not page.startswith("<!DOCTYPE html>"):
    sys.exit("no doctype")
ET.fromstring(page[page.index("<html"):])
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text = [], {}, []
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            sys.exit(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
        self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)
c = Check()
c.feed(page)
c.close()
if c.stack:
    sys.exit(f"left open: {c.stack}")
print(json.dumps({"tags": c.tags, "text": " ".join(c.text)}))
"#;

/// The page at `path` after the strict check: tag counts and text.
fn parsed(path: &PathBuf) -> serde_json::Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(CHECK)
        .arg(path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "the report is not well-formed: {}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("checker output")
}

#[test]
fn a_report_on_a_real_trace_is_a_self_contained_page_with_verdict_chain_and_picture() {
    let trace = saved_trace("lab:renegotiate", &[], "renegotiate.jsonl");
    let t = trace.to_string_lossy().into_owned();
    let saved = std::fs::read_to_string(&trace).expect("trace");
    let events = jsonl_read::from_text(&saved).expect("reads back");
    let live = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Verdict(v) => Some(v.clone()),
            _ => None,
        })
        .expect("the live run's verdict");
    let subject = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Tls(t) => t.chain.first().map(|c| c.subject.clone()),
            _ => None,
        })
        .expect("the peer's certificate");

    let report = temp("renegotiate-report.html");
    let r = report.to_string_lossy().into_owned();
    let out = tlsscope(&["report", &t, "-o", &r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with(&format!("wrote {r} (1 connection(s), ")),
        "{}",
        text(&out.stdout)
    );
    let page = std::fs::read_to_string(&report).expect("report");
    let doc = parsed(&report);
    let body = doc["text"].as_str().unwrap_or_default();
    let tags = &doc["tags"];
    // The verdict, as the live run gave it, with its evidence.
    assert!(body.contains(live.class.name()), "verdict class");
    assert!(body.contains(&live.summary), "verdict summary");
    assert!(body.contains(&live.evidence[0].text), "evidence");
    // The summary and the chain.
    assert!(body.contains("TLSv1.2") && body.contains("Certificate verified: ok"));
    assert!(body.contains(&subject), "chain subject {subject}");
    assert!(body.contains("valid now"));
    // The picture and the table (the other `svg` elements are colour swatches and bars).
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 1);
    assert!(tags["path"].as_u64() > Some(5));
    assert!(body.contains("OpenSSL calls") && body.contains("SSL_read #"));
    assert!(body.contains("TLS handshake") && body.contains("total"));
    // Where the time went is the waterfall: its steps and the handshake's round trips.
    for step in [
        "TCP connect",
        "round trip 1",
        "request sent",
        "first byte",
        "last byte",
    ] {
        assert!(body.contains(step), "{step}");
    }
    // Nothing to run, nothing to fetch.
    for tag in ["script", "link", "img", "iframe", "object"] {
        assert!(tags.get(tag).is_none(), "<{tag}>");
    }
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn the_report_goes_beside_the_trace_by_default_and_never_over_it() {
    let trace = saved_trace("lab:ok", &[], "ok.jsonl");
    let t = trace.to_string_lossy().into_owned();
    let beside = temp("ok.html");
    let _ = std::fs::remove_file(&beside);
    let out = tlsscope(&["report", &t, "--connection", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(beside.is_file(), "written beside the trace");
    assert!(parsed(&beside)["text"]
        .as_str()
        .is_some_and(|s| s.contains("healthy")));

    let out = tlsscope(&["report", &t, "-o", &t]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("would overwrite the trace itself"));
    assert!(std::fs::read_to_string(&trace).is_ok_and(|s| s.starts_with('{')));

    let out = tlsscope(&["report", &t, "--connection", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("tlsscope: {t}: no connection 9 (it has 1)\n")
    );
}

/// An unwritable destination is a usage error (exit 2, like `trace --out`) said before the trace
/// is read, naming the file the person gave, and leaves no file behind.
#[test]
fn an_unwritable_report_destination_is_a_usage_error_and_leaves_nothing() {
    let trace = saved_trace("lab:ok", &[], "unwritable.jsonl");
    let t = trace.to_string_lossy().into_owned();
    let dir = temp("no-such-dir");
    let _ = std::fs::remove_dir_all(&dir);
    let inside = dir.join("r.html").to_string_lossy().into_owned();
    let out = tlsscope(&["report", &t, "-o", &inside]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("tlsscope: cannot create {inside}: no directory ")),
        "{err}"
    );
    assert!(!err.contains(".tlsscope-report"), "{err}");

    // A directory as the destination, in a folder of this test's own: the other tests of this
    // file write their reports beside their traces at the same time, each staged under a
    // `.tlsscope-report` name, so the shared folder cannot be counted.
    let own = temp("unwritable-destination");
    let _ = std::fs::remove_dir_all(&own);
    std::fs::create_dir_all(own.join("a-directory")).expect("make the test's folder");
    let here = own.join("a-directory").to_string_lossy().into_owned();
    let out = tlsscope(&["report", &t, "-o", &here]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a directory"),
        "{}",
        text(&out.stderr)
    );
    let leftovers = std::fs::read_dir(&own)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".tlsscope-report")
                })
                .count()
        })
        .unwrap_or(0);
    assert_eq!(leftovers, 0);
}

#[test]
fn hostile_strings_from_a_trace_file_come_out_inert() {
    // A hand-made trace whose peer strings carry markup, an ESC sequence and a bidi override.
    let evil = r#"<script>alert(1)</script>\u001b[2J\u202e"#;
    let lines = [
        r#"{"t":0,"conn":1,"kind":"setup","target":"evil.example:443","sni":"evil.example","alpn":["h2"],"client_cert":false,"verify":true,"auto_retry":true}"#.to_string(),
        r#"{"t":10,"conn":1,"kind":"phase","phase":"handshake"}"#.to_string(),
        r#"{"t":20,"conn":1,"kind":"call","id":1,"op":"SSL_do_handshake","ret":1,"error":"NONE","dur":5,"bytes":0}"#.to_string(),
        format!(r#"{{"t":30,"conn":1,"kind":"tls","version":"TLSv1.3","cipher":"TLS_AES_128_GCM_SHA256","alpn":"h2{evil}","sni":"evil.example","verify":"ok","resumed":false,"chain":[{{"subject":"CN={evil}","issuer":"CN=Evil CA","not_before":"Jan  1 00:00:00 2020 GMT","not_after":"Jan  1 00:00:00 2099 GMT","key":"EC 256","sha256":"AA"}}]}}"#),
        format!(r#"{{"t":40,"conn":1,"kind":"error","message":"the peer said {evil}"}}"#),
        r#"{"t":50,"conn":1,"kind":"close","reason":"failed","notify_sent":false,"notify_received":false,"workload_done":false}"#.to_string(),
    ];
    let trace = temp("evil.jsonl");
    std::fs::write(&trace, lines.join("\n") + "\n").expect("write trace");
    let report = temp("evil.html");
    let (t, r) = (trace.to_string_lossy(), report.to_string_lossy());
    let out = tlsscope(&["report", &t, "-o", &r]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&report).expect("report");
    let doc = parsed(&report);
    assert!(doc["tags"].get("script").is_none(), "no script element");
    assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
    let shown = "&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[2J\\u{202e}";
    for (place, raw) in [
        ("subject", format!("CN={shown}")),
        ("ALPN", format!("h2{shown}")),
        ("error", format!("the peer said {shown}")),
    ] {
        assert!(page.contains(&raw), "{place} not escaped as {raw}");
    }
    // The parser's text is what a reader sees: the markup as text, the ESC as `\x1b`.
    let body = doc["text"].as_str().unwrap_or_default();
    assert!(body.contains("CN=<script>alert(1)</script>\\x1b[2J\\u{202e}"));
}

#[test]
fn a_failed_verification_shows_the_chain_the_server_sent_and_which_link_failed() {
    let trace = saved_trace("lab:bad-cert-wrong-host", &[], "wrong-host.jsonl");
    let t = trace.to_string_lossy().into_owned();
    let page = temp("wrong-host.html");
    let out = tlsscope(&["report", &t, "-o", &page.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let checked = parsed(&page);
    let words = checked["text"].as_str().expect("page text");
    assert!(words.contains("Certificate chain"), "{words}");
    assert!(
        words.contains("CN=wrong-host.tlsscope.invalid"),
        "the leaf the server sent is listed: {words}"
    );
    assert!(
        words.contains("✗ host name mismatch") && words.contains("not for localhost"),
        "the failing link and why: {words}"
    );
    assert!(
        words.contains("names wrong-host.tlsscope.invalid"),
        "its details: {words}"
    );
}

#[test]
fn the_policy_allows_only_the_pages_own_stylesheet_and_no_style_attribute_is_needed() {
    // Every severity's badge, each verification line and certificate state, waterfall bars.
    let scenarios: [(&str, &[&str]); 6] = [
        ("lab:ok", &["--repeat", "2"]),
        ("lab:ok", &["--insecure"]),
        ("lab:slow-reader", &["--timeout", "1"]),
        ("lab:reneg-backpressure", &[]),
        ("lab:latency", &[]),
        ("lab:bad-cert-expired", &[]),
    ];
    for (i, (scenario, extra)) in scenarios.into_iter().enumerate() {
        let trace = saved_trace(scenario, extra, &format!("csp-{i}.jsonl"));
        let report = temp(&format!("csp-{i}.html"));
        let (t, r) = (trace.to_string_lossy(), report.to_string_lossy());
        let out = tlsscope(&["report", &t, "-o", &r]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let page = std::fs::read_to_string(&report).expect("report");
        parsed(&report);
        assert!(!page.contains("style=\""), "{scenario}: a style attribute");
        assert_eq!(page.matches("Content-Security-Policy").count(), 1);
        let start = page.find("<style>").expect("stylesheet") + "<style>".len();
        let len = page[start..].find("</style>").expect("its end");
        let style = &page[start..start + len];
        let hash = openssl::base64::encode_block(&openssl::sha::sha256(style.as_bytes()));
        let csp =
            format!("content=\"default-src 'none'; style-src 'sha256-{hash}'; img-src data:\"");
        assert!(page.contains(&csp), "{scenario}: the policy names {hash}");
        assert_eq!(page.matches("<style").count(), 1, "{scenario}");
    }
}
