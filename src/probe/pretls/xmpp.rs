//! XMPP: our stream header to NAME, the server's `<stream:features>` (which must hold
//! `<starttls`), `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`, `<proceed` (RFC 6120), as
//! `openssl s_client -starttls xmpp` does. XML arrives in pieces, not lines: each piece read is
//! one message in the trace.

use super::lines::{not_offered, quote, refused};
use super::{Dialogue, Say};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Features,
    Starttls,
}

pub(crate) struct Xmpp {
    host: String,
    state: State,
    /// What the server sent in the current state (searched as a whole: tags may be split).
    seen: String,
}

impl Xmpp {
    pub(crate) fn new(host: &str) -> Xmpp {
        Xmpp {
            host: host.to_string(),
            state: State::Start,
            seen: String::new(),
        }
    }
}

/// Takes the input up to the end of the first tag that begins with `tag` (`None` until it has
/// arrived), so nothing after `<proceed/>` is consumed.
fn take_upto_tag_end(input: &mut Vec<u8>, tag: &str) -> Option<String> {
    let text = String::from_utf8_lossy(input).into_owned();
    let at = text.find(tag)?;
    let end = text[at..].find('>')? + at + 1;
    let taken: Vec<u8> = input.drain(..end.min(input.len())).collect();
    Some(String::from_utf8_lossy(&taken).into_owned())
}

impl Dialogue for Xmpp {
    fn next(&mut self, input: &mut Vec<u8>, heard: &mut Vec<String>) -> Say {
        match self.state {
            State::Start => {
                self.state = State::Features;
                Say::line(format!(
                    "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
                     xmlns='jabber:client' to='{}' version='1.0'>",
                    self.host.replace(['\'', '<', '>', '&'], "")
                ))
            }
            State::Features => {
                let Some(piece) = take_upto_tag_end(input, "</stream:features")
                    .or_else(|| take_upto_tag_end(input, "</stream:stream"))
                else {
                    return Say::More;
                };
                heard.push(piece.clone());
                self.seen.push_str(&piece);
                if self.seen.contains("</stream:stream") || self.seen.contains("<stream:error") {
                    return Say::Refused(format!(
                        "the server ended the stream: {}",
                        quote(&self.seen)
                    ));
                }
                if !self.seen.contains("<starttls") {
                    return Say::Refused(not_offered(
                        "stream features",
                        std::slice::from_ref(&self.seen),
                    ));
                }
                self.state = State::Starttls;
                self.seen.clear();
                Say::line("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            }
            State::Starttls => {
                if let Some(piece) = take_upto_tag_end(input, "<proceed") {
                    heard.push(piece);
                    return Say::GoAhead;
                }
                if let Some(piece) = take_upto_tag_end(input, "<failure")
                    .or_else(|| take_upto_tag_end(input, "</stream:stream"))
                {
                    heard.push(piece.clone());
                    return Say::Refused(refused(&piece));
                }
                Say::More
            }
        }
    }
}
