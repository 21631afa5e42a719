//! The listening side of the transport: a Unix datagram socket in a private temporary
//! directory, read by its own thread so that a slow output never fills the socket's queue (a
//! full queue makes the interposer drop records, which it counts).

use super::wire::{Rec, HEADER, MAX_TAIL};
use crossbeam_channel::{Receiver, Sender};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// One datagram: the record and its tail.
pub(super) type Item = (Rec, Vec<u8>);

pub(super) struct Listener {
    _dir: tempfile::TempDir,
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The records, in the order they arrived (datagrams that are not records are skipped).
    pub(super) items: Receiver<Item>,
}

impl Listener {
    pub(super) fn open() -> std::io::Result<Listener> {
        let dir = tempfile::Builder::new().prefix("tlsscope-run-").tempdir()?;
        let path = dir.path().join("events.sock");
        let sock = UnixDatagram::bind(&path)?;
        // A deep queue: the traced program never waits for us.
        let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(8 << 20);
        sock.set_read_timeout(Some(Duration::from_millis(50)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, items) = crossbeam_channel::unbounded();
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("run-listener".into())
                .spawn(move || receive(&sock, &tx, &stop))?
        };
        Ok(Listener {
            _dir: dir,
            path,
            stop,
            thread: Some(thread),
            items,
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Stops after the queue is empty (the thread reads until a read times out).
    pub(super) fn close(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
    }
}

fn receive(sock: &UnixDatagram, tx: &Sender<Item>, stop: &AtomicBool) {
    let mut buf = vec![0u8; HEADER + MAX_TAIL + 1];
    loop {
        match sock.recv(&mut buf) {
            Ok(n) => {
                if let Some((rec, tail)) = Rec::decode(&buf[..n]) {
                    if tx.send((rec, tail.to_vec())).is_err() {
                        return;
                    }
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
