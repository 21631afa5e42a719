//! `intermittent`: the `ok` server, except that every [`INTERMITTENT_EVERY`]th connection it
//! accepts (the 50th, the 100th, …; never the first) reads the request and never answers, like
//! `no-response`. The count is the server's own accept count, so a run of sequential connections
//! always stalls on the same ones.

use super::http::hello;
use super::keep_alive::no_response;
use super::peer::{Peer, Step, Stream};
use crate::lab::scenario::INTERMITTENT_EVERY;

pub(in crate::lab) fn intermittent(peer: &Peer, s: &mut Stream) -> Step<()> {
    if peer.number().is_multiple_of(INTERMITTENT_EVERY) {
        no_response(peer, s)
    } else {
        hello(peer, s)
    }
}
