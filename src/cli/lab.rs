//! `tlsscope lab` (serve the misbehaving peers on loopback) and the `lab:NAME` targets of
//! `tlsscope trace`, which start one scenario in-process.

use super::CliError;
use crate::lab::{LabServer, Pki, Scenario};
use crate::probe::ConnectSpec;
use clap::Args;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct LabArgs {
    /// List the scenarios and what each one shows, then exit.
    #[arg(long)]
    pub list: bool,
    /// Address to serve on; each scenario gets its own port from PORT upwards (0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// The scenario to serve, or `all`.
    #[arg(long, value_name = "NAME", default_value = "all")]
    pub scenario: String,
    /// Stop serving after this many seconds (default: until interrupted).
    #[arg(long, value_name = "S")]
    pub duration: Option<String>,
}

fn unknown(name: &str) -> String {
    let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
    format!(
        "unknown lab scenario {name:?}; the scenarios are: {}",
        names.join(", ")
    )
}

/// Starts scenario `name` on an ephemeral loopback port; returns its client spec and the server,
/// which serves as long as it is kept.
pub fn start_for_trace(
    name: &str,
) -> Result<(ConnectSpec, Option<Box<dyn std::any::Any>>), String> {
    let scenario = Scenario::from_name(name).ok_or_else(|| unknown(name))?;
    let pki = Pki::shared().map_err(|e| format!("cannot generate the lab's certificates: {e}"))?;
    let listen = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    let server = LabServer::start(scenario, listen, pki.clone())
        .map_err(|e| format!("cannot start lab scenario {name}: {e}"))?;
    let spec = scenario.client_spec(server.addr(), &pki);
    Ok((spec, Some(Box::new(server))))
}

/// The text of `tlsscope lab --list` (README's scenario table is checked against it).
pub fn list_text() -> String {
    let mut out = String::new();
    for s in Scenario::ALL {
        out.push_str(&format!("{:<22} {}\n", s.name(), s.summary()));
        out.push_str(&format!("{:<22} {}\n", "", s.explanation()));
        out.push_str(&format!("{:<22} signature: {}\n\n", "", s.signature()));
    }
    out
}

/// Prints to standard output; a reader that went away (`| head`) ends the command quietly.
fn say(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::Quiet),
        Err(e) => Err(CliError::Failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

pub fn run(args: LabArgs) -> Result<(), CliError> {
    if args.list {
        return say(&list_text());
    }
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        CliError::Usage(format!(
            "--listen {:?}: expected IP:PORT, e.g. 127.0.0.1:4433",
            args.listen
        ))
    })?;
    let scenarios: Vec<Scenario> = if args.scenario == "all" {
        Scenario::ALL.to_vec()
    } else {
        vec![Scenario::from_name(&args.scenario)
            .ok_or_else(|| CliError::Usage(unknown(&args.scenario)))?]
    };
    let duration = match &args.duration {
        Some(s) => Some(
            super::units::parse_seconds(s)
                .map_err(|e| CliError::Usage(format!("--duration: {e}")))?,
        ),
        None => None,
    };
    let pki = Pki::shared()
        .map_err(|e| CliError::Failed(format!("cannot generate the lab's certificates: {e}")))?;
    let files = LabFiles::write(&pki).map_err(CliError::Failed)?;
    let mut servers = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        let port = if listen.port() == 0 {
            0
        } else {
            listen.port().saturating_add(i as u16)
        };
        let addr = SocketAddr::new(listen.ip(), port);
        let server = LabServer::start(*scenario, addr, pki.clone()).map_err(|e| {
            CliError::Failed(format!("cannot serve {} on {addr}: {e}", scenario.name()))
        })?;
        say(&format!(
            "{:<22} {}  {}\n{:<22} try: tlsscope trace {} {}\n",
            scenario.name(),
            server.addr(),
            scenario.summary(),
            "",
            server.addr(),
            try_options(*scenario, &files)
        ))?;
        servers.push(server);
    }
    say(&format!(
        "\nThe lab CA is {}; the lab's client certificate and key are {} and {}.\n\
         `tlsscope trace lab:NAME` needs none of this: it starts the scenario by itself.\n\
         Serving until interrupted (Ctrl-C).\n",
        files.ca.display(),
        files.client_cert.display(),
        files.client_key.display()
    ))?;
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        if duration.is_some_and(|d| started.elapsed() >= d) {
            return Ok(());
        }
    }
}

/// The lab's CA and client identity, written to files for `tlsscope trace --ca/--cert/--key`.
/// Generated at startup; the key stays in this machine's temporary folder.
struct LabFiles {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

impl LabFiles {
    fn write(pki: &Pki) -> Result<LabFiles, String> {
        let dir = std::env::temp_dir().join(format!("tlsscope-lab-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let identity = pki.client_identity();
        let write = |name: &str, data: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, data)
                .map(|()| path)
                .map_err(|e| format!("cannot write {name}: {e}"))
        };
        Ok(LabFiles {
            ca: write("ca.pem", &pki.ca_pem())?,
            client_cert: write("client.pem", &identity.chain_pem)?,
            client_key: write("client.key", &identity.key_pem)?,
        })
    }
}

/// The options that reproduce a scenario's client defaults on the command line.
fn try_options(scenario: Scenario, files: &LabFiles) -> String {
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1);
    let Ok(pki) = Pki::shared() else {
        return String::new();
    };
    let spec = scenario.client_spec(addr, &pki);
    let mut opts = vec![format!("--ca {}", files.ca.display())];
    match spec.sni_name() {
        Some(name) => opts.push(format!("--sni {name}")),
        None => opts.push("--no-sni".into()),
    }
    if !spec.verify {
        opts.push("--insecure".into());
    }
    if !spec.alpn.is_empty() {
        opts.push(format!("--alpn {}", spec.alpn.join(",")));
    }
    if let Some(list) = &spec.ciphers {
        opts.push(format!("--ciphers {list}"));
    }
    if let Some(v) = spec.tls_min {
        opts.push(format!("--tls-min {}", v.name()));
    }
    if let Some(v) = spec.tls_max {
        opts.push(format!("--tls-max {}", v.name()));
    }
    if !spec.auto_retry {
        opts.push("--no-auto-retry".into());
    }
    if let Some(n) = spec.sndbuf {
        opts.push(format!("--sndbuf {n}"));
    }
    if let Some(n) = spec.rcvbuf {
        opts.push(format!("--rcvbuf {n}"));
    }
    if let Some(p) = &spec.workload.http_get {
        opts.push(format!("--http-get {p}"));
    }
    if let Some(t) = &spec.workload.send {
        let text = String::from_utf8_lossy(t)
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        opts.push(format!("--send '{text}'"));
    }
    if let Some(t) = &spec.workload.then_send {
        let text = String::from_utf8_lossy(t)
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        opts.push(format!("--then-send '{text}'"));
    }
    if let Some(n) = spec.workload.upload {
        opts.push(format!("--upload {n}"));
    }
    if let Some(d) = spec.workload.read_for {
        opts.push(format!("--read-for {}", d.as_secs_f64()));
    }
    if let Some(t) = spec.timeout {
        opts.push(format!("--timeout {}", t.as_secs_f64()));
    }
    if spec.client_identity.is_some() {
        opts.push(format!(
            "--cert {} --key {}",
            files.client_cert.display(),
            files.client_key.display()
        ));
    }
    if spec.hello_padding.is_some() || spec.post_handshake_auth {
        opts.push("(its padded ClientHello / post-handshake auth need lab:NAME)".into());
    }
    opts.join(" ")
}
