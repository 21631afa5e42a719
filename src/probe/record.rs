//! The recorder: where events go on the I/O thread. A thread-local batch, because OpenSSL's
//! callbacks and the socket tap run deep inside OpenSSL calls with no handle to the connection;
//! the engine says which connection and call is current before each OpenSSL call and sends the
//! batch to the consumer when [`flush_due`] says (at once for connection-level events).

use crate::ffi;
use crate::trace::{CallId, ConnId, Event, EventKind, Nanos};
use std::cell::RefCell;
use std::time::Instant;

struct Recorder {
    /// CLOCK_MONOTONIC (the clock of `Instant`) at the engine's epoch, in ns: timestamps are
    /// [`ffi::monotonic_ns`] minus this, a subtraction instead of `Instant::elapsed`'s
    /// `Duration` arithmetic, on the path every socket read and write takes.
    epoch_ns: u64,
    /// Unix time of `epoch` in ns, when the system clock is after 1970.
    epoch_unix_ns: Option<u64>,
    /// Record detail events (calls, io, states, messages, levels, waits); when false only the
    /// connection-level events (phases, tls, errors, close) are kept, for the benchmark baseline.
    detail: bool,
    conn: ConnId,
    call: Option<CallId>,
    flags: CallFlags,
    batch: Vec<Event>,
    /// When the oldest event of `batch` was recorded (None while it is empty).
    pending_since: Option<Nanos>,
    /// `batch` holds a connection-level event: send it at the end of this loop iteration.
    urgent: bool,
}

impl Recorder {
    /// Nanoseconds since the engine started.
    fn since_epoch(&self) -> Nanos {
        ffi::monotonic_ns().saturating_sub(self.epoch_ns)
    }
}

/// Things the callbacks noticed during one OpenSSL call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallFlags {
    /// The info callback reported SSL_CB_HANDSHAKE_DONE.
    pub handshake_done: bool,
    /// A ClientHello was written (a new handshake began).
    pub hello_sent: bool,
}

/// Room reserved for the first batch: a full one (see [`flush_due`]) and what one more loop
/// iteration may add.
const BATCH_CAPACITY: usize = 4096;

/// Room reserved for a batch after one of `last` events was taken: what the last one needed
/// (rounded up), so that a batch rarely grows, but a small one does not take 128 KiB from the
/// allocator that the consumer's thread then frees (in glibc, freeing a chunk that large makes
/// the arena consolidate).
fn next_capacity(last: usize) -> usize {
    last.next_power_of_two().clamp(256, BATCH_CAPACITY)
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Makes this thread an I/O thread whose clock starts at `epoch`.
pub(crate) fn init(epoch: Instant, detail: bool) {
    RECORDER.with(|r| {
        let since_epoch = epoch.elapsed();
        let epoch_ns = ffi::monotonic_ns().saturating_sub(since_epoch.as_nanos() as u64);
        let epoch_unix_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|now| now.checked_sub(since_epoch))
            .and_then(|start| u64::try_from(start.as_nanos()).ok());
        *r.borrow_mut() = Some(Recorder {
            epoch_ns,
            epoch_unix_ns,
            detail,
            conn: 0,
            call: None,
            flags: CallFlags::default(),
            batch: Vec::with_capacity(BATCH_CAPACITY),
            pending_since: None,
            urgent: false,
        })
    });
}

/// Nanoseconds since the engine started.
pub(crate) fn now() -> Nanos {
    RECORDER.with(|r| match r.borrow().as_ref() {
        Some(rec) => rec.since_epoch(),
        None => 0,
    })
}

/// Unix time in ns at which [`now`] was 0 (for the `setup` event, so traces and captures show
/// real dates).
pub(crate) fn epoch_unix_ns() -> Option<u64> {
    RECORDER.with(|r| r.borrow().as_ref().and_then(|rec| rec.epoch_unix_ns))
}

/// Whether detail events are being recorded.
pub(crate) fn detail() -> bool {
    RECORDER.with(|r| r.borrow().as_ref().is_some_and(|rec| rec.detail))
}

/// Sets the connection (and call, if inside one) that callbacks and the tap report for.
pub(crate) fn set_current(conn: ConnId, call: Option<CallId>) {
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut() {
            rec.conn = conn;
            rec.call = call;
        }
    });
}

/// Records an event of `conn` at time `t`. Detail events are skipped when detail is off.
pub(crate) fn push_at(t: Nanos, conn: ConnId, kind: EventKind) {
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut() {
            let detail = is_detail(&kind);
            if rec.detail || !detail {
                rec.urgent |= !detail;
                rec.pending_since.get_or_insert(t);
                rec.batch.push(Event { t, conn, kind });
            }
        }
    });
}

/// Records an event of `conn` now.
pub(crate) fn push(conn: ConnId, kind: EventKind) {
    push_at(now(), conn, kind);
}

/// Records an event of the current connection, built from the current call id. Used by the
/// callbacks and the tap, which only run inside OpenSSL calls.
pub(crate) fn in_call(make: impl FnOnce(Option<CallId>) -> EventKind) {
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut() {
            if rec.detail {
                let t = rec.since_epoch();
                let kind = make(rec.call);
                rec.pending_since.get_or_insert(t);
                rec.batch.push(Event {
                    t,
                    conn: rec.conn,
                    kind,
                });
            }
        }
    });
}

/// Called by the info callback when a (re)handshake completed.
pub(crate) fn note_handshake_done() {
    note(CallFlags {
        handshake_done: true,
        ..CallFlags::default()
    });
}

/// Called by the message callback when a ClientHello went out (a handshake began).
pub(crate) fn note_hello_sent() {
    note(CallFlags {
        hello_sent: true,
        ..CallFlags::default()
    });
}

fn note(flags: CallFlags) {
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().as_mut() {
            rec.flags.handshake_done |= flags.handshake_done;
            rec.flags.hello_sent |= flags.hello_sent;
        }
    });
}

/// What the callbacks noticed since the last call of this function (the engine takes them
/// after every OpenSSL call, so they belong to that call's connection).
pub(crate) fn take_flags() -> CallFlags {
    RECORDER.with(|r| {
        r.borrow_mut()
            .as_mut()
            .map(|rec| std::mem::take(&mut rec.flags))
            .unwrap_or_default()
    })
}

/// When the events recorded so far must be sent: None while there are none; at once (`0`) when
/// they include a connection-level event (a consumer may be waiting for a phase, `tls` or
/// `close`) or fill a batch; else `max_age` after the oldest was recorded. Sending fewer,
/// larger batches of detail events costs the I/O thread and the consumer far fewer wake-ups.
pub(crate) fn flush_due(max_age: Nanos, max_events: usize) -> Option<Nanos> {
    RECORDER.with(|r| {
        let rec = r.borrow();
        let rec = rec.as_ref()?;
        let since = rec.pending_since?;
        Some(if rec.urgent || rec.batch.len() >= max_events {
            0
        } else {
            since.saturating_add(max_age)
        })
    })
}

/// Takes the events recorded since the last call.
pub(crate) fn take_batch() -> Vec<Event> {
    RECORDER.with(|r| match r.borrow_mut().as_mut() {
        Some(rec) if !rec.batch.is_empty() => {
            rec.pending_since = None;
            rec.urgent = false;
            let room = next_capacity(rec.batch.len());
            std::mem::replace(&mut rec.batch, Vec::with_capacity(room))
        }
        _ => Vec::new(),
    })
}

fn is_detail(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Call(_)
            | EventKind::Io(_)
            | EventKind::Wait(_)
            | EventKind::State(_)
            | EventKind::Msg(_)
            | EventKind::Sock(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Interest, Phase, Wait, Woke};

    fn wait() -> EventKind {
        EventKind::Wait(Wait {
            interest: Interest::Read,
            dur: 1,
            woke: Woke::Readable,
        })
    }

    #[test]
    fn detail_events_wait_for_their_age_and_connection_events_go_at_once() {
        init(Instant::now(), true);
        assert_eq!(flush_due(1000, 3), None, "nothing to send");
        push_at(50, 1, wait());
        assert_eq!(
            flush_due(1000, 3),
            Some(1050),
            "due when the oldest is 1000 ns old"
        );
        push_at(70, 1, wait());
        assert_eq!(flush_due(1000, 3), Some(1050));
        push_at(90, 1, wait());
        assert_eq!(flush_due(1000, 3), Some(0), "a full batch goes at once");
        assert_eq!(take_batch().len(), 3);
        assert_eq!(flush_due(1000, 3), None);
        push_at(200, 1, wait());
        push_at(210, 1, EventKind::Phase(Phase::Shutdown));
        assert_eq!(flush_due(1000, 3), Some(0), "a phase goes at once");
        assert_eq!(take_batch().len(), 2);
        assert_eq!(flush_due(1000, 3), None);
    }

    #[test]
    fn a_batch_reserves_what_the_last_one_needed_within_bounds() {
        assert_eq!(next_capacity(0), 256);
        assert_eq!(next_capacity(300), 512);
        assert_eq!(next_capacity(4096), BATCH_CAPACITY);
        assert_eq!(next_capacity(100_000), BATCH_CAPACITY);
    }

    #[test]
    fn without_detail_only_connection_events_are_kept_and_they_go_at_once() {
        init(Instant::now(), false);
        push_at(50, 1, wait());
        assert_eq!(flush_due(1000, 3), None, "a detail event is not recorded");
        push_at(60, 1, EventKind::Phase(Phase::Handshake));
        assert_eq!(flush_due(1000, 3), Some(0));
        assert_eq!(take_batch().len(), 1);
    }

    #[test]
    fn timestamps_count_from_the_engines_epoch_on_the_clock_of_instant() {
        // An engine started 5 s ago (by `Instant`): the recorder's clock, read from
        // CLOCK_MONOTONIC, must say about 5 s, agree with `Instant` and never go back.
        let Some(epoch) = Instant::now().checked_sub(std::time::Duration::from_secs(5)) else {
            return; // a machine up for less than 5 s: no such epoch
        };
        init(epoch, true);
        let t1 = now();
        let by_instant = epoch.elapsed().as_nanos() as Nanos;
        let t2 = now();
        // The two clocks are read one after the other, so they may differ by as long as this
        // thread was held up between two reads; a different clock would be off by far more
        // (CLOCK_REALTIME by decades), and a wrong epoch by the 5 s.
        const SLACK: Nanos = 1_000_000_000;
        assert!(t1.abs_diff(by_instant) < SLACK, "{t1} against {by_instant}");
        assert!(t1 <= t2, "{t1} then {t2}");
        in_call(|_| wait());
        let recorded = take_batch().first().map(|e| e.t);
        assert!(recorded.is_some_and(|t| t >= t2), "{recorded:?} after {t2}");
    }
}
