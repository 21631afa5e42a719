//! The connection's steps: connect, handshake, post-handshake actions, workload writes and
//! reads, shutdown, and how each OpenSSL result decides the next step.

use super::*;

impl Conn {
    pub(super) fn connect_next(&mut self, reg: &Registry) -> Turn {
        let Some(addr) = self.addrs.pop() else {
            return self.close(
                CloseReason::Failed,
                Some(format!("could not connect to {}", self.dialed())),
                reg,
            );
        };
        record::push(self.id, EventKind::Phase(Phase::Connect));
        self.current_addr = Some(addr);
        match sockstat::connect_nonblocking(
            addr,
            self.spec.sndbuf,
            self.spec.rcvbuf,
            self.spec.nodelay,
        ) {
            Ok(mut stream) => {
                if let Err(e) = reg.register(&mut stream, self.token(), mio::Interest::WRITABLE) {
                    return self.close(
                        CloseReason::Failed,
                        Some(format!("cannot watch socket: {e}")),
                        reg,
                    );
                }
                self.socket = Some(stream);
                self.step = Step::Connecting;
                self.phase_deadline =
                    Some(record::now() + self.spec.connect_timeout.as_nanos() as Nanos);
                self.waiting = Some((record::now(), Interest::Write));
                self.wait_paused = 0;
                Turn::Parked
            }
            Err(e) => self.connect_failed(e, reg),
        }
    }

    pub(super) fn connect_failed(&mut self, e: std::io::Error, reg: &Registry) -> Turn {
        let addr = self.current_addr.map(|a| a.to_string()).unwrap_or_default();
        if let Some(mut sock) = self.socket.take() {
            let _ = reg.deregister(&mut sock);
        }
        if !self.addrs.is_empty() {
            record::push(
                self.id,
                EventKind::Error(
                    format!(
                        "connect to {addr} failed: {}; trying the next address",
                        errors::io_reason(&e)
                    )
                    .into(),
                ),
            );
            return self.connect_next(reg);
        }
        let reason = format!(
            "TCP connect to {} ({addr}) failed: {}",
            self.dialed(),
            errors::io_reason(&e)
        );
        self.close(CloseReason::Failed, Some(reason), reg)
    }

    pub(super) fn finish_connect(&mut self) -> Next {
        let Some(sock) = self.socket.as_ref() else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        match sock.take_error() {
            Ok(Some(e)) | Err(e) => return Next::ConnectFailed(e),
            Ok(None) => {}
        }
        let (local, peer) = match (sock.local_addr(), sock.peer_addr()) {
            (Ok(l), Ok(p)) => (l, p),
            (_, Err(e)) if e.kind() == std::io::ErrorKind::NotConnected => {
                return Next::Wait(Interest::Write)
            }
            (Err(e), _) | (_, Err(e)) => return Next::ConnectFailed(e),
        };
        self.phase_deadline = None;
        record::push(
            self.id,
            EventKind::Connected(Box::new(Endpoints { local, peer })),
        );
        self.after_connect()
    }

    /// Hands the socket to OpenSSL and begins the handshake.
    pub(super) fn start_tls(&mut self) -> Next {
        let (ssl, verify) = match tls_setup::client(&self.spec, self.id, self.detail) {
            Ok(v) => v,
            Err(reason) => return Next::Close(CloseReason::Failed, Some(reason)),
        };
        self.verify = verify;
        let Some(sock) = self.socket.take() else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        match Tls::new(ssl, sock) {
            Ok(tls) => {
                if self.spec.capture.wire {
                    tls.tap().capture();
                }
                self.tls = Some(tls);
            }
            Err(e) => return Next::Close(CloseReason::Failed, Some(format!("OpenSSL: {e}"))),
        }
        self.sample_sock(true);
        record::push(self.id, EventKind::Phase(Phase::Handshake));
        self.step = Step::Handshaking;
        Next::Continue
    }

    pub(super) fn handshake(&mut self) -> Next {
        match self.call(Op::DoHandshake, |tls| tls.do_handshake().map(|()| (1, 0))) {
            Ok(_) => {
                if !self.detail {
                    self.emit_tls();
                }
                self.after_handshake()
            }
            Err(e) => self.on_error(e, "handshake"),
        }
    }

    /// Next step once the handshake or an action completed.
    pub(super) fn after_handshake(&mut self) -> Next {
        if let Some(step) = self.resume.take() {
            if step == Step::Reading && self.read_time_is_up {
                return self.read_time_up();
            }
            self.step = step;
            return Next::Continue;
        }
        if !self.actions.is_empty() {
            self.resume = Some(Step::Writing);
            return self.begin_action();
        }
        record::push(self.id, EventKind::Phase(Phase::Workload));
        self.step = Step::Writing;
        Next::Continue
    }

    pub(super) fn begin_action(&mut self) -> Next {
        let action = self.actions.remove(0);
        record::push(self.id, EventKind::Phase(Phase::Action));
        self.step = Step::Acting {
            action,
            scheduled: false,
        };
        Next::Continue
    }

    pub(super) fn act(&mut self, action: Action, scheduled: bool) -> Next {
        if !scheduled {
            let (op, name) = match action {
                Action::KeyUpdate => (Op::KeyUpdate, "KeyUpdate"),
                Action::Renegotiate => (Op::Renegotiate, "renegotiation"),
            };
            let ok = self.raw_call(op, |tls| match action {
                Action::KeyUpdate => ffi::key_update(tls.ssl(), true),
                Action::Renegotiate => ffi::renegotiate(tls.ssl()),
            });
            if !ok {
                let version = self
                    .tls
                    .as_ref()
                    .map(|t| t.ssl().version_str())
                    .unwrap_or("?");
                let needs = if action == Action::KeyUpdate {
                    "TLS 1.3"
                } else {
                    "TLS 1.2 and a peer that allows it"
                };
                let detail = errors::error_queue();
                let fits = (action == Action::KeyUpdate) == (version == "TLSv1.3");
                let reason = if fits {
                    format!("{name} refused by OpenSSL{detail}")
                } else {
                    format!("{name} refused by OpenSSL: it needs {needs}, this connection is {version}{detail}")
                };
                return Next::Close(CloseReason::Failed, Some(reason));
            }
            if action == Action::Renegotiate && self.resume == Some(Step::Reading) {
                // While reading, SSL_read drives the renegotiation itself and passes on any
                // application data that arrives in between; SSL_do_handshake would treat that
                // data as an unexpected message and abort.
                return self.after_handshake();
            }
            self.step = Step::Acting {
                action,
                scheduled: true,
            };
            return Next::Continue;
        }
        let during = match action {
            Action::KeyUpdate => "key update",
            Action::Renegotiate => "renegotiation",
        };
        match self.call(Op::DoHandshake, |tls| tls.do_handshake().map(|()| (1, 0))) {
            Ok(_) => self.after_handshake(),
            Err(e) => self.on_error(e, during),
        }
    }

    /// The bytes the next SSL_write hands over (the same after a WANT_*, as OpenSSL requires).
    pub(super) fn next_chunk_len(&self) -> (bool, usize) {
        if self.request_pos < self.request.len() {
            (
                true,
                (self.request.len() - self.request_pos).min(WRITE_CHUNK),
            )
        } else {
            (false, self.upload_left.min(WRITE_CHUNK as u64) as usize)
        }
    }

    pub(super) fn write(&mut self) -> Next {
        if !self.write_in_flight && !self.actions.is_empty() && !self.handshake_under_way() {
            self.resume = Some(Step::Writing);
            return self.begin_action();
        }
        let (from_request, len) = self.next_chunk_len();
        if len == 0 {
            return self.begin_read_phase();
        }
        static ZEROS: [u8; WRITE_CHUNK] = [0; WRITE_CHUNK];
        let request = std::mem::take(&mut self.request);
        let data = if from_request {
            &request[self.request_pos..self.request_pos + len]
        } else {
            &ZEROS[..len]
        };
        let result = self.call(Op::Write, |tls| {
            tls.ssl_write(data).map(|n| (n as i32, n as u32))
        });
        self.request = request;
        match result {
            Ok((n, _)) => {
                self.write_in_flight = false;
                let n = n as usize;
                if from_request {
                    self.request_pos += n;
                } else {
                    self.upload_left -= n as u64;
                }
                Next::Continue
            }
            Err(e) => {
                self.write_in_flight = true;
                self.on_error(e, "write")
            }
        }
    }

    pub(super) fn begin_read_phase(&mut self) -> Next {
        match self.read_phase {
            ReadPhase::None => {
                self.workload_done = true;
                self.begin_shutdown()
            }
            ReadPhase::UntilClose => {
                self.step = Step::Reading;
                Next::Continue
            }
            ReadPhase::For(d) => {
                self.phase_deadline = Some(record::now() + d.as_nanos() as Nanos);
                self.step = Step::Reading;
                Next::Continue
            }
        }
    }

    pub(super) fn begin_shutdown(&mut self) -> Next {
        // Bounded even if our close_notify cannot be flushed (the peer is not reading).
        self.phase_deadline = Some(record::now() + SHUTDOWN_GRACE.as_nanos() as Nanos);
        record::push(self.id, EventKind::Phase(Phase::Shutdown));
        self.step = Step::ShuttingDown { sent: false };
        Next::Continue
    }

    pub(super) fn read(&mut self) -> Next {
        if !self.actions.is_empty() && !self.handshake_under_way() {
            self.resume = Some(Step::Reading);
            return self.begin_action();
        }
        let mut buf = [0u8; READ_CHUNK];
        match self.call(Op::Read, |tls| {
            tls.ssl_read(&mut buf).map(|n| (n as i32, n as u32))
        }) {
            Ok((_, n)) => {
                let got = buf.get(..n as usize).unwrap_or_default();
                if let Some(resp) = self.http.as_mut().and_then(|h| h.feed(got)) {
                    record::push(self.id, EventKind::Http(Box::new(resp)));
                }
                Next::Continue
            }
            Err(e) => self.on_error(e, "read"),
        }
    }

    pub(super) fn shutdown(&mut self, sent: bool) -> Next {
        if !self.notify_sent {
            // Whether the peer ended its side with a bare FIN before our close_notify: then a
            // missing close_notify is the peer's truncation, as it would be in a read phase, not
            // merely an unanswered close_notify of ours.
            self.fin_before_notify = self
                .tls
                .as_ref()
                .is_some_and(|t| ffi::peer_sent_fin(std::os::fd::AsRawFd::as_raw_fd(t.socket())));
        }
        let result = self.call(Op::Shutdown, |tls| {
            tls.shutdown().map(|r| match r {
                ShutdownResult::Sent => (0, 0),
                ShutdownResult::Received => (1, 0),
            })
        });
        match result {
            Ok((0, _)) => {
                self.notify_sent = true;
                if !sent {
                    self.step = Step::ShuttingDown { sent: true };
                    let grace = record::now() + SHUTDOWN_GRACE.as_nanos() as Nanos;
                    self.phase_deadline = Some(grace);
                }
                Next::Continue
            }
            Ok(_) => {
                self.notify_sent = true;
                self.notify_received = true;
                Next::Close(CloseReason::Clean, None)
            }
            Err(e) if is_want(e.code()) => self.on_want(e.code()),
            Err(e) if e.code() == ErrorCode::ZERO_RETURN => {
                // SSL_get_error reports the peer's close_notify (already received) before the
                // failure of this call: ours could not be written. Shutting down again would
                // fail the same way, so the connection ends here.
                self.notify_received = true;
                match self.tls.as_ref().and_then(|t| t.tap().os_error()) {
                    Some(errno) => Next::Close(
                        CloseReason::Reset,
                        Some(format!(
                            "after the peer's close_notify, sending ours failed: {}",
                            errors::io_reason(&std::io::Error::from_raw_os_error(errno))
                        )),
                    ),
                    None => Next::Close(CloseReason::Clean, None),
                }
            }
            Err(e) if self.notify_sent => {
                // Our close_notify is out; the peer closing (or resetting) TCP without answering
                // is common. Anything else is kept in the trace, though the session is over.
                let tap = self.tls.as_ref().map(|t| t.tap());
                if self.fin_before_notify && tap.is_some_and(|t| t.eof()) {
                    return Next::Close(
                        CloseReason::Eof,
                        Some(
                            "peer closed the TCP connection without close_notify (unexpected \
                             EOF) before we closed ours (seen at shutdown)"
                                .into(),
                        ),
                    );
                }
                let closed = tap.is_some_and(|t| t.eof() || t.os_error() == Some(libc::ECONNRESET));
                if !closed && !errors::is_unexpected_eof(&e, false) {
                    let reason = errors::ssl_reason(&e);
                    record::push(
                        self.id,
                        EventKind::Error(
                            format!("after our close_notify, SSL_shutdown failed: {reason}").into(),
                        ),
                    );
                }
                Next::Close(CloseReason::Clean, None)
            }
            Err(e) => self.on_error(e, "shutdown"),
        }
    }

    // ----- results -----

    pub(super) fn on_want(&mut self, code: ErrorCode) -> Next {
        let Some(tap) = self.tls.as_ref().map(|t| t.tap()) else {
            return Next::Close(CloseReason::Failed, Some("internal: no TLS stream".into()));
        };
        let interest = if code == ErrorCode::WANT_WRITE {
            Interest::Write
        } else {
            Interest::Read
        };
        let blocked = match interest {
            Interest::Write => tap.write_blocked(),
            _ => tap.read_blocked(),
        };
        if blocked || self.immediate_retries >= MAX_IMMEDIATE_RETRIES {
            Next::Wait(interest)
        } else {
            // WANT_* without a would-block (e.g. SSL_read processed only a ticket with
            // AUTO_RETRY off): the socket may hold more, and an edge-triggered poll would not
            // report it again, so call again at once.
            self.immediate_retries += 1;
            Next::Continue
        }
    }

    /// Classifies a failed call: retry, clean end, or failure with a reason.
    pub(super) fn on_error(&mut self, e: CallError, during: &str) -> Next {
        let code = e.code();
        if is_want(code) {
            return self.on_want(code);
        }
        let tap = self.tls.as_ref().map(|t| t.tap());
        let eof = tap.is_some_and(|t| t.eof());
        let os_error = tap.and_then(|t| t.os_error());
        // A close ends the workload unless it cut the HTTP response short of its framing.
        let mid_body = self.http.as_ref().is_some_and(|h| h.mid_body());
        if code == ErrorCode::ZERO_RETURN {
            self.notify_received = true;
            if during == "handshake" {
                // SSL_shutdown cannot run before a handshake finished ("shutdown while in init"):
                // the peer's close_notify ended it.
                return Next::Close(
                    CloseReason::Failed,
                    Some(
                        "the peer sent close_notify during the handshake: it ended TLS without negotiating and without an alert saying why"
                            .to_string(),
                    ),
                );
            }
            if self.step == Step::Reading && !mid_body {
                self.workload_done = true;
            }
            return self.begin_shutdown();
        }
        // After an EOF, OpenSSL writes a fatal alert; if the peer's reset beats that write, the
        // connection still ended with the peer's close (a truncation), not a reset.
        if os_error == Some(libc::ECONNRESET) && !eof {
            return Next::Close(
                CloseReason::Reset,
                Some(format!(
                    "connection reset by peer during {during} (ECONNRESET)"
                )),
            );
        }
        if errors::is_unexpected_eof(&e, eof) {
            if self.step == Step::Reading && self.read_phase == ReadPhase::UntilClose && !mid_body {
                self.workload_done = true;
            }
            let detail = if during == "handshake" {
                let bytes = self.tls.as_ref().map(|t| t.tap().bytes_read()).unwrap_or(0);
                if bytes == 0 {
                    " before sending anything (is it a TLS server?)".to_string()
                } else {
                    format!(" after sending {bytes} bytes")
                }
            } else {
                String::new()
            };
            return Next::Close(
                CloseReason::Eof,
                Some(format!("peer closed the TCP connection without close_notify (unexpected EOF) during {during}{detail}")),
            );
        }
        let reason = if during == "handshake" {
            let verify = self.verify.lock().ok().and_then(|v| v.clone());
            self.emit_failed_chain(verify.as_ref());
            let first = self
                .tls
                .as_mut()
                .map(|t| t.read_more_first_bytes())
                .unwrap_or_default();
            errors::handshake_reason(&e, verify.as_ref(), &first)
        } else {
            format!("{} failed: {}", during, errors::ssl_reason(&e))
        };
        Next::Close(CloseReason::Failed, Some(reason))
    }
}

fn is_want(code: ErrorCode) -> bool {
    code == ErrorCode::WANT_READ || code == ErrorCode::WANT_WRITE
}
