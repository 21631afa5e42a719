//! `tlsscope lab` (serve the misbehaving peers on loopback) and the `lab:NAME` targets of
//! `tlsscope trace`, which start one scenario in-process.

use super::{say, CliError};
use crate::lab::{LabServer, Pki, Scenario};
use crate::options::{self, ConnectOptions, PemFiles};
use clap::Args;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    duration: Option<String>,
    /// Allow --listen on an address other than loopback (the lab's peers are then reachable
    /// from other machines).
    #[arg(long)]
    allow_remote: bool,
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
            "--listen {:?}: expected IP:PORT with a port from 0 to 65535, e.g. 127.0.0.1:4433",
            args.listen
        ))
    })?;
    let scenarios: Vec<Scenario> = if args.scenario == "all" {
        Scenario::ALL.to_vec()
    } else {
        vec![options::scenario(&args.scenario).map_err(CliError::Usage)?]
    };
    let ports = lab_ports(listen.port(), scenarios.len()).map_err(CliError::Usage)?;
    if !listen.ip().is_loopback() {
        if !args.allow_remote {
            return Err(CliError::Usage(format!(
                "--listen {listen}: not a loopback address, so other machines could reach the \
                 lab's peers; add --allow-remote if that is what you want"
            )));
        }
        warn(&format!(
            "warning: serving the lab on {listen} (--allow-remote): other machines can reach \
             its misbehaving peers"
        ));
    }
    let duration = match &args.duration {
        Some(s) => Some(
            options::units::parse_seconds(s)
                .map_err(|e| CliError::Usage(format!("--duration: {e}")))?,
        ),
        None => None,
    };
    let pki = Pki::shared()
        .map_err(|e| CliError::Failed(format!("cannot generate the lab's certificates: {e}")))?;
    // Removed when this function returns: at the end of --duration, or on Ctrl+C / SIGTERM.
    let interrupted = on_interrupt()?;
    let files = LabFiles::write(&pki).map_err(CliError::Failed)?;
    let mut servers = Vec::new();
    for (scenario, port) in scenarios.iter().zip(ports) {
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
        std::thread::sleep(std::time::Duration::from_millis(100));
        if interrupted.load(Ordering::SeqCst) {
            say("Interrupted: stopped serving; the lab's files are removed.\n")?;
            return Ok(());
        }
        if duration.is_some_and(|d| started.elapsed() >= d) {
            return Ok(());
        }
    }
}

/// The ports for `count` scenarios from `first` upwards (all 0, any free port, for 0); a usage
/// error when they would go past 65535.
fn lab_ports(first: u16, count: usize) -> Result<Vec<u16>, String> {
    if first == 0 {
        return Ok(vec![0; count]);
    }
    (0..count)
        .map(|i| {
            u16::try_from(i)
                .ok()
                .and_then(|i| first.checked_add(i))
                .ok_or_else(|| {
                    format!(
                        "--listen port {first}: {count} scenario(s) need ports {first} to {}, past \
                         65535; use a lower port, 0 for any free ports, or --scenario NAME",
                        u32::from(first) + count as u32 - 1
                    )
                })
        })
        .collect()
}

/// A line on standard error (not `eprintln!`: it panics when standard error is closed).
fn warn(text: &str) {
    let _ = writeln!(std::io::stderr(), "tlsscope: {text}");
}

/// A flag set by Ctrl+C (SIGINT) or SIGTERM, so the serving loop ends normally and the lab's
/// files (the client key among them) are removed on the way out.
fn on_interrupt() -> Result<Arc<AtomicBool>, CliError> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    ctrlc::set_handler(move || set.store(true, Ordering::SeqCst))
        .map_err(|e| CliError::Failed(format!("cannot handle Ctrl+C: {e}")))?;
    Ok(flag)
}

/// The lab's CA and client identity, written to files for `tlsscope trace --ca/--cert/--key`.
/// They live in a fresh private directory (mode 0700, created under a random name, so no other
/// user can choose or replace it), the files created new with mode 0600; the directory and
/// everything in it are removed when this value is dropped.
struct LabFiles {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    _dir: tempfile::TempDir,
}

impl LabFiles {
    fn write(pki: &Pki) -> Result<LabFiles, String> {
        let dir = tempfile::Builder::new()
            .prefix("tlsscope-lab-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
        let identity = pki.client_identity();
        let write = |name: &str, data: &[u8]| {
            let path = dir.path().join(name);
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .and_then(|mut f| f.write_all(data))
                .map(|()| path)
                .map_err(|e| format!("cannot write {name}: {e}"))
        };
        Ok(LabFiles {
            ca: write("ca.pem", &pki.ca_pem())?,
            client_cert: write("client.pem", &identity.chain_pem)?,
            client_key: write("client.key", &identity.key_pem)?,
            _dir: dir,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_go_up_from_the_first_and_never_past_65535() {
        assert_eq!(lab_ports(0, 3), Ok(vec![0, 0, 0]));
        assert_eq!(lab_ports(4433, 3), Ok(vec![4433, 4434, 4435]));
        assert_eq!(lab_ports(65535, 1), Ok(vec![65535]));
        let e = lab_ports(65530, 32).unwrap_err();
        assert!(e.contains("65530 to 65561, past 65535"), "{e}");
    }

    /// The key is private to us, in a directory only we can enter, and gone when dropped.
    #[test]
    fn lab_files_are_private_and_removed() {
        let pki = Pki::shared().expect("lab PKI");
        let files = LabFiles::write(&pki).expect("written");
        let dir = files
            .client_key
            .parent()
            .expect("a directory")
            .to_path_buf();
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&dir), 0o700);
        for file in [&files.ca, &files.client_cert, &files.client_key] {
            assert_eq!(mode(file), 0o600, "{}", file.display());
            assert_eq!(file.parent(), Some(dir.as_path()));
        }
        let other = LabFiles::write(&pki).expect("written again");
        assert_ne!(
            other.ca.parent(),
            Some(dir.as_path()),
            "a fresh directory each time"
        );
        drop(files);
        assert!(!dir.exists(), "{} removed", dir.display());
    }
}
