//! The timeline's per-bucket queries of the store, remembered from the last frame (in egui's
//! memory) and asked again only when the view, its width in pixels or the store's events
//! changed: a repaint for the pointer, or a busy repaint of a finished trace, then searches
//! nothing.

use super::axis::Visible;
use super::tcp::TcpView;
use crate::trace::store::{
    aggregate, CallClass, ConnTrace, IoClass, Mark, Memo, Series, ViewKey, WaitClass,
};
use crate::trace::Nanos;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The lanes plot's marks, per lane.
pub(super) struct LaneMarks {
    pub(super) runs: Vec<Mark<()>>,
    pub(super) calls: Vec<Mark<CallClass>>,
    pub(super) io: Vec<Mark<IoClass>>,
    pub(super) waits: Vec<Mark<WaitClass>>,
}

/// The last answers, one per plot.
#[derive(Default)]
pub(super) struct Queries {
    lanes: Memo<ViewKey, LaneMarks>,
    /// Receive queue, send queue, SSL_pending.
    buffers: Memo<ViewKey, [Vec<(Nanos, u32)>; 3]>,
    tcp: Memo<ViewKey, Option<TcpView>>,
}

/// What egui's memory keeps between frames (it asks for `Clone + Send + Sync`).
type Shared = Arc<Mutex<Queries>>;

impl Queries {
    /// The timeline's remembered queries, from egui's memory.
    pub(super) fn shared(ctx: &egui::Context) -> Shared {
        let id = egui::Id::unique("timeline-queries");
        ctx.data_mut(|d| d.get_temp_mut_or_default::<Shared>(id).clone())
    }

    /// Locks them (a panic elsewhere while they were locked leaves only remembered answers).
    pub(super) fn lock(shared: &Shared) -> MutexGuard<'_, Queries> {
        shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the key of connection `c`'s view is, with the store's count of events.
    pub(super) fn key(c: &ConnTrace, generation: u64, vis: &Visible) -> ViewKey {
        ViewKey {
            conn: c.id,
            generation,
            t0: vis.t0,
            t1: vis.t1,
            buckets: vis.buckets,
        }
    }

    pub(super) fn lanes(&mut self, key: ViewKey, c: &ConnTrace, vis: &Visible) -> &LaneMarks {
        let (t0, t1, n) = (vis.t0, vis.t1, vis.buckets);
        self.lanes.get_or(key, || LaneMarks {
            runs: aggregate(&c.retries(), t0, t1, n),
            calls: aggregate(&c.calls(), t0, t1, n),
            io: aggregate(&c.io(), t0, t1, n),
            waits: aggregate(&c.waits(), t0, t1, n),
        })
    }

    pub(super) fn buffers(
        &mut self,
        key: ViewKey,
        c: &ConnTrace,
        vis: &Visible,
    ) -> &[Vec<(Nanos, u32)>; 3] {
        self.buffers.get_or(key, || {
            let levels = [&c.inq, &c.outq, &c.pending];
            Series::envelopes(levels, &c.events, vis.t0, vis.t1, vis.buckets)
        })
    }

    pub(super) fn tcp(&mut self, key: ViewKey, c: &ConnTrace, vis: &Visible) -> Option<TcpView> {
        let view = self
            .tcp
            .get_or(key, || TcpView::query(c, vis.t0, vis.t1, vis.buckets));
        view.clone()
    }
}
