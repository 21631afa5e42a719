//! Making OpenSSL calls on the record: each call gets an id, its duration, its result and the
//! buffer levels after it; waits are recorded with what ended them.

use super::*;

impl Conn {
    /// Makes one OpenSSL call through rust-openssl and records it. `f` returns (ret, bytes).
    pub(super) fn call(
        &mut self,
        op: Op,
        f: impl FnOnce(&mut Tls) -> Result<(i32, u32), CallError>,
    ) -> Result<(i32, u32), CallError> {
        let Some((id, t0, dur, result)) = self.timed(f) else {
            return Err(errors::internal());
        };
        let (ret, error) = match &result {
            Ok((ret, _)) => (*ret, SslError::None),
            Err(e) => (e.ret(), SslError::from_code(e.code().as_raw())),
        };
        self.record_call(t0, Call::new(id, op, ret, error, dur));
        result
    }

    /// Makes one call rust-openssl does not wrap (returns 1 on success) and records it.
    pub(super) fn raw_call(&mut self, op: Op, f: impl FnOnce(&mut Tls) -> i32) -> bool {
        let Some((id, t0, dur, ret)) = self.timed(f) else {
            return false;
        };
        let error = match self.tls.as_ref() {
            Some(_) if ret == 1 => SslError::None,
            Some(tls) => SslError::from_code(ffi::get_error(tls.ssl(), ret)),
            None => SslError::Ssl,
        };
        self.record_call(t0, Call::new(id, op, ret, error, dur));
        ret == 1
    }

    /// Runs `f` as this connection's next call, with the recorder pointed at it so that the
    /// socket tap and the callbacks tie what happens inside to its id. Returns the id, start
    /// time, duration and `f`'s result; None without a TLS stream.
    fn timed<T>(&mut self, f: impl FnOnce(&mut Tls) -> T) -> Option<(CallId, Nanos, Nanos, T)> {
        let tls = self.tls.as_mut()?;
        let id = self.next_call;
        self.next_call += 1;
        tls.tap().clear_blocked();
        record::set_current(self.id, Some(id));
        let t0 = record::now();
        let out = f(tls);
        let dur = record::now().saturating_sub(t0);
        record::set_current(self.id, None);
        Some((id, t0, dur, out))
    }

    fn record_call(&mut self, t0: Nanos, call: Call) {
        if !call.error.is_want() {
            self.immediate_retries = 0;
        }
        record::push_at(t0, self.id, EventKind::Call(call));
        self.after_call(call.op, call.error == SslError::None, t0 + call.dur());
    }

    /// After every call: handshake-done bookkeeping and the buffer levels (re-reading all of
    /// them when the call did not simply succeed; none inside a steady run of successful reads
    /// or writes less than a millisecond after the last sample, see [`sockstat::Sampler`]).
    fn after_call(&mut self, op: Op, ok: bool, end: Nanos) {
        let flags = record::take_flags();
        self.hello_since_tls |= flags.hello_sent;
        if flags.handshake_done && self.hello_since_tls {
            self.hello_since_tls = false;
            self.emit_tls();
        }
        if self.detail && !self.sampler.steady(op, ok, end) {
            self.sample_sock(!ok);
        }
    }

    pub(super) fn emit_tls(&mut self) {
        if let Some(tls) = self.tls.as_ref() {
            let info = tls_setup::tls_info(tls.ssl(), &self.spec);
            record::push(self.id, EventKind::Tls(Box::new(info)));
        }
    }

    /// After a failed handshake: the chain the server sent and why it was refused, so it can
    /// be shown although no `Tls` event came.
    pub(super) fn emit_failed_chain(
        &self,
        verify: Option<&super::super::tls_setup::VerifyFailure>,
    ) {
        if let Some(tls) = self.tls.as_ref() {
            let host = self.spec.verify.then(|| self.spec.verify_name());
            if let Some(chain) = super::super::certs::failed_chain(tls.ssl(), host, verify) {
                record::push(self.id, EventKind::Chain(Box::new(chain)));
            }
        }
    }

    /// Records the buffer levels now; `full` re-reads the slowly changing ones too.
    pub(super) fn sample_sock(&mut self, full: bool) {
        if !self.detail {
            return;
        }
        if let Some(tls) = self.tls.as_ref() {
            let now = record::now();
            let sock = self
                .sampler
                .sample(tls.socket(), tls.ssl().pending(), now, full);
            record::push_at(now, self.id, EventKind::Sock(Box::new(sock)));
        }
    }

    pub(super) fn start_wait(&mut self, interest: Interest, reg: &Registry) -> Turn {
        let mio_interest = match interest {
            Interest::Read => mio::Interest::READABLE,
            Interest::Write => mio::Interest::WRITABLE,
            Interest::ReadWrite => mio::Interest::READABLE | mio::Interest::WRITABLE,
        };
        let token = self.token();
        // Re-registering re-arms the edge-triggered poll: if the socket is already ready for
        // `interest`, poll reports it at once.
        let result = match (self.tls.as_mut(), self.socket.as_mut()) {
            (Some(tls), _) => reg.reregister(tls.socket_mut(), token, mio_interest),
            (None, Some(sock)) => reg.reregister(sock, token, mio_interest),
            (None, None) => Ok(()),
        };
        if let Err(e) = result {
            return self.close(
                CloseReason::Failed,
                Some(format!("cannot watch socket: {e}")),
                reg,
            );
        }
        self.immediate_retries = 0;
        let now = record::now();
        self.waiting = Some((now, interest));
        self.wait_paused = 0;
        self.wait_samples = 0;
        self.next_sample = (self.detail && self.tls.is_some())
            .then(|| sockstat::next_wait_sample(now, now, 0))
            .flatten();
        Turn::Parked
    }

    /// A sample of the buffer levels is due during a wait (so a window closing or a queue
    /// filling is visible while the stall builds, not only when it ends).
    pub(crate) fn on_sample_due(&mut self, now: Nanos) {
        let Some((since, _)) = self.waiting else {
            self.next_sample = None;
            return;
        };
        self.sample_sock(true);
        self.wait_samples += 1;
        self.next_sample = sockstat::next_wait_sample(since, now, self.wait_samples);
    }

    /// The engine did not drive any connection from `start` for `dur` ns (its consumer was
    /// behind). Recorded, left out of the current wait, and the deadlines move by it: the run
    /// measures the peer, and the peer did nothing wrong.
    pub(in crate::probe) fn on_paused(&mut self, start: Nanos, dur: Nanos) {
        if self.is_closed() {
            return;
        }
        record::push_at(
            start,
            self.id,
            EventKind::Paused(crate::trace::Paused { dur }),
        );
        if self.waiting.is_some() {
            self.wait_paused = self.wait_paused.saturating_add(dur);
        }
        for deadline in [
            &mut self.deadline,
            &mut self.phase_deadline,
            &mut self.next_sample,
        ] {
            if let Some(d) = deadline.as_mut() {
                *d = d.saturating_add(dur);
            }
        }
    }

    pub(super) fn end_wait(&mut self, since: Nanos, interest: Interest, woke: Woke) {
        self.waiting = None;
        self.next_sample = None;
        let dur = record::now()
            .saturating_sub(since)
            .saturating_sub(std::mem::take(&mut self.wait_paused));
        record::push_at(
            since,
            self.id,
            EventKind::Wait(Wait {
                interest,
                dur,
                woke,
            }),
        );
        self.sample_sock(true);
    }
}
