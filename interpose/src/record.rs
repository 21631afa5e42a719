//! What the hooks record, in safe code: the per-thread state that makes nested OpenSSL calls
//! count once and keeps the recorder's own system calls out of the trace, which sockets belong
//! to SSL objects (kept in `fds`, so only their readiness waits are recorded), and the sending of
//! records with a count of those that could not be sent.
//!
//! Rules every function here keeps: it never panics into C (callers wrap it in `catch_unwind`),
//! it never changes `errno` as the program sees it (callers save and restore it), and it never
//! blocks the program for long (a full socket drops the record and counts it).

use crate::fds;
use crate::ffi;
use crate::wire::{self, Kind, Rec, HEADER, MAX_TAIL};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

thread_local! {
    /// OpenSSL calls in progress on this thread (SSL_connect → SSL_do_handshake is one call).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The recorder itself is running: its system calls are not the program's.
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// The SSL object of the outermost call in progress.
    static CUR_SSL: Cell<usize> = const { Cell::new(0) };
    /// The SSL object whose negotiated parameters this thread sent last (sent again when the
    /// thread moves to another one; the listener keeps the first per connection).
    static TLS_SENT: Cell<usize> = const { Cell::new(0) };
    /// The socket of the last I/O inside the call in progress (a memory BIO's socket).
    static IO_FD: Cell<i32> = const { Cell::new(-1) };
    /// When this thread last sampled buffer levels (CLOCK_MONOTONIC ns).
    static SAMPLED: Cell<u64> = const { Cell::new(0) };
}

/// Buffer levels are sampled after a WANT_* return at most this often per thread (a busy
/// non-blocking loop would otherwise double its records).
const SAMPLE_EVERY: u64 = 1_000_000;

/// Records this process could not send (the listener's queue was full, or it went away).
static LOST: AtomicU64 = AtomicU64::new(0);

/// The process that sent its `Hello` (a forked child sends its own).
static HELLO_PID: AtomicU32 = AtomicU32::new(0);

/// At most this many sockets of one readiness call are recorded.
pub(crate) const MAX_WAIT_FDS: usize = 8;

fn depth() -> u32 {
    DEPTH.try_with(Cell::get).unwrap_or(1)
}

fn busy() -> bool {
    BUSY.try_with(Cell::get).unwrap_or(true)
}

/// True inside a recorded OpenSSL call, outside the recorder: socket I/O now is OpenSSL's.
pub(crate) fn in_ssl_call() -> bool {
    depth() > 0 && !busy()
}

/// True when a readiness call now is the program's own (not inside OpenSSL, not ours).
pub(crate) fn may_wait() -> bool {
    depth() == 0 && !busy()
}

/// The SSL object whose socket `fd` is, or 0.
pub(crate) fn tracked(fd: i32) -> usize {
    fds::get(fd).map_or(0, |slot| slot.ssl.load(Ordering::Relaxed))
}

/// Runs `f` as the recorder (its system calls are not recorded), never unwinding into C.
fn as_recorder(f: impl FnOnce()) {
    let _ = BUSY.try_with(|b| b.set(true));
    let _ = catch_unwind(AssertUnwindSafe(f));
    let _ = BUSY.try_with(|b| b.set(false));
}

/// Fills in who sent it and sends one record; a record that cannot be sent is counted.
fn emit(rec: &mut Rec, tail: &[u8]) {
    if !ffi::configured() {
        return;
    }
    let pid = ffi::pid();
    if HELLO_PID.swap(pid, Ordering::Relaxed) != pid {
        send_hello(pid);
    }
    rec.pid = pid;
    rec.tid = ffi::tid();
    rec.lost = u32::try_from(LOST.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
    let mut buf = [0u8; HEADER + MAX_TAIL];
    let mut head = [0u8; HEADER];
    rec.encode(&mut head);
    buf[..HEADER].copy_from_slice(&head);
    let n = tail.len().min(MAX_TAIL);
    buf[HEADER..HEADER + n].copy_from_slice(&tail[..n]);
    if !ffi::send(&buf[..HEADER + n]) {
        LOST.fetch_add(1, Ordering::Relaxed);
    }
}

fn send_hello(pid: u32) {
    let mut rec = Rec::new(Kind::Hello);
    rec.pid = pid;
    rec.tid = ffi::tid();
    rec.t = ffi::now();
    rec.a = u64::from(ffi::ppid());
    let mut tail = [0u8; MAX_TAIL];
    let mut used = 0;
    let mut path = [0u8; 255];
    let n = ffi::exe_path(&mut path);
    wire::push_part(&mut tail, &mut used, &path[..n]);
    let mut head = [0u8; HEADER];
    rec.encode(&mut head);
    let mut buf = [0u8; HEADER + MAX_TAIL];
    buf[..HEADER].copy_from_slice(&head);
    buf[HEADER..HEADER + used].copy_from_slice(&tail[..used]);
    if !ffi::send(&buf[..HEADER + used]) {
        LOST.fetch_add(1, Ordering::Relaxed);
    }
}

/// At load: say this process runs with the interposer (so `tlsscope run` can tell a program
/// that made no OpenSSL call from one that ignored `LD_PRELOAD`).
pub(crate) fn hello() {
    let errno = ffi::errno();
    as_recorder(|| {
        if ffi::configured() {
            let pid = ffi::pid();
            if HELLO_PID.swap(pid, Ordering::Relaxed) != pid {
                send_hello(pid);
            }
        }
    });
    ffi::set_errno(errno);
}

/// One OpenSSL call: `real` makes it and returns (its result, application bytes moved).
/// Nested calls (SSL_connect → SSL_do_handshake) and calls made by the recorder just run.
pub(crate) fn ssl_call(
    op: u8,
    ssl: usize,
    len: u64,
    buf: usize,
    real: impl FnOnce() -> (i64, u64),
) -> i64 {
    let outer = depth() == 0 && !busy();
    if !outer {
        return real().0;
    }
    let _ = DEPTH.try_with(|d| d.set(1));
    let _ = CUR_SSL.try_with(|c| c.set(ssl));
    let _ = IO_FD.try_with(|c| c.set(-1));
    let t0 = ffi::now();
    let (ret, bytes) = real();
    let t1 = ffi::now();
    let errno = ffi::errno();
    as_recorder(|| {
        let failed = if op == wire::op::SSL_SHUTDOWN {
            ret < 0
        } else {
            ret <= 0
        };
        let mut rec = Rec::new(Kind::Call);
        rec.op = op;
        rec.ssl = ssl as u64;
        rec.t = t0;
        rec.dur = t1.saturating_sub(t0);
        rec.ret = ret;
        rec.err = if failed {
            ffi::ssl_get_error(ssl, ret)
        } else {
            0
        };
        rec.fd = ffi::ssl_get_fd(ssl);
        rec.a = len;
        rec.b = buf as u64;
        rec.c = bytes;
        let read = matches!(
            op,
            wire::op::SSL_READ | wire::op::SSL_READ_EX | wire::op::SSL_PEEK
        );
        // SSL_pending after a read: the decrypted bytes still inside OpenSSL, which a program
        // must take before it waits on the socket.
        let pending = if read { ffi::ssl_pending(ssl) } else { 0 };
        let mut tail = [0u8; MAX_TAIL];
        let mut used = 0;
        wire::push_part(
            &mut tail,
            &mut used,
            &u32::try_from(pending.max(0)).unwrap_or(0).to_le_bytes(),
        );
        if rec.err == 1 {
            // SSL_ERROR_SSL: OpenSSL's reason (read without taking it off the error queue).
            wire::push_part(&mut tail, &mut used, ffi::ssl_error_reason());
        }
        if rec.fd >= 0 {
            let _ = announce(rec.fd, ssl);
        }
        let finished = ffi::ssl_init_finished(ssl);
        if finished {
            rec.flags = wire::INIT_FINISHED;
        }
        emit(&mut rec, &tail[..used]);
        if matches!(rec.err, 2 | 3) {
            let fd = if rec.fd >= 0 {
                rec.fd
            } else {
                IO_FD.try_with(Cell::get).unwrap_or(-1)
            };
            levels(ssl, fd, t1, pending);
        }
        if finished
            && TLS_SENT
                .try_with(|s| s.replace(ssl))
                .is_ok_and(|was| was != ssl)
        {
            tls_info(ssl);
        }
    });
    let _ = DEPTH.try_with(|d| d.set(0));
    let _ = CUR_SSL.try_with(|c| c.set(0));
    ffi::set_errno(errno);
    ret
}

/// The buffer levels of `ssl`'s socket `fd` at `now` (`pending`: SSL_pending), unless this
/// thread sampled less than [`SAMPLE_EVERY`] ago or `fd` is not its socket.
fn levels(ssl: usize, fd: i32, now: u64, pending: i32) {
    if fd < 0 || tracked(fd) != ssl {
        return;
    }
    let last = SAMPLED.try_with(Cell::get).unwrap_or(now);
    if last != 0 && now.saturating_sub(last) < SAMPLE_EVERY {
        return;
    }
    let _ = SAMPLED.try_with(|c| c.set(now));
    let l = ffi::levels(fd);
    let mut rec = Rec::new(Kind::Sock);
    rec.ssl = ssl as u64;
    rec.fd = fd;
    rec.t = now;
    rec.a = u64::from(l.inq);
    rec.b = u64::from(l.outq);
    rec.c = u64::from(l.notsent);
    rec.dur = u64::from(l.sndbuf) << 32 | u64::from(l.rcvbuf);
    rec.ret = i64::from(pending.max(0));
    let mut tail = [0u8; MAX_TAIL];
    let mut used = 0;
    if let Some((rtt, cwnd, wnd)) = l.tcp {
        for v in [rtt, cwnd, wnd] {
            tail[used..used + 4].copy_from_slice(&v.to_le_bytes());
            used += 4;
        }
    }
    emit(&mut rec, &tail[..used]);
}

/// The negotiated version, cipher and server name after a handshake call succeeded.
fn tls_info(ssl: usize) {
    let mut tail = [0u8; MAX_TAIL];
    let mut used = 0;
    let (version, cipher, sni, resumed) = ffi::tls_params(ssl);
    wire::push_part(&mut tail, &mut used, version);
    wire::push_part(&mut tail, &mut used, cipher);
    wire::push_part(&mut tail, &mut used, sni);
    let mut rec = Rec::new(Kind::Tls);
    rec.ssl = ssl as u64;
    rec.t = ffi::now();
    rec.a = u64::from(resumed);
    rec.b = ffi::ssl_verify_result(ssl) as u64;
    emit(&mut rec, &tail[..used]);
}

/// First I/O of `ssl` on socket `fd`: send its addresses (once per pair, once it is
/// connected). False when `fd` is not a socket.
fn announce(fd: i32, ssl: usize) -> bool {
    if tracked(fd) == ssl {
        return true;
    }
    let mut tail = [0u8; MAX_TAIL];
    let mut used = 0;
    let Some(connected) = ffi::sock_names(fd, &mut tail, &mut used) else {
        return false; // not a socket (a file OpenSSL read inside the call)
    };
    if !connected {
        return true; // announced on its first I/O once connected
    }
    fds::set_ssl(fd, ssl);
    let mut rec = Rec::new(Kind::Peer);
    rec.ssl = ssl as u64;
    rec.fd = fd;
    rec.t = ffi::now();
    emit(&mut rec, &tail[..used]);
    true
}

/// A socket read (`dir` 0) or write (1) inside an OpenSSL call, made at `t0`.
pub(crate) fn io(fd: i32, dir: u8, want: u64, ret: i64, t0: u64) {
    let errno = ffi::errno();
    let ssl = CUR_SSL.try_with(Cell::get).unwrap_or(0);
    let t1 = ffi::now();
    as_recorder(|| {
        if !announce(fd, ssl) {
            return;
        }
        let _ = IO_FD.try_with(|c| c.set(fd));
        let mut rec = Rec::new(Kind::Io);
        rec.op = dir;
        rec.ssl = ssl as u64;
        rec.fd = fd;
        rec.t = t0;
        rec.dur = t1.saturating_sub(t0);
        rec.a = want;
        rec.ret = ret;
        rec.err = if ret < 0 { errno } else { 0 };
        emit(&mut rec, &[]);
    });
    ffi::set_errno(errno);
}

/// One socket of a readiness call: what was asked (`interest`) and reported (`ready`).
#[derive(Clone, Copy, Default)]
pub(crate) struct Watched {
    pub(crate) fd: i32,
    pub(crate) ssl: usize,
    pub(crate) interest: u64,
    pub(crate) ready: u64,
}

/// A readiness call on sockets of SSL objects, begun at `t0`, that returned `ret`.
pub(crate) fn wait(call: u8, watched: &[Watched], ret: i64, t0: u64) {
    let errno = ffi::errno();
    let t1 = ffi::now();
    as_recorder(|| {
        for w in watched {
            let mut rec = Rec::new(Kind::Wait);
            rec.op = call;
            rec.ssl = w.ssl as u64;
            rec.fd = w.fd;
            rec.t = t0;
            rec.dur = t1.saturating_sub(t0);
            rec.a = w.interest;
            rec.b = w.ready;
            rec.ret = ret;
            rec.err = if ret < 0 { errno } else { 0 };
            emit(&mut rec, &[]);
        }
    });
    ffi::set_errno(errno);
}

/// SSL_new, SSL_free, SSL_set_fd / SSL_set_bio, and the program's own SSL_get_error and
/// SSL_pending (calls OpenSSL makes inside a recorded call are not the program's).
pub(crate) fn lifecycle(kind: Kind, ssl: usize, fd: i32, ret: i64, err: i32) {
    if !may_wait() {
        return;
    }
    let errno = ffi::errno();
    as_recorder(|| {
        if kind == Kind::Free {
            fds::each(|_, slot| {
                let _ = slot
                    .ssl
                    .compare_exchange(ssl, 0, Ordering::Relaxed, Ordering::Relaxed);
            });
        }
        let mut rec = Rec::new(kind);
        rec.ssl = ssl as u64;
        rec.fd = fd;
        rec.t = ffi::now();
        rec.ret = ret;
        rec.err = err;
        emit(&mut rec, &[]);
        if kind == Kind::SetFd && fd >= 0 {
            let _ = announce(fd, ssl);
        }
    });
    ffi::set_errno(errno);
}

/// The program closed `fd`: it no longer belongs to an SSL object.
pub(crate) fn closed(fd: i32) {
    if let Some(slot) = fds::get(fd) {
        slot.ssl.store(0, Ordering::Relaxed);
        slot.ep_of.store(0, Ordering::Relaxed);
    }
}

/// At exit: when records were lost, one last record whose count includes them, sent even if
/// that means waiting for room (the program is ending anyway).
pub(crate) fn bye() {
    let errno = ffi::errno();
    as_recorder(|| {
        let lost = LOST.load(Ordering::Relaxed);
        if lost == 0 || !ffi::configured() {
            return;
        }
        let mut rec = Rec::new(Kind::Bye);
        rec.pid = ffi::pid();
        rec.tid = ffi::tid();
        rec.t = ffi::now();
        rec.lost = u32::try_from(lost).unwrap_or(u32::MAX);
        let mut head = [0u8; HEADER];
        rec.encode(&mut head);
        ffi::send_blocking(&head);
    });
    ffi::set_errno(errno);
}

/// The info callback fired on `ssl` (inside an OpenSSL call, or `SSL_new`/`SSL_free`).
pub(crate) fn state(ssl: usize, where_: i32, ret: i32, text: &[u8]) {
    if busy() {
        return;
    }
    let errno = ffi::errno();
    as_recorder(|| {
        let mut rec = Rec::new(Kind::State);
        rec.ssl = ssl as u64;
        rec.t = ffi::now();
        rec.a = u64::from(where_ as u32);
        rec.ret = i64::from(ret);
        let mut tail = [0u8; MAX_TAIL];
        let mut used = 0;
        wire::push_part(&mut tail, &mut used, text);
        emit(&mut rec, &tail[..used]);
    });
    ffi::set_errno(errno);
}

/// The message callback saw a TLS message on `ssl`: its content type, first bytes and length.
pub(crate) fn msg(ssl: usize, write_p: bool, content: u8, head: u64, len: u64) {
    if busy() {
        return;
    }
    let errno = ffi::errno();
    as_recorder(|| {
        let mut rec = Rec::new(Kind::Msg);
        rec.ssl = ssl as u64;
        rec.t = ffi::now();
        rec.op = u8::from(write_p);
        rec.a = u64::from(content);
        rec.b = head;
        rec.c = len;
        emit(&mut rec, &[]);
    });
    ffi::set_errno(errno);
}
