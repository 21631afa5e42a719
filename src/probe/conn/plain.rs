//! The plaintext stages between the TCP connect and the TLS handshake (a proxy's CONNECT, a
//! STARTTLS dialogue): non-blocking reads and writes on our own socket, driven by the same
//! readiness loop, each line recorded as a `plain` event. When the last stage says go, every
//! byte the server sent after its go-ahead is reported (an `injected` line) and dropped, so
//! OpenSSL's socket BIO starts on a clean stream.

use super::*;
use crate::probe::pretls::{Dialogue, Say};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};

/// Most bytes the server may send before a stage is satisfied (a line, a capability list).
const MAX_PLAIN_INPUT: usize = 64 * 1024;

pub(super) struct PreTls {
    stages: VecDeque<(Phase, Box<dyn Dialogue>)>,
    /// The server's bytes not yet consumed by the current stage.
    input: Vec<u8>,
    /// Bytes still to write, from `out_pos`.
    output: Vec<u8>,
    out_pos: usize,
    /// The last line heard, for a close's reason.
    last_heard: Option<String>,
}

impl PreTls {
    /// The stages `spec` asks for: the proxy's, then STARTTLS; `None` when there are none.
    pub(super) fn from_spec(spec: &ConnectSpec) -> Option<Box<PreTls>> {
        let mut stages: VecDeque<(Phase, Box<dyn Dialogue>)> = VecDeque::new();
        if let Some(proxy) = &spec.proxy {
            stages.push_back((
                Phase::Proxy,
                proxy.dialogue(&spec.target.host, spec.target.port),
            ));
        }
        if let Some(proto) = spec.starttls {
            stages.push_back((Phase::Starttls, proto.dialogue(spec.starttls_name())));
        }
        (!stages.is_empty()).then(|| {
            Box::new(PreTls {
                stages,
                input: Vec::new(),
                output: Vec::new(),
                out_pos: 0,
                last_heard: None,
            })
        })
    }

    pub(super) fn phase(&self) -> Option<Phase> {
        self.stages.front().map(|(p, _)| *p)
    }
}

/// What the stage is, in a reason: `during STARTTLS`, `while the proxy connects`.
fn during(phase: Option<Phase>) -> &'static str {
    match phase {
        Some(Phase::Proxy) => "while the proxy was connecting us",
        _ => "during STARTTLS",
    }
}

impl Conn {
    /// Where the TCP connection goes, for a reason: the target, or `the proxy HOST:PORT` (a
    /// failed connect to the proxy must not read as if the server refused).
    pub(super) fn dialed(&self) -> String {
        match &self.spec.proxy {
            Some(_) => format!("the proxy {}", self.spec.dial_target()),
            None => self.spec.target.to_string(),
        }
    }

    /// Begins the plaintext stages after TCP connected, or the TLS handshake if there are none.
    pub(super) fn after_connect(&mut self) -> Next {
        match self.pretls.as_ref().and_then(|p| p.phase()) {
            Some(phase) => {
                record::push(self.id, EventKind::Phase(phase));
                self.step = Step::Plain;
                Next::Continue
            }
            None => self.start_tls(),
        }
    }

    fn note(&self, dir: PlainDir, text: &str) {
        record::push(self.id, EventKind::Plain(Box::new(Plain::new(dir, text))));
    }

    /// One turn of the plaintext stages.
    pub(super) fn plain(&mut self) -> Next {
        let (Some(p), Some(sock)) = (self.pretls.as_mut(), self.socket.as_mut()) else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        let phase = p.phase();
        // Our pending words first.
        while p.out_pos < p.output.len() {
            match sock.write(&p.output[p.out_pos..]) {
                Ok(0) => {
                    let reason = format!("the server stopped accepting data {}", during(phase));
                    return Next::Close(CloseReason::Failed, Some(reason));
                }
                Ok(n) => p.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Wait(Interest::Write),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    let reason = format!(
                        "writing {} failed: {}",
                        during(phase),
                        errors::io_reason(&e)
                    );
                    return Next::Close(CloseReason::Failed, Some(reason));
                }
            }
        }
        p.output.clear();
        p.out_pos = 0;
        let Some((_, dialogue)) = p.stages.front_mut() else {
            return self.start_tls();
        };
        let mut heard = Vec::new();
        let say = dialogue.next(&mut p.input, &mut heard);
        if let Some(last) = heard.last() {
            p.last_heard = Some(last.clone());
        }
        for line in &heard {
            self.note(PlainDir::Received, line);
        }
        match say {
            Say::Send { bytes, shown } => {
                for line in &shown {
                    self.note(PlainDir::Sent, line);
                }
                if let Some(p) = self.pretls.as_mut() {
                    p.output = bytes;
                }
                Next::Continue
            }
            Say::More => self.plain_read(phase),
            Say::Refused(reason) => Next::Close(CloseReason::Failed, Some(reason)),
            Say::GoAhead => self.plain_go_ahead(),
        }
    }

    /// Reads what the server sent (for a stage that needs more).
    fn plain_read(&mut self, phase: Option<Phase>) -> Next {
        let (Some(p), Some(sock)) = (self.pretls.as_mut(), self.socket.as_mut()) else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        let mut buf = [0u8; 4096];
        match sock.read(&mut buf) {
            Ok(0) => {
                let after = match &p.last_heard {
                    Some(line) => format!(" (its last words: \"{}\")", escape(line)),
                    None => " before saying anything".into(),
                };
                let reason = format!("the server closed the connection {}{after}", during(phase));
                Next::Close(CloseReason::Failed, Some(reason))
            }
            Ok(n) => {
                p.input.extend_from_slice(&buf[..n]);
                if p.input.len() > MAX_PLAIN_INPUT {
                    let reason = format!(
                        "the server sent over {} KiB {} without finishing its answer",
                        MAX_PLAIN_INPUT / 1024,
                        during(phase)
                    );
                    return Next::Close(CloseReason::Failed, Some(reason));
                }
                Next::Continue
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Next::Wait(Interest::Read),
            Err(e) if e.kind() == ErrorKind::Interrupted => Next::Continue,
            Err(e) => {
                let reason = format!(
                    "reading {} failed: {}",
                    during(phase),
                    errors::io_reason(&e)
                );
                Next::Close(CloseReason::Failed, Some(reason))
            }
        }
    }

    /// The current stage is done: the next one begins with what is left of the input, or, after
    /// the last one, anything left (or already waiting in the kernel) is reported and dropped
    /// before OpenSSL reads from the socket.
    fn plain_go_ahead(&mut self) -> Next {
        let (Some(p), Some(sock)) = (self.pretls.as_mut(), self.socket.as_mut()) else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        p.stages.pop_front();
        if let Some(phase) = p.phase() {
            record::push(self.id, EventKind::Phase(phase));
            return Next::Continue;
        }
        // Nothing the server sends before our ClientHello can be TLS: drain the kernel's queue
        // too (bounded), so not one injected byte reaches OpenSSL.
        let mut leftover = std::mem::take(&mut p.input);
        let mut buf = [0u8; 4096];
        while leftover.len() < MAX_PLAIN_INPUT {
            match sock.read(&mut buf) {
                Ok(n) if n > 0 => leftover.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        self.pretls = None;
        if !leftover.is_empty() {
            let text = String::from_utf8_lossy(&leftover).into_owned();
            self.note(PlainDir::Injected, &text);
        }
        self.start_tls()
    }
}
