//! Socket plumbing: the non-blocking connect with buffer sizes set before it, and sampling of
//! kernel buffer levels.

use crate::ffi;
use crate::trace::{Nanos, Sock, TcpInfo};
use mio::net::TcpStream;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

/// Starts a non-blocking TCP connect. Buffer sizes are set before connecting, because the
/// receive buffer decides the window scale announced in the SYN.
pub(super) fn connect_nonblocking(
    addr: SocketAddr,
    sndbuf: Option<u32>,
    rcvbuf: Option<u32>,
    nodelay: bool,
) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    if let Some(size) = sndbuf {
        socket.set_send_buffer_size(size as usize)?;
    }
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size as usize)?;
    }
    if nodelay {
        socket.set_nodelay(true)?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// Most buffer-level samples taken during one wait (besides the ones at its ends).
pub(super) const MAX_WAIT_SAMPLES: u32 = 100;

/// When to take the next buffer-level sample during a wait that began at `since`, `taken`
/// samples in, at `now`: every 10 ms for the first 200 ms (a stall's onset), every 100 ms up to
/// 2 s, then every 500 ms; none after `MAX_WAIT_SAMPLES` (50 s of waiting).
pub(super) fn next_wait_sample(since: Nanos, now: Nanos, taken: u32) -> Option<Nanos> {
    const MS: Nanos = 1_000_000;
    if taken >= MAX_WAIT_SAMPLES {
        return None;
    }
    let waited = now.saturating_sub(since);
    let step = match waited {
        w if w < 200 * MS => 10 * MS,
        w if w < 2_000 * MS => 100 * MS,
        _ => 500 * MS,
    };
    // On a grid from the wait's start, so a late wake-up does not shift later samples.
    Some(since + (waited / step + 1) * step)
}

/// How long the slowly changing levels (buffer sizes, TCP_INFO) may be reused between calls
/// that completed without wanting anything.
const SLOW_LEVELS_MAX_AGE: Nanos = 1_000_000;

/// Samples a connection's buffer levels. The queue levels and SSL_pending are read at every
/// sample; SO_SNDBUF, SO_RCVBUF and TCP_INFO (three more system calls, which change only as the
/// kernel autotunes or an ACK arrives) are re-read on every `full` sample — waits and calls that
/// returned WANT_* or failed — and otherwise at most every millisecond. That keeps a bulk
/// transfer's recording cost low without losing a level that explains a stall.
#[derive(Default)]
pub(super) struct Sampler {
    slow: Option<(Nanos, u32, u32, Option<TcpInfo>)>,
}

impl Sampler {
    pub(super) fn sample(
        &mut self,
        stream: &TcpStream,
        ssl_pending: usize,
        now: Nanos,
        full: bool,
    ) -> Sock {
        let fd = stream.as_raw_fd();
        let (inq, outq, notsent) = ffi::queue_levels(fd);
        let slow = match self.slow {
            Some((taken, sndbuf, rcvbuf, tcp))
                if !full && now.saturating_sub(taken) < SLOW_LEVELS_MAX_AGE =>
            {
                (sndbuf, rcvbuf, tcp)
            }
            _ => {
                let sock = SockRef::from(stream);
                let fresh = (
                    sock.send_buffer_size().unwrap_or(0) as u32,
                    sock.recv_buffer_size().unwrap_or(0) as u32,
                    ffi::tcp_info(fd),
                );
                self.slow = Some((now, fresh.0, fresh.1, fresh.2));
                fresh
            }
        };
        Sock {
            inq,
            outq,
            notsent,
            sndbuf: slow.0,
            rcvbuf: slow.1,
            ssl_pending: ssl_pending as u32,
            tcp: slow.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_samples_are_dense_first_then_sparse_and_bounded() {
        const MS: Nanos = 1_000_000;
        let since = 5 * MS;
        let mut at = Vec::new();
        let mut now = since;
        while let Some(next) = next_wait_sample(since, now, at.len() as u32) {
            assert!(next > now);
            at.push(next - since);
            now = next;
        }
        assert_eq!(at.len() as u32, MAX_WAIT_SAMPLES);
        assert_eq!(&at[..3], &[10 * MS, 20 * MS, 30 * MS]);
        assert_eq!(at.iter().filter(|&&t| t <= 200 * MS).count(), 20);
        assert_eq!(at.iter().filter(|&&t| t <= 2_000 * MS).count(), 38);
        assert_eq!(at.last(), Some(&((2_000 + 62 * 500) * MS)));
        // A late wake-up keeps to the grid.
        assert_eq!(
            next_wait_sample(since, since + 15 * MS, 1),
            Some(since + 20 * MS)
        );
    }
}
