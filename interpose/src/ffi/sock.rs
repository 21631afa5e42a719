//! The socket hooks: reads and writes are recorded only inside a recorded OpenSSL call (they are
//! OpenSSL's, or a memory-BIO program's own, on the connection's socket); readiness calls only
//! when they watch a socket that belongs to an SSL object (for epoll, remembered from
//! `epoll_ctl`); `close` forgets that a socket did.

use super::{errno, now, real, set_errno};
use crate::record::{self, Watched, MAX_WAIT_FDS};
use crate::wire::wait;
use libc::{c_int, c_void, size_t, ssize_t};

const READ: u8 = 0;
const WRITE: u8 = 1;

fn failed() -> ssize_t {
    set_errno(libc::ENOSYS);
    -1
}

/// Total length of an iovec array.
fn iov_len(iov: *const libc::iovec, n: c_int) -> u64 {
    if iov.is_null() || n <= 0 {
        return 0;
    }
    // SAFETY: the caller passed `n` iovecs at `iov` (the contract of readv/writev/..msg).
    let v = unsafe { std::slice::from_raw_parts(iov, n as usize) };
    v.iter().map(|i| i.iov_len as u64).sum()
}

fn msg_len(msg: *const libc::msghdr) -> u64 {
    if msg.is_null() {
        return 0;
    }
    // SAFETY: the caller passed a valid msghdr (the contract of sendmsg/recvmsg).
    let m = unsafe { &*msg };
    iov_len(m.msg_iov, m.msg_iovlen as c_int)
}

/// Defines a hook for a socket call whose first argument is the descriptor.
macro_rules! io_hook {
    ($name:ident, $dir:expr, ($($arg:ident: $ty:ty),*), $want:expr) => {
        /// # Safety
        /// The caller's contract of the libc function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name(fd: c_int, $($arg: $ty),*) -> ssize_t {
            let Some(f) = real!(stringify!($name), unsafe extern "C" fn(c_int, $($ty),*) -> ssize_t) else {
                return failed();
            };
            if !record::in_ssl_call() {
                // SAFETY: the caller's arguments, unchanged.
                return unsafe { f(fd, $($arg),*) };
            }
            let t0 = now();
            // SAFETY: the caller's arguments, unchanged.
            let r = unsafe { f(fd, $($arg),*) };
            let want: u64 = $want;
            record::io(fd, $dir, want, r as i64, t0);
            r
        }
    };
}

io_hook!(read, READ, (buf: *mut c_void, n: size_t), n as u64);
io_hook!(write, WRITE, (buf: *const c_void, n: size_t), n as u64);
io_hook!(recv, READ, (buf: *mut c_void, n: size_t, flags: c_int), n as u64);
io_hook!(send, WRITE, (buf: *const c_void, n: size_t, flags: c_int), n as u64);
io_hook!(readv, READ, (iov: *const libc::iovec, n: c_int), iov_len(iov, n));
io_hook!(writev, WRITE, (iov: *const libc::iovec, n: c_int), iov_len(iov, n));
io_hook!(recvmsg, READ, (msg: *mut libc::msghdr, flags: c_int), msg_len(msg));
io_hook!(sendmsg, WRITE, (msg: *const libc::msghdr, flags: c_int), msg_len(msg));
io_hook!(
    recvfrom,
    READ,
    (buf: *mut c_void, n: size_t, flags: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t),
    n as u64
);
io_hook!(
    sendto,
    WRITE,
    (buf: *const c_void, n: size_t, flags: c_int, addr: *const libc::sockaddr, len: libc::socklen_t),
    n as u64
);

/// # Safety
/// The caller's contract of `close`.
#[no_mangle]
pub unsafe extern "C" fn close(fd: c_int) -> c_int {
    let Some(f) = real!("close", unsafe extern "C" fn(c_int) -> c_int) else {
        return failed() as c_int;
    };
    record::closed(fd);
    // SAFETY: the caller's argument, unchanged.
    unsafe { f(fd) }
}

fn poll_interest(events: i16) -> u64 {
    let mut bits = 0;
    if events & (libc::POLLIN | libc::POLLPRI) != 0 {
        bits |= wait::READ;
    }
    if events & libc::POLLOUT != 0 {
        bits |= wait::WRITE;
    }
    if events & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        bits |= wait::HANGUP;
    }
    bits
}

/// The watched pollfds that are sockets of SSL objects (index, what is recorded).
fn poll_watched(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
) -> ([(usize, Watched); MAX_WAIT_FDS], usize) {
    let mut out = [(0, Watched::default()); MAX_WAIT_FDS];
    let mut n = 0;
    if fds.is_null() || !record::may_wait() {
        return (out, 0);
    }
    // SAFETY: the caller passed `nfds` pollfds at `fds`; read before the call is made.
    let v = unsafe { std::slice::from_raw_parts(fds, nfds as usize) };
    for (i, p) in v.iter().enumerate() {
        let ssl = record::tracked(p.fd);
        if ssl != 0 && n < MAX_WAIT_FDS {
            out[n] = (
                i,
                Watched {
                    fd: p.fd,
                    ssl,
                    interest: poll_interest(p.events),
                    ready: 0,
                },
            );
            n += 1;
        }
    }
    (out, n)
}

fn poll_finish(
    call: u8,
    fds: *mut libc::pollfd,
    watched: &mut [(usize, Watched)],
    ret: c_int,
    t0: u64,
) {
    let e = errno();
    if ret >= 0 {
        for (i, w) in watched.iter_mut() {
            // SAFETY: index `i` < nfds of the caller's array, which poll has filled in.
            let revents = unsafe { (*fds.add(*i)).revents };
            w.ready = poll_interest(revents);
        }
    }
    let list: [Watched; MAX_WAIT_FDS] =
        std::array::from_fn(|k| watched.get(k).map_or(Watched::default(), |p| p.1));
    set_errno(e);
    record::wait(call, &list[..watched.len()], i64::from(ret), t0);
}

/// # Safety
/// The caller's contract of `poll`.
#[no_mangle]
pub unsafe extern "C" fn poll(fds: *mut libc::pollfd, nfds: libc::nfds_t, timeout: c_int) -> c_int {
    let Some(f) = real!(
        "poll",
        unsafe extern "C" fn(*mut libc::pollfd, libc::nfds_t, c_int) -> c_int
    ) else {
        return failed() as c_int;
    };
    let (mut watched, n) = poll_watched(fds, nfds);
    if n == 0 {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { f(fds, nfds, timeout) };
    }
    let t0 = now();
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(fds, nfds, timeout) };
    poll_finish(wait::POLL, fds, &mut watched[..n], r, t0);
    r
}

/// # Safety
/// The caller's contract of `ppoll`.
#[no_mangle]
pub unsafe extern "C" fn ppoll(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
    tmo: *const libc::timespec,
    mask: *const libc::sigset_t,
) -> c_int {
    type Ppoll = unsafe extern "C" fn(
        *mut libc::pollfd,
        libc::nfds_t,
        *const libc::timespec,
        *const libc::sigset_t,
    ) -> c_int;
    let Some(f) = real!("ppoll", Ppoll) else {
        return failed() as c_int;
    };
    let (mut watched, n) = poll_watched(fds, nfds);
    if n == 0 {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { f(fds, nfds, tmo, mask) };
    }
    let t0 = now();
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(fds, nfds, tmo, mask) };
    poll_finish(wait::PPOLL, fds, &mut watched[..n], r, t0);
    r
}

fn rw_bits(read: bool, write: bool) -> u64 {
    (if read { wait::READ } else { 0 }) | (if write { wait::WRITE } else { 0 })
}

fn is_set(set: *mut libc::fd_set, fd: c_int) -> bool {
    // SAFETY: a caller-supplied fd_set (or NULL), fd < FD_SETSIZE (checked by the caller).
    !set.is_null() && unsafe { libc::FD_ISSET(fd, set) }
}

/// # Safety
/// The caller's contract of `select`.
#[no_mangle]
pub unsafe extern "C" fn select(
    nfds: c_int,
    rd: *mut libc::fd_set,
    wr: *mut libc::fd_set,
    ex: *mut libc::fd_set,
    timeout: *mut libc::timeval,
) -> c_int {
    type Select = unsafe extern "C" fn(
        c_int,
        *mut libc::fd_set,
        *mut libc::fd_set,
        *mut libc::fd_set,
        *mut libc::timeval,
    ) -> c_int;
    let Some(f) = real!("select", Select) else {
        return failed() as c_int;
    };
    let mut watched = [Watched::default(); MAX_WAIT_FDS];
    let mut n = 0;
    if record::may_wait() {
        for fd in 0..nfds.clamp(0, libc::FD_SETSIZE as c_int) {
            let ssl = record::tracked(fd);
            if ssl == 0 || n == MAX_WAIT_FDS {
                continue;
            }
            let interest = rw_bits(is_set(rd, fd), is_set(wr, fd));
            if interest != 0 {
                watched[n] = Watched {
                    fd,
                    ssl,
                    interest,
                    ready: 0,
                };
                n += 1;
            }
        }
    }
    if n == 0 {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { f(nfds, rd, wr, ex, timeout) };
    }
    let t0 = now();
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(nfds, rd, wr, ex, timeout) };
    let e = errno();
    if r >= 0 {
        for w in &mut watched[..n] {
            w.ready = rw_bits(is_set(rd, w.fd), is_set(wr, w.fd));
        }
    }
    set_errno(e);
    record::wait(wait::SELECT, &watched[..n], i64::from(r), t0);
    r
}

/// # Safety
/// The caller's contract of `epoll_ctl`.
#[no_mangle]
pub unsafe extern "C" fn epoll_ctl(
    epfd: c_int,
    op: c_int,
    fd: c_int,
    event: *mut libc::epoll_event,
) -> c_int {
    type Ctl = unsafe extern "C" fn(c_int, c_int, c_int, *mut libc::epoll_event) -> c_int;
    let Some(f) = real!("epoll_ctl", Ctl) else {
        return failed() as c_int;
    };
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(epfd, op, fd, event) };
    if r == 0 {
        let e = errno();
        let (events, data) = if event.is_null() {
            (0, 0)
        } else {
            // SAFETY: a caller-supplied epoll_event (packed: its fields are copied out).
            let ev = unsafe { std::ptr::read_unaligned(event) };
            (ev.events, ev.u64)
        };
        crate::epoll::registered(epfd, fd, op == libc::EPOLL_CTL_DEL, events, data);
        set_errno(e);
    }
    r
}

/// The readiness epoll reported for the watched sockets (matched by their data).
fn epoll_finish(
    call: u8,
    events: *mut libc::epoll_event,
    watched: &mut [(Watched, u64)],
    ret: c_int,
    t0: u64,
) {
    let e = errno();
    let got = usize::try_from(ret).unwrap_or(0);
    if !events.is_null() && got > 0 {
        // SAFETY: epoll_wait filled in `ret` events at `events`.
        let done = unsafe { std::slice::from_raw_parts(events, got) };
        for (w, data) in watched.iter_mut() {
            for ev in done {
                let (bits, d) = (ev.events, ev.u64);
                if d == *data {
                    w.ready |= crate::epoll::bits(bits);
                }
            }
        }
    }
    let list: [Watched; MAX_WAIT_FDS] =
        std::array::from_fn(|k| watched.get(k).map_or(Watched::default(), |p| p.0));
    set_errno(e);
    record::wait(call, &list[..watched.len()], i64::from(ret), t0);
}

/// # Safety
/// The caller's contract of `epoll_wait`.
#[no_mangle]
pub unsafe extern "C" fn epoll_wait(
    epfd: c_int,
    events: *mut libc::epoll_event,
    max: c_int,
    timeout: c_int,
) -> c_int {
    type EpWait = unsafe extern "C" fn(c_int, *mut libc::epoll_event, c_int, c_int) -> c_int;
    let Some(f) = real!("epoll_wait", EpWait) else {
        return failed() as c_int;
    };
    let (mut watched, n) = crate::epoll::watched(epfd);
    if n == 0 {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { f(epfd, events, max, timeout) };
    }
    let t0 = now();
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(epfd, events, max, timeout) };
    epoll_finish(wait::EPOLL_WAIT, events, &mut watched[..n], r, t0);
    r
}

/// # Safety
/// The caller's contract of `epoll_pwait`.
#[no_mangle]
pub unsafe extern "C" fn epoll_pwait(
    epfd: c_int,
    events: *mut libc::epoll_event,
    max: c_int,
    timeout: c_int,
    mask: *const libc::sigset_t,
) -> c_int {
    type EpPwait = unsafe extern "C" fn(
        c_int,
        *mut libc::epoll_event,
        c_int,
        c_int,
        *const libc::sigset_t,
    ) -> c_int;
    let Some(f) = real!("epoll_pwait", EpPwait) else {
        return failed() as c_int;
    };
    let (mut watched, n) = crate::epoll::watched(epfd);
    if n == 0 {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { f(epfd, events, max, timeout, mask) };
    }
    let t0 = now();
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(epfd, events, max, timeout, mask) };
    epoll_finish(wait::EPOLL_WAIT, events, &mut watched[..n], r, t0);
    r
}
