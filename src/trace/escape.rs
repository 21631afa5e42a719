//! Text a peer (or a trace file) controls, made safe to show: certificate names, ALPN, error
//! messages that quote them. Control characters (C0 including ESC, CR and LF, DEL, C1) and the
//! Unicode characters that reorder or break a line (bidi embeddings, overrides and isolates,
//! the line and paragraph separators) are shown as visible escapes, so a hostile certificate
//! cannot move the cursor, recolour the terminal, forge a line of the trace or flip text.
//!
//! Everything else, backslashes included, is kept as is: escaping is for display only, and
//! applying it twice gives the same text as once (an already escaped `\x1b` stays `\x1b`).
//! JSONL needs none of this: serde_json writes control characters as `\u001b` and so on.

use std::borrow::Cow;

/// True for a character that must not reach a terminal or a label raw.
fn must_show_escaped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Arabic letter mark, left-to-right / right-to-left marks.
            '\u{061c}' | '\u{200e}' | '\u{200f}'
            // Line and paragraph separators: a new line in many renderers.
            | '\u{2028}' | '\u{2029}'
            // Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI,
            // FSI, PDI).
            | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every control or reordering character shown as an escape: `\n`, `\r`, `\t`, `\x1b` for other
/// ASCII controls and DEL, `\u{85}` / `\u{202e}` for the rest. Borrows when nothing needs it.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(must_show_escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if must_show_escaped(c) && c.is_ascii() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if must_show_escaped(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for an optional value, with `none` in its place when absent.
pub fn escape_or<'a>(text: Option<&'a str>, none: &'a str) -> Cow<'a, str> {
    escape(text.unwrap_or(none))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_shown_as_escapes() {
        assert_eq!(
            escape("CN=\u{1b}[31mevil\nline\r\t\u{7f}\u{85}x"),
            "CN=\\x1b[31mevil\\nline\\r\\t\\x7f\\u{85}x"
        );
        assert_eq!(escape("O=\u{202e}gnp.exe"), "O=\\u{202e}gnp.exe");
        for c in [
            '\u{202a}', '\u{202d}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{200f}',
        ] {
            let shown = escape(&c.to_string()).into_owned();
            assert!(shown.starts_with("\\u{"), "{c:?} → {shown}");
        }
        assert_eq!(escape("\0"), "\\x00");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in [
            "O=tlsscope lab, CN=localhost",
            "Zürich 東京 ✓",
            "a\\x1b",
            "",
        ] {
            assert!(
                matches!(escape(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn escaping_twice_is_escaping_once() {
        let hostile = "\u{1b}]0;title\u{7}\n\u{202e}\u{9b}";
        let once = escape(hostile).into_owned();
        assert_eq!(escape(&once), once);
        assert!(!once.chars().any(must_show_escaped), "{once}");
    }

    #[test]
    fn a_missing_value_shows_its_stand_in() {
        assert_eq!(escape_or(None, "-"), "-");
        assert_eq!(escape_or(Some("h2\n"), "-"), "h2\\n");
    }
}
