//! Traces being opened: each file streamed by a thread of its own ([`super::loading`]), so a
//! large trace never freezes the window and shows while it loads; the progress bar with its
//! Cancel button; and the hint shown while a file is dragged over the window.

use super::files::OPENED_CONN_BASE;
use super::loading::{Chunk, Load};
use super::model::{Model, Source};
use super::trace_file;
use crate::trace::jsonl_stream::ReadError;
use crate::trace::{ConnId, Event};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

/// The most time a frame spends adding opened events to the store (the rest waits for the next
/// frame): long enough that a big file loads at the store's speed, short enough that the window
/// still answers while it does.
const ADD_TIME: Duration = Duration::from_millis(20);

/// What happened to a file being opened, for the app to carry out.
pub(crate) enum Step {
    /// Events read (with their file's ids still to give).
    Events(usize, Vec<Event>),
    /// The file `.0` ended: every line read, or stopped at a bad one (`kept` events before it),
    /// or cancelled.
    End(usize, Result<(), ReadError>),
}

/// The files being read.
#[derive(Default)]
pub(crate) struct Readings {
    pub loads: Vec<Load>,
}

/// A file's name as shown ("trace.jsonl").
pub(crate) fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl Readings {
    /// Opens the trace at `path` (a regular file; anything else is refused at once) and starts
    /// reading it; `ctx` is woken as batches come.
    pub(crate) fn start(&mut self, ctx: &egui::Context, path: &Path) -> Result<(), String> {
        let (file, meta) = crate::options::files::open_regular(path, "trace file")?;
        self.start_file(ctx, path, file, meta.len());
        Ok(())
    }

    /// Starts reading an opened regular `file` of `size` bytes.
    pub(crate) fn start_file(&mut self, ctx: &egui::Context, path: &Path, file: File, size: u64) {
        let wake = ctx.clone();
        let load = Load::start(path, name_of(path), file, size, move || {
            wake.request_repaint()
        });
        self.loads.push(load);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.loads.is_empty()
    }

    /// The next thing a reading thread sent, from the first load that has one (loads in
    /// `done` are skipped).
    fn next_step(&self, done: &[usize]) -> Option<Step> {
        self.loads.iter().enumerate().find_map(|(i, load)| {
            if done.contains(&i) {
                return None;
            }
            match load.next()? {
                Chunk::Events(events) => Some(Step::Events(i, events)),
                Chunk::End(end) => Some(Step::End(i, end)),
            }
        })
    }

    /// Drops the loads at `done` (indexes, any order).
    pub(crate) fn remove(&mut self, mut done: Vec<usize>) {
        done.sort_unstable();
        done.dedup();
        for i in done.into_iter().rev() {
            if i < self.loads.len() {
                self.loads.remove(i);
            }
        }
    }

    /// Adds what the reading threads sent to the store, as it comes: the first batch shows its
    /// first connection at once; the end says what was opened, or which line stopped it (what
    /// came before that line is kept).
    pub(crate) fn pump(&mut self, ctx: &egui::Context, model: &mut Model, high: &mut ConnId) {
        let mut done: Vec<usize> = Vec::new();
        let start = Instant::now();
        while let Some(step) = self.next_step(&done) {
            match step {
                Step::Events(i, mut events) if !done.contains(&i) => {
                    let most = model.store.conns.iter().map(|c| c.id).max().unwrap_or(0);
                    let taken = most.max(*high);
                    let Some(load) = self.loads.get_mut(i) else {
                        continue;
                    };
                    let new = match load.placing.place(&mut events, taken) {
                        Ok(new) => new,
                        Err(e) => {
                            load.cancel();
                            done.push(i);
                            model.notify(format!("cannot open {}: {e}", load.name), true);
                            continue;
                        }
                    };
                    let first = load.events == 0;
                    load.events += events.len() as u64;
                    // The connections of this batch, in runs, before the events move into the store.
                    let mut touched: Vec<crate::trace::ConnId> = Vec::new();
                    for e in &events {
                        if touched.last() != Some(&e.conn) {
                            touched.push(e.conn);
                        }
                    }
                    model.store.take_batch(events);
                    for &id in &new {
                        *high = (*high).max(id);
                        let number = id.saturating_sub(OPENED_CONN_BASE);
                        let number = load
                            .placing
                            .ids
                            .iter()
                            .rev()
                            .find(|&&(i, _)| i == id)
                            .map_or(number, |&(_, n)| n);
                        let source = Source::Opened {
                            file: load.name.clone(),
                            number,
                        };
                        model.sources.insert(id, source);
                        if let Some(c) = model.store.conn(id) {
                            model.labels.insert(id, trace_file::target_of(c));
                        }
                    }
                    for id in touched {
                        if let Some(c) = model.store.conn(id) {
                            model.clocks.insert(id, c.last_t);
                        }
                    }
                    if let (true, Some(&id)) = (first, new.first()) {
                        model.selected_conn = Some(id);
                        model.selection = None;
                        model.follow = true;
                    }
                }
                Step::Events(..) => {}
                Step::End(i, end) => {
                    done.push(i);
                    let Some(load) = self.loads.get(i) else {
                        continue;
                    };
                    match end {
                        Err(e) => {
                            model.notify(super::loading::refusal(&load.path, &e, load.events), true)
                        }
                        Ok(()) if load.events == 0 => {
                            model.notify(format!("{}: the trace is empty", load.path), true)
                        }
                        Ok(()) => {
                            let ids = &load.placing.ids;
                            if let Some(&(last, _)) = ids.last() {
                                model.selected_conn = Some(last);
                                model.selection = None;
                                model.follow = true;
                            }
                            let conns = match ids.len() {
                                1 => "1 connection".to_string(),
                                n => format!("{n} connections"),
                            };
                            let events = trace_file::thousands(load.events as usize);
                            model.notify(
                                format!("opened {}: {conns}, {events} events", load.name),
                                false,
                            );
                        }
                    }
                }
            }
            // The rest waits for the next frame, which comes at once.
            if start.elapsed() >= ADD_TIME {
                ctx.request_repaint();
                break;
            }
        }
        if !self.loads.is_empty() {
            ctx.request_repaint_after(Duration::from_millis(50));
        }
        self.remove(done);
    }

    /// The progress bars: per file, its name, how far, the events so far, and Cancel. Returns
    /// the index of a load whose Cancel was clicked.
    pub(crate) fn ui(&self, ui: &mut egui::Ui) -> Option<usize> {
        let mut cancel = None;
        for (i, load) in self.loads.iter().enumerate() {
            ui.horizontal(|ui| {
                let f = load.fraction();
                ui.label(format!("Opening {}", load.name));
                ui.add(
                    egui::ProgressBar::new(f)
                        .desired_width(240.0)
                        .text(format!("{:.0} %", f * 100.0)),
                );
                let events = super::trace_file::thousands(load.events as usize);
                ui.label(format!("{events} events"));
                if ui.button("Cancel").clicked() {
                    cancel = Some(i);
                }
            });
        }
        cancel
    }
}

/// While a file is dragged over the window, says what dropping it does.
pub(crate) fn drop_hint(ctx: &egui::Context) {
    if ctx.input(|i| i.raw.hovered_files.is_empty()) {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop-hint"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(170));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a trace (JSONL or .tlsscope) to open it",
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}
