//! The records the interposer sends to `tlsscope run` over a Unix stream socket (one connection
//! per process, shared with its forked children), each framed by a 2-byte little-endian length:
//! a fixed 80-byte little-endian header and, for some kinds, a short tail (addresses, a program
//! name). This one file is compiled into both sides (the interposer and `tlsscope`), so they
//! cannot disagree.

/// Environment variable naming the Unix socket `tlsscope run` listens on.
pub(crate) const SOCK_ENV: &str = "TLSSCOPE_RUN_SOCK";

/// Bytes of the fixed header.
pub(crate) const HEADER: usize = 80;
/// Largest tail a record carries.
pub(crate) const MAX_TAIL: usize = 256;

/// What a record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The interposer was loaded into a process (`a` = parent pid, tail = executable path).
    Hello = 1,
    /// An OpenSSL call returned (`op`, `ret`, `err` = SSL_get_error, `a` = length asked,
    /// `b` = buffer address, `c` = bytes moved, `fd` = SSL_get_fd; tail: SSL_pending after a read
    /// as 4 bytes, then with SSL_ERROR_SSL OpenSSL's reason).
    Call = 2,
    /// A socket read or write inside an OpenSSL call (`op` = 0 read / 1 write, `a` = bytes
    /// asked, `ret` = result, `err` = errno when it failed).
    Io = 3,
    /// A readiness wait on a socket that belongs to an SSL object (`op` = which call, `a` =
    /// interest, `b` = what it reported, `ret` = the call's result).
    Wait = 4,
    /// The socket of an SSL object: tail = local then peer address (each a length byte and a
    /// raw `sockaddr`).
    Peer = 5,
    /// SSL_new returned `ssl`.
    New = 6,
    /// SSL_free(`ssl`) was called.
    Free = 7,
    /// SSL_set_fd(`ssl`, `fd`) or SSL_set_bio (`fd` = -1).
    SetFd = 8,
    /// The program called SSL_get_error(`ssl`, `ret`) and was told `err`.
    GetError = 9,
    /// The program called SSL_pending(`ssl`) and was told `ret`.
    Pending = 10,
    /// The negotiated parameters after a handshake call succeeded (tail: version, cipher and
    /// server name, each a length byte and text; `a` = 1 when the session was resumed, `b` =
    /// SSL_get_verify_result).
    Tls = 11,
    /// The process is exiting (sent only when it lost records, so that the last of them are
    /// counted too).
    Bye = 12,
    /// The info callback fired (`a` = where, `ret` = ret; tail: SSL_state_string_long).
    State = 13,
    /// The message callback saw a TLS message (`op` = write_p, `a` = content type, `b` = its
    /// first bytes little-endian (up to 8), `c` = its length).
    Msg = 14,
    /// Kernel buffer levels of the connection's socket (`fd`) after a call returned WANT_READ or
    /// WANT_WRITE: `a` = bytes unread in its receive queue, `b` = unacknowledged in its send
    /// queue, `c` = of those not yet sent, `dur` = SO_SNDBUF << 32 | SO_RCVBUF, `ret` =
    /// SSL_pending; tail (a TCP socket): TCP_INFO's rtt (µs), snd_cwnd and snd_wnd, 4 bytes each.
    Sock = 15,
}

impl Kind {
    fn from_u8(v: u8) -> Option<Kind> {
        Some(match v {
            1 => Kind::Hello,
            2 => Kind::Call,
            3 => Kind::Io,
            4 => Kind::Wait,
            5 => Kind::Peer,
            6 => Kind::New,
            7 => Kind::Free,
            8 => Kind::SetFd,
            9 => Kind::GetError,
            10 => Kind::Pending,
            11 => Kind::Tls,
            12 => Kind::Bye,
            13 => Kind::State,
            14 => Kind::Msg,
            15 => Kind::Sock,
            _ => return None,
        })
    }
}

/// The OpenSSL functions recorded (the `op` byte of a `Call` record).
pub(crate) mod op {
    pub(crate) const SSL_READ: u8 = 1;
    pub(crate) const SSL_READ_EX: u8 = 2;
    pub(crate) const SSL_PEEK: u8 = 3;
    pub(crate) const SSL_WRITE: u8 = 4;
    pub(crate) const SSL_WRITE_EX: u8 = 5;
    pub(crate) const SSL_DO_HANDSHAKE: u8 = 6;
    pub(crate) const SSL_CONNECT: u8 = 7;
    pub(crate) const SSL_ACCEPT: u8 = 8;
    pub(crate) const SSL_SHUTDOWN: u8 = 9;
}

/// The readiness calls (the `op` byte of a `Wait` record).
pub(crate) mod wait {
    pub(crate) const POLL: u8 = 1;
    pub(crate) const PPOLL: u8 = 2;
    pub(crate) const SELECT: u8 = 3;
    pub(crate) const EPOLL_WAIT: u8 = 4;
    /// Interest / readiness bits of `a` and `b`.
    pub(crate) const READ: u64 = 1;
    pub(crate) const WRITE: u64 = 2;
    pub(crate) const HANGUP: u64 = 4;
}

/// `flags` bit of a `Call`: SSL_is_init_finished was true after it.
pub(crate) const INIT_FINISHED: u8 = 1;

/// One record. Unused fields are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rec {
    pub(crate) kind: Kind,
    pub(crate) op: u8,
    /// `Call`: [`INIT_FINISHED`] when the handshake was complete after the call.
    pub(crate) flags: u8,
    pub(crate) pid: u32,
    pub(crate) tid: u32,
    /// Events this process could not send before this one (cumulative).
    pub(crate) lost: u32,
    pub(crate) ssl: u64,
    /// CLOCK_MONOTONIC ns when it began.
    pub(crate) t: u64,
    pub(crate) dur: u64,
    pub(crate) ret: i64,
    pub(crate) err: i32,
    pub(crate) fd: i32,
    pub(crate) a: u64,
    pub(crate) b: u64,
    pub(crate) c: u64,
}

impl Rec {
    pub(crate) fn new(kind: Kind) -> Rec {
        Rec {
            kind,
            op: 0,
            flags: 0,
            pid: 0,
            tid: 0,
            lost: 0,
            ssl: 0,
            t: 0,
            dur: 0,
            ret: 0,
            err: 0,
            fd: -1,
            a: 0,
            b: 0,
            c: 0,
        }
    }

    /// Writes the header into `out[..HEADER]`.
    pub(crate) fn encode(&self, out: &mut [u8; HEADER]) {
        out[0] = self.kind as u8;
        out[1] = self.op;
        out[2] = self.flags;
        out[3] = 0;
        out[4..8].copy_from_slice(&self.pid.to_le_bytes());
        out[8..12].copy_from_slice(&self.tid.to_le_bytes());
        out[12..16].copy_from_slice(&self.lost.to_le_bytes());
        out[16..24].copy_from_slice(&self.ssl.to_le_bytes());
        out[24..32].copy_from_slice(&self.t.to_le_bytes());
        out[32..40].copy_from_slice(&self.dur.to_le_bytes());
        out[40..48].copy_from_slice(&self.ret.to_le_bytes());
        out[48..52].copy_from_slice(&self.err.to_le_bytes());
        out[52..56].copy_from_slice(&self.fd.to_le_bytes());
        out[56..64].copy_from_slice(&self.a.to_le_bytes());
        out[64..72].copy_from_slice(&self.b.to_le_bytes());
        out[72..80].copy_from_slice(&self.c.to_le_bytes());
    }

    /// Reads a datagram: the record and its tail, or `None` when it is not one.
    pub(crate) fn decode(bytes: &[u8]) -> Option<(Rec, &[u8])> {
        if bytes.len() < HEADER || bytes.len() > HEADER + MAX_TAIL {
            return None;
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let rec = Rec {
            kind: Kind::from_u8(bytes[0])?,
            op: bytes[1],
            flags: bytes[2],
            pid: u32_at(4),
            tid: u32_at(8),
            lost: u32_at(12),
            ssl: u64_at(16),
            t: u64_at(24),
            dur: u64_at(32),
            ret: u64_at(40) as i64,
            err: u32_at(48) as i32,
            fd: u32_at(52) as i32,
            a: u64_at(56),
            b: u64_at(64),
            c: u64_at(72),
        };
        Some((rec, &bytes[HEADER..]))
    }
}

/// Appends `part` to a tail as a length byte and the bytes (cut to 255 and to the room left).
pub(crate) fn push_part(tail: &mut [u8; MAX_TAIL], used: &mut usize, part: &[u8]) {
    let room = MAX_TAIL.saturating_sub(*used + 1);
    let n = part.len().min(255).min(room);
    if *used < MAX_TAIL {
        tail[*used] = n as u8;
        tail[*used + 1..*used + 1 + n].copy_from_slice(&part[..n]);
        *used += 1 + n;
    }
}

/// Splits a tail back into its parts (a malformed tail ends the list).
pub(crate) fn parts(tail: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tail.len() {
        let n = tail[i] as usize;
        let Some(part) = tail.get(i + 1..i + 1 + n) else {
            break;
        };
        out.push(part);
        i += 1 + n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_the_same() {
        let mut rec = Rec::new(Kind::Call);
        rec.op = op::SSL_WRITE_EX;
        rec.flags = INIT_FINISHED;
        rec.pid = 4242;
        rec.tid = 4243;
        rec.lost = 7;
        rec.ssl = 0x5555_0000_1234;
        rec.t = 123_456_789_000;
        rec.dur = 15_000;
        rec.ret = -1;
        rec.err = 3;
        rec.fd = 5;
        rec.a = 16384;
        rec.b = 0x7fff_0000;
        rec.c = 9;
        let mut head = [0u8; HEADER];
        rec.encode(&mut head);
        let mut dgram = head.to_vec();
        dgram.extend_from_slice(b"\x03abc");
        let (back, tail) = Rec::decode(&dgram).expect("decodes");
        assert_eq!(back, rec);
        assert_eq!(parts(tail), vec![&b"abc"[..]]);
    }

    #[test]
    fn short_unknown_or_oversized_datagrams_are_refused() {
        assert!(Rec::decode(&[2u8; 10]).is_none());
        let mut head = [0u8; HEADER];
        Rec::new(Kind::Io).encode(&mut head);
        head[0] = 99;
        assert!(Rec::decode(&head).is_none());
        assert!(Rec::decode(&vec![2u8; HEADER + MAX_TAIL + 1]).is_none());
    }

    #[test]
    fn tail_parts_are_cut_to_fit_and_a_bad_length_ends_the_list() {
        let mut tail = [0u8; MAX_TAIL];
        let mut used = 0;
        push_part(&mut tail, &mut used, &[1u8; 300]);
        assert_eq!(used, 256);
        push_part(&mut tail, &mut used, b"more");
        assert_eq!(used, 256);
        assert_eq!(parts(&tail[..used])[0].len(), 255);
        assert_eq!(parts(&[5, 1, 2]), Vec::<&[u8]>::new());
    }
}
