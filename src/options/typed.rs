//! The connection options as a user types them (text and flags, not yet checked): what
//! `tlsscope trace` and the app's command line parse, and what the app's form produces.

use super::fields::Field;
use clap::Args;
use std::path::PathBuf;

/// The options of one traced connection, as typed. [`ConnectOptions::apply`] checks them and
/// turns them into the engine's spec. Each option's help text is its row of
/// [`FIELDS`](super::fields::FIELDS).
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    #[arg(long, value_name = "NAME", help = Field::Sni.help())]
    pub sni: Option<String>,
    #[arg(long, conflicts_with = "sni", help = Field::NoSni.help())]
    pub no_sni: bool,
    #[arg(long, value_name = "LIST", help = Field::Alpn.help())]
    pub alpn: Option<String>,
    #[arg(long, value_name = "V", help = Field::TlsMin.help())]
    pub tls_min: Option<String>,
    #[arg(long, value_name = "V", help = Field::TlsMax.help())]
    pub tls_max: Option<String>,
    #[arg(long, value_name = "LIST", help = Field::Ciphers.help())]
    pub ciphers: Option<String>,
    #[arg(long, value_name = "LIST", help = Field::Ciphersuites.help())]
    pub ciphersuites: Option<String>,
    #[arg(long, value_name = "FILE", help = Field::Ca.help())]
    pub ca: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "key", help = Field::Cert.help())]
    pub cert: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "cert", help = Field::Key.help())]
    pub key: Option<PathBuf>,
    #[arg(long, value_name = "SOURCE", requires = "key", help = Field::KeyPass.help())]
    pub key_pass: Option<String>,
    #[arg(long, help = Field::Insecure.help())]
    pub insecure: bool,
    #[arg(long, help = Field::Status.help())]
    pub status: bool,
    #[arg(long, help = Field::NoAutoRetry.help())]
    pub no_auto_retry: bool,
    #[arg(long, value_name = "N", allow_hyphen_values = true, help = Field::Sndbuf.help())]
    pub sndbuf: Option<String>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, help = Field::Rcvbuf.help())]
    pub rcvbuf: Option<String>,
    #[arg(long, help = Field::Nodelay.help())]
    pub nodelay: bool,
    #[arg(long, value_name = "S", allow_hyphen_values = true, help = Field::ConnectTimeout.help())]
    pub connect_timeout: Option<String>,
    #[arg(long, value_name = "S", allow_hyphen_values = true, help = Field::Timeout.help())]
    pub timeout: Option<String>,
    #[arg(long, value_name = "PATH", help = Field::HttpGet.help())]
    pub http_get: Option<String>,
    #[arg(long, value_name = "TEXT", help = Field::Send.help())]
    pub send: Option<String>,
    #[arg(long, value_name = "BYTES", allow_hyphen_values = true, help = Field::Upload.help())]
    pub upload: Option<String>,
    #[arg(long, value_name = "S", allow_hyphen_values = true, help = Field::ReadFor.help())]
    pub read_for: Option<String>,
    #[arg(long, value_name = "TEXT", requires = "read_for", help = Field::ThenSend.help())]
    pub then_send: Option<String>,
    #[arg(long, help = Field::KeyUpdate.help())]
    pub key_update: bool,
    #[arg(long, help = Field::Renegotiate.help())]
    pub renegotiate: bool,
    #[arg(long, value_name = "PROTO", help = Field::Starttls.help())]
    pub starttls: Option<String>,
    #[arg(long, value_name = "NAME", requires = "starttls", help = Field::StarttlsHost.help())]
    pub starttls_host: Option<String>,
    #[arg(long, value_name = "URL", help = Field::Proxy.help())]
    pub proxy: Option<String>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, help = Field::Reconnect.help())]
    pub reconnect: Option<String>,
    #[arg(long, value_name = "FILE", help = Field::SessIn.help())]
    pub sess_in: Option<PathBuf>,
    #[arg(long, value_name = "FILE", help = Field::SessOut.help())]
    pub sess_out: Option<String>,
}

/// Where one field's value lives in [`ConnectOptions`], by its kind.
pub(crate) enum Slot<'a> {
    Text(&'a mut Option<String>),
    File(&'a mut Option<PathBuf>),
    Flag(&'a mut bool),
}

impl ConnectOptions {
    /// The value of `field`. The one place a [`Field`] meets a struct field: the match is
    /// exhaustive, so a new option cannot be forgotten here, and the unit tests check that each
    /// field's slot has the table's kind and reaches the spec.
    pub(crate) fn slot(&mut self, field: Field) -> Slot<'_> {
        match field {
            Field::Sni => Slot::Text(&mut self.sni),
            Field::NoSni => Slot::Flag(&mut self.no_sni),
            Field::Alpn => Slot::Text(&mut self.alpn),
            Field::TlsMin => Slot::Text(&mut self.tls_min),
            Field::TlsMax => Slot::Text(&mut self.tls_max),
            Field::Ciphers => Slot::Text(&mut self.ciphers),
            Field::Ciphersuites => Slot::Text(&mut self.ciphersuites),
            Field::Ca => Slot::File(&mut self.ca),
            Field::Cert => Slot::File(&mut self.cert),
            Field::Key => Slot::File(&mut self.key),
            Field::KeyPass => Slot::Text(&mut self.key_pass),
            Field::Insecure => Slot::Flag(&mut self.insecure),
            Field::Status => Slot::Flag(&mut self.status),
            Field::NoAutoRetry => Slot::Flag(&mut self.no_auto_retry),
            Field::Sndbuf => Slot::Text(&mut self.sndbuf),
            Field::Rcvbuf => Slot::Text(&mut self.rcvbuf),
            Field::Nodelay => Slot::Flag(&mut self.nodelay),
            Field::ConnectTimeout => Slot::Text(&mut self.connect_timeout),
            Field::Timeout => Slot::Text(&mut self.timeout),
            Field::HttpGet => Slot::Text(&mut self.http_get),
            Field::Send => Slot::Text(&mut self.send),
            Field::Upload => Slot::Text(&mut self.upload),
            Field::ReadFor => Slot::Text(&mut self.read_for),
            Field::ThenSend => Slot::Text(&mut self.then_send),
            Field::KeyUpdate => Slot::Flag(&mut self.key_update),
            Field::Renegotiate => Slot::Flag(&mut self.renegotiate),
            Field::Starttls => Slot::Text(&mut self.starttls),
            Field::StarttlsHost => Slot::Text(&mut self.starttls_host),
            Field::Proxy => Slot::Text(&mut self.proxy),
            Field::Reconnect => Slot::Text(&mut self.reconnect),
            Field::SessIn => Slot::File(&mut self.sess_in),
            Field::SessOut => Slot::Text(&mut self.sess_out),
        }
    }

    /// The value of `field` as typed: the text (a path as text), or "on"/"" for a flag.
    pub(crate) fn text(&self, field: Field) -> Option<String> {
        // `slot` needs `&mut`; a copy keeps one mapping instead of a second, read-only match.
        let mut copy = self.clone();
        match copy.slot(field) {
            Slot::Text(t) => t.clone(),
            Slot::File(p) => p.as_ref().map(|p| p.display().to_string()),
            Slot::Flag(on) => on.then(String::new),
        }
    }

    /// Checks the combinations the command line's parser also enforces, for callers that build
    /// options without it (the app). Touches no file and no network.
    pub(crate) fn check_combinations(&self) -> Result<(), String> {
        if self.cert.is_some() != self.key.is_some() {
            return Err(
                "--cert and --key go together: a client certificate needs both the cert and the \
                 key file"
                    .into(),
            );
        }
        if self.key_pass.is_some() && self.key.is_none() {
            return Err("--key-pass needs --key: it is the passphrase of that key".into());
        }
        if self.sni.is_some() && self.no_sni {
            return Err("--sni and --no-sni: give an SNI name or turn SNI off, not both".into());
        }
        if self.starttls_host.is_some() && self.starttls.is_none() {
            return Err("--starttls-host needs --starttls: it is the name STARTTLS gives".into());
        }
        if self.then_send.is_some() && self.read_for.is_none() {
            return Err("--then-send needs --read-for: it is sent when that time is up".into());
        }
        Ok(())
    }
}
