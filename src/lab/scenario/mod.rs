//! The lab's scenarios: one named misbehaviour each. A scenario is one definition ([`Def`]): its
//! name, the text a person reads (a one-line summary, an explanation, the signature to look for
//! in the trace), the client-side defaults that make it show with `tlsscope trace lab:NAME`, and
//! how its peer serves a connection. The definitions live by family in the files below; the
//! catalogue at the end of this file lists them once, in the order `tlsscope lab --list` shows.
//!
//! Adding a scenario: write its `Def` (and its peer function in `super::peers` if no existing one
//! fits), add one line to the catalogue, a row to README's lab table and a test to
//! `tests/lab_scenarios/` (the unit tests below check the last two).

use std::net::SocketAddr;
use std::time::Duration;

use crate::probe::{ConnectSpec, Sni, Target, TlsVersion, Workload};

use super::peers::Serve;
use super::pki::{Pki, LAB_HOST};

mod classic;
mod http;
mod post_handshake;
mod refusals;

/// Size of the private ClientHello extension the `reneg-backpressure` client sends: far more than
/// the small send buffer plus the peer's small receive window.
pub const RENEG_HELLO_PADDING: u16 = 60_000;

/// `intermittent` leaves every this-many-th connection it accepts unanswered (the 50th, the
/// 100th, …).
pub const INTERMITTENT_EVERY: u64 = 50;

/// The small SO_SNDBUF the back-pressure scenarios give the client (Linux doubles it).
pub const SMALL_SNDBUF: u32 = 4096;

/// Everything about one scenario.
pub(in crate::lab) struct Def {
    /// Its name in `lab:NAME` and `--scenario NAME`: lower case, words joined by `-`.
    pub(in crate::lab) name: &'static str,
    /// One line.
    pub(in crate::lab) summary: &'static str,
    /// One paragraph, for a person reading the app.
    pub(in crate::lab) explanation: &'static str,
    /// What to look for in the trace.
    pub(in crate::lab) signature: &'static str,
    /// The client's defaults: changes to [`base_spec`] (workload, buffers, versions, timeout, …).
    pub(in crate::lab) client: fn(&mut ConnectSpec, &Pki),
    /// How the peer serves a connection.
    pub(in crate::lab) serve: Serve,
}

/// Lists every scenario once: defines [`Scenario`] (one variant per entry), [`Scenario::ALL`] (in
/// this order) and the variant → definition map.
macro_rules! catalogue {
    ($($variant:ident => $def:path,)+) => {
        /// One reproducible behaviour of a lab peer.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $($variant,)+
        }

        impl Scenario {
            /// Every scenario, in the order `tlsscope lab --list` shows them.
            pub const ALL: [Scenario; [$(stringify!($variant),)+].len()] =
                [$(Scenario::$variant,)+];

            pub(in crate::lab) fn def(self) -> &'static Def {
                match self {
                    $(Scenario::$variant => &$def,)+
                }
            }
        }
    };
}

catalogue! {
    Ok => classic::OK,
    Latency => http::LATENCY,
    Silent => classic::SILENT,
    NoResponse => http::NO_RESPONSE,
    Intermittent => http::INTERMITTENT,
    KeepAlive => http::KEEP_ALIVE,
    KeepAliveChunked => http::KEEP_ALIVE_CHUNKED,
    HandshakeStall => classic::HANDSHAKE_STALL,
    SlowReader => classic::SLOW_READER,
    EchoDeadlock => http::ECHO_DEADLOCK,
    Trickle => classic::TRICKLE,
    LateTickets => post_handshake::LATE_TICKETS,
    KeyUpdate => post_handshake::KEY_UPDATE,
    Renegotiate => post_handshake::RENEGOTIATE,
    RenegBackpressure => post_handshake::RENEG_BACKPRESSURE,
    AbruptClose => classic::ABRUPT_CLOSE,
    Truncated => http::TRUNCATED,
    Reset => classic::RESET,
    EarlyReject => http::EARLY_REJECT,
    Alert => refusals::ALERT,
    SniRequired => refusals::SNI_REQUIRED,
    AlpnRequired => refusals::ALPN_REQUIRED,
    VersionCapped => refusals::VERSION_CAPPED,
    CipherMismatch => refusals::CIPHER_MISMATCH,
    NotTls => refusals::NOT_TLS,
    ClientCert => refusals::CLIENT_CERT,
    ClientCertRequired => refusals::CLIENT_CERT_REQUIRED,
    ClientCertRequiredTls12 => refusals::CLIENT_CERT_REQUIRED_TLS12,
    PostHandshakeAuth => post_handshake::POST_HANDSHAKE_AUTH,
    BadCertExpired => refusals::BAD_CERT_EXPIRED,
    BadCertWrongHost => refusals::BAD_CERT_WRONG_HOST,
    BadCertSelfSigned => refusals::BAD_CERT_SELF_SIGNED,
    BadCertUntrusted => refusals::BAD_CERT_UNTRUSTED,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The scenario called `name` (exact, case-insensitive; `_` may stand for `-`).
    pub fn from_name(name: &str) -> Option<Scenario> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Scenario::ALL.into_iter().find(|s| s.name() == wanted)
    }

    /// One line.
    pub fn summary(self) -> &'static str {
        self.def().summary
    }

    /// One paragraph, for a person reading the app.
    pub fn explanation(self) -> &'static str {
        self.def().explanation
    }

    /// What to look for in the trace.
    pub fn signature(self) -> &'static str {
        self.def().signature
    }

    /// The client side's defaults for this scenario: [`base_spec`] for `addr` (trusts the lab
    /// CA, sends SNI `localhost`, verifies, GETs `/`, 10 s timeout) with the scenario's changes.
    pub fn client_spec(self, addr: SocketAddr, pki: &Pki) -> ConnectSpec {
        let mut spec = base_spec(addr, pki);
        (self.def().client)(&mut spec, pki);
        spec
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What every scenario's client starts from.
fn base_spec(addr: SocketAddr, pki: &Pki) -> ConnectSpec {
    let mut spec = ConnectSpec::new(Target {
        host: addr.ip().to_string(),
        port: addr.port(),
    });
    spec.sni = Sni::Name(LAB_HOST.to_string());
    spec.ca_pem = Some(pki.ca_pem());
    spec.verify = true;
    spec.connect_timeout = Duration::from_secs(5);
    spec.timeout = Some(Duration::from_secs(10));
    spec.workload = Workload {
        http_get: Some("/".to_string()),
        ..Workload::default()
    };
    spec
}

/// Client defaults: none beyond [`base_spec`].
fn defaults(_: &mut ConnectSpec, _: &Pki) {}

/// A workload of one line, then reading for `read_for`.
fn line(read_for: Duration) -> Workload {
    Workload {
        send: Some(b"hello\n".to_vec()),
        read_for: Some(read_for),
        ..Workload::default()
    }
}

/// A workload of `bytes` of bulk data and nothing else.
fn upload(bytes: u64) -> Workload {
    Workload {
        upload: Some(bytes),
        ..Workload::default()
    }
}

fn tls13(spec: &mut ConnectSpec) {
    spec.tls_min = Some(TlsVersion::Tls13);
    spec.tls_max = Some(TlsVersion::Tls13);
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
