//! The eframe app: owns the engine, carries out the user's requests, drains event batches with
//! a per-frame budget, lays out the views, and (with `--screenshot`) saves a PNG and exits.

use super::connect_bar::ConnectBar;
use super::events_table::EventsTable;
use super::model::{Model, Request};
use super::status_line::Rate;
use super::{connections, details, help, keys, status_line, summary, timeline};
use crate::lab::LabServer;
use crate::options::{Background, ConnectOptions};
use crate::probe::{Engine, EngineOptions};
use crate::trace::Event;
use clap::Args;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Arguments of `tlsscope [TARGET] [options]`: open the window and trace TARGET.
#[derive(Args, Debug, Clone, Default)]
pub struct GuiArgs {
    /// HOST:PORT, or lab:SCENARIO for a built-in misbehaving peer [default: lab:ok].
    pub target: Option<String>,
    #[command(flatten)]
    pub options: ConnectOptions,
    /// Wait until the connection ended or the trace settled, save a PNG of the window, exit.
    #[arg(long, value_name = "FILE.png")]
    pub screenshot: Option<PathBuf>,
    /// Open a trace saved with `tlsscope trace --format jsonl --out FILE` instead of connecting.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "target")]
    pub open: Option<PathBuf>,
}

/// Connection ids of opened traces start here, so they never collide with live connections.
const OPENED_CONN_BASE: crate::trace::ConnId = 1_000_000;

/// Reads a saved JSONL trace; a one-line reason naming the file (and line) when it cannot.
fn load_trace(path: &std::path::Path) -> Result<Vec<Event>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut events = crate::trace::jsonl_read::from_text(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if events.is_empty() {
        return Err(format!("{}: the trace is empty", path.display()));
    }
    for e in &mut events {
        e.conn = e.conn.saturating_add(OPENED_CONN_BASE);
    }
    Ok(events)
}

/// Most events taken from the engine per frame, and most time spent on it, so a burst never
/// freezes the window; the rest waits for the next frame.
const DRAIN_EVENTS: usize = 200_000;
const DRAIN_TIME: Duration = Duration::from_millis(8);

/// How long the trace must be quiet to count as settled, and the most a screenshot waits.
const SETTLE: Duration = Duration::from_secs(2);
const SCREENSHOT_LIMIT: Duration = Duration::from_secs(20);

type ShotResult = Arc<Mutex<Option<Result<(), String>>>>;

struct Screenshot {
    path: PathBuf,
    started: Instant,
    last_count: u64,
    last_change: Instant,
    /// Frames drawn since the trace settled (a few, so the window shows the final state).
    settled_frames: u32,
    requested: bool,
    result: ShotResult,
}

#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum Tab {
    Events,
    Summary,
}

pub struct App {
    pub model: Model,
    pub connect: ConnectBar,
    pub table: EventsTable,
    pub tab: Tab,
    pub rate: Rate,
    engine: Option<Engine>,
    /// Lab servers started for `lab:NAME` targets; kept running while the app lives.
    labs: Vec<LabServer>,
    /// Connect requests being prepared (files read, labs started) off the UI thread.
    preparing: Background,
    screenshot: Option<Screenshot>,
}

impl App {
    /// An app without an engine: requests stay in `model.requests` (for tests and recordings).
    pub fn offline() -> App {
        App {
            model: Model::default(),
            connect: ConnectBar::default(),
            table: EventsTable::default(),
            tab: Tab::Events,
            rate: Rate::default(),
            engine: None,
            labs: Vec::new(),
            preparing: Background::default(),
            screenshot: None,
        }
    }

    /// Adds recorded events as if the engine had sent them.
    pub fn feed(&mut self, events: &[Event]) {
        self.model.store.push_batch(events);
        self.model.now = self.model.now.max(self.model.store.last_t);
        self.model.follow_tail();
        self.model.select_cause();
    }

    /// Starts the engine (waking `ctx` once per batch) and asks for the first connection.
    fn start(ctx: egui::Context, args: GuiArgs, opened: Vec<Event>, result: ShotResult) -> App {
        let mut app = App::offline();
        let wake = ctx.clone();
        match Engine::start(EngineOptions {
            wake: Some(Box::new(move || wake.request_repaint())),
            ..Default::default()
        }) {
            Ok(engine) => app.engine = Some(engine),
            Err(e) => app.connect.error = Some(format!("cannot start the engine: {e}")),
        }
        if let (Some(path), false) = (&args.open, opened.is_empty()) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            for e in &opened {
                app.model
                    .labels
                    .entry(e.conn)
                    .or_insert_with(|| format!("{name} #{}", e.conn - OPENED_CONN_BASE));
            }
            app.feed(&opened);
        } else {
            let target = args.target.clone().unwrap_or_else(|| "lab:ok".into());
            app.connect.set_from(&target, &args.options);
            app.connect.connect(&mut app.model);
        }
        app.screenshot = args.screenshot.map(|path| Screenshot {
            path,
            started: Instant::now(),
            last_count: 0,
            last_change: Instant::now(),
            settled_frames: 0,
            requested: false,
            result,
        });
        app
    }

    /// Carries out the requests the views made. A connect request is prepared on a helper
    /// thread (see [`Background`]); [`App::connect_prepared`] starts it when it is ready.
    fn handle_requests(&mut self, ctx: &egui::Context) {
        let Some(engine) = &self.engine else {
            return;
        };
        for request in std::mem::take(&mut self.model.requests) {
            match request {
                Request::Connect { target, options } => {
                    let wake = ctx.clone();
                    self.preparing
                        .start(target, *options, move || wake.request_repaint());
                }
                Request::Stop(id) => engine.stop(id),
                Request::Action(id, action) => engine.action(id, action),
            }
        }
    }

    /// Starts the connections whose preparation finished, or shows why one could not start.
    fn connect_prepared(&mut self) {
        let Some(engine) = &self.engine else {
            return;
        };
        for (target, result) in self.preparing.finished() {
            match result {
                Ok(prepared) => {
                    let id = engine.connect(prepared.spec);
                    self.labs.extend(prepared.lab);
                    self.model.labels.insert(id, target);
                    self.model.selected_conn = Some(id);
                    self.model.selection = None;
                    self.model.follow = true;
                    self.connect.error = None;
                }
                Err(e) => self.connect.error = Some(e),
            }
        }
    }

    /// Takes event batches from the engine within this frame's budget.
    fn drain(&mut self, ctx: &egui::Context) {
        let Some(engine) = &self.engine else {
            return;
        };
        let start = Instant::now();
        let mut taken = 0;
        while taken < DRAIN_EVENTS && start.elapsed() < DRAIN_TIME {
            match engine.events().try_recv() {
                Ok(batch) => {
                    taken += batch.len();
                    self.model.store.push_batch(&batch);
                }
                Err(_) => break,
            }
        }
        if !engine.events().is_empty() {
            ctx.request_repaint();
        }
        self.model.now = engine.epoch().elapsed().as_nanos() as u64;
    }

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let total = self.model.store.total_events;
        let all_closed = !self.model.store.conns.is_empty()
            && self.model.store.conns.iter().all(|c| c.close.is_some());
        let Some(shot) = &mut self.screenshot else {
            return;
        };
        if shot.requested {
            return;
        }
        if total != shot.last_count {
            shot.last_count = total;
            shot.last_change = Instant::now();
        }
        let quiet = total > 0 && shot.last_change.elapsed() >= SETTLE;
        let failed_to_start = self.connect.error.is_some() && total == 0;
        if all_closed || quiet || failed_to_start || shot.started.elapsed() >= SCREENSHOT_LIMIT {
            shot.settled_frames += 1;
        }
        if shot.settled_frames == 1 && self.model.selection.is_none() {
            // A screenshot explains more with a call selected.
            if let Some(c) = self.model.current() {
                if let Some(i) = c.interesting_call() {
                    let id = c.id;
                    self.model.select_call(id, i);
                }
            }
        }
        if shot.settled_frames < 4 {
            ctx.request_repaint_after(Duration::from_millis(100));
            return;
        }
        shot.requested = true;
        let path = shot.path.clone();
        let result = shot.result.clone();
        let close = ctx.clone();
        ctx.request_screenshot(move |image| {
            let saved = save_png(&path, &image);
            if let Ok(mut slot) = result.lock() {
                *slot = Some(saved);
            }
            close.send_viewport_cmd(egui::ViewportCommand::Close);
        });
        ctx.request_repaint();
    }

    /// Draws the whole window into `ui` and handles the keyboard shortcuts.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let typing = ui.ctx().egui_wants_keyboard_input();
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        if !typing && enter {
            self.connect.connect(&mut self.model);
        }
        keys::handle(ui.ctx(), &mut self.model);
        self.model.follow_tail();
        self.model.select_cause();
        self.rate.update(self.model.store.total_events);

        egui::Panel::top("connect-bar").show(ui, |ui| self.connect.ui(ui, &mut self.model));
        egui::Panel::bottom("status-line")
            .show(ui, |ui| status_line::ui(ui, &self.model, &self.rate));
        egui::Panel::left("connections")
            .default_size(250.0)
            .resizable(true)
            .show(ui, |ui| connections::ui(ui, &mut self.model));
        egui::Panel::right("details")
            .default_size(360.0)
            .resizable(true)
            .show(ui, |ui| details::ui(ui, &self.model));
        egui::Panel::bottom("table")
            .default_size(220.0)
            .resizable(true)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.tab, Tab::Events, "Events");
                    ui.selectable_value(&mut self.tab, Tab::Summary, "Summary");
                });
                match self.tab {
                    Tab::Events => self.table.ui(ui, &mut self.model),
                    Tab::Summary => summary::ui(ui, &self.model),
                }
            });
        egui::CentralPanel::default().show(ui, |ui| timeline::ui(ui, &mut self.model));
        help::show(ui.ctx(), &mut self.model);
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.handle_requests(ctx);
        self.connect_prepared();
        self.drain(ctx);
        if self.model.store.conns.iter().any(|c| c.close.is_none()) {
            // Live connections: keep the "waiting for …" clocks moving, gently.
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        self.screenshot_step(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        // Requests made by this frame's input are carried out at once, not on the next event.
        if !self.model.requests.is_empty() {
            ui.ctx().request_repaint();
        }
    }
}

fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let [w, h] = image.size;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
    writer
        .write_image_data(image.as_raw())
        .map_err(|e| fail(&e))?;
    writer.finish().map_err(|e| fail(&e))
}

/// Opens the window. Returns an error when no window could be opened or the screenshot failed.
pub fn run(args: GuiArgs) -> Result<(), String> {
    let result: ShotResult = Arc::new(Mutex::new(None));
    let wants_shot = args.screenshot.is_some();
    let opened = match &args.open {
        Some(path) => load_trace(path)?,
        None => Vec::new(),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("tlsscope")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    let slot = result.clone();
    eframe::run_native(
        "tlsscope",
        options,
        Box::new(move |cc| {
            Ok(Box::new(App::start(
                cc.egui_ctx.clone(),
                args,
                opened,
                slot,
            )))
        }),
    )
    .map_err(|e| format!("cannot open the window: {e}"))?;
    if !wants_shot {
        return Ok(());
    }
    let taken = result.lock().map(|mut r| r.take()).unwrap_or(None);
    taken.unwrap_or_else(|| Err("the window closed before the screenshot was taken".into()))
}
