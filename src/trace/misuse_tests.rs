use super::*;
use crate::trace::verdict::{Breakdown, Severity};

/// A connection's observations, built call by call.
struct Script {
    m: Misuse,
    id: CallId,
    t: Nanos,
}

impl Script {
    fn new() -> Script {
        Script {
            m: Misuse::new(),
            id: 0,
            t: 0,
        }
    }
    fn call(self, op: Op, error: SslError, bytes: u64) -> Script {
        self.call_full(op, error, bytes, 100, 0x1000, 0)
    }
    fn call_full(
        mut self,
        op: Op,
        error: SslError,
        bytes: u64,
        len: u64,
        buf: u64,
        pending: u32,
    ) -> Script {
        self.id += 1;
        self.t += 1000;
        self.m.feed(Obs::Call {
            id: self.id,
            t: self.t,
            op,
            error,
            bytes,
            len,
            buf,
            pending,
        });
        self
    }
    fn wait(mut self, interest: Interest) -> Script {
        self.t += 1000;
        self.m.feed(Obs::Wait {
            t: self.t,
            interest,
        });
        self
    }
    fn free(mut self) -> Script {
        self.t += 1000;
        self.m.feed(Obs::Free { t: self.t });
        self
    }
    fn classes(&self) -> Vec<Class> {
        self.m.findings().iter().map(|f| f.class).collect()
    }
}

fn base() -> Verdict {
    Verdict {
        class: Class::Healthy,
        summary: "Finished cleanly.".into(),
        evidence: vec![],
        next_user: vec![],
        next_code: vec![],
        breakdown: Breakdown::default(),
        focus: None,
    }
}

#[test]
fn a_correct_non_blocking_client_has_no_finding() {
    let s = Script::new()
        .call(Op::Connect, SslError::WantRead, 0)
        .wait(Interest::Read)
        .call(Op::Connect, SslError::None, 0)
        .call_full(Op::Write, SslError::WantWrite, 0, 5000, 0x10, 0)
        .wait(Interest::Write)
        .call_full(Op::Write, SslError::None, 5000, 5000, 0x10, 0)
        .call_full(Op::Read, SslError::None, 100, 4096, 0x20, 0)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read)
        .call(Op::Read, SslError::ZeroReturn, 0)
        .call(Op::Shutdown, SslError::None, 0)
        .free();
    assert_eq!(s.classes(), vec![]);
    assert_eq!(s.m.verdict(&base()), None);
}

#[test]
fn waiting_for_readable_after_want_write_is_found() {
    let s = Script::new()
        .call(Op::DoHandshake, SslError::None, 0)
        .call(Op::Read, SslError::WantWrite, 0)
        .wait(Interest::Read);
    assert_eq!(s.classes(), vec![Class::WaitedWrongDirection]);
    let v = s.m.verdict(&base()).expect("a verdict");
    assert_eq!(v.class, Class::WaitedWrongDirection);
    assert_eq!(v.severity(), Severity::Stall);
    assert_eq!(v.focus, Some(2));
    assert!(
        v.summary.contains("SSL_read #2 returned WANT_WRITE"),
        "{}",
        v.summary
    );
    assert!(v
        .evidence
        .last()
        .is_some_and(|e| e.text.contains("healthy")));
    // Waiting for both directions is right.
    let s = Script::new()
        .call(Op::Read, SslError::WantWrite, 0)
        .wait(Interest::ReadWrite);
    assert_eq!(s.classes(), vec![]);
}

#[test]
fn waiting_for_writable_after_want_read_is_found() {
    let s = Script::new()
        .call(Op::WriteEx, SslError::WantRead, 0)
        .wait(Interest::Write);
    assert_eq!(s.classes(), vec![Class::WaitedWrongDirection]);
}

#[test]
fn waiting_while_ssl_pending_holds_data_is_found_and_draining_first_is_not() {
    let s = Script::new()
        .call(Op::Connect, SslError::None, 0)
        .call_full(Op::ReadEx, SslError::None, 10, 10, 0x20, 90)
        .wait(Interest::Read);
    assert_eq!(s.classes(), vec![Class::PolledWithPending]);
    assert!(s.m.findings()[0].text.contains("90 decrypted"));
    let s = Script::new()
        .call_full(Op::Read, SslError::None, 10, 10, 0x20, 90)
        .call_full(Op::Read, SslError::None, 90, 100, 0x20, 0)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read);
    assert_eq!(s.classes(), vec![]);
}

#[test]
fn a_write_retry_with_another_length_is_found() {
    let s = Script::new()
        .call(Op::Connect, SslError::None, 0)
        .call_full(Op::Write, SslError::WantWrite, 0, 65536, 0x10, 0)
        .wait(Interest::Write)
        .call_full(Op::Write, SslError::None, 100, 100, 0x10, 0);
    assert_eq!(s.classes(), vec![Class::WriteRetryChanged]);
    assert!(s.m.findings()[0].text.contains("asked for 100 B"));
    // Another buffer is only a finding when OpenSSL refused it (moving buffers can be allowed).
    let moved = |error| {
        Script::new()
            .call_full(Op::Write, SslError::WantWrite, 0, 100, 0x10, 0)
            .wait(Interest::Write)
            .call_full(Op::Write, error, 0, 100, 0x99, 0)
            .classes()
    };
    assert_eq!(moved(SslError::None), vec![]);
    assert_eq!(moved(SslError::Ssl), vec![Class::WriteRetryChanged]);
}

#[test]
fn giving_up_after_want_read_is_found_unless_the_program_was_done() {
    // Mid-handshake: WANT_READ then SSL_free without waiting.
    let s = Script::new()
        .call(Op::Connect, SslError::WantRead, 0)
        .free();
    assert_eq!(s.classes(), vec![Class::WantAsError]);
    // An answer expected and never read: WANT_READ, then shutdown.
    let s = Script::new()
        .call(Op::Connect, SslError::None, 0)
        .call(Op::Write, SslError::None, 100)
        .call(Op::Read, SslError::WantRead, 0)
        .call(Op::Shutdown, SslError::None, 0);
    assert_eq!(s.classes(), vec![Class::WantAsError]);
    // Data read, then a last WANT_READ while draining, then a close: the program was done.
    let s = Script::new()
        .call(Op::Connect, SslError::None, 0)
        .call(Op::Read, SslError::None, 100)
        .call(Op::Read, SslError::WantRead, 0)
        .call(Op::Shutdown, SslError::None, 0)
        .free();
    assert_eq!(s.classes(), vec![]);
    // It waited (a timeout of its own), then gave up: not treating WANT_READ as an error.
    let s = Script::new()
        .call(Op::Connect, SslError::WantRead, 0)
        .wait(Interest::Read)
        .free();
    assert_eq!(s.classes(), vec![]);
}

#[test]
fn shutdown_after_a_fatal_error_is_found() {
    let s = Script::new()
        .call(Op::Connect, SslError::None, 0)
        .call(Op::Read, SslError::Syscall, 0)
        .call(Op::Shutdown, SslError::Syscall, 0);
    assert_eq!(s.classes(), vec![Class::ShutdownAfterFatal]);
    let v = s.m.verdict(&base()).expect("a verdict");
    assert_eq!(v.severity(), Severity::Note);
    // A zero-length SSL_write's 0 / SYSCALL is not a failure.
    let s = Script::new()
        .call_full(Op::Write, SslError::Syscall, 0, 0, 0x10, 0)
        .call(Op::Read, SslError::ZeroReturn, 0)
        .call(Op::Shutdown, SslError::None, 0);
    assert_eq!(s.classes(), vec![]);
    assert!(v.next_code[0].contains("do not call SSL_shutdown"));
}

#[test]
fn the_most_serious_finding_leads_and_each_class_is_found_once() {
    let s = Script::new()
        .call(Op::Read, SslError::Ssl, 0)
        .call(Op::Shutdown, SslError::None, 0)
        .call(Op::Read, SslError::WantWrite, 0)
        .wait(Interest::Read)
        .call(Op::Read, SslError::WantWrite, 0)
        .wait(Interest::Read);
    assert_eq!(
        s.classes(),
        vec![Class::ShutdownAfterFatal, Class::WaitedWrongDirection]
    );
    let v = s.m.verdict(&base()).expect("a verdict");
    assert_eq!(v.class, Class::WaitedWrongDirection);
    assert!(v
        .evidence
        .iter()
        .any(|e| e.text.starts_with("also shutdown-after-fatal")));
}
