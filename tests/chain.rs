//! The chain explained and OCSP stapling, against `openssl s_server` with a PKI made here at
//! runtime (root → intermediate → leaf, a leaf for another host, OCSP responses made with
//! `openssl ocsp`): a missing intermediate and a wrong host are named in the text, the JSONL
//! and the verdict although the handshake failed; `--status` shows good, revoked, and "no
//! response stapled".

mod common;

use common::bounded::run_cli;
use common::run::text;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const EXTENSIONS: &str = "\
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
authorityInfoAccess=OCSP;URI:http://ocsp.test.invalid,caIssuers;URI:http://ca.test.invalid/inter.der
[other]
basicConstraints=CA:FALSE
subjectAltName=DNS:other.example,DNS:www.other.example
";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// A fresh PKI in its own folder: root, intermediate, leaf (localhost) and other (other.example).
fn pki(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chain-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("pki dir");
    std::fs::write(dir.join("ext.cnf"), EXTENSIONS).expect("ext.cnf");
    let key = |name: &str, subject: &str| {
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                subject,
            ],
        )
    };
    let sign = |name: &str, ca: &str, ext: &str| {
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-extensions",
                ext,
            ],
        )
    };
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-subj",
            "/CN=Chain Test Root",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    key("inter", "/CN=Chain Test Intermediate");
    sign("inter", "root", "ca");
    key("leaf", "/CN=localhost");
    sign("leaf", "inter", "leaf");
    key("other", "/CN=other.example");
    sign("other", "root", "other");
    dir
}

/// `openssl s_server` serving `cert` (with `extra` arguments), on an ephemeral port; killed on
/// drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, cert: &str, key: &str, extra: &[&str]) -> Server {
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args([
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-www",
                "-cert",
                cert,
                "-key",
                key,
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s_server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("ACCEPT ") {
                    let _ = tx.send(addr.rsplit(':').next().and_then(|p| p.parse().ok()));
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(10))
            .ok()
            .flatten()
            .expect("s_server printed its port");
        Server { child, port }
    }

    fn target(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The JSONL trace of one run: its lines, parsed.
fn jsonl(target: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["trace", target, "--format", "jsonl"];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn kind<'a>(lines: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

#[test]
fn a_missing_intermediate_is_named_and_the_chain_shown() {
    let dir = pki("missing");
    // The server sends the leaf alone; the client trusts the root.
    let server = Server::start(&dir, "leaf.pem", "leaf.key", &[]);
    let ca = path(&dir, "root.pem");
    let out = run_cli(&["trace", &server.target(), "--ca", &ca]);
    assert!(!out.status.success());
    let out = text(&out.stdout);
    assert!(
        out.contains("chain verification failed: unable to get local issuer certificate"),
        "{out}"
    );
    assert!(
        out.contains("cert 0: CN=localhost (issuer CN=Chain Test Intermediate;"),
        "{out}"
    );
    assert!(out.contains("names localhost, 127.0.0.1; signed ecdsa-with-SHA256; usage digitalSignature, serverAuth; OCSP http://ocsp.test.invalid; CA Issuers http://ca.test.invalid/inter.der"), "{out}");
    assert!(out.contains("✗ missing intermediate: certificate 0 (CN=localhost) was issued by CN=Chain Test Intermediate, which the server did not send"), "{out}");
    assert!(out.contains("verdict verify-failed"), "{out}");
    let evidence = out.split("diagnosis:").nth(1).unwrap_or_default();
    assert!(
        evidence
            .contains("- certificate 0 (CN=localhost) was issued by CN=Chain Test Intermediate")
            && evidence.contains("http://ca.test.invalid/inter.der"),
        "{evidence}"
    );
    assert!(
        evidence.contains("must send its intermediate"),
        "{evidence}"
    );

    let lines = jsonl(&server.target(), &["--ca", &ca]);
    let chain = kind(&lines, "chain");
    assert_eq!(chain.len(), 1, "{lines:?}");
    assert_eq!(chain[0]["failure"]["code"], 20);
    assert_eq!(chain[0]["certs"][0]["subject"], "CN=localhost");
    assert_eq!(
        chain[0]["certs"][0]["ca_issuers"][0],
        "http://ca.test.invalid/inter.der"
    );
    assert!(
        kind(&lines, "tls").is_empty(),
        "no tls event: the handshake failed"
    );

    // With the intermediate sent, the same client verifies: the chain is then in the tls event.
    let whole = Server::start(&dir, "leaf.pem", "leaf.key", &["-cert_chain", "inter.pem"]);
    let lines = jsonl(&whole.target(), &["--ca", &ca]);
    let tls = kind(&lines, "tls");
    assert_eq!(tls.len(), 1, "{lines:?}");
    assert_eq!(tls[0]["verify"], "ok");
    assert_eq!(tls[0]["chain"][1]["subject"], "CN=Chain Test Intermediate");
    assert_eq!(tls[0]["chain"][1]["key_usage"][0], "keyCertSign");
    assert!(kind(&lines, "chain").is_empty());
}

#[test]
fn a_wrong_host_lists_the_names_the_certificate_is_valid_for() {
    let dir = pki("host");
    let server = Server::start(&dir, "other.pem", "other.key", &[]);
    let ca = path(&dir, "root.pem");
    let out = run_cli(&["trace", &server.target(), "--ca", &ca]);
    let out = text(&out.stdout);
    let named = "certificate 0 (CN=other.example) is valid for: other.example, www.other.example — not for localhost";
    assert!(
        out.contains(&format!("✗ host name mismatch: {named}")),
        "{out}"
    );
    let evidence = out.split("diagnosis:").nth(1).unwrap_or_default();
    assert!(
        evidence.contains("verify-failed") && evidence.contains(named),
        "{evidence}"
    );
    let lines = jsonl(&server.target(), &["--ca", &ca]);
    let chain = kind(&lines, "chain");
    assert_eq!(chain[0]["host"], "localhost");
    assert_eq!(chain[0]["certs"][0]["sans"][1], "www.other.example");
}

#[test]
fn an_expired_lab_certificate_is_named_with_its_date() {
    let out = run_cli(&["trace", "lab:bad-cert-expired"]);
    let out = text(&out.stdout);
    let line = out
        .lines()
        .find(|l| l.contains("✗ expired: certificate 0"))
        .unwrap_or_else(|| panic!("no expired line: {out}"));
    assert!(line.contains("expired on "), "{line}");
    assert!(
        out.contains("chain verification failed: certificate has expired"),
        "{out}"
    );
}

/// `openssl ocsp` makes a response for the leaf from an index in `openssl ca` format: `V` for
/// good, `R` for revoked.
fn ocsp_response(dir: &Path, revoked: bool, out: &str) {
    let serial = Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-in", "leaf.pem", "-noout", "-serial"])
        .output()
        .expect("serial");
    let serial = text(&serial.stdout);
    let serial = serial.trim().trim_start_matches("serial=");
    let line = if revoked {
        format!("R\t301231000000Z\t250101000000Z\t{serial}\tunknown\t/CN=localhost\n")
    } else {
        format!("V\t301231000000Z\t\t{serial}\tunknown\t/CN=localhost\n")
    };
    std::fs::write(dir.join("index.txt"), line).expect("index");
    openssl(
        dir,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "inter.pem",
            "-rkey",
            "inter.key",
            "-CA",
            "inter.pem",
            "-issuer",
            "inter.pem",
            "-cert",
            "leaf.pem",
            "-respout",
            out,
            "-ndays",
            "1",
        ],
    );
}

fn stapled(dir: &Path, status_file: Option<&str>) -> serde_json::Value {
    let mut extra = vec!["-cert_chain", "inter.pem"];
    if let Some(file) = status_file {
        extra.extend(["-status_file", file]);
    }
    let server = Server::start(dir, "leaf.pem", "leaf.key", &extra);
    let ca = path(dir, "root.pem");
    let lines = jsonl(
        &server.target(),
        &["--ca", &ca, "--status", "--http-get", "/"],
    );
    let tls = kind(&lines, "tls");
    assert_eq!(tls.len(), 1, "{lines:?}");
    let verdict = kind(&lines, "verdict");
    assert_eq!(verdict.len(), 1);
    let mut ocsp = tls[0]["ocsp"].clone();
    ocsp["verdict"] = verdict[0]["class"].clone();
    ocsp
}

#[test]
fn status_shows_good_revoked_and_none() {
    let dir = pki("ocsp");
    ocsp_response(&dir, false, "good.der");
    ocsp_response(&dir, true, "revoked.der");

    let good = stapled(&dir, Some("good.der"));
    assert_eq!(good["status"], "good", "{good}");
    assert_eq!(good["verified"], "verified", "{good}");
    for field in ["produced_at", "this_update", "next_update"] {
        assert!(
            good[field].as_str().is_some_and(|d| d.ends_with("GMT")),
            "{good}"
        );
    }
    assert_eq!(good["responder"], "CN=Chain Test Intermediate", "{good}");
    assert_eq!(good["verdict"], "healthy", "{good}");

    let revoked = stapled(&dir, Some("revoked.der"));
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    assert!(
        revoked["revoked_at"]
            .as_str()
            .is_some_and(|d| d.contains("2025")),
        "{revoked}"
    );
    assert_eq!(revoked["verdict"], "cert-revoked", "{revoked}");

    let none = stapled(&dir, None);
    assert_eq!(none["status"], "no response stapled", "{none}");
    assert_eq!(none["verdict"], "healthy", "{none}");

    // And in the text trace.
    let server = Server::start(
        &dir,
        "leaf.pem",
        "leaf.key",
        &["-cert_chain", "inter.pem", "-status_file", "good.der"],
    );
    let ca = path(&dir, "root.pem");
    let out = text(&run_cli(&["trace", &server.target(), "--ca", &ca, "--status"]).stdout);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("ocsp "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("ocsp good (produced ")
            && line.ends_with("responder CN=Chain Test Intermediate; verified)"),
        "{line}"
    );
}
