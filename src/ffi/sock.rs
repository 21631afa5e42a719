//! Linux socket levels (ioctls, TCP_INFO) and the process's CPU time.

use crate::trace::TcpInfo;
use std::ffi::c_int;
use std::os::fd::RawFd;

/// Kernel queue levels of a socket: (unread in receive queue, unacked in send queue, unsent).
pub fn queue_levels(fd: RawFd) -> (u32, u32, u32) {
    const SIOCOUTQNSD: libc::c_ulong = 0x894B;
    let mut inq: c_int = 0;
    let mut outq: c_int = 0;
    let mut notsent: c_int = 0;
    // SAFETY: each ioctl writes one c_int through a pointer to a live local; on failure the
    // value stays 0, which is what we report.
    unsafe {
        libc::ioctl(fd, libc::FIONREAD, &mut inq);
        libc::ioctl(fd, libc::TIOCOUTQ, &mut outq);
        libc::ioctl(fd, SIOCOUTQNSD, &mut notsent);
    }
    (inq.max(0) as u32, outq.max(0) as u32, notsent.max(0) as u32)
}

/// The socket's send and receive buffer sizes (as SO_SNDBUF and SO_RCVBUF report them), read
/// with one SO_MEMINFO call instead of two; None where the kernel lacks it.
pub fn buffer_sizes(fd: RawFd) -> Option<(u32, u32)> {
    // SK_MEMINFO_VARS (9) u32s; the libc crate names the offsets but not the count.
    let mut info = [0u32; 9];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes (the array's size) into `info`, a live
    // local, and stores the length it wrote in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let needed = (libc::SK_MEMINFO_SNDBUF.max(libc::SK_MEMINFO_RCVBUF) as usize + 1) * 4;
    (rc == 0 && len as usize >= needed).then(|| {
        (
            info[libc::SK_MEMINFO_SNDBUF as usize],
            info[libc::SK_MEMINFO_RCVBUF as usize],
        )
    })
}

/// TCP_INFO round-trip time, congestion window and the peer's advertised window.
///
/// Read from the kernel's `struct tcp_info` by byte offset: the libc crate declares only its
/// first 104 bytes, and tcpi_snd_wnd (Linux 5.4+) sits at offset 228.
pub fn tcp_info(fd: RawFd) -> Option<TcpInfo> {
    const RTT: usize = 68;
    const SND_CWND: usize = 80;
    const SND_WND: usize = 228;
    #[repr(C, align(8))]
    struct Buf([u8; 256]);
    let mut buf = Buf([0; 256]);
    let mut len = buf.0.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` (256) bytes into `buf`, a live, 8-byte aligned
    // local of that size, and stores the length it wrote in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.0.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    let len = len as usize;
    let bytes = &buf.0;
    let field = |offset: usize| -> u32 {
        if len < offset + 4 {
            return 0;
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[offset..offset + 4]);
        u32::from_ne_bytes(word)
    };
    Some(TcpInfo {
        rtt_us: field(RTT),
        snd_cwnd: field(SND_CWND),
        snd_wnd: field(SND_WND),
    })
}

/// True when the peer has closed its sending side: the socket is in TCP's CLOSE_WAIT state
/// (a FIN arrived and we have not closed ours yet). `tcpi_state` is the first byte of
/// `struct tcp_info`.
pub fn peer_sent_fin(fd: RawFd) -> bool {
    const TCP_CLOSE_WAIT: u8 = 8;
    let mut info = [0u8; 8];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` (8) bytes into `info`, a live local of that size
    // (the kernel truncates tcp_info to the length given), and stores the length in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    rc == 0 && len >= 1 && info[0] == TCP_CLOSE_WAIT
}

/// CPU time (user + system) this process has used, in nanoseconds (the benchmark's measure of
/// what recording costs, steadier than wall-clock throughput on a busy machine).
pub fn process_cpu_time() -> u64 {
    clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time (user + system) the calling thread has used, in nanoseconds (the benchmark tells the
/// sink's share of the process's CPU from the engine's with it).
pub fn thread_cpu_time() -> u64 {
    clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CLOCK_MONOTONIC in nanoseconds: the clock `std::time::Instant` reads on Linux, without
/// `Instant`'s checked `Duration` arithmetic, which cost the recorder about 85 instructions an
/// event (callgrind) when every socket read and write takes a timestamp.
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer to a live local; `clock` is
    // CLOCK_MONOTONIC or one of the CPU-time clocks, which every Linux has.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
