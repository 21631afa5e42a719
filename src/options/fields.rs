//! The table of connection options: for each, its name on the command line, its label, hint and
//! tooltip in the app, and its kind. The command line's help and the app's option panel are both
//! drawn from it, so an option is described once.

/// One connection option. The order is the command line's (and the app's within each kind);
/// [`FIELDS`] is indexed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Sni,
    NoSni,
    Alpn,
    TlsMin,
    TlsMax,
    Ciphers,
    Ciphersuites,
    Ca,
    Cert,
    Key,
    KeyPass,
    Insecure,
    Status,
    NoAutoRetry,
    Sndbuf,
    Rcvbuf,
    Nodelay,
    ConnectTimeout,
    Timeout,
    HttpGet,
    Send,
    Upload,
    ReadFor,
    ThenSend,
    KeyUpdate,
    Renegotiate,
    Starttls,
    StarttlsHost,
    Proxy,
    Reconnect,
    SessIn,
    SessOut,
}

/// What a field holds, and so how the app offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A value typed as text (a name, a list, a number with a unit).
    Text,
    /// A path to a PEM file (read when the connection is prepared, never while drawing).
    File,
    /// On or off.
    Flag,
}

/// How one option is named and explained.
#[derive(Debug)]
pub(crate) struct FieldDef {
    pub(crate) field: Field,
    /// The long option on the command line, without the dashes.
    pub(crate) name: &'static str,
    /// The app's label (short: it stands left of its field in the panel, and replaces the
    /// command-line name in the app's error messages).
    pub(crate) label: &'static str,
    /// The app's placeholder text, shown greyed in an empty field: it must read as a hint, never
    /// as a value (so "e.g. …", not a bare example); empty for flags.
    pub(crate) hint: &'static str,
    /// The command line's help, also the app's tooltip.
    pub(crate) help: &'static str,
    pub(crate) kind: Kind,
}

impl Field {
    /// This field's row of [`FIELDS`].
    pub(crate) fn def(self) -> &'static FieldDef {
        // In range by construction: FIELDS has one row per variant, in order (unit-tested).
        &FIELDS[self as usize]
    }

    /// The command line's help for this field (used by the `clap` attributes).
    pub(crate) fn help(self) -> &'static str {
        self.def().help
    }
}

/// The app's groups of options, in the panel's order; each field is in exactly one
/// (unit-tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Protocol,
    Trust,
    Socket,
    Workload,
    Actions,
}

impl Group {
    pub(crate) const ALL: [Group; 5] = [
        Group::Protocol,
        Group::Trust,
        Group::Socket,
        Group::Workload,
        Group::Actions,
    ];

    /// The group's heading in the panel.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Group::Protocol => "Server name & protocol",
            Group::Trust => "Trust & identity",
            Group::Socket => "Socket & time limits",
            Group::Workload => "Workload",
            Group::Actions => "OpenSSL & actions",
        }
    }

    /// The group's fields, in the panel's order.
    pub(crate) fn fields(self) -> &'static [Field] {
        use Field::*;
        match self {
            Group::Protocol => &[
                Sni,
                NoSni,
                Alpn,
                TlsMin,
                TlsMax,
                Ciphers,
                Ciphersuites,
                Starttls,
                StarttlsHost,
            ],
            Group::Trust => &[Ca, Cert, Key, KeyPass, Insecure, Status],
            Group::Socket => &[Proxy, Sndbuf, Rcvbuf, Nodelay, ConnectTimeout, Timeout],
            Group::Workload => &[HttpGet, Send, Upload, ReadFor, ThenSend],
            Group::Actions => &[
                NoAutoRetry,
                KeyUpdate,
                Renegotiate,
                Reconnect,
                SessIn,
                SessOut,
            ],
        }
    }
}

/// `message` (a validation error, which names options as the command line does: `--sndbuf: …`)
/// in the app's words: each `--NAME` of an option becomes its label (`SO_SNDBUF: …`). Other
/// text, and `--words` that are not options, are kept.
pub(crate) fn in_app_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("--") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(after.len());
        let word = &after[..len];
        match FIELDS.iter().find(|def| def.name == word) {
            Some(def) => out.push_str(def.label),
            None => {
                out.push_str("--");
                out.push_str(word);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

const fn row(
    field: Field,
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    help: &'static str,
    kind: Kind,
) -> FieldDef {
    FieldDef {
        field,
        name,
        label,
        hint,
        help,
        kind,
    }
}

use Kind::{File, Flag, Text};

/// Every connection option, in [`Field`] order.
// Kept as written (not reformatted) so it reads as a table, a row an option.
#[rustfmt::skip]
pub(crate) static FIELDS: [FieldDef; 32] = [
    row(Field::Sni, "sni", "SNI", "server name to send",
        "Server name to send (SNI) and to verify the certificate against", Text),
    row(Field::NoSni, "no-sni", "No SNI", "", "Send no SNI", Flag),
    row(Field::Alpn, "alpn", "ALPN", "e.g. h2,http/1.1",
        "ALPN protocols to offer, comma separated (e.g. h2,http/1.1)", Text),
    row(Field::TlsMin, "tls-min", "TLS min", "1.2 or 1.3",
        "Lowest TLS version to allow: 1.2 or 1.3", Text),
    row(Field::TlsMax, "tls-max", "TLS max", "1.2 or 1.3",
        "Highest TLS version to allow: 1.2 or 1.3", Text),
    row(Field::Ciphers, "ciphers", "Ciphers (1.2)", "OpenSSL cipher list",
        "TLS 1.2 cipher list (OpenSSL syntax)", Text),
    row(Field::Ciphersuites, "ciphersuites", "Ciphersuites (1.3)", "e.g. TLS_AES_128_GCM_SHA256",
        "TLS 1.3 cipher suites (OpenSSL syntax)", Text),
    row(Field::Ca, "ca", "CA file", "PEM file to trust",
        "Trust the CA certificates in this PEM file instead of the system store", File),
    row(Field::Cert, "cert", "Client cert", "PEM file, leaf first",
        "Client certificate (PEM, leaf first, chain may follow); needs --key", File),
    row(Field::Key, "key", "Client key", "PEM file",
        "Private key of the client certificate (PEM)", File),
    row(Field::KeyPass, "key-pass", "Key passphrase", "env:VAR, file:PATH or pass:TEXT",
        "Passphrase of an encrypted --key: env:VAR, file:PATH (its first line) or pass:TEXT \
         (tlsscope never prompts for one)", Text),
    row(Field::Insecure, "insecure", "Don't verify", "",
        "Do not verify the peer's certificate", Flag),
    row(Field::Status, "status", "OCSP stapling", "",
        "Ask for a stapled OCSP response and show it: good, revoked or unknown, its dates, the \
         responder, whether it verifies; \"no response stapled\" is a result, not an error", Flag),
    row(Field::NoAutoRetry, "no-auto-retry", "AUTO_RETRY off", "",
        "Clear SSL_MODE_AUTO_RETRY: SSL_read returns WANT_READ after non-application records",
        Flag),
    row(Field::Sndbuf, "sndbuf", "SO_SNDBUF", "e.g. 16K",
        "SO_SNDBUF for our socket (e.g. 16K); Linux doubles it", Text),
    row(Field::Rcvbuf, "rcvbuf", "SO_RCVBUF", "e.g. 16K",
        "SO_RCVBUF for our socket (e.g. 16K); Linux doubles it", Text),
    row(Field::Nodelay, "nodelay", "TCP_NODELAY", "",
        "Set TCP_NODELAY: small writes leave at once instead of waiting for the peer's ACK (Nagle)",
        Flag),
    row(Field::ConnectTimeout, "connect-timeout", "Connect timeout", "seconds [10]",
        "Seconds allowed for the TCP connect [default: 10]", Text),
    row(Field::Timeout, "timeout", "Timeout", "seconds, 0 = none [30]",
        "Seconds allowed for the whole connection, 0 for no limit [default: 30]", Text),
    row(Field::HttpGet, "http-get", "HTTP GET path", "a path such as /",
        "Workload: send an HTTP/1.1 GET for PATH and read the response", Text),
    row(Field::Send, "send", "Send text", "escapes \\n \\r \\t",
        "Workload: send TEXT (\\n, \\r and \\t escapes are understood)", Text),
    row(Field::Upload, "upload", "Upload bytes", "e.g. 10M",
        "Workload: write this many bytes of bulk data (e.g. 10M)", Text),
    row(Field::ReadFor, "read-for", "Read for", "seconds",
        "After the workload, keep reading until the peer closes or S seconds pass", Text),
    row(Field::ThenSend, "then-send", "Then send", "text, after Read for",
        "When --read-for's time is up, send TEXT and read for that long again (also carries \
         what OpenSSL deferred to the next write, e.g. the reply to a peer's KeyUpdate)", Text),
    row(Field::KeyUpdate, "key-update", "Key update after handshake", "",
        "After the handshake, send a TLS 1.3 KeyUpdate (update_requested)", Flag),
    row(Field::Renegotiate, "renegotiate", "Renegotiate after handshake", "",
        "After the handshake, renegotiate (TLS 1.2)", Flag),
    row(Field::Starttls, "starttls", "STARTTLS", "e.g. smtp, imap, postgres",
        "Upgrade a plaintext protocol before TLS: smtp, lmtp, imap, pop3, ftp, xmpp, postgres, \
         mysql, ldap, nntp, sieve or irc (its dialogue is traced)", Text),
    row(Field::StarttlsHost, "starttls-host", "STARTTLS name", "EHLO / XMPP name [the SNI]",
        "The name STARTTLS gives (SMTP EHLO, XMPP's to=) [default: the SNI, else the host]", Text),
    row(Field::Proxy, "proxy", "Proxy", "http://HOST:PORT or socks5://HOST:PORT",
        "Connect through a proxy: http://[user:pass@]HOST:PORT (HTTP CONNECT) or \
         socks5://[user:pass@]HOST:PORT (the proxy resolves the name)", Text),
    row(Field::Reconnect, "reconnect", "Reconnect", "N more, resuming",
        "After the connection, make N more to the same endpoint, one after another, each \
         offering the session the one before left (ticket or session id); each says whether it \
         was resumed, and why not", Text),
    row(Field::SessIn, "sess-in", "Session in", "PEM file from --sess-out",
        "Offer the session in this PEM file (written by --sess-out or openssl s_client \
         -sess_out) on the first connection", File),
    row(Field::SessOut, "sess-out", "Session out", "file to write",
        "Write the session the connection leaves to this file as PEM (like s_client -sess_out; \
         mode 0600: it holds the session's secret); with --reconnect, the last one", Text),
];
