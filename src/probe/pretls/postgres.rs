//! PostgreSQL: the 8-byte SSLRequest (length 8, code 80877103), answered by one byte: `S` go
//! ahead, `N` no TLS, `E` an error message (an old server).

use super::lines::quote;
use super::{Dialogue, Say};

/// SSLRequest: Int32 length 8, Int32 1234 << 16 | 5679.
pub(crate) const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

#[derive(Default)]
pub(crate) struct Postgres {
    asked: bool,
}

impl Dialogue for Postgres {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        if !self.asked {
            self.asked = true;
            return Say::Send {
                bytes: SSL_REQUEST.to_vec(),
                shown: vec!["SSLRequest (8 bytes: length 8, code 80877103)".into()],
            };
        }
        let Some(&first) = input.first() else {
            return Say::More;
        };
        input.remove(0);
        match first {
            b'S' => {
                heard.push("S (the server accepts TLS)".into());
                Say::GoAhead
            }
            b'N' => {
                heard.push("N (the server refuses TLS)".into());
                Say::Refused(
                    "STARTTLS refused by the server: it answered the SSLRequest with \"N\" (SSL off)"
                        .into(),
                )
            }
            other => {
                let rest = String::from_utf8_lossy(input).into_owned();
                input.clear();
                let shown = format!("{}{rest}", char::from(other));
                heard.push(shown.clone());
                Say::Refused(format!(
                    "the server did not answer the SSLRequest with S or N: {}",
                    quote(&shown)
                ))
            }
        }
    }
}
