//! The state the views share: recorded events, which connection and call are selected, the
//! visible time range, and the requests the user made of the engine.

use crate::options::ConnectOptions;
use crate::probe::Action;
use crate::trace::store::Store;
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
        self.labels
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("connection {id}"))
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
        let Some(i) = c.call_id.iter().position(|&id| id == call) else {
            return;
        };
        let start = c.calls.start[i];
        let end = c
            .wait_after(i)
            .map_or(c.calls.end[i], |w| c.waits.end[w])
            .max(c.calls.end[i]);
        // A wait still going on ends now.
        let end = if c.close.is_none() && i + 1 == c.calls.len() {
            end.max(self.now)
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
            let v = c.verdict(self.now);
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
            if let Some(i) = c.call_id.iter().position(|&id| id == call) {
                self.select_call(conn, i);
            }
        }
    }

    /// While following, slides the view so the newest events of the current connection show.
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
        let last = secs(c.last_t.max(if c.close.is_some() { 0 } else { self.now }));
        let span = (last - first).max(0.002);
        // Whole connection while it is short; the last 10 s once it is long.
        let start = if span > 10.0 { last - 10.0 } else { first };
        let pad = (last - start).max(0.002) * 0.03;
        self.view = (start - pad, last + pad);
    }
}
