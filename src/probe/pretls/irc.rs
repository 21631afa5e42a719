//! IRC: `STARTTLS` at once, then the server's lines until numeric 670 (go ahead), 691 (refused)
//! or 421 (unknown command: not offered), as `openssl s_client -starttls irc` does.

use super::lines::{not_offered, refused, take_line};
use super::{Dialogue, Say};

#[derive(Default)]
pub(crate) struct Irc {
    asked: bool,
}

/// The command or numeric of an IRC line (after the optional `:prefix`).
fn command(line: &str) -> &str {
    let rest = match line.strip_prefix(':') {
        Some(after) => after.split_once(' ').map_or("", |(_, r)| r),
        None => line,
    };
    rest.split_whitespace().next().unwrap_or("")
}

impl Dialogue for Irc {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        if !self.asked {
            self.asked = true;
            return Say::line("STARTTLS");
        }
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            match command(&line) {
                "670" => return Say::GoAhead,
                "691" => return Say::Refused(refused(&line)),
                "421" => return Say::Refused(not_offered("STARTTLS", &[line])),
                _ => {} // notices and the like
            }
        }
        Say::More
    }
}
