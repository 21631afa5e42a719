//! Unit tests of the capture writer: block order, sequence and acknowledgement numbers, segment
//! sizes, coalesced reads, the ends, and the capture limit, read back with pcap-file and
//! etherparse.

use super::tcp::MAX_SEGMENT;
use super::write_capture;
use crate::trace::*;
use pcap_file::pcapng::{Block, PcapNgReader};

const LOCAL: &str = "127.0.0.1:50000";
const PEER: &str = "127.0.0.1:443";

/// One parsed TCP segment of the capture.
#[derive(Debug)]
struct Seg {
    ours: bool,
    seq: u32,
    ack: u32,
    syn: bool,
    fin: bool,
    rst: bool,
    payload: Vec<u8>,
    comment: Option<String>,
    ts_ns: u128,
}

/// Events of a connection, in the order the engine emits them.
struct Script {
    t: Nanos,
    events: Vec<Event>,
}

impl Script {
    fn new() -> Script {
        let mut s = Script {
            t: 0,
            events: Vec::new(),
        };
        s.push(EventKind::Setup(Box::new(Setup {
            epoch_unix_ns: Some(1_700_000_000_000_000_000),
            ..Setup::default()
        })));
        s.push(EventKind::Phase(Phase::Connect));
        s.push(EventKind::Connected(Box::new(Endpoints {
            local: LOCAL.parse().expect("addr"),
            peer: PEER.parse().expect("addr"),
        })));
        s
    }

    fn push(&mut self, kind: EventKind) {
        self.t += 1000;
        self.events.push(Event {
            t: self.t,
            conn: 1,
            kind,
        });
    }

    /// A socket operation: its io event, then its wire event (as the tap records them).
    fn io(&mut self, call: CallId, dir: Dir, data: &[u8], moved: u32) {
        self.push(EventKind::Io(Io::new(
            Some(call),
            dir,
            moved,
            moved,
            false,
            None,
        )));
        self.events.push(Event {
            t: self.t,
            conn: 1,
            kind: EventKind::Wire(Box::new(Wire {
                call: Some(call),
                dir,
                moved,
                data: data.into(),
            })),
        });
    }

    fn read_blocks(&mut self, call: CallId) {
        self.push(EventKind::Io(Io::new(
            Some(call),
            Dir::Read,
            5,
            0,
            true,
            None,
        )));
    }

    fn call(&mut self, id: CallId, op: Op) {
        self.push(EventKind::Call(Call::new(id, op, 1, SslError::None, 10)));
    }

    fn close(&mut self) {
        self.push(EventKind::Close(Close {
            reason: CloseReason::Clean,
            notify_sent: true,
            notify_received: true,
            workload_done: true,
        }));
    }
}

/// The blocks of a capture: (block type, secrets text) for the others, segments for packets.
fn parse(bytes: &[u8]) -> (Vec<u32>, Vec<String>, Vec<Seg>) {
    let local: std::net::SocketAddr = LOCAL.parse().expect("addr");
    let mut reader = PcapNgReader::new(bytes).expect("a pcapng section header");
    let (mut types, mut secrets, mut segs) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(block) = reader.next_block() {
        match block.expect("a valid block") {
            Block::EnhancedPacket(p) => {
                types.push(6);
                let sliced = etherparse::SlicedPacket::from_ethernet(&p.data).expect("parses");
                let Some(etherparse::TransportSlice::Tcp(tcp)) = sliced.transport else {
                    panic!("not TCP");
                };
                let comment = p.options.iter().find_map(|o| match o {
                    pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption::Comment(
                        c,
                    ) => Some(c.to_string()),
                    _ => None,
                });
                segs.push(Seg {
                    ours: tcp.source_port() == local.port(),
                    seq: tcp.sequence_number(),
                    ack: tcp.acknowledgment_number(),
                    syn: tcp.syn(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                    payload: tcp.payload().to_vec(),
                    comment,
                    ts_ns: p.timestamp.as_nanos(),
                });
            }
            Block::Unknown(b) => {
                types.push(b.type_);
                let v = &b.value;
                assert_eq!(&v[..4], &0x544c_534bu32.to_le_bytes(), "secrets type TLSK");
                let len = u32::from_le_bytes([v[4], v[5], v[6], v[7]]) as usize;
                secrets.push(String::from_utf8(v[8..8 + len].to_vec()).expect("text"));
            }
            Block::InterfaceDescription(_) => types.push(1),
            other => panic!("unexpected block {other:?}"),
        }
    }
    (types, secrets, segs)
}

fn capture(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    write_capture(events, &mut out).expect("writes to memory");
    out
}

#[test]
fn sequence_numbers_follow_the_bytes_both_ways() {
    let upload: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let mut s = Script::new();
    s.io(1, Dir::Write, &upload, upload.len() as u32);
    s.read_blocks(1);
    s.push(EventKind::Secret("CLIENT_RANDOM AA BB".into()));
    s.call(1, Op::DoHandshake);
    // A record header and its body in one call: one segment.
    s.io(2, Dir::Read, b"hdr", 3);
    s.push(EventKind::Msg(Msg::new(
        Some(2),
        MsgDir::In,
        22,
        2,
        0,
        0,
        4,
    )));
    s.io(2, Dir::Read, b"body", 4);
    s.read_blocks(2);
    s.io(2, Dir::Read, b"later", 5);
    s.call(2, Op::DoHandshake);
    s.push(EventKind::Tls(Box::default()));
    s.io(3, Dir::Write, b"GET /", 5);
    s.call(3, Op::Write);
    s.push(EventKind::Io(Io::new(
        Some(4),
        Dir::Read,
        5,
        0,
        false,
        None,
    )));
    s.close();

    let (types, secrets, segs) = parse(&capture(&s.events));
    // (After the section header, which the reader takes first:) the interface, then the
    // secrets, before the first packet.
    assert_eq!(&types[..3], &[1, 0x0000_000A, 6]);
    assert_eq!(secrets, vec!["CLIENT_RANDOM AA BB\n".to_string()]);

    let (syn, synack, ack) = (&segs[0], &segs[1], &segs[2]);
    assert!(syn.syn && syn.ours && !syn.fin);
    assert!(synack.syn && !synack.ours && synack.ack == syn.seq.wrapping_add(1));
    assert!(!ack.syn && ack.ours && ack.seq == synack.ack && ack.ack == synack.seq.wrapping_add(1));
    assert_eq!(
        syn.ts_ns,
        1_700_000_000_000_000_000 + 2000,
        "the connect phase's time"
    );

    // Every segment starts where its side's previous one ended, and acknowledges everything the
    // other side sent before it.
    let (mut next_ours, mut next_theirs) = (ack.seq, ack.ack);
    let (mut sent, mut received) = (Vec::new(), Vec::new());
    for seg in &segs[3..] {
        assert!(seg.payload.len() <= MAX_SEGMENT, "{}", seg.payload.len());
        let (next, other, bytes) = if seg.ours {
            (&mut next_ours, next_theirs, &mut sent)
        } else {
            (&mut next_theirs, next_ours, &mut received)
        };
        assert_eq!(seg.seq, *next, "{seg:?}");
        assert_eq!(seg.ack, other, "{seg:?}");
        bytes.extend_from_slice(&seg.payload);
        *next = next.wrapping_add(seg.payload.len() as u32 + u32::from(seg.fin));
    }
    let mut expected = upload.clone();
    expected.extend_from_slice(b"GET /");
    assert_eq!(sent, expected, "our bytes, in order, exactly");
    assert_eq!(received, b"hdrbodylater");
    // 70,000 bytes in three segments; the header and body read in one call went as one.
    let data: Vec<&Seg> = segs.iter().filter(|s| !s.payload.is_empty()).collect();
    let sizes: Vec<usize> = data.iter().map(|s| s.payload.len()).collect();
    assert_eq!(
        sizes,
        vec![MAX_SEGMENT, MAX_SEGMENT, 70_000 - 2 * MAX_SEGMENT, 7, 5, 5]
    );
    assert!(data[3]
        .comment
        .as_deref()
        .is_some_and(|c| c.contains("2 socket reads of 7 B in call #2")));
    // The peer's FIN (the EOF), then ours.
    let fins: Vec<bool> = segs.iter().filter(|s| s.fin).map(|s| s.ours).collect();
    assert_eq!(fins, vec![false, true]);
    assert!(segs.iter().all(|s| !s.rst));
    // Never back in time.
    assert!(segs.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
}

#[test]
fn packets_wait_for_the_handshake_secrets() {
    let mut s = Script::new();
    s.io(1, Dir::Write, b"hello", 5);
    s.call(1, Op::DoHandshake);
    s.io(2, Dir::Read, b"server", 6);
    s.push(EventKind::Secret(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET AA BB".into(),
    ));
    s.push(EventKind::Secret(
        "SERVER_HANDSHAKE_TRAFFIC_SECRET AA CC".into(),
    ));
    s.call(2, Op::DoHandshake);
    s.push(EventKind::Tls(Box::default()));
    s.io(3, Dir::Write, b"data", 4);
    // A later secret (a renegotiation) goes out before the packets after it.
    s.push(EventKind::Secret("CLIENT_RANDOM DD EE".into()));
    s.call(3, Op::Write);
    s.io(4, Dir::Write, b"more", 4);
    s.close();
    let (types, secrets, _) = parse(&capture(&s.events));
    let dsb: Vec<usize> = (0..types.len()).filter(|&i| types[i] == 0xA).collect();
    assert_eq!(dsb.len(), 2, "{types:?}");
    assert_eq!(
        dsb[0], 1,
        "all handshake secrets before the first packet: {types:?}"
    );
    assert!(dsb[1] < types.len() - 1 && types[dsb[1] + 1] == 6);
    assert_eq!(
        secrets[0],
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET AA BB\nSERVER_HANDSHAKE_TRAFFIC_SECRET AA CC\n"
    );
    assert_eq!(secrets[1], "CLIENT_RANDOM DD EE\n");
}

#[test]
fn the_capture_limit_is_marked_and_skipped_bytes_keep_the_numbers() {
    let mut s = Script::new();
    s.io(1, Dir::Write, b"kept", 4);
    s.call(1, Op::Write);
    // The limit: 100 bytes written, 10 kept; then 50 more, none kept.
    s.io(2, Dir::Write, &[7u8; 10], 100);
    s.call(2, Op::Write);
    s.io(3, Dir::Write, &[], 50);
    s.call(3, Op::Write);
    s.close();
    let (_, _, segs) = parse(&capture(&s.events));
    let ours: Vec<&Seg> = segs.iter().filter(|s| s.ours && !s.syn).collect();
    let first_data = ours.iter().find(|s| !s.payload.is_empty()).expect("data");
    let fin = ours.iter().find(|s| s.fin).expect("our FIN");
    assert_eq!(
        fin.seq.wrapping_sub(first_data.seq),
        4 + 100 + 50,
        "the FIN's sequence number counts every byte that moved"
    );
    let noted = segs
        .iter()
        .filter_map(|s| s.comment.as_deref())
        .filter(|c| c.contains("capture limit of 64.0 MiB reached"))
        .count();
    assert_eq!(noted, 1);
    let summary = write_capture(&s.events, std::io::sink()).expect("writes");
    assert_eq!(summary.cut, vec![1]);
    assert_eq!(summary.bytes, 14);
}

#[test]
fn ipv6_endpoints_make_ipv6_packets_and_a_reset_ends_the_flow() {
    let mut s = Script::new();
    s.events[2].kind = EventKind::Connected(Box::new(Endpoints {
        local: "[::1]:50000".parse().expect("addr"),
        peer: "[::1]:443".parse().expect("addr"),
    }));
    s.io(1, Dir::Write, b"hi", 2);
    s.push(EventKind::Io(Io::new(
        Some(2),
        Dir::Read,
        5,
        0,
        false,
        Some(libc::ECONNRESET),
    )));
    s.push(EventKind::Close(Close {
        reason: CloseReason::Reset,
        notify_sent: false,
        notify_received: false,
        workload_done: false,
    }));
    let bytes = capture(&s.events);
    let mut reader = PcapNgReader::new(&bytes[..]).expect("pcapng");
    let mut v6 = 0;
    while let Some(Ok(block)) = reader.next_block() {
        if let Block::EnhancedPacket(p) = block {
            let sliced = etherparse::SlicedPacket::from_ethernet(&p.data).expect("parses");
            v6 += usize::from(matches!(sliced.net, Some(etherparse::NetSlice::Ipv6(_))));
        }
    }
    let (_, _, segs) = parse(&bytes);
    assert_eq!(v6, segs.len());
    let last = segs.last().expect("packets");
    assert!(
        last.rst && !last.ours,
        "the peer's RST ends it, no FIN after: {segs:?}"
    );
}
