//! The NSS key log export: every session secret OpenSSL derived, one line each
//! (`CLIENT_RANDOM <client random> <master secret>` for TLS 1.2,
//! `CLIENT_HANDSHAKE_TRAFFIC_SECRET ...` and friends for TLS 1.3), the format Wireshark, curl and
//! browsers share. Appended to the file and flushed per line, so a Wireshark that is already
//! reading the file decrypts live.

use crate::trace::{Event, EventKind};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The environment variable curl, Firefox and Chrome read for a key log file.
pub const ENV_VAR: &str = "SSLKEYLOGFILE";

/// Where the key log goes, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeylogTarget {
    /// `--keylog FILE`.
    Flag(PathBuf),
    /// `SSLKEYLOGFILE` (set and not empty), when `--keylog` was not given.
    Env(PathBuf),
}

impl KeylogTarget {
    /// `--keylog` if given, else `SSLKEYLOGFILE` from `env` (the process environment's value).
    pub fn choose(flag: Option<&Path>, env: Option<std::ffi::OsString>) -> Option<KeylogTarget> {
        match (flag, env) {
            (Some(path), _) => Some(KeylogTarget::Flag(path.to_path_buf())),
            (None, Some(value)) if !value.is_empty() => Some(KeylogTarget::Env(value.into())),
            _ => None,
        }
    }

    /// `--keylog`, else `SSLKEYLOGFILE` from this process's environment.
    pub fn from_flag_or_env(flag: Option<&Path>) -> Option<KeylogTarget> {
        KeylogTarget::choose(flag, std::env::var_os(ENV_VAR))
    }

    pub fn path(&self) -> &Path {
        match self {
            KeylogTarget::Flag(p) | KeylogTarget::Env(p) => p,
        }
    }

    /// The note to print once when the file came from the environment (secrets written where
    /// the user did not ask on this command line deserve a word), else `None`.
    pub fn env_note(&self) -> Option<String> {
        match self {
            KeylogTarget::Env(p) => Some(format!(
                "writing TLS session secrets to {} ({ENV_VAR} is set)",
                p.display()
            )),
            KeylogTarget::Flag(_) => None,
        }
    }
}

/// Appends key log lines to a file.
pub struct KeylogWriter {
    file: File,
    lines: u64,
}

impl KeylogWriter {
    /// Opens `path` for appending (like curl and browsers, several runs can share one file),
    /// creating it readable by its owner only: it holds secrets. An existing file keeps its
    /// permissions. The error is one line naming the file.
    pub fn open(path: &Path) -> Result<KeylogWriter, String> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(path)
            .map_err(|e| format!("cannot open key log file {}: {e}", path.display()))?;
        Ok(KeylogWriter { file, lines: 0 })
    }

    /// Writes the line of a `secret` event (other events are ignored), flushed at once.
    pub fn feed(&mut self, event: &Event) -> io::Result<()> {
        if let EventKind::Secret(line) = &event.kind {
            // One write per line: with O_APPEND, lines from several writers never interleave.
            let mut text = String::with_capacity(line.len() + 1);
            text.push_str(line);
            text.push('\n');
            self.file.write_all(text.as_bytes())?;
            self.file.flush()?;
            self.lines += 1;
        }
        Ok(())
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_and_an_empty_variable_is_unset() {
        let env = Some(std::ffi::OsString::from("/tmp/env.keys"));
        assert_eq!(
            KeylogTarget::choose(Some(Path::new("a.keys")), env.clone()),
            Some(KeylogTarget::Flag("a.keys".into()))
        );
        let from_env = KeylogTarget::choose(None, env).expect("from the environment");
        assert_eq!(from_env.path(), Path::new("/tmp/env.keys"));
        assert!(from_env.env_note().is_some_and(|n| n.contains(ENV_VAR)));
        assert_eq!(KeylogTarget::choose(None, Some("".into())), None);
        assert_eq!(KeylogTarget::choose(None, None), None);
    }

    #[test]
    fn appends_one_line_per_secret_to_an_owner_only_file() {
        let dir = std::env::temp_dir().join(format!("tlsscope-keylog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("keys.log");
        let _ = std::fs::remove_file(&path);
        let secret = |line: &str| Event {
            t: 1,
            conn: 1,
            kind: EventKind::Secret(line.into()),
        };
        for run in 0..2 {
            let mut w = KeylogWriter::open(&path).expect("opens");
            w.feed(&secret(&format!("CLIENT_RANDOM {run}A {run}B")))
                .expect("writes");
            w.feed(&Event {
                t: 2,
                conn: 1,
                kind: EventKind::Error("not a secret".into()),
            })
            .expect("ignores");
            assert_eq!(w.lines(), 1);
        }
        let text = std::fs::read_to_string(&path).expect("reads");
        assert_eq!(text, "CLIENT_RANDOM 0A 0B\nCLIENT_RANDOM 1A 1B\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = KeylogWriter::open(&dir.join("no/such/dir/keys.log"))
            .err()
            .expect("fails");
        assert!(err.starts_with("cannot open key log file"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
