//! Hostile input, run as a user would: a peer whose certificate names carry terminal escapes,
//! option values OpenSSL refuses, argument-parser errors and mistyped subcommands. Every run is
//! bounded in time; peers are real (Python `ssl`, the lab).

mod common;

use common::bounded::*;
use common::*;
use openssl::asn1::{Asn1Time, Asn1Type};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509NameBuilder, X509};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;
// ----- peer text reaches the terminal escaped -----

const HOSTILE_CN: &str = "\u{1b}[31mevil\nforged line";
const HOSTILE_O: &str = "\u{202e}gnp.exe";

/// A self-signed certificate whose subject carries an escape sequence, a newline and a bidi
/// override (UTF8String values: OpenSSL stores the bytes as given).
fn hostile_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let key = PKey::ec_gen("prime256v1").expect("key");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_nid_with_type(Nid::ORGANIZATIONNAME, HOSTILE_O, Asn1Type::UTF8STRING)
        .expect("O");
    name.append_entry_by_nid_with_type(Nid::COMMONNAME, HOSTILE_CN, Asn1Type::UTF8STRING)
        .expect("CN");
    let name = name.build();
    let mut cert = X509::builder().expect("builder");
    cert.set_version(2).expect("version");
    cert.set_subject_name(&name).expect("subject");
    cert.set_issuer_name(&name).expect("issuer");
    cert.set_pubkey(&key).expect("pubkey");
    cert.set_not_before(&Asn1Time::days_from_now(0).expect("now"))
        .expect("not before");
    cert.set_not_after(&Asn1Time::days_from_now(2).expect("later"))
        .expect("not after");
    cert.sign(&key, MessageDigest::sha256()).expect("sign");
    let cert_path = dir.join("hostile.pem");
    let key_path = dir.join("hostile.key");
    std::fs::write(&cert_path, cert.build().to_pem().expect("pem")).expect("write cert");
    std::fs::write(&key_path, key.private_key_to_pem_pkcs8().expect("pem")).expect("write key");
    (cert_path, key_path)
}

/// No raw control or bidi character from the peer in the output; the line holding the escaped
/// name also holds what followed its newline.
fn assert_escaped(out: &[u8], what: &str) {
    let s = text(out);
    assert!(!out.contains(&0x1b), "{what}: raw ESC in {s}");
    assert!(!s.contains('\u{202e}'), "{what}: raw RLO in {s}");
    assert!(
        !s.lines().any(|l| l.starts_with("forged line")),
        "{what}: the name's newline reached the output: {s}"
    );
}

#[test]
fn a_hostile_certificate_name_is_escaped_in_text_errors_and_verdicts() {
    let dir = scratch("names");
    let (cert, key) = hostile_certificate(&dir);

    // Verification fails (self-signed): the one-line error names the certificate.
    let peer = PyPeer::tls("no-answer", &cert, &key);
    let out = run_cli(&["trace", &peer.target(), "--timeout", "10"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_escaped(&out.stdout, "failed trace");
    assert_escaped(&out.stderr, "failed trace's error");
    let last = last_line(&out.stderr);
    assert!(
        last.starts_with("tlsscope: certificate verification failed")
            && last.contains("CN=\\x1b[31mevil\\nforged line")
            && last.contains("O=\\u{202e}gnp.exe"),
        "{last}"
    );
    drop(peer);

    // Not verified: the chain is printed, each certificate on its own line.
    let peer = PyPeer::tls("status-503", &cert, &key);
    let out = run_cli(&[
        "trace",
        &peer.target(),
        "--insecure",
        "--http-get",
        "/",
        "--timeout",
        "10",
    ]);
    assert_escaped(&out.stdout, "insecure trace");
    assert_escaped(&out.stderr, "insecure trace's error");
    let stdout = text(&out.stdout);
    let cert_line = stdout
        .lines()
        .find(|l| l.contains("cert 0:"))
        .unwrap_or_else(|| panic!("no certificate line in {stdout}"));
    assert!(
        cert_line.contains("O=\\u{202e}gnp.exe, CN=\\x1b[31mevil\\nforged line (issuer"),
        "{cert_line}"
    );
    drop(peer);

    // JSONL keeps the name as it was (JSON escapes it): nothing raw on the terminal either.
    let peer = PyPeer::tls("status-503", &cert, &key);
    let out = run_cli(&[
        "trace",
        &peer.target(),
        "--insecure",
        "--http-get",
        "/",
        "--format",
        "jsonl",
        "--timeout",
        "10",
    ]);
    assert!(!out.stdout.contains(&0x1b) && !out.stdout.contains(&b'\r'));
    let subject = text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["kind"] == "tls")
        .and_then(|v| v["chain"][0]["subject"].as_str().map(str::to_string));
    assert_eq!(
        subject.as_deref(),
        Some(format!("O={HOSTILE_O}, CN={HOSTILE_CN}").as_str())
    );
}

// ----- option values checked before connecting -----

#[test]
fn refused_option_values_are_usage_errors_before_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    listener.set_nonblocking(true).expect("non-blocking");
    let target = format!("localhost:{}", listener.local_addr().expect("addr").port());
    let files = cert_files();
    let client_cert = files.client_cert.to_string_lossy().into_owned();
    let server_key = files.key.to_string_lossy().into_owned();
    let long = "x".repeat(256);
    for (extra, named) in [
        (vec!["--ciphers", "NO-SUCH-CIPHER"], "--ciphers"),
        (
            vec!["--ciphersuites", "TLS_NO_SUCH_SUITE"],
            "--ciphersuites",
        ),
        (vec!["--alpn", long.as_str()], "--alpn"),
        (vec!["--alpn", "h2,,http/1.1"], "--alpn"),
        (
            vec!["--cert", client_cert.as_str(), "--key", server_key.as_str()],
            "--key",
        ),
    ] {
        let mut args = vec!["trace", target.as_str()];
        args.extend(extra.iter().copied());
        let out = run_cli(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let last = last_line(&out.stderr);
        assert!(
            last.starts_with(&format!("tlsscope: {named}")),
            "{args:?}: {last}"
        );
        assert!(!text(&out.stdout).contains("connect"), "{args:?} connected");
    }
    assert!(listener.accept().is_err(), "nothing connected");
}

// ----- usage errors end with one line that says why -----

#[test]
fn parser_errors_end_with_a_one_line_reason() {
    for (args, says) in [
        (
            &["trace", "localhost:1", "--sni"][..],
            "a value is required for '--sni <NAME>'",
        ),
        (
            &["trace", "localhost:1", "--bogus"],
            "unexpected argument '--bogus' found",
        ),
        (
            &["trace", "localhost:1", "--format", "xml"],
            "invalid value 'xml' for '--format",
        ),
        (
            &["trace"],
            "the following required arguments were not provided: <TARGET>",
        ),
    ] {
        let out = run_cli(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let last = last_line(&out.stderr);
        assert!(
            last.starts_with("tlsscope: ") && last.contains(says),
            "{args:?}: {last}"
        );
    }
}

#[test]
fn a_mistyped_subcommand_is_a_usage_error_with_a_suggestion() {
    for (args, says) in [
        (
            &["tarce", "lab:ok"][..],
            "tlsscope: unknown subcommand \"tarce\": did you mean `tlsscope trace`?",
        ),
        (
            &["lba"],
            "tlsscope: unknown subcommand \"lba\": did you mean `tlsscope lab`?",
        ),
        (
            &["frobnicate"],
            "tlsscope: not a target: \"frobnicate\": expected HOST:PORT, [IPv6]:PORT or lab:NAME",
        ),
        (
            &["--insecure", "frobnicate"],
            "tlsscope: not a target: \"frobnicate\"",
        ),
        (
            &["localhost:70000"],
            "port \"70000\" is not a number from 1 to 65535",
        ),
    ] {
        // No display is needed: these never get as far as opening a window.
        let (out, ended) = run_bounded(
            args,
            &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")],
            Duration::from_secs(20),
        );
        assert!(ended);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(last_line(&out.stderr).contains(says), "{args:?}: {err}");
        assert!(
            !err.contains(".rs:") && !err.contains("/.cargo/"),
            "{args:?}: {err}"
        );
    }
}
