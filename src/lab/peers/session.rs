//! TLS I/O shared by every peer: one bounded read, reading a request, writing everything,
//! graceful close (close_notify both ways), draining, and waiting out a renegotiation.

use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, ShutdownResult};

use super::peer::{again, describe, Peer, Step, Stream, PATIENCE};

/// What a read returned: application data, the client's close_notify, or nothing yet.
pub(super) enum Got {
    Data(usize),
    Closed,
    Nothing,
}

impl Peer {
    /// One SSL_read with the socket timeout; retries are the caller's business.
    pub(super) fn read_some(&self, s: &mut Stream, buf: &mut [u8]) -> Step<Got> {
        match s.ssl_read(buf) {
            Ok(n) => Ok(Got::Data(n)),
            Err(e) if e.code() == ErrorCode::ZERO_RETURN => Ok(Got::Closed),
            Err(e) if again(&e) => Ok(Got::Nothing),
            Err(e) => Err(format!("SSL_read: {}", describe(&e))),
        }
    }

    /// Reads the client's request: up to an empty line (HTTP), or a line followed by a short
    /// silence, or the client's close_notify. Bounded in size and time.
    pub(super) fn read_request(&self, s: &mut Stream) -> Step<Vec<u8>> {
        let deadline = Instant::now() + PATIENCE;
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        let mut last_data = Instant::now();
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Data(n) => {
                    req.extend_from_slice(&buf[..n]);
                    last_data = Instant::now();
                    if request_complete(&req) {
                        break;
                    }
                }
                Got::Closed => {
                    self.note("client closed before a complete request".to_string());
                    break;
                }
                Got::Nothing => {
                    if req.ends_with(b"\n") && last_data.elapsed() >= Duration::from_millis(300) {
                        break;
                    }
                    self.check(deadline, "the request")?;
                }
            }
        }
        self.note(format!("request: {}", first_line(&req)));
        Ok(req)
    }

    pub(super) fn write_all(&self, s: &mut Stream, mut data: &[u8]) -> Step<()> {
        while !data.is_empty() {
            let n = self.retry("SSL_write", PATIENCE, || s.ssl_write(data))?;
            data = data.get(n..).unwrap_or_default();
        }
        Ok(())
    }

    /// Sends close_notify, then waits (briefly) for the client's.
    pub(super) fn close_tls(&self, s: &mut Stream) -> Step<()> {
        let first = self.retry("SSL_shutdown", PATIENCE, || s.shutdown())?;
        if first == ShutdownResult::Received {
            self.note("close_notify sent and received".to_string());
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        loop {
            match self.read_some(s, &mut buf) {
                Ok(Got::Closed) => {
                    self.note("close_notify sent and received".to_string());
                    return Ok(());
                }
                Ok(Got::Data(_)) | Ok(Got::Nothing) => {
                    self.check(deadline, "the client's close_notify")?
                }
                Err(e) => return Err(format!("close_notify sent; then {e}")),
            }
        }
    }

    /// Reads and discards whatever the client sends until it closes, the deadline, or stop;
    /// answers a close_notify with ours.
    pub(super) fn drain(&self, s: &mut Stream, max: Duration) -> Step<()> {
        let deadline = Instant::now() + max;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Data(_) | Got::Nothing => self.check(deadline, "the client to close")?,
                Got::Closed => {
                    self.note("client sent close_notify".to_string());
                    let _ = self.retry("SSL_shutdown", Duration::from_secs(2), || s.shutdown());
                    return Ok(());
                }
            }
        }
    }

    /// Reads until renegotiation has completed (the Finished message changed) or the deadline.
    pub(super) fn finish_renegotiation(&self, s: &mut Stream, before: &[u8]) -> Step<()> {
        let deadline = Instant::now() + PATIENCE;
        let mut buf = [0u8; 4096];
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Closed => return Err("client closed during renegotiation".to_string()),
                Got::Data(n) => self.note(format!("{n} bytes of data during renegotiation")),
                Got::Nothing => {}
            }
            if finished(s) != before {
                self.note("renegotiation complete".to_string());
                return Ok(());
            }
            self.check(deadline, "the renegotiation")?;
        }
    }
}

pub(super) fn finished(s: &Stream) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let n = s.ssl().finished(&mut buf).min(buf.len());
    buf[..n].to_vec()
}

/// An HTTP request ends with an empty line; anything else with its first newline.
fn request_complete(req: &[u8]) -> bool {
    if req.len() >= 64 * 1024 || req.windows(4).any(|w| w == b"\r\n\r\n") {
        return true;
    }
    let Some(end) = req.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let line = String::from_utf8_lossy(&req[..end]);
    !line.trim_end().contains(" HTTP/")
}

fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    if text.is_empty() {
        "(empty)".to_string()
    } else {
        text.chars().take(80).collect()
    }
}
