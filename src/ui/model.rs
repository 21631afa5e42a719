//! The state the views share: recorded events, which connection and call are selected, the
//! visible time range, and the requests the user made of the engine.

use crate::options::ConnectOptions;
use crate::probe::Action;
use crate::trace::store::{Store, Timed};
use crate::trace::{CallId, ConnId, Nanos};
use std::collections::HashMap;

/// Something the user asked the engine to do; the app carries it out.
#[derive(Debug, Clone)]
pub enum Request {
    Connect {
        target: String,
        options: Box<ConnectOptions>,
    },
    Stop(ConnId),
    Action(ConnId, Action),
    /// Run a program under the interposer (`run: CMD ARGS…`), as typed after `run:`.
    Run {
        command: String,
    },
    /// Stop every program still running (one may have no connection to stop yet).
    StopPrograms,
}

/// A selected OpenSSL call: the connection and the call's index in its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub conn: ConnId,
    pub call: usize,
}

#[derive(Debug)]
pub struct Model {
    pub store: Store,
    /// What the user typed for each connection (shown in the list).
    pub labels: HashMap<ConnId, String>,
    pub selected_conn: Option<ConnId>,
    pub selection: Option<Selection>,
    /// Keep the timeline on the newest events.
    pub follow: bool,
    /// Visible time range in seconds since the engine started (the app owns it so that the
    /// linked plots agree).
    pub view: (f64, f64),
    /// The engine's clock now (for "waiting for how long").
    pub now: Nanos,
    /// Requests made in this frame, carried out by the app.
    pub requests: Vec<Request>,
    /// Where the lanes were drawn in the last frame (screen <-> plot coordinates), so a pointer
    /// position can be aimed at a call from outside the plot (the UI tests click through it).
    pub lanes: Option<egui_plot::PlotTransform>,
    /// Connections whose verdict's call was already selected once (see `select_cause`).
    pub cause_shown: std::collections::HashSet<ConnId>,
    /// The time axis's labels as last drawn (the UI tests read them: plot text is not in the
    /// accessibility tree).
    pub axis_labels: Vec<String>,
    /// The keys-and-mouse help overlay is open.
    pub help: bool,
    /// Where connections that were not traced live came from (opened files, replays).
    pub sources: HashMap<ConnId, Source>,
    /// The clock of each connection that does not run on the engine's: an opened trace is
    /// judged at its last event, a replay at the position it has reached.
    pub clocks: HashMap<ConnId, Nanos>,
    /// The outcome of the last save, open, export or copy, for the status line.
    pub notice: Option<Notice>,
    /// Programs started with `run:` that still run, as "NAME pid N".
    pub programs: Vec<String>,
}

/// Connection ids of programs started with `run:` are in this range: above the engine's (it
/// counts from 1), below opened traces' (from 1 000 000, ui/files.rs).
pub const RUN_CONNS: std::ops::Range<ConnId> = 500_000..1_000_000;

/// A connection that was not traced live in this session.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Read from `file` (its name), where it was connection `number`.
    Opened { file: String, number: ConnId },
    /// A replay of the connection titled `of`.
    Replay { of: String },
}

/// One line about what a file or clipboard action did; `error` when it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// What the timeline's view is doing, for the status line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ViewMode {
    /// Following a live connection's newest events.
    Following,
    /// Following a connection that ended: it is shown whole.
    Whole,
    /// Following a replay as it goes.
    Replay,
    /// Following a connection opened from a file: it is shown whole.
    Opened,
    /// Not following; the whole connection is in view.
    Paused,
    /// Not following; `shown` seconds of the connection's `total` are in view.
    Zoomed { shown: f64, total: f64 },
}

/// The narrowest view, in seconds: a few hundred nanoseconds per hundred pixels still reads.
pub const MIN_SPAN: f64 = 1e-6;
/// The widest view, in seconds (a day).
pub const MAX_SPAN: f64 = 86_400.0;

/// `view` zoomed by `factor` (above 1 zooms in) keeping the time `at` at the same place on
/// screen, within [`MIN_SPAN`] and [`MAX_SPAN`].
pub fn zoom_view(view: (f64, f64), factor: f64, at: f64) -> (f64, f64) {
    let (v0, v1) = view;
    if !(factor.is_finite() && factor > 0.0 && v1 > v0) {
        return view;
    }
    let span = ((v1 - v0) / factor).clamp(MIN_SPAN, MAX_SPAN);
    let at = if at.is_finite() {
        at.clamp(v0, v1)
    } else {
        (v0 + v1) / 2.0
    };
    // The pointer keeps its fraction of the width.
    let f = (at - v0) / (v1 - v0);
    let start = at - f * span;
    (start, start + span)
}

/// `view` moved by `fraction` of its width (positive: later).
pub fn pan_view(view: (f64, f64), fraction: f64) -> (f64, f64) {
    let d = (view.1 - view.0) * fraction;
    if d.is_finite() {
        (view.0 + d, view.1 + d)
    } else {
        view
    }
}

/// A view of `t0..t1` seconds with a margin on both sides, at least `MIN_SPAN` wide. The
/// margin (6%) leaves room for the "0 s" label to be centred on the start of the connection
/// even in a plot 300 px wide (the axis leaves out labels that would be cut at an edge).
fn padded(t0: f64, t1: f64) -> (f64, f64) {
    let pad = (t1 - t0).max(0.002) * 0.06;
    (t0 - pad, t1.max(t0 + MIN_SPAN) + pad)
}

impl Default for Model {
    fn default() -> Model {
        Model {
            store: Store::new(),
            labels: HashMap::new(),
            selected_conn: None,
            selection: None,
            follow: true,
            view: (0.0, 1.0),
            now: 0,
            requests: Vec::new(),
            lanes: None,
            cause_shown: Default::default(),
            axis_labels: Vec::new(),
            help: false,
            sources: HashMap::new(),
            clocks: HashMap::new(),
            notice: None,
            programs: Vec::new(),
        }
    }
}

/// Seconds for display from engine nanoseconds.
pub fn secs(t: Nanos) -> f64 {
    t as f64 / 1e9
}

/// Engine nanoseconds from display seconds (clamped at 0).
pub fn nanos(s: f64) -> Nanos {
    (s.max(0.0) * 1e9) as Nanos
}

impl Model {
    pub fn label(&self, id: ConnId) -> String {
        if let Some(label) = self.labels.get(&id) {
            return label.clone();
        }
        // A connection the engine started on its own (a `--reconnect` follow-up) is named by
        // its `setup` event, which comes first: look no further than the first few events.
        let setup = self.store.conn(id).and_then(|c| {
            c.events.iter().take(8).find_map(|e| match &e.kind {
                crate::trace::EventKind::Setup(s) => Some(s.target.clone()),
                _ => None,
            })
        });
        setup.unwrap_or_else(|| format!("connection {id}"))
    }

    /// The clock connection `id` is seen at: its own (opened, replayed) or the engine's.
    pub fn now_of(&self, id: ConnId) -> Nanos {
        self.clocks.get(&id).copied().unwrap_or(self.now)
    }

    /// True for a connection of a program started with `run:` (not the engine's).
    pub fn is_run(&self, id: ConnId) -> bool {
        RUN_CONNS.contains(&id)
    }

    /// How a card, a compare strip and the window title name connection `id`: the file and the
    /// target for an opened trace, what a replay replays, a program's process (its name),
    /// else its number and target.
    pub fn title(&self, id: ConnId) -> String {
        match self.sources.get(&id) {
            Some(Source::Opened { file, number }) => {
                format!("{file} #{number} {}", self.label(id))
            }
            Some(Source::Replay { of }) => format!("replay of {of}"),
            // A program's connection: its name says which ("curl pid 4242").
            None if self.is_run(id) => self.label(id),
            None => format!("#{id} {}", self.label(id)),
        }
    }

    /// Shows `text` in the status line (in red when `error`).
    pub fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
        });
    }

    /// The connection the views show: the selected one, else the newest.
    pub fn current(&self) -> Option<&crate::trace::store::ConnTrace> {
        match self.selected_conn {
            Some(id) => self.store.conn(id),
            None => self.store.conns.last(),
        }
    }

    /// Selects call `call` of connection `conn` and shows its connection.
    pub fn select_call(&mut self, conn: ConnId, call: usize) {
        self.selected_conn = Some(conn);
        self.selection = Some(Selection { conn, call });
    }

    /// Selects the call with id `call` of connection `conn` and frames it with the wait that
    /// followed it (the "jump to cause" of a verdict). Stops following live.
    pub fn jump_to(&mut self, conn: ConnId, call: CallId) {
        let Some(c) = self.store.conn(conn) else {
            return;
        };
        let Some(i) = c.call_index(call) else {
            return;
        };
        let start = c.calls().start(i);
        let end = c
            .wait_after(i)
            .map_or(c.calls().end(i), |w| c.waits().end(w))
            .max(c.calls().end(i));
        // A wait still going on ends now.
        let end = if c.close.is_none() && i + 1 == c.call_spans.len() {
            end.max(self.now_of(conn))
        } else {
            end
        };
        let (t0, t1) = (secs(start), secs(end));
        let pad = ((t1 - t0) * 0.15).max(0.0005);
        self.view = (t0 - pad, t1 + pad);
        self.follow = false;
        self.select_call(conn, i);
    }

    /// Once per connection, when it ends or its verdict becomes a stall, selects the call the
    /// verdict names (so Details is never empty after a run); a user's selection is kept.
    pub fn select_cause(&mut self) {
        let mut pick = None;
        for c in &self.store.conns {
            if self.cause_shown.contains(&c.id) {
                continue;
            }
            let v = c.verdict(self.now_of(c.id));
            let ended = c.close.is_some();
            if !(ended || v.severity() == crate::trace::verdict::Severity::Stall) {
                continue;
            }
            pick = Some((c.id, v.focus));
            break;
        }
        let Some((conn, focus)) = pick else {
            return;
        };
        self.cause_shown.insert(conn);
        let shown = self.current().map(|c| c.id) == Some(conn);
        let untouched = self.selection.is_none_or(|s| s.conn != conn);
        if let (Some(call), true, true) = (focus, shown, untouched) {
            let Some(c) = self.store.conn(conn) else {
                return;
            };
            if let Some(i) = c.call_index(call) {
                self.select_call(conn, i);
            }
        }
    }

    /// While following, slides the view so the newest events of the current connection show,
    /// and while it is stalled, the start of the stall too: the call that began the wait, and
    /// the call the verdict names, however long ago that was.
    pub fn follow_tail(&mut self) {
        if !self.follow {
            return;
        }
        let Some(c) = self.current() else {
            return;
        };
        if c.events.is_empty() {
            return;
        }
        let first = secs(c.first_t);
        let last = secs(c.end_at(self.now_of(c.id)));
        let span = (last - first).max(0.002);
        // Whole connection while it is short; the last 10 s once it is long.
        let mut start = if span > 10.0 { last - 10.0 } else { first };
        if let Some(cause) = self.stall_start(c) {
            start = start.min(secs(cause));
        }
        self.view = padded(start, last);
    }

    /// Where the stall of `c` began, if it is stalled now: the start of the call whose WANT_*
    /// began the wait, or of the call the verdict names if that came earlier.
    fn stall_start(&self, c: &crate::trace::store::ConnTrace) -> Option<Nanos> {
        let now = self.now_of(c.id);
        let (since, _) = c.stalled_since(now)?;
        let calls = c.calls();
        let waited_after = crate::trace::store::first(calls.len(), |i| calls.end(i) >= since);
        let mut start = c.calls().get(waited_after).map(|s| s.0).unwrap_or(since);
        let focus = c.verdict(now).focus.and_then(|id| c.call_index(id));
        if let Some((s, _)) = focus.and_then(|i| calls.get(i)) {
            start = start.min(s);
        }
        Some(start)
    }

    /// The view that shows the whole current connection.
    pub fn fit_view(&self) -> Option<(f64, f64)> {
        let c = self.current()?;
        if c.events.is_empty() {
            return None;
        }
        Some(padded(secs(c.first_t), secs(c.end_at(self.now_of(c.id)))))
    }

    /// Shows the whole current connection (F, Home, double-click, the Fit button); the view
    /// then stays put (Space follows live again).
    pub fn fit(&mut self) {
        if let Some(v) = self.fit_view() {
            self.view = v;
        }
        self.follow = false;
    }

    /// Zooms by `factor` (above 1 zooms in) around `at` seconds, or the middle of the view.
    pub fn zoom(&mut self, factor: f64, at: Option<f64>) {
        let (v0, v1) = self.view;
        self.view = zoom_view(self.view, factor, at.unwrap_or((v0 + v1) / 2.0));
        self.follow = false;
    }

    /// Moves the view by `fraction` of its width (positive: later).
    pub fn pan(&mut self, fraction: f64) {
        self.view = pan_view(self.view, fraction);
        self.follow = false;
    }

    /// What the view is doing, for the status line.
    pub fn view_mode(&self) -> ViewMode {
        let current = self.current();
        let live = current.is_some_and(|c| c.close.is_none());
        if self.follow {
            return match current.and_then(|c| self.sources.get(&c.id)) {
                Some(Source::Opened { .. }) => ViewMode::Opened,
                Some(Source::Replay { .. }) if live => ViewMode::Replay,
                _ if live => ViewMode::Following,
                _ => ViewMode::Whole,
            };
        }
        let Some(c) = self.current().filter(|c| !c.events.is_empty()) else {
            return ViewMode::Paused;
        };
        let (t0, t1) = (secs(c.first_t), secs(c.end_at(self.now_of(c.id))));
        let (v0, v1) = self.view;
        if v0 <= t0 && v1 >= t1 {
            ViewMode::Paused
        } else {
            ViewMode::Zoomed {
                shown: (v1.min(t1) - v0.max(t0)).max(0.0),
                total: t1 - t0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn zooming_keeps_the_time_under_the_pointer_in_place() {
        let v = zoom_view((0.0, 10.0), 2.0, 2.0);
        assert!(near(v, (1.0, 6.0)), "{v:?}");
        // Out again: back where it was.
        assert!(near(zoom_view(v, 0.5, 2.0), (0.0, 10.0)));
        // Around the middle when the pointer is elsewhere.
        assert!(near(zoom_view((0.0, 10.0), 2.0, f64::NAN), (2.5, 7.5)));
        // Never narrower than MIN_SPAN, never a broken view from bad input.
        let deep = zoom_view((1.0, 1.000_001), 1000.0, 1.0);
        assert!((deep.1 - deep.0 - MIN_SPAN).abs() < 1e-12);
        assert_eq!(zoom_view((0.0, 1.0), f64::NAN, 0.5), (0.0, 1.0));
        assert_eq!(zoom_view((0.0, 1.0), 0.0, 0.5), (0.0, 1.0));
    }

    #[test]
    fn panning_moves_by_a_fraction_of_the_view() {
        assert!(near(pan_view((2.0, 4.0), 0.25), (2.5, 4.5)));
        assert!(near(pan_view((2.0, 4.0), -0.5), (1.0, 3.0)));
        assert_eq!(pan_view((2.0, 4.0), f64::INFINITY), (2.0, 4.0));
    }

    #[test]
    fn a_fitted_view_has_a_margin() {
        let v = padded(1.0, 2.0);
        assert!(v.0 < 1.0 && v.1 > 2.0);
        let v = padded(1.0, 1.0);
        assert!(v.1 > v.0);
        // The start's label fits in a narrow plot (1024 px window: about 360 px of plot).
        for (end, width) in [(3.0, 300.0), (0.004, 300.0), (30.0, 360.0)] {
            let (v0, v1) = padded(0.0, end);
            let ticks = crate::trace::ticks::AxisTicks::choose(v0, v1, width, 7.5);
            let labels = ticks.labelled(v0, v1, width, 7.5);
            assert!(labels.first().is_some_and(|l| l.0 == 0.0), "{labels:?}");
        }
    }
}
