//! The connection summary: endpoints, negotiated parameters, certificate chain, how it ended.

use super::model::Model;
use super::style;
use crate::trace::cert_time::{validity, Validity};
use crate::trace::chain::{self, ChainInfo};
use crate::trace::chain_text;
use crate::trace::escape::{escape, escape_or};
use egui::RichText;

/// The verification result as one prominent line: what it means, in its colour.
fn verification(ui: &mut egui::Ui, verify: &str) {
    let (text, colour) = match verify {
        "ok" => ("Certificate verified: ok".to_string(), style::VERIFY_OK),
        "skipped" => (
            "Certificate verification skipped (--insecure): the peer was not authenticated"
                .to_string(),
            style::VERIFY_SKIPPED,
        ),
        reason => (
            format!("Certificate verification failed: {reason}"),
            style::VERIFY_FAILED,
        ),
    };
    ui.label(RichText::new(text).color(colour).strong().size(15.0));
}

/// Seconds since the Unix epoch now (the certificates' dates are compared with the wall clock,
/// not the engine's monotonic one).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What `--pcapng` holds of this connection, and whether the capture limit cut it short.
fn capture_text(kept: u64, cut: bool) -> String {
    use crate::trace::{format, CAPTURE_LIMIT};
    if cut {
        format!(
            "{} of socket bytes kept: the limit of {} per connection was reached, later bytes \
             are not in the capture",
            format::bytes(kept),
            format::bytes(CAPTURE_LIMIT)
        )
    } else {
        format!("{} of socket bytes kept for --pcapng", format::bytes(kept))
    }
}

pub fn ui(ui: &mut egui::Ui, model: &Model) {
    let Some(c) = model.current() else {
        ui.label("No connection selected.");
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("summary")
        .show(ui, |ui| {
            match (&c.tls, &c.error) {
                (Some(t), _) => verification(ui, &escape(&t.verify)),
                // A failed verification ends the handshake, so it only shows in the error.
                (None, Some(e)) => {
                    if let Some(reason) = e.strip_prefix("certificate verification failed: ") {
                        verification(ui, &escape(reason));
                    }
                }
                (None, None) => {}
            }
            egui::Grid::new("summary-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    let mut row = |k: &str, v: String| {
                        ui.label(RichText::new(k).strong());
                        ui.label(v);
                        ui.end_row();
                    };
                    row("Target", escape(&model.label(c.id)).into_owned());
                    if let Some(ep) = &c.endpoints {
                        row("TCP", format!("{} -> {}", ep.local, ep.peer));
                    }
                    match &c.tls {
                        Some(t) => {
                            row("Version", escape(&t.version).into_owned());
                            row("Cipher", escape(&t.cipher).into_owned());
                            row("ALPN", escape_or(t.alpn.as_deref(), "-").into_owned());
                            row("SNI", escape_or(t.sni.as_deref(), "-").into_owned());
                            row("Verification", escape(&t.verify).into_owned());
                            row("Resumed", if t.resumed { "yes" } else { "no" }.into());
                            if let Some(r) = &t.resumption {
                                row("Resumption", r.text());
                            }
                            if let Some(ocsp) = &t.ocsp {
                                row("OCSP staple", escape(&ocsp.describe()).into_owned());
                            }
                        }
                        None => row("TLS", "no handshake completed".into()),
                    }
                    if let Some(close) = &c.close {
                        row(
                            "Closed",
                            format!(
                                "{} (close_notify sent: {}, received: {}, workload done: {})",
                                close.reason.name(),
                                close.notify_sent,
                                close.notify_received,
                                close.workload_done
                            ),
                        );
                    }
                    if c.wire_bytes > 0 || c.wire_cut {
                        row("Capture", capture_text(c.wire_bytes, c.wire_cut));
                    }
                });
            if let Some(e) = &c.error {
                ui.label(RichText::new(format!("Error: {}", escape(e))).color(style::ERROR_TEXT));
            }
            // The chain of a completed handshake, or the one a failed verification refused.
            let chain = match (&c.tls, &c.chain) {
                (Some(t), _) => Some(ChainInfo {
                    certs: t.chain.clone(),
                    ..ChainInfo::default()
                }),
                (None, Some(refused)) => Some(refused.clone()),
                (None, None) => None,
            };
            if let Some(chain) = chain {
                ui.add_space(6.0);
                ui.label(RichText::new("Certificate chain (as the server sent it)").strong());
                let found = chain::findings(&chain);
                let now = unix_now();
                for (i, cert) in chain.certs.iter().enumerate() {
                    // A tree: each certificate under the one it should be issued by.
                    let indent = "    ".repeat(chain.certs.len() - 1 - i);
                    let (state, colour) = match validity(&cert.not_before, &cert.not_after, now) {
                        Some(Validity::Valid) => (Validity::Valid.name(), style::CERT_VALID),
                        Some(v) => (v.name(), style::CERT_INVALID),
                        None => ("validity dates unreadable", style::CERT_UNREADABLE),
                    };
                    ui.horizontal(|ui| {
                        ui.label(format!("{indent}|_"));
                        ui.label(RichText::new(format!("{i}: {}", escape(&cert.subject))).strong());
                        ui.label(RichText::new(format!("[{state}]")).color(colour).strong());
                    });
                    let details = chain_text::cert_details(cert)
                        .map(|d| format!("\n{indent}   {d}"))
                        .unwrap_or_default();
                    ui.label(format!(
                        "{indent}   issuer {}\n{indent}   valid {} .. {}\n{indent}   key {}, sha256 {}{details}",
                        escape(&cert.issuer),
                        escape(&cert.not_before),
                        escape(&cert.not_after),
                        escape(&cert.key),
                        escape(&cert.sha256)
                    ));
                    if let Some(f) = chain::finding_for(&found, i) {
                        let text = format!("{indent}   FAILS HERE, {}: {}", f.problem.name(), escape(&f.text));
                        ui.label(RichText::new(text).color(style::VERIFY_FAILED).strong());
                    }
                }
                for f in found.iter().filter(|f| f.cert.is_none()) {
                    let text = format!("FAILS, {}: {}", f.problem.name(), escape(&f.text));
                    ui.label(RichText::new(text).color(style::VERIFY_FAILED).strong());
                }
            }
        });
}
