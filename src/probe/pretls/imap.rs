//! IMAP: greeting `* OK`, `a1 CAPABILITY` (must list `STARTTLS`), `a2 STARTTLS`, `a2 OK`
//! (RFC 3501).

use super::lines::{not_offered, quote, refused, take_line};
use super::{Dialogue, Say};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Greeting,
    Capability,
    Starttls,
}

#[derive(Default)]
pub(crate) struct Imap {
    state: State,
    capa: Vec<String>,
}

fn lists_starttls(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    upper.starts_with("* CAPABILITY") && upper.split_whitespace().any(|w| w == "STARTTLS")
        || upper.starts_with("* OK [CAPABILITY") && upper.contains(" STARTTLS")
}

impl Dialogue for Imap {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            match self.state {
                State::Greeting => {
                    if !line.to_ascii_uppercase().starts_with("* OK") {
                        return Say::Refused(format!(
                            "the server's greeting is not * OK: {}",
                            quote(&line)
                        ));
                    }
                    self.state = State::Capability;
                    return Say::line("a1 CAPABILITY");
                }
                State::Capability => {
                    self.capa.push(line.clone());
                    let Some(status) = line.strip_prefix("a1 ") else {
                        continue;
                    };
                    if !status.to_ascii_uppercase().starts_with("OK") {
                        return Say::Refused(format!(
                            "the server refused CAPABILITY: {}",
                            quote(&line)
                        ));
                    }
                    if !self.capa.iter().any(|l| lists_starttls(l)) {
                        return Say::Refused(not_offered("CAPABILITY", &self.capa));
                    }
                    self.state = State::Starttls;
                    return Say::line("a2 STARTTLS");
                }
                State::Starttls => {
                    let Some(status) = line.strip_prefix("a2 ") else {
                        continue; // untagged lines before the answer
                    };
                    return if status.to_ascii_uppercase().starts_with("OK") {
                        Say::GoAhead
                    } else {
                        Say::Refused(refused(&line))
                    };
                }
            }
        }
        Say::More
    }
}
