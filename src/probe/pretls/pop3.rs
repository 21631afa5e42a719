//! POP3: greeting `+OK`, `CAPA` (a list ending with `.`, which must name `STLS`), `STLS`,
//! `+OK` (RFC 2595).

use super::lines::{not_offered, quote, refused, take_line};
use super::{Dialogue, Say};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Greeting,
    CapaStatus,
    CapaList,
    Stls,
}

#[derive(Default)]
pub(crate) struct Pop3 {
    state: State,
    capa: Vec<String>,
}

impl Dialogue for Pop3 {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            match self.state {
                State::Greeting => {
                    if !line.starts_with("+OK") {
                        return Say::Refused(format!(
                            "the server's greeting is not +OK: {}",
                            quote(&line)
                        ));
                    }
                    self.state = State::CapaStatus;
                    return Say::line("CAPA");
                }
                State::CapaStatus => {
                    self.capa.push(line.clone());
                    if !line.starts_with("+OK") {
                        // No CAPA (RFC 1939 servers): try STLS anyway.
                        self.state = State::Stls;
                        return Say::line("STLS");
                    }
                    self.state = State::CapaList;
                }
                State::CapaList => {
                    if line != "." {
                        self.capa.push(line);
                        continue;
                    }
                    let offered = self.capa.iter().skip(1).any(|c| {
                        c.split_whitespace()
                            .next()
                            .is_some_and(|w| w.eq_ignore_ascii_case("STLS"))
                    });
                    if !offered {
                        return Say::Refused(not_offered("CAPA", &self.capa));
                    }
                    self.state = State::Stls;
                    return Say::line("STLS");
                }
                State::Stls => {
                    return if line.starts_with("+OK") {
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
