//! The timeline's per-bucket queries of the store, remembered from the last frame (in egui's
//! memory) and asked again only when the view, its width in pixels or the store's events
//! changed: a repaint for the pointer, or a busy repaint of a finished trace, then searches
//! nothing. A view with many spans or samples is bucketed on a grid fixed in time, so a pan
//! searches only the cells that came into view.

use super::axis::Visible;
use super::tcp::TcpView;
use crate::trace::store::{
    aggregate, aggregate_part, CallClass, ConnTrace, Grid, IoClass, Mark, Memo, Series, SlideKey,
    Sliding, Timed, ViewKey, WaitClass,
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

/// The last answers, one per plot, and the last views' per-cell answers they slide from.
#[derive(Default)]
pub(super) struct Queries {
    lanes: Memo<ViewKey, LaneMarks>,
    /// Receive queue, send queue, SSL_pending.
    buffers: Memo<ViewKey, [Vec<(Nanos, u32)>; 3]>,
    tcp: Memo<ViewKey, Option<TcpView>>,
    slides: Slides,
}

/// Per lane and level, the last view's answer on its grid: a pan searches only the cells that
/// came into view (see [`Sliding`]).
#[derive(Default)]
struct Slides {
    runs: Sliding<Mark<()>>,
    calls: Sliding<Mark<CallClass>>,
    io: Sliding<Mark<IoClass>>,
    waits: Sliding<Mark<WaitClass>>,
    levels: Sliding<(Nanos, [u32; 3])>,
    tcp: Sliding<(Nanos, [u32; 2])>,
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
        let Queries { lanes, slides, .. } = self;
        lanes.get_or(key, || LaneMarks {
            runs: marks(&mut slides.runs, key, &c.retries(), vis),
            calls: marks(&mut slides.calls, key, &c.calls(), vis),
            io: marks(&mut slides.io, key, &c.io(), vis),
            waits: marks(&mut slides.waits, key, &c.waits(), vis),
        })
    }

    pub(super) fn buffers(
        &mut self,
        key: ViewKey,
        c: &ConnTrace,
        vis: &Visible,
    ) -> &[Vec<(Nanos, u32)>; 3] {
        let Queries {
            buffers, slides, ..
        } = self;
        buffers.get_or(key, || {
            let three = [&c.inq, &c.outq, &c.pending];
            levels(&mut slides.levels, key, three, c, vis)
        })
    }

    pub(super) fn tcp(&mut self, key: ViewKey, c: &ConnTrace, vis: &Visible) -> Option<TcpView> {
        let Queries { tcp, slides, .. } = self;
        let view = tcp.get_or(key, || {
            (!c.snd_wnd.is_empty()).then(|| {
                let [rtt, wnd] = levels(&mut slides.tcp, key, [&c.rtt_us, &c.snd_wnd], c, vis);
                TcpView { rtt, wnd }
            })
        });
        view.clone()
    }
}

/// A lane's marks: every span its own when the view holds few (at most two a bucket), else
/// a mark per cell of the view's grid, slid from the last view's.
fn marks<S: Timed>(
    sliding: &mut Sliding<Mark<S::Class>>,
    key: ViewKey,
    spans: &S,
    vis: &Visible,
) -> Vec<Mark<S::Class>> {
    let (a, b) = spans.overlapping(vis.t0, vis.t1);
    if b - a <= vis.buckets * 2 {
        return aggregate(spans, vis.t0, vis.t1, vis.buckets);
    }
    let grid = Grid::covering(vis.t0, vis.t1, vis.buckets);
    sliding
        .get_or(
            slide_key(key),
            grid,
            |m| m.start,
            |part| aggregate_part(spans, part),
        )
        .to_vec()
}

/// Level series sampled together, as [`marks`] does the lanes: every sample when few, else
/// each cell's minimum and maximum, slid from the last view's.
fn levels<const N: usize>(
    sliding: &mut Sliding<(Nanos, [u32; N])>,
    key: ViewKey,
    series: [&Series; N],
    c: &ConnTrace,
    vis: &Visible,
) -> [Vec<(Nanos, u32)>; N] {
    let first = series[0];
    let inside = first.before(&c.events, vis.t1, false) - first.before(&c.events, vis.t0, true);
    if inside <= vis.buckets * 2 || !Series::sampled_together(&series) {
        return Series::envelopes(series, &c.events, vis.t0, vis.t1, vis.buckets);
    }
    let grid = Grid::covering(vis.t0, vis.t1, vis.buckets);
    let points = sliding.get_or(
        slide_key(key),
        grid,
        |p| p.0,
        |part| Series::envelopes_part(series, &c.events, part),
    );
    std::array::from_fn(|k| points.iter().map(|(t, v)| (*t, v[k])).collect())
}

fn slide_key(key: ViewKey) -> SlideKey {
    SlideKey {
        conn: key.conn,
        generation: key.generation,
    }
}
