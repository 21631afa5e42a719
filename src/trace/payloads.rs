//! The heap-carrying payloads of events that happen once per connection or handshake (boxed in
//! [`super::event::EventKind`] so the hot, per-socket-operation events stay small): our setup,
//! the negotiated parameters and certificates, the endpoints, the HTTP response framing.

use super::event::Nanos;

/// Our side of the negotiation, and the workload, as configured for one connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Setup {
    /// Target as the user wrote it (`HOST:PORT`).
    pub target: String,
    /// The server name sent in the ClientHello; `None`: no SNI extension.
    pub sni: Option<String>,
    /// ALPN protocols offered, in order of preference (empty: no ALPN extension).
    pub alpn: Vec<String>,
    /// Lowest and highest protocol version offered (`TLSv1.2`, `TLSv1.3`).
    pub version_min: String,
    pub version_max: String,
    /// Cipher suites offered for TLS 1.2 and below, and for TLS 1.3.
    pub ciphers_tls12: u32,
    pub ciphers_tls13: u32,
    /// A client certificate is configured (so a CertificateRequest can be answered).
    pub client_cert: bool,
    /// Certificate verification is on.
    pub verify: bool,
    /// SSL_MODE_AUTO_RETRY is on.
    pub auto_retry: bool,
    /// The workload: an HTTP GET path, bytes of a message to send, bytes to upload.
    pub http_get: Option<String>,
    pub send_bytes: u64,
    pub upload_bytes: u64,
    /// How long we keep reading after our writes, in ns (`--read-for`); `None`: until the peer
    /// closes (HTTP) or no read phase.
    pub read_for: Option<Nanos>,
    /// Unix time in ns at which the engine's clock (every event's `t`) was 0, so a trace and a
    /// capture can show real dates; `None` in traces saved before it was recorded.
    pub epoch_unix_ns: Option<u64>,
}

/// What tlsscope parsed of an HTTP/1.x response (only with an HTTP workload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// Bytes of the response head (status line and headers, with the blank line).
    pub head_bytes: u32,
    /// `Content-Length`, when the response has one.
    pub content_length: Option<u64>,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The server said `Connection: close`.
    pub close: bool,
    /// Response bytes (head and body) received when this event was recorded.
    pub received: u64,
    /// The whole response has arrived, as its framing says (Content-Length reached, or the last
    /// chunk). False for a body delimited by the close of the connection.
    pub complete: bool,
}

/// Negotiated parameters and the peer's certificates after a (re)handshake.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
    pub alpn: Option<String>,
    pub sni: Option<String>,
    /// `ok`, or the verification failure reason; `skipped` with `--insecure`.
    pub verify: String,
    pub resumed: bool,
    pub chain: Vec<CertInfo>,
    /// The stapled OCSP response, only when it was asked for (`--status`).
    pub ocsp: Option<super::chain::Ocsp>,
    /// How resuming the session went, on connections that tried (`--reconnect`, `--sess-in`).
    pub resumption: Option<super::resumption::Resumption>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// e.g. `EC 256`, `RSA 2048`.
    pub key: String,
    /// SHA-256 of the DER certificate, uppercase hex with colons.
    pub sha256: String,
    /// Subject alternative names (DNS names and IP addresses).
    pub sans: Vec<String>,
    /// e.g. `sha256WithRSAEncryption`.
    pub sig_alg: String,
    /// Key usage and extended key usage, e.g. `digitalSignature`, `serverAuth`.
    pub key_usage: Vec<String>,
    /// Authority Information Access: OCSP responder and CA Issuers URLs.
    pub ocsp_urls: Vec<String>,
    pub ca_issuers: Vec<String>,
}

/// The traced process that owns a connection (`tlsscope run`), once per connection, first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Program {
    /// Its executable's path (empty when unknown).
    pub exe: String,
    pub pid: u32,
    /// The thread of the connection's first record.
    pub tid: u32,
    /// The SSL object's address in the process.
    pub ssl: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub local: std::net::SocketAddr,
    pub peer: std::net::SocketAddr,
}

/// Raw bytes kept per connection for the capture export ([`Wire`] events): 64 MiB, both
/// directions together. Past it, `Wire` events still say how many bytes moved but hold none.
pub const CAPTURE_LIMIT: u64 = 64 << 20;

/// The bytes of one socket read or write (only when the connection's spec asks for a
/// capture). Never written to a text or JSONL trace: see [`super::EventKind::is_export_only`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// The call the read or write happened in, as in its `io` event.
    pub call: Option<super::event::CallId>,
    pub dir: super::event::Dir,
    /// Bytes the socket operation moved.
    pub moved: u32,
    /// The bytes, all `moved` of them until the connection's [`CAPTURE_LIMIT`] is reached;
    /// fewer (usually none) from then on.
    pub data: Box<[u8]>,
}

impl Wire {
    /// Part of the bytes were not kept: the capture limit was reached.
    pub fn is_cut(&self) -> bool {
        self.data.len() < self.moved as usize
    }
}

impl super::event::EventKind {
    /// Raw bytes and session secrets: kept for the capture and key log exports (`src/export`),
    /// never written to a text or JSONL trace, so a saved trace never holds them.
    pub fn is_export_only(&self) -> bool {
        matches!(self, Self::Wire(_) | Self::Secret(_))
    }
}
