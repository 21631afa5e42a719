//! The connect bar: target, Connect / Stop, the options of `tlsscope trace`, the lab's scenario
//! menu, and live actions. Input is checked here; a problem shows next to the field.

use super::model::{Model, Request};
use crate::cli::trace::ConnectOptions;
use crate::lab::scenario::Scenario;
use crate::probe::{Action, Target};
use egui::{Color32, RichText};
use std::path::PathBuf;

/// The connect form. Every option is kept as typed; [`ConnectBar::options`] maps it.
#[derive(Debug, Default)]
pub struct ConnectBar {
    pub target: String,
    pub show_options: bool,
    /// Text of the options that take a value, in [`TEXT_FIELDS`] order.
    pub fields: [String; TEXT_FIELDS.len()],
    pub no_sni: bool,
    pub insecure: bool,
    pub no_auto_retry: bool,
    pub nodelay: bool,
    pub key_update: bool,
    pub renegotiate: bool,
    /// The last problem with the input or the connection request.
    pub error: Option<String>,
}

/// Label and hint of each text option.
pub const TEXT_FIELDS: [(&str, &str); 18] = [
    ("SNI", "server name to send"),
    ("ALPN", "h2,http/1.1"),
    ("TLS min", "1.2 or 1.3"),
    ("TLS max", "1.2 or 1.3"),
    ("Ciphers (1.2)", "OpenSSL cipher list"),
    ("Ciphersuites (1.3)", "TLS_AES_128_GCM_SHA256"),
    ("CA file", "PEM file to trust"),
    ("Client cert", "PEM file, leaf first"),
    ("Client key", "PEM file"),
    ("SO_SNDBUF", "e.g. 16K"),
    ("SO_RCVBUF", "e.g. 16K"),
    ("Connect timeout", "seconds [10]"),
    ("Timeout", "seconds, 0 = none [30]"),
    ("HTTP GET path", "/"),
    ("Send text", "escapes \\n \\r \\t"),
    ("Upload bytes", "e.g. 10M"),
    ("Read for", "seconds"),
    ("Then send", "text, after Read for"),
];

fn opt(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl ConnectBar {
    /// The typed options as the command line's option set.
    pub fn options(&self) -> ConnectOptions {
        let f = &self.fields;
        ConnectOptions {
            sni: opt(&f[0]),
            no_sni: self.no_sni,
            alpn: opt(&f[1]),
            tls_min: opt(&f[2]),
            tls_max: opt(&f[3]),
            ciphers: opt(&f[4]),
            ciphersuites: opt(&f[5]),
            ca: opt(&f[6]).map(PathBuf::from),
            cert: opt(&f[7]).map(PathBuf::from),
            key: opt(&f[8]).map(PathBuf::from),
            insecure: self.insecure,
            no_auto_retry: self.no_auto_retry,
            sndbuf: opt(&f[9]),
            rcvbuf: opt(&f[10]),
            connect_timeout: opt(&f[11]),
            timeout: opt(&f[12]),
            http_get: opt(&f[13]),
            send: opt(&f[14]),
            upload: opt(&f[15]),
            read_for: opt(&f[16]),
            then_send: opt(&f[17]),
            nodelay: self.nodelay,
            key_update: self.key_update,
            renegotiate: self.renegotiate,
        }
    }

    /// Fills the form from a target and command-line options.
    pub fn set_from(&mut self, target: &str, o: &ConnectOptions) {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let values = [
            o.sni.clone(),
            o.alpn.clone(),
            o.tls_min.clone(),
            o.tls_max.clone(),
            o.ciphers.clone(),
            o.ciphersuites.clone(),
            path(&o.ca),
            path(&o.cert),
            path(&o.key),
            o.sndbuf.clone(),
            o.rcvbuf.clone(),
            o.connect_timeout.clone(),
            o.timeout.clone(),
            o.http_get.clone(),
            o.send.clone(),
            o.upload.clone(),
            o.read_for.clone(),
            o.then_send.clone(),
        ];
        for (field, value) in self.fields.iter_mut().zip(values) {
            *field = value.unwrap_or_default();
        }
        self.target = target.to_string();
        self.no_sni = o.no_sni;
        self.insecure = o.insecure;
        self.no_auto_retry = o.no_auto_retry;
        self.nodelay = o.nodelay;
        self.key_update = o.key_update;
        self.renegotiate = o.renegotiate;
    }

    /// Checks what can be checked without touching files or the network.
    pub fn validate(&self) -> Result<(), String> {
        let target = self.target.trim();
        if target.is_empty() {
            return Err("enter a target: HOST:PORT (e.g. example.com:443) or lab:NAME".into());
        }
        match target.strip_prefix("lab:") {
            Some(name) if Scenario::from_name(name).is_none() => {
                return Err(format!(
                    "no lab scenario {name:?}: pick one from the Scenarios menu"
                ))
            }
            Some(_) => {}
            None => {
                Target::parse(target)?;
            }
        }
        let o = self.options();
        if o.cert.is_some() != o.key.is_some() {
            return Err("a client certificate needs both the cert and the key file".into());
        }
        if o.sni.is_some() && o.no_sni {
            return Err("give an SNI name or turn SNI off, not both".into());
        }
        Ok(())
    }

    /// Asks for a connection to the typed target, or explains why not.
    pub fn connect(&mut self, model: &mut Model) {
        match self.validate() {
            Ok(()) => {
                self.error = None;
                model.requests.push(Request::Connect {
                    target: self.target.trim().to_string(),
                    options: Box::new(self.options()),
                });
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("tlsscope").strong());
            let label = ui.label("Target");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.target)
                        .hint_text("HOST:PORT or lab:NAME")
                        .desired_width(260.0),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Connect").clicked() || enter {
                self.connect(model);
            }
            let live = model
                .current()
                .map(|c| (c.id, c.status().is_live()))
                .filter(|c| c.1);
            if ui
                .add_enabled(live.is_some(), egui::Button::new("Stop"))
                .clicked()
            {
                if let Some((id, _)) = live {
                    model.requests.push(Request::Stop(id));
                }
            }
            self.scenario_menu(ui);
            ui.toggle_value(&mut self.show_options, "Options");
            ui.separator();
            for (action, text) in [
                (Action::KeyUpdate, "Key update"),
                (Action::Renegotiate, "Renegotiate"),
            ] {
                if ui
                    .add_enabled(live.is_some(), egui::Button::new(text))
                    .on_hover_text("ask the live connection for it now")
                    .clicked()
                {
                    if let Some((id, _)) = live {
                        model.requests.push(Request::Action(id, action));
                    }
                }
            }
        });
        // On a line of its own, right under the field, so a long reason is never cut off.
        if let Some(e) = &self.error {
            ui.label(RichText::new(format!("Problem: {e}")).color(Color32::from_rgb(255, 110, 90)));
        }
        if self.show_options {
            self.options_ui(ui);
        }
    }

    fn scenario_menu(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Scenarios", |ui| {
            ui.set_max_width(520.0);
            for s in Scenario::ALL {
                let r = ui
                    .button(format!("lab:{}  -  {}", s.name(), s.summary()))
                    .on_hover_text(s.explanation());
                if r.clicked() {
                    self.target = format!("lab:{}", s.name());
                    self.error = None;
                    ui.close();
                }
            }
        });
    }

    fn options_ui(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("connect-options")
            .num_columns(6)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for (i, (label, hint)) in TEXT_FIELDS.iter().enumerate() {
                    let l = ui.label(*label);
                    ui.add(
                        egui::TextEdit::singleline(&mut self.fields[i])
                            .hint_text(*hint)
                            .desired_width(140.0),
                    )
                    .labelled_by(l.id);
                    if i % 3 == 2 {
                        ui.end_row();
                    }
                }
                ui.end_row();
            });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.no_sni, "No SNI");
            ui.checkbox(&mut self.insecure, "Don't verify");
            ui.checkbox(&mut self.no_auto_retry, "AUTO_RETRY off");
            ui.checkbox(&mut self.nodelay, "TCP_NODELAY");
            ui.checkbox(&mut self.key_update, "Key update after handshake");
            ui.checkbox(&mut self.renegotiate, "Renegotiate after handshake");
        });
    }
}
