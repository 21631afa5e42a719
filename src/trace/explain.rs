//! Plain-language sentences: what a call's result means and what a correct program does next.

use super::event::{Dir, EventKind, Op, SslError};

/// What the result of `op` with `error` means, given the socket operations inside the call
/// (the kinds of the events inside it).
pub fn explain(op: Op, error: SslError, ret: i32, nested: &[&EventKind]) -> String {
    let wrote = nested
        .iter()
        .any(|k| matches!(k, EventKind::Io(io) if io.dir == Dir::Write && io.got > 0));
    let read = nested
        .iter()
        .any(|k| matches!(k, EventKind::Io(io) if io.dir == Dir::Read && io.got > 0));
    let name = op.name();
    let mut text = match error {
        SslError::None => match op.classic() {
            Op::Read | Op::Peek => format!(
                "{name} returned {ret}: that many bytes of application data were decrypted. Process them and call {name} again when you want more (check SSL_pending first: more may already be buffered)."
            ),
            Op::Write => format!(
                "{name} returned {ret}: OpenSSL took the data and the socket accepted the record(s). Continue with the next data."
            ),
            Op::DoHandshake => "SSL_do_handshake returned 1: the handshake is complete. Application data can flow now.".to_string(),
            Op::Shutdown => format!(
                "SSL_shutdown returned {ret}: {}",
                if ret == 1 {
                    "both close_notify alerts were exchanged; the TLS session is closed cleanly."
                } else {
                    "our close_notify was sent; call SSL_shutdown again (or read) to receive the peer's."
                }
            ),
            Op::KeyUpdate | Op::Renegotiate | Op::ReadEx | Op::WriteEx | Op::Connect | Op::Accept => format!(
                "{name} succeeded: the request is queued and goes out with the next SSL_read or SSL_write."
            ),
        },
        SslError::WantRead => format!(
            "WANT_READ: {name} cannot make progress until more data arrives from the peer. Wait until the socket is readable (poll/select/epoll), then call {name} again with the same arguments. Do not treat this as an error, and do not assume that only reading is involved: the next attempt may also write."
        ),
        SslError::WantWrite => format!(
            "WANT_WRITE: {name} produced TLS data that the socket would not take (our send queue or the peer's receive window is full). Wait until the socket is writable, then call {name} again with the same arguments{}. A program that only waits for readability here hangs.",
            if op.classic() == Op::Write { " (the same buffer and the same length)" } else { "" }
        ),
        SslError::ZeroReturn => "ZERO_RETURN: the peer sent close_notify; the TLS session is closed for reading. Stop reading; answer with SSL_shutdown to close cleanly.".to_string(),
        SslError::Syscall => format!(
            "SYSCALL: a socket operation inside {name} failed (or the peer closed TCP without close_notify). The connection is unusable: check errno and the socket I/O below, do not call SSL_shutdown, close the socket."
        ),
        SslError::Ssl => format!(
            "SSL: a protocol error inside {name} (see the OpenSSL error queue, e.g. a failed verification or an alert). The connection is unusable: do not call SSL_shutdown, close the socket."
        ),
        other => format!(
            "{}: an uncommon result of {name}; see SSL_get_error(3).",
            other.name()
        ),
    };
    match (op.classic(), error) {
        (Op::Read | Op::Peek, SslError::WantWrite) => text.push_str(
            " Here a read call had to write: a handshake message (e.g. a renegotiation ClientHello or a post-handshake Certificate) is waiting to go out.",
        ),
        (Op::Read | Op::Peek, _) if wrote => text.push_str(
            " Note that this read call wrote to the socket: a handshake ran inside it.",
        ),
        (Op::Write, _) if read => text.push_str(
            " Note that this write call read from the socket: a handshake ran inside it.",
        ),
        _ => {}
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn want_write_says_wait_for_writable_and_retry() {
        let text = explain(Op::Write, SslError::WantWrite, -1, &[]);
        assert!(text.contains("writable"));
        assert!(text.contains("same arguments"));
        let text = explain(Op::Read, SslError::WantWrite, -1, &[]);
        assert!(text.contains("read call had to write"));
    }
}
