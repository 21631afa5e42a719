//! `tlsscope run` on a server that forks a child per connection (tests/peers/forking_server.py,
//! Python's ssl): each child's accepted connection is traced as its own connection, named by the
//! child's pid, with the server side's calls, and the server's exit status is passed through.

mod common;

use common::programs::{jsonl, of_kind};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn each_child_of_a_forking_server_is_traced_as_its_own_connection() {
    if Command::new("python3")
        .args(["-c", "import ssl"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: no python3 with ssl");
        return;
    }
    let certs = cert_files();
    let trace = certs.dir.join("forking-server.jsonl");
    let script = format!(
        "{}/tests/peers/forking_server.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let (cert, key) = (certs.cert.to_string_lossy(), certs.key.to_string_lossy());
    let out = trace.to_string_lossy();
    let args = ["run", "--format", "jsonl", "--out", &out, "--", "python3"];
    let mut server = Reaped(
        Command::new(env!("CARGO_BIN_EXE_tlsscope"))
            .args(args)
            .args([script.as_str(), &cert, &key, "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tlsscope run"),
    );
    // The server's own standard output (shared with tlsscope's): its port first.
    let mut port = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut port)
        .expect("the server's port");
    let target = format!("localhost:{}", port.trim());
    let ca = certs.ca.to_string_lossy();
    for i in 0..2 {
        let client = run::tlsscope(&["trace", &target, "--ca", &ca, "--send", "hello\n"]);
        assert!(
            client.status.success(),
            "client {i}: {}",
            run::text(&client.stderr)
        );
    }
    // The parent exits once both children did.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait for tlsscope run") {
            break status;
        }
        assert!(Instant::now() < deadline, "the forking server did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "the server's status passes through");

    let text = std::fs::read_to_string(&trace).expect("the trace file");
    let events = jsonl(&text);
    let programs = of_kind(&events, "program");
    assert_eq!(programs.len(), 2, "one connection per child:\n{text}");
    let pids: BTreeSet<u64> = programs.iter().filter_map(|p| p["pid"].as_u64()).collect();
    assert_eq!(pids.len(), 2, "each child is its own process:\n{text}");
    let server_pid = u64::from(server.0.id());
    assert!(
        !pids.contains(&server_pid),
        "tlsscope's own pid is not a child"
    );
    for p in &programs {
        let conn = &p["conn"];
        let of_conn: Vec<&Value> = events.iter().filter(|e| &e["conn"] == conn).collect();
        let ops: Vec<&str> = of_conn
            .iter()
            .filter(|e| e["kind"] == "call")
            .filter_map(|e| e["op"].as_str())
            .collect();
        // Python's ssl accepts with SSL_do_handshake and moves data with the _ex calls.
        assert!(ops.contains(&"SSL_do_handshake"), "{ops:?}");
        assert!(ops.contains(&"SSL_read_ex"), "{ops:?}");
        assert!(ops.contains(&"SSL_write_ex"), "{ops:?}");
        let closes: Vec<&&Value> = of_conn.iter().filter(|e| e["kind"] == "close").collect();
        assert_eq!(closes.len(), 1, "{text}");
        let verdicts: Vec<&str> = of_conn
            .iter()
            .filter(|e| e["kind"] == "verdict")
            .filter_map(|e| e["class"].as_str())
            .collect();
        assert_eq!(verdicts, ["healthy"], "{text}");
    }
}
