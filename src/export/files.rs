//! The export files of one run (`tlsscope trace` or the app): the key log (`--keylog` or
//! `SSLKEYLOGFILE`) and the capture (`--pcapng`), opened before anything connects, fed every
//! event as it arrives, and finished at the end with a line saying what they hold.

use super::keylog::{KeylogTarget, KeylogWriter};
use super::pcapng::PcapngWriter;
use crate::probe::Capture;
use crate::trace::{format, Event, CAPTURE_LIMIT};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// A failed write to an export: which file ("the key log", "the capture") and why.
#[derive(Debug)]
pub struct ExportError {
    pub what: &'static str,
    pub error: io::Error,
}

/// The key log and the capture of one run, either or both.
pub struct ExportFiles {
    keylog: Option<(KeylogTarget, KeylogWriter)>,
    pcapng: Option<(PathBuf, PcapngWriter<BufWriter<File>>)>,
}

impl ExportFiles {
    /// Opens the key log (`keylog`, else `SSLKEYLOGFILE`) and creates the capture. The error is
    /// one line naming the file, for a usage error before connecting.
    pub fn open(keylog: Option<&Path>, pcapng: Option<&Path>) -> Result<ExportFiles, String> {
        let keylog = match KeylogTarget::from_flag_or_env(keylog) {
            Some(target) => {
                let writer = KeylogWriter::open(target.path())?;
                Some((target, writer))
            }
            None => None,
        };
        let pcapng = match pcapng {
            Some(path) => {
                let mut options = OpenOptions::new();
                options.write(true).create(true).truncate(true);
                // It embeds the session secrets: readable by its owner only, like the key log.
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let cannot = |e: io::Error| format!("cannot create {}: {e}", path.display());
                let file = options.open(path).map_err(cannot)?;
                let writer = PcapngWriter::new(BufWriter::new(file)).map_err(cannot)?;
                Some((path.to_path_buf(), writer))
            }
            None => None,
        };
        Ok(ExportFiles { keylog, pcapng })
    }

    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.keylog.is_none() && self.pcapng.is_none()
    }

    /// What each connection must record for these files.
    pub fn capture(&self) -> Capture {
        Capture {
            wire: self.pcapng.is_some(),
            secrets: !self.is_empty(),
        }
    }

    /// A note to show once before connecting: the key log comes from `SSLKEYLOGFILE`.
    pub fn note(&self) -> Option<String> {
        self.keylog
            .as_ref()
            .and_then(|(target, _)| target.env_note())
    }

    /// Writes what `event` adds to the files.
    pub fn feed(&mut self, event: &Event) -> Result<(), ExportError> {
        if let Some((_, keylog)) = self.keylog.as_mut() {
            keylog.feed(event).map_err(|error| ExportError {
                what: "the key log",
                error,
            })?;
        }
        if let Some((_, pcapng)) = self.pcapng.as_mut() {
            pcapng.feed(event).map_err(|error| ExportError {
                what: "the capture",
                error,
            })?;
        }
        Ok(())
    }

    /// Finishes the files; returns one line per file saying what it holds (and, for the
    /// capture, where the capture limit cut a connection short).
    pub fn finish(self) -> Result<Vec<String>, ExportError> {
        let mut lines = Vec::new();
        if let Some((target, keylog)) = self.keylog {
            lines.push(format!(
                "key log: {} secret line(s) appended to {}",
                keylog.lines(),
                target.path().display()
            ));
        }
        if let Some((path, pcapng)) = self.pcapng {
            let (_, summary) = pcapng.finish().map_err(|error| ExportError {
                what: "the capture",
                error,
            })?;
            lines.push(format!(
                "capture: {} connection(s), {} packets, {} of TCP payload, {} secret line(s) in {}",
                summary.connections,
                summary.packets,
                format::bytes(summary.bytes),
                summary.secrets,
                path.display()
            ));
            for conn in summary.cut {
                lines.push(format!(
                    "capture: connection {conn} reached the capture limit of {}; its later bytes \
                     are not in {}",
                    format::bytes(CAPTURE_LIMIT),
                    path.display()
                ));
            }
        }
        Ok(lines)
    }
}
