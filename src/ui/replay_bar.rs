//! The replay controls in the timeline's toolbar: Replay for a finished or opened connection;
//! while a replay is shown, Play/Pause, the speed (0.1× to 10×), a position slider and where
//! the replay is. They only ask (see [`Act`]); `share.rs` carries it out.

use super::model::{secs, Model, Source};
use super::replay::SPEEDS;
use super::share::{Act, Share};
use super::style;
use crate::trace::format;
use egui::RichText;

/// How a speed reads on its button ("0.25×", "2×").
pub fn speed_text(speed: f64) -> String {
    format!("{}×", (speed * 100.0).round() / 100.0)
}

/// Draws the controls for the shown connection; true when it drew any.
pub fn ui(ui: &mut egui::Ui, model: &Model, share: &Share, act: &mut Option<Act>) -> bool {
    let Some(c) = model.current() else {
        return false;
    };
    ui.separator();
    let Some(run) = share.replay(c.id) else {
        let opened = matches!(model.sources.get(&c.id), Some(Source::Opened { .. }));
        if c.close.is_none() && !opened {
            return false;
        }
        let replay = ui.small_button("Replay").on_hover_text(
            "Play this connection back as a new one, at a speed of your choice, with every \
             view following it as if it were live",
        );
        if replay.clicked() {
            *act = Some(Act::Replay(c.id));
        }
        return true;
    };
    let s = &run.schedule;
    let (word, hint) = if s.playing() {
        ("Pause", "Pause the replay")
    } else if s.finished() {
        ("Play again", "Replay from the start")
    } else {
        ("Play", "Go on with the replay")
    };
    // One width for all three words, so the speeds do not move under the pointer.
    let button = egui::Button::new(word)
        .small()
        .min_size(egui::vec2(72.0, 0.0));
    if ui.add(button).on_hover_text(hint).clicked() {
        *act = Some(Act::PlayPause(run.id));
    }
    for speed in SPEEDS {
        let on = (s.speed() - speed).abs() < 1e-9;
        let r = ui
            .selectable_label(on, RichText::new(speed_text(speed)).small())
            .on_hover_text(format!(
                "Replay at {} of the recorded speed",
                speed_text(speed)
            ));
        if r.clicked() {
            *act = Some(Act::Speed(run.id, speed));
        }
    }
    let total = secs(s.total()).max(1e-9);
    let mut at = secs(s.position());
    let slider = egui::Slider::new(&mut at, 0.0..=total)
        .show_value(false)
        .trailing_fill(true);
    let r = ui
        .add_sized([110.0, ui.spacing().interact_size.y], slider)
        .on_hover_text("Where the replay is: drag to move it");
    if r.changed() {
        *act = Some(Act::Seek(run.id, super::model::nanos(at)));
    }
    ui.label(
        RichText::new(format!(
            "{} of {}",
            format::seconds(secs(s.position())),
            format::seconds(secs(s.total()))
        ))
        .color(style::MUTED),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::speed_text;

    #[test]
    fn speeds_read_as_multiples() {
        assert_eq!(speed_text(0.1), "0.1×");
        assert_eq!(speed_text(0.25), "0.25×");
        assert_eq!(speed_text(1.0), "1×");
        assert_eq!(speed_text(10.0), "10×");
    }
}
