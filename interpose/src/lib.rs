//! The `tlsscope run` interposer: an `LD_PRELOAD` library that records a program's OpenSSL calls
//! (what they returned, what `SSL_get_error` said, how long they took, on which thread), the
//! socket reads and writes made inside them and the readiness waits on their sockets, and sends
//! each as a datagram to the `tlsscope run` that started the program.
//!
//! - `ffi`: every exported symbol and every `unsafe` block: the hooks, which forward to the real
//!   functions found with `dlsym(RTLD_NEXT, ..)`, and the few system calls the recorder makes.
//! - `record`: what is recorded and when (per-thread nesting depth and reentrancy guard,
//!   lost-event counting). Safe code.
//! - `epoll`: what each socket was registered for with epoll, and which an `epoll_wait` watches.
//! - `fds`: per descriptor, the SSL object whose socket it is and its epoll registration, for
//!   any descriptor number. Safe code.
//! - `wire`: the datagram format, shared with `tlsscope` (`src/cli/run/`).

mod epoll;
mod fds;
mod ffi;
mod record;
#[allow(dead_code)]
mod wire;
