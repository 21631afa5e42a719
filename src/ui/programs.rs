//! Programs the app runs under the interposer (`run: CMD ARGS…` in the connect bar, `--run`):
//! their connections join the store live beside the engine's, renumbered into
//! [`RUN_CONNS`](super::model::RUN_CONNS) and named by program and process (a misuse verdict
//! comes as a `verdict` event, which the store's verdict keeps); the status line says when each program ended and, when no OpenSSL
//! call came, why.

use super::model::{Model, RUN_CONNS};
use crate::runner::{Ended, RunOptions, Runner};
use crate::trace::{ConnId, Event};
use std::collections::HashMap;
use std::time::Instant;

/// One program and the app ids of its connections (by the runner's ids).
struct Program {
    runner: Runner,
    ids: HashMap<ConnId, ConnId>,
    /// Its end was told in the status line.
    told: bool,
}

#[derive(Default)]
pub struct Programs {
    runs: Vec<Program>,
    /// The next app id for a program's connection.
    next: ConnId,
    /// Events of connections past the end of the id range (dropped, and said once).
    overflow: u64,
}

impl Programs {
    /// Starts `command` (split as a shell would); a reason in the status line when it cannot.
    /// `epoch`: the engine's, so the program's events share its clock.
    pub fn start(
        &mut self,
        command: &str,
        ctx: &egui::Context,
        model: &mut Model,
        epoch: Option<Instant>,
    ) {
        let wake = ctx.clone();
        let options = RunOptions {
            first_id: 1,
            wake: Some(Box::new(move || wake.request_repaint())),
            epoch,
        };
        match Runner::start_line(command, options) {
            Ok(runner) => {
                model.notify(
                    format!("running {} (pid {})", runner.name(), runner.pid()),
                    false,
                );
                self.runs.push(Program {
                    runner,
                    ids: HashMap::new(),
                    told: false,
                });
            }
            // One line: the reason says what to do (a program that did not start names itself).
            Err(e) => {
                let e = e.to_string().replace('\n', " ");
                let text = if e.starts_with("cannot run ") {
                    e
                } else {
                    format!("cannot run {command}: {e}")
                };
                model.notify(text, true)
            }
        }
    }

    /// Stops the program connection `id` belongs to; false when it is not a program's.
    pub fn stop_conn(&self, id: ConnId) -> bool {
        let owner = self.runs.iter().find(|p| p.ids.values().any(|&v| v == id));
        if let Some(p) = owner {
            p.runner.stop();
        }
        owner.is_some()
    }

    /// Stops every program still running.
    pub fn stop_all(&self) {
        for p in &self.runs {
            p.runner.stop();
        }
    }

    /// True while a program runs or its last events are still to be taken.
    pub fn busy(&self) -> bool {
        self.runs.iter().any(|p| !p.told)
    }

    /// How each program ended (in start order), once it did.
    pub fn ended(&self) -> Vec<Ended> {
        self.runs.iter().filter_map(|p| p.runner.ended()).collect()
    }

    /// Takes the programs' batches into the store until `deadline` or `budget` events; returns
    /// how many events it took.
    pub fn drain(&mut self, model: &mut Model, budget: usize, deadline: Instant) -> usize {
        let mut taken = 0;
        for i in 0..self.runs.len() {
            while taken < budget && Instant::now() < deadline {
                let Ok(mut batch) = self.runs[i].runner.events().try_recv() else {
                    break;
                };
                taken += batch.len();
                self.place(i, &mut batch, model);
                model.store.take_batch(batch);
            }
            self.tell_end(i, model);
        }
        model.programs = self
            .runs
            .iter()
            .filter(|p| p.runner.ended().is_none())
            .map(|p| format!("{} pid {}", p.runner.name(), p.runner.pid()))
            .collect();
        taken
    }

    /// Gives the events of program `i` their app ids (a new connection its name).
    fn place(&mut self, i: usize, batch: &mut Vec<Event>, model: &mut Model) {
        let run = &mut self.runs[i];
        let mut dropped = 0;
        batch.retain_mut(|e| {
            let id = match run.ids.get(&e.conn) {
                Some(&id) => id,
                None => {
                    let id = RUN_CONNS.start.max(self.next).saturating_add(1);
                    if !RUN_CONNS.contains(&id) {
                        dropped += 1;
                        return false;
                    }
                    self.next = id;
                    let label = run.runner.label(e.conn);
                    run.ids.insert(e.conn, id);
                    let name = label.unwrap_or_else(|| {
                        format!("{} pid {}", run.runner.name(), run.runner.pid())
                    });
                    model.labels.insert(id, name);
                    id
                }
            };
            e.conn = id;
            true
        });
        if dropped > 0 && self.overflow == 0 {
            model.notify(
                "too many program connections in one session: later ones are not shown",
                true,
            );
        }
        self.overflow += dropped;
    }

    /// Once program `i` ended and its events were all taken: how, in the status line.
    fn tell_end(&mut self, i: usize, model: &mut Model) {
        let p = &mut self.runs[i];
        if p.told || !p.runner.events().is_empty() {
            return;
        }
        let Some(end) = p.runner.ended() else {
            return;
        };
        p.told = true;
        let who = format!("{} (pid {})", p.runner.name(), p.runner.pid());
        let lost = match end.lost {
            0 => String::new(),
            n => format!("; {n} event(s) lost (it sent faster than tlsscope read)"),
        };
        match end.silent {
            Some(why) => model.notify(
                format!(
                    "{who} {}; no OpenSSL call arrived: {}",
                    end.status,
                    crate::trace::escape::escape(&why)
                ),
                true,
            ),
            None => model.notify(format!("{who} {}{lost}", end.status), end.lost > 0),
        }
    }
}
