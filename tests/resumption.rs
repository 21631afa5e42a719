//! Session resumption against the system's `openssl s_server`, as a user runs it:
//! `tlsscope trace --reconnect N` (TLS 1.2 session ids and tickets, TLS 1.3 tickets), a server
//! that issues nothing to resume, and `--sess-out` then `--sess-in` across runs and across a
//! server restart.

mod common;

use common::bounded::run_bounded;
use common::*;
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

struct Run {
    status: Option<i32>,
    lines: Vec<Value>,
    stderr: String,
}

impl Run {
    /// The `resumption` objects of the `tls` events, by connection (`None` for a connection
    /// that tried none).
    fn resumptions(&self) -> Vec<(u64, Option<Value>)> {
        self.lines
            .iter()
            .filter(|l| l["kind"] == "tls")
            .map(|l| {
                (
                    l["conn"].as_u64().unwrap_or(0),
                    l.get("resumption").cloned(),
                )
            })
            .collect()
    }

    fn summary(&self) -> &Value {
        self.lines
            .iter()
            .find(|l| l["kind"] == "summary")
            .unwrap_or(&Value::Null)
    }
}

/// `tlsscope trace localhost:PORT --ca CA --http-get / --format jsonl EXTRA…`, bounded.
fn trace(server: &SServer, extra: &[&str]) -> Run {
    let files = cert_files();
    let target = format!("localhost:{}", server.port);
    let ca = files.ca.to_string_lossy().into_owned();
    let mut args = vec![
        "trace",
        &target,
        "--ca",
        &ca,
        "--http-get",
        "/",
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let (out, ended) = run_bounded(&args, &[], LIMIT);
    assert!(ended, "tlsscope did not finish within {LIMIT:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    Run {
        status: out.status.code(),
        lines: stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// 1 + 2 connections: the first tries no resumption, the later ones offer `offered` and are
/// resumed; the summary counts them.
fn resumes_with(server_args: &[&str], version: &str, offered: &str) {
    let server = SServer::start(server_args);
    let run = trace(&server, &["--reconnect", "2"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let got = run.resumptions();
    assert_eq!(got.len(), 3, "three connections: {got:?}");
    assert_eq!(got[0].1, None, "the first connection offers nothing");
    let versions: Vec<_> = run
        .lines
        .iter()
        .filter(|l| l["kind"] == "tls")
        .map(|l| l["version"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(versions.iter().all(|v| v == version), "{versions:?}");
    for (i, (conn, r)) in got.iter().enumerate().skip(1) {
        let r = r.as_ref().expect("a resumption object");
        assert_eq!(r["offered"], offered, "connection {conn}: {r}");
        assert_eq!(r["resumed"], true, "connection {conn}: {r}");
        assert_eq!(r["why_not"], Value::Null);
        // Each offers the session the one before it left.
        assert_eq!(r["from"], format!("connection {}", got[i - 1].0));
    }
    let summary = &run.summary()["resumption"];
    assert_eq!(summary["attempts"], 2, "{summary}");
    assert_eq!(summary["resumed"], 2, "{summary}");
    assert_eq!(run.summary()["clean"], 3);
}

#[test]
fn tls13_tickets_resume() {
    resumes_with(&["-www", "-tls1_3"], "TLSv1.3", "ticket");
}

#[test]
fn tls12_session_ids_resume() {
    resumes_with(&["-www", "-tls1_2", "-no_ticket"], "TLSv1.2", "session_id");
}

#[test]
fn tls12_tickets_resume() {
    resumes_with(&["-www", "-tls1_2"], "TLSv1.2", "ticket");
}

#[test]
fn a_server_with_no_tickets_and_no_cache_leaves_nothing_to_offer() {
    let server = SServer::start(&["-www", "-tls1_2", "-no_ticket", "-no_cache"]);
    let run = trace(&server, &["--reconnect", "1"]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let got = run.resumptions();
    let r = got[1].1.as_ref().expect("the reconnection is judged");
    assert_eq!(r["offered"], "none");
    assert_eq!(r["resumed"], false);
    let why = r["why_not"].as_str().unwrap_or("");
    assert!(
        why.contains("no ticket and no session id in connection 1"),
        "{why}"
    );
    assert_eq!(run.summary()["resumption"]["resumed"], 0);
}

#[test]
fn a_saved_session_resumes_in_a_second_run_and_is_rejected_after_a_restart() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("s.pem");
    let file_arg = file.to_string_lossy().into_owned();
    let server = SServer::start(&["-www", "-tls1_3"]);

    let first = trace(&server, &["--sess-out", &file_arg]);
    assert_eq!(first.status, Some(0), "{}", first.stderr);
    assert_eq!(first.resumptions(), vec![(1, None)]);
    let pem = std::fs::read_to_string(&file).expect("the session file was written");
    assert!(pem.starts_with("-----BEGIN SSL SESSION PARAMETERS-----"));
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "session files hold secrets");

    let second = trace(&server, &["--sess-in", &file_arg]);
    assert_eq!(second.status, Some(0), "{}", second.stderr);
    let r = second.resumptions()[0].1.clone().expect("judged");
    assert_eq!(r["offered"], "ticket");
    assert_eq!(r["resumed"], true, "{r}");
    assert_eq!(r["from"], format!("session file {file_arg}"));

    // A new s_server has new ticket keys: the same ticket is now refused.
    drop(server);
    let restarted = SServer::start(&["-www", "-tls1_3"]);
    let third = trace(&restarted, &["--sess-in", &file_arg]);
    assert_eq!(third.status, Some(0), "{}", third.stderr);
    let r = third.resumptions()[0].1.clone().expect("judged");
    assert_eq!(r["resumed"], false, "{r}");
    let why = r["why_not"].as_str().unwrap_or("");
    assert!(why.starts_with("the server rejected the ticket"), "{why}");
}

#[test]
fn bad_session_options_are_usage_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\n").expect("write");
    let junk = junk.to_string_lossy().into_owned();
    for (args, expect) in [
        (vec!["--sess-in", junk.as_str()], "--sess-in"),
        (vec!["--sess-in", "/dev/zero"], "session file /dev/zero"),
        (vec!["--reconnect", "many"], "--reconnect"),
        (
            vec!["--reconnect", "2", "--repeat", "3"],
            "--reconnect 2 with --repeat 3",
        ),
    ] {
        let mut all = vec!["trace", "127.0.0.1:1"];
        all.extend(args.iter().copied());
        let (out, ended) = run_bounded(&all, &[], LIMIT);
        assert!(ended);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
}
