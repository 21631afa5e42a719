//! Hostile input, run as a user would: a peer whose certificate names carry terminal escapes,
//! files that never end (`/dev/zero`), encrypted keys, option values OpenSSL refuses, mistyped
//! subcommands, the lab's private files, and how a peer's half-close maps to the exit status.
//! Every run is bounded in time; peers are real (Python `ssl`, rust-openssl, the lab).

mod common;

use common::*;
use openssl::asn1::{Asn1Time, Asn1Type};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslMethod, SslStream};
use openssl::x509::{X509NameBuilder, X509};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tlsscope");

/// Runs tlsscope with `args`, standard input a pipe that stays open (so a prompt would wait for
/// ever), killed after `limit`: returns the output and whether it ended by itself.
fn run_bounded(args: &[&str], env: &[(&str, &str)], limit: Duration) -> (Output, bool) {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlsscope");
    let stdin = child.stdin.take();
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let reader = |pipe: Option<std::process::ChildStdout>| {
        std::thread::spawn(move || {
            let mut data = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut data);
            }
            data
        })
    };
    let out = reader(out);
    let err = std::thread::spawn(move || {
        let mut data = Vec::new();
        if let Some(mut p) = err {
            let _ = p.read_to_end(&mut data);
        }
        data
    });
    let end = Instant::now() + limit;
    let mut ended = false;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            ended = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !ended {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    drop(stdin);
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    (output, ended)
}

fn run(args: &[&str]) -> Output {
    let (out, ended) = run_bounded(args, &[], Duration::from_secs(60));
    assert!(ended, "tlsscope {args:?} did not end within 60 s");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn last_line(bytes: &[u8]) -> String {
    text(bytes).lines().last().unwrap_or("").to_string()
}

/// A private folder for one test's files (under target/, not /tmp).
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A Python peer from tests/peers/, killed when dropped.
struct PyPeer {
    child: Child,
    port: u16,
}

impl PyPeer {
    fn tls(mode: &str, cert: &Path, key: &Path) -> PyPeer {
        let script = format!("{}/tests/peers/tls_peer.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("python3")
            .arg(script)
            .arg(mode)
            .arg(cert)
            .arg(key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the peer's port");
        let port = line.trim().parse().expect("a port number");
        PyPeer { child, port }
    }

    fn target(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let out = run(&["trace", &peer.target(), "--timeout", "10"]);
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
    let out = run(&["trace", &peer.target(), "--insecure", "--http-get", "/", "--timeout", "10"]);
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
    let out = run(&[
        "trace", &peer.target(), "--insecure", "--http-get", "/", "--format", "jsonl",
        "--timeout", "10",
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

// ----- files that never end, keys that ask for a passphrase -----

#[test]
fn devices_and_pipes_are_refused_at_once() {
    let dir = scratch("devices");
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let fifo = fifo.to_string_lossy().into_owned();
    let files = cert_files();
    let key = files.client_key.to_string_lossy().into_owned();
    let cert = files.client_cert.to_string_lossy().into_owned();
    for (args, reason) in [
        (
            vec!["trace", "127.0.0.1:1", "--ca", "/dev/zero"],
            "tlsscope: cannot read CA file /dev/zero: it is a character device, not a regular file",
        ),
        (
            vec!["trace", "127.0.0.1:1", "--cert", "/dev/zero", "--key", &key],
            "tlsscope: cannot read certificate file /dev/zero: it is a character device, not a regular file",
        ),
        (
            vec!["trace", "127.0.0.1:1", "--cert", &cert, "--key", &fifo],
            "it is a pipe, not a regular file",
        ),
        (
            vec!["--open", "/dev/zero"],
            "tlsscope: cannot read trace file /dev/zero: it is a character device, not a regular file",
        ),
    ] {
        let (out, ended) = run_bounded(&args, &[], Duration::from_secs(20));
        assert!(ended, "{args:?} still reading after 20 s");
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let last = last_line(&out.stderr);
        assert!(last.ends_with(reason), "{args:?}: {last}");
    }
}

/// An encrypted key made by the `openssl` command, with a certificate for it.
fn encrypted_identity(dir: &Path) -> (String, String) {
    let key = dir.join("enc.key");
    let cert = dir.join("enc.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])
        .args(["-aes256", "-pass", "pass:sesame", "-out"])
        .arg(&key)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "openssl genpkey");
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-subj", "/CN=tlsscope test client", "-days", "2"])
        .args(["-passin", "pass:sesame", "-key"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "openssl req");
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

#[test]
fn an_encrypted_key_never_prompts() {
    let dir = scratch("enc");
    let (cert, key) = encrypted_identity(&dir);
    // Standard input is a pipe that never closes: a prompt would wait until the kill.
    let (out, ended) = run_bounded(
        &["trace", "lab:ok", "--cert", &cert, "--key", &key],
        &[],
        Duration::from_secs(20),
    );
    assert!(ended, "waited for a passphrase");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        last_line(&out.stderr),
        format!(
            "tlsscope: the key in {key} is encrypted; give its passphrase with --key-pass \
             env:VAR, --key-pass file:PATH or --key-pass pass:TEXT"
        )
    );
    let (out, ended) = run_bounded(
        &["trace", "lab:ok", "--cert", &cert, "--key", &key, "--key-pass", "pass:wrong"],
        &[],
        Duration::from_secs(20),
    );
    assert!(ended && out.status.code() == Some(2), "{}", text(&out.stderr));
    assert!(last_line(&out.stderr).contains("the passphrase does not decrypt"));
    // With its passphrase (from the environment) the key loads and the trace runs.
    let (out, ended) = run_bounded(
        &[
            "trace", "lab:ok", "--cert", &cert, "--key", &key, "--key-pass", "env:TLSSCOPE_PASS",
        ],
        &[("TLSSCOPE_PASS", "sesame")],
        Duration::from_secs(60),
    );
    assert!(ended, "trace with --key-pass did not end");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("client-cert=yes"));
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
        (vec!["--ciphersuites", "TLS_NO_SUCH_SUITE"], "--ciphersuites"),
        (vec!["--alpn", long.as_str()], "--alpn"),
        (vec!["--alpn", "h2,,http/1.1"], "--alpn"),
        (vec!["--cert", client_cert.as_str(), "--key", server_key.as_str()], "--key"),
    ] {
        let mut args = vec!["trace", target.as_str()];
        args.extend(extra.iter().copied());
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let last = last_line(&out.stderr);
        assert!(last.starts_with(&format!("tlsscope: {named}")), "{args:?}: {last}");
        assert!(!text(&out.stdout).contains("connect"), "{args:?} connected");
    }
    assert!(listener.accept().is_err(), "nothing connected");
}

// ----- usage errors end with one line that says why -----

#[test]
fn parser_errors_end_with_a_one_line_reason() {
    for (args, says) in [
        (&["trace", "localhost:1", "--sni"][..], "a value is required for '--sni <NAME>'"),
        (&["trace", "localhost:1", "--bogus"], "unexpected argument '--bogus' found"),
        (&["trace", "localhost:1", "--format", "xml"], "invalid value 'xml' for '--format"),
        (&["trace"], "the following required arguments were not provided: <TARGET>"),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let last = last_line(&out.stderr);
        assert!(last.starts_with("tlsscope: ") && last.contains(says), "{args:?}: {last}");
    }
}

#[test]
fn a_mistyped_subcommand_is_a_usage_error_with_a_suggestion() {
    for (args, says) in [
        (&["tarce", "lab:ok"][..], "tlsscope: unknown subcommand \"tarce\": did you mean `tlsscope trace`?"),
        (&["lba"], "tlsscope: unknown subcommand \"lba\": did you mean `tlsscope lab`?"),
        (&["frobnicate"], "tlsscope: not a target: \"frobnicate\": expected HOST:PORT, [IPv6]:PORT or lab:NAME"),
        (&["--insecure", "frobnicate"], "tlsscope: not a target: \"frobnicate\""),
        (&["localhost:70000"], "port \"70000\" is not a number from 1 to 65535"),
    ] {
        // No display is needed: these never get as far as opening a window.
        let (out, ended) = run_bounded(args, &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "")], Duration::from_secs(20));
        assert!(ended);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(last_line(&out.stderr).contains(says), "{args:?}: {err}");
        assert!(!err.contains(".rs:") && !err.contains("/.cargo/"), "{args:?}: {err}");
    }
}

// ----- the lab's files and addresses -----

#[test]
fn the_lab_refuses_remote_addresses_and_ports_past_65535() {
    for (listen, says) in [
        ("0.0.0.0:0", "not a loopback address"),
        ("127.0.0.1:70000", "expected IP:PORT with a port from 0 to 65535"),
        ("127.0.0.1:65530", "past 65535"),
    ] {
        let out = run(&["lab", "--listen", listen, "--duration", "1"]);
        assert_eq!(out.status.code(), Some(2), "{listen}");
        let last = last_line(&out.stderr);
        assert!(last.contains(says), "{listen}: {last}");
    }
}

#[test]
fn the_lab_keeps_its_key_private_and_removes_it_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;
    let mut child = Command::new(BIN)
        .args(["lab", "--scenario", "ok", "--duration", "60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run tlsscope lab");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut paths = None;
    let end = Instant::now() + Duration::from_secs(30);
    while paths.is_none() && Instant::now() < end {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        // "The lab CA is CA; the lab's client certificate and key are CERT and KEY."
        if let Some(rest) = line.strip_prefix("The lab CA is ") {
            let (ca, rest) = rest.split_once("; the lab's client certificate and key are ").expect("paths");
            let (cert, key) = rest.trim_end_matches('.').split_once(" and ").expect("two paths");
            paths = Some([ca, cert, key].map(PathBuf::from));
        }
    }
    let Some(paths) = paths else {
        let _ = child.kill();
        panic!("the lab did not print its files");
    };
    let dir = paths[2].parent().expect("a folder").to_path_buf();
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    for p in &paths {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(killed, "kill -TERM");
    let end = Instant::now() + Duration::from_secs(20);
    let mut status = None;
    while status.is_none() && Instant::now() < end {
        status = child.try_wait().ok().flatten();
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the lab did not end on SIGTERM");
    };
    assert_eq!(status.code(), Some(0));
    assert!(!dir.exists(), "{} left behind", dir.display());
}

// ----- a peer that closes its side during an upload -----

/// A rust-openssl server that reads 64 KiB of an upload, sends close_notify (a TLS half-close),
/// then reads on until the client's close_notify. One connection; bounded by read timeouts.
fn notify_peer() -> (u16, std::thread::JoinHandle<()>) {
    let pki = tlsscope::lab::Pki::shared().expect("lab PKI");
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).expect("acceptor");
    let chain = X509::stack_from_pem(&pki.server.chain_pem().expect("chain")).expect("certs");
    let mut chain = chain.into_iter();
    acceptor.set_certificate(&chain.next().expect("leaf")).expect("cert");
    for c in chain {
        acceptor.add_extra_chain_cert(c).expect("chain cert");
    }
    let key = PKey::private_key_from_pem(&pki.server.key_pem().expect("key")).expect("key");
    acceptor.set_private_key(&key).expect("key");
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let serve = std::thread::spawn(move || {
        let Ok((socket, _)) = listener.accept() else { return };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(15)));
        let _ = socket.set_write_timeout(Some(Duration::from_secs(15)));
        let Ok(mut tls): Result<SslStream<_>, _> = acceptor.accept(socket) else { return };
        let mut buf = [0u8; 16384];
        let mut got = 0;
        while got < 65536 {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
        let _ = tls.shutdown();
        // Until the client's close_notify (0) or an error; bounded by the read timeout.
        while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tls.shutdown();
    });
    (port, serve)
}

/// The README's rule: a peer that ends its side without close_notify fails the run (1) and one
/// that sends close_notify does not (0), whether or not a read phase follows the upload.
#[test]
fn a_half_close_during_an_upload_has_one_exit_status_with_or_without_a_read_phase() {
    let files = cert_files();
    let ca = files.ca.to_string_lossy().into_owned();
    for read_for in [None, Some("3")] {
        // A bare TCP FIN after 64 KiB; a small send buffer keeps us writing when it arrives.
        let peer = PyPeer::tls("upload-halfclose", &files.cert, &files.key);
        let target = peer.target();
        let mut args = vec!["trace", &target, "--ca", &ca, "--sndbuf", "16K", "--upload", "4M", "--timeout", "20"];
        args.extend(read_for.iter().flat_map(|s| ["--read-for", *s]));
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "FIN, --read-for {read_for:?}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("close eof"), "{}", text(&out.stdout));
        assert!(last_line(&out.stderr).contains("without close_notify"), "{}", text(&out.stderr));

        // close_notify after 64 KiB, then reading on.
        let (port, serve) = notify_peer();
        let target = format!("localhost:{port}");
        let mut args = vec!["trace", &target, "--ca", &ca, "--upload", "1M", "--timeout", "20"];
        args.extend(read_for.iter().flat_map(|s| ["--read-for", *s]));
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "close_notify, --read-for {read_for:?}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("received: yes"), "{}", text(&out.stdout));
        let _ = serve.join();
    }
}
