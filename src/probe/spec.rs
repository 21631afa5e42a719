//! What to connect to and how: everything a user can choose about one traced connection.
//! The command line and the GUI both build a [`ConnectSpec`]; the lab builds one per scenario.

use std::fmt;
use std::time::Duration;

/// Where to connect: a host name or IP literal, and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl Target {
    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `IPv6-literal:PORT` is refused as ambiguous.
    pub fn parse(text: &str) -> Result<Target, String> {
        let text = text.trim();
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| {
                format!("malformed target {text:?}: missing ']' after the IPv6 address")
            })?;
            let port = after.strip_prefix(':').ok_or_else(|| {
                format!("malformed target {text:?}: expected HOST:PORT, e.g. [::1]:4433")
            })?;
            (host, port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or_else(|| {
                format!("malformed target {text:?}: expected HOST:PORT, e.g. example.com:443")
            })?;
            if host.contains(':') {
                return Err(format!(
                    "malformed target {text:?}: write IPv6 addresses in brackets, e.g. [::1]:443"
                ));
            }
            (host, port)
        };
        if host.is_empty() {
            return Err(format!("malformed target {text:?}: the host is empty"));
        }
        let port: u16 = port.parse().map_err(|_| {
            format!("malformed target {text:?}: port {port:?} is not a number from 1 to 65535")
        })?;
        if port == 0 {
            return Err(format!(
                "malformed target {text:?}: port 0 cannot be connected to"
            ));
        }
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }

    /// True when the host is an IP literal (no SNI is sent for those by default).
    pub fn is_ip(&self) -> bool {
        self.host.parse::<std::net::IpAddr>().is_ok()
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub fn parse(text: &str) -> Result<TlsVersion, String> {
        match text
            .trim()
            .to_ascii_lowercase()
            .trim_start_matches("tlsv")
            .trim_start_matches("tls")
        {
            "1.2" | "12" => Ok(TlsVersion::Tls12),
            "1.3" | "13" => Ok(TlsVersion::Tls13),
            _ => Err(format!("unknown TLS version {text:?}: use 1.2 or 1.3")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }
}

/// Which server name to send in the ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Sni {
    /// The target host, unless it is an IP literal.
    #[default]
    FromTarget,
    Name(String),
    Off,
}

/// A client certificate chain (leaf first) and its private key, PEM encoded.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    pub chain_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        write!(f, "ClientIdentity({} bytes of chain)", self.chain_pem.len())
    }
}

/// What to do once the handshake is done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workload {
    /// Send `GET PATH HTTP/1.1` and read the response until the peer closes.
    pub http_get: Option<String>,
    /// Send these bytes.
    pub send: Option<Vec<u8>>,
    /// Write this many bytes of bulk data.
    pub upload: Option<u64>,
    /// After the writes, keep reading until the peer closes or this much time passes.
    /// `None`: read until close for `http_get`, no read phase otherwise.
    pub read_for: Option<Duration>,
    /// When the read phase's time is up, send these bytes and read for `read_for` again (a
    /// second request; it also carries anything OpenSSL deferred to the next write, such as the
    /// reply to a peer's KeyUpdate).
    pub then_send: Option<Vec<u8>>,
}

/// What a connection records beyond its trace, for the exports (`src/export`). Off by default:
/// normal traces and the benchmark record neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capture {
    /// The bytes of every socket read and write, as `Wire` events (up to
    /// [`crate::trace::CAPTURE_LIMIT`] per connection): for `--pcapng`.
    pub wire: bool,
    /// The session secrets, as `Secret` events (NSS key log lines): for `--keylog`, `--pcapng`.
    pub secrets: bool,
}

/// Everything about one connection to trace.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectSpec {
    pub target: Target,
    pub sni: Sni,
    /// ALPN protocols to offer, in order of preference.
    pub alpn: Vec<String>,
    pub tls_min: Option<TlsVersion>,
    pub tls_max: Option<TlsVersion>,
    /// TLS 1.2 cipher list (OpenSSL syntax).
    pub ciphers: Option<String>,
    /// TLS 1.3 cipher suites (OpenSSL syntax).
    pub ciphersuites: Option<String>,
    /// Extra trusted CA certificates, PEM. With `None`, the system store is used.
    pub ca_pem: Option<Vec<u8>>,
    pub client_identity: Option<ClientIdentity>,
    /// Verify the peer's certificate chain and host name (default true).
    pub verify: bool,
    /// Leave SSL_MODE_AUTO_RETRY on (OpenSSL's default); false clears it.
    pub auto_retry: bool,
    pub sndbuf: Option<u32>,
    pub rcvbuf: Option<u32>,
    /// Set TCP_NODELAY (no Nagle delay for small writes).
    pub nodelay: bool,
    pub connect_timeout: Duration,
    /// Deadline for the whole connection; `None` for no limit.
    pub timeout: Option<Duration>,
    pub workload: Workload,
    /// After the handshake, send a KeyUpdate (update_requested) (TLS 1.3).
    pub key_update: bool,
    /// After the handshake, renegotiate (TLS 1.2).
    pub renegotiate: bool,
    /// Offer TLS 1.3 post-handshake client authentication.
    pub post_handshake_auth: bool,
    /// Add a private extension of this many bytes to renegotiation ClientHellos (makes the
    /// flight larger than a small send buffer; the lab's `reneg-backpressure` scenario uses it).
    pub hello_padding: Option<u16>,
    /// Raw bytes and secrets to record for the exports (none by default).
    pub capture: Capture,
    /// Before TLS, upgrade a plaintext protocol with its STARTTLS dialogue.
    pub starttls: Option<crate::probe::pretls::Starttls>,
    /// The name for EHLO/LHLO and XMPP's `to` (default: the SNI, else the target host).
    pub starttls_host: Option<String>,
    /// Connect through this proxy (its CONNECT comes before any STARTTLS).
    pub proxy: Option<crate::probe::pretls::proxy::Proxy>,
    /// Ask for a stapled OCSP response (`--status`) and record what came.
    pub ocsp_status: bool,
    /// Session resumption: what to offer, how many connections follow, `--sess-out`.
    pub session: crate::probe::SessionPlan,
}

impl ConnectSpec {
    /// A spec with OpenSSL's and tlsscope's defaults for `target`.
    pub fn new(target: Target) -> ConnectSpec {
        ConnectSpec {
            target,
            sni: Sni::FromTarget,
            alpn: Vec::new(),
            tls_min: None,
            tls_max: None,
            ciphers: None,
            ciphersuites: None,
            ca_pem: None,
            client_identity: None,
            verify: true,
            auto_retry: true,
            sndbuf: None,
            rcvbuf: None,
            nodelay: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(30)),
            workload: Workload::default(),
            key_update: false,
            renegotiate: false,
            post_handshake_auth: false,
            hello_padding: None,
            capture: Capture::default(),
            starttls: None,
            starttls_host: None,
            proxy: None,
            ocsp_status: false,
            session: Default::default(),
        }
    }

    /// Where the TCP connection goes: the proxy when there is one, else the target.
    pub fn dial_target(&self) -> Target {
        match &self.proxy {
            Some(p) => Target {
                host: p.host.clone(),
                port: p.port,
            },
            None => self.target.clone(),
        }
    }

    /// The name STARTTLS gives for itself or the server (EHLO, XMPP's `to`).
    pub fn starttls_name(&self) -> &str {
        self.starttls_host
            .as_deref()
            .or(self.sni_name())
            .unwrap_or(&self.target.host)
    }

    /// The server name to send, if any.
    pub fn sni_name(&self) -> Option<&str> {
        match &self.sni {
            Sni::FromTarget if !self.target.is_ip() => Some(&self.target.host),
            Sni::FromTarget | Sni::Off => None,
            Sni::Name(name) => Some(name),
        }
    }

    /// The host name the certificate must match: the SNI if one is sent, else the target host.
    pub fn verify_name(&self) -> &str {
        match &self.sni {
            Sni::Name(name) => name,
            _ => &self.target.host,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(
            Target::parse("example.com:443").unwrap(),
            Target {
                host: "example.com".into(),
                port: 443
            }
        );
        assert_eq!(Target::parse("[::1]:4433").unwrap().host, "::1");
        assert_eq!(
            Target::parse("[::1]:4433").unwrap().to_string(),
            "[::1]:4433"
        );
    }

    #[test]
    fn rejects_malformed_targets_with_a_reason() {
        for bad in [
            "example.com",
            ":443",
            "host:",
            "host:http",
            "host:70000",
            "host:0",
            "::1:443",
            "[::1",
        ] {
            let err = Target::parse(bad).unwrap_err();
            assert!(err.starts_with("malformed target"), "{bad}: {err}");
        }
    }

    #[test]
    fn sni_defaults_to_host_names_only() {
        let spec = ConnectSpec::new(Target::parse("localhost:1").unwrap());
        assert_eq!(spec.sni_name(), Some("localhost"));
        let spec = ConnectSpec::new(Target::parse("127.0.0.1:1").unwrap());
        assert_eq!(spec.sni_name(), None);
    }

    #[test]
    fn tls_versions() {
        assert_eq!(TlsVersion::parse("1.2").unwrap(), TlsVersion::Tls12);
        assert_eq!(TlsVersion::parse("TLSv1.3").unwrap(), TlsVersion::Tls13);
        assert!(TlsVersion::parse("1.1").is_err());
    }
}
