//! The plaintext exchange before TLS (a STARTTLS dialogue, a proxy's CONNECT): one event per
//! line or message, boxed in [`super::event::EventKind::Plain`] so it costs the hot events nothing.

/// Longest text kept for one line or message; longer text is cut (marked with `…`).
pub const PLAIN_TEXT_LIMIT: usize = 512;

/// Which way a plaintext line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainDir {
    /// We sent it.
    Sent,
    /// The server (or proxy) sent it.
    Received,
    /// The server sent it after its go-ahead and before our ClientHello: never given to TLS
    /// (a plaintext-injection warning).
    Injected,
}

impl PlainDir {
    pub const ALL: [PlainDir; 3] = [PlainDir::Sent, PlainDir::Received, PlainDir::Injected];

    pub fn name(self) -> &'static str {
        match self {
            PlainDir::Sent => "sent",
            PlainDir::Received => "received",
            PlainDir::Injected => "injected",
        }
    }
}

/// One plaintext line (without its line ending) or a description of a binary message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plain {
    pub dir: PlainDir,
    /// As the peer sent it (not escaped: whatever prints it escapes it), at most
    /// [`PLAIN_TEXT_LIMIT`] bytes.
    pub text: Box<str>,
}

impl Plain {
    /// `text` cut to [`PLAIN_TEXT_LIMIT`] bytes on a character boundary.
    pub fn new(dir: PlainDir, text: &str) -> Plain {
        let text = if text.len() > PLAIN_TEXT_LIMIT {
            let mut end = PLAIN_TEXT_LIMIT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &text[..end])
        } else {
            text.to_string()
        };
        Plain {
            dir,
            text: text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let long = "é".repeat(PLAIN_TEXT_LIMIT);
        let p = Plain::new(PlainDir::Received, &long);
        assert!(p.text.len() <= PLAIN_TEXT_LIMIT + '…'.len_utf8());
        assert!(p.text.ends_with('…'));
        assert_eq!(Plain::new(PlainDir::Sent, "EHLO x").text.as_ref(), "EHLO x");
    }
}
