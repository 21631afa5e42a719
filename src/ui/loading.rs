//! Opening a trace file as a stream: a thread reads it in blocks of lines parsed on other
//! threads ([`read_parallel`], memory bounded per line), or in the blocks of a binary trace
//! decoded on other threads (told by its first byte: [`crate::trace::binary::parallel`]), and sends the events in file order over a
//! bounded channel, with how many bytes it has read; the app adds each batch to the store as it arrives, so the first
//! connection shows while the rest loads. Also the pure parts: giving the file's connections
//! ids no other connection has ([`Placing`]), the progress figures and the messages.

use super::files::OPENED_CONN_BASE;
use crate::trace::jsonl_parallel::read_parallel;
use crate::trace::jsonl_stream::ReadError;
use crate::trace::{ConnId, Event};
use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;

/// The longest line the app reads: longer than `tlsscope show` takes, since every string on it
/// is cut to [`crate::trace::jsonl_read::MAX_TEXT`] once parsed (a 3 MB error text opens).
pub(crate) const MAX_APP_LINE: usize = 16 * 1024 * 1024;

/// What the reading thread sends.
pub(crate) enum Chunk {
    Events(Vec<Event>),
    /// The end: every line read, or the first line that could not be (what came before it was
    /// sent and is kept).
    End(Result<(), ReadError>),
}

/// A reader that counts the bytes read through it (the progress bar's figure).
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Threads parsing the file while the app adds what they parsed to the store: one per core but
/// the app's (at least two).
fn parsers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().saturating_sub(1).max(2))
}

/// Reads `input` to its end (or the first bad line or block, or until `cancel` is set, or the
/// receiver is gone), parsing blocks of lines (or decoding a binary trace's blocks) on
/// [`parsers`] threads and sending their events in file order; `wake` is called after each send.
pub(crate) fn read_into(
    input: impl Read + Send,
    read: Arc<AtomicU64>,
    cancel: &AtomicBool,
    out: &SyncSender<Chunk>,
    wake: &dyn Fn(),
) {
    let mut counted = std::io::BufReader::with_capacity(64 << 10, Counted { inner: input, read });
    // The format is told by the first byte, not by the file's name.
    let first = std::io::BufRead::fill_buf(&mut counted)
        .ok()
        .and_then(|b| b.first().copied());
    let sink = |events| {
        let sent = out.send(Chunk::Events(events)).is_ok();
        wake();
        sent
    };
    let end = if crate::trace::binary::is_binary(first) {
        crate::trace::binary::parallel::read_parallel(counted, parsers(), cancel, sink)
    } else {
        read_parallel(counted, MAX_APP_LINE, parsers(), cancel, sink)
    };
    if let Some(end) = end {
        let _ = out.send(Chunk::End(end));
        wake();
    }
}

/// Chunks that may wait for the app (about 10,000 events each), so the parsers run ahead of it.
const CHUNKS_QUEUED: usize = 16;

/// A file being opened: its reading thread's channel and progress.
pub(crate) struct Load {
    /// The file's name, as the progress bar and the messages show it.
    pub name: String,
    /// Its path as given, for the messages that name a line of it.
    pub path: String,
    /// Its size when opened.
    pub size: u64,
    read: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
    rx: Receiver<Chunk>,
    /// Events added so far.
    pub events: u64,
    pub placing: Placing,
}

impl Load {
    /// Starts reading `file` (already checked to be a regular file of `size` bytes).
    pub(crate) fn start(
        path: &std::path::Path,
        name: String,
        file: File,
        size: u64,
        wake: impl Fn() + Send + 'static,
    ) -> Load {
        let (tx, rx) = sync_channel(CHUNKS_QUEUED);
        let read = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (r, c) = (read.clone(), cancel.clone());
        std::thread::spawn(move || read_into(file, r, &c, &tx, &wake));
        Load {
            name,
            path: path.display().to_string(),
            size,
            read,
            cancel,
            rx,
            events: 0,
            placing: Placing::default(),
        }
    }

    /// The next chunk sent, if one is waiting; a thread that died says so as an end.
    pub(crate) fn next(&self) -> Option<Chunk> {
        match self.rx.try_recv() {
            Ok(chunk) => Some(chunk),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Chunk::End(Err(ReadError {
                line: None,
                reason: "reading it stopped".into(),
            }))),
        }
    }

    /// Stops the reading thread (it ends at its next line).
    pub(crate) fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The share of the file read, 0 to 1.
    pub(crate) fn fraction(&self) -> f32 {
        fraction(self.read.load(Ordering::Relaxed), self.size)
    }
}

/// `read` of `size` bytes as 0 to 1 (a file that grew counts as all read).
pub(crate) fn fraction(read: u64, size: u64) -> f32 {
    if size == 0 {
        return 1.0;
    }
    (read as f64 / size as f64).clamp(0.0, 1.0) as f32
}

/// The one line for a file that could not be read to its end: `FILE:LINE: reason`, and what
/// was kept.
pub(crate) fn refusal(name: &str, error: &ReadError, kept: u64) -> String {
    let at = match error.line {
        Some(line) => format!("{name}:{line}: {}", error.reason),
        None => format!("{name}: {}", error.reason),
    };
    match kept {
        0 => at,
        n => format!(
            "{at} (kept the {} events before it)",
            super::trace_file::thousands(n as usize)
        ),
    }
}

/// Ids for an opened file's connections: its numbers moved past the highest id in use when its
/// first batch came (keeping their order and spacing), as `trace_file::place` does for a whole
/// file. A later connection numbered below the first batch's is refused rather than merged
/// into one already shown.
#[derive(Default)]
pub(crate) struct Placing {
    /// (the first new id, the lowest number of the first batch, the highest id in use then)
    base: Option<(ConnId, ConnId, ConnId)>,
    /// Per connection, its id and its number in the file, in order of appearance.
    pub ids: Vec<(ConnId, ConnId)>,
    seen: std::collections::HashSet<ConnId>,
}

impl Placing {
    /// Gives `events` their ids; returns the ids new in this batch. `taken` is the highest id
    /// in use now (only the first batch's counts).
    pub(crate) fn place(
        &mut self,
        events: &mut [Event],
        taken: ConnId,
    ) -> Result<Vec<ConnId>, String> {
        let (offset, lowest, before) = *self.base.get_or_insert_with(|| {
            let lowest = events.iter().map(|e| e.conn).min().unwrap_or(0);
            let offset = OPENED_CONN_BASE.max(taken.saturating_add(1).saturating_sub(lowest));
            (offset, lowest, taken)
        });
        let mut new = Vec::new();
        for e in events {
            let number = e.conn;
            let id = number
                .checked_add(offset)
                .filter(|&id| number >= lowest || id > before)
                .ok_or("its connection numbers are too large to open beside the others")?;
            if self.ids.last().is_none_or(|&(last, _)| last != id) && self.seen.insert(id) {
                self.ids.push((id, number));
                new.push(id);
            }
            e.conn = id;
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{EventKind, Phase};

    fn ev(conn: ConnId) -> Event {
        Event {
            t: 1,
            conn,
            kind: EventKind::Phase(Phase::Resolve),
        }
    }

    #[test]
    fn connections_get_fresh_ids_across_batches() {
        let mut p = Placing::default();
        let mut first = vec![ev(1), ev(1), ev(2)];
        let taken = OPENED_CONN_BASE + 5;
        assert_eq!(p.place(&mut first, taken), Ok(vec![taken + 1, taken + 2]));
        assert_eq!(first[2].conn, taken + 2);
        // A later batch: the same offset, whatever is taken by then.
        let mut second = vec![ev(2), ev(4)];
        assert_eq!(p.place(&mut second, taken + 100), Ok(vec![taken + 4]));
        assert_eq!(p.ids, vec![(taken + 1, 1), (taken + 2, 2), (taken + 4, 4)]);
        // Numbered below the first batch, into ids already in use: refused.
        assert!(p.place(&mut [ev(0)], taken).is_err());
        // Nothing open: ids start past the base, as the file numbers them.
        let mut q = Placing::default();
        assert_eq!(q.place(&mut [ev(1)], 0), Ok(vec![OPENED_CONN_BASE + 1]));
        assert!(q.place(&mut [ev(ConnId::MAX)], 0).is_err());
    }

    #[test]
    fn progress_and_refusals_read_as_a_person_expects() {
        assert_eq!(fraction(50, 200), 0.25);
        assert_eq!(fraction(300, 200), 1.0);
        assert_eq!(fraction(0, 0), 1.0);
        let e = ReadError {
            line: Some(7),
            reason: "unknown kind \"x\"".into(),
        };
        assert_eq!(refusal("t.jsonl", &e, 0), "t.jsonl:7: unknown kind \"x\"");
        assert_eq!(
            refusal("t.jsonl", &e, 1234),
            "t.jsonl:7: unknown kind \"x\" (kept the 1,234 events before it)"
        );
    }

    /// A 3 MB error text (longer than `tlsscope show` takes) opens, cut to the cap.
    #[test]
    fn a_huge_string_costs_at_most_the_cap() {
        let huge = "x".repeat(3_000_000);
        let text = format!("{{\"t\":1,\"conn\":1,\"kind\":\"error\",\"message\":\"{huge}\"}}\n");
        let (tx, rx) = sync_channel(8);
        read_into(
            text.as_bytes(),
            Arc::default(),
            &AtomicBool::new(false),
            &tx,
            &|| {},
        );
        let Ok(Chunk::Events(events)) = rx.try_recv() else {
            panic!("no events");
        };
        match &events[0].kind {
            EventKind::Error(m) => {
                assert!(
                    m.len() <= crate::trace::jsonl_read::MAX_TEXT + 32,
                    "{}",
                    m.len()
                );
                assert!(m.ends_with("…(2995904 bytes cut)"), "{}", &m[4000..]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(rx.try_recv(), Ok(Chunk::End(Ok(())))));
    }

    /// The thread sends full batches, then the rest, then how it ended; a bad line ends it
    /// with its number after what came before was sent.
    #[test]
    fn the_reader_sends_batches_then_the_end() {
        let line = r#"{"t":1,"conn":1,"kind":"phase","phase":"resolve"}"#;
        let mut text = format!("{line}\n").repeat(65_539);
        text.push_str("{\"t\":1}\n");
        let (tx, rx) = sync_channel(8);
        let read = Arc::new(AtomicU64::new(0));
        let thread_read = read.clone();
        let input = text.clone().into_bytes();
        std::thread::spawn(move || {
            read_into(
                &input[..],
                thread_read,
                &AtomicBool::new(false),
                &tx,
                &|| {},
            )
        });
        let mut sizes = Vec::new();
        let end = loop {
            match rx
                .recv_timeout(std::time::Duration::from_secs(30))
                .expect("a chunk")
            {
                Chunk::Events(b) => sizes.push(b.len()),
                Chunk::End(end) => break end,
            }
        };
        assert!(sizes.len() > 1, "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 65_539);
        let err = end.expect_err("the last line is bad");
        assert_eq!(err.line, Some(65_540));
        assert_eq!(read.load(Ordering::Relaxed), text.len() as u64);
    }
}
