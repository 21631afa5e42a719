//! The eframe app: owns the engine, carries out the user's requests, drains event batches with
//! a per-frame budget, lays out the views, and (with `--screenshot`) saves a PNG and exits.

use super::compare::Compare;
use super::connect_bar::ConnectBar;
use super::events_table::EventsTable;
use super::files::open_trace;
use super::model::{Model, Request};
use super::screenshot::{Screenshot, ShotResult};
use super::share::Share;
use super::status_line::Rate;
use super::waterfall::Waterfall;
use super::{
    connections, details, help, keys, paint, replay_bar, share_menu, status_line, summary,
};
use super::{timeline, GuiArgs};
use crate::lab::LabServer;
use crate::options::Background;
use crate::probe::{Engine, EngineOptions};
use crate::trace::Event;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most events taken from the engine per frame, and most time spent on it, so a burst never
/// freezes the window; the rest waits for the next frame.
const DRAIN_EVENTS: usize = 200_000;
const DRAIN_TIME: Duration = Duration::from_millis(8);

/// The file `--open` names, opened and checked before the window opens, and its size.
type Opened = Option<(std::fs::File, u64)>;

#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum Tab {
    Events,
    Summary,
    /// Every connection's phase waterfall.
    Timings,
}

pub struct App {
    pub model: Model,
    pub connect: ConnectBar,
    pub table: EventsTable,
    pub tab: Tab,
    pub rate: Rate,
    /// The connections picked for the compare view (shown instead of the timeline when two or
    /// more are picked).
    pub compare: Compare,
    /// The window title last sent to the viewport.
    pub title: Option<String>,
    /// Open, save, replay, export, copy (the File and Copy menus).
    pub share: Share,
    /// The Timings tab: each connection's waterfall, folded as events arrive.
    pub waterfall: Waterfall,
    /// Connections still to add to the compare view as they start (`--compare OTHER`).
    compare_pending: usize,
    /// Without `--window`: shrink the window to the screen on the first frame.
    fit_screen: bool,
    /// `--open` with `--compare`: every connection of the opened file is ticked as it comes.
    compare_opened: bool,
    engine: Option<Engine>,
    /// Lab servers started for `lab:NAME` targets; kept running while the app lives.
    labs: Vec<LabServer>,
    /// Connect requests being prepared (files read, labs started) off the UI thread.
    preparing: Background,
    screenshot: Option<Screenshot>,
    /// `--keylog` / `--pcapng`: what connections record, and the files it goes to.
    capture: super::capture::Capture,
    /// `TLSSCOPE_FRAME_LOG`: per-frame times on stderr.
    frame_log: Option<super::frame_log::FrameLog>,
    /// Programs run under the interposer (`run: CMD`, `--run`).
    pub programs: super::programs::Programs,
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
            compare: Compare::default(),
            title: None,
            share: Share::default(),
            waterfall: Waterfall::default(),
            compare_pending: 0,
            fit_screen: false,
            compare_opened: false,
            engine: None,
            labs: Vec::new(),
            preparing: Background::default(),
            screenshot: None,
            capture: Default::default(),
            frame_log: None,
            programs: Default::default(),
        }
    }

    /// Adds recorded events as if the engine had sent them.
    pub fn feed(&mut self, events: &[Event]) {
        self.feed_owned(events.to_vec());
    }

    /// Feeds events the caller is done with, moved into the store (as the engine's batches are).
    pub fn feed_owned(&mut self, events: Vec<Event>) {
        self.model.store.take_batch(events);
        self.model.now = self.model.now.max(self.model.store.last_t);
        self.model.follow_tail();
        self.model.select_cause();
    }

    /// Starts the engine (waking `ctx` once per batch) and asks for the first connection.
    fn start(ctx: egui::Context, args: GuiArgs, opened: Opened, result: ShotResult) -> App {
        let mut app = App::offline();
        app.capture = super::capture::Capture::open(&args);
        app.frame_log = super::frame_log::FrameLog::from_env();
        let wake = ctx.clone();
        match Engine::start(EngineOptions {
            wake: Some(Box::new(move || wake.request_repaint())),
            ..Default::default()
        }) {
            Ok(engine) => app.engine = Some(engine),
            Err(e) => app.connect.error = Some(format!("cannot start the engine: {e}")),
        }
        if let (Some(path), Some((file, size))) = (&args.open, opened) {
            // Streamed in as the window shows; `--compare` ticks its connections as they come.
            app.share.load_file(&ctx, path, file, size);
            app.compare_opened = args.compare.is_some();
        } else if let Some(command) = &args.run {
            app.connect
                .set_from(&format!("run: {command}"), &args.options);
            app.connect.connect(&mut app.model);
        } else {
            let target = args.target.clone().unwrap_or_else(|| "lab:ok".into());
            app.connect.set_from(&target, &args.options);
            app.connect.show_options = args.options_open;
            app.connect.connect(&mut app.model);
            if let Some(other) = &args.compare {
                // The second run with the same options; the bar keeps the first target.
                let other = if other.is_empty() { &target } else { other };
                app.connect.set_from(other, &args.options);
                app.connect.connect(&mut app.model);
                app.connect.set_from(&target, &args.options);
                app.compare_pending = 2;
            }
        }
        app.fit_screen = args.window.is_none();
        if args.timings {
            app.tab = Tab::Timings;
        }
        app.screenshot = args.screenshot.map(|path| Screenshot::new(path, result));
        app
    }

    /// Carries out the requests the views made. A connect request is prepared on a helper
    /// thread (see [`Background`]); [`App::connect_prepared`] starts it when it is ready. A
    /// program (`run:`) starts at once, with or without the engine.
    fn handle_requests(&mut self, ctx: &egui::Context) {
        for request in std::mem::take(&mut self.model.requests) {
            let engine = self.engine.as_ref();
            match request {
                Request::Run { command } => {
                    let epoch = engine.map(|e| e.epoch());
                    self.programs.start(&command, ctx, &mut self.model, epoch)
                }
                Request::StopPrograms => self.programs.stop_all(),
                Request::Stop(id) if self.model.is_run(id) => {
                    self.programs.stop_conn(id);
                }
                Request::Connect { target, options } if engine.is_some() => {
                    let wake = ctx.clone();
                    self.preparing
                        .start(target, *options, move || wake.request_repaint());
                }
                Request::Stop(id) => engine.into_iter().for_each(|e| e.stop(id)),
                Request::Action(id, action) => {
                    engine.into_iter().for_each(|e| e.action(id, action))
                }
                // Without an engine (tests, recordings) a connect request is kept.
                r @ Request::Connect { .. } => self.model.requests.push(r),
            }
        }
    }

    /// One frame's work outside drawing: requests carried out, connections started, event
    /// batches taken (the UI tests call it as eframe's `logic` does).
    pub fn tick(&mut self, ctx: &egui::Context) {
        self.handle_requests(ctx);
        self.connect_prepared();
        self.drain(ctx);
    }

    /// Starts the connections whose preparation finished, or shows why one could not start.
    fn connect_prepared(&mut self) {
        let Some(engine) = &self.engine else {
            return;
        };
        for (target, result) in self.preparing.finished() {
            match result {
                Ok(prepared) => {
                    let id = engine.connect(self.capture.prepare(prepared.spec));
                    self.labs.extend(prepared.lab);
                    self.model.labels.insert(id, target);
                    if self.compare_pending > 0 {
                        self.compare_pending -= 1;
                        self.compare.conns.push(id);
                    }
                    self.model.selected_conn = Some(id);
                    self.model.selection = None;
                    self.model.follow = true;
                    self.connect.error = None;
                }
                Err(e) => self.connect.show_problem(&e),
            }
        }
    }

    /// Takes event batches from the engine and the programs within this frame's budget.
    fn drain(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        let mut taken = 0;
        if let Some(engine) = &self.engine {
            while taken < DRAIN_EVENTS && start.elapsed() < DRAIN_TIME {
                match engine.events().try_recv() {
                    Ok(batch) => {
                        taken += batch.len();
                        self.capture.feed(&batch);
                        self.model.store.take_batch(batch);
                    }
                    Err(_) => break,
                }
            }
            if !engine.events().is_empty() {
                ctx.request_repaint();
            }
            self.model.now = engine.epoch().elapsed().as_nanos() as u64;
        }
        let budget = DRAIN_EVENTS.saturating_sub(taken);
        if self
            .programs
            .drain(&mut self.model, budget, start + DRAIN_TIME)
            > 0
        {
            // More may wait; a program's clock starts with it, not the engine's.
            ctx.request_repaint();
        }
        if self.engine.is_none() {
            self.model.now = self.model.now.max(self.model.store.last_t);
        }
    }

    fn screenshot_step(&mut self, ctx: &egui::Context) {
        let Some(shot) = &mut self.screenshot else {
            return;
        };
        let s = &self.model.store;
        let all_closed = !s.conns.is_empty() && s.conns.iter().all(|c| c.close.is_some());
        let failed =
            self.connect.error.is_some() || self.model.notice.as_ref().is_some_and(|n| n.error);
        // Programs: until each ended (a connection that closed may be followed by another).
        let programs_done = !self.programs.busy();
        let ended_silent = programs_done && !self.programs.ended().is_empty();
        let done =
            (all_closed && programs_done) || (s.total_events == 0 && (failed || ended_silent));
        shot.step(ctx, &mut self.model, done);
    }

    /// Draws the whole window into `ui` and handles the keyboard shortcuts.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        // Enter connects only from the target field (the connect bar handles it there); the
        // other keys are in one table (keys.rs).
        let ctx = ui.ctx().clone();
        paint::unfill_panels(&ctx);
        self.share
            .frame(&ctx, &mut self.model, &mut self.table, &self.compare.conns);
        keys::handle(&ctx, &mut self.model);
        if self.compare_opened {
            self.compare.conns = self.model.store.conns.iter().map(|c| c.id).collect();
            self.compare_opened = self.share.loading();
        }
        self.model.follow_tail();
        self.model.select_cause();
        self.rate.update(self.model.store.total_events);

        self.update_title(ui.ctx());
        // First in the paint list: the plots' backgrounds, cleared by GL before anything is drawn.
        super::timeline::reserve_backdrops(ui);
        self.layout(ui);
    }

    /// The window title: the shown connection's target, with the file it was opened from (or
    /// what it replays).
    pub fn window_title(&self) -> String {
        match self.model.current() {
            Some(c) if self.model.sources.contains_key(&c.id) => {
                format!("tlsscope — {}", self.model.title(c.id))
            }
            Some(c) => format!("tlsscope — {}", self.model.label(c.id)),
            None => "tlsscope".into(),
        }
    }

    /// Sends the title to the window when it changed (not every frame).
    fn update_title(&mut self, ctx: &egui::Context) {
        let title = self.window_title();
        if self.title.as_ref() != Some(&title) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = Some(title);
        }
    }

    /// The panels, sized from the window so that they hold from 1024×640 to 1920×1080: the
    /// timeline takes the full width between the connections and the window's edge; the events
    /// table and the details of the selected call share the bottom, side by side. Every split
    /// can be dragged.
    fn layout(&mut self, ui: &mut egui::Ui) {
        let (width, height) = (ui.available_width(), ui.available_height());
        let mut act = None;
        egui::Panel::top("connect-bar").show(ui, |ui| {
            let (share, table, compare) = (&self.share, &self.table, &self.compare.conns);
            self.connect.ui_with(ui, &mut self.model, |ui, model| {
                act = share_menu::ui(ui, model, share, table, compare);
            });
        });
        egui::Panel::bottom("status-line")
            .show(ui, |ui| status_line::ui(ui, &mut self.model, &self.rate));
        if self.share.loading() {
            egui::Panel::bottom("loading")
                .show(ui, |ui| self.share.loading_ui(ui, &mut self.model));
        }
        egui::Panel::left("connections")
            .default_size((width * 0.22).clamp(240.0, 330.0))
            .size_range(170.0..=(width * 0.45).max(180.0))
            .resizable(true)
            .show(ui, |ui| {
                connections::ui(ui, &mut self.model, &mut self.compare.conns)
            });
        egui::Panel::bottom("table")
            .default_size((height * 0.32).clamp(150.0, 400.0))
            .size_range(100.0..=(height * 0.7).max(110.0))
            .resizable(true)
            .show(ui, |ui| {
                let inner = ui.available_width();
                egui::Panel::right("details")
                    .default_size((inner * 0.38).clamp(260.0, 620.0))
                    .size_range(200.0..=(inner * 0.75).max(210.0))
                    .resizable(true)
                    .show(ui, |ui| details::ui(ui, &mut self.model));
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut self.tab, Tab::Events, "Events");
                        ui.selectable_value(&mut self.tab, Tab::Summary, "Summary");
                        ui.selectable_value(&mut self.tab, Tab::Timings, "Timings")
                            .on_hover_text("Every connection's phase waterfall");
                    });
                    match self.tab {
                        Tab::Events => self.table.ui(ui, &mut self.model),
                        Tab::Summary => summary::ui(ui, &self.model),
                        Tab::Timings => self.waterfall.ui(ui, &mut self.model),
                    }
                });
            });
        let share = &self.share;
        let shown = egui::CentralPanel::default().show(ui, |ui| {
            if self.compare.active() {
                self.compare.ui(ui, &mut self.model);
            } else {
                timeline::ui_with(ui, &mut self.model, |ui, model| {
                    replay_bar::ui(ui, model, share, &mut act)
                });
            }
        });
        self.share.shots.timeline_rect = Some(shown.response.rect);
        if let Some(act) = act {
            let ctx = ui.ctx().clone();
            let compare = &self.compare.conns;
            (self.share).act(&ctx, &mut self.model, &self.table, compare, act);
        }
        help::show(ui.ctx(), &mut self.model);
        super::reading::drop_hint(ui.ctx());
    }
}

impl App {
    /// Without `--window`, a window larger than the screen is shrunk to it once the screen's
    /// size is known (a window manager maximises it first, see [`run`]).
    fn fit_to_screen(&mut self, ctx: &egui::Context) {
        if !self.fit_screen {
            return;
        }
        let (monitor, inner) = ctx.input(|i| {
            let v = i.viewport();
            (v.monitor_size, v.inner_rect)
        });
        let (Some(m), Some(inner)) = (monitor, inner) else {
            return;
        };
        self.fit_screen = false;
        if inner.width() > m.x || inner.height() > m.y {
            let size = egui::vec2(inner.width().min(m.x), inner.height().min(m.y));
            ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        }
    }
}

impl eframe::App for App {
    /// The panels' colour: they are left unfilled (see `paint`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        paint::clear_colour(visuals)
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.tick(ctx);
        let model = &self.model;
        let live = |c: &&crate::trace::store::ConnTrace| !model.clocks.contains_key(&c.id);
        if model
            .store
            .conns
            .iter()
            .filter(live)
            .any(|c| c.close.is_none())
        {
            // Live connections: keep the "waiting for …" clocks moving, gently.
            ctx.request_repaint_after(Duration::from_millis(250));
        }
        self.fit_to_screen(ctx);
        self.screenshot_step(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let began = std::time::Instant::now();
        if let Some(step) = self.frame_log.as_ref().and_then(|log| log.pan_step()) {
            self.model.pan(step);
        }
        if let Some(factor) = self.frame_log.as_ref().and_then(|log| log.zoom_step()) {
            self.model.zoom(factor, None);
        }
        self.show(ui);
        if let Some(log) = &mut self.frame_log {
            log.frame(
                ui.ctx(),
                began,
                began.elapsed(),
                self.model.store.total_events,
            );
        }
        // Requests made by this frame's input are carried out at once, not on the next event.
        if !self.model.requests.is_empty() {
            ui.ctx().request_repaint();
        }
    }
}

/// Opens the window. Returns an error when no window could be opened or the screenshot failed.
pub fn run(args: GuiArgs) -> Result<(), String> {
    let result: ShotResult = Arc::new(Mutex::new(None));
    let wants_shot = args.screenshot.is_some();
    let opened = match &args.open {
        Some(path) => Some(open_trace(path)?),
        None => None,
    };
    let viewport = egui::ViewportBuilder::default().with_title("tlsscope");
    let viewport = match args.window {
        Some(size) => viewport.with_inner_size(size),
        // Fit the screen: maximised, 1280×800 when it is restored.
        None => viewport
            .with_inner_size([1280.0, 800.0])
            .with_maximized(true),
    };
    let options = eframe::NativeOptions {
        viewport,
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
