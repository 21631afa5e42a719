//! One connection's TLS calls: the OpenSSL client over its socket BIO ([`ffi::SocketTls`]),
//! with each result turned into what `SSL_get_error` and the error queue said ([`CallError`]).

use super::errors::CallError;
use super::tap::TapState;
use crate::ffi::{self, SocketTls};
use crate::trace::Dir;
use mio::net::TcpStream;
use openssl::error::ErrorStack;
use openssl::ssl::{ErrorCode, ShutdownResult, Ssl, SslRef};
use std::io::Read;

pub(super) struct Tls {
    io: SocketTls,
}

impl Tls {
    pub(super) fn new(ssl: Ssl, socket: TcpStream) -> Result<Tls, ErrorStack> {
        Ok(Tls {
            io: SocketTls::new(ssl, socket)?,
        })
    }

    pub(super) fn ssl(&self) -> &SslRef {
        self.io.ssl()
    }

    /// What the socket BIO saw.
    pub(super) fn tap(&self) -> &TapState {
        self.io.tap()
    }

    pub(super) fn socket(&self) -> &TcpStream {
        self.io.socket()
    }

    pub(super) fn socket_mut(&mut self) -> &mut TcpStream {
        self.io.socket_mut()
    }

    pub(super) fn do_handshake(&mut self) -> Result<(), CallError> {
        match self.io.do_handshake() {
            1 => Ok(()),
            ret => Err(self.error(ret)),
        }
    }

    pub(super) fn ssl_read(&mut self, buf: &mut [u8]) -> Result<usize, CallError> {
        match self.io.read(buf) {
            ret if ret > 0 => Ok(ret as usize),
            ret => Err(self.error(ret)),
        }
    }

    pub(super) fn ssl_write(&mut self, buf: &[u8]) -> Result<usize, CallError> {
        match self.io.write(buf) {
            ret if ret > 0 => Ok(ret as usize),
            ret => Err(self.error(ret)),
        }
    }

    pub(super) fn shutdown(&mut self) -> Result<ShutdownResult, CallError> {
        match self.io.shutdown() {
            0 => Ok(ShutdownResult::Sent),
            1 => Ok(ShutdownResult::Received),
            ret => Err(self.error(ret)),
        }
    }

    /// What went wrong with a call that returned `ret`: SSL_get_error, the error queue, and for
    /// SYSCALL without queued errors the socket's OS error (none for EOF).
    fn error(&self, ret: i32) -> CallError {
        let code = ErrorCode::from_raw(ffi::get_error(self.ssl(), ret));
        let stack = ErrorStack::get();
        let io = if code == ErrorCode::SYSCALL && stack.errors().is_empty() && ret < 0 {
            let errno = self
                .tap()
                .call_os_error()
                .or_else(|| std::io::Error::last_os_error().raw_os_error());
            errno.map(std::io::Error::from_raw_os_error)
        } else {
            None
        };
        CallError::new(ret, code, io, stack)
    }

    /// Reads whatever else the peer already sent, up to the size of the first-bytes buffer, so
    /// that a peer that is not speaking TLS can be shown by more than the 5 bytes of a record
    /// header OpenSSL read. Recorded as tlsscope's own read (outside any call).
    pub(super) fn read_more_first_bytes(&mut self) -> Vec<u8> {
        let room = self.tap().first_room();
        if room > 0 && !self.tap().eof() {
            let mut buf = [0u8; super::tap::FIRST_BYTES];
            let result = self.io.socket().read(&mut buf[..room]);
            let (got, would_block, os_error) = match &result {
                Ok(n) => (*n, false, None),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => (0, true, None),
                Err(e) => (0, false, Some(e.raw_os_error().unwrap_or(0))),
            };
            let data = buf.get(..got).unwrap_or_default();
            self.tap()
                .note(Dir::Read, room, got, would_block, os_error, data);
        }
        self.tap().first_bytes()
    }
}
