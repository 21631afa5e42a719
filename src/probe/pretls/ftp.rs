//! FTP: greeting 220, `AUTH TLS`, 234 (RFC 4217), as `openssl s_client -starttls ftp` does.

use super::lines::{quote, refused, reply_code, take_line};
use super::{Dialogue, Say};

#[derive(Default)]
pub(crate) struct Ftp {
    asked: bool,
}

impl Dialogue for Ftp {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            let (code, last) = reply_code(&line);
            if !last || code.is_none() {
                continue; // a multi-line reply's middle lines need not carry the code
            }
            if !self.asked {
                if code != Some(220) {
                    return Say::Refused(format!(
                        "the server's greeting is not 220 (ready): {}",
                        quote(&line)
                    ));
                }
                self.asked = true;
                return Say::line("AUTH TLS");
            }
            return if code == Some(234) {
                Say::GoAhead
            } else {
                Say::Refused(refused(&line))
            };
        }
        Say::More
    }
}
