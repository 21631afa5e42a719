//! ManageSieve: the server's capability lines ending with `OK` (which must list `"STARTTLS"`),
//! `STARTTLS`, `OK` (RFC 5804).

use super::lines::{not_offered, refused, take_line};
use super::{Dialogue, Say};

#[derive(Default)]
pub(crate) struct Sieve {
    asked: bool,
    capa: Vec<String>,
}

fn is_ok(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    upper == "OK" || upper.starts_with("OK ")
}

/// `OK`, `NO` and `BYE` end a response; anything else is a capability line.
fn is_status(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    ["OK", "NO", "BYE"]
        .iter()
        .any(|s| upper == *s || upper.starts_with(&format!("{s} ")))
}

impl Dialogue for Sieve {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            if !self.asked {
                self.capa.push(line.clone());
                if !is_status(&line) {
                    continue;
                }
                let offered = self
                    .capa
                    .iter()
                    .any(|c| c.trim().eq_ignore_ascii_case("\"STARTTLS\""));
                if !is_ok(&line) || !offered {
                    return Say::Refused(not_offered("greeting", &self.capa));
                }
                self.asked = true;
                return Say::line("STARTTLS");
            }
            if !is_status(&line) {
                continue;
            }
            return if is_ok(&line) {
                Say::GoAhead
            } else {
                Say::Refused(refused(&line))
            };
        }
        Say::More
    }
}
