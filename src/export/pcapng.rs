//! The pcapng export: a capture that Wireshark and tshark open decrypted with no settings. Fed
//! one event at a time (so a long trace to a file stays bounded in memory), it synthesizes each
//! connection's TCP flow around the exact bytes tlsscope read and wrote ([`super::tcp`]) and
//! embeds the session secrets as Decryption Secrets Blocks written before the packets they
//! decrypt. Packet times are the events' times on the wall clock of the trace's `setup` event.

use super::conn::{After, ConnCapture};
use super::tcp::Packet;
use crate::trace::{format, ConnId, Event, CAPTURE_LIMIT};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::blocks::unknown::UnknownBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, PcapError};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

/// pcapng block type of a Decryption Secrets Block, and its secrets type for a TLS key log
/// (pcapng specification, "Decryption Secrets Block").
const DECRYPTION_SECRETS_BLOCK: u32 = 0x0000_000A;
const SECRETS_TYPE_TLS_KEY_LOG: u32 = 0x544c_534b; // "TLSK"

/// What a capture holds, for the message that says it was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Connections with a TCP flow in the capture.
    pub connections: u32,
    pub packets: u64,
    /// Payload bytes in the packets.
    pub bytes: u64,
    /// Key log lines embedded.
    pub secrets: u32,
    /// Connections whose bytes reached [`CAPTURE_LIMIT`] (later bytes are not in the capture).
    pub cut: Vec<ConnId>,
}

/// Writes a pcapng capture from a stream of events (any number of connections).
pub struct PcapngWriter<W: Write> {
    out: PcapNgWriter<W>,
    conns: HashMap<ConnId, ConnCapture>,
    summary: CaptureSummary,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and the one interface all packets use.
    pub fn new(out: W) -> io::Result<PcapngWriter<W>> {
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            options: vec![
                SectionHeaderOption::UserApplication(Cow::Owned(format!(
                    "tlsscope {}",
                    env!("CARGO_PKG_VERSION")
                ))),
                SectionHeaderOption::Comment(Cow::Owned(format!(
                    "Written by tlsscope from the bytes its OpenSSL client read and wrote on each \
                     socket. The TCP payloads are exact; the Ethernet, IP and TCP headers \
                     (handshake, sequence and acknowledgement numbers, ACKs, FIN) are \
                     synthesized. Session secrets are embedded (Decryption Secrets Blocks). At \
                     most {} of raw bytes are kept per connection; a packet comment says where \
                     that limit was reached.",
                    format::bytes(CAPTURE_LIMIT)
                ))),
            ],
            ..SectionHeaderBlock::default()
        };
        let mut out = PcapNgWriter::with_section_header(out, section).map_err(io_error)?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: 0, // no limit
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("tlsscope")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "TCP/IP synthesized around the socket bytes of tlsscope's TLS client",
                )),
                InterfaceDescriptionOption::IfTsResol(9), // nanoseconds
            ],
        };
        out.write_pcapng_block(interface).map_err(io_error)?;
        Ok(PcapngWriter {
            out,
            conns: HashMap::new(),
            summary: CaptureSummary::default(),
        })
    }

    /// Takes one event: packets go out as soon as their connection's handshake is done (or the
    /// connection closed), preceded by the secrets derived so far.
    pub fn feed(&mut self, event: &Event) -> io::Result<()> {
        let id = event.conn;
        let conn = self.conns.entry(id).or_default();
        let was_cut = conn.cut;
        let mut packets = Vec::new();
        let after = conn.feed(event, &mut packets);
        if conn.cut && !was_cut {
            self.summary.cut.push(id);
        }
        if matches!(event.kind, crate::trace::EventKind::Connected(_)) {
            self.summary.connections += 1;
        }
        if after == After::Continue && !conn.released {
            conn.held.append(&mut packets);
            return Ok(());
        }
        // Released: the held packets (if any) first, then these.
        conn.released = true;
        let mut all = std::mem::take(&mut conn.held);
        all.append(&mut packets);
        self.release(id, all)?;
        if after == After::Closed {
            self.conns.remove(&id);
        }
        if after != After::Continue {
            // A handshake done or a connection closed: a live reader sees it now.
            self.out.get_mut().flush()?;
        }
        Ok(())
    }

    /// Writes the capture's end (connections still open are written as they are) and returns
    /// the output and what the capture holds.
    pub fn finish(mut self) -> io::Result<(W, CaptureSummary)> {
        let mut ids: Vec<ConnId> = self.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let mut packets = Vec::new();
            if let Some(conn) = self.conns.get_mut(&id) {
                let mut held = std::mem::take(&mut conn.held);
                conn.flush(id, &mut packets);
                held.append(&mut packets);
                packets = held;
            }
            self.release(id, packets)?;
        }
        let mut out = self.out.into_inner();
        out.flush()?;
        Ok((out, self.summary))
    }

    /// What was written so far.
    pub fn summary(&self) -> &CaptureSummary {
        &self.summary
    }

    /// Writes the connection's pending secrets (one block), then `packets`.
    fn release(&mut self, id: ConnId, packets: Vec<Packet>) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Ok(());
        };
        let epoch = conn.epoch_unix_ns.unwrap_or(0);
        if !conn.secrets.is_empty() {
            let mut text = String::new();
            for line in conn.secrets.drain(..) {
                text.push_str(&line);
                text.push('\n');
                self.summary.secrets += 1;
            }
            let body = secrets_block_body(text.as_bytes());
            let block = UnknownBlock::new(DECRYPTION_SECRETS_BLOCK, 0, &body);
            self.out.write_pcapng_block(block).map_err(io_error)?;
        }
        for packet in packets {
            let payload = packet.payload;
            let block = EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_nanos(epoch.saturating_add(packet.t)),
                original_len: packet.frame.len() as u32,
                data: Cow::Borrowed(&packet.frame),
                options: packet
                    .comment
                    .map(|c| vec![EnhancedPacketOption::Comment(Cow::Owned(c))])
                    .unwrap_or_default(),
            };
            self.out.write_pcapng_block(block).map_err(io_error)?;
            self.summary.packets += 1;
            self.summary.bytes += payload as u64;
        }
        Ok(())
    }
}

/// The body of a Decryption Secrets Block: secrets type, secrets length, the key log padded to
/// 32 bits, no options. pcap-file 2 has no type for this block, so it is written as an
/// `UnknownBlock`, which adds the block type and the total length before and after. Little
/// endian, like the section (see [`PcapngWriter::new`]).
fn secrets_block_body(key_log: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(8 + key_log.len() + 3);
    body.extend_from_slice(&SECRETS_TYPE_TLS_KEY_LOG.to_le_bytes());
    body.extend_from_slice(&(key_log.len() as u32).to_le_bytes());
    body.extend_from_slice(key_log);
    body.resize(body.len().next_multiple_of(4), 0);
    body
}

fn io_error(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// Writes the capture of `events` (all of one connection, or of several) to `out`.
pub fn write_capture(events: &[Event], out: impl Write) -> io::Result<CaptureSummary> {
    let mut writer = PcapngWriter::new(out)?;
    for event in events {
        writer.feed(event)?;
    }
    writer.finish().map(|(_, summary)| summary)
}
