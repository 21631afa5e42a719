//! The plaintext dialogues before TLS: STARTTLS for each protocol `openssl s_client -starttls`
//! knows, and a proxy's CONNECT. Each is a pure state machine on bytes (no I/O): the connection
//! (`probe/conn/plain.rs`) feeds it what the server sent and carries out what it says.

mod ftp;
mod imap;
mod irc;
mod ldap;
mod lines;
mod mysql;
mod nntp;
mod pop3;
mod postgres;
pub mod proxy;
mod sieve;
mod smtp;
mod xmpp;

#[cfg(test)]
mod tests;

use std::fmt;

/// What a dialogue asks the connection to do next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Say {
    /// Send `bytes`, shown in the trace as these lines (or a description of a binary message);
    /// then ask again.
    Send { bytes: Vec<u8>, shown: Vec<String> },
    /// Read more from the server, then ask again.
    More,
    /// The server said go: the next stage (or the TLS handshake) may begin.
    GoAhead,
    /// Stop: the one-line reason (quoting the server, escaped).
    Refused(String),
}

impl Say {
    /// A text line (CRLF added).
    pub(crate) fn line(text: impl Into<String>) -> Say {
        let text = text.into();
        let mut bytes = text.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        Say::Send {
            bytes,
            shown: vec![text],
        }
    }
}

/// One plaintext dialogue.
pub(crate) trait Dialogue: Send {
    /// `input` holds the server's bytes not yet consumed: the dialogue removes what it used and
    /// pushes each line (or message) it consumed onto `heard`, then says what to do. It must not
    /// consume anything after the server's go-ahead (those bytes are the injection warning).
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say;
}

/// The protocols `--starttls` accepts (those of `openssl s_client -starttls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starttls {
    Smtp,
    Lmtp,
    Imap,
    Pop3,
    Ftp,
    Xmpp,
    Postgres,
    Mysql,
    Ldap,
    Nntp,
    Sieve,
    Irc,
}

impl Starttls {
    pub const ALL: [Starttls; 12] = [
        Starttls::Smtp,
        Starttls::Lmtp,
        Starttls::Imap,
        Starttls::Pop3,
        Starttls::Ftp,
        Starttls::Xmpp,
        Starttls::Postgres,
        Starttls::Mysql,
        Starttls::Ldap,
        Starttls::Nntp,
        Starttls::Sieve,
        Starttls::Irc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Starttls::Smtp => "smtp",
            Starttls::Lmtp => "lmtp",
            Starttls::Imap => "imap",
            Starttls::Pop3 => "pop3",
            Starttls::Ftp => "ftp",
            Starttls::Xmpp => "xmpp",
            Starttls::Postgres => "postgres",
            Starttls::Mysql => "mysql",
            Starttls::Ldap => "ldap",
            Starttls::Nntp => "nntp",
            Starttls::Sieve => "sieve",
            Starttls::Irc => "irc",
        }
    }

    pub fn parse(text: &str) -> Result<Starttls, String> {
        let lower = text.trim().to_ascii_lowercase();
        Starttls::ALL
            .into_iter()
            .find(|p| p.name() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = Starttls::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown STARTTLS protocol {text:?}: use one of {}",
                    names.join(", ")
                )
            })
    }

    /// The dialogue for this protocol; `host` is the name for EHLO, XMPP's `to`, …
    pub(crate) fn dialogue(self, host: &str) -> Box<dyn Dialogue> {
        match self {
            Starttls::Smtp => Box::new(smtp::Smtp::new("EHLO", host)),
            Starttls::Lmtp => Box::new(smtp::Smtp::new("LHLO", host)),
            Starttls::Imap => Box::<imap::Imap>::default(),
            Starttls::Pop3 => Box::<pop3::Pop3>::default(),
            Starttls::Ftp => Box::<ftp::Ftp>::default(),
            Starttls::Xmpp => Box::new(xmpp::Xmpp::new(host)),
            Starttls::Postgres => Box::<postgres::Postgres>::default(),
            Starttls::Mysql => Box::<mysql::Mysql>::default(),
            Starttls::Ldap => Box::<ldap::Ldap>::default(),
            Starttls::Nntp => Box::<nntp::Nntp>::default(),
            Starttls::Sieve => Box::<sieve::Sieve>::default(),
            Starttls::Irc => Box::<irc::Irc>::default(),
        }
    }
}

impl fmt::Display for Starttls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
