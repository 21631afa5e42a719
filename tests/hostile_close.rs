//! How a peer's half-close during an upload maps to the exit status, against real peers (a
//! Python `ssl` server that sends a bare FIN, a rust-openssl server that sends close_notify):
//! the same with or without a read phase, as README's exit-status rule says.

mod common;

use common::bounded::*;
use common::*;
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslMethod, SslStream};
use openssl::x509::X509;
use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;
// ----- a peer that closes its side during an upload -----

/// A rust-openssl server that reads 64 KiB of an upload, sends close_notify (a TLS half-close),
/// then reads on until the client's close_notify. One connection; bounded by read timeouts.
fn notify_peer() -> (u16, std::thread::JoinHandle<()>) {
    let pki = tlsscope::lab::Pki::shared().expect("lab PKI");
    let mut acceptor =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).expect("acceptor");
    let chain = X509::stack_from_pem(&pki.server.chain_pem().expect("chain")).expect("certs");
    let mut chain = chain.into_iter();
    acceptor
        .set_certificate(&chain.next().expect("leaf"))
        .expect("cert");
    for c in chain {
        acceptor.add_extra_chain_cert(c).expect("chain cert");
    }
    let key = PKey::private_key_from_pem(&pki.server.key_pem().expect("key")).expect("key");
    acceptor.set_private_key(&key).expect("key");
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let serve = std::thread::spawn(move || {
        let Ok((socket, _)) = listener.accept() else {
            return;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(15)));
        let _ = socket.set_write_timeout(Some(Duration::from_secs(15)));
        let Ok(mut tls): Result<SslStream<_>, _> = acceptor.accept(socket) else {
            return;
        };
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
        let mut args = vec![
            "trace",
            &target,
            "--ca",
            &ca,
            "--sndbuf",
            "16K",
            "--upload",
            "4M",
            "--timeout",
            "20",
        ];
        args.extend(read_for.iter().flat_map(|s| ["--read-for", *s]));
        let out = run_cli(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "FIN, --read-for {read_for:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("close eof"),
            "{}",
            text(&out.stdout)
        );
        assert!(
            last_line(&out.stderr).contains("without close_notify"),
            "{}",
            text(&out.stderr)
        );

        // close_notify after 64 KiB, then reading on.
        let (port, serve) = notify_peer();
        let target = format!("localhost:{port}");
        let mut args = vec![
            "trace",
            &target,
            "--ca",
            &ca,
            "--upload",
            "1M",
            "--timeout",
            "20",
        ];
        args.extend(read_for.iter().flat_map(|s| ["--read-for", *s]));
        let out = run_cli(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "close_notify, --read-for {read_for:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("received: yes"),
            "{}",
            text(&out.stdout)
        );
        let _ = serve.join();
    }
}
