//! Client contexts shared between connections whose context-level options are identical.
//! Building an `SSL_CTX` (and parsing the CA PEM into its store, or loading the system store)
//! costs more than the rest of a loopback handshake, so the I/O thread keeps the last few,
//! keyed on every option that goes into the context; everything per connection (SNI, host
//! verification, callbacks, OCSP request, modes) stays on the connection's own `SSL`.
//!
//! A shared context never resumes a session: its session cache is off, and no session is ever
//! set on an `SSL` made from it.

use super::spec::{ConnectSpec, TlsVersion};
use openssl::ssl::SslContext;
use std::cell::RefCell;

/// Contexts kept per I/O thread (the least recently used goes first).
const CAPACITY: usize = 8;

/// Every option of a [`ConnectSpec`] that goes into the client context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CtxKey {
    tls_min: Option<TlsVersion>,
    tls_max: Option<TlsVersion>,
    ciphers: Option<String>,
    ciphersuites: Option<String>,
    alpn: Vec<String>,
    ca_pem: Option<Vec<u8>>,
    client_chain_pem: Option<Vec<u8>>,
    client_key_pem: Option<Vec<u8>>,
    hello_padding: Option<u16>,
    /// The context has the key log callback.
    secrets: bool,
}

impl CtxKey {
    pub(super) fn of(spec: &ConnectSpec) -> CtxKey {
        // Every field is named, so a new option does not compile until it is placed: in the
        // key if `tls_setup::context` uses it, else with the per-connection ones (`_`).
        let ConnectSpec {
            target: _,
            sni: _,
            alpn,
            tls_min,
            tls_max,
            ciphers,
            ciphersuites,
            ca_pem,
            client_identity,
            verify: _,
            auto_retry: _,
            sndbuf: _,
            rcvbuf: _,
            nodelay: _,
            connect_timeout: _,
            timeout: _,
            workload: _,
            key_update: _,
            renegotiate: _,
            post_handshake_auth: _,
            hello_padding,
            capture,
            starttls: _,
            starttls_host: _,
            proxy: _,
            ocsp_status: _,
            // Offered with SSL_set_session on the connection's own SSL (see `session.rs`).
            session: _,
        } = spec;
        CtxKey {
            tls_min: *tls_min,
            tls_max: *tls_max,
            ciphers: ciphers.clone(),
            ciphersuites: ciphersuites.clone(),
            alpn: alpn.clone(),
            ca_pem: ca_pem.clone(),
            client_chain_pem: client_identity.as_ref().map(|id| id.chain_pem.clone()),
            client_key_pem: client_identity.as_ref().map(|id| id.key_pem.clone()),
            hello_padding: *hello_padding,
            secrets: capture.secrets,
        }
    }
}

thread_local! {
    static CACHE: RefCell<Vec<(CtxKey, SslContext)>> = const { RefCell::new(Vec::new()) };
}

/// The context for `spec`: a cached one with the same key, or a new one from `build` (kept
/// when it built). Errors are `build`'s, and are not cached (the next connection tries again).
pub(super) fn get_or_build(
    spec: &ConnectSpec,
    build: impl FnOnce() -> Result<SslContext, String>,
) -> Result<SslContext, String> {
    let key = CtxKey::of(spec);
    let hit = CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        let at = cache.iter().position(|(k, _)| *k == key)?;
        // Most recently used last.
        let entry = cache.remove(at);
        let ctx = entry.1.clone();
        cache.push(entry);
        Some(ctx)
    });
    if let Some(ctx) = hit {
        return Ok(ctx);
    }
    let ctx = build()?;
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CAPACITY {
            cache.remove(0);
        }
        cache.push((key, ctx.clone()));
    });
    Ok(ctx)
}

/// What a ClientHello with some versions and cipher lists offers (the `setup` event's part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Offered {
    pub(super) min: &'static str,
    pub(super) max: &'static str,
    /// TLS 1.2 and TLS 1.3 cipher suites.
    pub(super) ciphers: (u32, u32),
}

/// The options `Offered` depends on.
type OfferKey = (
    Option<TlsVersion>,
    Option<TlsVersion>,
    Option<String>,
    Option<String>,
);

thread_local! {
    static OFFERED: RefCell<Vec<(OfferKey, Offered)>> = const { RefCell::new(Vec::new()) };
}

/// `spec`'s offer: computed by `compute` once per set of versions and cipher lists.
pub(super) fn offered(spec: &ConnectSpec, compute: impl FnOnce() -> Offered) -> Offered {
    let key: OfferKey = (
        spec.tls_min,
        spec.tls_max,
        spec.ciphers.clone(),
        spec.ciphersuites.clone(),
    );
    if let Some(hit) = OFFERED.with(|c| c.borrow().iter().find(|(k, _)| *k == key).map(|e| e.1)) {
        return hit;
    }
    let fresh = compute();
    OFFERED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= CAPACITY {
            cache.remove(0);
        }
        cache.push((key, fresh));
    });
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::spec::{ClientIdentity, Target};
    use foreign_types::ForeignTypeRef;

    fn spec() -> ConnectSpec {
        ConnectSpec::new(Target::parse("localhost:1").expect("target"))
    }

    #[test]
    fn the_key_holds_the_context_options_and_not_the_connection_ones() {
        let base = CtxKey::of(&spec());
        let mut other = spec();
        other.target = Target::parse("example.com:443").expect("target");
        other.verify = false;
        other.ocsp_status = true;
        other.workload.upload = Some(1);
        assert_eq!(CtxKey::of(&other), base);
        let changes: [fn(&mut ConnectSpec); 9] = [
            |s| s.tls_min = Some(TlsVersion::Tls13),
            |s| s.tls_max = Some(TlsVersion::Tls12),
            |s| s.ciphers = Some("ECDHE-ECDSA-AES128-GCM-SHA256".into()),
            |s| s.ciphersuites = Some("TLS_AES_128_GCM_SHA256".into()),
            |s| s.alpn = vec!["h2".into()],
            |s| s.ca_pem = Some(b"pem".to_vec()),
            |s| {
                s.client_identity = Some(ClientIdentity {
                    chain_pem: b"chain".to_vec(),
                    key_pem: b"key".to_vec(),
                })
            },
            |s| s.hello_padding = Some(100),
            |s| s.capture.secrets = true,
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut s = spec();
            change(&mut s);
            assert_ne!(CtxKey::of(&s), base, "change {i} must give another context");
        }
    }

    #[test]
    fn identical_options_share_a_context_and_different_ones_do_not() {
        let pki = crate::lab::Pki::shared().expect("lab PKI");
        let mut base = spec();
        base.ca_pem = Some(pki.ca_pem());
        // The SSL_CTX each new connection's SSL was made from.
        let ctx_of = |s: &ConnectSpec, conn| {
            let (ssl, _) = super::super::tls_setup::client(s, conn, true).expect("client");
            ssl.ssl_context().as_ptr() as usize
        };
        let first = ctx_of(&base, 1);
        let mut per_connection = base.clone();
        per_connection.target = Target::parse("127.0.0.1:2").expect("target");
        per_connection.verify = false;
        assert_eq!(ctx_of(&per_connection, 2), first);
        let mut alpn = base.clone();
        alpn.alpn = vec!["h2".into()];
        let with_alpn = ctx_of(&alpn, 3);
        assert_ne!(with_alpn, first);
        let mut ca = base.clone();
        ca.ca_pem = Some(crate::lab::Pki::generate().expect("PKI").ca_pem());
        let with_ca = ctx_of(&ca, 4);
        assert!(with_ca != first && with_ca != with_alpn);
        assert_eq!(ctx_of(&base, 5), first, "still cached after others");
        assert_eq!(ctx_of(&alpn, 6), with_alpn);
    }
}
