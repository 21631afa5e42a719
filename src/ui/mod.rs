//! The desktop app: an eframe window that plots, live, what each traced connection is doing.
//! Views live one per file and only draw; the state they share is [`model::Model`].

pub mod app;
pub(crate) mod capture;
pub mod compare;
pub mod connect_bar;
pub mod connections;
pub mod copy;
mod crisp;
pub mod details;
pub mod events_table;
mod export;
mod file_picker;
mod files;
mod frame_log;
pub mod help;
pub mod keys;
mod loading;
pub mod model;
mod options_panel;
mod paint;
mod png_export;
pub mod programs;
mod reading;
pub mod replay;
pub mod replay_bar;
pub mod row_pick;
pub mod rows;
mod screenshot;
pub mod share;
pub mod share_menu;
pub mod status_line;
pub(crate) mod style;
pub mod summary;
pub mod timeline;
mod trace_file;
pub mod waterfall;

pub use app::{run, App};

use crate::options::ConnectOptions;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `tlsscope [TARGET] [options]`: open the window and trace TARGET.
#[derive(Args, Debug, Clone, Default)]
pub struct GuiArgs {
    /// HOST:PORT, or lab:SCENARIO for a built-in misbehaving peer [default: lab:ok].
    pub target: Option<String>,
    #[command(flatten)]
    pub options: ConnectOptions,
    /// Run a program under the interposer and show its connections live, as `tlsscope run`
    /// traces them: one string, split as a shell would, e.g. --run "curl -k https://HOST/";
    /// the same as the target `run: CMD ARGS…`.
    #[arg(long, value_name = "CMD ARGS", conflicts_with_all = ["target", "open", "compare"])]
    pub run: Option<String>,
    /// Wait until the connection ended or the trace settled, save a PNG of the window, exit.
    #[arg(long, value_name = "FILE.png")]
    pub screenshot: Option<PathBuf>,
    /// Open a trace saved with `tlsscope trace --format jsonl --out FILE` (or `--format binary`)
    /// instead of connecting.
    #[arg(long, value_name = "FILE.jsonl", conflicts_with = "target")]
    pub open: Option<PathBuf>,
    /// The window's inner size in points, e.g. 1280x800 [default: fit the screen].
    #[arg(long, value_name = "WxH", value_parser = parse_window)]
    pub window: Option<[f32; 2]>,
    /// Also trace OTHER (the same target when left out), with the same options, and compare
    /// the two runs' timelines; with --open, compare the connections in the file.
    #[arg(long, value_name = "OTHER", num_args = 0..=1, default_missing_value = "")]
    pub compare: Option<String>,
    /// Open the options window at start (for screenshots of it).
    #[arg(long, hide = true)]
    pub options_open: bool,
    /// Show the Timings tab (every connection's waterfall) at start.
    #[arg(long)]
    pub timings: bool,
    /// Append every connection's session secrets to FILE (NSS key log); without it,
    /// SSLKEYLOGFILE is used when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Write a pcapng capture of every connection the app traces (Wireshark opens it decrypted
    /// with no settings); written as connections close and finished when the app exits.
    #[arg(long, value_name = "FILE")]
    pub pcapng: Option<PathBuf>,
}

/// Parses `--window WxH` ("1280x800"; `X` and `×` work too); sizes from 200 to 16384 points.
pub fn parse_window(s: &str) -> Result<[f32; 2], String> {
    let bad = || format!("expected WIDTHxHEIGHT in points, e.g. 1280x800, not {s:?}");
    let (w, h) = s.trim().split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let side = |v: &str| -> Result<f32, String> {
        let n: u32 = v.trim().parse().map_err(|_| bad())?;
        if (200..=16384).contains(&n) {
            Ok(n as f32)
        } else {
            Err(format!("window sides must be 200 to 16384 points, not {n}"))
        }
    };
    Ok([side(w)?, side(h)?])
}

/// Checks a trace given with `--open` (a regular file whose first lines read) before the window
/// opens, so a bad file is a usage error (exit status 2) as it is for `tlsscope show`.
pub(crate) fn check_open(path: &std::path::Path) -> Result<(), String> {
    files::open_trace(path).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::parse_window;

    #[test]
    fn window_sizes_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_window("1280x800"), Ok([1280.0, 800.0]));
        assert_eq!(parse_window(" 1024X640 "), Ok([1024.0, 640.0]));
        assert_eq!(parse_window("1920×1080"), Ok([1920.0, 1080.0]));
        assert!(parse_window("1280").is_err());
        assert!(parse_window("wide x tall").is_err());
        assert!(parse_window("10x10").is_err());
        assert!(parse_window("-5x800").is_err());
    }
}
