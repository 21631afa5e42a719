//! The TLS messages folded into the facts: the handshake's round trips, alerts in and out,
//! what came after the handshake (renegotiation, post-handshake auth, KeyUpdate, tickets).

use super::{Alert, Facts, Seen};
use crate::trace::event::*;

impl Facts {
    /// A TLS 1.2 renegotiation has begun: the server asked (HelloRequest) or we sent a new
    /// ClientHello after the handshake.
    pub fn renegotiating(&self) -> bool {
        self.first_hello_request.is_some() || self.reneg_hello_out.is_some()
    }

    pub(super) fn on_msg(&mut self, t: Nanos, m: &Msg) {
        let at = Seen { t, call: m.call() };
        let done = self.handshake_done.is_some();
        if m.content == 21 {
            let alert = Alert {
                desc: m.msg_type,
                fatal: m.level == 2,
                at,
                after_handshake: done,
                op: None,
            };
            if m.msg_type == 0 && m.dir == MsgDir::In {
                self.notify_in.get_or_insert(at);
            }
            // close_notify is the orderly end, not a failure.
            if m.msg_type != 0 {
                match m.dir {
                    MsgDir::In => {
                        self.alert_in.get_or_insert(alert);
                    }
                    MsgDir::Out if self.eof.is_some() => {
                        self.alert_after_eof.get_or_insert(alert);
                    }
                    MsgDir::Out => {
                        self.alert_out.get_or_insert(alert);
                    }
                }
            }
            return;
        }
        if m.content != 22 {
            return;
        }
        match m.dir {
            MsgDir::Out => {
                if m.msg_type == 1 {
                    if done {
                        self.reneg_hello_out.get_or_insert(at);
                    } else if self.hello_out.is_some() {
                        // A second ClientHello before the handshake ends: the server's
                        // "ServerHello" was a TLS 1.3 HelloRetryRequest.
                        self.hello_retry.get_or_insert(at);
                    } else {
                        self.hello_out.get_or_insert(at);
                    }
                }
                if m.msg_type == 11 && self.cert_sent_empty.is_none() {
                    self.cert_sent_empty = Some(m.is_empty_certificate());
                }
                if m.msg_type == 24 {
                    self.key_update_out = Some((at, m.requests_update(), None));
                }
                if !done {
                    self.awaiting_answer_since.get_or_insert(t);
                }
            }
            MsgDir::In => {
                if !done {
                    self.first_in.get_or_insert(at);
                    if let Some(since) = self.awaiting_answer_since.take() {
                        self.round_trips += 1;
                        self.longest_round_trip = self.longest_round_trip.max(t - since.min(t));
                    }
                }
                match m.msg_type {
                    0 => {
                        self.hello_requests += 1;
                        self.first_hello_request.get_or_insert(at);
                    }
                    2 => {
                        self.server_hello.get_or_insert(at);
                    }
                    4 => self.tickets_in += 1,
                    // After a TLS 1.2 renegotiation began (a HelloRequest in, or our own
                    // ClientHello out), a CertificateRequest is that new handshake's, not
                    // TLS 1.3's post-handshake authentication.
                    13 if done && self.renegotiating() => {
                        self.reneg_cert_request.get_or_insert(at);
                    }
                    13 if done => {
                        self.post_handshake_cert_request.get_or_insert(at);
                    }
                    13 => {
                        self.cert_request.get_or_insert(at);
                    }
                    24 => self.key_update_in = Some((at, m.requests_update())),
                    _ => {}
                }
            }
        }
    }
}
