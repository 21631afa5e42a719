//! Sharing what the app shows: opening saved traces (File menu, Ctrl+O, dropping a file on the
//! window, `--open`), saving the picked connections (Ctrl+S), replaying a finished connection,
//! exporting a PNG, a pcapng capture or the report, and copying as text. This file keeps the
//! state and carries out the requests; `share_menu.rs` draws the menus, `replay_bar.rs` the
//! replay controls, `copy.rs` makes the text, `trace_file.rs` reads and writes the files.

use super::events_table::EventsTable;
use super::file_picker::{FilePicker, Mode};
use super::files::OPENED_CONN_BASE;
use super::keys::{self, Shortcut};
use super::model::{Model, Source};
use super::png_export::Shots;
use super::reading::Readings;
use super::replay::{Schedule, Seek};
use super::{copy, export, trace_file};
use crate::trace::{ConnId, Event, Nanos};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A wall clock for replays, as time since some fixed instant (tests drive their own).
pub type Clock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// What a file dialog of the File menu is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Open,
    Save,
    WindowPng,
    TimelinePng,
    Pcapng,
    Report,
}

/// Something asked of the File and Copy menus, their shortcuts, or the replay controls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// Open the file dialog for this.
    Dialog(Want),
    Replay(ConnId),
    PlayPause(ConnId),
    Speed(ConnId, f64),
    Seek(ConnId, Nanos),
    CopyVerdict,
    CopyCall,
    CopyRows,
}

/// A replay going on: the connection it feeds and its schedule.
pub struct Run {
    pub id: ConnId,
    pub schedule: Schedule,
}

pub struct Share {
    picker: FilePicker<Want>,
    /// The folder the last dialog chose a file in (the next one starts there).
    dir: Option<PathBuf>,
    /// Traces being read off the UI thread.
    loading: Readings,
    pub replays: Vec<Run>,
    /// The speed the last replay was set to (the next one starts at it).
    speed: f64,
    /// The highest id given to an opened connection or a replay.
    high: ConnId,
    /// PNGs of the window or the timeline asked for.
    pub shots: Shots,
    /// The wall clock replays run on.
    pub clock: Clock,
}

impl Default for Share {
    fn default() -> Share {
        let start = Instant::now();
        Share {
            picker: FilePicker::default(),
            dir: None,
            loading: Readings::default(),
            replays: Vec::new(),
            speed: 1.0,
            high: 0,
            shots: Shots::default(),
            clock: Arc::new(move || start.elapsed()),
        }
    }
}

/// The connections Save and the exports write: the ticked ones, else the one shown.
pub fn picked(model: &Model, compare: &[ConnId]) -> Vec<ConnId> {
    if compare.is_empty() {
        model.current().map(|c| vec![c.id]).unwrap_or_default()
    } else {
        compare.to_vec()
    }
}

/// A file-name-friendly form of a target ("lab:slow-reader" → "lab-slow-reader").
fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match s.trim_matches('-') {
        "" => "tlsscope".into(),
        t => t.chars().take(60).collect(),
    }
}

impl Share {
    /// Nothing is being read or replayed, and no screenshot is pending.
    pub fn idle(&self) -> bool {
        self.loading.is_empty()
            && self.shots.idle()
            && self.replays.iter().all(|r| !r.schedule.playing())
    }

    /// The replay feeding connection `id`, if it is one.
    pub fn replay(&self, id: ConnId) -> Option<&Run> {
        self.replays.iter().find(|r| r.id == id)
    }

    /// A connection id no connection, opened file or replay has.
    fn fresh_id(&mut self, model: &Model) -> ConnId {
        let taken = self.taken(model);
        let id = OPENED_CONN_BASE.max(taken.saturating_add(1));
        self.high = id;
        id
    }

    fn taken(&self, model: &Model) -> ConnId {
        let most = model.store.conns.iter().map(|c| c.id).max().unwrap_or(0);
        most.max(self.high)
    }

    /// Once per frame: shortcuts, dropped files, finished reads, replays, screenshots.
    pub fn frame(
        &mut self,
        ctx: &egui::Context,
        model: &mut Model,
        table: &mut EventsTable,
        compare: &[ConnId],
    ) {
        let typing = ctx.egui_wants_keyboard_input();
        for shortcut in ctx.input(|i| keys::shortcuts(i, typing)) {
            match shortcut {
                // The dialog is open: Ctrl+O and Ctrl+S would start it over.
                Shortcut::Open | Shortcut::Save if self.picker.is_open() => {}
                Shortcut::Open => self.act(ctx, model, table, compare, Act::Dialog(Want::Open)),
                Shortcut::Save => self.act(ctx, model, table, compare, Act::Dialog(Want::Save)),
                Shortcut::Copy if table.picked_count(model) > 0 => table.copy_picked(ctx, model),
                Shortcut::Copy => self.act(ctx, model, table, compare, Act::CopyCall),
                Shortcut::PickAll => table.pick_all(model),
            }
        }
        for file in ctx.input(|i| i.raw.dropped_files.clone()) {
            self.load(ctx, model, file.path().to_path_buf());
        }
        self.loading.pump(ctx, model, &mut self.high);
        self.run_replays(ctx, model);
        self.shots.frame(ctx, model);
        if let Some((want, path)) = self.picker.show(ctx) {
            self.dir = path.parent().map(Path::to_path_buf);
            self.chosen(ctx, model, compare, want, path);
        }
    }

    /// Carries out a request of the menus, the shortcuts or the replay controls.
    pub fn act(
        &mut self,
        ctx: &egui::Context,
        model: &mut Model,
        table: &EventsTable,
        compare: &[ConnId],
        act: Act,
    ) {
        let wall = (self.clock)();
        match act {
            Act::Dialog(want) => self.dialog(model, compare, want),
            Act::Replay(source) => {
                if let Err(e) = self.start_replay(model, source) {
                    model.notify(e, true);
                }
            }
            Act::PlayPause(id) => {
                let Some(run) = self.replays.iter_mut().find(|r| r.id == id) else {
                    return;
                };
                if run.schedule.playing() {
                    run.schedule.pause(wall);
                } else if let Seek::Rebuild(_) = run.schedule.play(wall) {
                    rebuild(model, run);
                }
            }
            Act::Speed(id, speed) => {
                self.speed = speed;
                if let Some(run) = self.replays.iter_mut().find(|r| r.id == id) {
                    run.schedule.set_speed(speed, wall);
                }
            }
            Act::Seek(id, to) => {
                if let Some(run) = self.replays.iter_mut().find(|r| r.id == id) {
                    if let Seek::Rebuild(_) = run.schedule.seek(to, wall) {
                        rebuild(model, run);
                    }
                }
            }
            Act::CopyVerdict => match model.current() {
                Some(c) => {
                    let text = copy::verdict_text(model, c);
                    copy::to_clipboard(ctx, model, "the verdict", text);
                }
                None => model.notify("no connection to copy the verdict of", true),
            },
            Act::CopyCall => {
                let text = model.selection.and_then(|s| {
                    let c = model.store.conn(s.conn)?;
                    copy::call_text(model, c, s.call)
                });
                match text {
                    Some(text) => copy::to_clipboard(ctx, model, "the call", text),
                    None => model.notify(
                        "no call selected: click a call in the timeline or the table",
                        true,
                    ),
                }
            }
            Act::CopyRows => table.copy_picked(ctx, model),
        }
    }

    /// Opens the file dialog for `want`, with a name made from what is shown.
    fn dialog(&mut self, model: &mut Model, compare: &[ConnId], want: Want) {
        let conns = picked(model, compare);
        if conns.is_empty() && want != Want::Open {
            model.notify("nothing to save: no connection yet", true);
            return;
        }
        let base = match conns.as_slice() {
            [one] => slug(&model.label(*one)),
            _ => format!("tlsscope-{}-connections", conns.len()),
        };
        let what = match conns.as_slice() {
            [one] => model.title(*one),
            many => format!("{} ticked connections", many.len()),
        };
        let (title, name) = match want {
            Want::Open => ("Open a trace (JSONL or .tlsscope)".to_string(), None),
            Want::Save => (
                format!("Save {what} as JSONL (or binary: name it .tlsscope)"),
                Some(format!("{base}.jsonl")),
            ),
            Want::WindowPng => (
                "Save a PNG of the window".into(),
                Some(format!("{base}-window.png")),
            ),
            Want::TimelinePng => (
                "Save a PNG of the timeline".into(),
                Some(format!("{base}-timeline.png")),
            ),
            Want::Pcapng => (
                format!("Export {what} as pcapng"),
                Some(format!("{base}.pcapng")),
            ),
            Want::Report => (
                format!("Export the report of {what}"),
                Some(format!("{base}-report.html")),
            ),
        };
        let mode = match name {
            Some(name) => Mode::Save { name },
            None => Mode::Open,
        };
        let start = self
            .dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        self.picker
            .open_for(want, title, "share-file-picker", mode, &start);
    }

    /// The user chose `path` in the dialog for `want`.
    fn chosen(
        &mut self,
        ctx: &egui::Context,
        model: &mut Model,
        compare: &[ConnId],
        want: Want,
        path: PathBuf,
    ) {
        let conns = picked(model, compare);
        let events = || -> Vec<Event> {
            conns
                .iter()
                .filter_map(|id| model.store.conn(*id))
                .flat_map(|c| c.events.iter().map(|e| e.event(c.id)))
                .collect()
        };
        let result = match want {
            Want::Open => {
                self.load(ctx, model, path);
                return;
            }
            Want::Save => {
                let traces: Vec<_> = conns
                    .iter()
                    .filter_map(|id| model.store.conn(*id))
                    .collect();
                trace_file::save(&traces, &path)
            }
            Want::WindowPng | Want::TimelinePng => {
                self.shots.ask(ctx, path, want == Want::TimelinePng);
                return;
            }
            Want::Pcapng => export::export_pcapng(&events(), &path),
            Want::Report => {
                let source = conns.first().map(|id| model.title(*id)).unwrap_or_default();
                export::export_report(&events(), &source, &path)
            }
        };
        match result {
            Ok(line) => model.notify(line, false),
            Err(e) => model.notify(e, true),
        }
    }

    /// Starts reading the trace at `path` off the UI thread (a file that is not a regular one
    /// is refused at once, in the status line).
    pub fn load(&mut self, ctx: &egui::Context, model: &mut Model, path: PathBuf) {
        if let Err(e) = self.loading.start(ctx, &path) {
            model.notify(e, true);
        }
    }

    /// Starts streaming `file`, already opened and checked (`--open`).
    pub(crate) fn load_file(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        file: std::fs::File,
        size: u64,
    ) {
        self.loading.start_file(ctx, path, file, size);
    }

    /// The progress bars of the files being opened (nothing when none is).
    pub fn loading_ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        if let Some(i) = self.loading.ui(ui) {
            if let Some(load) = self.loading.loads.get(i) {
                load.cancel();
                let kept = trace_file::thousands(load.events as usize);
                model.notify(
                    format!("stopped opening {}: kept {kept} events", load.name),
                    false,
                );
            }
            self.loading.remove(vec![i]);
        }
    }

    /// Whether a file is being opened.
    pub fn loading(&self) -> bool {
        !self.loading.is_empty()
    }

    /// Adds the events of a trace read from the file `file` (ids from [`OPENED_CONN_BASE`] on, as
    /// as `--open` used to read them whole) beside what is there, and shows its last connection.
    pub fn add_opened(
        &mut self,
        model: &mut Model,
        file: &str,
        events: Vec<Event>,
    ) -> Result<String, String> {
        let (events, ids) = trace_file::place(events, self.taken(model))
            .map_err(|e| format!("cannot open {file}: {e}"))?;
        model.store.push_batch(&events);
        for &(id, number) in &ids {
            self.high = self.high.max(id);
            let Some(c) = model.store.conn(id) else {
                continue;
            };
            let (target, last_t) = (trace_file::target_of(c), c.last_t);
            let source = Source::Opened {
                file: file.to_string(),
                number,
            };
            model.sources.insert(id, source);
            model.labels.insert(id, target);
            model.clocks.insert(id, last_t);
        }
        if let Some(&(last, _)) = ids.last() {
            model.selected_conn = Some(last);
            model.selection = None;
            model.follow = true;
        }
        let conns = match ids.len() {
            1 => "1 connection".to_string(),
            n => format!("{n} connections"),
        };
        Ok(format!(
            "opened {file}: {conns}, {} events",
            trace_file::thousands(events.len())
        ))
    }

    /// Starts replaying connection `source` (finished, or opened from a file) as a new one.
    fn start_replay(&mut self, model: &mut Model, source: ConnId) -> Result<(), String> {
        let c = model.store.conn(source).ok_or("that connection is gone")?;
        let opened = matches!(model.sources.get(&source), Some(Source::Opened { .. }));
        if c.close.is_none() && !opened {
            return Err("a live connection cannot be replayed until it has ended".into());
        }
        let end = c.end_at(model.now_of(source));
        let id = self.fresh_id(model);
        let events: Vec<_> = c.events.iter().map(|e| e.event(c.id)).collect();
        let mut schedule = Schedule::new(&events, id, end);
        let label = model.label(source);
        let of = model.title(source);
        let wall = (self.clock)();
        schedule.set_speed(self.speed, wall);
        schedule.play(wall);
        model.sources.insert(id, Source::Replay { of });
        model.labels.insert(id, label);
        model.clocks.insert(id, schedule.clock());
        model.selected_conn = Some(id);
        model.selection = None;
        model.follow = true;
        self.replays.push(Run { id, schedule });
        Ok(())
    }

    /// Feeds each replay the events due by now; keeps frames coming while one plays.
    fn run_replays(&mut self, ctx: &egui::Context, model: &mut Model) {
        // A replay whose connection was removed from the list ends with it.
        self.replays.retain(|r| model.sources.contains_key(&r.id));
        let wall = (self.clock)();
        for run in &mut self.replays {
            let due = run.schedule.tick(wall);
            model.store.push_batch(run.schedule.events(due));
            model.clocks.insert(run.id, run.schedule.clock());
            if run.schedule.playing() {
                ctx.request_repaint();
            }
        }
    }
}

/// Rebuilds a replay's connection from the events it was fed (after a seek back or a restart).
fn rebuild(model: &mut Model, run: &Run) {
    model.store.remove(run.id);
    model.store.push_batch(run.schedule.fed_events());
    model.clocks.insert(run.id, run.schedule.clock());
    model.cause_shown.remove(&run.id);
    let calls = model.store.conn(run.id).map_or(0, |c| c.call_spans.len());
    if model
        .selection
        .is_some_and(|s| s.conn == run.id && s.call >= calls)
    {
        model.selection = None;
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn file_names_are_made_from_the_target() {
        assert_eq!(slug("lab:slow-reader"), "lab-slow-reader");
        assert_eq!(slug("example.com:443"), "example.com-443");
        assert_eq!(slug("::"), "tlsscope");
    }
}
