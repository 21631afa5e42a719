//! One connection's TCP flow, synthesized around the bytes tlsscope read and wrote: the
//! three-way handshake, data segments with consistent sequence and acknowledgement numbers,
//! acknowledgements, and the ends (the peer's FIN or RST, our FIN). Headers and checksums are
//! built by `etherparse`; the payloads are exactly the socket's bytes.

use crate::trace::{Dir, Nanos};
use etherparse::{PacketBuilder, TcpHeader, TcpOptionElement};
use std::net::{IpAddr, SocketAddr};

/// Most payload bytes per segment. Loopback's MTU is 64 KiB, so real loopback captures carry
/// segments this large too; an IPv4 packet holds at most 65,535 bytes.
pub(crate) const MAX_SEGMENT: usize = 32 * 1024;
/// Window scale announced in the SYNs: the 16-bit window field then stands for 8 MiB, so a
/// long flight is never flagged as filling the peer's window.
const WINDOW_SCALE: u8 = 7;
const WINDOW: u16 = u16::MAX;
/// The receiver acknowledges at least this often, as a real one would.
const ACK_EVERY: u64 = 64 * 1024;
/// Locally administered MAC addresses for the two ends (the link layer is made up).
const OUR_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// One synthesized Ethernet frame and when it goes in the capture.
#[derive(Debug, Clone)]
pub(crate) struct Packet {
    pub t: Nanos,
    pub frame: Vec<u8>,
    /// TCP payload bytes in the frame.
    pub payload: usize,
    pub comment: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flags {
    Syn,
    SynAck,
    Ack,
    /// Data: ACK, with PSH on the last segment of a read or write.
    Data {
        push: bool,
    },
    Fin,
    Rst,
}

/// One direction's sequence space.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    /// Sequence number of this side's next byte.
    next: u32,
    /// Bytes sent since the other side last acknowledged.
    unacked: u64,
    fin: bool,
}

#[derive(Debug)]
pub(crate) struct Flow {
    local: SocketAddr,
    peer: SocketAddr,
    ours: Side,
    theirs: Side,
    reset: bool,
    /// The latest packet time: packets never go back in time within a flow (a call's event
    /// carries its start time, after the packets made inside it).
    last_t: Nanos,
}

impl Flow {
    /// The flow of connection `conn` between `local` and `peer`, and its handshake: our SYN at
    /// `syn_t` (when the connect began), the peer's SYN-ACK and our ACK at `t` (connected).
    pub(crate) fn open(
        conn: u32,
        local: SocketAddr,
        peer: SocketAddr,
        syn_t: Nanos,
        t: Nanos,
    ) -> (Flow, Vec<Packet>) {
        // Any initial sequence numbers do; distinct ones per connection read better.
        let isn = conn.wrapping_mul(0x9E37_79B9);
        let mut flow = Flow {
            local,
            peer,
            ours: Side {
                next: isn,
                ..Side::default()
            },
            theirs: Side {
                next: isn ^ 0x5555_5555,
                ..Side::default()
            },
            reset: false,
            last_t: syn_t.min(t),
        };
        let mut out = Vec::new();
        flow.send(syn_t, true, Flags::Syn, &[], &mut out);
        flow.ours.next = flow.ours.next.wrapping_add(1);
        flow.send(t, false, Flags::SynAck, &[], &mut out);
        flow.theirs.next = flow.theirs.next.wrapping_add(1);
        flow.send(t, true, Flags::Ack, &[], &mut out);
        (flow, out)
    }

    /// The bytes of one socket read (the peer sent them) or write (we sent them), as segments
    /// of at most [`MAX_SEGMENT`] bytes.
    pub(crate) fn data(&mut self, t: Nanos, dir: Dir, bytes: &[u8], out: &mut Vec<Packet>) {
        if self.reset || bytes.is_empty() {
            return;
        }
        let ours = dir == Dir::Write;
        let mut chunks = bytes.chunks(MAX_SEGMENT).peekable();
        while let Some(chunk) = chunks.next() {
            let push = chunks.peek().is_none();
            self.send(t, ours, Flags::Data { push }, chunk, out);
            let side = self.side(ours);
            side.next = side.next.wrapping_add(chunk.len() as u32);
            side.unacked += chunk.len() as u64;
            if side.unacked >= ACK_EVERY {
                self.send(t, !ours, Flags::Ack, &[], out);
            }
        }
    }

    /// Bytes that moved but were not captured: the sequence numbers advance past them, so the
    /// next packet shows the gap (Wireshark: "previous segment not captured").
    pub(crate) fn skip(&mut self, dir: Dir, moved: u64) {
        let side = self.side(dir == Dir::Write);
        side.next = side.next.wrapping_add(moved as u32);
    }

    /// Acknowledges what either side sent since the other last said anything (after a call or
    /// before a wait).
    pub(crate) fn ack_pending(&mut self, t: Nanos, out: &mut Vec<Packet>) {
        if self.reset {
            return;
        }
        if self.theirs.unacked > 0 {
            self.send(t, true, Flags::Ack, &[], out);
        }
        if self.ours.unacked > 0 {
            self.send(t, false, Flags::Ack, &[], out);
        }
    }

    /// The peer closed its side (a read returned 0): its FIN, and our ACK.
    pub(crate) fn peer_fin(&mut self, t: Nanos, out: &mut Vec<Packet>) {
        if self.reset || self.theirs.fin {
            return;
        }
        self.theirs.fin = true;
        self.send(t, false, Flags::Fin, &[], out);
        self.theirs.next = self.theirs.next.wrapping_add(1);
        self.send(t, true, Flags::Ack, &[], out);
    }

    /// The peer reset the connection (a read or write failed with ECONNRESET).
    pub(crate) fn peer_reset(&mut self, t: Nanos, out: &mut Vec<Packet>) {
        if self.reset {
            return;
        }
        self.send(t, false, Flags::Rst, &[], out);
        self.reset = true;
    }

    /// We closed the socket: our FIN and the peer's ACK of it (its own FIN only appears if
    /// it was seen, as an EOF).
    pub(crate) fn close(&mut self, t: Nanos, out: &mut Vec<Packet>) {
        if self.reset || self.ours.fin {
            return;
        }
        self.ours.fin = true;
        self.send(t, true, Flags::Fin, &[], out);
        self.ours.next = self.ours.next.wrapping_add(1);
        self.send(t, false, Flags::Ack, &[], out);
    }

    fn side(&mut self, ours: bool) -> &mut Side {
        if ours {
            &mut self.ours
        } else {
            &mut self.theirs
        }
    }

    /// Builds one segment from us (`ours`) or from the peer. Every segment but the SYN carries
    /// an acknowledgement of all the other side sent, which clears its unacked count.
    fn send(&mut self, t: Nanos, ours: bool, flags: Flags, payload: &[u8], out: &mut Vec<Packet>) {
        let t = t.max(self.last_t);
        self.last_t = t;
        let (from, to, seq, ack) = if ours {
            (self.local, self.peer, self.ours.next, self.theirs.next)
        } else {
            (self.peer, self.local, self.theirs.next, self.ours.next)
        };
        let (src_mac, dst_mac) = if ours {
            (OUR_MAC, PEER_MAC)
        } else {
            (PEER_MAC, OUR_MAC)
        };
        let link = PacketBuilder::ethernet2(src_mac, dst_mac);
        let ip = match (from.ip(), to.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => link.ipv4(a.octets(), b.octets(), 64),
            // One socket has one address family; a mixed pair is shown as IPv6 (v4-mapped).
            (a, b) => link.ipv6(v6(a), v6(b), 64),
        };
        let mut tcp = TcpHeader::new(from.port(), to.port(), seq, WINDOW);
        tcp.ack = flags != Flags::Syn;
        tcp.acknowledgment_number = if tcp.ack { ack } else { 0 };
        match flags {
            Flags::Syn | Flags::SynAck => {
                tcp.syn = true;
                // MSS and window scale, as in any SYN (Wireshark's analysis uses the scale).
                // Three small options always fit; without them the SYN is still valid.
                let _ = tcp.set_options(&[
                    TcpOptionElement::MaximumSegmentSize(MAX_SEGMENT as u16),
                    TcpOptionElement::Noop,
                    TcpOptionElement::WindowScale(WINDOW_SCALE),
                ]);
            }
            Flags::Data { push } => tcp.psh = push,
            Flags::Fin => tcp.fin = true,
            Flags::Rst => tcp.rst = true,
            Flags::Ack => {}
        }
        let builder = ip.tcp_header(tcp);
        let mut frame = Vec::with_capacity(builder.size(payload.len()));
        // Writing into a Vec fails only for a payload too large for one IP packet, which
        // MAX_SEGMENT rules out; such a packet would be left out rather than panic.
        if builder.write(&mut frame, payload).is_ok() {
            out.push(Packet {
                t,
                frame,
                payload: payload.len(),
                comment: None,
            });
        }
        if flags != Flags::Syn {
            self.side(!ours).unacked = 0;
        }
    }
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}
