//! The app's exports (`--keylog`, `SSLKEYLOGFILE`, `--pcapng`): every connection the app starts
//! records what the files need, each batch of events is written to them as it arrives (the key
//! log line by line, the capture as handshakes finish and connections close), and the capture
//! is finished when the app exits, with a line on standard error saying what the files hold.

use super::GuiArgs;
use crate::export::ExportFiles;
use crate::probe::ConnectSpec;
use crate::trace::Event;
use std::io::Write;

#[derive(Default)]
pub(crate) struct Capture {
    /// `None` without `--keylog` / `--pcapng` / `SSLKEYLOGFILE`, or once writing failed.
    files: Option<ExportFiles>,
}

impl Capture {
    /// Checks, before the window opens, that the files can be created, so a bad path is a
    /// usage error (exit status 2). Says once that secrets go to `SSLKEYLOGFILE`.
    pub(crate) fn check(args: &GuiArgs) -> Result<(), String> {
        let files = ExportFiles::open(args.keylog.as_deref(), args.pcapng.as_deref())?;
        if let Some(note) = files.note() {
            let _ = writeln!(std::io::stderr(), "tlsscope: {note}");
        }
        Ok(())
    }

    /// Opens the files (checked by [`Capture::check`] already; a failure now is reported on
    /// standard error and the app runs without them).
    pub(crate) fn open(args: &GuiArgs) -> Capture {
        match ExportFiles::open(args.keylog.as_deref(), args.pcapng.as_deref()) {
            Ok(files) if files.is_empty() => Capture::default(),
            Ok(files) => Capture { files: Some(files) },
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "tlsscope: {e}");
                Capture::default()
            }
        }
    }

    /// `spec`, recording the raw bytes and secrets: always in the app, so File → Export → pcapng
    /// works on any connection it traced (bounded per connection by `trace::CAPTURE_LIMIT`).
    pub(crate) fn prepare(&self, mut spec: ConnectSpec) -> ConnectSpec {
        spec.capture = crate::probe::Capture {
            wire: true,
            secrets: true,
        };
        spec
    }

    /// Writes what a batch of events adds to the files.
    pub(crate) fn feed(&mut self, batch: &[Event]) {
        let Some(files) = self.files.as_mut() else {
            return;
        };
        for event in batch {
            if let Err(e) = files.feed(event) {
                let _ = writeln!(
                    std::io::stderr(),
                    "tlsscope: cannot write {}: {}; it is no longer written",
                    e.what,
                    e.error
                );
                self.files = None;
                return;
            }
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let Some(files) = self.files.take() else {
            return;
        };
        let lines = match files.finish() {
            Ok(lines) => lines,
            Err(e) => vec![format!("cannot write {}: {}", e.what, e.error)],
        };
        for line in lines {
            let _ = writeln!(std::io::stderr(), "tlsscope: {line}");
        }
    }
}
