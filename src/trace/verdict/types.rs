//! The verdict's data: class, severity, evidence, advice and where the time went.

use crate::trace::event::{CallId, Nanos};

/// How bad it is; decides the colour and wording of banners (only `Stall` is a stall).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Nothing wrong.
    Ok,
    /// Worth knowing, harmless (a renegotiation, close_notify not answered).
    Note,
    /// Works, but slowly.
    Slow,
    /// No progress while something is awaited.
    Stall,
    /// The connection failed or was cut.
    Failure,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Ok,
        Severity::Note,
        Severity::Slow,
        Severity::Stall,
        Severity::Failure,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Note => "note",
            Severity::Slow => "slow",
            Severity::Stall => "stall",
            Severity::Failure => "failure",
        }
    }
}

macro_rules! classes {
    ($($variant:ident => $name:literal, $severity:ident, $doc:literal;)*) => {
        /// What kind of verdict: a stable identifier, documented in README ("Verdicts").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Class {
            $(#[doc = $doc] $variant,)*
        }

        impl Class {
            pub const ALL: &'static [Class] = &[$(Class::$variant,)*];

            /// The stable identifier (JSONL `class`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Class::$variant => $name,)*
                }
            }

            /// How bad this class is.
            pub fn severity(self) -> Severity {
                match self {
                    $(Class::$variant => Severity::$severity,)*
                }
            }

            /// One line on what the class means (for `--help`-like listings and README).
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Class::$variant => $doc,)*
                }
            }
        }
    };
}

classes! {
    InProgress => "in-progress", Ok, "Still running and making progress (or was, when our own --timeout ended it); nothing is wrong so far.";
    Healthy => "healthy", Ok, "Finished cleanly.";
    Slow => "slow", Slow, "Finished cleanly, but round trips were long (latency, often a proxy or a distant server).";
    Idle => "idle", Ok, "We asked for nothing and the peer sent nothing: idle by our own choice.";
    Renegotiation => "renegotiation", Note, "A TLS 1.2 renegotiation: the server asked for it (our SSL_read had to write a ClientHello) or we did.";
    KeyUpdate => "key-update", Note, "A TLS 1.3 KeyUpdate, the peer's (a requested reply goes out with our next SSL_write) or ours.";
    PostHandshakeAuth => "post-handshake-auth", Note, "The server asked for a client certificate after the handshake (TLS 1.3); SSL_read answered it.";
    TicketWantRead => "ticket-want-read", Note, "With AUTO_RETRY off, session tickets made SSL_read return WANT_READ with nothing to wait for.";
    CloseNotifyUnanswered => "close-notify-unanswered", Note, "We sent close_notify and the peer did not answer it (closed TCP, or reset it, once everything asked for had come): harmless and common.";
    NoCloseNotify => "eof-after-complete-response", Note, "The peer closed TCP without close_notify after a complete response: harmless for HTTP with a length.";
    ResponseCompleteKeptOpen => "response-complete-kept-open", Note, "The HTTP response was complete; the server keeps the connection open (keep-alive) and we waited for a close that never comes.";
    HttpError => "http-error", Note, "TLS worked; the HTTP server answered with an error status (4xx/5xx).";
    ClosedWithoutAnswer => "closed-without-answer", Failure, "The peer closed the connection without answering our request (with close_notify, or TCP alone).";
    HelloUnanswered => "hello-unanswered", Stall, "The peer acknowledged our ClientHello but never answered: not TLS on this port, or a stuck server.";
    HandshakeStalled => "handshake-stalled", Stall, "The server's handshake flight began but never completed.";
    NoResponse => "no-response", Stall, "Our request was sent (and acknowledged, or not) but no answer came back.";
    PeerSilent => "peer-silent", Stall, "The peer stopped sending while we waited for more.";
    PeerNotReading => "peer-not-reading", Stall, "The peer does not read: our send queue is full and its receive window closed.";
    ClosedWhileSending => "closed-while-sending", Failure, "We closed while what we wrote was still in our send queue and the peer was still taking it (its receive window open): the delivery is not confirmed, and nothing shows the peer stopped reading.";
    SlowReader => "slow-reader", Slow, "The peer reads, but slowly: our writes progress only as fast as its window opens.";
    WriteDeadlock => "write-deadlock", Stall, "Both sides write and neither reads: our receive queue is full while we wait to write.";
    NotTls => "not-tls", Failure, "The peer answered with something that is not TLS.";
    Reset => "reset", Failure, "The peer reset the connection.";
    EarlyRejection => "early-rejection", Failure, "The peer answered and reset before we read its answer (e.g. an HTTP 413): the answer was never read.";
    Truncated => "truncated", Failure, "The peer closed before the response was complete: TCP without close_notify, or a close_notify before the end its HTTP framing announced.";
    RenegotiationRefused => "renegotiation-refused", Failure, "The server refused our TLS 1.2 renegotiation (alert no_renegotiation) and the connection failed.";
    PeerAlert => "peer-alert", Failure, "The peer sent a fatal alert after the handshake.";
    RejectedRecord => "rejected-record", Failure, "After the handshake, OpenSSL rejected what the peer sent (a record that did not decrypt or parse) and ended the connection with its own fatal alert.";
    SniRejected => "sni-rejected", Failure, "The server did not accept the server name we sent (or that we sent none).";
    AlpnMismatch => "alpn-mismatch", Failure, "The server supports none of the ALPN protocols we offered.";
    VersionMismatch => "version-mismatch", Failure, "Our TLS version range and the server's do not overlap.";
    CipherMismatch => "cipher-mismatch", Failure, "No cipher suite (or group/signature algorithm) in common.";
    ClientCertRequired => "client-cert-required", Failure, "The server requires a client certificate and we sent none.";
    ClientCertRejected => "client-cert-rejected", Failure, "The server rejected the client certificate we sent.";
    VerifyFailed => "verify-failed", Failure, "We did not trust the server's certificate.";
    CertRevoked => "cert-revoked", Failure, "The server stapled an OCSP response saying its own certificate is revoked.";
    HandshakeAlert => "handshake-alert", Failure, "The handshake failed with an alert.";
    HandshakeClosed => "handshake-closed", Failure, "The peer closed or reset the connection during the handshake, without an alert.";
    ResolveFailed => "resolve-failed", Failure, "The host name did not resolve.";
    ConnectFailed => "connect-failed", Failure, "The TCP connection was refused or the host unreachable.";
    ConnectTimeout => "connect-timeout", Failure, "The TCP connection was not accepted in time (SYN unanswered).";
    StarttlsRefused => "starttls-refused", Failure, "The STARTTLS dialogue did not reach TLS: the server does not offer STARTTLS, refused it, or closed.";
    ProxyRefused => "proxy-refused", Failure, "The proxy did not connect us (HTTP 407/403/502, a SOCKS5 error, or it closed).";
    StarttlsInjection => "starttls-injection", Note, "The server sent bytes after its STARTTLS (or proxy) go-ahead, before our ClientHello: tlsscope dropped them; a client that fed them to TLS would be open to plaintext injection.";
    Stopped => "stopped", Note, "Stopped by the user.";
    Abandoned => "abandoned", Note, "The traced program (tlsscope run) freed the connection (SSL_free), or exited with it open, without SSL_shutdown: no close_notify was sent, so the peer cannot tell the end from a truncation.";
    Stalled => "stalled", Stall, "No progress while waiting; see the evidence for what was awaited.";
    Failed => "failed", Failure, "The connection failed; see the evidence.";
    WaitedWrongDirection => "waited-wrong-direction", Stall, "The traced program (tlsscope run) waited for the socket to become readable after WANT_WRITE, or writable after WANT_READ: it can wait forever.";
    PolledWithPending => "polled-with-pending", Stall, "The traced program waited on the socket while decrypted bytes sat in SSL_pending: they were already there, the socket may never wake it.";
    WriteRetryChanged => "write-retry-changed", Failure, "The traced program retried SSL_write after WANT_WRITE (or WANT_READ) with a different length or buffer: OpenSSL refuses it (bad write retry, bad length) or, when its checks pass, the byte stream is not what the program meant.";
    WantAsError => "want-as-error", Failure, "The traced program gave up on the connection after WANT_READ or WANT_WRITE, without waiting and calling again: it treated a retry as an error.";
    ShutdownAfterFatal => "shutdown-after-fatal", Note, "The traced program called SSL_shutdown after a fatal error (SSL_ERROR_SSL or SSL_ERROR_SYSCALL), which OpenSSL says must not be done.";
}

impl Class {
    /// The classes only `tlsscope run` gives, about the traced program's own calls: no rule on
    /// the events can find them again, so a saved one is kept (`Facts::program_verdict`).
    pub fn is_program_misuse(self) -> bool {
        matches!(
            self,
            Class::WaitedWrongDirection
                | Class::PolledWithPending
                | Class::WriteRetryChanged
                | Class::WantAsError
                | Class::ShutdownAfterFatal
        )
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// One fact a verdict rests on, pointing at the events it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub text: String,
    /// The call it is about, if any.
    pub call: Option<CallId>,
    /// When it happened (engine ns), if it is one moment.
    pub t: Option<Nanos>,
}

impl Evidence {
    /// The fact that events of the connection were lost (its count first).
    pub fn is_lost_events(&self) -> bool {
        self.call.is_none() && self.text.ends_with(super::rules::LOST_EVENTS)
    }
}

/// Where a connection's time went (ns). The parts may overlap only where noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdown {
    pub resolve: Nanos,
    pub connect: Nanos,
    /// From the first handshake call to the handshake's end (waits inside included).
    pub handshake: Nanos,
    /// Handshake round trips (our flight out → the server's answer in), how many and the longest.
    pub handshake_round_trips: u32,
    pub longest_round_trip: Nanos,
    /// Waiting for the socket to become readable (outside the handshake).
    pub wait_read: Nanos,
    /// Waiting for the socket to become writable (outside the handshake).
    pub wait_write: Nanos,
    /// Inside OpenSSL calls (all of them).
    pub in_openssl: Nanos,
    /// Waits we chose (`--read-for`, the shutdown grace) that ran out.
    pub idle: Nanos,
    /// From the first event to the last.
    pub total: Nanos,
    /// The last smoothed TCP rtt (to the first hop that terminates TCP), in ns; 0 if unknown.
    pub tcp_rtt: Nanos,
    /// The connection went through `--proxy`, so `tcp_rtt` is to the proxy, not the server.
    pub tcp_rtt_to_proxy: bool,
}

/// The verdict on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    /// One sentence to paste into a ticket: who waits for whom, and on what.
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// What the user of tlsscope can change (options, as written on the command line).
    pub next_user: Vec<String>,
    /// The OpenSSL rule for a programmer whose client behaves like this.
    pub next_code: Vec<String>,
    pub breakdown: Breakdown,
    /// The call the verdict is about (to select and frame it).
    pub focus: Option<CallId>,
}

impl Verdict {
    pub fn severity(&self) -> Severity {
        self.class.severity()
    }
}
