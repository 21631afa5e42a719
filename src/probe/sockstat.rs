//! Socket plumbing: the non-blocking connect with buffer sizes set before it, and sampling of
//! kernel buffer levels.

use crate::ffi;
use crate::trace::{Nanos, Op, Sock, TcpInfo};
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
/// that completed without wanting anything. Longer than [`STEADY_GAP`], so that a run of
/// successful calls, sampled once per gap, reads the three queue levels every time but pays
/// the two calls for these only every fifth sample.
const SLOW_LEVELS_MAX_AGE: Nanos = 10_000_000;

/// How long the levels may go unsampled while reads (or writes) keep succeeding one after
/// another: a bulk transfer's steady state, where a sample after every 64 KiB call (twelve a
/// millisecond on loopback) costs three system calls each and mostly repeats the last one.
/// At 1 ms these ioctls still took about 0.45 % of a bulk upload's I/O thread (`perf record`);
/// 2 ms halves that and still draws the levels of a steady transfer 500 times a second.
const STEADY_GAP: Nanos = 2_000_000;

/// Samples a connection's buffer levels. The queue levels (three ioctls) and SSL_pending are
/// read at every sample; SO_SNDBUF, SO_RCVBUF (one SO_MEMINFO call) and TCP_INFO, which change
/// only as the kernel autotunes or an ACK arrives, are re-read on every `full` sample — waits
/// and calls that returned WANT_* or failed — and otherwise at most every 10 ms. After calls,
/// levels are sampled every time except inside a run of successful reads (or writes), where
/// they are sampled at most once per [`STEADY_GAP`]: the first success after anything else,
/// every call that wanted or failed, and every wait are still sampled, so a stall's levels are
/// all there. That keeps a bulk transfer's recording cost low without losing a level that
/// explains a stall.
#[derive(Default)]
pub(super) struct Sampler {
    slow: Option<(Nanos, u32, u32, Option<TcpInfo>)>,
    /// When the last sample was taken.
    last: Option<Nanos>,
    /// The previous call's op, if it was a read or write that simply succeeded.
    streak: Option<Op>,
}

impl Sampler {
    /// Whether the levels after a call of `op` (that succeeded when `ok`) at `now` may go
    /// unsampled: it continues a run of successful calls of that op, and the last sample is
    /// less than [`STEADY_GAP`] old.
    pub(super) fn steady(&mut self, op: Op, ok: bool, now: Nanos) -> bool {
        let data_call = ok && matches!(op, Op::Read | Op::Write);
        let previous = std::mem::replace(&mut self.streak, data_call.then_some(op));
        data_call
            && previous == Some(op)
            && self
                .last
                .is_some_and(|t| now.saturating_sub(t) < STEADY_GAP)
    }

    pub(super) fn sample(
        &mut self,
        stream: &TcpStream,
        ssl_pending: usize,
        now: Nanos,
        full: bool,
    ) -> Sock {
        self.last = Some(now);
        let fd = stream.as_raw_fd();
        let (inq, outq, notsent) = ffi::queue_levels(fd);
        let slow = match self.slow {
            Some((taken, sndbuf, rcvbuf, tcp))
                if !full && now.saturating_sub(taken) < SLOW_LEVELS_MAX_AGE =>
            {
                (sndbuf, rcvbuf, tcp)
            }
            _ => {
                // One SO_MEMINFO call for both sizes; the two plain getsockopts where it fails.
                let (sndbuf, rcvbuf) = ffi::buffer_sizes(fd).unwrap_or_else(|| {
                    let sock = SockRef::from(stream);
                    (
                        sock.send_buffer_size().unwrap_or(0) as u32,
                        sock.recv_buffer_size().unwrap_or(0) as u32,
                    )
                });
                let fresh = (sndbuf, rcvbuf, ffi::tcp_info(fd));
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
    fn steady_reads_and_writes_are_sampled_at_most_once_per_gap_the_rest_always() {
        let mut s = Sampler::default();
        let sample = |s: &mut Sampler, now| s.last = Some(now);
        // The first successful write after anything else is sampled, the next ones not
        // until the gap has passed.
        assert!(!s.steady(Op::Write, true, 0));
        sample(&mut s, 0);
        assert!(s.steady(Op::Write, true, 100_000));
        assert!(s.steady(Op::Write, true, STEADY_GAP - 1));
        assert!(!s.steady(Op::Write, true, STEADY_GAP));
        sample(&mut s, STEADY_GAP);
        assert!(s.steady(Op::Write, true, STEADY_GAP + 1));
        // A write that wanted, and the success after it, are sampled.
        assert!(!s.steady(Op::Write, false, STEADY_GAP + 2));
        assert!(!s.steady(Op::Write, true, STEADY_GAP + 3));
        // So is a change of op, and any other call, successful or not.
        assert!(!s.steady(Op::Read, true, STEADY_GAP + 4));
        assert!(s.steady(Op::Read, true, STEADY_GAP + 5));
        assert!(!s.steady(Op::Shutdown, true, STEADY_GAP + 6));
        assert!(!s.steady(Op::Shutdown, true, STEADY_GAP + 7));
        assert!(!s.steady(Op::DoHandshake, true, STEADY_GAP + 8));
    }

    #[test]
    fn one_so_meminfo_call_reads_the_buffer_sizes_getsockopt_reports() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let sock = SockRef::from(&client);
        sock.set_send_buffer_size(96 * 1024).unwrap();
        sock.set_recv_buffer_size(48 * 1024).unwrap();
        let (sndbuf, rcvbuf) = ffi::buffer_sizes(client.as_raw_fd()).unwrap();
        assert_eq!(sndbuf as usize, sock.send_buffer_size().unwrap());
        assert_eq!(rcvbuf as usize, sock.recv_buffer_size().unwrap());
        // The kernel doubles what was set (room for its bookkeeping).
        assert_eq!(sndbuf, 2 * 96 * 1024);
        assert_eq!(ffi::buffer_sizes(-1), None);
    }

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
