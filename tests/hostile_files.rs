//! Hostile files, run as a user would: files that never end (`/dev/zero`, a pipe), encrypted
//! keys (tlsscope must never prompt), and the lab's own files and addresses (private, removed on
//! SIGTERM; no remote address without --allow-remote). Every run is bounded in time.

mod common;

use common::bounded::*;
use common::*;
use std::io::BufRead;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
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
        // A bad file is bad input: a usage error (status 2), for the app's --open too.
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let last = last_line(&out.stderr);
        assert!(last.ends_with(reason), "{args:?}: {last}");
    }
}

/// An encrypted key made by the `openssl` command, with a certificate for it.
fn encrypted_identity(dir: &Path) -> (String, String) {
    let key = dir.join("enc.key");
    let cert = dir.join("enc.pem");
    let ok = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-aes256", "-pass", "pass:sesame", "-out"])
        .arg(&key)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "openssl genpkey");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-subj",
            "/CN=tlsscope test client",
            "-days",
            "2",
        ])
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
        &[
            "trace",
            "lab:ok",
            "--cert",
            &cert,
            "--key",
            &key,
            "--key-pass",
            "pass:wrong",
        ],
        &[],
        Duration::from_secs(20),
    );
    assert!(
        ended && out.status.code() == Some(2),
        "{}",
        text(&out.stderr)
    );
    assert!(last_line(&out.stderr).contains("the passphrase does not decrypt"));
    // With its passphrase (from the environment) the key loads and the trace runs.
    let (out, ended) = run_bounded(
        &[
            "trace",
            "lab:ok",
            "--cert",
            &cert,
            "--key",
            &key,
            "--key-pass",
            "env:TLSSCOPE_PASS",
        ],
        &[("TLSSCOPE_PASS", "sesame")],
        Duration::from_secs(60),
    );
    assert!(ended, "trace with --key-pass did not end");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("client-cert=yes"));
}

// ----- the lab's files and addresses -----

#[test]
fn the_lab_refuses_remote_addresses_and_ports_past_65535() {
    for (listen, says) in [
        ("0.0.0.0:0", "not a loopback address"),
        (
            "127.0.0.1:70000",
            "expected IP:PORT with a port from 0 to 65535",
        ),
        ("127.0.0.1:65530", "past 65535"),
    ] {
        let out = run_cli(&["lab", "--listen", listen, "--duration", "1"]);
        assert_eq!(out.status.code(), Some(2), "{listen}");
        let last = last_line(&out.stderr);
        assert!(last.contains(says), "{listen}: {last}");
    }
}

/// A negative duration reaches the option's own check, not clap's "unexpected argument '-1'".
#[test]
fn a_negative_lab_duration_names_the_option() {
    let out = run_cli(&["lab", "--duration", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let last = last_line(&out.stderr);
    assert!(
        last.contains("--duration") && last.contains("between 0"),
        "{last}"
    );
}

#[test]
fn the_lab_keeps_its_key_private_and_removes_it_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;
    let mut lab = Reaped(
        Command::new(BIN)
            .args(["lab", "--scenario", "ok", "--duration", "60"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run tlsscope lab"),
    );
    let child = &mut lab.0;
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
            let (ca, rest) = rest
                .split_once("; the lab's client certificate and key are ")
                .expect("paths");
            let (cert, key) = rest
                .trim_end_matches('.')
                .split_once(" and ")
                .expect("two paths");
            paths = Some([ca, cert, key].map(PathBuf::from));
        }
    }
    let Some(paths) = paths else {
        panic!("the lab did not print its files");
    };
    let dir = paths[2].parent().expect("a folder").to_path_buf();
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
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
        panic!("the lab did not end on SIGTERM");
    };
    assert_eq!(status.code(), Some(0));
    assert!(!dir.exists(), "{} left behind", dir.display());
}
