//! SMTP and LMTP: greeting 220, `EHLO`/`LHLO` NAME, a 250 reply listing `STARTTLS`,
//! `STARTTLS`, 220 (RFC 3207), as `openssl s_client -starttls smtp|lmtp` does.

use super::lines::{not_offered, quote, refused, reply_code, take_line};
use super::{Dialogue, Say};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Hello,
    Starttls,
}

pub(crate) struct Smtp {
    verb: &'static str,
    host: String,
    state: State,
    hello: Vec<String>,
}

impl Smtp {
    pub(crate) fn new(verb: &'static str, host: &str) -> Smtp {
        Smtp {
            verb,
            host: host.to_string(),
            state: State::Greeting,
            hello: Vec::new(),
        }
    }
}

impl Dialogue for Smtp {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        while let Some(line) = take_line(input) {
            heard.push(line.clone());
            let (code, last) = reply_code(&line);
            match self.state {
                State::Greeting => {
                    if !last {
                        continue;
                    }
                    if code != Some(220) {
                        return Say::Refused(format!(
                            "the server's greeting is not 220 (ready): {}",
                            quote(&line)
                        ));
                    }
                    self.state = State::Hello;
                    return Say::line(format!("{} {}", self.verb, self.host));
                }
                State::Hello => {
                    self.hello.push(line.clone());
                    if !last {
                        continue;
                    }
                    if code != Some(250) {
                        return Say::Refused(format!(
                            "the server refused {}: {}",
                            self.verb,
                            quote(&line)
                        ));
                    }
                    let offered = self.hello.iter().any(|l| {
                        l.get(4..)
                            .is_some_and(|k| k.trim().eq_ignore_ascii_case("STARTTLS"))
                    });
                    if !offered {
                        return Say::Refused(not_offered(self.verb, &self.hello));
                    }
                    self.state = State::Starttls;
                    return Say::line("STARTTLS");
                }
                State::Starttls => {
                    if !last {
                        continue;
                    }
                    return if code == Some(220) {
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
