//! The listening side of the transport: a Unix stream socket in a private temporary directory;
//! each traced process connects once (its forked children share the connection) and sends
//! length-framed records. One thread accepts, one reads each connection, so a slow output never
//! fills a program's socket buffer (a full buffer makes the interposer drop records, which it
//! counts).

use super::wire::{Rec, HEADER, MAX_TAIL};
use crossbeam_channel::{Receiver, Sender};
use std::io::Read;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One record and its tail.
pub(crate) type Item = (Rec, Vec<u8>);

pub(crate) struct Listener {
    _dir: tempfile::TempDir,
    path: PathBuf,
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// The records, in the order each process sent them (frames that are not records are
    /// skipped).
    pub(crate) items: Receiver<Item>,
}

/// How long a reader waits for more before it looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

impl Listener {
    pub(crate) fn open() -> std::io::Result<Listener> {
        let dir = tempfile::Builder::new().prefix("tlsscope-run-").tempdir()?;
        let path = dir.path().join("events.sock");
        let listener = UnixListener::bind(&path)?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let (tx, items) = crossbeam_channel::unbounded();
        let accept = {
            let (stop, threads) = (Arc::clone(&stop), Arc::clone(&threads));
            std::thread::Builder::new()
                .name("run-accept".into())
                .spawn(move || accept_loop(&listener, &tx, &stop, &threads))?
        };
        if let Ok(mut t) = threads.lock() {
            t.push(accept);
        }
        Ok(Listener {
            _dir: dir,
            path,
            stop,
            threads,
            items,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Stops once every connection has been quiet for a moment (or closed).
    pub(crate) fn close(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        loop {
            let next = self.threads.lock().ok().and_then(|mut t| t.pop());
            match next {
                Some(t) => {
                    let _ = t.join();
                }
                None => break,
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
    }
}

fn accept_loop(
    listener: &UnixListener,
    tx: &Sender<Item>,
    stop: &Arc<AtomicBool>,
    threads: &Mutex<Vec<JoinHandle<()>>>,
) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((conn, _)) => {
                let (tx, stop) = (tx.clone(), Arc::clone(stop));
                let reader = std::thread::Builder::new()
                    .name("run-reader".into())
                    .spawn(move || read_loop(conn, &tx, &stop));
                if let (Ok(r), Ok(mut t)) = (reader, threads.lock()) {
                    t.push(r);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

fn read_loop(mut conn: UnixStream, tx: &Sender<Item>, stop: &AtomicBool) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(POLL));
    let _ = socket2::SockRef::from(&conn).set_recv_buffer_size(4 << 20);
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match conn.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                let used = frames(&buf, tx);
                buf.drain(..used);
                if buf.len() > 2 + HEADER + MAX_TAIL && used == 0 {
                    return; // not our framing: stop reading this connection
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Sends every complete frame at the start of `buf`; returns the bytes they took.
fn frames(buf: &[u8], tx: &Sender<Item>) -> usize {
    let mut at = 0;
    while let Some(len) = buf
        .get(at..at + 2)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    {
        if len > HEADER + MAX_TAIL {
            return at; // a length no record has: the caller stops
        }
        let Some(frame) = buf.get(at + 2..at + 2 + len) else {
            break;
        };
        if let Some((rec, tail)) = Rec::decode(frame) {
            let _ = tx.send((rec, tail.to_vec()));
        }
        at += 2 + len;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::wire::Kind;

    #[test]
    fn frames_are_cut_at_their_lengths_and_a_partial_one_waits() {
        let mut head = [0u8; HEADER];
        let mut rec = Rec::new(Kind::Free);
        rec.pid = 7;
        rec.encode(&mut head);
        let mut stream = Vec::new();
        for _ in 0..2 {
            stream.extend_from_slice(&(HEADER as u16).to_le_bytes());
            stream.extend_from_slice(&head);
        }
        let whole = stream.len();
        stream.extend_from_slice(&(HEADER as u16).to_le_bytes());
        stream.extend_from_slice(&head[..10]);
        let (tx, rx) = crossbeam_channel::unbounded();
        assert_eq!(frames(&stream, &tx), whole);
        assert_eq!(
            rx.try_iter().map(|(r, _)| r.pid).collect::<Vec<_>>(),
            vec![7, 7]
        );
        // A length no record has stops the reading.
        assert_eq!(frames(&[0xff, 0xff, 1, 2, 3], &tx), 0);
    }
}
