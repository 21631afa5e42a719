//! Text into the page, safely: everything that reaches the report from a trace (certificate
//! names, alert and error texts, ALPN, state texts, a file's strings) passes through [`text`],
//! which escapes HTML's special characters and shows control and bidirectional-override
//! characters as `\u{…}` instead of letting them act.

use std::fmt::Write as _;

/// Characters that reorder the text around them (Unicode bidi embeddings, overrides and
/// isolates, and the marks): shown, not obeyed, so a name cannot disguise what follows it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` as HTML text (also safe inside a quoted attribute value).
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_controls_are_shown() {
        assert_eq!(
            text("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(text("a\x1b[31mred\x07\n"), "a\\u{1b}[31mred\\u{7}\\u{a}");
        assert_eq!(text("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
        assert_eq!(text("\u{85}"), "\\u{85}", "C1 controls too");
        assert_eq!(text("CN=café, O=例"), "CN=café, O=例");
    }
}
