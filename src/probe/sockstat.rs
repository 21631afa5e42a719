//! Socket plumbing: the non-blocking connect with buffer sizes set before it, and sampling of
//! kernel buffer levels.

use super::ffi;
use crate::trace::Sock;
use mio::net::TcpStream;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

/// Starts a non-blocking TCP connect. Buffer sizes are set before connecting, because the
/// receive buffer decides the window scale announced in the SYN.
pub fn connect_nonblocking(
    addr: SocketAddr,
    sndbuf: Option<u32>,
    rcvbuf: Option<u32>,
) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    if let Some(size) = sndbuf {
        socket.set_send_buffer_size(size as usize)?;
    }
    if let Some(size) = rcvbuf {
        socket.set_recv_buffer_size(size as usize)?;
    }
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// The buffer levels of `stream` now.
pub fn sample(stream: &TcpStream, ssl_pending: usize) -> Sock {
    let fd = stream.as_raw_fd();
    let (inq, outq, notsent) = ffi::queue_levels(fd);
    let sock = SockRef::from(stream);
    Sock {
        inq,
        outq,
        notsent,
        sndbuf: sock.send_buffer_size().unwrap_or(0) as u32,
        rcvbuf: sock.recv_buffer_size().unwrap_or(0) as u32,
        ssl_pending: ssl_pending as u32,
        tcp: ffi::tcp_info(fd),
    }
}
