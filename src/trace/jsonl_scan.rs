//! The fastest path of reading a JSONL line: one pass over the bytes of a flat JSON object
//! (integers, plain strings, booleans, `null`, an array of plain strings) straight into the fast
//! path's fields, with no serde machinery. It accepts a strict subset of what
//! [`super::jsonl_fast`]'s serde struct accepts and gives the same fields: anything else (an
//! escaped string, a fraction or exponent, a nested object, a duplicate field, a number out of
//! range, a value of another type than the field's) returns `None` and the line is read the
//! slower ways, so the accepted format and every error message stay theirs.

use super::jsonl_fast::Raw;

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// What a value was, as far as the fields need to know.
enum Value<'a> {
    /// An integer: its sign and magnitude (`-0` is 0, as serde reads it).
    Int(bool, u64),
    Str(&'a str),
    Bool(bool),
    Null,
    Strs(Vec<&'a str>),
}

/// Per byte inside a string: 0 plain, 1 the closing quote, 2 what the scanner leaves to serde
/// (a backslash or a control character). One table load per byte instead of three compares.
static IN_STRING: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 2;
        b += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 2;
    t
};

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// JSON whitespace but the newline: a line never holds one, and in a block of lines it is
    /// where the line ends.
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string without escapes or control characters (what serde can borrow).
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let mut at = start;
        loop {
            match IN_STRING[usize::from(*self.bytes.get(at)?)] {
                0 => at += 1,
                1 => break,
                _ => return None,
            }
        }
        self.at = at + 1;
        // Both ends are next to an ASCII quote, so on character boundaries.
        self.text.get(start..at)
    }

    /// A key: the string, and its first 8 bytes as one word (`u64::MAX` for a longer key; no
    /// UTF-8 string holds a 0xff byte) to match it on without comparing bytes.
    fn key(&mut self) -> Option<(u64, &'a str)> {
        self.eat(b'"')?;
        let start = self.at;
        // Most keys end within 8 bytes: their quote is found in one word, and the bytes before
        // it checked for a backslash or a control character the same way.
        if let Some(chunk) = self.bytes.get(start..start + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let w = u64::from_le_bytes(word);
            let quote = bytes_equal(w, b'"');
            if quote != 0 {
                let n = (quote.trailing_zeros() / 8) as usize;
                let below = (1u64 << (8 * n)).wrapping_sub(1);
                if (bytes_equal(w, b'\\') | bytes_below_space(w)) & below != 0 {
                    return None;
                }
                self.at = start + n + 1;
                return Some((w & below, self.text.get(start..start + n)?));
            }
        }
        let mut at = start;
        let mut word = 0u64;
        loop {
            let b = *self.bytes.get(at)?;
            match IN_STRING[usize::from(b)] {
                0 => {
                    if at - start < 8 {
                        word |= u64::from(b) << (8 * (at - start));
                    }
                    at += 1;
                }
                1 => break,
                _ => return None,
            }
        }
        self.at = at + 1;
        let word = if at - start > 8 { u64::MAX } else { word };
        Some((word, self.text.get(start..at)?))
    }

    /// An integer without fraction, exponent or leading zeros, that fits in 64 bits; its digits
    /// are summed as they are read (checked for overflow only past 19 of them).
    fn int(&mut self) -> Option<Value<'a>> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(d) = self
            .peek()
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|&d| d < 10)
        {
            n = n.wrapping_mul(10).wrapping_add(u64::from(d));
            self.at += 1;
        }
        let len = self.at - start;
        if len > 19 {
            n = self.bytes[start..self.at].iter().try_fold(0u64, |n, &b| {
                n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })?;
        }
        let plain = len != 0 && (len == 1 || self.bytes[start] != b'0');
        if !plain || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(Value::Int(negative, n))
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    fn value(&mut self) -> Option<Value<'a>> {
        self.skip_space();
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b't' => self.word(b"true").map(|_| Value::Bool(true)),
            b'f' => self.word(b"false").map(|_| Value::Bool(false)),
            b'n' => self.word(b"null").map(|_| Value::Null),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Some(Value::Strs(items));
                }
                loop {
                    items.push(self.string()?);
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(Value::Strs(items));
                        }
                        _ => return None,
                    }
                }
            }
            _ => self.int(),
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that equals `b` (exact up to the lowest one; above it a byte
/// may be marked wrongly, which the callers never look at).
fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The high bit of each byte of `w` under 0x20 (exact up to the lowest one, as above).
fn bytes_below_space(w: u64) -> u64 {
    w.wrapping_sub(ONES * 0x20) & !w & HIGHS
}

/// A key of up to 8 bytes as [`Cursor::key`] reads it.
const fn word(key: &str) -> u64 {
    let b = key.as_bytes();
    let mut w = 0;
    let mut i = 0;
    while i < b.len() {
        w |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

macro_rules! keys {
    ($($name:ident = $key:literal,)*) => { $(const $name: u64 = word($key);)* };
}

keys! {
    T = "t", CONN = "conn", KIND = "kind", PHASE = "phase", ID = "id", OP = "op", RET = "ret",
    ERROR = "error", DUR = "dur", CALL = "call", DIR = "dir", WANT = "want", GOT = "got",
    OS_ERROR = "os_error", FOR = "for", WOKE = "woke", WHERE = "where", TEXT = "text",
    CONTENT = "content", TYPE = "type", LEVEL = "level", LEN = "len", INQ = "inq", OUTQ = "outq",
    NOTSENT = "notsent", SNDBUF = "sndbuf", RCVBUF = "rcvbuf", RTT_US = "rtt_us",
    SND_CWND = "snd_cwnd", SND_WND = "snd_wnd",
}

/// Sets a field once (a second time is a duplicate field: serde refuses it, so do we).
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

fn unsigned(v: &Value) -> Option<u64> {
    match *v {
        Value::Int(false, n) | Value::Int(true, n @ 0) => Some(n),
        _ => None,
    }
}

fn signed(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(false, n) => i64::try_from(n).ok(),
        Value::Int(true, n) => 0i64.checked_sub_unsigned(n),
        _ => None,
    }
}

fn text<'a>(v: &Value<'a>) -> Option<&'a str> {
    match *v {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn boolean(v: &Value) -> Option<bool> {
    match *v {
        Value::Bool(b) => Some(b),
        _ => None,
    }
}

/// The fast path's fields of `line`, when it is a flat object this scanner is sure of.
pub(super) fn scan(line: &str) -> Option<Raw<'_>> {
    let mut r = Raw::default();
    (scan_at(line, 0, &mut r)? == line.len()).then_some(r)
}

/// The fast path's fields of the flat object starting at `at` in `block` (of lines), into `r`
/// (all unset at first), and where the object ends after the spaces following it: the caller
/// checks that a newline or the end of the block is there. `None` when the scanner is not sure
/// of it. (The fields are filled in place: returning them would copy some 500 bytes a line.)
pub(super) fn scan_at<'a>(block: &'a str, at: usize, r: &mut Raw<'a>) -> Option<usize> {
    let mut c = Cursor {
        text: block,
        bytes: block.as_bytes(),
        at,
    };
    *r = Raw::default();
    // `call` may be null or absent (both: outside any call), so whether it was seen is kept
    // apart from its value.
    let mut call_seen = false;
    c.eat(b'{')?;
    c.skip_space();
    if c.peek() == Some(b'}') {
        c.at += 1;
    } else {
        loop {
            let (key, name) = c.key()?;
            c.eat(b':')?;
            let v = c.value()?;
            match key {
                T => set(&mut r.t, unsigned(&v))?,
                CONN => set(&mut r.conn, unsigned(&v))?,
                KIND => set(&mut r.kind, text(&v))?,
                PHASE => set(&mut r.phase, text(&v))?,
                ID => set(&mut r.id, unsigned(&v))?,
                OP => set(&mut r.op, text(&v))?,
                RET => set(&mut r.ret, signed(&v))?,
                ERROR => set(&mut r.error, text(&v))?,
                DUR => set(&mut r.dur, unsigned(&v))?,
                CALL => {
                    if std::mem::replace(&mut call_seen, true) {
                        return None;
                    }
                    r.call = match v {
                        Value::Null => None,
                        _ => Some(unsigned(&v)?),
                    };
                }
                DIR => set(&mut r.dir, text(&v))?,
                WANT => set(&mut r.want, unsigned(&v))?,
                GOT => set(&mut r.got, unsigned(&v))?,
                // The writer says `null` for an operation that did not fail.
                OS_ERROR => match v {
                    Value::Null => {}
                    _ => set(&mut r.os_error, text(&v))?,
                },
                FOR => set(&mut r.interest, text(&v))?,
                WOKE => set(&mut r.woke, text(&v))?,
                WHERE => match v {
                    Value::Strs(items) => set(&mut r.where_, Some(items))?,
                    _ => return None,
                },
                TEXT => set(&mut r.text, text(&v))?,
                CONTENT => set(&mut r.content, text(&v))?,
                TYPE => set(&mut r.msg_type, text(&v))?,
                LEVEL => set(&mut r.level, text(&v))?,
                LEN => set(&mut r.len, unsigned(&v))?,
                INQ => set(&mut r.inq, unsigned(&v))?,
                OUTQ => set(&mut r.outq, unsigned(&v))?,
                NOTSENT => set(&mut r.notsent, unsigned(&v))?,
                SNDBUF => set(&mut r.sndbuf, unsigned(&v))?,
                RCVBUF => set(&mut r.rcvbuf, unsigned(&v))?,
                RTT_US => set(&mut r.rtt_us, unsigned(&v))?,
                SND_CWND => set(&mut r.snd_cwnd, unsigned(&v))?,
                SND_WND => set(&mut r.snd_wnd, unsigned(&v))?,
                // A key over 8 bytes, or another field: ignored, as serde ignores it.
                _ => match name {
                    "would_block" => set(&mut r.would_block, boolean(&v))?,
                    "request_update" => set(&mut r.request_update, boolean(&v))?,
                    "ssl_pending" => set(&mut r.ssl_pending, unsigned(&v))?,
                    _ => {}
                },
            }
            c.skip_space();
            match c.peek()? {
                b',' => c.at += 1,
                b'}' => {
                    c.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    c.skip_space();
    Some(c.at)
}

#[cfg(test)]
mod tests {
    use super::super::jsonl_fast::fast_line;
    use super::super::jsonl_read::from_line;
    use super::*;

    /// Every line the writer makes for the hot kinds is read by the scanner, and reads as the
    /// serde struct reads it.
    #[test]
    fn the_scanner_agrees_with_serde_on_what_it_accepts() {
        let lines = [
            r#"{"t":1,"conn":2,"kind":"call","id":3,"op":"SSL_write","ret":-1,"error":"WANT_WRITE","dur":9,"bytes":0}"#,
            r#"{"bytes":0,"conn":2,"dur":9,"error":"NONE","id":3,"kind":"call","op":"SSL_read","ret":5,"t":1}"#,
            r#"{"t":1,"conn":2,"kind":"io","call":3,"dir":"write","want":5,"got":0,"would_block":true,"os_error":"ECONNRESET"}"#,
            r#"{"t":1,"conn":2,"kind":"io","call":null,"dir":"read","want":5,"got":5,"would_block":false}"#,
            r#"{"t":1,"conn":2,"kind":"sock","inq":1,"outq":2,"sndbuf":3,"rcvbuf":4,"ssl_pending":0,"rtt_us":5,"snd_cwnd":6,"snd_wnd":7}"#,
            r#"{"t":1,"conn":2,"kind":"msg","call":1,"dir":"in","content":"alert","type":"close_notify","len":2}"#,
            r#"{"t":1,"conn":2,"kind":"state","call":1,"where":["loop","bogus"],"text":"before SSL initialization"}"#,
            r#" { "t" : 1 , "conn":2,"kind":"wait","for":"read","dur":5,"woke":"readable","extra":[]} "#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":"resolve","note":{"x":1}}"#,
        ];
        for line in lines {
            let fast = fast_line(line).unwrap_or_else(|| panic!("fast: {line}"));
            assert_eq!(Ok(fast), from_line(line), "{line}");
        }
        // Read by the scanner itself (the last has a nested value it leaves to serde).
        for line in &lines[..8] {
            assert!(scan(line).is_some(), "{line}");
        }
        assert!(scan(lines[8]).is_none());
    }

    /// Keys are matched on their first 8 bytes and length: a longer key that starts like a
    /// known one is another field, and ignored.
    #[test]
    fn a_key_is_known_only_whole() {
        let line = r#"{"t":1,"conn":2,"kind":"io","call":3,"dir":"write","want":5,"got":0,"would_block":true,"os_errorx":"ECONNRESET","snd_cwndx":1,"would_blockx":false,"tx":9}"#;
        let r = scan(line).expect("scanned");
        assert_eq!(
            (r.t, r.os_error, r.snd_cwnd, r.would_block),
            (Some(1), None, None, Some(true))
        );
        let fast = fast_line(line).expect("fast");
        assert_eq!(Ok(fast), from_line(line));
        assert!(scan(r#"{"t":1,"t":2}"#).is_none());
        assert!(scan(r#"{"t":123456789012345678901}"#).is_none());
        assert_eq!(
            scan(r#"{"t":18446744073709551615}"#).and_then(|r| r.t),
            Some(u64::MAX)
        );
        assert_eq!(
            scan(r#"{"ret":-9223372036854775808}"#).and_then(|r| r.ret),
            Some(i64::MIN)
        );
        assert!(scan(r#"{"t":18446744073709551616}"#).is_none());
    }

    /// The word-at-a-time key reading agrees with the byte loop on every short key, whatever
    /// follows it.
    #[test]
    fn keys_read_a_word_at_a_time_as_byte_by_byte() {
        let bytes: [&str; 8] = ["a", "\"", "\\", "\t", "\u{1f}", "é", "~", "\u{7f}"];
        let mut keys = vec![String::new()];
        for _ in 0..4 {
            let more: Vec<String> = keys
                .iter()
                .flat_map(|k| bytes.iter().map(move |b| format!("{k}{b}")))
                .collect();
            keys.extend(more);
        }
        for k in keys {
            for tail in ["", "\"", "\":1", "\"\"\"\"\"\"\"\""] {
                let text = format!("\"{k}{tail}");
                let mut fast = Cursor {
                    text: &text,
                    bytes: text.as_bytes(),
                    at: 0,
                };
                let mut slow = Cursor {
                    text: &text,
                    bytes: text.as_bytes(),
                    at: 0,
                };
                let want = slow.string().map(|s| (word_of(s), s));
                assert_eq!(fast.key(), want, "{text:?}");
                if want.is_some() {
                    assert_eq!(fast.at, slow.at, "{text:?}");
                }
            }
        }
    }

    fn word_of(s: &str) -> u64 {
        if s.len() > 8 {
            u64::MAX
        } else {
            word(s)
        }
    }

    #[test]
    fn what_the_scanner_is_not_sure_of_goes_to_the_slower_paths() {
        for line in [
            r#"{"t":1,"t":2,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":1,"conn":2,"kind":"io","call":1,"call":null,"dir":"read","want":5,"got":5,"would_block":false}"#,
            r#"{"t":1.0,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":1e3,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":01,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":-1,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":123456789012345678901,"conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":"1","conn":2,"kind":"phase","phase":"resolve"}"#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":"re\u0073olve"}"#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":null}"#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":"resolve"} x"#,
            r#"{"t":1,"conn":2,"kind":"phase","phase":"resolve""#,
            "{\"t\":1,\"conn\":2,\"kind\":\"phase\",\"phase\":\"res\tolve\"}",
            r#"[1,2]"#,
            "",
        ] {
            assert!(scan(line).is_none(), "{line}");
        }
    }
}
