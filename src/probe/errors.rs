//! Turning OpenSSL and OS errors into one-line reasons a person can act on. What the peer
//! controls (a certificate's name, its first bytes) is escaped: the reason is printed as is.

use super::tls_setup::VerifyFailure;
use crate::trace::escape::escape;
use openssl::error::ErrorStack;
use openssl::ssl::ErrorCode;

/// A failed OpenSSL call: what it returned, what `SSL_get_error` said, the OpenSSL error queue
/// (if it had entries) and, for `SYSCALL`, the OS error.
#[derive(Debug)]
pub(super) struct CallError {
    ret: i32,
    code: ErrorCode,
    io: Option<std::io::Error>,
    stack: Option<ErrorStack>,
}

impl CallError {
    pub(super) fn new(
        ret: i32,
        code: ErrorCode,
        io: Option<std::io::Error>,
        stack: ErrorStack,
    ) -> Self {
        let stack = (!stack.errors().is_empty()).then_some(stack);
        CallError {
            ret,
            code,
            io,
            stack,
        }
    }

    /// What the function returned (0 or -1 for the classic functions).
    pub(super) fn ret(&self) -> i32 {
        self.ret
    }

    pub(super) fn code(&self) -> ErrorCode {
        self.code
    }

    pub(super) fn io_error(&self) -> Option<&std::io::Error> {
        self.io.as_ref()
    }

    pub(super) fn ssl_error(&self) -> Option<&ErrorStack> {
        self.stack.as_ref()
    }
}

/// An OS error as `reason (ENAME)`.
pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => {
            let text = std::io::Error::from_raw_os_error(errno).to_string();
            let text = text
                .split(" (os error")
                .next()
                .unwrap_or(&text)
                .to_lowercase();
            format!("{text} ({})", crate::trace::names::errno_name(errno))
        }
        None => e.to_string(),
    }
}

/// The reasons in an OpenSSL error stack, joined.
fn stack_reason(stack: &ErrorStack) -> String {
    let reasons: Vec<String> = stack
        .errors()
        .iter()
        .map(|e| {
            e.reason()
                .map(str::to_string)
                .unwrap_or_else(|| format!("error code {:#x}", e.code()))
        })
        .collect();
    if reasons.is_empty() {
        "no further detail from OpenSSL".into()
    } else {
        reasons.join("; ")
    }
}

/// Whatever is left in this thread's OpenSSL error queue, as `: reason` (or nothing).
pub(super) fn error_queue() -> String {
    let stack = ErrorStack::get();
    if stack.errors().is_empty() {
        String::new()
    } else {
        format!(" ({})", stack_reason(&stack))
    }
}

/// Why an SSL call failed.
pub(super) fn ssl_reason(e: &CallError) -> String {
    if let Some(io) = e.io_error() {
        return io_reason(io);
    }
    if let Some(stack) = e.ssl_error() {
        return stack_reason(stack);
    }
    format!("SSL_get_error {}", e.code().as_raw())
}

/// The peer closed TCP without close_notify: OpenSSL 3 reports "unexpected eof while reading";
/// older versions report SYSCALL with no error.
pub(super) fn is_unexpected_eof(e: &CallError, eof_seen: bool) -> bool {
    match e.code() {
        ErrorCode::SYSCALL => e.io_error().is_none(),
        ErrorCode::SSL => {
            eof_seen
                && e.ssl_error().is_some_and(|s| {
                    s.errors()
                        .iter()
                        .any(|x| x.reason().is_some_and(|r| r.contains("unexpected eof")))
                })
        }
        _ => false,
    }
}

/// An error for an internal inconsistency (no TLS stream), which callers report and close.
pub(super) fn internal() -> CallError {
    CallError::new(-1, ErrorCode::SSL, None, ErrorStack::get())
}

/// Shows bytes as text where printable, escaped otherwise.
pub(super) fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect()
}

/// What to do about a failed verification, by its `X509_V_ERR_*` code: trusting another issuer
/// does not help a certificate made out for another name, or one out of its validity period.
fn verify_advice(code: i32) -> &'static str {
    use openssl_sys as ffi;
    match code {
        ffi::X509_V_ERR_HOSTNAME_MISMATCH
        | ffi::X509_V_ERR_IP_ADDRESS_MISMATCH
        | ffi::X509_V_ERR_EMAIL_MISMATCH => {
            "connect with a name the certificate is valid for (or check it with --sni NAME), or use --insecure to skip verification"
        }
        ffi::X509_V_ERR_CERT_HAS_EXPIRED | ffi::X509_V_ERR_CERT_NOT_YET_VALID => {
            "the server must renew its certificate (check this machine's clock too), or use --insecure to skip verification"
        }
        _ => "use --ca FILE to trust its issuer or --insecure to skip verification",
    }
}

/// Why the handshake failed, naming the certificate for verification failures and showing the
/// first bytes of a peer that is not speaking TLS.
pub(super) fn handshake_reason(
    e: &CallError,
    verify: Option<&VerifyFailure>,
    first_bytes: &[u8],
) -> String {
    if let Some(v) = verify {
        return format!(
            "certificate verification failed: {} (certificate at depth {}: {}); {}",
            escape(&v.reason),
            v.depth,
            escape(&v.subject),
            verify_advice(v.code)
        );
    }
    // A TLS server's first byte is a handshake (22) or alert (21) record.
    if let Some(&first) = first_bytes.first() {
        if !(20..=23).contains(&first) {
            return format!(
                "the peer is not speaking TLS: its first bytes were \"{}\"",
                printable(first_bytes)
            );
        }
    }
    format!("TLS handshake failed: {}", ssl_reason(e))
}
