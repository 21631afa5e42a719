//! What the recorder knows about each file descriptor: the SSL object whose socket it is, and
//! the epoll instance it is registered with (the events asked for and the caller's data). Any
//! descriptor a process can have is covered: the table is split into chunks of [`CHUNK`] slots,
//! each allocated the first time one of its descriptors belongs to an SSL object or an epoll
//! instance, so a program whose sockets sit at high numbers (after `dup2`, or with thousands of
//! files open) is seen like any other. Lookups never allocate and never lock.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Descriptors per chunk.
const CHUNK: usize = 4096;
/// Chunks: descriptors below `CHUNKS * CHUNK` (2^25, far above the kernel's default
/// `fs.nr_open` of 2^20) are covered; the unused chunk slots cost 24 bytes each.
const CHUNKS: usize = 8192;

/// One descriptor.
#[derive(Default)]
pub(crate) struct Slot {
    /// The SSL object whose I/O went through it (0: none known).
    pub(crate) ssl: AtomicUsize,
    /// The epoll instance it is registered with + 1 (0: none).
    pub(crate) ep_of: AtomicU32,
    pub(crate) ep_events: AtomicU32,
    pub(crate) ep_data: AtomicU64,
}

static TABLE: [OnceLock<Box<[Slot]>>; CHUNKS] = [const { OnceLock::new() }; CHUNKS];

/// The highest descriptor ever tied to an SSL object (scans for them stop there).
static HIGH: AtomicUsize = AtomicUsize::new(0);

fn split(fd: i32) -> Option<(usize, usize)> {
    let i = usize::try_from(fd).ok()?;
    (i / CHUNK < CHUNKS).then_some((i / CHUNK, i % CHUNK))
}

/// The slot of `fd` if it has one (never allocates).
pub(crate) fn get(fd: i32) -> Option<&'static Slot> {
    let (c, i) = split(fd)?;
    TABLE[c].get().map(|chunk| &chunk[i])
}

/// The slot of `fd`, its chunk allocated if needed; `None` only for a negative or huge number.
pub(crate) fn slot(fd: i32) -> Option<&'static Slot> {
    let (c, i) = split(fd)?;
    let chunk = TABLE[c].get_or_init(|| (0..CHUNK).map(|_| Slot::default()).collect());
    Some(&chunk[i])
}

/// Ties `fd` to `ssl` (its slot allocated if needed); false for a number with no slot.
pub(crate) fn set_ssl(fd: i32, ssl: usize) -> bool {
    let Some(s) = slot(fd) else {
        return false;
    };
    s.ssl.store(ssl, Ordering::Relaxed);
    HIGH.fetch_max(usize::try_from(fd).unwrap_or(0), Ordering::Relaxed);
    true
}

/// Every descriptor that has a slot, with it, in order, up to the highest one ever tied to an
/// SSL object.
pub(crate) fn each(mut f: impl FnMut(i32, &Slot)) {
    let high = HIGH.load(Ordering::Relaxed);
    for (c, chunk) in TABLE.iter().enumerate().take(high / CHUNK + 1) {
        let Some(chunk) = chunk.get() else {
            continue;
        };
        for (i, s) in chunk.iter().enumerate() {
            let fd = c * CHUNK + i;
            if fd > high {
                return;
            }
            f(i32::try_from(fd).unwrap_or(i32::MAX), s);
        }
    }
}
