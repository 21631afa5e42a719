//! A program run for the app: started under the interposer, its records turned into batches of
//! trace events on a thread of its own (as the engine sends its own), each connection named by
//! the program and its process, a misuse verdict sent as a `verdict` event just before the
//! `close` it judges, stopped on request (its whole process group), and how it ended.

use super::convert::{Converter, Out};
use super::{elf, exit_code, listen, monotonic_ns, start, StartError, Started};
use crate::trace::diagnosis::Diagnoser;
use crate::trace::{ConnId, Event, EventKind, Program};
use crossbeam_channel::{Receiver, Sender};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a program asked to stop (SIGTERM) has before it is killed (SIGKILL).
const GRACE: Duration = Duration::from_secs(1);

/// Splits a command line as a shell would (quotes, backslashes), without running a shell.
pub fn split_command(line: &str) -> Result<Vec<OsString>, String> {
    let words = shlex::split(line)
        .ok_or_else(|| format!("cannot split {line:?} into words: a quote is not closed"))?;
    if words.is_empty() {
        return Err("no program given: write run: CMD ARGS…".into());
    }
    Ok(words.into_iter().map(OsString::from).collect())
}

/// How the app wants a program run.
#[derive(Default)]
pub struct RunOptions {
    /// The id of the program's first connection (the next ones count up from it); 0 means 1.
    pub first_id: ConnId,
    /// Called after each batch is sent and once the program ended (the app repaints).
    pub wake: Option<Box<dyn Fn() + Send>>,
    /// Time 0 of the events (the engine's epoch, so the program's connections share the app's
    /// clock); the program's start when `None`.
    pub epoch: Option<Instant>,
}

/// How the program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The exit status a shell would report (128 + N when signal N ended it).
    pub code: i32,
    /// In words: "exited with status 0", "ended by signal 15 (SIGTERM)".
    pub status: String,
    /// Why no OpenSSL call arrived from it, when none did (what its ELF file says).
    pub silent: Option<String>,
    /// Records it could not send (its socket was full).
    pub lost: u64,
}

/// A running (or ended) program.
pub struct Runner {
    name: String,
    pid: u32,
    events: Receiver<Vec<Event>>,
    labels: Arc<Mutex<HashMap<ConnId, String>>>,
    ended: Arc<Mutex<Option<Ended>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Runner {
    /// Starts `line`, split as a shell would (see [`split_command`]).
    pub fn start_line(line: &str, options: RunOptions) -> Result<Runner, StartError> {
        Runner::start(split_command(line).map_err(StartError::Usage)?, options)
    }

    /// Starts `command[0]` with the rest as its arguments, in a process group of its own.
    pub fn start(command: Vec<OsString>, options: RunOptions) -> Result<Runner, StartError> {
        let Started {
            child,
            listener,
            t0,
        } = start(&command, true)?;
        let since = |e: Instant| u64::try_from(e.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let t0 = options
            .epoch
            .map_or(t0, |e| monotonic_ns().saturating_sub(since(e)));
        let program = command[0].clone();
        let name = std::path::Path::new(&program)
            .file_name()
            .unwrap_or(&program)
            .to_string_lossy()
            .into_owned();
        let pid = child.id();
        let (tx, events) = crossbeam_channel::unbounded();
        let labels = Arc::new(Mutex::new(HashMap::new()));
        let ended = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let mut work = Work {
            conv: Converter::new(t0).first_id(options.first_id.max(1)),
            diagnoser: Diagnoser::new(),
            name: name.clone(),
            labels: Arc::clone(&labels),
            per_thread: HashMap::new(),
            tx,
            wake: options.wake,
            batch: Vec::new(),
        };
        let (slot, flag) = (Arc::clone(&ended), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("run-program".into())
            .spawn(move || {
                let done = work.run(child, listener, &flag, program);
                if let Ok(mut s) = slot.lock() {
                    *s = Some(done);
                }
                work.wake();
            })
            .map_err(|e| StartError::Failed(format!("cannot start a thread: {e}")))?;
        Ok(Runner {
            name,
            pid,
            events,
            labels,
            ended,
            stop,
            thread: Some(thread),
        })
    }

    /// The program's file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The event batches, as the engine's `events()` sends them.
    pub fn events(&self) -> &Receiver<Vec<Event>> {
        &self.events
    }

    /// How connection `id` is named: the program, its process, its thread when not the main
    /// one, and #N for a thread's Nth connection (N > 1), e.g. "curl pid 4242"; known before
    /// the connection's first batch is sent.
    pub fn label(&self, id: ConnId) -> Option<String> {
        self.labels.lock().ok()?.get(&id).cloned()
    }

    /// How the program ended, once it did and its last batch was sent.
    pub fn ended(&self) -> Option<Ended> {
        self.ended.lock().ok()?.clone()
    }

    /// Asks the program and its children to end (SIGTERM to its process group; SIGKILL a
    /// moment later if it is still there). Returns at once.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for Runner {
    /// Stops the program and waits for it (a second or so at most).
    fn drop(&mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread's side.
struct Work {
    conv: Converter,
    diagnoser: Diagnoser,
    name: String,
    labels: Arc<Mutex<HashMap<ConnId, String>>>,
    /// Connections begun on each thread of each process.
    per_thread: HashMap<(u32, u32), u32>,
    tx: Sender<Vec<Event>>,
    wake: Option<Box<dyn Fn() + Send>>,
    batch: Vec<Event>,
}

impl Work {
    fn wake(&self) {
        if let Some(w) = &self.wake {
            w();
        }
    }

    fn feed(&mut self, (rec, tail): listen::Item, outs: &mut Vec<Out>) {
        self.conv.feed(&rec, &tail, outs);
        for o in outs.drain(..) {
            self.take(o);
        }
    }

    /// Names a program's connection "PROGRAM pid N" (with its thread when not the main one);
    /// a thread's later connections are numbered (its first is not).
    fn name_connection(&mut self, conn: ConnId, p: &Program) {
        let exe = std::path::Path::new(&p.exe)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.name.clone());
        let (pid, tid) = (p.pid, p.tid);
        let n = self.per_thread.entry((pid, tid)).or_insert(0);
        *n += 1;
        let nth = if *n > 1 {
            format!(" #{n}")
        } else {
            String::new()
        };
        let label = if tid == pid || tid == 0 {
            format!("{exe} pid {pid}{nth}")
        } else {
            format!("{exe} pid {pid} thread {tid}{nth}")
        };
        if let Ok(mut l) = self.labels.lock() {
            l.insert(conn, label);
        }
    }

    /// One converter output as events; a misuse verdict goes just before its `close`.
    fn take(&mut self, o: Out) {
        match o {
            Out::Event(e) => {
                if let EventKind::Program(p) = &e.kind {
                    self.name_connection(e.conn, p);
                }
                let _ = self.diagnoser.feed(&e);
                self.batch.push(e);
            }
            Out::Ended(error, close, misuse) => {
                if let Some(e) = error {
                    let _ = self.diagnoser.feed(&e);
                    self.batch.push(e);
                }
                let verdict = self
                    .diagnoser
                    .feed(&close)
                    .into_iter()
                    .find_map(|e| match e.kind {
                        EventKind::Verdict(v) => Some(v),
                        _ => None,
                    });
                self.diagnoser.forget(close.conn);
                if let Some(m) = verdict.and_then(|v| misuse.verdict(&v)) {
                    self.batch.push(Event {
                        t: close.t,
                        conn: close.conn,
                        kind: EventKind::Verdict(Box::new(m)),
                    });
                }
                self.batch.push(close);
            }
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.batch));
            self.wake();
        }
    }

    /// Until the program ended (stopping it when asked), then what was still on its way.
    fn run(
        &mut self,
        mut child: Child,
        mut listener: listen::Listener,
        stop: &AtomicBool,
        program: OsString,
    ) -> Ended {
        let group = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
        let mut asked: Option<Instant> = None;
        let mut killed = false;
        let mut outs = Vec::new();
        let status = loop {
            if let Ok(item) = listener.items.recv_timeout(Duration::from_millis(20)) {
                self.feed(item, &mut outs);
                // Keep up with a busy program without starving the exit check.
                for item in listener.items.try_iter().take(1000) {
                    self.feed(item, &mut outs);
                }
            }
            self.flush();
            if stop.load(Ordering::Relaxed) {
                match (asked, group) {
                    (None, Some(g)) => {
                        let _ =
                            rustix::process::kill_process_group(g, rustix::process::Signal::TERM);
                        asked = Some(Instant::now());
                    }
                    (Some(at), Some(g)) if !killed && at.elapsed() >= GRACE => {
                        let _ =
                            rustix::process::kill_process_group(g, rustix::process::Signal::KILL);
                        killed = true;
                    }
                    (None, None) => {
                        let _ = child.kill();
                        asked = Some(Instant::now());
                    }
                    _ => {}
                }
            }
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
        };
        listener.close();
        for item in listener.items.try_iter() {
            self.feed(item, &mut outs);
        }
        self.conv.finish(monotonic_ns(), &mut outs);
        for o in std::mem::take(&mut outs) {
            self.take(o);
        }
        self.flush();
        let silent = (self.conv.calls == 0)
            .then(|| elf::why_no_calls(&program, !self.conv.procs.is_empty()));
        let (code, status) = match status {
            Ok(s) => (exit_code(s), describe(s)),
            Err(e) => (1, format!("could not be waited for: {e}")),
        };
        Ended {
            code,
            status,
            silent,
            lost: self.conv.lost(),
        }
    }
}

/// How a program ended, in words.
fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    match status.signal() {
        Some(n) => {
            let name = match n {
                1 => " (SIGHUP)",
                2 => " (SIGINT)",
                6 => " (SIGABRT)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                13 => " (SIGPIPE)",
                15 => " (SIGTERM)",
                _ => "",
            };
            format!("ended by signal {n}{name}")
        }
        None => "ended".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_as_a_shell_would() {
        let words = |s| {
            split_command(s).map(|w| {
                w.into_iter()
                    .map(|o| o.into_string().unwrap_or_default())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            words("curl -k 'https://127.0.0.1:1/a b' \"x y\""),
            Ok(vec![
                "curl".into(),
                "-k".into(),
                "https://127.0.0.1:1/a b".into(),
                "x y".into()
            ])
        );
        assert!(words("curl 'open").is_err());
        assert!(words("   ").is_err());
    }

    #[test]
    fn exit_statuses_read_as_a_shell_reports_them() {
        assert_eq!(
            describe(ExitStatus::from_raw(3 << 8)),
            "exited with status 3"
        );
        assert_eq!(
            describe(ExitStatus::from_raw(15)),
            "ended by signal 15 (SIGTERM)"
        );
    }
}
