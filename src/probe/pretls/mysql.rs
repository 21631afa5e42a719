//! MySQL: the server's greeting packet (protocol 10, whose capability flags must include
//! CLIENT_SSL), then our 32-byte SSL request packet, after which TLS begins at once, with the
//! packet `openssl s_client -starttls mysql` sends.

use super::lines::quote;
use super::{Dialogue, Say};

/// CLIENT_SSL in the lower capability flags.
const CLIENT_SSL: u16 = 0x0800;

/// Header (length 32, sequence 1) and payload: capabilities with CLIENT_SSL, max packet size,
/// charset utf8, 23 reserved zero bytes.
pub(crate) const SSL_REQUEST: [u8; 36] = [
    0x20, 0x00, 0x00, 0x01, 0x85, 0xae, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x21, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

#[derive(Default)]
pub(crate) struct Mysql {
    sent: bool,
}

/// Reads the greeting's payload: the server version and the lower capability flags, or a reason.
fn greeting(payload: &[u8]) -> Result<(String, u16), String> {
    match payload.first() {
        Some(10) => {}
        Some(0xff) => {
            let message = String::from_utf8_lossy(payload.get(3..).unwrap_or_default());
            return Err(format!(
                "the server sent an error instead of its greeting: {}",
                quote(&message)
            ));
        }
        Some(v) => return Err(format!("the server's greeting has protocol {v}, not 10")),
        None => return Err("the server's greeting is empty".into()),
    }
    let nul = payload[1..]
        .iter()
        .position(|&b| b == 0)
        .ok_or("the server's greeting has no version string")?;
    let version = String::from_utf8_lossy(&payload[1..1 + nul]).into_owned();
    // After the version: connection id (4), auth data part 1 (8), filler (1), capabilities (2).
    let at = 1 + nul + 1 + 4 + 8 + 1;
    let caps = payload
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or("the server's greeting ends before its capability flags")?;
    Ok((version, caps))
}

impl Dialogue for Mysql {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        if self.sent {
            return Say::GoAhead;
        }
        if input.len() < 4 {
            return Say::More;
        }
        let len = usize::from(input[0]) | usize::from(input[1]) << 8 | usize::from(input[2]) << 16;
        if input.len() < 4 + len {
            return Say::More;
        }
        let packet: Vec<u8> = input.drain(..4 + len).collect();
        let (version, caps) = match greeting(&packet[4..]) {
            Ok(v) => v,
            Err(reason) => {
                heard.push(format!("greeting packet ({len} bytes)"));
                return Say::Refused(reason);
            }
        };
        heard.push(format!(
            "greeting: protocol 10, version {version}, capabilities {caps:#06x}"
        ));
        if caps & CLIENT_SSL == 0 {
            return Say::Refused(format!(
                "the server does not offer STARTTLS (its greeting: version {}, capabilities {caps:#06x} without CLIENT_SSL)",
                quote(&version)
            ));
        }
        self.sent = true;
        Say::Send {
            bytes: SSL_REQUEST.to_vec(),
            shown: vec!["SSL request packet (36 bytes, CLIENT_SSL)".into()],
        }
    }
}
