//! The other direction: the typed options that reproduce a spec, and their command line, drawn
//! from the same table (`tlsscope lab` prints them as the `tlsscope trace` command to try).

use super::fields::{Kind, FIELDS};
use super::typed::ConnectOptions;
use crate::probe::{ConnectSpec, Sni};
use std::path::Path;
use std::time::Duration;

/// Files holding the PEM material a spec carries in memory, for the options that name files.
pub(crate) struct PemFiles<'a> {
    pub(crate) ca: &'a Path,
    pub(crate) cert: &'a Path,
    pub(crate) key: &'a Path,
}

fn seconds(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// The inverse of `--send`'s escapes.
fn escape(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

/// `text` as one word for a POSIX shell: bare when that is safe, else in single quotes.
fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._:,=@+-".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

impl ConnectOptions {
    /// The options that, applied to a plain target's defaults, give `spec` (except what has no
    /// option: post-handshake auth and ClientHello padding). Values equal to the plain defaults
    /// are left out.
    pub(crate) fn reproducing(spec: &ConnectSpec, files: &PemFiles) -> ConnectOptions {
        let plain = ConnectSpec::new(spec.target.clone());
        let work = &spec.workload;
        ConnectOptions {
            sni: match &spec.sni {
                Sni::Name(name) => Some(name.clone()),
                Sni::FromTarget | Sni::Off => None,
            },
            no_sni: spec.sni == Sni::Off,
            alpn: (!spec.alpn.is_empty()).then(|| spec.alpn.join(",")),
            tls_min: spec.tls_min.map(|v| v.name().to_string()),
            tls_max: spec.tls_max.map(|v| v.name().to_string()),
            ciphers: spec.ciphers.clone(),
            ciphersuites: spec.ciphersuites.clone(),
            ca: spec.ca_pem.as_ref().map(|_| files.ca.to_path_buf()),
            cert: spec
                .client_identity
                .as_ref()
                .map(|_| files.cert.to_path_buf()),
            key: spec
                .client_identity
                .as_ref()
                .map(|_| files.key.to_path_buf()),
            key_pass: None,
            insecure: !spec.verify,
            status: spec.ocsp_status,
            no_auto_retry: !spec.auto_retry,
            sndbuf: spec.sndbuf.map(|n| n.to_string()),
            rcvbuf: spec.rcvbuf.map(|n| n.to_string()),
            nodelay: spec.nodelay,
            connect_timeout: (spec.connect_timeout != plain.connect_timeout)
                .then(|| seconds(spec.connect_timeout)),
            // No deadline is written `--timeout 0`.
            timeout: (spec.timeout != plain.timeout)
                .then(|| spec.timeout.map_or_else(|| "0".to_string(), seconds)),
            http_get: work.http_get.clone(),
            send: work.send.as_deref().map(escape),
            upload: work.upload.map(|n| n.to_string()),
            read_for: work.read_for.map(seconds),
            then_send: work.then_send.as_deref().map(escape),
            key_update: spec.key_update,
            renegotiate: spec.renegotiate,
            starttls: spec.starttls.map(|p| p.name().to_string()),
            starttls_host: spec.starttls_host.clone(),
            // A proxy's password is never printed (it shows as ***).
            proxy: spec.proxy.as_ref().map(|p| p.display()),
            reconnect: (spec.session.reconnect > 0).then(|| spec.session.reconnect.to_string()),
            // A session offered from memory has no file to name.
            sess_in: None,
            sess_out: spec
                .session
                .sess_out
                .as_ref()
                .map(|p| p.display().to_string()),
        }
    }

    /// The options as command-line arguments, in the table's order, quoted for a shell.
    pub(crate) fn command_line(&self) -> String {
        let words: Vec<String> = FIELDS
            .iter()
            .filter_map(|def| {
                let value = self.text(def.field)?;
                Some(match def.kind {
                    Kind::Flag => format!("--{}", def.name),
                    Kind::Text | Kind::File => format!("--{} {}", def.name, shell_word(&value)),
                })
            })
            .collect();
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{Pki, Scenario};
    use crate::probe::Target;
    use std::net::SocketAddr;

    #[test]
    fn quotes_only_what_a_shell_would_split() {
        assert_eq!(shell_word("/tmp/ca.pem"), "/tmp/ca.pem");
        assert_eq!(shell_word("hello\\n"), "'hello\\n'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }

    /// Every lab scenario's client, written as options and applied to a plain target, is that
    /// client again (except what has no option).
    #[test]
    fn lab_clients_round_trip_through_their_options() {
        let pki = Pki::shared().expect("lab certificates");
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path();
        let identity = pki.client_identity();
        let (ca, cert, key) = (dir.join("ca.pem"), dir.join("c.pem"), dir.join("c.key"));
        std::fs::write(&ca, pki.ca_pem()).expect("write");
        std::fs::write(&cert, &identity.chain_pem).expect("write");
        std::fs::write(&key, &identity.key_pem).expect("write");
        let files = PemFiles {
            ca: &ca,
            cert: &cert,
            key: &key,
        };
        let addr: SocketAddr = "127.0.0.1:4433".parse().expect("addr");
        for scenario in Scenario::ALL {
            let mut expected = scenario.client_spec(addr, &pki);
            let options = ConnectOptions::reproducing(&expected, &files);
            let mut got = ConnectSpec::new(Target::parse("127.0.0.1:4433").expect("target"));
            options.apply(&mut got).expect("the options are valid");
            // No option for these; the file holds the ordinary client identity.
            expected.post_handshake_auth = false;
            expected.hello_padding = None;
            if expected.client_identity.is_some() {
                expected.client_identity = Some(identity.clone());
            }
            assert_eq!(got, expected, "{scenario}: {}", options.command_line());
        }
    }
}
