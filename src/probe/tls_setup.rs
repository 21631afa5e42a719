//! Turns a [`ConnectSpec`] into a configured OpenSSL client (`Ssl`), and reads the negotiated
//! parameters and certificate chain back after a handshake.

use super::certs;
use super::ctx_cache;
use super::spec::{ConnectSpec, TlsVersion};
use crate::ffi;
use crate::trace::{ConnId, EventKind, Setup, TlsInfo};
use openssl::ex_data::Index;
use openssl::pkey::PKey;
use openssl::ssl::{
    ExtensionContext, Ssl, SslContext, SslContextBuilder, SslMethod, SslRef, SslSessionCacheMode,
    SslVerifyMode, SslVersion, StatusType,
};
use openssl::x509::X509;
use std::sync::{Arc, Mutex, OnceLock};

/// Private-use extension number for `hello_padding`.
const PADDING_EXTENSION: u16 = 0xff5a;

/// Which certificate failed verification and why, captured by the verify callback.
#[derive(Debug, Clone, Default)]
pub(super) struct VerifyFailure {
    pub depth: u32,
    pub subject: String,
    pub reason: String,
    /// `X509_V_ERR_*`, and the failing certificate's SHA-256 (to find it in the sent chain).
    pub code: i32,
    pub sha256: String,
}

pub(super) type VerifyCapture = Arc<Mutex<Option<VerifyFailure>>>;

fn version(v: TlsVersion) -> SslVersion {
    match v {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    }
}

/// Where each `SSL` keeps the id of its connection (the key log callback is the context's,
/// which connections share).
fn conn_index() -> Option<Index<Ssl, ConnId>> {
    static INDEX: OnceLock<Option<Index<Ssl, ConnId>>> = OnceLock::new();
    *INDEX.get_or_init(|| Ssl::new_ex_index().ok())
}

/// Builds a client context for `spec`'s context-level options (see [`ctx_cache::CtxKey`]);
/// connections with the same ones share it. Errors are one-line reasons for the user.
fn context(spec: &ConnectSpec) -> Result<SslContext, String> {
    let mut ctx =
        SslContext::builder(SslMethod::tls_client()).map_err(|e| format!("OpenSSL: {e}"))?;
    // Connections share this context: none may offer another's session. (A client caches
    // nothing by default either; this says so, and stops the session callbacks.)
    ctx.set_session_cache_mode(SslSessionCacheMode::OFF);
    offer(&mut ctx, spec)?;
    if spec.capture.secrets {
        // OpenSSL calls this inside the handshake call that derived the secret, on the I/O
        // thread, with one NSS key log line (no newline), for the SSL whose id `client` set.
        ctx.set_keylog_callback(|ssl, line| {
            if let Some(conn) = conn_index().and_then(|i| ssl.ex_data(i)) {
                super::record::push(*conn, EventKind::Secret(line.into()));
            }
        });
    }
    if !spec.alpn.is_empty() {
        let mut wire = Vec::new();
        for proto in &spec.alpn {
            let len = u8::try_from(proto.len())
                .ok()
                .filter(|l| *l > 0)
                .ok_or_else(|| format!("--alpn: protocol name {proto:?} must be 1 to 255 bytes"))?;
            wire.push(len);
            wire.extend_from_slice(proto.as_bytes());
        }
        ctx.set_alpn_protos(&wire)
            .map_err(|e| format!("--alpn: {e}"))?;
    }
    match &spec.ca_pem {
        Some(pem) => {
            let certs = X509::stack_from_pem(pem)
                .map_err(|_| "CA file: not a PEM certificate file".to_string())?;
            if certs.is_empty() {
                return Err("CA file: contains no certificate".into());
            }
            let store = ctx.cert_store_mut();
            for cert in certs {
                store.add_cert(cert).map_err(|e| format!("CA file: {e}"))?;
            }
        }
        None => ctx
            .set_default_verify_paths()
            .map_err(|e| format!("system CA store: {e}"))?,
    }
    if let Some(id) = &spec.client_identity {
        let chain = X509::stack_from_pem(&id.chain_pem)
            .map_err(|_| "client certificate: not a PEM certificate file".to_string())?;
        let mut chain = chain.into_iter();
        let leaf = chain
            .next()
            .ok_or("client certificate: the file contains no certificate")?;
        ctx.set_certificate(&leaf)
            .map_err(|e| format!("client certificate: {e}"))?;
        for cert in chain {
            ctx.add_extra_chain_cert(cert)
                .map_err(|e| format!("client certificate chain: {e}"))?;
        }
        // Never OpenSSL's terminal prompt (it would block this thread): an encrypted key fails.
        let key = PKey::private_key_from_pem_callback(&id.key_pem, |_| Ok(0)).map_err(|_| {
            "client key: not a PEM private key (encrypted keys are not supported)".to_string()
        })?;
        ctx.set_private_key(&key)
            .map_err(|e| format!("client key: {e}"))?;
        ctx.check_private_key()
            .map_err(|_| "client key does not match the client certificate".to_string())?;
    }
    if let Some(size) = spec.hello_padding {
        static ZEROS: [u8; u16::MAX as usize] = [0; u16::MAX as usize];
        let padding: &'static [u8] = &ZEROS[..usize::from(size)];
        ctx.add_custom_ext(
            PADDING_EXTENSION,
            ExtensionContext::CLIENT_HELLO,
            // Only in renegotiation ClientHellos (a Finished was already sent): the initial
            // handshake stays ordinary, so the padding shows where it matters.
            move |ssl, _, _| Ok((ssl.finished(&mut [0u8; 64]) > 0).then_some(padding)),
            |_, _, _, _| Ok(()),
        )
        .map_err(|e| format!("ClientHello padding extension: {e}"))?;
    }
    Ok(ctx.build())
}

/// The version range and cipher lists of the ClientHello.
fn offer(ctx: &mut SslContextBuilder, spec: &ConnectSpec) -> Result<(), String> {
    if let Some(v) = spec.tls_min {
        ctx.set_min_proto_version(Some(version(v)))
            .map_err(|e| format!("--tls-min {}: {e}", v.name()))?;
    }
    if let Some(v) = spec.tls_max {
        ctx.set_max_proto_version(Some(version(v)))
            .map_err(|e| format!("--tls-max {}: {e}", v.name()))?;
    }
    if let Some(list) = &spec.ciphers {
        ctx.set_cipher_list(list)
            .map_err(|_| format!("--ciphers {list:?}: OpenSSL knows none of these ciphers"))?;
    }
    if let Some(list) = &spec.ciphersuites {
        ctx.set_ciphersuites(list).map_err(|_| {
            format!("--ciphersuites {list:?}: OpenSSL knows none of these TLS 1.3 suites")
        })?;
    }
    Ok(())
}

/// Our side of the negotiation and the workload, as the `Setup` event reports them.
pub(super) fn setup(spec: &ConnectSpec) -> Setup {
    let offered = ctx_cache::offered(spec, || offered(spec));
    let (min, max, counts) = (offered.min, offered.max, offered.ciphers);
    let workload = &spec.workload;
    Setup {
        target: spec.target.to_string(),
        sni: spec.sni_name().map(str::to_string),
        alpn: spec.alpn.clone(),
        version_min: min.to_string(),
        version_max: max.to_string(),
        ciphers_tls12: counts.0,
        ciphers_tls13: counts.1,
        client_cert: spec.client_identity.is_some(),
        verify: spec.verify,
        auto_retry: spec.auto_retry,
        http_get: workload.http_get.clone(),
        send_bytes: workload.send.as_ref().map_or(0, |s| s.len() as u64),
        upload_bytes: workload.upload.unwrap_or(0),
        read_for: workload
            .read_for
            .filter(|d| !d.is_zero())
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        epoch_unix_ns: super::record::epoch_unix_ns(),
    }
}

/// The versions and cipher counts a ClientHello with `spec`'s versions and cipher lists offers.
/// The counts come from an SSL object configured like the connection's
/// (`SSL_get1_supported_ciphers`: what the ClientHello offers), built without the CA store.
fn offered(spec: &ConnectSpec) -> ctx_cache::Offered {
    let (min, max, ciphers) = match SslContext::builder(SslMethod::tls_client()) {
        Ok(mut ctx) => {
            // A refused list or version is reported when the connection's own context is built.
            let _ = offer(&mut ctx, spec);
            let min = ctx.min_proto_version();
            let max = ctx.max_proto_version();
            let ctx = ctx.build();
            let level = ctx.security_level();
            let counts = Ssl::new(&ctx)
                .map(|ssl| ffi::supported_cipher_counts(&ssl))
                .unwrap_or((0, 0));
            (
                min.map_or_else(|| default_min(level), version_name),
                max.map_or("TLSv1.3", version_name),
                counts,
            )
        }
        Err(_) => (default_min(1), "TLSv1.3", (0, 0)),
    };
    ctx_cache::Offered { min, max, ciphers }
}

fn version_name(v: SslVersion) -> &'static str {
    match v {
        SslVersion::TLS1_3 => "TLSv1.3",
        SslVersion::TLS1_2 => "TLSv1.2",
        SslVersion::TLS1_1 => "TLSv1.1",
        SslVersion::TLS1 => "TLSv1",
        SslVersion::SSL3 => "SSLv3",
        _ => "unknown",
    }
}

/// The lowest version OpenSSL 3 offers when none is set: TLS 1.0 (SSL 3 is not built), unless
/// the security level forbids it (level 3 needs TLS 1.1, level 4 and up TLS 1.2: OpenSSL's
/// `ssl_security_default_callback`, SSL_SECOP_VERSION).
fn default_min(security_level: u32) -> &'static str {
    match security_level {
        0..=2 => "TLSv1",
        3 => "TLSv1.1",
        _ => "TLSv1.2",
    }
}

/// The configured client for one connection, and where verification failures are captured.
pub(super) fn client(
    spec: &ConnectSpec,
    conn: ConnId,
    record_detail: bool,
) -> Result<(Ssl, VerifyCapture), String> {
    let ctx = ctx_cache::get_or_build(spec, || context(spec))?;
    let mut ssl = Ssl::new(&ctx).map_err(|e| format!("OpenSSL: {e}"))?;
    let index = conn_index().ok_or("OpenSSL: cannot allocate the connection's ex_data index")?;
    ssl.set_ex_data(index, conn);
    if let Some(name) = spec.sni_name() {
        ssl.set_hostname(name)
            .map_err(|e| format!("SNI {name:?}: {e}"))?;
    }
    super::session::offer(&mut ssl, spec)?;
    ssl.set_connect_state();
    let capture = VerifyCapture::default();
    if spec.verify {
        let name = spec.verify_name();
        match name.parse::<std::net::IpAddr>() {
            Ok(ip) => ssl.param_mut().set_ip(ip),
            Err(_) => ssl.param_mut().set_host(name),
        }
        .map_err(|e| format!("host name {name:?}: {e}"))?;
        let sink = capture.clone();
        ssl.set_verify_callback(SslVerifyMode::PEER, move |ok, store| {
            if !ok {
                let cert = store.current_cert();
                let failure = VerifyFailure {
                    depth: store.error_depth(),
                    subject: cert
                        .map(|c| certs::name_of(c.subject_name()))
                        .unwrap_or_default(),
                    reason: store.error().error_string().to_string(),
                    code: store.error().as_raw(),
                    sha256: cert.map(certs::sha256).unwrap_or_default(),
                };
                if let Ok(mut slot) = sink.lock() {
                    slot.get_or_insert(failure);
                }
            }
            ok
        });
    } else {
        ssl.set_verify(SslVerifyMode::NONE);
    }
    if spec.ocsp_status {
        ssl.set_status_type(StatusType::OCSP)
            .map_err(|e| format!("--status: {e}"))?;
    }
    if !spec.auto_retry {
        ffi::clear_auto_retry(&mut ssl);
    }
    if spec.post_handshake_auth {
        ffi::enable_post_handshake_auth(&mut ssl);
    }
    if record_detail {
        ffi::install_callbacks(&mut ssl);
    }
    Ok((ssl, capture))
}

/// Negotiated parameters after a (re)handshake.
pub(super) fn tls_info(ssl: &SslRef, spec: &ConnectSpec) -> TlsInfo {
    let verify = if !spec.verify {
        "skipped".to_string()
    } else {
        let result = ssl.verify_result();
        if result == openssl::x509::X509VerifyResult::OK {
            "ok".to_string()
        } else {
            result.error_string().to_string()
        }
    };
    TlsInfo {
        version: ssl.version_str().to_string(),
        cipher: ssl
            .current_cipher()
            .map(|c| c.name().to_string())
            .unwrap_or_default(),
        alpn: ssl
            .selected_alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        sni: spec.sni_name().map(str::to_string),
        verify,
        resumed: ssl.session_reused(),
        chain: super::certs::peer_chain(ssl),
        ocsp: spec.ocsp_status.then(|| super::certs::stapled(ssl)),
        resumption: super::session::judge(ssl, spec),
    }
}
