//! `tlsscope trace TARGET`: one traced connection, printed as it happens.

use super::units;
use crate::probe::{self, ClientIdentity, ConnectSpec, EngineOptions, Sni, Target, TlsVersion};
use crate::trace::{diagnosis::Diagnoser, jsonl, text::TextWriter, CloseReason, Event, EventKind};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The options of one traced connection, as typed (validated by [`ConnectOptions::apply`]).
/// The GUI offers the same set.
#[derive(Args, Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Server name to send (SNI) and to verify the certificate against.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Send no SNI.
    #[arg(long, conflicts_with = "sni")]
    pub no_sni: bool,
    /// ALPN protocols to offer, comma separated (e.g. h2,http/1.1).
    #[arg(long, value_name = "LIST")]
    pub alpn: Option<String>,
    /// Lowest TLS version to allow: 1.2 or 1.3.
    #[arg(long, value_name = "V")]
    pub tls_min: Option<String>,
    /// Highest TLS version to allow: 1.2 or 1.3.
    #[arg(long, value_name = "V")]
    pub tls_max: Option<String>,
    /// TLS 1.2 cipher list (OpenSSL syntax).
    #[arg(long, value_name = "LIST")]
    pub ciphers: Option<String>,
    /// TLS 1.3 cipher suites (OpenSSL syntax).
    #[arg(long, value_name = "LIST")]
    pub ciphersuites: Option<String>,
    /// Trust the CA certificates in this PEM file instead of the system store.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM, leaf first, chain may follow); needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key of the client certificate (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Do not verify the peer's certificate.
    #[arg(long)]
    pub insecure: bool,
    /// Clear SSL_MODE_AUTO_RETRY: SSL_read returns WANT_READ after non-application records.
    #[arg(long)]
    pub no_auto_retry: bool,
    /// SO_SNDBUF for our socket (e.g. 16K); Linux doubles it.
    #[arg(long, value_name = "N")]
    pub sndbuf: Option<String>,
    /// SO_RCVBUF for our socket (e.g. 16K); Linux doubles it.
    #[arg(long, value_name = "N")]
    pub rcvbuf: Option<String>,
    /// Set TCP_NODELAY: small writes leave at once instead of waiting for the peer's ACK (Nagle).
    #[arg(long)]
    pub nodelay: bool,
    /// Seconds allowed for the TCP connect [default: 10].
    #[arg(long, value_name = "S")]
    pub connect_timeout: Option<String>,
    /// Seconds allowed for the whole connection, 0 for no limit [default: 30].
    #[arg(long, value_name = "S")]
    pub timeout: Option<String>,
    /// Workload: send an HTTP/1.1 GET for PATH and read the response.
    #[arg(long, value_name = "PATH")]
    pub http_get: Option<String>,
    /// Workload: send TEXT (\n, \r and \t escapes are understood).
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,
    /// Workload: write this many bytes of bulk data (e.g. 10M).
    #[arg(long, value_name = "BYTES")]
    pub upload: Option<String>,
    /// After the workload, keep reading until the peer closes or S seconds pass.
    #[arg(long, value_name = "S")]
    pub read_for: Option<String>,
    /// When --read-for's time is up, send TEXT and read for that long again (also carries what
    /// OpenSSL deferred to the next write, e.g. the reply to a peer's KeyUpdate).
    #[arg(long, value_name = "TEXT", requires = "read_for")]
    pub then_send: Option<String>,
    /// After the handshake, send a TLS 1.3 KeyUpdate (update_requested).
    #[arg(long)]
    pub key_update: bool,
    /// After the handshake, renegotiate (TLS 1.2).
    #[arg(long)]
    pub renegotiate: bool,
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| {
        format!(
            "cannot read {what} {}: {}",
            path.display(),
            e.to_string().split(" (os error").next().unwrap_or("")
        )
    })
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
    pub fn apply(&self, spec: &mut ConnectSpec) -> Result<(), String> {
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
            spec.alpn = list
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
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
        if let Some(path) = &self.ca {
            let pem = read_file(path, "CA file")?;
            check_certificates(&pem, path, "CA file")?;
            spec.ca_pem = Some(pem);
        }
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            let chain_pem = read_file(cert, "certificate file")?;
            check_certificates(&chain_pem, cert, "certificate file")?;
            let key_pem = read_file(key, "key file")?;
            if openssl::pkey::PKey::private_key_from_pem(&key_pem).is_err() {
                return Err(format!(
                    "key file {}: no unencrypted PEM private key found in it",
                    key.display()
                ));
            }
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
        spec.key_update |= self.key_update;
        spec.renegotiate |= self.renegotiate;
        Ok(())
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Jsonl,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// HOST:PORT to connect to, or lab:SCENARIO for a built-in misbehaving peer.
    pub target: String,
    #[command(flatten)]
    pub options: ConnectOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the trace to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What a `trace` run ended with.
pub enum Outcome {
    Ok,
    Failed,
}

/// A target resolved to a spec: a plain HOST:PORT, or a lab scenario started in-process
/// (`_lab` keeps its server running while the connection is traced).
pub struct Prepared {
    pub spec: ConnectSpec,
    pub _lab: Option<Box<dyn std::any::Any>>,
}

/// Turns the target text and the options into a spec. Errors are usage errors.
pub fn prepare(target: &str, options: &ConnectOptions) -> Result<Prepared, String> {
    let (mut spec, lab) = match target.strip_prefix("lab:") {
        Some(name) => super::lab::start_for_trace(name)?,
        None => (ConnectSpec::new(Target::parse(target)?), None),
    };
    options.apply(&mut spec)?;
    Ok(Prepared { spec, _lab: lab })
}

pub fn run(args: TraceArgs) -> Result<Outcome, super::CliError> {
    let prepared = prepare(&args.target, &args.options).map_err(super::CliError::Usage)?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                super::CliError::Usage(format!("cannot create {}: {e}", path.display()))
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = TextWriter::new();
    let mut last_error: Option<String> = None;
    let mut close = None;
    let mut write_failed: Option<std::io::Error> = None;
    // The verdict and the closing diagnosis, from bounded per-connection facts.
    let mut diagnoser = Diagnoser::new();
    // A little beyond the connection's own deadline, so its timeout (with its reason) fires first.
    let limit = prepared
        .spec
        .timeout
        .map(|t| t + Duration::from_secs(5))
        .unwrap_or(Duration::from_secs(u32::MAX as u64));
    probe::trace_one(
        prepared.spec,
        EngineOptions::default(),
        limit,
        |batch: &[Event]| {
            for event in batch {
                let verdict = diagnoser.feed(event);
                match &event.kind {
                    EventKind::Error(message) => last_error = Some(message.to_string()),
                    // A failed address before a successful connect is not why the run failed.
                    EventKind::Connected(_) => last_error = None,
                    EventKind::Close(c) => close = Some(*c),
                    _ => {}
                }
                if write_failed.is_some() {
                    continue;
                }
                let result = verdict
                    .iter()
                    .chain(std::iter::once(event))
                    .try_for_each(|e| match args.format {
                        Format::Text => writer.write_event(e, &mut out),
                        Format::Jsonl => writeln!(out, "{}", jsonl::to_line(e)),
                    });
                if let Err(e) = result {
                    write_failed = Some(e);
                }
            }
            if write_failed.is_none() {
                if let Err(e) = out.flush() {
                    write_failed = Some(e);
                }
            }
        },
    )
    .map_err(|e| super::CliError::Failed(format!("cannot start the engine: {e}")))?;
    if args.format == Format::Text && write_failed.is_none() {
        for conn in diagnoser.conns() {
            let mut text = String::from("\ndiagnosis:\n");
            for line in diagnoser.section(conn) {
                text.push_str(&format!("  {line}\n"));
            }
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                write_failed = Some(e);
            }
        }
    }
    if let Some(e) = write_failed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(super::CliError::Failed(format!(
                "cannot write the trace: {e}"
            )));
        }
    }
    match close {
        Some(c) if c.reason == CloseReason::Clean && c.workload_done => Ok(Outcome::Ok),
        Some(c) => {
            Err(super::CliError::Failed(last_error.unwrap_or_else(|| {
                format!("connection ended: {}", c.reason.name())
            })))
        }
        None => Err(super::CliError::Failed(
            "the connection did not end in time".into(),
        )),
    }
}
