//! Shared test helpers: runtime certificates on disk, the system's `openssl s_server` as a
//! peer (and `gnutls-serv`), and running the engine to the end of one connection.
#![allow(dead_code, unreachable_pub)] // each test crate uses a different subset; pub for all of them

pub mod bounded;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use tlsscope::lab::Pki;
use tlsscope::probe::{ConnectSpec, Engine, EngineOptions, Target};
use tlsscope::trace::*;

/// Certificates of the lab PKI written to a per-process folder under target/ (not the shared
/// /tmp, where another user could plant a symlink at a predictable name).
pub struct CertFiles {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

pub fn cert_files() -> CertFiles {
    let pki = Pki::shared().expect("generate lab PKI");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tlsscope-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Tests of one crate run in parallel and share these files: each is written aside and
    // renamed into place, so a reader never sees one half written.
    let write = |name: &str, data: Vec<u8>| {
        let path = dir.join(name);
        let aside = dir.join(format!("{name}.{:?}", std::thread::current().id()));
        std::fs::write(&aside, data).expect("write cert file");
        std::fs::rename(&aside, &path).expect("rename cert file");
        path
    };
    CertFiles {
        ca: write("ca.pem", pki.ca_pem()),
        cert: write("server.pem", pki.server.chain_pem().expect("server chain")),
        key: write("server.key", pki.server.key_pem().expect("server key")),
        client_cert: write("client.pem", pki.client.chain_pem().expect("client chain")),
        client_key: write("client.key", pki.client.key_pem().expect("client key")),
        dir,
    }
}

/// A running `openssl s_server` on an ephemeral loopback port; killed on drop.
pub struct SServer {
    child: Child,
    /// Kept open for the server's whole life: s_server quits when its standard input ends.
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    pub port: u16,
}

impl SServer {
    /// Starts `openssl s_server` with the lab's server certificate and `extra` arguments.
    pub fn start(extra: &[&str]) -> SServer {
        let files = cert_files();
        SServer::start_with(&files.cert, &files.key, extra)
    }

    /// Starts `openssl s_server` with the certificate chain and key in these files.
    pub fn start_with(cert: &std::path::Path, key: &std::path::Path, extra: &[&str]) -> SServer {
        let mut child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", "127.0.0.1:0", "-cert"])
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        let stdout = child.stdout.take().expect("s_server stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("ACCEPT ") {
                    let _ = tx.send(addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()));
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(10))
            .ok()
            .flatten()
            .expect("s_server printed its port");
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        SServer { child, stdin, port }
    }

    /// Types a command on s_server's standard input (e.g. "r" to renegotiate).
    pub fn type_line(&mut self, line: &str) {
        type_into(&self.stdin, line);
    }

    /// Types `line` on s_server's standard input a few times over the next second, from another
    /// thread: s_server refuses a command while its handshake is still finishing, and the
    /// client's view of "handshake done" can come a moment before the server's.
    pub fn type_repeatedly(&mut self, line: &'static str) {
        let stdin = self.stdin.clone();
        std::thread::spawn(move || {
            for delay_ms in [50u64, 250, 600] {
                std::thread::sleep(Duration::from_millis(delay_ms));
                type_into(&stdin, line);
            }
        });
    }

    pub fn target(&self) -> Target {
        Target {
            host: "localhost".into(),
            port: self.port,
        }
    }
}

/// Writes `line` and its newline in one write: s_server takes a command only when it arrives as
/// a line of its own (`writeln!` would write the text and the newline separately).
fn type_into(stdin: &Mutex<Option<ChildStdin>>, line: &str) {
    if let Ok(mut guard) = stdin.lock() {
        if let Some(stdin) = guard.as_mut() {
            let _ = stdin.write_all(format!("{line}\n").as_bytes());
            let _ = stdin.flush();
        }
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A spec for `target` that trusts the lab CA, with a bounded whole-connection timeout.
pub fn lab_trusting_spec(target: Target) -> ConnectSpec {
    let mut spec = ConnectSpec::new(target);
    spec.ca_pem = Some(Pki::shared().expect("pki").ca_pem());
    spec.timeout = Some(Duration::from_secs(20));
    spec
}

/// Runs one connection to its end, calling `on_event` for each event as it arrives (so a test
/// can react, e.g. type into s_server once the handshake is done). Bounded by 30 s.
pub fn run_with(spec: ConnectSpec, mut on_event: impl FnMut(&Event)) -> Vec<Event> {
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let mut all = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let Ok(batch) = engine.events().recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        for e in &batch {
            on_event(e);
        }
        let closed = batch
            .iter()
            .any(|e| e.conn == id && matches!(e.kind, EventKind::Close(_)));
        all.extend(batch);
        if closed {
            return all;
        }
    }
    panic!(
        "connection did not close within 30 s; events so far: {}",
        all.len()
    );
}

pub fn run(spec: ConnectSpec) -> Vec<Event> {
    run_with(spec, |_| {})
}

// ----- queries over recorded events -----

/// The values `pick` finds in the events, in order.
pub fn picked<T>(events: &[Event], pick: impl Fn(&EventKind) -> Option<T>) -> Vec<T> {
    events.iter().filter_map(|e| pick(&e.kind)).collect()
}

pub fn calls(events: &[Event]) -> Vec<Call> {
    picked(events, |k| {
        if let EventKind::Call(c) = k {
            Some(*c)
        } else {
            None
        }
    })
}

pub fn ios_in(events: &[Event], call: CallId) -> Vec<Io> {
    picked(events, |k| match k {
        EventKind::Io(io) if io.call() == Some(call) => Some(*io),
        _ => None,
    })
}

pub fn msgs(events: &[Event]) -> Vec<Msg> {
    picked(events, |k| {
        if let EventKind::Msg(m) = k {
            Some(*m)
        } else {
            None
        }
    })
}

pub fn msgs_in(events: &[Event], call: CallId) -> Vec<Msg> {
    msgs(events)
        .into_iter()
        .filter(|m| m.call() == Some(call))
        .collect()
}

pub fn states(events: &[Event]) -> Vec<&'static str> {
    picked(events, |k| {
        if let EventKind::State(s) = k {
            Some(s.text())
        } else {
            None
        }
    })
}

pub fn tls_infos(events: &[Event]) -> Vec<TlsInfo> {
    picked(events, |k| {
        if let EventKind::Tls(t) = k {
            Some((**t).clone())
        } else {
            None
        }
    })
}

pub fn close(events: &[Event]) -> Close {
    events
        .iter()
        .rev()
        .find_map(|e| {
            if let EventKind::Close(c) = e.kind {
                Some(c)
            } else {
                None
            }
        })
        .expect("a close event")
}

pub fn error_message(events: &[Event]) -> Option<String> {
    events.iter().rev().find_map(|e| {
        if let EventKind::Error(m) = &e.kind {
            Some(m.to_string())
        } else {
            None
        }
    })
}

pub fn has_msg(msgs: &[Msg], dir: MsgDir, content: u8, msg_type: u8) -> bool {
    msgs.iter()
        .any(|m| m.dir == dir && m.content == content && m.msg_type == msg_type)
}

/// Describes the events for assertion messages.
pub fn dump(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| format!("{:>10} {}", e.t, text::describe(e)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub const HANDSHAKE: u8 = 22;
pub const CLIENT_HELLO: u8 = 1;
pub const SERVER_HELLO: u8 = 2;
pub const NEW_SESSION_TICKET: u8 = 4;
pub const KEY_UPDATE: u8 = 24;
pub const HELLO_REQUEST: u8 = 0;

/// Running the `tlsscope` binary as a user does, and files for it in this process's folder.
/// A running `gnutls-serv` with the lab's certificate on a free loopback port; killed on drop.
pub struct GnutlsServ {
    child: std::process::Child,
    pub port: u16,
}

impl GnutlsServ {
    pub fn start(extra: &[&str]) -> GnutlsServ {
        let files = cert_files();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("gnutls-serv")
            .args(["-p", &port.to_string()])
            .args(extra)
            .arg("--x509certfile")
            .arg(&files.cert)
            .arg("--x509keyfile")
            .arg(&files.key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnutls-serv (package gnutls-bin)");
        // Bounded wait for it to listen.
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        GnutlsServ { child, port }
    }
}

impl Drop for GnutlsServ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub mod programs;
pub mod run;
pub mod verdict;
