//! LDAP: an ExtendedRequest for StartTLS (OID 1.3.6.1.4.1.1466.20037), answered by an
//! ExtendedResponse whose resultCode 0 means go ahead (RFC 4511 §4.14), with the BER message
//! `openssl s_client -starttls ldap` sends.

use super::lines::quote;
use super::{Dialogue, Say};

const OID: &[u8] = b"1.3.6.1.4.1.1466.20037";

/// LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] OID } }.
fn request() -> Vec<u8> {
    let mut out = vec![0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16];
    out.extend_from_slice(OID);
    out
}

/// A BER element: tag, content, and its whole length.
type Tlv<'a> = (u8, &'a [u8], usize);

/// One BER element at the start of `bytes`: its tag, its content, and the total length; `Ok(None)`
/// until it has all arrived.
fn tlv(bytes: &[u8]) -> Result<Option<Tlv<'_>>, String> {
    let (Some(&tag), Some(&first)) = (bytes.first(), bytes.get(1)) else {
        return Ok(None);
    };
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(format!("the server's answer has a BER length of {n} bytes"));
        }
        let Some(digits) = bytes.get(2..2 + n) else {
            return Ok(None);
        };
        (
            digits.iter().fold(0usize, |a, &b| a << 8 | usize::from(b)),
            2 + n,
        )
    };
    if len > 1 << 20 {
        return Err(format!("the server's answer claims {len} bytes"));
    }
    Ok(bytes.get(head..head + len).map(|c| (tag, c, head + len)))
}

/// The resultCode and diagnosticMessage of an ExtendedResponse message.
fn parse_response(message: &[u8]) -> Result<(u8, String), String> {
    let bad = || "the server's answer is not an LDAP ExtendedResponse".to_string();
    let (_, _, id_len) = tlv(message)?.ok_or_else(bad)?;
    let (tag, body, _) = tlv(&message[id_len..])?.ok_or_else(bad)?;
    if tag != 0x78 {
        return Err(format!(
            "the server answered with LDAP operation tag {tag:#04x}, not an ExtendedResponse"
        ));
    }
    let (tag, code, code_len) = tlv(body)?.ok_or_else(bad)?;
    if tag != 0x0a || code.len() != 1 {
        return Err(bad());
    }
    let rest = &body[code_len..];
    let diag = tlv(rest)
        .ok()
        .flatten()
        .and_then(|(_, _, dn_len)| tlv(&rest[dn_len..]).ok().flatten())
        .map(|(_, text, _)| String::from_utf8_lossy(text).into_owned())
        .unwrap_or_default();
    Ok((code[0], diag))
}

#[derive(Default)]
pub(crate) struct Ldap {
    asked: bool,
}

impl Dialogue for Ldap {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        if !self.asked {
            self.asked = true;
            return Say::Send {
                bytes: request(),
                shown: vec!["ExtendedRequest StartTLS (1.3.6.1.4.1.1466.20037)".into()],
            };
        }
        if input.first().is_some_and(|&t| t != 0x30) {
            return Say::Refused("the server's answer is not an LDAP message".into());
        }
        let total = match tlv(input) {
            Ok(Some((_, _, total))) => total,
            Ok(None) => return Say::More,
            Err(reason) => return Say::Refused(reason),
        };
        let message: Vec<u8> = input.drain(..total).collect();
        // The outer SEQUENCE's content holds the messageID and the operation.
        let inner = tlv(&message)
            .ok()
            .flatten()
            .map(|(_, c, _)| c)
            .unwrap_or_default();
        let (code, diag) = match parse_response(inner) {
            Ok(v) => v,
            Err(reason) => return Say::Refused(reason),
        };
        heard.push(format!(
            "ExtendedResponse resultCode {code} {}",
            quote(&diag)
        ));
        if code == 0 {
            Say::GoAhead
        } else {
            Say::Refused(format!(
                "STARTTLS refused by the server: LDAP resultCode {code} {}",
                quote(&diag)
            ))
        }
    }
}
