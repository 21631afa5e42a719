//! Running tlsscope and its peers with bounds, for the hostile-input tests: a run that is killed
//! after a time limit (standard input a pipe left open, so a prompt would show as a hang), Python
//! peers from tests/peers/, and children reaped even when a test panics.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tlsscope");

/// Runs tlsscope with `args`, standard input a pipe that stays open (so a prompt would wait for
/// ever), killed after `limit`: returns the output and whether it ended by itself.
pub fn run_bounded(args: &[&str], env: &[(&str, &str)], limit: Duration) -> (Output, bool) {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlsscope");
    let stdin = child.stdin.take();
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let reader = |pipe: Option<std::process::ChildStdout>| {
        std::thread::spawn(move || {
            let mut data = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut data);
            }
            data
        })
    };
    let out = reader(out);
    let err = std::thread::spawn(move || {
        let mut data = Vec::new();
        if let Some(mut p) = err {
            let _ = p.read_to_end(&mut data);
        }
        data
    });
    let end = Instant::now() + limit;
    let mut ended = false;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            ended = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !ended {
        let _ = child.kill();
    }
    let status = child.wait().expect("wait");
    drop(stdin);
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    (output, ended)
}

pub fn run_cli(args: &[&str]) -> Output {
    let (out, ended) = run_bounded(args, &[], Duration::from_secs(60));
    assert!(ended, "tlsscope {args:?} did not end within 60 s");
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn last_line(bytes: &[u8]) -> String {
    text(bytes).lines().last().unwrap_or("").to_string()
}

/// A private folder for one test's files (under target/, not /tmp).
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A Python peer from tests/peers/ that prints its port first, killed when dropped. Its
/// standard output stays open (a proxy logs each request there; a closed pipe would end it).
pub struct PyPeer {
    child: Child,
    pub port: u16,
    /// Kept open: a closed pipe would end a peer that logs.
    stdout: BufReader<ChildStdout>,
}

impl PyPeer {
    /// Starts `tests/peers/SCRIPT ARGS…` and reads the port it prints.
    pub fn start(script: &str, args: &[&str]) -> PyPeer {
        let path = format!("{}/tests/peers/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("python3")
            .arg(path)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the peer's port");
        let port = line.trim().parse().expect("a port number");
        PyPeer {
            child,
            port,
            stdout,
        }
    }

    /// `tls_peer.py MODE` with the given server certificate and key.
    pub fn tls(mode: &str, cert: &Path, key: &Path) -> PyPeer {
        PyPeer::start(
            "tls_peer.py",
            &[mode, &cert.to_string_lossy(), &key.to_string_lossy()],
        )
    }

    pub fn target(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Stops the peer and returns what it printed after its port (a proxy's request log).
    pub fn stop_and_read_log(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        rest
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed (if still running) and waited for when dropped, panics included.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
