//! NNTP: greeting 200/201, `CAPABILITIES` (101 and a list ending with `.`, which must name
//! `STARTTLS`), `STARTTLS`, 382 (RFC 4642).

use super::lines::{not_offered, quote, refused, reply_code, take_line};
use super::{Dialogue, Say};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Greeting,
    CapaStatus,
    CapaList,
    Starttls,
}

#[derive(Default)]
pub(crate) struct Nntp {
    state: State,
    capa: Vec<String>,
}

impl Dialogue for Nntp {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            let (code, _) = reply_code(&line);
            match self.state {
                State::Greeting => {
                    if !matches!(code, Some(200 | 201)) {
                        return Say::Refused(format!(
                            "the server's greeting is not 200/201: {}",
                            quote(&line)
                        ));
                    }
                    self.state = State::CapaStatus;
                    return Say::line("CAPABILITIES");
                }
                State::CapaStatus => {
                    self.capa.push(line.clone());
                    if code != Some(101) {
                        return Say::Refused(not_offered("CAPABILITIES", &self.capa));
                    }
                    self.state = State::CapaList;
                }
                State::CapaList => {
                    if line != "." {
                        self.capa.push(line);
                        continue;
                    }
                    if !self.capa.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")) {
                        return Say::Refused(not_offered("CAPABILITIES", &self.capa));
                    }
                    self.state = State::Starttls;
                    return Say::line("STARTTLS");
                }
                State::Starttls => {
                    return if code == Some(382) {
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
