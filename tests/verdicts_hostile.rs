//! Verdicts on peers that misbehave in ways the lab was not tuned to: an answer cut short in the
//! handshake, a peer that takes nothing of an upload, a clean close with no answer. Each runs
//! `tlsscope trace … --format jsonl` as a user would and checks the verdict and the exit status.

mod common;

use common::bounded::{last_line, text, PyPeer};
use common::verdict::{assert_class, said, tls_peer, verdict, verdict_of};

#[test]
fn a_handshake_answer_cut_short_is_not_an_unanswered_hello() {
    let peer = PyPeer::start("plain_peer.py", &["partial-stall"]);
    let (v, out) = verdict(&peer.target(), &["--timeout", "2"]);
    assert_class(&v, "handshake-stalled");
    assert!(
        said(&v).contains("8 B of the server's answer"),
        "{}",
        said(&v)
    );
    assert!(!said(&v).contains("nothing came back"), "{}", said(&v));
    assert_eq!(out.status.code(), Some(1));

    let peer = PyPeer::start("plain_peer.py", &["partial-close"]);
    let (v, out) = verdict(&peer.target(), &["--timeout", "5"]);
    assert_class(&v, "handshake-closed");
    assert!(
        said(&v).contains("in the middle of its first answer"),
        "{}",
        said(&v)
    );
    assert!(
        !said(&v).contains("--sni"),
        "the server took our ClientHello: {}",
        said(&v)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_upload_left_in_our_send_queue_at_the_close_is_not_healthy() {
    // A send buffer large enough for the whole upload: every SSL_write returns at once, and
    // the bytes sit in our send queue while the peer, which stopped reading, never takes them.
    let peer = tls_peer("stop-reading");
    let (v, out) = verdict(
        &peer.target(),
        &["--upload", "2M", "--sndbuf", "4M", "--timeout", "10"],
    );
    assert_class(&v, "peer-not-reading");
    assert!(said(&v).contains("not delivered"), "{}", said(&v));
    assert_eq!(out.status.code(), Some(1), "a stall is not a clean run");
    assert!(
        last_line(&out.stderr).contains("peer-not-reading"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_clean_close_without_an_answer_is_a_failed_run() {
    let peer = tls_peer("close-no-answer");
    let (v, out) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5"]);
    assert_class(&v, "closed-without-answer");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn a_deadline_that_cuts_a_stream_with_pauses_is_not_a_stall() {
    // A chunk every 0.4 s: the deadline falls into a pause, well under a second after data.
    let peer = tls_peer("chunks-with-pauses");
    let (v, out) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "1.2"]);
    assert_class(&v, "in-progress");
    assert!(said(&v).contains("still flowing"), "{}", said(&v));
    assert!(!said(&v).contains("stopped sending"), "{}", said(&v));
    assert_eq!(out.status.code(), Some(1), "a deadline that passed");
}

#[test]
fn a_close_notify_in_answer_to_the_clienthello_is_named() {
    let peer = PyPeer::start("plain_peer.py", &["notify"]);
    let (v, out) = verdict(&peer.target(), &["--timeout", "5"]);
    assert_class(&v, "handshake-closed");
    assert!(said(&v).contains("close_notify"), "{}", said(&v));
    let last = last_line(&out.stderr);
    assert!(last.contains("close_notify during the handshake"), "{last}");
    assert!(!last.contains("shutdown while in init"), "{last}");
    assert_eq!(out.status.code(), Some(1));
}

/// The lab's early-reject answers 413 with an error page and resets mid-upload: what lies unread
/// is more than TLS 1.3 tickets could be, so the verdict names the early answer, not a bare reset
/// (regression: once the handshake's own bytes no longer counted as unread, it said "reset").
#[test]
fn the_labs_early_reject_is_an_early_rejection() {
    let (v, out) = verdict_of(&["trace", "lab:early-reject", "--format", "jsonl"]);
    assert_eq!(v["class"], "early-rejection", "{}", said(&v));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_reset_answering_our_close_notify_after_a_complete_response_is_harmless() {
    let peer = tls_peer("reset-on-close");
    let (v, out) = verdict(&peer.target(), &["--http-get", "/", "--read-for", "0.3"]);
    assert_class(&v, "close-notify-unanswered");
    let text = said(&v);
    assert!(text.contains("TCP reset (ECONNRESET)"), "{text}");
    assert!(text.contains("response was complete (status 200"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{}", last_line(&out.stderr));
    // The same reset when the response was cut short is still a reset, and a failure.
    let peer = tls_peer("reset-on-close-cut");
    let (v, out) = verdict(&peer.target(), &["--http-get", "/", "--read-for", "0.3"]);
    assert_ne!(v["class"], "close-notify-unanswered", "{v:#}");
    assert_eq!(out.status.code(), Some(1), "{}", last_line(&out.stderr));
}
