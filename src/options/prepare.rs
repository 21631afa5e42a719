//! A target (`HOST:PORT` or `lab:NAME`) and typed options turned into the engine's spec, once:
//! on the caller's thread for the command line, on a helper thread for the app.

use super::typed::ConnectOptions;
use crate::lab::{LabServer, Pki, Scenario};
use crate::probe::{ConnectSpec, Target};
use crossbeam_channel::{Receiver, Sender};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A target resolved to a spec. For `lab:NAME`, `lab` is the scenario's server, started
/// in-process; it serves as long as this value (or the `LabServer` taken from it) is kept.
#[derive(Debug)]
pub struct Prepared {
    pub spec: ConnectSpec,
    pub lab: Option<LabServer>,
}

/// The scenario called `name`, or a reason listing the names there are.
pub(crate) fn scenario(name: &str) -> Result<Scenario, String> {
    Scenario::from_name(name).ok_or_else(|| {
        let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
        format!(
            "unknown lab scenario {name:?}; the scenarios are: {}",
            names.join(", ")
        )
    })
}

/// Starts scenario `name` on an ephemeral loopback port; returns its client spec and server.
fn start_lab(name: &str) -> Result<(ConnectSpec, LabServer), String> {
    let scenario = scenario(name)?;
    let pki = Pki::shared().map_err(|e| format!("cannot generate the lab's certificates: {e}"))?;
    let listen = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let server = LabServer::start(scenario, listen, pki.clone())
        .map_err(|e| format!("cannot start lab scenario {name}: {e}"))?;
    let spec = scenario.client_spec(server.addr(), &pki);
    Ok((spec, server))
}

/// Turns the target text and the options into a spec (the options apply on top of a plain
/// target's defaults, or a lab scenario's). Reads the PEM files the options name and may
/// generate the lab's certificates: not for a UI thread. Errors are one-line usage errors.
pub fn prepare(target: &str, options: &ConnectOptions) -> Result<Prepared, String> {
    let (mut spec, lab) = match target.strip_prefix("lab:") {
        Some(name) => {
            let (spec, server) = start_lab(name)?;
            (spec, Some(server))
        }
        None => (ConnectSpec::new(Target::parse(target)?), None),
    };
    options.apply(&mut spec)?;
    Ok(Prepared { spec, lab })
}

/// What one [`Background`] preparation gave: the target as typed, and the spec or the reason.
pub(crate) type Finished = (String, Result<Prepared, String>);

/// Preparations running on helper threads, for the app. Reading PEM files, parsing them with
/// OpenSSL and (on first use) generating the lab's certificates take from milliseconds to a
/// second; on the UI thread that would freeze the window, so each Connect runs [`prepare`] on a
/// thread of its own and the app picks the result up on a later frame. A thread per request
/// keeps it simple: requests come from clicks, a few a minute.
pub(crate) struct Background {
    done_tx: Sender<Finished>,
    done_rx: Receiver<Finished>,
}

impl Default for Background {
    fn default() -> Background {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        Background { done_tx, done_rx }
    }
}

impl Background {
    /// Starts preparing `target`; `wake` is called when the result is ready (the app asks for
    /// a repaint there, so the result is picked up without waiting for input).
    pub(crate) fn start(
        &self,
        target: String,
        options: ConnectOptions,
        wake: impl FnOnce() + Send + 'static,
    ) {
        let done = self.done_tx.clone();
        let label = target.clone();
        let work = move || {
            let result = prepare(&target, &options);
            // The app may have gone away meanwhile; then nobody needs the result.
            let _ = done.send((target, result));
            wake();
        };
        if let Err(e) = std::thread::Builder::new()
            .name("tlsscope-prepare".into())
            .spawn(work)
        {
            let _ = self
                .done_tx
                .send((label, Err(format!("cannot start a thread: {e}"))));
        }
    }

    /// The preparations finished since the last call, in the order they finished.
    pub(crate) fn finished(&self) -> Vec<Finished> {
        self.done_rx.try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Each preparation comes back once, with its target, after waking its caller; a lab target
    /// comes with its running server.
    #[test]
    fn background_preparations_come_back_with_their_target() {
        let background = Background::default();
        let (woke_tx, woke_rx) = crossbeam_channel::unbounded();
        for target in ["lab:ok", "lab:nosuch"] {
            let woke = woke_tx.clone();
            background.start(target.into(), ConnectOptions::default(), move || {
                let _ = woke.send(());
            });
        }
        let mut finished = Vec::new();
        while finished.len() < 2 {
            // A hang guard, not a measurement.
            woke_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("woken when ready");
            finished.extend(background.finished());
        }
        finished.sort_by(|a, b| a.0.cmp(&b.0));
        match &finished[..] {
            [(bad, Err(reason)), (ok, Ok(prepared))] => {
                assert_eq!(bad, "lab:nosuch");
                assert!(reason.starts_with("unknown lab scenario"), "{reason}");
                assert_eq!(ok, "lab:ok");
                let lab = prepared.lab.as_ref().expect("a running lab server");
                assert_eq!(prepared.spec.target.port, lab.addr().port());
            }
            other => panic!("unexpected results: {other:?}"),
        }
        assert!(background.finished().is_empty());
    }
}
