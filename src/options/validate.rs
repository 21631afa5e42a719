//! Checking the typed options and turning them into the engine's [`ConnectSpec`]: parsing
//! units and versions, reading and parsing the PEM files. An error about a value names the option
//! by its command-line name; one about a file names the file (the README quotes those lines).
//! This reads files and calls OpenSSL, so the app runs it off its UI thread.

use super::files::{read_capped, PEM_CAP};
use super::key;
use super::typed::ConnectOptions;
use super::units;
use crate::probe::{ClientIdentity, ConnectSpec, Proxy, Sni, Starttls, TlsVersion};
use openssl::ssl::{SslContext, SslContextBuilder, SslMethod};
use std::path::Path;

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    read_capped(path, PEM_CAP, what)
}

/// The ALPN list as offered: names trimmed, each 1 to 255 bytes, the encoded list at most 65535
/// bytes (TLS's limits). An empty value offers none (it clears a lab scenario's list).
fn alpn_list(list: &str) -> Result<Vec<String>, String> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = list.split(',').map(|p| p.trim().to_string()).collect();
    let mut wire = 0usize;
    for name in &names {
        if name.is_empty() {
            return Err(format!(
                "--alpn {list:?}: an empty protocol name (two commas, or one at an end)"
            ));
        }
        if name.len() > 255 {
            return Err(format!(
                "--alpn: protocol name {:?}… is {} bytes; each must be 1 to 255",
                name.chars().take(16).collect::<String>(),
                name.len()
            ));
        }
        wire += 1 + name.len();
    }
    if wire > 65535 {
        return Err(format!(
            "--alpn: the list is {wire} bytes encoded; TLS allows at most 65535"
        ));
    }
    Ok(names)
}

/// A context to try cipher settings on, as the connection's own will be built.
fn scratch() -> Result<SslContextBuilder, String> {
    SslContext::builder(SslMethod::tls_client()).map_err(|e| format!("OpenSSL: {e}"))
}

/// Checks the cipher lists as OpenSSL will apply them, so a list it refuses is a usage error
/// before connecting rather than a failure after.
fn check_ciphers(ciphers: Option<&str>, suites: Option<&str>) -> Result<(), String> {
    if let Some(list) = ciphers {
        scratch()?.set_cipher_list(list).map_err(|_| {
            format!("--ciphers {list:?}: OpenSSL knows none of these TLS 1.2 ciphers")
        })?;
    }
    if let Some(list) = suites {
        scratch()?.set_ciphersuites(list).map_err(|_| {
            format!("--ciphersuites {list:?}: OpenSSL knows none of these TLS 1.3 suites")
        })?;
    }
    Ok(())
}

fn check_certificates(pem: &[u8], path: &Path, what: &str) -> Result<(), String> {
    match openssl::x509::X509::stack_from_pem(pem) {
        Ok(certs) if !certs.is_empty() => Ok(()),
        _ => Err(format!(
            "{what} {}: no PEM certificate found in it",
            path.display()
        )),
    }
}

fn unescape(text: &str) -> Vec<u8> {
    text.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .into_bytes()
}

impl ConnectOptions {
    /// Applies the options the user gave on top of `spec` (a plain target's defaults, or a lab
    /// scenario's). Returns a one-line reason for bad input.
    pub(crate) fn apply(&self, spec: &mut ConnectSpec) -> Result<(), String> {
        self.check_combinations()?;
        if let Some(name) = &self.sni {
            if name.is_empty() {
                return Err("--sni: the name is empty (use --no-sni to send none)".into());
            }
            spec.sni = Sni::Name(name.clone());
        }
        if self.no_sni {
            spec.sni = Sni::Off;
        }
        if let Some(list) = &self.alpn {
            spec.alpn = alpn_list(list)?;
        }
        if let Some(v) = &self.tls_min {
            spec.tls_min = Some(TlsVersion::parse(v).map_err(|e| format!("--tls-min: {e}"))?);
        }
        if let Some(v) = &self.tls_max {
            spec.tls_max = Some(TlsVersion::parse(v).map_err(|e| format!("--tls-max: {e}"))?);
        }
        if let (Some(min), Some(max)) = (spec.tls_min, spec.tls_max) {
            if min > max {
                return Err(format!(
                    "--tls-min {} is above --tls-max {}",
                    min.name(),
                    max.name()
                ));
            }
        }
        if self.ciphers.is_some() {
            spec.ciphers = self.ciphers.clone();
        }
        if self.ciphersuites.is_some() {
            spec.ciphersuites = self.ciphersuites.clone();
        }
        check_ciphers(self.ciphers.as_deref(), self.ciphersuites.as_deref())?;
        if let Some(path) = &self.ca {
            let pem = read_file(path, "CA file")?;
            check_certificates(&pem, path, "CA file")?;
            spec.ca_pem = Some(pem);
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            let chain_pem = read_file(cert, "certificate file")?;
            check_certificates(&chain_pem, cert, "certificate file")?;
            let pass = self.key_pass.as_deref().map(key::passphrase).transpose()?;
            let key_pem = key::load(&read_file(key, "key file")?, key, pass.as_deref())?;
            key::check_pair(&chain_pem, &key_pem, cert, key)?;
            spec.client_identity = Some(ClientIdentity { chain_pem, key_pem });
        }
        if self.insecure {
            spec.verify = false;
        }
        if self.no_auto_retry {
            spec.auto_retry = false;
        }
        if let Some(n) = &self.sndbuf {
            spec.sndbuf = Some(units::parse_buffer(n).map_err(|e| format!("--sndbuf: {e}"))?);
        }
        if let Some(n) = &self.rcvbuf {
            spec.rcvbuf = Some(units::parse_buffer(n).map_err(|e| format!("--rcvbuf: {e}"))?);
        }
        if self.nodelay {
            spec.nodelay = true;
        }
        if let Some(s) = &self.connect_timeout {
            let d = units::parse_seconds(s).map_err(|e| format!("--connect-timeout: {e}"))?;
            if d.is_zero() {
                return Err("--connect-timeout must be more than 0 seconds".into());
            }
            spec.connect_timeout = d;
        }
        if let Some(s) = &self.timeout {
            let d = units::parse_seconds(s).map_err(|e| format!("--timeout: {e}"))?;
            spec.timeout = (!d.is_zero()).then_some(d);
        }
        let workload_given =
            self.http_get.is_some() || self.send.is_some() || self.upload.is_some();
        if workload_given {
            // A workload on the command line replaces a scenario's default workload.
            spec.workload = Default::default();
        }
        if let Some(path) = &self.http_get {
            if !path.starts_with('/') {
                return Err(format!(
                    "--http-get: the path must start with '/', got {path:?}"
                ));
            }
            spec.workload.http_get = Some(path.clone());
        }
        if let Some(text) = &self.send {
            spec.workload.send = Some(unescape(text));
        }
        if let Some(n) = &self.upload {
            spec.workload.upload =
                Some(units::parse_size(n).map_err(|e| format!("--upload: {e}"))?);
        }
        if let Some(s) = &self.read_for {
            spec.workload.read_for =
                Some(units::parse_seconds(s).map_err(|e| format!("--read-for: {e}"))?);
        }
        if let Some(text) = &self.then_send {
            spec.workload.then_send = Some(unescape(text));
        }
        if let Some(proto) = &self.starttls {
            spec.starttls = Some(Starttls::parse(proto).map_err(|e| format!("--starttls: {e}"))?);
        }
        if let Some(name) = &self.starttls_host {
            if name.trim().is_empty() || name.contains(['\r', '\n']) {
                return Err("--starttls-host: give a host name (one line, not empty)".into());
            }
            spec.starttls_host = Some(name.trim().to_string());
        }
        if let Some(url) = &self.proxy {
            spec.proxy = Some(Proxy::parse(url).map_err(|e| format!("--proxy: {e}"))?);
        }
        super::session::apply(self, spec)?;
        spec.key_update |= self.key_update;
        spec.renegotiate |= self.renegotiate;
        spec.ocsp_status |= self.status;
        Ok(())
    }
}
