//! The status line: events recorded, events per second, memory used, events dropped, and what
//! the timeline's view is doing (following live, paused, zoomed), and the outcome of the last
//! save, open, export or copy (a failure on a line of its own, above).

use super::model::{Model, ViewMode};
use super::style;
use crate::trace::format;
use egui::RichText;
use std::time::{Duration, Instant};

/// Events per second over the last second or so.
#[derive(Debug)]
pub struct Rate {
    since: Instant,
    count_then: u64,
    pub per_sec: f64,
}

impl Default for Rate {
    fn default() -> Rate {
        Rate {
            since: Instant::now(),
            count_then: 0,
            per_sec: 0.0,
        }
    }
}

impl Rate {
    pub fn update(&mut self, total: u64) {
        let elapsed = self.since.elapsed();
        if elapsed >= Duration::from_millis(500) {
            self.per_sec = total.saturating_sub(self.count_then) as f64 / elapsed.as_secs_f64();
            self.count_then = total;
            self.since = Instant::now();
        }
    }
}

pub fn ui(ui: &mut egui::Ui, model: &mut Model, rate: &Rate) {
    // A failure gets a line of its own, so its reason is read whole.
    let failed = model.notice.as_ref().is_some_and(|n| n.error);
    if failed {
        ui.horizontal(|ui| notice(ui, model));
    }
    ui.horizontal(|ui| {
        let s = &model.store;
        ui.label(format!("{} events", s.total_events));
        ui.separator();
        ui.label(format!("{:.0} events/s", rate.per_sec));
        ui.separator();
        ui.label(format!("{} in memory", format::bytes(s.memory() as u64)));
        ui.separator();
        let dropped = format!("{} dropped", s.dropped);
        if s.dropped > 0 {
            ui.label(RichText::new(dropped).color(style::DROPPED).strong());
        } else {
            ui.label(dropped);
        }
        ui.separator();
        ui.label(view_text(model.view_mode()));
        ui.separator();
        // What the last save, open, export or copy did, where the hint is otherwise.
        if model.notice.is_some() && !failed {
            notice(ui, model);
        } else {
            ui.label("wheel zooms, drag pans, F fits, F1: keys");
        }
    });
}

/// The last file or clipboard action's outcome (in red when it failed), cut to the room left
/// (in full on hover), with × to dismiss it.
fn notice(ui: &mut egui::Ui, model: &mut Model) {
    let Some(n) = &model.notice else {
        return;
    };
    let dismiss = ui.small_button("×").on_hover_text("Dismiss").clicked();
    let text = if n.error {
        RichText::new(&n.text).color(style::ERROR_TEXT).strong()
    } else {
        RichText::new(&n.text)
    };
    ui.add(egui::Label::new(text).truncate())
        .on_hover_text(&n.text);
    if dismiss {
        model.notice = None;
    }
}

/// What the timeline's view is doing, in words, with the key that changes it.
pub fn view_text(mode: ViewMode) -> String {
    match mode {
        ViewMode::Following => "following live (Space pauses)".into(),
        ViewMode::Whole => "whole connection (ended)".into(),
        ViewMode::Replay => "following the replay (Space pauses following)".into(),
        ViewMode::Opened => "whole connection (opened from a file)".into(),
        ViewMode::Paused => "paused, whole connection (Space follows)".into(),
        ViewMode::Zoomed { shown, total } => format!(
            "zoomed: {} of {} shown (F fits, Space follows)",
            format::seconds(shown),
            format::seconds(total)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_described_as_it_is() {
        assert!(view_text(ViewMode::Following).starts_with("following live"));
        assert!(view_text(ViewMode::Paused).starts_with("paused"));
        assert_eq!(
            view_text(ViewMode::Zoomed {
                shown: 0.0123,
                total: 2.41
            }),
            "zoomed: 12.3 ms of 2.41 s shown (F fits, Space follows)"
        );
    }
}
