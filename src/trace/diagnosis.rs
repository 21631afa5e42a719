//! Diagnosis: what a finished (or stalled) connection's events say, in a few plain sentences —
//! how the calls went, the longest stall and what it waited for, and the moments OpenSSL read
//! inside a write call or wrote inside a read call (the part of non-blocking TLS that surprises).

use super::event::*;
use std::collections::HashMap;

/// Summary facts about one connection's events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnosis {
    pub calls: u32,
    pub want_read: u32,
    pub want_write: u32,
    /// Calls of SSL_read (or SSL_peek) that wrote to the socket: (call id, bytes written).
    pub reads_that_wrote: Vec<(CallId, u64)>,
    /// Calls of SSL_write that read from the socket: (call id, bytes read).
    pub writes_that_read: Vec<(CallId, u64)>,
    /// The longest wait: its interest, duration, what ended it, and the call before it.
    pub longest_wait: Option<(Wait, Option<Call>)>,
    pub close: Option<Close>,
    pub error: Option<String>,
}

/// Computes the diagnosis of connection `conn` from its events (in recorded order).
pub fn diagnose(events: &[Event], conn: ConnId) -> Diagnosis {
    let mut d = Diagnosis::default();
    let mut written: HashMap<CallId, u64> = HashMap::new();
    let mut read: HashMap<CallId, u64> = HashMap::new();
    let mut last_call: Option<Call> = None;
    for e in events.iter().filter(|e| e.conn == conn) {
        match &e.kind {
            EventKind::Io(io) => {
                if let Some(call) = io.call {
                    let slot = if io.dir == Dir::Write {
                        &mut written
                    } else {
                        &mut read
                    };
                    *slot.entry(call).or_default() += u64::from(io.got);
                }
            }
            EventKind::Call(c) => {
                d.calls += 1;
                match c.error {
                    SslError::WantRead => d.want_read += 1,
                    SslError::WantWrite => d.want_write += 1,
                    _ => {}
                }
                let wrote = written.remove(&c.id).unwrap_or(0);
                let got = read.remove(&c.id).unwrap_or(0);
                if matches!(c.op, Op::Read | Op::Peek) && wrote > 0 {
                    d.reads_that_wrote.push((c.id, wrote));
                }
                if c.op == Op::Write && got > 0 {
                    d.writes_that_read.push((c.id, got));
                }
                last_call = Some(*c);
            }
            EventKind::Wait(w) if d.longest_wait.is_none_or(|(l, _)| w.dur > l.dur) => {
                d.longest_wait = Some((*w, last_call));
            }
            EventKind::Close(c) => d.close = Some(*c),
            EventKind::Error(m) => d.error = Some(m.to_string()),
            _ => {}
        }
    }
    d
}

fn ms(ns: Nanos) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else {
        format!("{:.3} ms", ns as f64 / 1e6)
    }
}

fn ids(list: &[(CallId, u64)]) -> String {
    let shown: Vec<String> = list
        .iter()
        .take(5)
        .map(|(id, bytes)| format!("#{id} ({bytes} B)"))
        .collect();
    let more = list.len().saturating_sub(5);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Diagnosis {
    /// The diagnosis as a few sentences, one per line.
    pub fn sentences(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} OpenSSL calls: {} returned WANT_READ, {} returned WANT_WRITE.",
            self.calls, self.want_read, self.want_write
        )];
        if !self.reads_that_wrote.is_empty() {
            out.push(format!(
                "SSL_read wrote to the socket in call {}: a handshake message (renegotiation, post-handshake authentication or a pending KeyUpdate) had to go out while reading.",
                ids(&self.reads_that_wrote)
            ));
        }
        if !self.writes_that_read.is_empty() {
            out.push(format!(
                "SSL_write read from the socket in call {}: the peer's handshake or post-handshake messages were processed while writing.",
                ids(&self.writes_that_read)
            ));
        }
        if let Some((wait, call)) = &self.longest_wait {
            let after = match call {
                Some(c) if c.error.is_want() => format!(
                    " after {} #{} returned {}",
                    c.op.name(),
                    c.id,
                    c.error.name()
                ),
                _ => String::new(),
            };
            let what = match (wait.interest, wait.woke) {
                (Interest::Write, Woke::Timeout) => ": the socket never became writable — the peer is not reading (its receive window and our send queue are full)",
                (Interest::Read, Woke::Timeout) => ": nothing arrived — the peer is silent",
                _ => "",
            };
            out.push(format!(
                "Longest wait: {} for the socket to become {}{after}; it ended {}{what}.",
                ms(wait.dur),
                if wait.interest == Interest::Write {
                    "writable"
                } else {
                    "readable"
                },
                match wait.woke {
                    Woke::Timeout => "by timeout",
                    Woke::Elapsed => "when our own time for it ran out",
                    Woke::Readable => "readable",
                    Woke::Writable => "writable",
                    Woke::Command => "by a command",
                    Woke::Hangup => "by a hangup",
                }
            ));
        }
        match (self.close, &self.error) {
            (Some(c), Some(e)) => out.push(format!("Ended {}: {e}", c.reason.name())),
            (Some(c), None) => out.push(format!(
                "Ended {} (close_notify sent: {}, received: {}).",
                c.reason.name(),
                if c.notify_sent { "yes" } else { "no" },
                if c.notify_received { "yes" } else { "no" }
            )),
            (None, _) => out.push("Still open.".into()),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: Nanos, kind: EventKind) -> Event {
        Event { t, conn: 1, kind }
    }

    fn io(call: CallId, dir: Dir, got: u32) -> EventKind {
        EventKind::Io(Io {
            call: Some(call),
            dir,
            want: got,
            got,
            would_block: false,
            os_error: None,
        })
    }

    fn call(id: CallId, op: Op, error: SslError) -> EventKind {
        EventKind::Call(Call {
            id,
            op,
            ret: -1,
            error,
            dur: 10,
            bytes: 0,
        })
    }

    #[test]
    fn finds_a_read_that_wrote_and_the_longest_wait() {
        let events = vec![
            ev(0, io(1, Dir::Read, 9)),
            ev(1, io(1, Dir::Write, 300)),
            ev(0, call(1, Op::Read, SslError::WantWrite)),
            ev(
                5,
                EventKind::Wait(Wait {
                    interest: Interest::Write,
                    dur: 2_000_000_000,
                    woke: Woke::Timeout,
                }),
            ),
            ev(
                6,
                EventKind::Wait(Wait {
                    interest: Interest::Read,
                    dur: 5,
                    woke: Woke::Readable,
                }),
            ),
            ev(9, io(2, Dir::Read, 100)),
            ev(8, call(2, Op::Write, SslError::None)),
        ];
        let d = diagnose(&events, 1);
        assert_eq!(d.calls, 2);
        assert_eq!(d.want_write, 1);
        assert_eq!(d.reads_that_wrote, vec![(1, 300)]);
        assert_eq!(d.writes_that_read, vec![(2, 100)]);
        let (wait, before) = d.longest_wait.expect("a wait");
        assert_eq!(wait.woke, Woke::Timeout);
        assert_eq!(before.map(|c| c.id), Some(1));
        let text = d.sentences().join("\n");
        assert!(
            text.contains("SSL_read wrote to the socket in call #1 (300 B)"),
            "{text}"
        );
        assert!(
            text.contains("after SSL_read #1 returned WANT_WRITE"),
            "{text}"
        );
        assert!(text.contains("the peer is not reading"), "{text}");
    }

    #[test]
    fn other_connections_are_ignored() {
        let events = vec![Event {
            t: 0,
            conn: 2,
            kind: call(1, Op::Read, SslError::WantRead),
        }];
        assert_eq!(diagnose(&events, 1).calls, 0);
    }
}
