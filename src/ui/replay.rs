//! The replay schedule of a recorded connection: where the replay is (in the trace's own time)
//! given a wall clock and a speed, which events are due there, pause, resume and seek. Pure: the
//! app feeds the due events into the store as a fresh connection (see `share.rs`), so every view
//! behaves as it did live.

use crate::trace::{ConnId, Event, EventKind, Nanos};
use std::ops::Range;
use std::time::Duration;

/// The speeds offered as buttons; any speed from the first to the last is accepted.
pub const SPEEDS: [f64; 7] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0];
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 10.0;

/// When each event of a connection became known, and how far a replay of it has got.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The connection's events, renumbered to the replay's connection.
    events: Vec<Event>,
    /// Per event, when it is due, in nanoseconds from the connection's first event; never
    /// decreasing (see [`due_times`]).
    due: Vec<Nanos>,
    first_t: Nanos,
    /// Length of the replay: from the first event to where the original ends.
    total: Nanos,
    /// Events handed out so far (`events[..fed]`).
    fed: usize,
    /// Where the replay is, from the first event.
    position: Nanos,
    speed: f64,
    playing: bool,
    /// The wall time `position` was last brought up to date at, while playing.
    anchor: Option<Duration>,
}

/// When each event is due in a replay, from `first_t`: a call or a wait is known when it ended
/// (the engine emits it then, with its start as `t`), anything else at its time; and never before
/// an event that arrived earlier (arrival order is kept).
pub fn due_times(events: &[Event], first_t: Nanos) -> Vec<Nanos> {
    let mut latest = 0;
    events
        .iter()
        .map(|e| {
            let dur = match &e.kind {
                EventKind::Call(c) => c.dur(),
                EventKind::Wait(w) => w.dur,
                _ => 0,
            };
            let known = e.t.saturating_add(dur).saturating_sub(first_t);
            latest = latest.max(known);
            latest
        })
        .collect()
}

/// Where a seek left the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    /// Later than what was fed: the next [`Schedule::take_due`] hands out the events between.
    Forward,
    /// Earlier than what was fed: the replay's connection must be rebuilt from the first
    /// `n` events ([`Schedule::fed_events`]).
    Rebuild(usize),
}

impl Schedule {
    /// A replay of `events` (one connection's, in arrival order) as connection `id`, stopped at
    /// the start. `end` is where the original ends (its close, or the clock it is judged at).
    pub fn new(events: &[Event], id: ConnId, end: Nanos) -> Schedule {
        let first_t = events.iter().map(|e| e.t).min().unwrap_or(0);
        let due = due_times(events, first_t);
        let last_due = due.last().copied().unwrap_or(0);
        let events = events
            .iter()
            .map(|e| Event {
                conn: id,
                ..e.clone()
            })
            .collect();
        Schedule {
            events,
            due,
            first_t,
            total: end.saturating_sub(first_t).max(last_due),
            fed: 0,
            position: 0,
            speed: 1.0,
            playing: false,
            anchor: None,
        }
    }

    pub fn position(&self) -> Nanos {
        self.position
    }

    pub fn total(&self) -> Nanos {
        self.total
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn finished(&self) -> bool {
        self.position >= self.total && self.fed == self.events.len()
    }

    /// The replayed connection's clock: the trace time the replay has reached.
    pub fn clock(&self) -> Nanos {
        self.first_t.saturating_add(self.position)
    }

    /// How many events have been handed out.
    pub fn fed(&self) -> usize {
        self.fed
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events handed out so far (to rebuild the connection after a seek back).
    pub fn fed_events(&self) -> &[Event] {
        &self.events[..self.fed]
    }

    pub fn events(&self, range: Range<usize>) -> &[Event] {
        &self.events[range]
    }

    /// Brings the position up to the wall time `wall` at the current speed. Reaching the end
    /// pauses.
    pub fn advance(&mut self, wall: Duration) {
        let Some(anchor) = self.anchor.filter(|_| self.playing) else {
            return;
        };
        let elapsed = wall.saturating_sub(anchor).as_secs_f64() * 1e9 * self.speed;
        let step = if elapsed.is_finite() {
            elapsed.min(u64::MAX as f64) as Nanos
        } else {
            0
        };
        self.position = self.position.saturating_add(step).min(self.total);
        self.anchor = Some(wall);
        if self.position >= self.total {
            self.playing = false;
            self.anchor = None;
        }
    }

    /// The events due at the current position not handed out yet (indices into the events).
    pub fn take_due(&mut self) -> Range<usize> {
        let until = self.due.partition_point(|&d| d <= self.position);
        let range = self.fed..until.max(self.fed);
        self.fed = range.end;
        range
    }

    /// [`advance`](Self::advance) then [`take_due`](Self::take_due).
    pub fn tick(&mut self, wall: Duration) -> Range<usize> {
        self.advance(wall);
        self.take_due()
    }

    /// Plays from the current position (from the start once it reached the end: then the
    /// connection must be rebuilt, as for a seek back).
    pub fn play(&mut self, wall: Duration) -> Seek {
        let seek = if self.position >= self.total {
            self.seek(0, wall)
        } else {
            Seek::Forward
        };
        self.playing = true;
        self.anchor = Some(wall);
        seek
    }

    pub fn pause(&mut self, wall: Duration) {
        self.advance(wall);
        self.playing = false;
        self.anchor = None;
    }

    /// Sets the speed (clamped to [`MIN_SPEED`]..=[`MAX_SPEED`]); time played so far counts at
    /// the old speed.
    pub fn set_speed(&mut self, speed: f64, wall: Duration) {
        self.advance(wall);
        if speed.is_finite() {
            self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
        }
    }

    /// Moves to `position` (clamped to the replay's length).
    pub fn seek(&mut self, position: Nanos, wall: Duration) -> Seek {
        self.position = position.min(self.total);
        if self.playing {
            self.anchor = Some(wall);
        }
        let due = self.due.partition_point(|&d| d <= self.position);
        if due < self.fed {
            self.fed = due;
            Seek::Rebuild(due)
        } else {
            Seek::Forward
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Call, Op, SslError, Wait, Woke};

    fn ms(n: u64) -> Nanos {
        n * 1_000_000
    }

    fn at(t: Nanos, kind: EventKind) -> Event {
        Event { t, conn: 7, kind }
    }

    fn call(id: u32, dur: Nanos) -> EventKind {
        EventKind::Call(Call::new(id, Op::Read, -1, SslError::WantRead, dur))
    }

    /// A phase at 100 ms, a call from 100 to 110 ms, a wait from 110 to 1110 ms, a close.
    fn trace() -> Vec<Event> {
        vec![
            at(ms(100), EventKind::Phase(crate::trace::Phase::Workload)),
            at(ms(100), call(1, ms(10))),
            at(
                ms(110),
                EventKind::Wait(Wait {
                    interest: crate::trace::Interest::Read,
                    dur: ms(1000),
                    woke: Woke::Readable,
                }),
            ),
            at(ms(1110), call(2, ms(1))),
            at(ms(1200), EventKind::Phase(crate::trace::Phase::Shutdown)),
        ]
    }

    fn wall(ms_: u64) -> Duration {
        Duration::from_millis(ms_)
    }

    #[test]
    fn events_are_due_when_they_became_known_in_arrival_order() {
        let due = due_times(&trace(), ms(100));
        assert_eq!(due, vec![0, ms(10), ms(1010), ms(1011), ms(1100)]);
        // An event stamped earlier than one before it is not due before it.
        let mut events = trace();
        events.swap(3, 4);
        let due = due_times(&events, ms(100));
        assert_eq!(due[3], ms(1100));
        assert_eq!(due[4], ms(1100));
    }

    #[test]
    fn a_replay_hands_out_events_as_its_clock_reaches_them_at_its_speed() {
        let mut s = Schedule::new(&trace(), 42, ms(1200));
        assert_eq!(s.total(), ms(1100));
        assert!(s.events(0..1).iter().all(|e| e.conn == 42));
        // Stopped: nothing moves, but what is due at 0 is handed out.
        assert_eq!(s.tick(wall(500)), 0..1);
        assert_eq!(s.position(), 0);
        s.play(wall(1000));
        s.set_speed(10.0, wall(1000));
        // 1 ms of wall time at 10×: 10 ms of the trace, the first call ended.
        assert_eq!(s.tick(wall(1001)), 1..2);
        assert_eq!(s.clock(), ms(110));
        assert_eq!(s.tick(wall(1050)), 2..2, "the wait has not ended at 510 ms");
        assert_eq!(s.tick(wall(1102)), 2..4);
        assert!(s.playing());
        assert_eq!(s.tick(wall(2000)), 4..5);
        assert_eq!(s.position(), s.total());
        assert!(s.finished() && !s.playing(), "the end pauses");
    }

    #[test]
    fn pause_holds_the_position_and_speed_changes_count_from_then() {
        let mut s = Schedule::new(&trace(), 1, ms(1200));
        s.play(wall(0));
        s.pause(wall(100));
        assert_eq!(s.position(), ms(100));
        s.tick(wall(5000));
        assert_eq!(s.position(), ms(100), "paused");
        s.play(wall(6000));
        s.set_speed(0.25, wall(6100));
        assert_eq!(s.position(), ms(200));
        s.tick(wall(6500));
        assert_eq!(s.position(), ms(300));
        // Out of range: clamped; not a number: ignored.
        s.set_speed(50.0, wall(6500));
        assert_eq!(s.speed(), MAX_SPEED);
        s.set_speed(0.0, wall(6500));
        assert_eq!(s.speed(), MIN_SPEED);
        s.set_speed(f64::NAN, wall(6500));
        assert_eq!(s.speed(), MIN_SPEED);
    }

    #[test]
    fn seeking_back_asks_for_a_rebuild_and_forward_feeds_the_gap() {
        let mut s = Schedule::new(&trace(), 1, ms(1200));
        assert_eq!(s.seek(ms(1050), wall(0)), Seek::Forward);
        assert_eq!(s.take_due(), 0..4);
        assert_eq!(s.seek(ms(20), wall(0)), Seek::Rebuild(2));
        assert_eq!(s.fed_events().len(), 2);
        assert_eq!(s.take_due(), 2..2);
        assert_eq!(s.seek(u64::MAX, wall(0)), Seek::Forward);
        assert_eq!(s.position(), s.total());
        assert_eq!(s.take_due(), 2..5);
        // Play at the end starts over.
        assert_eq!(s.play(wall(10)), Seek::Rebuild(1));
        assert_eq!(s.position(), 0);
        assert!(s.playing());
    }

    #[test]
    fn an_empty_or_instant_trace_is_finished_at_once() {
        let mut s = Schedule::new(&[], 1, 0);
        assert!(s.is_empty() && s.finished());
        assert_eq!(s.tick(wall(1)), 0..0);
        let one = [at(ms(5), EventKind::Phase(crate::trace::Phase::Connect))];
        let mut s = Schedule::new(&one, 1, ms(5));
        assert_eq!(s.total(), 0);
        assert_eq!(s.tick(wall(0)), 0..1);
        assert!(s.finished());
    }
}
