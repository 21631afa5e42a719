//! Kernel buffer levels of a connection's socket (the queue ioctls, the buffer sizes, TCP_INFO),
//! read after an OpenSSL call returned WANT_READ or WANT_WRITE: the same levels the engine's
//! `sock` events carry, so a traced program's stall shows who holds the bytes.

use libc::{c_int, c_void};

/// One sample; `tcp` = (rtt µs, snd_cwnd, snd_wnd) when the socket is TCP.
#[derive(Clone, Copy, Default)]
pub(crate) struct Levels {
    pub(crate) inq: u32,
    pub(crate) outq: u32,
    pub(crate) notsent: u32,
    pub(crate) sndbuf: u32,
    pub(crate) rcvbuf: u32,
    pub(crate) tcp: Option<(u32, u32, u32)>,
}

fn int_opt(fd: c_int, level: c_int, name: c_int) -> u32 {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `v`, a live local of that size.
    let rc = unsafe { libc::getsockopt(fd, level, name, (&mut v as *mut c_int).cast(), &mut len) };
    if rc == 0 {
        v.max(0) as u32
    } else {
        0
    }
}

/// The levels of socket `fd` (none of these calls is hooked, and none changes it).
pub(crate) fn levels(fd: c_int) -> Levels {
    const SIOCOUTQNSD: libc::c_ulong = 0x894B;
    let (mut inq, mut outq, mut notsent): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: each ioctl writes one c_int through a pointer to a live local; on failure the
    // value stays 0, which is what is reported.
    unsafe {
        libc::ioctl(fd, libc::FIONREAD, &mut inq);
        libc::ioctl(fd, libc::TIOCOUTQ, &mut outq);
        libc::ioctl(fd, SIOCOUTQNSD, &mut notsent);
    }
    Levels {
        inq: inq.max(0) as u32,
        outq: outq.max(0) as u32,
        notsent: notsent.max(0) as u32,
        sndbuf: int_opt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF),
        rcvbuf: int_opt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF),
        tcp: tcp_info(fd),
    }
}

/// TCP_INFO's rtt (µs), snd_cwnd and snd_wnd, read by byte offset as the engine does
/// (`src/ffi/sock.rs`: libc declares only the first 104 bytes; snd_wnd is at 228, Linux 5.4+).
fn tcp_info(fd: c_int) -> Option<(u32, u32, u32)> {
    #[repr(C, align(8))]
    struct Buf([u8; 256]);
    let mut buf = Buf([0; 256]);
    let mut len = buf.0.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` (256) bytes into `buf`, a live, aligned local.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.0.as_mut_ptr().cast::<c_void>(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    let len = len as usize;
    let field = |at: usize| -> u32 {
        match buf.0.get(at..at + 4) {
            Some(b) if len >= at + 4 => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            _ => 0,
        }
    };
    Some((field(68), field(80), field(228)))
}
