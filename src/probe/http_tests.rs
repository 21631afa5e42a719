//! The HTTP response tracker on byte streams split at every position.

use super::*;

/// Feeds `stream` in the given pieces; returns every event.
fn feed_split(stream: &[u8], cuts: &[usize]) -> Vec<HttpResponse> {
    let mut tracker = HttpTracker::new();
    let mut events = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&stream.len())) {
        events.extend(tracker.feed(&stream[from..cut]));
        from = cut;
    }
    events
}

/// The events for every way of cutting `stream` in two and in three pieces, and byte by byte,
/// must tell the same story: the head once, then completion once (or together).
fn check_every_split(stream: &[u8], check: impl Fn(&[HttpResponse], &str)) {
    for a in 0..=stream.len() {
        check(&feed_split(stream, &[a]), &format!("cut at {a}"));
        let b = (a + 7).min(stream.len());
        check(&feed_split(stream, &[a, b]), &format!("cuts at {a}, {b}"));
    }
    let every: Vec<usize> = (1..stream.len()).collect();
    check(&feed_split(stream, &every), "byte by byte");
}

fn last(events: &[HttpResponse]) -> HttpResponse {
    *events.last().expect("an event")
}

#[test]
fn content_length_response() {
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n";
    let stream = format!("{head}hello world");
    check_every_split(stream.as_bytes(), |events, how| {
        assert!(!events.is_empty() && events.len() <= 2, "{how}: {events:?}");
        let first = events[0];
        assert_eq!(first.status, 200, "{how}");
        assert_eq!(first.head_bytes as usize, head.len(), "{how}");
        assert_eq!(first.content_length, Some(11), "{how}");
        assert!(first.close && !first.chunked, "{how}");
        let end = last(events);
        assert!(end.complete, "{how}: {events:?}");
        assert_eq!(end.received as usize, stream.len(), "{how}");
        assert_eq!(events.len() == 1, first.complete, "{how}");
    });
}

#[test]
fn chunked_response_with_extensions_and_trailers() {
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    let body = "5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
    let stream = format!("{head}{body}");
    check_every_split(stream.as_bytes(), |events, how| {
        assert!(
            events[0].chunked && events[0].content_length.is_none(),
            "{how}"
        );
        let end = last(events);
        assert!(end.complete, "{how}: {events:?}");
        assert_eq!(end.received as usize, stream.len(), "{how}");
    });
}

#[test]
fn an_unfinished_chunked_body_is_not_complete() {
    let stream = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
    check_every_split(stream, |events, how| {
        assert_eq!(events.len(), 1, "{how}");
        assert!(!events[0].complete, "{how}");
    });
}

#[test]
fn informational_heads_are_skipped() {
    let interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
    let head = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n";
    let stream = format!("{interim}{head}abc");
    check_every_split(stream.as_bytes(), |events, how| {
        assert_eq!(events[0].status, 404, "{how}");
        assert_eq!(events[0].head_bytes as usize, head.len(), "{how}");
        let end = last(events);
        assert!(end.complete, "{how}");
        assert_eq!(end.received as usize, head.len() + 3, "{how}");
    });
}

#[test]
fn bodies_without_framing() {
    // Delimited by the close: never complete.
    let stream = b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nsome body";
    check_every_split(stream, |events, how| {
        assert_eq!(events.len(), 1, "{how}");
        assert!(!events[0].complete && events[0].content_length.is_none());
    });
    // No body at all: complete with the head.
    let stream = b"HTTP/1.1 204 No Content\r\n\r\n";
    check_every_split(stream, |events, how| {
        assert_eq!(events.len(), 1, "{how}");
        assert!(events[0].complete);
    });
}

#[test]
fn peer_garbage_gives_up_quietly() {
    for junk in [
        &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
        b"\0\0\0\xff\xfe",
    ] {
        let events = feed_split(junk, &[1]);
        assert!(events.iter().all(|e| !e.complete), "{events:?}");
    }
    // A head that never ends is abandoned at the bound, not kept growing.
    let mut tracker = HttpTracker::new();
    tracker.feed(b"HTTP/1.1 200 OK\r\n");
    for _ in 0..10 {
        assert_eq!(tracker.feed(&[b'a'; 16 * 1024]), None);
    }
    assert!(tracker.head.capacity() <= 2 * MAX_HEAD);
    assert_eq!(tracker.state, State::GaveUp);
}

#[test]
fn request_lines() {
    assert!(is_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(is_request(b"POST /upload HTTP/1.0\r\n"));
    assert!(!is_request(b"hello\n"));
    assert!(!is_request(b"GET / HTTP/1.1"));
    assert!(!is_request(b"get / HTTP/1.1\r\n"));
    assert!(!is_request(b""));
}

#[test]
fn mid_body_until_the_framing_is_complete() {
    let mut h = HttpTracker::new();
    assert!(!h.mid_body(), "no head yet");
    h.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
    assert!(h.mid_body());
    h.feed(b"lo");
    assert!(!h.mid_body(), "complete");
    let mut chunked = HttpTracker::new();
    chunked.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    assert!(chunked.mid_body());
    chunked.feed(b"0\r\n\r\n");
    assert!(!chunked.mid_body());
    let mut until_close = HttpTracker::new();
    until_close.feed(b"HTTP/1.0 200 OK\r\n\r\nbody");
    assert!(
        !until_close.mid_body(),
        "a body until the close is never cut short by it"
    );
}
