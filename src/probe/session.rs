//! Session resumption in the engine (`--reconnect N`, `--sess-in`, `--sess-out`): the session a
//! connection offers, the session it leaves when it closes (read then, because TLS 1.3 tickets
//! arrive after the handshake), the follow-up connection that offers it, and the session file.
//! The judgement (resumed, or why not) is `trace::resumption`'s.

use super::spec::ConnectSpec;
use crate::ffi;
use crate::trace::resumption::{self, Offered, Resumption, Saved};
use crate::trace::{ConnId, EventKind};
use openssl::ssl::{SslRef, SslSession, SslSessionRef, SslVersion};
use std::fmt;
use std::path::PathBuf;

/// What a connection does about resumption. The default does nothing.
#[derive(Clone, Default)]
pub struct SessionPlan {
    /// Connections still to make after this one, one after another, each offering the session
    /// the one before left.
    pub reconnect: u32,
    /// What this connection offers; `None`: no resumption is tried (nothing is judged).
    pub offer: Option<Offer>,
    /// Write the session this connection leaves to this file (PEM, mode 0600).
    pub sess_out: Option<PathBuf>,
}

/// A session to offer (or the note that there is none), and what the judgement needs about it.
#[derive(Clone)]
pub struct Offer {
    pub session: Option<SslSession>,
    pub saved: Saved,
}

impl Offer {
    /// A session read from a PEM file (`--sess-in`); `from` names the file for people.
    pub fn from_pem(pem: &[u8], from: String) -> Result<Offer, String> {
        let session = ffi::session_from_pem(pem)?;
        if !ffi::session_resumable(&session) {
            return Err("the session holds neither a session id nor a ticket".into());
        }
        Ok(Offer {
            saved: saved(&session, from, None),
            session: Some(session),
        })
    }
}

impl fmt::Debug for SessionPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the session itself: it holds the master secret.
        f.debug_struct("SessionPlan")
            .field("reconnect", &self.reconnect)
            .field("offer", &self.offer.as_ref().map(|o| &o.saved))
            .field("sess_out", &self.sess_out)
            .finish()
    }
}

impl PartialEq for SessionPlan {
    fn eq(&self, other: &Self) -> bool {
        let der = |p: &SessionPlan| {
            p.offer.as_ref().map(|o| {
                (
                    o.saved.clone(),
                    o.session.as_ref().and_then(|s| s.to_der().ok()),
                )
            })
        };
        self.reconnect == other.reconnect
            && self.sess_out == other.sess_out
            && der(self) == der(other)
    }
}

fn version_name(v: SslVersion) -> Option<String> {
    Some(
        match v {
            SslVersion::TLS1_3 => "TLSv1.3",
            SslVersion::TLS1_2 => "TLSv1.2",
            SslVersion::TLS1_1 => "TLSv1.1",
            SslVersion::TLS1 => "TLSv1",
            _ => return None,
        }
        .to_string(),
    )
}

/// What a resumable `session` offers.
fn saved(session: &SslSessionRef, from: String, sni: Option<String>) -> Saved {
    let offered = if ffi::session_has_ticket(session) {
        Offered::Ticket
    } else {
        Offered::SessionId
    };
    Saved {
        from,
        offered,
        version: version_name(session.protocol_version()),
        sni: sni.or_else(|| ffi::session_hostname(session)),
    }
}

/// Offers the plan's session on a new client.
pub(super) fn offer(ssl: &mut SslRef, spec: &ConnectSpec) -> Result<(), String> {
    match spec.session.offer.as_ref().and_then(|o| o.session.as_ref()) {
        Some(session) => ffi::offer_session(ssl, session),
        None => Ok(()),
    }
}

/// How this connection's resumption went, for its `tls` event.
pub(super) fn judge(ssl: &SslRef, spec: &ConnectSpec) -> Option<Resumption> {
    let offer = spec.session.offer.as_ref()?;
    Some(resumption::explain(
        &offer.saved,
        ssl.version_str(),
        spec.sni_name(),
        ssl.session_reused(),
    ))
}

/// At close: writes `--sess-out` and returns the follow-up connection's spec, if one is due.
/// `ssl` is `None` when the connection never got to TLS.
pub(super) fn closing(id: ConnId, ssl: Option<&SslRef>, spec: &ConnectSpec) -> Option<ConnectSpec> {
    let plan = &spec.session;
    if plan.reconnect == 0 && plan.sess_out.is_none() {
        return None;
    }
    let finished = ssl.filter(|s| s.is_init_finished());
    let session = finished
        .and_then(SslRef::session)
        .filter(|s| ffi::session_resumable(s));
    if let (Some(path), Some(session)) = (&plan.sess_out, session) {
        if let Err(e) = write_session(path, session) {
            super::record::push(
                id,
                EventKind::Error(format!("--sess-out {}: {e}", path.display()).into()),
            );
        }
    }
    if plan.reconnect == 0 {
        return None;
    }
    let from = format!("connection {id}");
    let saved = match session {
        Some(s) => saved(s, from, spec.sni_name().map(str::to_string)),
        None => Saved {
            from,
            offered: Offered::None,
            version: finished.map(|s| s.version_str().to_string()),
            sni: spec.sni_name().map(str::to_string),
        },
    };
    let mut next = spec.clone();
    next.session.reconnect = plan.reconnect - 1;
    next.session.offer = Some(Offer {
        session: session.map(ToOwned::to_owned),
        saved,
    });
    Some(next)
}

/// Writes the session PEM with mode 0600 (it holds the master secret), replacing the file.
fn write_session(path: &std::path::Path, session: &SslSessionRef) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let pem = ffi::session_to_pem(session)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| e.to_string())?;
    // An existing file keeps its mode on open: narrow it too.
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| e.to_string())?;
    file.write_all(&pem).map_err(|e| e.to_string())
}
