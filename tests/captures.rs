//! `--pcapng` and `--keylog` as a user runs them, checked with the real tshark: the capture of an
//! HTTP exchange opens decrypted with no settings (TLS 1.2 and 1.3, the lab and a real
//! `openssl s_server`), its TCP is consistent, the key log matches the connection's client
//! random and decrypts the capture on its own, and no trace ever holds a secret.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsscope-captures-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn tlsscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .expect("run tlsscope")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs tshark with `args` and an empty configuration directory, so no preference of the
/// machine's user (a key log file, say) helps it decrypt. Returns its standard output.
fn tshark(dir: &Path, args: &[&str]) -> String {
    let config = dir.join("wireshark-config");
    std::fs::create_dir_all(&config).expect("config dir");
    let out = Command::new("tshark")
        .args(args)
        .env("WIRESHARK_CONFIG_DIR", &config)
        .env("HOME", &config)
        .output()
        .unwrap_or_else(|e| {
            panic!("tshark is needed for these tests (apt-get install tshark; .ci/run installs it): {e}")
        });
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// tshark's one-line summaries of the packets matching `filter` (all with an empty filter).
fn packets(dir: &Path, file: &Path, filter: &str) -> Vec<String> {
    let file = file.to_string_lossy();
    let mut args = vec!["-r", &file];
    if !filter.is_empty() {
        args.extend(["-Y", filter]);
    }
    tshark(dir, &args).lines().map(str::to_string).collect()
}

/// `tshark -T fields` of the packets matching `filter`: one row of fields per packet.
fn fields(dir: &Path, file: &Path, filter: &str, names: &[&str]) -> Vec<Vec<String>> {
    let file = file.to_string_lossy();
    let mut args = vec!["-r", &file, "-Y", filter, "-T", "fields"];
    for name in names {
        args.extend(["-e", name]);
    }
    tshark(dir, &args)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Traces the lab's well-behaved HTTP server with a capture and a key log, and checks what
/// tshark sees in the capture with no settings. Returns the key log's lines.
fn lab_exchange_decrypts(version: &str) -> Vec<String> {
    let dir = scratch(&format!("lab-{version}"));
    let (pcap, keys) = (dir.join("ok.pcapng"), dir.join("ok.keys"));
    let out = tlsscope(&[
        "trace",
        "lab:ok",
        "--tls-max",
        version,
        "--pcapng",
        &pcap.to_string_lossy(),
        "--keylog",
        &keys.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 connection(s)"),
        "{}",
        text(&out.stderr)
    );

    // The HTTP request and response, decrypted and dissected.
    let http = fields(
        &dir,
        &pcap,
        "http",
        &[
            "http.request.method",
            "http.request.uri",
            "http.response.code",
        ],
    );
    assert_eq!(
        http,
        vec![
            vec!["GET".to_string(), "/".into(), "".into()],
            vec!["".into(), "".into(), "200".into()]
        ],
        "{:#?}",
        packets(&dir, &pcap, "")
    );
    // The version the connection negotiated, as Wireshark reads it.
    let hello = packets(&dir, &pcap, "tls.handshake.type == 2");
    assert_eq!(hello.len(), 1, "{hello:?}");
    assert!(hello[0].contains(&format!("TLSv{version}")), "{hello:?}");
    // Sequence and acknowledgement numbers are consistent: no retransmission, lost or unseen
    // segment, window or out-of-order warning anywhere.
    let flagged = packets(&dir, &pcap, "tcp.analysis.flags");
    assert!(flagged.is_empty(), "TCP analysis warnings: {flagged:#?}");
    let ends = packets(&dir, &pcap, "tcp.flags.syn == 1 || tcp.flags.fin == 1");
    assert_eq!(ends.len(), 3, "SYN, SYN-ACK, our FIN: {ends:#?}");

    // The key log is this connection's: every line names the ClientHello's random.
    let random = fields(
        &dir,
        &pcap,
        "tls.handshake.type == 1",
        &["tls.handshake.random"],
    );
    assert_eq!(random.len(), 1, "one ClientHello");
    let random = random[0][0].clone();
    assert_eq!(random.len(), 64, "{random}");
    let lines: Vec<String> = std::fs::read_to_string(&keys)
        .expect("key log")
        .lines()
        .map(str::to_string)
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert_eq!(parts[1], random, "{line}");
    }

    // The key log alone decrypts the capture: without its embedded secrets, tshark sees no
    // HTTP, and with the key log file it does again.
    let bare = dir.join("bare.pcapng");
    let strip = Command::new("editcap")
        .args(["--discard-all-secrets"])
        .arg(&pcap)
        .arg(&bare)
        .output()
        .expect("editcap (installed with tshark)");
    assert!(strip.status.success(), "{}", text(&strip.stderr));
    assert!(
        packets(&dir, &bare, "http").is_empty(),
        "no secrets, no HTTP"
    );
    let keylog_pref = format!("tls.keylog_file:{}", keys.to_string_lossy());
    let bare_name = bare.to_string_lossy();
    let decrypted = tshark(&dir, &["-r", &bare_name, "-o", &keylog_pref, "-Y", "http"]);
    assert_eq!(decrypted.lines().count(), 2, "{decrypted}");
    let _ = std::fs::remove_dir_all(&dir);
    lines
}

#[test]
fn tls13_lab_exchange_opens_decrypted_in_tshark() {
    let lines = lab_exchange_decrypts("1.3");
    let labels: Vec<&str> = lines.iter().filter_map(|l| l.split(' ').next()).collect();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        assert!(labels.contains(&label), "{labels:?}");
    }
}

#[test]
fn tls12_lab_exchange_opens_decrypted_in_tshark() {
    let lines = lab_exchange_decrypts("1.2");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("CLIENT_RANDOM "), "{lines:?}");
}

#[test]
fn openssl_s_server_exchange_opens_decrypted_in_tshark() {
    let dir = scratch("sserver");
    let files = cert_files();
    let server = SServer::start(&["-www"]);
    let pcap = dir.join("sserver.pcapng");
    let target = format!("localhost:{}", server.port);
    let out = tlsscope(&[
        "trace",
        &target,
        "--ca",
        &files.ca.to_string_lossy(),
        "--http-get",
        "/",
        "--timeout",
        "20",
        "--pcapng",
        &pcap.to_string_lossy(),
    ]);
    // s_server -www closes without waiting for our close_notify, which may end the run either
    // way; the capture holds the exchange regardless.
    assert!(out.status.code().is_some(), "{}", text(&out.stderr));
    let all = packets(&dir, &pcap, "");
    let request = fields(&dir, &pcap, "http.request", &["http.request.uri"]);
    assert_eq!(request, vec![vec!["/".to_string()]], "{all:#?}");
    // s_server answers HTTP/1.0 with a body delimited by the end of the stream, which tshark
    // 4.0 does not reassemble over TLS; the decrypted response head shows without reassembly.
    let file = pcap.to_string_lossy();
    let response = tshark(
        &dir,
        &[
            "-r",
            &file,
            "-o",
            "http.desegment_body:FALSE",
            "-Y",
            "http.response",
            "-T",
            "fields",
            "-e",
            "http.response.code",
        ],
    );
    assert_eq!(response.trim(), "200", "{all:#?}");
    let flagged = packets(&dir, &pcap, "tcp.analysis.flags");
    assert!(flagged.is_empty(), "TCP analysis warnings: {flagged:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn traces_never_hold_secrets_or_raw_bytes() {
    let dir = scratch("no-secrets");
    let (keys, jsonl) = (dir.join("k.log"), dir.join("t.jsonl"));
    let pcap = dir.join("c.pcapng");
    let args = |format: &str, out: &Path| {
        tlsscope(&[
            "trace",
            "lab:ok",
            "--format",
            format,
            "--out",
            &out.to_string_lossy(),
            "--keylog",
            &keys.to_string_lossy(),
            "--pcapng",
            &pcap.to_string_lossy(),
        ])
    };
    let txt = dir.join("t.txt");
    for (format, path) in [("jsonl", &jsonl), ("text", &txt)] {
        let out = args(format, path);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let secrets: Vec<String> = std::fs::read_to_string(&keys)
        .expect("key log")
        .lines()
        .filter_map(|l| l.split(' ').nth(2).map(str::to_string))
        .collect();
    assert_eq!(
        secrets.len(),
        10,
        "five lines per TLS 1.3 connection, two runs"
    );
    let trace = std::fs::read_to_string(&jsonl).expect("jsonl")
        + &std::fs::read_to_string(&txt).expect("text");
    for secret in &secrets {
        assert!(!trace.contains(secret.as_str()), "a secret in the trace");
    }
    for line in std::fs::read_to_string(&jsonl).expect("jsonl").lines() {
        assert!(!line.contains("\"kind\":\"wire\"") && !line.contains("\"kind\":\"secret\""));
        assert!(
            !line.contains("User-Agent"),
            "request bytes in the trace: {line}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sslkeylogfile_is_honoured_and_announced() {
    let dir = scratch("env");
    let keys = dir.join("env.keys");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["trace", "lab:ok", "--tls-max", "1.2"])
        .env("SSLKEYLOGFILE", &keys)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.lines().next().is_some_and(|l| l
            == format!(
                "tlsscope: writing TLS session secrets to {} (SSLKEYLOGFILE is set)",
                keys.display()
            )),
        "{err}"
    );
    let log = std::fs::read_to_string(&keys).expect("key log");
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.starts_with("CLIENT_RANDOM "), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_export_file_is_a_usage_error_before_connecting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let target = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
    for flag in ["--pcapng", "--keylog"] {
        let out = tlsscope(&["trace", &target, flag, "/nonexistent-dir/file"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("/nonexistent-dir/file"), "{err}");
    }
    assert!(
        listener.accept().is_err(),
        "nothing connected before the usage error"
    );
}

#[test]
fn the_app_writes_a_decryptable_capture_and_key_log() {
    let dir = scratch("app");
    let (pcap, keys, shot) = (
        dir.join("app.pcapng"),
        dir.join("app.keys"),
        dir.join("app.png"),
    );
    // The app with a bad path: a usage error before any window (exit 1 would mean it tried).
    let out = tlsscope(&["lab:ok", "--pcapng", "/nonexistent-dir/app.pcapng"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["lab:ok", "--window", "1280x800", "--screenshot"])
        .arg(&shot)
        .arg("--pcapng")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap_or_else(|e| panic!("xvfb-run is needed (apt-get install xvfb xauth): {e}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("capture: 1 connection(s)"),
        "{}",
        text(&out.stderr)
    );
    let http = fields(
        &dir,
        &pcap,
        "http",
        &["http.request.method", "http.response.code"],
    );
    assert_eq!(
        http,
        vec![
            vec!["GET".to_string(), "".into()],
            vec!["".into(), "200".into()]
        ],
        "{:#?}",
        packets(&dir, &pcap, "")
    );
    let log = std::fs::read_to_string(&keys).expect("key log");
    assert_eq!(log.lines().count(), 5, "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
