//! `tlsscope lab` (serve the misbehaving peers on loopback) and the `lab:NAME` targets of
//! `tlsscope trace`, which start one scenario in-process.

use super::{say, CliError};
use crate::lab::{LabServer, Pki, Scenario};
use crate::options::{self, ConnectOptions, PemFiles};
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct LabArgs {
    /// List the scenarios and what each one shows, then exit.
    #[arg(long)]
    list: bool,
    /// Address to serve on; each scenario gets its own port from PORT upwards (0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: String,
    /// The scenario to serve, or `all`.
    #[arg(long, value_name = "NAME", default_value = "all")]
    scenario: String,
    /// Stop serving after this many seconds (default: until interrupted).
    #[arg(long, value_name = "S")]
    duration: Option<String>,
}

/// The text of `tlsscope lab --list` (README's scenario table is checked against it).
fn list_text() -> String {
    let mut out = String::new();
    for s in Scenario::ALL {
        out.push_str(&format!("{:<22} {}\n", s.name(), s.summary()));
        out.push_str(&format!("{:<22} {}\n", "", s.explanation()));
        out.push_str(&format!("{:<22} signature: {}\n\n", "", s.signature()));
    }
    out
}

pub(crate) fn run(args: LabArgs) -> Result<(), CliError> {
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
        vec![options::scenario(&args.scenario).map_err(CliError::Usage)?]
    };
    let duration = match &args.duration {
        Some(s) => Some(
            options::units::parse_seconds(s)
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
    let pem_files = PemFiles {
        ca: &files.ca,
        cert: &files.client_cert,
        key: &files.client_key,
    };
    let mut line = ConnectOptions::reproducing(&spec, &pem_files).command_line();
    if spec.hello_padding.is_some() || spec.post_handshake_auth {
        line.push_str(" (its padded ClientHello / post-handshake auth need lab:NAME)");
    }
    line
}
