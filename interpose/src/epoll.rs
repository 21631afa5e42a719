//! epoll, which names a socket once (`epoll_ctl`) and then only by the caller's data: what each
//! socket was registered for, and which sockets of SSL objects an `epoll_wait` watches.

use crate::fds;
use crate::record::{may_wait, Watched, MAX_WAIT_FDS};
use crate::wire;
use std::sync::atomic::Ordering;

/// epoll_ctl succeeded: remember what `fd` was registered for (`del`: it no longer is).
pub(crate) fn registered(epfd: i32, fd: i32, del: bool, events: u32, data: u64) {
    if del {
        if let Some(slot) = fds::get(fd) {
            slot.ep_of.store(0, Ordering::Relaxed);
        }
        return;
    }
    let Some(slot) = fds::slot(fd) else {
        return;
    };
    slot.ep_of.store(
        u32::try_from(epfd).map_or(0, |e| e.saturating_add(1)),
        Ordering::Relaxed,
    );
    slot.ep_events.store(events, Ordering::Relaxed);
    slot.ep_data.store(data, Ordering::Relaxed);
}

/// The sockets of SSL objects registered with epoll instance `epfd`, with the events asked
/// for and their data; `n` of them.
pub(crate) fn watched(epfd: i32) -> ([(Watched, u64); MAX_WAIT_FDS], usize) {
    let mut out = [(Watched::default(), 0); MAX_WAIT_FDS];
    let mut n = 0;
    let key = u32::try_from(epfd).map_or(0, |e| e.saturating_add(1));
    if !may_wait() || key == 0 {
        return (out, 0);
    }
    fds::each(|fd, slot| {
        let ssl = slot.ssl.load(Ordering::Relaxed);
        if ssl == 0 || slot.ep_of.load(Ordering::Relaxed) != key || n == MAX_WAIT_FDS {
            return;
        }
        let events = slot.ep_events.load(Ordering::Relaxed);
        let w = Watched {
            fd,
            ssl,
            interest: bits(events),
            ready: 0,
        };
        out[n] = (w, slot.ep_data.load(Ordering::Relaxed));
        n += 1;
    });
    (out, n)
}

/// epoll's event bits as a record's interest / readiness bits.
pub(crate) fn bits(events: u32) -> u64 {
    let mut bits = 0;
    if events & (libc::EPOLLIN | libc::EPOLLPRI) as u32 != 0 {
        bits |= wire::wait::READ;
    }
    if events & libc::EPOLLOUT as u32 != 0 {
        bits |= wire::wait::WRITE;
    }
    if events & (libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLRDHUP) as u32 != 0 {
        bits |= wire::wait::HANGUP;
    }
    bits
}
