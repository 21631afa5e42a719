//! Helpers for the line-based dialogues: taking one line, reading a reply code, quoting the
//! server in a reason.

use crate::trace::escape::escape;

/// Takes one complete line (up to `\n`) off `input`, without its line ending; `None` until a
/// whole line has arrived. Bytes that are not UTF-8 are replaced (the line is only shown).
pub(crate) fn take_line(input: &mut Vec<u8>) -> Option<String> {
    let end = input.iter().position(|&b| b == b'\n')?;
    let line: Vec<u8> = input.drain(..=end).collect();
    let text = &line[..end];
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    Some(String::from_utf8_lossy(text).into_owned())
}

/// An SMTP/FTP/NNTP reply line: its three-digit code, and whether it is the last line of the
/// reply (`250 ok`, not `250-more`).
pub(crate) fn reply_code(line: &str) -> (Option<u16>, bool) {
    let bytes = line.as_bytes();
    let code = (bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit))
        .then(|| line[..3].parse().ok())
        .flatten();
    let last = bytes.get(3) != Some(&b'-');
    (code, last)
}

/// The server's text in double quotes, escaped, for a one-line reason.
pub(crate) fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// Several lines quoted as one: `"a" / "b"`.
pub(crate) fn quote_all(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| quote(l))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// `STARTTLS refused by the server: "…"`.
pub(crate) fn refused(line: &str) -> String {
    format!("STARTTLS refused by the server: {}", quote(line))
}

/// `the server does not offer STARTTLS (its WHAT answer: …)`.
pub(crate) fn not_offered(what: &str, lines: &[String]) -> String {
    format!(
        "the server does not offer STARTTLS (its {what} answer: {})",
        quote_all(lines)
    )
}
