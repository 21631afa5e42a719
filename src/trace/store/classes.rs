//! The typed classes of spans: what kind of call result, wait or socket operation each span is,
//! ordered so that a higher index is more worth seeing when several share one pixel.

use crate::trace::event::{Dir, Interest, Io, SslError};

/// A small closed set of classes a [`super::Spans`] counts per class.
pub trait SpanClass: Copy + Eq + std::fmt::Debug + 'static {
    /// Every class, least notable first.
    const ALL: &'static [Self];
    /// Position in [`SpanClass::ALL`].
    fn index(self) -> usize;
}

/// Runs of retries have no class of their own.
impl SpanClass for () {
    const ALL: &'static [()] = &[()];
    fn index(self) -> usize {
        0
    }
}

/// Result classes of a call, in the order the timeline colours them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallClass {
    Done,
    WantRead,
    WantWrite,
    Closed,
    Failed,
}

impl CallClass {
    pub const ALL: [CallClass; 5] = [
        CallClass::Done,
        CallClass::WantRead,
        CallClass::WantWrite,
        CallClass::Closed,
        CallClass::Failed,
    ];

    pub fn of(error: SslError) -> CallClass {
        match error {
            SslError::None => CallClass::Done,
            SslError::WantRead => CallClass::WantRead,
            SslError::WantWrite => CallClass::WantWrite,
            SslError::ZeroReturn => CallClass::Closed,
            _ => CallClass::Failed,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CallClass::Done => "done",
            CallClass::WantRead => "WANT_READ",
            CallClass::WantWrite => "WANT_WRITE",
            CallClass::Closed => "closed",
            CallClass::Failed => "error",
        }
    }
}

impl SpanClass for CallClass {
    const ALL: &'static [CallClass] = &CallClass::ALL;
    fn index(self) -> usize {
        self as usize
    }
}

/// What a readiness wait was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitClass {
    Readable,
    Writable,
    Either,
}

impl WaitClass {
    pub const ALL: [WaitClass; 3] = [WaitClass::Readable, WaitClass::Writable, WaitClass::Either];

    pub fn of(interest: Interest) -> WaitClass {
        match interest {
            Interest::Read => WaitClass::Readable,
            Interest::Write => WaitClass::Writable,
            Interest::ReadWrite => WaitClass::Either,
        }
    }

    /// The readiness a call's result asks to wait for.
    pub fn after(error: SslError) -> WaitClass {
        if error == SslError::WantWrite {
            WaitClass::Writable
        } else {
            WaitClass::Readable
        }
    }

    /// "ready for …": what the socket is to become ready for.
    pub fn operation(self) -> &'static str {
        match self {
            WaitClass::Readable => "read",
            WaitClass::Writable => "write",
            WaitClass::Either => "read or write",
        }
    }

    /// "the socket was not …".
    pub fn adjective(self) -> &'static str {
        match self {
            WaitClass::Readable => "readable",
            WaitClass::Writable => "writable",
            WaitClass::Either => "ready",
        }
    }
}

impl SpanClass for WaitClass {
    const ALL: &'static [WaitClass] = &WaitClass::ALL;
    fn index(self) -> usize {
        self as usize
    }
}

/// How a socket operation went, least notable first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOutcome {
    Done,
    WouldBlock,
    /// An OS error, or a read that found the peer's end of the stream.
    EofOrError,
}

/// One socket operation: its direction and how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoClass {
    pub outcome: IoOutcome,
    pub dir: Dir,
}

impl IoClass {
    pub const ALL: [IoClass; 6] = [
        IoClass::new(IoOutcome::Done, Dir::Read),
        IoClass::new(IoOutcome::Done, Dir::Write),
        IoClass::new(IoOutcome::WouldBlock, Dir::Read),
        IoClass::new(IoOutcome::WouldBlock, Dir::Write),
        IoClass::new(IoOutcome::EofOrError, Dir::Read),
        IoClass::new(IoOutcome::EofOrError, Dir::Write),
    ];

    pub const fn new(outcome: IoOutcome, dir: Dir) -> IoClass {
        IoClass { outcome, dir }
    }

    pub fn of(io: &Io) -> IoClass {
        let outcome = if io.would_block() {
            IoOutcome::WouldBlock
        } else if io.os_error().is_some() || io.is_eof() {
            IoOutcome::EofOrError
        } else {
            IoOutcome::Done
        };
        IoClass::new(outcome, io.dir)
    }
}

impl SpanClass for IoClass {
    const ALL: &'static [IoClass] = &IoClass::ALL;
    fn index(self) -> usize {
        self.outcome as usize * 2 + usize::from(self.dir == Dir::Write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `index` must agree with the position in `ALL`, or the prefix counts mix classes.
    fn indices_match<C: SpanClass>() {
        for (i, c) in C::ALL.iter().enumerate() {
            assert_eq!(c.index(), i, "{c:?}");
        }
    }

    #[test]
    fn every_class_indexes_its_position() {
        indices_match::<CallClass>();
        indices_match::<WaitClass>();
        indices_match::<IoClass>();
        indices_match::<()>();
    }

    #[test]
    fn socket_operations_are_classed_by_outcome() {
        let io =
            |got, would_block, os_error| Io::new(None, Dir::Read, 5, got, would_block, os_error);
        assert_eq!(IoClass::of(&io(5, false, None)).outcome, IoOutcome::Done);
        assert_eq!(
            IoClass::of(&io(0, true, None)).outcome,
            IoOutcome::WouldBlock
        );
        assert_eq!(
            IoClass::of(&io(0, false, None)).outcome,
            IoOutcome::EofOrError
        );
        assert_eq!(
            IoClass::of(&io(0, false, Some(104))).outcome,
            IoOutcome::EofOrError
        );
    }
}
