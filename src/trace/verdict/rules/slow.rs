//! The "slow" verdicts of a connection that worked: slow handshake round trips or a handshake
//! flight in pieces, a peer that reads slowly, an answer that trickles or came late.

use super::stalls::slow_answer;
use super::{Draft, STALL_AFTER};
use crate::trace::event::Phase;
use crate::trace::format;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

/// Finished (or progressing) but slow: the handshake, a peer that reads slowly, an answer that
/// trickles or came late; when two apply, the one that took more of the time.
pub(super) fn slow(f: &Facts) -> Option<Draft> {
    let rtt = u64::from(f.rtt_us) * 1000;
    // Through --proxy, the kernel measures the round trip to the proxy only.
    let (hop, beyond, measured) = if f.phase_began(Phase::Proxy).is_some() {
        (
            "to the proxy ",
            "between the proxy and the server, or in the server",
            "measured to the proxy we connected through, not to the server",
        )
    } else {
        (
            "",
            "beyond the first TCP hop (a proxy, or a slow server)",
            "measured to whoever terminates TCP",
        )
    };
    let slow_round_trip =
        f.longest_round_trip >= 100_000_000 && f.longest_round_trip >= rtt.saturating_mul(5);
    // Waiting for the answer for long, in pieces: the peer trickles (a wait we chose is idle
    // time and not counted here).
    let trickle =
        f.wait_read >= STALL_AFTER && f.app_in > 0 && (f.reads_with_data >= 3 || f.want_read >= 10);
    let handshake = f
        .handshake_done
        .unwrap_or(0)
        .saturating_sub(f.phase_began(Phase::Handshake).unwrap_or(0));
    // The server's flight can also come slowly after a quick first message (in pieces): the
    // handshake's time beyond our own CPU, against what its round trips should take.
    let handshake_waiting = handshake.saturating_sub(f.in_openssl.min(handshake));
    let slow_flight = handshake_waiting >= 200_000_000
        && handshake_waiting >= rtt.saturating_mul(5 * u64::from(f.round_trips.max(1)));
    let slow_handshake = slow_round_trip || slow_flight;
    // Built only when a verdict says it (the app asks for the verdict every frame).
    let round_trips = || {
        format!(
            "{} handshake round trip(s), the longest {}",
            f.round_trips,
            format::duration(f.longest_round_trip)
        )
    };
    // Both slow: the verdict names where more of the time went, the evidence the other.
    if slow_handshake && !(trickle && f.wait_read > handshake) {
        let summary = if slow_round_trip {
            format!("Slow but healthy: handshake round trips took up to {} while the TCP round trip {hop}is {}, so the delay is {beyond}.", format::duration(f.longest_round_trip), format::duration(rtt))
        } else {
            format!("Slow but healthy: the handshake took {} for {} round trip(s) while the TCP round trip {hop}is {}: the server's handshake messages came slowly, so the delay is {beyond}.", format::duration(handshake), f.round_trips, format::duration(rtt))
        };
        let mut d = Draft::new(Class::Slow, summary)
            .fact(round_trips(), None, None)
            .fact(
                format!("smoothed TCP rtt {} ({measured})", format::duration(rtt)),
                None,
                None,
            );
        if trickle {
            d = d.fact(
                format!(
                    "then the data came slowly too: {} while we waited {} to read",
                    format::bytes(f.app_in),
                    format::duration(f.wait_read)
                ),
                None,
                f.last_app_in,
            );
        }
        return Some(
            d.user("Nothing is stuck. Compare with a direct path to the server to find where the time goes.")
                .code("Nothing to fix in the client."),
        );
    }
    if f.wait_write >= STALL_AFTER && f.app_out > 0 {
        return Some(
            Draft::new(Class::SlowReader, format!("The peer reads slowly: we spent {} waiting to write {}.", format::duration(f.wait_write), format::bytes(f.app_out)))
                .fact(format!("{} call(s) returned WANT_WRITE", f.want_write), None, f.write_block_since)
                .user("Nothing to fix on our side: the peer consumes slowly.")
                .code("After WANT_WRITE, wait for writable and retry SSL_write with the same buffer and length."),
        );
    }
    if trickle {
        let mut d = Draft::new(Class::Slow, format!("Slow but healthy: the peer sends its data slowly, with pauses: {} arrived while we waited {} in all to read ({} SSL_read calls returned WANT_READ, {} returned data).", format::bytes(f.app_in), format::duration(f.wait_read), f.want_read, f.reads_with_data))
            .fact(format!("{} received at {} on average", format::bytes(f.app_in), format::rate(f.app_in, f.wait_read)), None, f.last_app_in);
        if slow_handshake {
            d = d.fact(
                format!(
                    "the handshake was slow too: it took {}, {} (TCP rtt {})",
                    format::duration(handshake),
                    round_trips(),
                    format::duration(rtt)
                ),
                None,
                None,
            );
        }
        return Some(
            d.user("Nothing is stuck: the server (or a proxy) sends in small pieces with pauses.")
                .code("Each WANT_READ means: wait for readable, call SSL_read again; a record that arrives in pieces is returned only once it is whole."),
        );
    }
    if let Some((t, dur)) = slow_answer(f) {
        return Some(
            Draft::new(
                Class::Slow,
                format!(
                    "Slow but healthy: the peer took {} to send data we waited for, then went on.",
                    format::duration(dur)
                ),
            )
            .fact(
                format!("a wait for readable of {}", format::duration(dur)),
                None,
                Some(t),
            )
            .user("Nothing is stuck; the server is slow to answer.")
            .code("Nothing to fix in the client."),
        );
    }
    None
}
