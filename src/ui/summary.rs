//! The connection summary: endpoints, negotiated parameters, certificate chain, how it ended.

use super::connections::{GREEN, RED};
use super::model::Model;
use egui::RichText;

pub fn ui(ui: &mut egui::Ui, model: &Model) {
    let Some(c) = model.current() else {
        ui.label("No connection selected.");
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("summary")
        .show(ui, |ui| {
            egui::Grid::new("summary-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    let mut row = |k: &str, v: String| {
                        ui.label(RichText::new(k).strong());
                        ui.label(v);
                        ui.end_row();
                    };
                    row("Target", model.label(c.id));
                    if let Some(ep) = &c.endpoints {
                        row("TCP", format!("{} -> {}", ep.local, ep.peer));
                    }
                    match &c.tls {
                        Some(t) => {
                            row("Version", t.version.clone());
                            row("Cipher", t.cipher.clone());
                            row("ALPN", t.alpn.clone().unwrap_or_else(|| "-".into()));
                            row("SNI", t.sni.clone().unwrap_or_else(|| "-".into()));
                            row("Verification", t.verify.clone());
                            row("Resumed", if t.resumed { "yes" } else { "no" }.into());
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
                });
            if let Some(e) = &c.error {
                ui.label(RichText::new(format!("Error: {e}")).color(RED));
            }
            if let Some(t) = &c.tls {
                ui.add_space(6.0);
                ui.label(RichText::new("Certificate chain").strong());
                for (i, cert) in t.chain.iter().enumerate() {
                    ui.label(RichText::new(format!("{i}: {}", cert.subject)).color(GREEN));
                    ui.label(format!(
                        "   issuer {}\n   valid {} .. {}\n   key {}, sha256 {}",
                        cert.issuer, cert.not_before, cert.not_after, cert.key, cert.sha256
                    ));
                }
            }
        });
}
