//! What `tlsscope run` costs a program: the C client's bulk upload (16 KiB SSL_write calls,
//! tests/peers/run_client.c `bulk`) to an in-process TLS sink on loopback, alone and under
//! `tlsscope run`, alternating. Ignored by default (it moves GiBs); the README figure comes from
//! `cargo build --release -p tlsscope-interpose && cargo test --test run_bench -- --ignored --nocapture`.

mod common;

use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A TLS server that reads and discards everything, one connection after another.
fn sink() -> u16 {
    let files = common::cert_files();
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    acceptor
        .set_certificate_chain_file(&files.cert)
        .expect("cert");
    acceptor
        .set_private_key_file(&files.key, SslFiletype::PEM)
        .expect("key");
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
            if let Ok(mut tls) = acceptor.accept(conn) {
                let mut buf = vec![0u8; 1 << 16];
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
            }
        }
    });
    port
}

/// MiB/s the client printed ("bulk N MiB in S s: R MiB/s").
fn rate(stdout: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("bulk ")
                .and_then(|r| r.rsplit(": ").next())
                .and_then(|r| r.trim_end_matches(" MiB/s").parse().ok())
        })
        .unwrap_or_else(|| panic!("no rate in {text:?}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
#[ignore]
fn bulk_throughput_with_and_without_the_interposer() {
    let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_client_bench");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/run_client.c");
    let built = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&bin)
        .arg(src)
        .args(["-lssl", "-lcrypto", "-lpthread"])
        .status();
    if !built.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot build run_client.c");
        return;
    }
    let port = sink().to_string();
    let mib = std::env::var("TLSSCOPE_BENCH_MIB").unwrap_or_else(|_| "512".into());
    let trace = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_bench.jsonl");
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let plain = Command::new(&bin)
            .args(["bulk", &port, &mib])
            .output()
            .expect("client");
        assert!(plain.status.success());
        off.push(rate(&plain.stdout));
        let traced = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
            .args(["run", "--format", "jsonl", "--out"])
            .arg(&trace)
            .arg("--")
            .arg(&bin)
            .args(["bulk", &port, &mib])
            .output()
            .expect("tlsscope run");
        assert!(
            traced.status.success(),
            "{}",
            String::from_utf8_lossy(&traced.stderr)
        );
        on.push(rate(&traced.stdout));
        let lines = std::fs::read_to_string(&trace)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        println!(
            "off {:.0} MiB/s, on {:.0} MiB/s, {lines} trace lines, {}",
            off[off.len() - 1],
            on[on.len() - 1],
            String::from_utf8_lossy(&traced.stderr).trim()
        );
    }
    let (off, on) = (median(off), median(on));
    println!(
        "median: off {off:.0} MiB/s, on {on:.0} MiB/s, ratio {:.3}",
        on / off
    );
    assert!(on > 0.0 && off > 0.0);
}
