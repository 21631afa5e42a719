//! Traces saved from the app and opened into it: writing picked connections as JSONL, or as a
//! binary trace when the file's name ends `.tlsscope` (renumbered
//! from 1, with the timing and verdict before each close as `tlsscope trace` writes them), giving an opened
//! file's connections ids no other connection has, naming a trace's target, and cutting the
//! timeline out of a window image.

use super::files::OPENED_CONN_BASE;
use crate::trace::diagnosis::Diagnoser;
use crate::trace::store::ConnTrace;
use crate::trace::{jsonl, ConnId, Event, EventKind};
use std::io::Write;
use std::path::Path;

/// Whether a trace saved at `path` is written as a binary trace (its name ends `.tlsscope`;
/// any other name is JSONL).
pub(crate) fn saves_binary(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(crate::trace::binary::EXTENSION))
}

/// Writes `conns` to `path` as JSONL (a binary trace if [`saves_binary`]), connection after
/// connection, numbered 1, 2, … in the
/// order given (a saved trace never depends on this session's ids). A connection with no
/// verdict event (one traced by the app) gets one before its close, as the command line writes
/// it. Writes to a temporary file first, so a failure leaves no half-written file behind.
/// Returns the one line the status shows.
pub(crate) fn save(conns: &[&ConnTrace], path: &Path) -> Result<String, String> {
    if conns.is_empty() {
        return Err("nothing to save: select a connection (or tick several)".into());
    }
    let fail = |e: &dyn std::fmt::Display| format!("cannot save to {}: {e}", path.display());
    let name = path
        .file_name()
        .ok_or_else(|| fail(&"not a file name"))?
        .to_string_lossy();
    let part = path.with_file_name(format!(".{name}.part"));
    let file = std::fs::File::create(&part).map_err(|e| fail(&e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut events = 0usize;
    let mut binary = saves_binary(path).then(crate::trace::binary::encode::Encoder::new);
    let written = (|| -> std::io::Result<()> {
        for (n, c) in conns.iter().enumerate() {
            let conn = ConnId::try_from(n + 1).unwrap_or(ConnId::MAX);
            // An opened trace keeps the verdict (and timing) it was saved with.
            let has = |kind: &str| c.events.iter().any(|e| e.kind_name() == kind);
            let (has_verdict, has_timing) = (has("verdict"), has("timing"));
            let mut diagnoser = Diagnoser::new();
            for e in &c.events {
                let e = e.event(conn);
                let mut before = diagnoser.feed(&e);
                before.retain(|b| match b.kind {
                    EventKind::Verdict(_) => !has_verdict,
                    _ => !has_timing,
                });
                for e in before.iter().chain(std::iter::once(&e)) {
                    // Raw bytes and secrets are never saved in a trace file (the binary
                    // encoder skips them too).
                    if let Some(enc) = &mut binary {
                        enc.push(e, &mut out)?;
                    } else if let Some(line) = jsonl::to_line(e) {
                        writeln!(out, "{line}")?;
                        events += 1;
                    }
                }
            }
        }
        if let Some(enc) = &mut binary {
            enc.finish(&mut out)?;
            events = enc.written() as usize;
        }
        out.flush()
    })();
    let renamed = written.and_then(|()| std::fs::rename(&part, path));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&part);
        return Err(fail(&e));
    }
    let what = match conns.len() {
        1 => "1 connection".to_string(),
        n => format!("{n} connections"),
    };
    Ok(format!(
        "saved {what}, {} events to {}",
        thousands(events),
        path.display()
    ))
}

/// `n` with a comma between thousands ("1,234").
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// An opened trace's events with their new connection ids, and per connection its new id and
/// its number in the file.
pub(crate) type Placed = (Vec<Event>, Vec<(ConnId, ConnId)>);

/// Renumbers the connections of an opened trace (read with ids from [`OPENED_CONN_BASE`] on)
/// past `taken` (the highest id in use), keeping their order and spacing.
pub(crate) fn place(mut events: Vec<Event>, taken: ConnId) -> Result<Placed, String> {
    let numbers = |e: &Event| e.conn.saturating_sub(OPENED_CONN_BASE);
    let lowest = events.iter().map(numbers).min().unwrap_or(0);
    let offset = OPENED_CONN_BASE.max(taken.saturating_add(1).saturating_sub(lowest));
    let mut ids: Vec<(ConnId, ConnId)> = Vec::new();
    for e in &mut events {
        let number = numbers(e);
        let id = number
            .checked_add(offset)
            .ok_or("its connection numbers are too large to open beside the others")?;
        if !ids.iter().any(|&(i, _)| i == id) {
            ids.push((id, number));
        }
        e.conn = id;
    }
    Ok((events, ids))
}

/// The target a trace connected to, as its setup names it, else the peer's address.
pub(crate) fn target_of(c: &ConnTrace) -> String {
    for e in &c.events {
        if let EventKind::Setup(s) = &e.kind {
            return s.target.clone();
        }
    }
    match &c.endpoints {
        Some(ep) => ep.peer.to_string(),
        None => "unknown target".into(),
    }
}

/// The part of `image` (the whole window, `ppp` pixels per point) under `rect` (in points),
/// clamped to the image; `None` when nothing of it is inside.
pub(crate) fn crop(
    image: &egui::ColorImage,
    rect: egui::Rect,
    ppp: f32,
) -> Option<egui::ColorImage> {
    let [w, h] = image.size;
    let px = |v: f32, most: usize| ((v * ppp).round().max(0.0) as usize).min(most);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        pixels.extend_from_slice(&image.pixels[y * w + x0..y * w + x1]);
    }
    Some(egui::ColorImage::new([x1 - x0, y1 - y0], pixels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::store::Store;
    use crate::trace::{Close, CloseReason, Phase};

    fn ev(t: u64, conn: ConnId, kind: EventKind) -> Event {
        Event { t, conn, kind }
    }

    fn closed(conn: ConnId) -> Vec<Event> {
        vec![
            ev(1, conn, EventKind::Phase(Phase::Connect)),
            ev(
                9,
                conn,
                EventKind::Close(Close {
                    reason: CloseReason::Clean,
                    notify_sent: true,
                    notify_received: true,
                    workload_done: true,
                }),
            ),
        ]
    }

    #[test]
    fn saving_renumbers_adds_the_verdict_and_reads_back() {
        let dir = std::env::temp_dir().join(format!("tlsscope-save-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let mut store = Store::new();
        store.push_batch(&closed(7));
        store.push_batch(&closed(1_000_003));
        let conns: Vec<&ConnTrace> = store.conns.iter().collect();
        let path = dir.join("two.jsonl");
        let said = save(&conns, &path).expect("saved");
        assert_eq!(
            said,
            format!("saved 2 connections, 8 events to {}", path.display())
        );
        let text = std::fs::read_to_string(&path).expect("written");
        let back = crate::trace::jsonl_read::from_text(&text).expect("reads back");
        let conns: Vec<ConnId> = back.iter().map(|e| e.conn).collect();
        assert_eq!(conns, [1, 1, 1, 1, 2, 2, 2, 2]);
        assert!(matches!(back[1].kind, EventKind::Timing(_)));
        assert!(matches!(back[2].kind, EventKind::Verdict(_)));
        assert!(matches!(back[3].kind, EventKind::Close(_)));
        // Saving what was read adds no second verdict or timing.
        let mut again = Store::new();
        again.push_batch(&back);
        let conns: Vec<&ConnTrace> = again.conns.iter().collect();
        assert!(save(&conns, &path).is_ok_and(|s| s.contains(", 8 events")));
        // A trace saved before timings existed (a verdict, no timing) gets its timing.
        let old: Vec<Event> = back
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Timing(_)))
            .cloned()
            .collect();
        let mut again = Store::new();
        again.push_batch(&old);
        let conns: Vec<&ConnTrace> = again.conns.iter().collect();
        assert!(save(&conns, &path).is_ok_and(|s| s.contains(", 8 events")));
        // Nothing picked, or a folder that is not there: a reason, and no file.
        assert!(save(&[], &path).is_err_and(|e| e.starts_with("nothing to save")));
        let missing = dir.join("no-such-folder").join("x.jsonl");
        let err = save(&conns, &missing).expect_err("refused");
        assert!(
            err.starts_with(&format!("cannot save to {}: ", missing.display())),
            "{err}"
        );
        assert!(!missing.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn counts_have_thousands_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn opened_connections_get_ids_past_those_taken() {
        let read = |n: ConnId| Event {
            conn: OPENED_CONN_BASE + n,
            ..closed(0)[0].clone()
        };
        let (events, ids) = place(vec![read(1), read(3), read(1)], 5).expect("placed");
        assert_eq!(ids, [(OPENED_CONN_BASE + 1, 1), (OPENED_CONN_BASE + 3, 3)]);
        assert_eq!(events[2].conn, OPENED_CONN_BASE + 1);
        // A second file goes after the first.
        let (_, ids) = place(vec![read(1), read(2)], OPENED_CONN_BASE + 3).expect("placed");
        assert_eq!(ids, [(OPENED_CONN_BASE + 4, 1), (OPENED_CONN_BASE + 5, 2)]);
        let huge = place(
            vec![read(1), read(ConnId::MAX - OPENED_CONN_BASE)],
            OPENED_CONN_BASE + 9,
        );
        assert!(huge.is_err());
    }

    #[test]
    fn crop_keeps_the_rect_in_pixels_and_stays_inside() {
        let mut image = egui::ColorImage::new([4, 3], vec![egui::Color32::BLACK; 12]);
        image.pixels[4 + 2] = egui::Color32::RED;
        let rect = egui::Rect::from_min_max(egui::pos2(1.0, 0.5), egui::pos2(1.5, 1.0));
        let part = crop(&image, rect, 2.0).expect("inside");
        assert_eq!(part.size, [1, 1]);
        assert_eq!(part.pixels, vec![egui::Color32::RED]);
        let over = egui::Rect::from_min_max(egui::pos2(-5.0, -5.0), egui::pos2(50.0, 50.0));
        assert_eq!(crop(&image, over, 1.0).map(|i| i.size), Some([4, 3]));
        let outside = egui::Rect::from_min_max(egui::pos2(9.0, 9.0), egui::pos2(12.0, 12.0));
        assert!(crop(&image, outside, 1.0).is_none());
    }
}
