//! The status line: events recorded, events per second, memory used, events dropped.

use super::model::Model;
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

pub fn ui(ui: &mut egui::Ui, model: &Model, rate: &Rate) {
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
        ui.label(if model.follow {
            "following live (Space pauses)"
        } else {
            "paused (Space follows)"
        });
        ui.separator();
        ui.label("timeline: drag to pan, wheel to zoom, click a call; Esc clears");
    });
}
