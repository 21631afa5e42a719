//! `latency`'s TCP proxy: every chunk it reads from one side is written to the other `delay`
//! later, in both directions, so each round trip through it costs two delays while the client's
//! TCP round trip (to the proxy) stays tiny. The TLS server behind it is another scenario's.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::peer::{Peer, Step};
use super::HOLD;

/// Socket timeout of the proxy's reads: how late a delayed chunk may leave at most.
const POLL: Duration = Duration::from_millis(5);

/// At most this many bytes wait in one direction; beyond that the proxy stops reading.
const MAX_QUEUED: usize = 1 << 20;

pub(super) fn serve(
    peer: &Peer,
    client: TcpStream,
    backend: SocketAddr,
    delay: Duration,
) -> Step<()> {
    let server = TcpStream::connect_timeout(&backend, Duration::from_secs(2))
        .map_err(|e| format!("connect to the backend {backend}: {e}"))?;
    let setup = |t: &TcpStream| -> io::Result<()> {
        t.set_nonblocking(false)?;
        t.set_nodelay(true)?;
        t.set_read_timeout(Some(POLL))?;
        t.set_write_timeout(Some(Duration::from_secs(2)))
    };
    setup(&client)
        .and_then(|()| setup(&server))
        .map_err(|e| format!("socket setup: {e}"))?;
    peer.note(format!("proxying to {backend}, {delay:?} each way"));
    let deadline = Instant::now() + HOLD;
    thread::scope(|scope| {
        let up = scope.spawn(|| pump(peer, &client, &server, delay, deadline));
        let down = pump(peer, &server, &client, delay, deadline);
        let up = up
            .join()
            .unwrap_or_else(|_| Err("proxy thread panicked".into()));
        down.and(up)
    })
}

/// Copies `from` to `to`, each chunk `delay` after it was read, until EOF (passed on as a FIN),
/// an error (both sockets shut down), the deadline or stop.
fn pump(
    peer: &Peer,
    from: &TcpStream,
    to: &TcpStream,
    delay: Duration,
    deadline: Instant,
) -> Step<()> {
    let mut queue: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut queued = 0usize;
    let mut eof = false;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let now = Instant::now();
        while queue.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, chunk)) = queue.pop_front() {
                queued -= chunk.len();
                if let Err(e) = (&*to).write_all(&chunk) {
                    let _ = from.shutdown(Shutdown::Both);
                    return Err(format!("proxy write: {e}"));
                }
            }
        }
        if eof && queue.is_empty() {
            let _ = to.shutdown(Shutdown::Write);
            return Ok(());
        }
        if let Err(e) = peer.check(deadline, "the connection to end") {
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            return Err(e);
        }
        if eof || queued >= MAX_QUEUED {
            thread::sleep(POLL);
            continue;
        }
        match (&*from).read(&mut buf) {
            Ok(0) => eof = true,
            Ok(n) => {
                queued += n;
                queue.push_back((Instant::now() + delay, buf[..n].to_vec()));
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                let _ = to.shutdown(Shutdown::Both);
                return Err(format!("proxy read: {e}"));
            }
        }
    }
}
