//! Session resumption explained (`--reconnect N`, `--sess-in`): what a connection offered (a
//! ticket, a session id, or nothing), whether the server resumed it, and if not, why — derived
//! from what the session's earlier connection (or file) left and what this connection
//! negotiated. Also its JSONL object and text line, and the count across a run's connections.
//! Pure: the engine gathers the facts, this module judges them.

use serde_json::{json, Value};

/// What a connection offered to resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offered {
    /// Nothing: there was no resumable session to offer.
    #[default]
    None,
    /// A session ticket (RFC 5077 in TLS 1.2, a PSK identity in TLS 1.3).
    Ticket,
    /// A TLS 1.2 session id (the server's session cache).
    SessionId,
}

impl Offered {
    pub const ALL: [Offered; 3] = [Offered::None, Offered::Ticket, Offered::SessionId];

    /// The JSONL name.
    pub fn name(self) -> &'static str {
        match self {
            Offered::None => "none",
            Offered::Ticket => "ticket",
            Offered::SessionId => "session_id",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Offered::None => "nothing",
            Offered::Ticket => "ticket",
            Offered::SessionId => "session id",
        }
    }
}

/// What an earlier connection (or a session file) left for this one to offer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Saved {
    /// Where it came from, as a person reads it: `connection 3`, `session file s.pem`.
    pub from: String,
    pub offered: Offered,
    /// The session's protocol version (`TLSv1.3`); with nothing offered, the version the earlier
    /// connection negotiated; `None` when it finished no handshake.
    pub version: Option<String>,
    /// The server name the session was made for; `None` when unknown.
    pub sni: Option<String>,
}

/// How one connection's resumption went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resumption {
    pub offered: Offered,
    /// Where the offered session came from (see [`Saved::from`]).
    pub from: String,
    pub resumed: bool,
    /// Why it was not resumed; `None` when it was.
    pub why_not: Option<String>,
}

/// Judges a connection that offered what `saved` holds and then negotiated `version` with
/// `sni`, resumed or not (`SSL_session_reused`).
pub fn explain(saved: &Saved, version: &str, sni: Option<&str>, resumed: bool) -> Resumption {
    let from = &saved.from;
    let why_not = if resumed {
        None
    } else {
        Some(match (saved.offered, saved.version.as_deref()) {
            (Offered::None, None) => {
                format!("{from} finished no handshake, so there was no session to offer")
            }
            (Offered::None, Some("TLSv1.3")) => format!(
                "the server sent no NewSessionTicket in {from}: no ticket received, nothing to offer"
            ),
            (Offered::None, Some(_)) => format!(
                "the server issued no ticket and no session id in {from} (tickets and session \
                 cache off): nothing to offer"
            ),
            (offered, Some(was)) if was != version => format!(
                "the {} from {from} is for {was}, this connection negotiated {version}",
                offered.words()
            ),
            // A session that does not say its name (the server did not acknowledge the SNI)
            // is not judged on it.
            (offered, _) if saved.sni.is_some() && saved.sni.as_deref() != sni => format!(
                "the {} from {from} was made for SNI {}, this connection sent {}",
                offered.words(),
                sni_words(saved.sni.as_deref()),
                sni_words(sni)
            ),
            (offered, _) => format!(
                "the server rejected the {} from {from}: a full handshake instead (it restarted, \
                 changed its ticket keys, or its cache no longer holds the session)",
                offered.words()
            ),
        })
    };
    Resumption {
        offered: saved.offered,
        from: from.clone(),
        resumed,
        why_not,
    }
}

fn sni_words(sni: Option<&str>) -> String {
    match sni {
        Some(name) => format!("{:?}", super::escape::escape(name)),
        None => "none".into(),
    }
}

impl Resumption {
    /// The JSONL object (the `resumption` field of a `tls` event).
    pub fn json(&self) -> Value {
        json!({
            "offered": self.offered.name(), "from": self.from, "resumed": self.resumed,
            "why_not": self.why_not,
        })
    }

    /// Reads [`Resumption::json`] back; `None` when absent or malformed (an old trace).
    pub fn from_json(value: &Value) -> Option<Resumption> {
        let offered = value.get("offered")?.as_str()?;
        let offered = Offered::ALL.into_iter().find(|o| o.name() == offered)?;
        let cap = |s: &str| s.chars().take(4096).collect::<String>();
        Some(Resumption {
            offered,
            from: cap(value.get("from")?.as_str()?),
            resumed: value.get("resumed")?.as_bool()?,
            why_not: value.get("why_not").and_then(Value::as_str).map(cap),
        })
    }

    /// One line for people: `resumption: offered ticket from connection 1: resumed`.
    pub fn line(&self) -> String {
        format!("resumption: {}", self.text())
    }

    /// What [`Resumption::line`] says after `resumption: ` (the app's Summary row).
    pub fn text(&self) -> String {
        let head = format!(
            "offered {} from {}",
            self.offered.words(),
            super::escape::escape(&self.from)
        );
        match &self.why_not {
            None => format!("{head}: resumed"),
            Some(why) => format!("{head}: not resumed: {why}"),
        }
    }
}

/// How many connections of a run tried to resume and how many did, by what was offered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    pub attempts: u64,
    pub resumed: u64,
    pub by_ticket: u64,
    pub by_session_id: u64,
    /// The first reason a resumption failed, and how many failed.
    pub first_why_not: Option<String>,
}

impl Count {
    /// Counts a connection's first handshake (later ones are renegotiations).
    pub fn feed(&mut self, r: &Resumption) {
        self.attempts += 1;
        if r.resumed {
            self.resumed += 1;
            match r.offered {
                Offered::Ticket => self.by_ticket += 1,
                Offered::SessionId => self.by_session_id += 1,
                Offered::None => {}
            }
        } else if self.first_why_not.is_none() {
            self.first_why_not = r.why_not.clone();
        }
    }

    /// `resumed: 3 of 3 (3 by ticket)`, and the first reason when some were not.
    pub fn line(&self) -> String {
        let mut s = format!("resumed: {} of {}", self.resumed, self.attempts);
        let mut how = Vec::new();
        if self.by_ticket > 0 {
            how.push(format!("{} by ticket", self.by_ticket));
        }
        if self.by_session_id > 0 {
            how.push(format!("{} by session id", self.by_session_id));
        }
        if !how.is_empty() {
            s.push_str(&format!(" ({})", how.join(", ")));
        }
        if let Some(why) = &self.first_why_not {
            s.push_str(&format!("; first not resumed: {why}"));
        }
        s
    }

    pub fn json(&self) -> Value {
        json!({
            "attempts": self.attempts, "resumed": self.resumed, "by_ticket": self.by_ticket,
            "by_session_id": self.by_session_id, "first_why_not": self.first_why_not,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(offered: Offered, version: Option<&str>, sni: Option<&str>) -> Saved {
        Saved {
            from: "connection 1".into(),
            offered,
            version: version.map(str::to_string),
            sni: sni.map(str::to_string),
        }
    }

    #[test]
    fn resumed_has_no_reason() {
        let s = saved(Offered::Ticket, Some("TLSv1.3"), Some("localhost"));
        let r = explain(&s, "TLSv1.3", Some("localhost"), true);
        assert_eq!(r.why_not, None);
        assert_eq!(
            r.line(),
            "resumption: offered ticket from connection 1: resumed"
        );
    }

    #[test]
    fn nothing_offered_says_what_the_server_did_not_give() {
        let tls13 = explain(
            &saved(Offered::None, Some("TLSv1.3"), None),
            "TLSv1.3",
            None,
            false,
        );
        assert!(tls13.why_not.unwrap().contains("no NewSessionTicket"));
        let tls12 = explain(
            &saved(Offered::None, Some("TLSv1.2"), None),
            "TLSv1.2",
            None,
            false,
        );
        assert!(tls12
            .why_not
            .unwrap()
            .contains("no ticket and no session id"));
        let failed = explain(&saved(Offered::None, None, None), "TLSv1.3", None, false);
        assert!(failed.why_not.unwrap().contains("finished no handshake"));
    }

    #[test]
    fn a_different_version_or_sni_is_named_before_a_rejection() {
        let s = saved(Offered::SessionId, Some("TLSv1.2"), Some("a.test"));
        let v = explain(&s, "TLSv1.3", Some("a.test"), false)
            .why_not
            .unwrap();
        assert_eq!(
            v,
            "the session id from connection 1 is for TLSv1.2, this connection negotiated TLSv1.3"
        );
        let n = explain(&s, "TLSv1.2", Some("b.test"), false)
            .why_not
            .unwrap();
        assert!(
            n.contains("SNI \"a.test\", this connection sent \"b.test\""),
            "{n}"
        );
        let off = explain(&s, "TLSv1.2", None, false).why_not.unwrap();
        assert!(off.ends_with("this connection sent none"), "{off}");
        let unnamed = saved(Offered::Ticket, Some("TLSv1.2"), None);
        let other = explain(&unnamed, "TLSv1.2", Some("b.test"), false)
            .why_not
            .unwrap();
        assert!(
            other.starts_with("the server rejected the ticket"),
            "{other}"
        );
        let rejected = explain(&s, "TLSv1.2", Some("a.test"), false);
        assert!(rejected
            .why_not
            .as_deref()
            .unwrap()
            .starts_with("the server rejected the session id from connection 1"));
        assert_eq!(rejected.offered, Offered::SessionId);
    }

    #[test]
    fn json_round_trips_and_old_traces_have_none() {
        let r = explain(
            &saved(Offered::Ticket, Some("TLSv1.2"), None),
            "TLSv1.2",
            None,
            false,
        );
        assert_eq!(Resumption::from_json(&r.json()), Some(r));
        assert_eq!(Resumption::from_json(&json!({"offered": "psk"})), None);
        assert_eq!(Resumption::from_json(&Value::Null), None);
    }

    #[test]
    fn counts_resumptions_by_what_was_offered() {
        let mut count = Count::default();
        let s = saved(Offered::Ticket, Some("TLSv1.3"), None);
        count.feed(&explain(&s, "TLSv1.3", None, true));
        count.feed(&explain(&s, "TLSv1.3", None, false));
        let id = saved(Offered::SessionId, Some("TLSv1.2"), None);
        count.feed(&explain(&id, "TLSv1.2", None, true));
        assert_eq!((count.attempts, count.resumed), (3, 2));
        let line = count.line();
        assert!(
            line.starts_with("resumed: 2 of 3 (1 by ticket, 1 by session id); first not resumed: the server rejected the ticket"),
            "{line}"
        );
    }
}
