//! The resumption options checked into the spec's [`SessionPlan`](crate::probe::SessionPlan):
//! `--reconnect N`, `--sess-in FILE` (read now, refused unless a regular file of a session PEM),
//! `--sess-out FILE` (checked writable-looking now, written when the connection closes).

use super::files::{read_capped, PEM_CAP};
use super::typed::ConnectOptions;
use crate::probe::{ConnectSpec, Offer};
use std::path::Path;

/// The most connections `--reconnect` adds (they run one after another).
pub(crate) const MAX_RECONNECT: u32 = 1000;

pub(super) fn apply(options: &ConnectOptions, spec: &mut ConnectSpec) -> Result<(), String> {
    if let Some(n) = &options.reconnect {
        let n: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n <= MAX_RECONNECT)
            .ok_or_else(|| {
                format!("--reconnect {n:?}: give a number of connections from 0 to {MAX_RECONNECT}")
            })?;
        spec.session.reconnect = n;
    }
    if let Some(path) = &options.sess_in {
        let pem = read_capped(path, PEM_CAP, "session file")?;
        let from = format!("session file {}", path.display());
        let offer = Offer::from_pem(&pem, from)
            .map_err(|e| format!("--sess-in {}: {e}", path.display()))?;
        spec.session.offer = Some(offer);
    }
    if let Some(text) = &options.sess_out {
        spec.session.sess_out = Some(check_out(text)?.into());
    }
    Ok(())
}

/// A path the session can be written to: not empty, not a directory or other special file,
/// in a directory that exists.
fn check_out(text: &str) -> Result<&Path, String> {
    let path = Path::new(text);
    let fail = |why: &str| format!("--sess-out {}: {why}", path.display());
    if text.trim().is_empty() {
        return Err("--sess-out: the file name is empty".into());
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(fail("exists and is not a regular file"))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            if parent.is_some_and(|p| !p.is_dir()) {
                return Err(fail("its directory does not exist"));
            }
        }
        Err(e) => return Err(fail(&e.to_string())),
    }
    Ok(path)
}

/// A real session PEM for tests: a TLS 1.2 handshake with the lab's server certificate over a
/// socket pair, in process (the server issues a ticket within the handshake).
#[cfg(test)]
pub(crate) fn sample_session_pem() -> Vec<u8> {
    use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslVerifyMode, SslVersion};
    let pki = crate::lab::Pki::shared().expect("lab certificates");
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    acceptor
        .set_certificate(pki.server.leaf().expect("leaf"))
        .expect("cert");
    acceptor.set_private_key(&pki.server.key).expect("key");
    let acceptor = acceptor.build();
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let server = std::thread::spawn(move || acceptor.accept(a).map(|_| ()).is_ok());
    let mut connector = SslConnector::builder(SslMethod::tls()).expect("connector");
    connector.set_verify(SslVerifyMode::NONE);
    connector
        .set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("max");
    let stream = connector
        .build()
        .configure()
        .expect("configure")
        .connect("localhost", b)
        .expect("handshake");
    assert!(server.join().expect("server thread"));
    let session = stream.ssl().session().expect("a session");
    crate::ffi::session_to_pem(session).expect("pem")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Target;

    #[test]
    fn a_session_file_is_offered() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.pem");
        std::fs::write(&path, sample_session_pem()).expect("write");
        let spec = applied(ConnectOptions {
            sess_in: Some(path.clone()),
            ..Default::default()
        })
        .expect("a valid session file");
        let offer = spec.session.offer.expect("offered");
        assert!(offer.session.is_some());
        assert_eq!(
            offer.saved.offered,
            crate::trace::resumption::Offered::Ticket
        );
        assert_eq!(offer.saved.version.as_deref(), Some("TLSv1.2"));
        assert_eq!(offer.saved.from, format!("session file {}", path.display()));
    }

    fn applied(options: ConnectOptions) -> Result<ConnectSpec, String> {
        let mut spec = ConnectSpec::new(Target::parse("localhost:1").unwrap());
        apply(&options, &mut spec).map(|()| spec)
    }

    #[test]
    fn reconnect_is_a_bounded_count() {
        let with = |n: &str| {
            applied(ConnectOptions {
                reconnect: Some(n.into()),
                ..Default::default()
            })
        };
        assert_eq!(with("3").unwrap().session.reconnect, 3);
        for bad in ["-1", "x", "1001", ""] {
            let e = with(bad).unwrap_err();
            assert!(e.starts_with("--reconnect"), "{bad}: {e}");
        }
    }

    #[test]
    fn session_files_are_refused_with_the_option_name() {
        let dir = std::env::temp_dir().join(format!("tlsscope-sess-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.pem");
        std::fs::write(&junk, "not a session").unwrap();
        let sess_in = |p: &Path| {
            applied(ConnectOptions {
                sess_in: Some(p.into()),
                ..Default::default()
            })
        };
        let e = sess_in(&junk).unwrap_err();
        assert!(
            e.starts_with("--sess-in") && e.contains("SSL SESSION"),
            "{e}"
        );
        let e = sess_in(Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.contains("session file") && e.contains("character device"),
            "{e}"
        );
        let sess_out = |p: &str| {
            applied(ConnectOptions {
                sess_out: Some(p.into()),
                ..Default::default()
            })
        };
        let e = sess_out(dir.to_str().unwrap()).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let e = sess_out(&format!("{}/no/such/s.pem", dir.display())).unwrap_err();
        assert!(e.contains("directory does not exist"), "{e}");
        let fine = format!("{}/s.pem", dir.display());
        assert_eq!(
            sess_out(&fine).unwrap().session.sess_out,
            Some(fine.clone().into())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
