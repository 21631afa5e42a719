//! The socket I/O lane: one marker per socket read or write (or per pixel bucket of them),
//! shaped by direction and coloured by how it went.

use super::io_marks::{IoMarks, Mark};
use super::marks::y;
use crate::trace::store::{IoClass, IoOutcome, Lane, Mark as Bucket, SpanClass};
use crate::trace::Dir;
use crate::ui::model::secs;
use crate::ui::style;
use egui_plot::PlotUi;

/// The name and marker of a class of socket operation.
fn marker(class: IoClass) -> (&'static str, Mark) {
    match (class.outcome, class.dir) {
        (IoOutcome::Done, Dir::Read) => ("socket read", Mark::Up),
        (IoOutcome::Done, Dir::Write) => ("socket write", Mark::Down),
        (IoOutcome::WouldBlock, Dir::Read) => ("would block (read)", Mark::Cross),
        (IoOutcome::WouldBlock, Dir::Write) => ("would block (write)", Mark::Cross),
        (IoOutcome::EofOrError, Dir::Read) => ("EOF / error (read)", Mark::Asterisk),
        (IoOutcome::EofOrError, Dir::Write) => ("EOF / error (write)", Mark::Asterisk),
    }
}

/// The markers' radius, in points.
const RADIUS: f32 = 4.0;

pub(super) fn draw(pui: &mut PlotUi, marks: &[Bucket<IoClass>]) {
    let lane = y(Lane::Io);
    let mut points: [Vec<[f64; 2]>; IoClass::ALL.len()] = Default::default();
    for m in marks {
        // Reads above the lane's centre, writes below.
        let dy = if m.class.dir == Dir::Write {
            -0.15
        } else {
            0.15
        };
        points[m.class.index()].push([secs(m.start), lane + dy]);
    }
    for (class, pts) in IoClass::ALL.into_iter().zip(points) {
        let (name, mark) = marker(class);
        let colour = style::io(class.outcome);
        pui.add(IoMarks::new(name, pts, mark, RADIUS, colour));
    }
}
