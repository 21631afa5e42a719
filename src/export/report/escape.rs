//! Text into the page, safely: everything that reaches the report from a trace (certificate
//! names, alert and error texts, ALPN, state texts, a file's strings) passes through [`text`],
//! which escapes HTML's special characters and shows control and bidirectional-override
//! characters as `\u{…}` instead of letting them act.

/// `s` as HTML text (also safe inside a quoted attribute value): control and bidi characters
/// made visible the one way tlsscope shows them everywhere ([`crate::trace::escape`]), then
/// HTML's special characters escaped.
pub(crate) fn text(s: &str) -> String {
    let visible = crate::trace::escape::escape(s);
    let mut out = String::with_capacity(visible.len() + 8);
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
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
        assert_eq!(text("a\x1b[31mred\x07\n"), "a\\x1b[31mred\\x07\\n");
        assert_eq!(text("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
        assert_eq!(text("\u{85}"), "\\u{85}", "C1 controls too");
        assert_eq!(text("CN=café, O=例"), "CN=café, O=例");
    }
}
